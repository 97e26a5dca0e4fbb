import { openKeychain } from "../../ffi/keychain.ts";
import { openLibsecret } from "../../ffi/libsecret.ts";
import { openWincred } from "../../ffi/wincred.ts";
import { usageError } from "../errors.ts";
import { BACKEND_NAMES, type BackendName, type Keyring, KeyringError } from "./keyring.ts";

/** What `--keyring` accepts. */
export type KeyringChoice = "auto" | BackendName;

/** Environment variable consulted when `--keyring` is not given. */
export const KEYRING_ENV = "AMRS_KEYRING";

/** The native store of each OS (DESIGN.md, "Keyring layout"). */
const NATIVE: Partial<Record<typeof Deno.build.os, BackendName>> = {
  linux: "secret-service",
  windows: "wincred",
  darwin: "keychain",
};

/** Where each backend runs. */
const BACKEND_OS: Record<BackendName, typeof Deno.build.os> = {
  "secret-service": "linux",
  wincred: "windows",
  keychain: "darwin",
};

/** Parses a `--keyring` / AMRS_KEYRING value; an unknown one is a usage error (exit 2). */
export function parseKeyringChoice(value: string): KeyringChoice {
  if (value === "auto" || (BACKEND_NAMES as readonly string[]).includes(value)) return value as KeyringChoice;
  throw usageError(`unknown keyring backend '${value}'`, `use one of: auto, ${BACKEND_NAMES.join(", ")}`);
}

/**
 * The one place where a backend is chosen: the explicit option, then AMRS_KEYRING, then the OS's native store.
 * There is no fallback to a file or another store: a backend that cannot work here is an error (exit 3)
 * that says why. Libraries are opened here, lazily, not at import.
 *
 * @example
 * ```ts
 * const keyring = selectBackend("auto", "linux"); // "secret-service"
 * ```
 */
export function selectBackend(choice: KeyringChoice, os: typeof Deno.build.os = Deno.build.os): BackendName {
  if (choice !== "auto") {
    if (BACKEND_OS[choice] !== os) {
      throw new KeyringError(
        "unavailable",
        `the '${choice}' keyring exists only on ${BACKEND_OS[choice]}; this is ${os}`,
        { hint: `drop --keyring (or ${KEYRING_ENV}) to use this OS's own keyring` },
      );
    }
    return choice;
  }
  const native = NATIVE[os];
  if (native === undefined) {
    throw new KeyringError("unavailable", `amrs-bootstrap has no keyring backend for ${os}`, {
      hint: "supported: Linux (Secret Service), Windows (Credential Manager), macOS (Keychain)",
    });
  }
  return native;
}

/** Settings some backends need from the build. */
export interface BackendSettings {
  /** macOS: apps trusted to read new items without a prompt (sealed build setting). */
  trustedApps?: () => Promise<readonly string[]>;
}

/** Opens the chosen backend. */
export function openKeyring(
  choice: KeyringChoice,
  os: typeof Deno.build.os = Deno.build.os,
  settings: BackendSettings = {},
): Keyring {
  const backend = selectBackend(choice, os);
  switch (backend) {
    case "secret-service":
      return openLibsecret();
    case "keychain":
      return openKeychain(settings.trustedApps === undefined ? {} : { trustedApps: settings.trustedApps });
    case "wincred":
      return openWincred();
  }
}
