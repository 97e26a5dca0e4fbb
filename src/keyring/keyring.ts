import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";

/** The backends that `--keyring` can name. `auto` picks the OS's native store. */
export const BACKEND_NAMES = ["secret-service", "wincred", "keychain"] as const;
export type BackendName = typeof BACKEND_NAMES[number];

/**
 * A per-user OS keyring, seen as (service, account) -> UTF-8 text, in the layout that Python `keyring` uses on
 * each OS (see docs/KEYRING.md). Every backend passes the same contract tests (tests/_support/keyring_contract.ts).
 */
export interface Keyring {
  readonly backend: BackendName;
  /** The most UTF-16 code units one value may have, when the store has a limit (Windows: 1280). */
  readonly maxValueUnits?: number | undefined;
  /**
   * Checks that the store answers and is unlocked, without prompting; throws a KeyringError (`unavailable`,
   * `locked`, ...) with the fix otherwise. `status` uses it, so a locked keyring never looks like an empty one.
   */
  probe(service: string): Promise<void>;
  /** The value, or `undefined` when there is none. */
  get(service: string, account: string): Promise<string | undefined>;
  /** Creates or overwrites the value; afterwards exactly one entry holds it. */
  set(service: string, account: string, value: string): Promise<void>;
  /** Removes the entry (and any duplicates of it). Returns false when there was nothing to remove. */
  delete(service: string, account: string): Promise<boolean>;
  /** The account names stored under `service`, sorted, without values. */
  list(service: string): Promise<string[]>;
}

/**
 * What went wrong, in words a caller can branch on:
 * - `unavailable`: no keyring to talk to (library missing, no D-Bus session, no Secret Service, wrong OS);
 * - `locked`: the store exists but is locked and cannot be unlocked without a prompt;
 * - `denied`: access refused, or a prompt was dismissed;
 * - `no_session`: this logon session has no keyring at all (Windows network logon, SSH with key auth);
 * - `timeout`: the keyring did not answer in time;
 * - `too_long`: the value or name exceeds a limit of the store (checked before any native call);
 * - `bad_value`: the value cannot be stored faithfully (e.g. a NUL character for a C-string API);
 * - `platform`: any other native failure; it carries the native code and message.
 */
export type KeyringErrorKind =
  | "unavailable"
  | "locked"
  | "denied"
  | "no_session"
  | "timeout"
  | "too_long"
  | "bad_value"
  | "platform";

const EXIT_FOR_KIND: Record<KeyringErrorKind, ExitCode> = {
  unavailable: ExitCode.KeyringUnavailable,
  locked: ExitCode.KeyringUnavailable,
  denied: ExitCode.KeyringUnavailable,
  no_session: ExitCode.KeyringUnavailable,
  timeout: ExitCode.KeyringUnavailable,
  platform: ExitCode.KeyringUnavailable,
  too_long: ExitCode.Usage,
  bad_value: ExitCode.Usage,
};

/** A failure of the keyring, with the native code and cause where there is one, and the fix in `hint`. */
export class KeyringError extends CliError {
  override name = "KeyringError";
  override readonly kind: KeyringErrorKind;
  /** The native error, e.g. `g-dbus-error-quark/2` or `1312 ERROR_NO_SUCH_LOGON_SESSION`. */
  readonly nativeCode: string | undefined;

  constructor(
    kind: KeyringErrorKind,
    message: string,
    options: { hint?: string; nativeCode?: string; cause?: unknown } = {},
  ) {
    super(EXIT_FOR_KIND[kind], message, { kind, ...options });
    this.kind = kind;
    this.nativeCode = options.nativeCode;
  }
}

/** Refuses an empty service or account before any destructive or native call. */
export function assertEntry(service: string, account?: string): void {
  if (service === "") throw new KeyringError("bad_value", "the keyring service name is empty");
  if (account !== undefined && account === "") throw new KeyringError("bad_value", "the account name is empty");
}
