/**
 * Windows backend: generic credentials in the Credential Manager (advapi32), called directly with Deno FFI.
 * Tested for real with Deno for Windows under Wine (scripts/wine_lane.sh, tests/windows/).
 *
 * Layout: Python keyring's WinVaultKeyring (keyring/backends/Windows.py, jaraco/keyring):
 *   Type CRED_TYPE_GENERIC, TargetName = service, or "{account}@{service}" for every account but the one most
 *   recently written; UserName = account; Persist CRED_PERSIST_ENTERPRISE; blob = UTF-16LE, no BOM, no NUL.
 *   get:    read `service`; if its UserName is not the account, read `{account}@{service}`.
 *   set:    an existing `service` credential of ANOTHER account is first copied to `{that account}@{service}`;
 *           then `service` is written. (Python copies it even for the same account, leaving a stale copy of the
 *           old value; we do not, and we delete a stale `{account}@{service}` left by that behaviour.)
 *   delete: deletes whichever of `service` / `{account}@{service}` has UserName = account.
 */
import { type Keyring, KeyringError, type KeyringErrorKind } from "../src/keyring/keyring.ts";
import { assertEntry } from "../src/keyring/keyring.ts";
import { OutPointer } from "./_native.ts";

// wincred.h
const CRED_TYPE_GENERIC = 1;
const CRED_PERSIST_ENTERPRISE = 3;
/** wincred.h: CRED_MAX_CREDENTIAL_BLOB_SIZE = 5 * 512 bytes (1280 UTF-16 code units). */
export const CRED_MAX_CREDENTIAL_BLOB_SIZE = 5 * 512;

// winerror.h
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_NOT_FOUND = 1168;
export const ERROR_NO_SUCH_LOGON_SESSION = 1312;
export const ERROR_BAD_USERNAME = 2202;
const ERROR_NAMES: Record<number, string> = {
  5: "ERROR_ACCESS_DENIED",
  8: "ERROR_NOT_ENOUGH_MEMORY",
  87: "ERROR_INVALID_PARAMETER",
  1004: "ERROR_INVALID_FLAGS",
  1168: "ERROR_NOT_FOUND",
  1312: "ERROR_NO_SUCH_LOGON_SESSION",
  1783: "RPC_X_BAD_STUB_DATA",
  2202: "ERROR_BAD_USERNAME",
};

/**
 * CREDENTIALW (wincred.h) on x64, 80 bytes: Flags u32 @0, Type u32 @4, TargetName LPWSTR @8, Comment LPWSTR @16,
 * LastWritten FILETIME @24, CredentialBlobSize u32 @32 (+4 padding), CredentialBlob LPBYTE @40, Persist u32 @48,
 * AttributeCount u32 @52, Attributes PCREDENTIAL_ATTRIBUTEW @56, TargetAlias LPWSTR @64, UserName LPWSTR @72.
 */
const CREDENTIALW = {
  size: 80,
  flags: 0,
  type: 4,
  targetName: 8,
  blobSize: 32,
  blob: 40,
  persist: 48,
  userName: 72,
} as const;

export const ADVAPI32_SYMBOLS = {
  // wincred.h: BOOL CredWriteW(PCREDENTIALW Credential, DWORD Flags)
  CredWriteW: { parameters: ["buffer", "u32"], result: "i32" },
  // wincred.h: BOOL CredReadW(LPCWSTR TargetName, DWORD Type, DWORD Flags, PCREDENTIALW *Credential)
  CredReadW: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
  // wincred.h: BOOL CredDeleteW(LPCWSTR TargetName, DWORD Type, DWORD Flags)
  CredDeleteW: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  // wincred.h: BOOL CredEnumerateW(LPCWSTR Filter, DWORD Flags, DWORD *Count, PCREDENTIALW **Credential)
  CredEnumerateW: { parameters: ["buffer", "u32", "buffer", "buffer"], result: "i32" },
  // wincred.h: VOID CredFree(PVOID Buffer)
  CredFree: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

export const KERNEL32_SYMBOLS = {
  // errhandlingapi.h: DWORD GetLastError(void): read right after the failing call, before anything else runs.
  GetLastError: { parameters: [], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

interface Natives {
  advapi32: Deno.DynamicLibrary<typeof ADVAPI32_SYMBOLS>["symbols"];
  kernel32: Deno.DynamicLibrary<typeof KERNEL32_SYMBOLS>["symbols"];
}

let natives: Natives | undefined;

/** Opens advapi32 and kernel32 (once per process); never at import. */
function loadNatives(): Natives {
  natives ??= {
    advapi32: Deno.dlopen("advapi32.dll", ADVAPI32_SYMBOLS).symbols,
    kernel32: Deno.dlopen("kernel32.dll", KERNEL32_SYMBOLS).symbols,
  };
  return natives;
}

/** A NUL-terminated UTF-16LE string for an LPCWSTR parameter. */
function wide(text: string): Uint8Array<ArrayBuffer> {
  const units = new Uint16Array(text.length + 1);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return new Uint8Array(units.buffer);
}

/** UTF-16LE bytes of `text`, no BOM, no NUL (the credential blob). */
export function utf16le(text: string): Uint8Array<ArrayBuffer> {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return new Uint8Array(units.buffer);
}

function readWide(pointer: Deno.PointerValue): string | undefined {
  if (pointer === null) return undefined;
  const view = new Deno.UnsafePointerView(pointer);
  let text = "";
  for (let offset = 0;; offset += 2) {
    const unit = view.getUint16(offset);
    if (unit === 0) return text;
    text += String.fromCharCode(unit);
  }
}

/** Win32 error -> kind and fix. Exported for its unit test. */
export function classifyWin32(code: number): [KeyringErrorKind, string] {
  switch (code) {
    case ERROR_NO_SUCH_LOGON_SESSION:
      return [
        "no_session",
        "this logon session has no credential store (an SSH session with key authentication, a service or a " +
        "network logon): run it in the user's interactive session, or SSH in with a password",
      ];
    case ERROR_ACCESS_DENIED:
      return ["denied", "Credential Manager refused access for this user"];
    default:
      return ["platform", "see the Win32 error above"];
  }
}

interface Credential {
  userName: string | undefined;
  value: string;
}

/** The Windows Credential Manager. Create it with {@link openWincred}. */
export class WincredKeyring implements Keyring {
  readonly backend = "wincred" as const;
  readonly maxValueUnits = CRED_MAX_CREDENTIAL_BLOB_SIZE / 2;
  readonly #n: Natives;

  constructor(n: Natives) {
    this.#n = n;
  }

  #fail(operation: string, target: string, code: number): KeyringError {
    const [kind, hint] = classifyWin32(code);
    const name = ERROR_NAMES[code] ?? "unknown error";
    return new KeyringError(kind, `Credential Manager ${operation} of '${target}' failed: ${code} ${name}`, {
      hint,
      nativeCode: `${code} ${name}`,
    });
  }

  /** CredReadW; undefined for ERROR_NOT_FOUND. */
  #read(target: string): Credential | undefined {
    const out = new OutPointer();
    const ok = this.#n.advapi32.CredReadW(wide(target), CRED_TYPE_GENERIC, 0, out.buffer);
    if (ok === 0) {
      const code = this.#n.kernel32.GetLastError();
      if (code === ERROR_NOT_FOUND) return undefined;
      throw this.#fail("read", target, code);
    }
    const credential = out.pointer!;
    try {
      return this.#decode(credential);
    } finally {
      this.#n.advapi32.CredFree(credential);
    }
  }

  #decode(credential: Deno.PointerObject): Credential {
    const view = new Deno.UnsafePointerView(credential);
    const size = view.getUint32(CREDENTIALW.blobSize);
    const blob = view.getPointer(CREDENTIALW.blob);
    const bytes = size === 0 || blob === null
      ? new Uint8Array(0)
      : new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(blob, size).slice(0));
    try {
      if (size % 2 !== 0) throw new KeyringError("bad_value", "the credential blob is not UTF-16 (odd length)");
      return {
        userName: readWide(view.getPointer(CREDENTIALW.userName)),
        value: new TextDecoder("utf-16le", { fatal: true }).decode(bytes),
      };
    } catch (error) {
      if (error instanceof KeyringError) throw error;
      throw new KeyringError("bad_value", "the credential blob is not valid UTF-16LE text");
    } finally {
      bytes.fill(0);
    }
  }

  /** CredWriteW of a generic credential with Python keyring's fields. */
  #write(target: string, account: string, value: string): void {
    const blob = utf16le(value);
    if (blob.length > CRED_MAX_CREDENTIAL_BLOB_SIZE) {
      blob.fill(0);
      throw tooLong(blob.length);
    }
    const targetName = wide(target);
    const userName = wide(account);
    const struct = new Uint8Array(CREDENTIALW.size);
    const view = new DataView(struct.buffer);
    const address = (buffer: Uint8Array) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    view.setUint32(CREDENTIALW.flags, 0, true);
    view.setUint32(CREDENTIALW.type, CRED_TYPE_GENERIC, true);
    view.setBigUint64(CREDENTIALW.targetName, address(targetName), true);
    view.setUint32(CREDENTIALW.blobSize, blob.length, true);
    if (blob.length > 0) view.setBigUint64(CREDENTIALW.blob, address(blob), true);
    view.setUint32(CREDENTIALW.persist, CRED_PERSIST_ENTERPRISE, true);
    view.setBigUint64(CREDENTIALW.userName, address(userName), true);
    try {
      if (this.#n.advapi32.CredWriteW(struct, 0) === 0) {
        throw this.#fail("write", target, this.#n.kernel32.GetLastError());
      }
    } finally {
      blob.fill(0);
      struct.fill(0);
    }
  }

  /** CredDeleteW; false for ERROR_NOT_FOUND. */
  #delete(target: string): boolean {
    if (this.#n.advapi32.CredDeleteW(wide(target), CRED_TYPE_GENERIC, 0) !== 0) return true;
    const code = this.#n.kernel32.GetLastError();
    if (code === ERROR_NOT_FOUND) return false;
    throw this.#fail("delete", target, code);
  }

  // deno-lint-ignore require-await
  async probe(service: string): Promise<void> {
    assertEntry(service);
    this.#read(service); // not found is fine; no logon session, access denied are not
  }

  // deno-lint-ignore require-await
  async get(service: string, account: string): Promise<string | undefined> {
    assertEntry(service, account);
    const plain = this.#read(service);
    if (plain !== undefined && plain.userName === account) return plain.value;
    return this.#read(`${account}@${service}`)?.value;
  }

  // deno-lint-ignore require-await
  async set(service: string, account: string, value: string): Promise<void> {
    assertEntry(service, account);
    // Checked before any native call: a value the store cannot hold is never truncated.
    const size = value.length * 2;
    if (size > CRED_MAX_CREDENTIAL_BLOB_SIZE) throw tooLong(size);
    const existing = this.#read(service);
    if (existing !== undefined && existing.userName !== undefined && existing.userName !== account) {
      this.#write(`${existing.userName}@${service}`, existing.userName, existing.value);
    }
    this.#write(service, account, value);
    // A compound copy of this account would now be stale: Python reads `service` first, but it must not linger.
    const compound = this.#read(`${account}@${service}`);
    if (compound !== undefined && compound.userName === account) this.#delete(`${account}@${service}`);
  }

  // deno-lint-ignore require-await
  async delete(service: string, account: string): Promise<boolean> {
    assertEntry(service, account);
    let deleted = false;
    for (const target of [service, `${account}@${service}`]) {
      const credential = this.#read(target);
      if (credential !== undefined && credential.userName === account) deleted = this.#delete(target) || deleted;
    }
    return deleted;
  }

  // deno-lint-ignore require-await
  async list(service: string): Promise<string[]> {
    assertEntry(service);
    const names = new Set<string>();
    const plain = this.#read(service);
    if (plain?.userName !== undefined && plain.userName !== "") names.add(plain.userName);
    const count = new Uint32Array(1);
    const out = new OutPointer();
    // The filter can only be a prefix followed by "*" (wincred.h, CredEnumerateW), and the service is a suffix of
    // the compound targets: enumerate all of this user's credentials and pick ours.
    const ok = this.#n.advapi32.CredEnumerateW(null, 0, new Uint8Array(count.buffer), out.buffer);
    if (ok === 0) {
      const code = this.#n.kernel32.GetLastError();
      if (code === ERROR_NOT_FOUND) return [...names].sort();
      throw this.#fail("enumerate", `*@${service}`, code);
    }
    const array = out.pointer!;
    try {
      const view = new Deno.UnsafePointerView(array);
      for (let i = 0; i < count[0]!; i++) {
        const credential = view.getPointer(i * 8);
        if (credential === null) continue;
        const item = new Deno.UnsafePointerView(credential);
        const target = readWide(item.getPointer(CREDENTIALW.targetName));
        const user = readWide(item.getPointer(CREDENTIALW.userName));
        // Only Python keyring's compound form counts: "{user}@{service}" with that very UserName.
        if (item.getUint32(CREDENTIALW.type) === CRED_TYPE_GENERIC && user && target === `${user}@${service}`) {
          names.add(user);
        }
      }
    } finally {
      this.#n.advapi32.CredFree(array); // one CredFree for the whole array (wincred.h: CredEnumerateW)
    }
    return [...names].sort();
  }
}

function tooLong(bytes: number): KeyringError {
  return new KeyringError(
    "too_long",
    `the value is ${bytes} bytes as UTF-16; Windows Credential Manager stores at most ${CRED_MAX_CREDENTIAL_BLOB_SIZE}`,
    { hint: "keep Windows secrets under 1280 characters (wincred.h: CRED_MAX_CREDENTIAL_BLOB_SIZE)" },
  );
}

/**
 * Opens the Windows Credential Manager backend.
 *
 * @example
 * ```ts
 * await openWincred().set("amrs", "API_KEY", "value");
 * ```
 */
export function openWincred(): WincredKeyring {
  try {
    return new WincredKeyring(loadNatives());
  } catch (cause) {
    throw new KeyringError("unavailable", `advapi32.dll could not be loaded: ${(cause as Error).message}`, { cause });
  }
}
