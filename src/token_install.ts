/**
 * Putting the sealed token into the keyring: shared by `install` (the installer's custom action) and `launch`
 * (first run, when the installer could not).
 */
import { CliError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";
import { fingerprint } from "./fingerprint.ts";
import type { Keyring } from "./keyring/keyring.ts";
import type { PayloadSource } from "./payload/embedded.ts";
import { openPayload, PayloadError, type PayloadHeader } from "./payload/format.ts";

/** Opens this build's payload; no payload is exit 4 "this build carries no bootstrap token". */
export async function openSealed(
  source: PayloadSource,
): Promise<{ header: PayloadHeader; token: Uint8Array<ArrayBuffer> }> {
  const sealed = await source();
  if (sealed === undefined) throw new PayloadError("this build carries no bootstrap token", "no_payload");
  try {
    return await openPayload(sealed);
  } finally {
    sealed.fill(0);
  }
}

/** The authenticated build settings, or undefined for a build without a payload. The token is zeroed at once. */
export async function sealedSettings(source: PayloadSource): Promise<PayloadHeader | undefined> {
  const sealed = await source();
  if (sealed === undefined) return undefined;
  try {
    const { header, token } = await openPayload(sealed);
    token.fill(0);
    return header;
  } finally {
    sealed.fill(0);
  }
}

export type InstallOutcome = "stored" | "replaced" | "unchanged" | "kept-existing";

export interface InstallResult {
  outcome: InstallOutcome;
  fingerprint: string;
  /** Fingerprint of a different token that was kept. */
  keptFingerprint?: string;
}

/**
 * Stores `token` (bytes, zeroed here) unless the same one is there; keeps a different one unless `force`.
 * Reads back and compares after writing.
 */
export async function storeToken(
  keyring: Keyring,
  service: string,
  account: string,
  token: Uint8Array<ArrayBuffer>,
  force: boolean,
): Promise<InstallResult> {
  try {
    const value = new TextDecoder("utf-8", { fatal: true }).decode(token);
    const print = await fingerprint(value);
    const existing = await keyring.get(service, account);
    if (existing === value) return { outcome: "unchanged", fingerprint: print };
    if (existing !== undefined && !force) {
      return { outcome: "kept-existing", fingerprint: print, keptFingerprint: await fingerprint(existing) };
    }
    await keyring.set(service, account, value);
    if (await keyring.get(service, account) !== value) {
      throw new CliError(ExitCode.KeyringUnavailable, "the keyring did not return the token that was stored", {
        kind: "verify_failed",
        hint: "another program may be changing this entry; run 'amrs-bootstrap status'",
      });
    }
    return { outcome: existing === undefined ? "stored" : "replaced", fingerprint: print };
  } finally {
    token.fill(0);
  }
}
