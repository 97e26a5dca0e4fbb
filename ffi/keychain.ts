/**
 * macOS backend: generic passwords in the login keychain through Security.framework, called directly with Deno FFI.
 *
 * NOTHING HERE RUNS ON THESE BUILD AND TEST MACHINES (Linux). The binding logic is checked by
 * tests/keychain_fake_test.ts against a recording fake of the native symbols (call order, arguments, every CF object
 * released exactly once); Apple's behaviour is not. Every constant, struct and signature below names its header.
 *
 * Layout (Python keyring's macOS backend, keyring/backends/macOS/api.py; keytar and keyring-rs agree):
 *   kSecClass = kSecClassGenericPassword, kSecAttrService = service, kSecAttrAccount = account, kSecValueData = UTF-8
 *   bytes; the default (login, file-based) keychain; no label, no access group, no data-protection keychain
 *   (kSecUseDataProtectionKeychain is never set), so Python keyring and keytar find the items.
 * Writes: SecItemAdd, and on errSecDuplicateItem SecItemUpdate of the data only: the item is updated in place, so its
 * access control list ("Always Allow" answers, trusted apps) survives. Python keyring deletes and re-adds instead,
 * which loses them.
 * New items can be created with an access object that trusts this tool and a list of apps (a build setting), so the
 * Electron app or the Python back end reads without a prompt; see docs/MACOS.md for the partition-list caveat.
 */
import { cString, OutPointer, symbolAddresses } from "./_native.ts";
import { assertEntry, type Keyring, KeyringError, type KeyringErrorKind } from "../src/keyring/keyring.ts";

/** Absolute framework paths: never a search path (dyld shared cache, macOS 11+, still resolves them). */
export const SECURITY_FRAMEWORK = "/System/Library/Frameworks/Security.framework/Security";
export const CORE_FOUNDATION = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";

// CoreFoundation/CFString.h: CFStringBuiltInEncodings.kCFStringEncodingUTF8
export const kCFStringEncodingUTF8 = 0x08000100;

// Security/SecBase.h: result codes (OSStatus, SInt32)
export const errSecSuccess = 0;
export const errSecUserCanceled = -128;
export const errSecParam = -50;
export const errSecNotAvailable = -25291; // no keychain available (e.g. no user session)
export const errSecAuthFailed = -25293; // wrong password / authorization failed
export const errSecNoSuchKeychain = -25294;
export const errSecDuplicateItem = -25299;
export const errSecItemNotFound = -25300;
export const errSecInteractionNotAllowed = -25308; // no UI allowed: SSH session, locked keychain
export const errSecMissingEntitlement = -34018;

/** CoreFoundation, by header: CFBase.h (CFIndex = signed long -> isize, Boolean = unsigned char -> u8). */
export const CF_SYMBOLS = {
  // CFDictionary.h: CFDictionaryRef CFDictionaryCreate(CFAllocatorRef allocator, const void **keys,
  //   const void **values, CFIndex numValues, const CFDictionaryKeyCallBacks *keyCallBacks,
  //   const CFDictionaryValueCallBacks *valueCallBacks)
  CFDictionaryCreate: { parameters: ["pointer", "buffer", "buffer", "isize", "pointer", "pointer"], result: "pointer" },
  // CFDictionary.h: const void *CFDictionaryGetValue(CFDictionaryRef theDict, const void *key)
  CFDictionaryGetValue: { parameters: ["pointer", "pointer"], result: "pointer" },
  // CFData.h: CFDataRef CFDataCreate(CFAllocatorRef allocator, const UInt8 *bytes, CFIndex length)
  CFDataCreate: { parameters: ["pointer", "buffer", "isize"], result: "pointer" },
  // CFData.h: CFIndex CFDataGetLength(CFDataRef theData)
  CFDataGetLength: { parameters: ["pointer"], result: "isize" },
  // CFData.h: const UInt8 *CFDataGetBytePtr(CFDataRef theData)
  CFDataGetBytePtr: { parameters: ["pointer"], result: "pointer" },
  // CFString.h: CFStringRef CFStringCreateWithBytes(CFAllocatorRef alloc, const UInt8 *bytes, CFIndex numBytes,
  //   CFStringEncoding encoding, Boolean isExternalRepresentation)
  CFStringCreateWithBytes: { parameters: ["pointer", "buffer", "isize", "u32", "u8"], result: "pointer" },
  // CFString.h: CFIndex CFStringGetLength(CFStringRef theString)
  CFStringGetLength: { parameters: ["pointer"], result: "isize" },
  // CFString.h: CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding)
  CFStringGetMaximumSizeForEncoding: { parameters: ["isize", "u32"], result: "isize" },
  // CFString.h: Boolean CFStringGetCString(CFStringRef theString, char *buffer, CFIndex bufferSize,
  //   CFStringEncoding encoding)
  CFStringGetCString: { parameters: ["pointer", "buffer", "isize", "u32"], result: "u8" },
  // CFArray.h: CFArrayRef CFArrayCreate(CFAllocatorRef allocator, const void **values, CFIndex numValues,
  //   const CFArrayCallBacks *callBacks)
  CFArrayCreate: { parameters: ["pointer", "buffer", "isize", "pointer"], result: "pointer" },
  // CFArray.h: CFIndex CFArrayGetCount(CFArrayRef theArray)
  CFArrayGetCount: { parameters: ["pointer"], result: "isize" },
  // CFArray.h: const void *CFArrayGetValueAtIndex(CFArrayRef theArray, CFIndex idx)
  CFArrayGetValueAtIndex: { parameters: ["pointer", "isize"], result: "pointer" },
  // CFBase.h: CFTypeID CFGetTypeID(CFTypeRef cf)  (CFTypeID = unsigned long)
  CFGetTypeID: { parameters: ["pointer"], result: "usize" },
  // CFArray.h / CFData.h / CFDictionary.h / CFString.h: CFTypeID CFxxxGetTypeID(void)
  CFArrayGetTypeID: { parameters: [], result: "usize" },
  CFDataGetTypeID: { parameters: [], result: "usize" },
  CFDictionaryGetTypeID: { parameters: [], result: "usize" },
  CFStringGetTypeID: { parameters: [], result: "usize" },
  // CFBase.h: void CFRelease(CFTypeRef cf)
  CFRelease: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Security.framework, by header. The kSec* keys are `const CFStringRef` data symbols (SecItem.h). */
export const SEC_SYMBOLS = {
  // SecItem.h: OSStatus SecItemCopyMatching(CFDictionaryRef query, CFTypeRef *result)
  SecItemCopyMatching: { parameters: ["pointer", "buffer"], result: "i32" },
  // SecItem.h: OSStatus SecItemAdd(CFDictionaryRef attributes, CFTypeRef *result)
  SecItemAdd: { parameters: ["pointer", "buffer"], result: "i32" },
  // SecItem.h: OSStatus SecItemUpdate(CFDictionaryRef query, CFDictionaryRef attributesToUpdate)
  SecItemUpdate: { parameters: ["pointer", "pointer"], result: "i32" },
  // SecItem.h: OSStatus SecItemDelete(CFDictionaryRef query)
  SecItemDelete: { parameters: ["pointer"], result: "i32" },
  // SecBase.h: CFStringRef SecCopyErrorMessageString(OSStatus status, void *reserved)
  SecCopyErrorMessageString: { parameters: ["i32", "pointer"], result: "pointer" },
  // SecAccess.h: OSStatus SecAccessCreate(CFStringRef descriptor, CFArrayRef trustedlist, SecAccessRef *accessRef)
  SecAccessCreate: { parameters: ["pointer", "pointer", "buffer"], result: "i32" },
  // SecTrustedApplication.h: OSStatus SecTrustedApplicationCreateFromPath(const char *path,
  //   SecTrustedApplicationRef *app)   (path NULL: the calling application)
  SecTrustedApplicationCreateFromPath: { parameters: ["buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Data symbols: each is a `const CFStringRef` / `const CFBooleanRef` variable (SecItem.h, CFNumber.h). Their VALUE
 * (the CF object stored at the symbol) is what the API wants. Deno's `{ type: "pointer" }` statics give the symbol's
 * ADDRESS instead, so the address comes from dlsym and the stored pointer is read from it (readConstants).
 */
export const CF_CONSTANTS = ["kCFBooleanTrue"] as const; // CFNumber.h
export const SEC_CONSTANTS = [
  "kSecClass", // SecItem.h: keys and values of item queries
  "kSecClassGenericPassword",
  "kSecAttrService",
  "kSecAttrAccount",
  "kSecAttrAccess", // macOS only: a SecAccessRef for file-based keychain items
  "kSecValueData",
  "kSecReturnData",
  "kSecReturnAttributes",
  "kSecMatchLimit",
  "kSecMatchLimitOne",
  "kSecMatchLimitAll",
] as const;
export type KeychainConstant = typeof CF_CONSTANTS[number] | typeof SEC_CONSTANTS[number];

/** Reads the pointer stored at each data symbol's address (`*(const void **)address`). */
export function readConstants(
  addresses: Map<string, Deno.PointerObject>,
): Record<KeychainConstant, Deno.PointerObject> {
  const values = {} as Record<KeychainConstant, Deno.PointerObject>;
  for (const name of [...CF_CONSTANTS, ...SEC_CONSTANTS]) {
    const address = addresses.get(name);
    if (address === undefined) throw new Error(`no address for ${name}`);
    const value = new Deno.UnsafePointerView(address).getPointer(0);
    if (value === null) throw new Error(`${name} holds NULL`);
    values[name] = value;
  }
  return values;
}

/**
 * The native side as the binding sees it: both symbol tables, and the addresses of the CFDictionary/CFArray
 * callback structs (`kCFTypeDictionaryKeyCallBacks` etc. are structs, not pointers: their ADDRESS is passed,
 * which only dlsym gives). Tests pass a recording fake of exactly this shape.
 */
export interface KeychainNatives {
  cf: Deno.DynamicLibrary<typeof CF_SYMBOLS>["symbols"];
  sec: Deno.DynamicLibrary<typeof SEC_SYMBOLS>["symbols"];
  /** The CF objects stored in the data symbols (see readConstants). */
  constants: Record<KeychainConstant, Deno.PointerObject>;
  /** &kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks, &kCFTypeArrayCallBacks (CFDictionary.h, CFArray.h) */
  callbacks: { dictionaryKey: Deno.PointerObject; dictionaryValue: Deno.PointerObject; array: Deno.PointerObject };
}

let loaded: KeychainNatives | undefined;

/** Opens the frameworks by absolute path (once per process); never at import. */
export function loadKeychainNatives(): KeychainNatives {
  if (loaded !== undefined) return loaded;
  try {
    const callbacks = symbolAddresses(CORE_FOUNDATION, [
      "kCFTypeDictionaryKeyCallBacks",
      "kCFTypeDictionaryValueCallBacks",
      "kCFTypeArrayCallBacks",
      ...CF_CONSTANTS,
    ]);
    const secAddresses = symbolAddresses(SECURITY_FRAMEWORK, SEC_CONSTANTS);
    loaded = {
      constants: readConstants(new Map([...callbacks, ...secAddresses])),
      cf: Deno.dlopen(CORE_FOUNDATION, CF_SYMBOLS).symbols,
      sec: Deno.dlopen(SECURITY_FRAMEWORK, SEC_SYMBOLS).symbols,
      callbacks: {
        dictionaryKey: callbacks.get("kCFTypeDictionaryKeyCallBacks")!,
        dictionaryValue: callbacks.get("kCFTypeDictionaryValueCallBacks")!,
        array: callbacks.get("kCFTypeArrayCallBacks")!,
      },
    };
    return loaded;
  } catch (cause) {
    throw new KeyringError("unavailable", `Security.framework could not be loaded: ${(cause as Error).message}`, {
      hint: "the macOS keychain backend needs macOS 10.15 or later",
      cause,
    });
  }
}

/** Options of the keychain backend. */
export interface KeychainOptions {
  /**
   * Apps (bundle or executable paths) to trust, besides this tool, on items this tool creates: they read the item
   * without a prompt. A build setting; empty means the default ACL (only the creating app is trusted).
   */
  trustedApps?: () => Promise<readonly string[]>;
}

/** OSStatus -> kind and fix. Exported for its unit test. */
export function classifyOSStatus(status: number): [KeyringErrorKind, string] {
  switch (status) {
    case errSecInteractionNotAllowed:
      return [
        "locked",
        "the login keychain is locked or no prompt can be shown (an SSH session): unlock it with " +
        "'security unlock-keychain ~/Library/Keychains/login.keychain-db', or run this in the user's desktop session",
      ];
    case errSecUserCanceled:
      return ["denied", "the keychain prompt was cancelled: run again and choose Allow (or Always Allow)"];
    case errSecAuthFailed:
      return ["denied", "the keychain refused access (wrong password or not authorized)"];
    case errSecMissingEntitlement:
      return ["platform", "missing entitlement: this binary must not use the data-protection keychain; report a bug"];
    case errSecNotAvailable:
    case errSecNoSuchKeychain:
      return ["unavailable", "no login keychain for this user: run in a logged-in user session (not as root/daemon)"];
    default:
      return ["platform", "see the OSStatus above (Security/SecBase.h lists the codes)"];
  }
}

/** CF objects created during one operation, each released exactly once at the end. */
class Owned {
  readonly #objects: Deno.PointerObject[] = [];
  readonly #cf: KeychainNatives["cf"];

  constructor(cf: KeychainNatives["cf"]) {
    this.#cf = cf;
  }

  /** Takes ownership of a Create/Copy result; a NULL result is an allocation failure. */
  own(object: Deno.PointerValue, what: string): Deno.PointerObject {
    if (object === null) throw new KeyringError("platform", `CoreFoundation could not create ${what}`);
    this.#objects.push(object);
    return object;
  }

  releaseAll(): void {
    for (const object of this.#objects.splice(0).reverse()) this.#cf.CFRelease(object);
  }
}

function pointerArray(pointers: Deno.PointerObject[]): Uint8Array<ArrayBuffer> {
  const cells = new BigUint64Array(Math.max(1, pointers.length));
  pointers.forEach((p, i) => cells[i] = BigInt(Deno.UnsafePointer.value(p)));
  return new Uint8Array(cells.buffer);
}

/** The macOS keychain. Create it with {@link openKeychain}. */
export class KeychainKeyring implements Keyring {
  readonly backend = "keychain" as const;
  readonly #n: KeychainNatives;
  readonly #options: KeychainOptions;

  constructor(natives: KeychainNatives, options: KeychainOptions = {}) {
    this.#n = natives;
    this.#options = options;
  }

  /** Runs `body` with a scope whose CF objects are all released afterwards. */
  #scoped<T>(body: (owned: Owned) => T): T {
    const owned = new Owned(this.#n.cf);
    try {
      return body(owned);
    } finally {
      owned.releaseAll();
    }
  }

  #string(owned: Owned, text: string): Deno.PointerObject {
    const bytes = new TextEncoder().encode(text);
    return owned.own(
      this.#n.cf.CFStringCreateWithBytes(null, bytes, BigInt(bytes.length), kCFStringEncodingUTF8, 0),
      "a string",
    );
  }

  #dictionary(owned: Owned, entries: [Deno.PointerValue, Deno.PointerValue][]): Deno.PointerObject {
    const keys = entries.map(([k]) => k!);
    const values = entries.map(([, v]) => v!);
    const { dictionaryKey, dictionaryValue } = this.#n.callbacks;
    return owned.own(
      this.#n.cf.CFDictionaryCreate(
        null,
        pointerArray(keys),
        pointerArray(values),
        BigInt(entries.length),
        dictionaryKey,
        dictionaryValue,
      ),
      "a dictionary",
    );
  }

  /** {class: generic password, service[, account]} plus `extra` entries. */
  #query(owned: Owned, service: string, account: string | undefined, extra: [Deno.PointerValue, Deno.PointerValue][]) {
    const k = this.#n.constants;
    return this.#dictionary(owned, [
      [k.kSecClass, k.kSecClassGenericPassword],
      [k.kSecAttrService, this.#string(owned, service)],
      ...(account === undefined ? [] : [[k.kSecAttrAccount, this.#string(owned, account)] as [
        Deno.PointerValue,
        Deno.PointerValue,
      ]]),
      ...extra,
    ]);
  }

  #fail(status: number, operation: string): KeyringError {
    const [kind, hint] = classifyOSStatus(status);
    let text: string | undefined;
    this.#scoped((owned) => {
      const message = this.#n.sec.SecCopyErrorMessageString(status, null);
      if (message !== null) text = this.#readString(owned.own(message, "a message"));
    });
    return new KeyringError(kind, `Keychain ${operation} failed: ${text ?? "unknown error"} [OSStatus ${status}]`, {
      hint,
      nativeCode: `OSStatus ${status}`,
    });
  }

  #readString(string: Deno.PointerObject): string {
    const { cf } = this.#n;
    const length = Number(cf.CFStringGetLength(string));
    const size = Number(cf.CFStringGetMaximumSizeForEncoding(BigInt(length), kCFStringEncodingUTF8)) + 1;
    const buffer = new Uint8Array(size);
    if (cf.CFStringGetCString(string, buffer, BigInt(size), kCFStringEncodingUTF8) === 0) return "";
    const end = buffer.indexOf(0);
    return new TextDecoder().decode(buffer.subarray(0, end < 0 ? size : end));
  }

  #readData(data: Deno.PointerObject): Uint8Array {
    const { cf } = this.#n;
    const length = Number(cf.CFDataGetLength(data));
    if (length === 0) return new Uint8Array(0);
    const pointer = cf.CFDataGetBytePtr(data);
    if (pointer === null) throw new KeyringError("platform", "the keychain returned data without bytes");
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, length).slice(0));
  }

  // deno-lint-ignore require-await
  async probe(service: string): Promise<void> {
    assertEntry(service);
    // A lookup of a name that does not exist: "not found" means the keychain answers and is usable.
    this.#scoped((owned) => {
      const query = this.#query(owned, service, "_amrs.probe", [[
        this.#n.constants.kSecMatchLimit,
        this.#n.constants.kSecMatchLimitOne,
      ]]);
      const status = this.#n.sec.SecItemCopyMatching(query, null);
      if (status !== errSecSuccess && status !== errSecItemNotFound) throw this.#fail(status, "probe");
    });
  }

  // deno-lint-ignore require-await
  async get(service: string, account: string): Promise<string | undefined> {
    assertEntry(service, account);
    const { sec } = this.#n;
    return this.#scoped((owned) => {
      const query = this.#query(owned, service, account, [
        [this.#n.constants.kSecReturnData, this.#n.constants.kCFBooleanTrue],
        [this.#n.constants.kSecMatchLimit, this.#n.constants.kSecMatchLimitOne],
      ]);
      const result = new OutPointer();
      const status = sec.SecItemCopyMatching(query, result.buffer);
      if (status === errSecItemNotFound) return undefined;
      if (status !== errSecSuccess) throw this.#fail(status, "read");
      const data = owned.own(result.pointer, "the item data");
      const bytes = this.#readData(data);
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        throw new KeyringError("bad_value", `the keychain item ${account} is not UTF-8 text`);
      } finally {
        bytes.fill(0);
      }
    });
  }

  async set(service: string, account: string, value: string): Promise<void> {
    assertEntry(service, account);
    const trusted = this.#options.trustedApps === undefined ? [] : await this.#options.trustedApps();
    const { sec } = this.#n;
    this.#scoped((owned) => {
      const bytes = new TextEncoder().encode(value);
      let data: Deno.PointerObject;
      try {
        data = owned.own(this.#n.cf.CFDataCreate(null, bytes, BigInt(bytes.length)), "the item data");
      } finally {
        bytes.fill(0);
      }
      const access = trusted.length === 0 ? undefined : this.#access(owned, account, trusted);
      const attributes = this.#query(owned, service, account, [
        [this.#n.constants.kSecValueData, data],
        ...(access === undefined
          ? []
          : [[this.#n.constants.kSecAttrAccess, access] as [Deno.PointerValue, Deno.PointerValue]]),
      ]);
      const added = sec.SecItemAdd(attributes, null);
      if (added === errSecSuccess) return;
      if (added !== errSecDuplicateItem) throw this.#fail(added, "write");
      // The item exists: update its data in place, keeping its ACL.
      const query = this.#query(owned, service, account, []);
      const update = this.#dictionary(owned, [[this.#n.constants.kSecValueData, data]]);
      const updated = sec.SecItemUpdate(query, update);
      if (updated !== errSecSuccess) throw this.#fail(updated, "update");
    });
  }

  /** SecAccess trusting this tool and `apps` (SecAccess.h, SecTrustedApplication.h). */
  #access(owned: Owned, account: string, apps: readonly string[]): Deno.PointerObject {
    const { sec, cf, callbacks } = this.#n;
    const trusted: Deno.PointerObject[] = [];
    for (const path of [undefined, ...apps]) {
      const out = new OutPointer();
      const status = sec.SecTrustedApplicationCreateFromPath(path === undefined ? null : cString(path), out.buffer);
      if (status !== errSecSuccess) throw this.#fail(status, `trust ${path ?? "this tool"}`);
      trusted.push(owned.own(out.pointer, "a trusted application"));
    }
    const list = owned.own(
      cf.CFArrayCreate(null, pointerArray(trusted), BigInt(trusted.length), callbacks.array),
      "an array",
    );
    const out = new OutPointer();
    const status = sec.SecAccessCreate(this.#string(owned, `amrs-bootstrap: ${account}`), list, out.buffer);
    if (status !== errSecSuccess) throw this.#fail(status, "create the access list");
    return owned.own(out.pointer, "an access object");
  }

  // deno-lint-ignore require-await
  async delete(service: string, account: string): Promise<boolean> {
    assertEntry(service, account);
    return this.#scoped((owned) => {
      const status = this.#n.sec.SecItemDelete(this.#query(owned, service, account, []));
      if (status === errSecItemNotFound) return false;
      if (status !== errSecSuccess) throw this.#fail(status, "delete");
      return true;
    });
  }

  // deno-lint-ignore require-await
  async list(service: string): Promise<string[]> {
    assertEntry(service);
    const { sec, cf } = this.#n;
    return this.#scoped((owned) => {
      const query = this.#query(owned, service, undefined, [
        [this.#n.constants.kSecReturnAttributes, this.#n.constants.kCFBooleanTrue],
        [this.#n.constants.kSecMatchLimit, this.#n.constants.kSecMatchLimitAll],
      ]);
      const result = new OutPointer();
      const status = sec.SecItemCopyMatching(query, result.buffer);
      if (status === errSecItemNotFound) return [];
      if (status !== errSecSuccess) throw this.#fail(status, "list");
      const array = owned.own(result.pointer, "the item list");
      if (cf.CFGetTypeID(array) !== cf.CFArrayGetTypeID()) throw new KeyringError("platform", "unexpected list type");
      const names = new Set<string>();
      const count = Number(cf.CFArrayGetCount(array));
      for (let i = 0; i < count; i++) {
        // Values inside the array are borrowed (Get rule): never released here.
        const item = cf.CFArrayGetValueAtIndex(array, BigInt(i));
        if (item === null || cf.CFGetTypeID(item) !== cf.CFDictionaryGetTypeID()) continue;
        const account = cf.CFDictionaryGetValue(item, this.#n.constants.kSecAttrAccount);
        if (account !== null && cf.CFGetTypeID(account) === cf.CFStringGetTypeID()) {
          const name = this.#readString(account);
          if (name !== "") names.add(name);
        }
      }
      return [...names].sort();
    });
  }
}

/**
 * Opens the macOS keychain backend. `natives` is for tests (a recording fake); by default the frameworks are loaded.
 *
 * @example
 * ```ts
 * const keyring = openKeychain({ trustedApps: async () => ["/Applications/AMRS.app"] });
 * ```
 */
export function openKeychain(options: KeychainOptions = {}, natives?: KeychainNatives): KeychainKeyring {
  return new KeychainKeyring(natives ?? loadKeychainNatives(), options);
}
