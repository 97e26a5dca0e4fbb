/**
 * A recording fake of the CoreFoundation and Security.framework symbols that ffi/keychain.ts binds, for testing
 * the binding logic on Linux. It models CF objects as opaque handles and a keychain of generic passwords, records
 * every call, checks arguments (allocator NULL, the callback struct addresses, UTF-8 encoding, generic-password
 * class, no unknown query keys), and checks that every object the binding creates or copies is released exactly
 * once and never used after release. It says nothing about Apple's real behaviour.
 */
import type { KeychainNatives } from "../../ffi/keychain.ts";
import {
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecSuccess,
  kCFStringEncodingUTF8,
  SEC_CONSTANTS,
} from "../../ffi/keychain.ts";

type Kind = "string" | "data" | "dictionary" | "array" | "boolean" | "key" | "callbacks" | "trusted" | "access";

interface FakeObject {
  kind: Kind;
  /** string: the text; data: bytes; dictionary: key name -> handle; array: handles; access: details. */
  value: unknown;
  /** Statics (constants, callback structs) and borrowed children are never released by the caller. */
  owned: boolean;
  released: number;
  /** Keeps bytes alive for CFDataGetBytePtr. */
  backing?: Uint8Array<ArrayBuffer>;
  label: string;
}

export interface FakeItem {
  service: string;
  account: string;
  data: Uint8Array;
  access?: { descriptor: string; apps: (string | null)[] };
}

const TYPE_IDS: Record<Kind, number> = {
  string: 7,
  data: 20,
  dictionary: 18,
  array: 19,
  boolean: 21,
  key: 7,
  callbacks: 0,
  trusted: 40,
  access: 41,
};

/** The kSec* constants the binding reads: the same list, so the fake cannot drift from it. */
const SEC_KEYS = SEC_CONSTANTS;

export class FakeKeychain implements KeychainNatives {
  readonly items: FakeItem[] = [];
  /** Every native call, in order, with its salient arguments (never a secret value). */
  readonly calls: string[] = [];
  readonly #objects = new Map<bigint, FakeObject>();
  #next = 0x1000n;
  readonly #faults = new Map<string, number[]>();

  readonly cf: KeychainNatives["cf"];
  readonly sec: KeychainNatives["sec"];
  readonly constants: KeychainNatives["constants"];
  readonly callbacks: KeychainNatives["callbacks"];

  constructor() {
    const keys = Object.fromEntries(SEC_KEYS.map((name) => [name, this.#make("key", name, false, name)]));
    this.callbacks = {
      dictionaryKey: this.#make("callbacks", "dictionaryKey", false, "&kCFTypeDictionaryKeyCallBacks"),
      dictionaryValue: this.#make("callbacks", "dictionaryValue", false, "&kCFTypeDictionaryValueCallBacks"),
      array: this.#make("callbacks", "array", false, "&kCFTypeArrayCallBacks"),
    };
    const boolTrue = this.#make("boolean", true, false, "kCFBooleanTrue");
    this.constants = { ...keys, kCFBooleanTrue: boolTrue } as KeychainNatives["constants"];
    const typeId = (kind: Kind) => () => BigInt(TYPE_IDS[kind]);
    this.cf = {
      CFDictionaryCreate: (allocator, keysBuf, valuesBuf, count, keyCallBacks, valueCallBacks) => {
        this.#expect(allocator === null, "CFDictionaryCreate: allocator must be NULL (kCFAllocatorDefault)");
        this.#expect(this.#same(keyCallBacks, this.callbacks.dictionaryKey), "CFDictionaryCreate: key callbacks");
        this.#expect(this.#same(valueCallBacks, this.callbacks.dictionaryValue), "CFDictionaryCreate: value callbacks");
        const keyHandles = this.#pointers(keysBuf, Number(count));
        const valueHandles = this.#pointers(valuesBuf, Number(count));
        const entries = new Map<string, bigint>();
        keyHandles.forEach((key, i) => {
          const object = this.#live(key, "CFDictionaryCreate key");
          this.#expect(object.kind === "key", `CFDictionaryCreate: key ${i} is not a kSec constant`);
          this.#live(valueHandles[i]!, `CFDictionaryCreate value for ${object.value}`);
          entries.set(object.value as string, valueHandles[i]!);
        });
        this.calls.push(`CFDictionaryCreate(${[...entries.keys()].join(",")})`);
        return this.#make("dictionary", entries, true, "dictionary");
      },
      CFDictionaryGetValue: (dictionary, key) => {
        const entries = this.#live(this.#handle(dictionary), "CFDictionaryGetValue").value as Map<string, bigint>;
        const name = this.#live(this.#handle(key), "CFDictionaryGetValue key").value as string;
        const value = entries.get(name);
        return value === undefined ? null : Deno.UnsafePointer.create(value);
      },
      CFDataCreate: (allocator, bytes, length) => {
        this.#expect(allocator === null, "CFDataCreate: allocator");
        const copy = new Uint8Array((bytes as Uint8Array).slice(0, Number(length)));
        this.calls.push(`CFDataCreate(${copy.length} bytes)`);
        return this.#make("data", copy, true, "data", copy);
      },
      CFDataGetLength: (data) => BigInt((this.#live(this.#handle(data), "CFDataGetLength").value as Uint8Array).length),
      CFDataGetBytePtr: (data) => {
        const object = this.#live(this.#handle(data), "CFDataGetBytePtr");
        return Deno.UnsafePointer.of(object.backing!);
      },
      CFStringCreateWithBytes: (allocator, bytes, length, encoding, external) => {
        this.#expect(allocator === null, "CFStringCreateWithBytes: allocator");
        this.#expect(encoding === kCFStringEncodingUTF8, "CFStringCreateWithBytes: encoding must be UTF-8");
        this.#expect(external === 0, "CFStringCreateWithBytes: isExternalRepresentation must be false");
        const text = new TextDecoder("utf-8", { fatal: true }).decode((bytes as Uint8Array).slice(0, Number(length)));
        return this.#make("string", text, true, `"${text}"`);
      },
      CFStringGetLength: (string) =>
        BigInt((this.#live(this.#handle(string), "CFStringGetLength").value as string).length),
      CFStringGetMaximumSizeForEncoding: (length, encoding) => {
        this.#expect(encoding === kCFStringEncodingUTF8, "CFStringGetMaximumSizeForEncoding: encoding");
        return BigInt(Number(length) * 3);
      },
      CFStringGetCString: (string, buffer, size, encoding) => {
        this.#expect(encoding === kCFStringEncodingUTF8, "CFStringGetCString: encoding");
        const bytes = new TextEncoder().encode(this.#live(this.#handle(string), "CFStringGetCString").value as string);
        if (bytes.length + 1 > Number(size)) return 0;
        const out = buffer as Uint8Array;
        out.set(bytes);
        out[bytes.length] = 0;
        return 1;
      },
      CFArrayCreate: (allocator, valuesBuf, count, callBacks) => {
        this.#expect(allocator === null, "CFArrayCreate: allocator");
        this.#expect(this.#same(callBacks, this.callbacks.array), "CFArrayCreate: callbacks");
        const values = this.#pointers(valuesBuf, Number(count));
        for (const value of values) this.#live(value, "CFArrayCreate value");
        this.calls.push(`CFArrayCreate(${values.length})`);
        return this.#make("array", values, true, "array");
      },
      CFArrayGetCount: (array) => BigInt((this.#live(this.#handle(array), "CFArrayGetCount").value as bigint[]).length),
      CFArrayGetValueAtIndex: (array, index) => {
        const values = this.#live(this.#handle(array), "CFArrayGetValueAtIndex").value as bigint[];
        const value = values[Number(index)];
        return value === undefined ? null : Deno.UnsafePointer.create(value);
      },
      CFGetTypeID: (object) => BigInt(TYPE_IDS[this.#live(this.#handle(object), "CFGetTypeID").kind]),
      CFArrayGetTypeID: typeId("array"),
      CFDataGetTypeID: typeId("data"),
      CFDictionaryGetTypeID: typeId("dictionary"),
      CFStringGetTypeID: typeId("string"),
      CFRelease: (object) => {
        const handle = this.#handle(object);
        const found = this.#objects.get(handle);
        this.#expect(found !== undefined, "CFRelease of an unknown pointer");
        this.#expect(found!.owned, `CFRelease of ${found!.label}, which the caller does not own`);
        this.#expect(found!.released === 0, `CFRelease of ${found!.label} twice`);
        found!.released++;
      },
    };
    this.sec = {
      SecItemCopyMatching: (query, result) => this.#copyMatching(query, result),
      SecItemAdd: (attributes, result) => {
        this.#expect(result === null, "SecItemAdd: result must be NULL (nothing is returned)");
        return this.#add(attributes);
      },
      SecItemUpdate: (query, update) => this.#update(query, update),
      SecItemDelete: (query) => this.#delete(query),
      SecCopyErrorMessageString: (status, reserved) => {
        this.#expect(reserved === null, "SecCopyErrorMessageString: reserved must be NULL");
        this.calls.push(`SecCopyErrorMessageString(${status})`);
        return this.#make("string", `fake message for ${status}`, true, "message");
      },
      SecAccessCreate: (descriptor, trustedList, out) => {
        const text = this.#live(this.#handle(descriptor), "SecAccessCreate descriptor").value as string;
        const apps = (this.#live(this.#handle(trustedList), "SecAccessCreate list").value as bigint[])
          .map((h) => this.#live(h, "SecAccessCreate app").value as string | null);
        this.calls.push(`SecAccessCreate(${apps.length} apps)`);
        const status = this.#fault("SecAccessCreate");
        if (status !== errSecSuccess) return status;
        this.#write(out, this.#make("access", { descriptor: text, apps }, true, "access"));
        return errSecSuccess;
      },
      SecTrustedApplicationCreateFromPath: (path, out) => {
        const text = path === null ? null : new TextDecoder().decode((path as Uint8Array).subarray(0, -1));
        this.calls.push(`SecTrustedApplicationCreateFromPath(${text ?? "NULL"})`);
        const status = this.#fault("SecTrustedApplicationCreateFromPath");
        if (status !== errSecSuccess) return status;
        this.#write(out, this.#make("trusted", text, true, `trusted ${text}`));
        return errSecSuccess;
      },
    };
  }

  /** Makes the next calls of `fn` return these statuses, in order. */
  failNext(fn: string, ...statuses: number[]): void {
    this.#faults.set(fn, [...(this.#faults.get(fn) ?? []), ...statuses]);
  }

  /** Objects the binding created or copied and has not released: must be empty between operations. */
  leaks(): string[] {
    return [...this.#objects.values()].filter((o) => o.owned && o.released === 0).map((o) => o.label);
  }

  // --- the keychain ------------------------------------------------------------------------------------------
  #decode(query: Deno.PointerValue, what: string) {
    const entries = this.#live(this.#handle(query), what).value as Map<string, bigint>;
    this.#expect(entries.get("kSecClass") !== undefined, `${what}: no kSecClass`);
    const klass = this.#live(entries.get("kSecClass")!, what).value;
    this.#expect(klass === "kSecClassGenericPassword", `${what}: class must be kSecClassGenericPassword`);
    const text = (key: string) => {
      const handle = entries.get(key);
      return handle === undefined ? undefined : this.#live(handle, `${what} ${key}`).value as string;
    };
    for (const key of entries.keys()) {
      this.#expect((SEC_KEYS as readonly string[]).includes(key), `${what}: unexpected key ${key}`);
    }
    return { entries, service: text("kSecAttrService"), account: text("kSecAttrAccount") };
  }

  #matching(service: string | undefined, account: string | undefined): FakeItem[] {
    this.#expect(service !== undefined, "every query names kSecAttrService");
    return this.items.filter((i) => i.service === service && (account === undefined || i.account === account));
  }

  #copyMatching(query: Deno.PointerValue, result: AllowSharedBufferSource | null): number {
    const { entries, service, account } = this.#decode(query, "SecItemCopyMatching");
    const limit = entries.get("kSecMatchLimit");
    const limitName = limit === undefined ? "none" : this.#live(limit, "limit").value as string;
    const returnData = entries.has("kSecReturnData");
    const returnAttributes = entries.has("kSecReturnAttributes");
    this.calls.push(
      `SecItemCopyMatching(${service}/${account ?? "*"}${returnData ? ",data" : ""}${
        returnAttributes ? ",attributes" : ""
      },${limitName})`,
    );
    const status = this.#fault("SecItemCopyMatching");
    if (status !== errSecSuccess) return status;
    const found = this.#matching(service, account);
    if (found.length === 0) return errSecItemNotFound;
    if (result === null) return errSecSuccess;
    if (returnData) {
      this.#expect(limitName === "kSecMatchLimitOne" && !returnAttributes, "data is read one item at a time");
      const copy = new Uint8Array(found[0]!.data);
      this.#write(result, this.#make("data", copy, true, "copied data", copy));
    } else {
      this.#expect(returnAttributes && limitName === "kSecMatchLimitAll", "listing returns attributes of all");
      const children = found.map((item) => {
        const name = this.#make("string", item.account, false, `borrowed "${item.account}"`);
        const attributes = new Map([["kSecAttrAccount", this.#handle(name)]]);
        return this.#handle(this.#make("dictionary", attributes, false, "borrowed attributes"));
      });
      this.#write(result, this.#make("array", children, true, "copied list"));
    }
    return errSecSuccess;
  }

  #add(attributes: Deno.PointerValue): number {
    const { entries, service, account } = this.#decode(attributes, "SecItemAdd");
    const data = entries.get("kSecValueData");
    this.#expect(data !== undefined && account !== undefined, "SecItemAdd: account and data");
    const access = entries.get("kSecAttrAccess");
    this.calls.push(`SecItemAdd(${service}/${account}${access === undefined ? "" : ",access"})`);
    const status = this.#fault("SecItemAdd");
    if (status !== errSecSuccess) return status;
    if (this.#matching(service, account).length > 0) return errSecDuplicateItem;
    const item: FakeItem = {
      service: service!,
      account: account!,
      data: new Uint8Array(this.#live(data!, "data").value as Uint8Array),
    };
    if (access !== undefined) item.access = this.#live(access, "access").value as NonNullable<FakeItem["access"]>;
    this.items.push(item);
    return errSecSuccess;
  }

  #update(query: Deno.PointerValue, update: Deno.PointerValue): number {
    const { entries, service, account } = this.#decode(query, "SecItemUpdate");
    this.#expect(!entries.has("kSecValueData") && !entries.has("kSecReturnData"), "SecItemUpdate: a pure query");
    const changes = this.#live(this.#handle(update), "SecItemUpdate attributes").value as Map<string, bigint>;
    this.#expect([...changes.keys()].join() === "kSecValueData", "SecItemUpdate changes the data only (ACL kept)");
    this.calls.push(`SecItemUpdate(${service}/${account})`);
    const status = this.#fault("SecItemUpdate");
    if (status !== errSecSuccess) return status;
    const found = this.#matching(service, account);
    if (found.length === 0) return errSecItemNotFound;
    for (const item of found) {
      item.data = new Uint8Array(this.#live(changes.get("kSecValueData")!, "data").value as Uint8Array);
    }
    return errSecSuccess;
  }

  #delete(query: Deno.PointerValue): number {
    const { entries, service, account } = this.#decode(query, "SecItemDelete");
    this.#expect(entries.size === 3 && account !== undefined, "SecItemDelete: class, service and account only");
    this.calls.push(`SecItemDelete(${service}/${account})`);
    const status = this.#fault("SecItemDelete");
    if (status !== errSecSuccess) return status;
    const found = this.#matching(service, account);
    if (found.length === 0) return errSecItemNotFound;
    for (const item of found) this.items.splice(this.items.indexOf(item), 1);
    return errSecSuccess;
  }

  // --- handles ------------------------------------------------------------------------------------------------
  #make(kind: Kind, value: unknown, owned: boolean, label: string, backing?: Uint8Array<ArrayBuffer>) {
    const handle = this.#next;
    this.#next += 0x10n;
    this.#objects.set(handle, { kind, value, owned, released: 0, label, ...(backing ? { backing } : {}) });
    return Deno.UnsafePointer.create(handle)!;
  }

  #handle(pointer: Deno.PointerValue): bigint {
    this.#expect(pointer !== null, "a NULL CF object was passed");
    return BigInt(Deno.UnsafePointer.value(pointer));
  }

  #same(a: Deno.PointerValue, b: Deno.PointerValue): boolean {
    return a !== null && b !== null && Deno.UnsafePointer.equals(a, b);
  }

  #live(handle: bigint, what: string): FakeObject {
    const object = this.#objects.get(handle);
    this.#expect(object !== undefined, `${what}: unknown object`);
    this.#expect(object!.released === 0, `${what}: ${object!.label} used after CFRelease`);
    return object!;
  }

  #pointers(buffer: AllowSharedBufferSource | null, count: number): bigint[] {
    const bytes = buffer as Uint8Array;
    const cells = new BigUint64Array(bytes.buffer, bytes.byteOffset, Math.max(1, count));
    return Array.from(cells.subarray(0, count));
  }

  #write(out: AllowSharedBufferSource | null, pointer: Deno.PointerObject): void {
    this.#expect(out !== null, "an out-parameter was NULL");
    const bytes = out as Uint8Array;
    new BigUint64Array(bytes.buffer, bytes.byteOffset, 1)[0] = BigInt(Deno.UnsafePointer.value(pointer));
  }

  #fault(fn: string): number {
    const queued = this.#faults.get(fn);
    return queued === undefined || queued.length === 0 ? errSecSuccess : queued.shift()!;
  }

  #expect(condition: boolean, message: string): void {
    if (!condition) throw new Error(`keychain fake: ${message}`);
  }
}
