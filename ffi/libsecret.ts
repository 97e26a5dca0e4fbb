/**
 * Linux backend: the freedesktop Secret Service (gnome-keyring, KWallet's bridge, KeePassXC) through libsecret,
 * called directly with Deno FFI. No secret-tool process, no fallback to a file or the kernel keyring.
 *
 * Layout (Python `keyring`'s SecretService backend, keyring/backends/SecretService.py, jaraco/keyring):
 *   collection alias "default"; attributes {service, username, application: "Python keyring library"};
 *   label "Password for '{username}' on '{service}'".
 * libsecret adds `xdg:schema` to every item it stores, so our items carry xdg:schema =
 * "org.freedesktop.Secret.Generic" as well: the exact attribute set of Python keyring's libsecret backend
 * (keyring/backends/libsecret.py), and a superset of its SecretService backend's, which matches by subset.
 * Lookups use a second schema flagged SECRET_SCHEMA_DONT_MATCH_NAME with only {service, username}, so items that
 * Python keyring wrote without xdg:schema are found, overwritten in place and deleted, never duplicated.
 */
import { addressOf, cString, OutPointer, pinLibrary, readCString, symbolAddresses, wipe } from "./_native.ts";
import { assertEntry, type Keyring, KeyringError, type KeyringErrorKind } from "../src/keyring/keyring.ts";

/** Sonames of the libraries, as Debian 12/13 ship them (libsecret-1-0, libglib2.0-0). */
export const LIBSECRET_SONAME = "libsecret-1.so.0";
const LIBGLIB_SONAME = "libglib-2.0.so.0";
const LIBGOBJECT_SONAME = "libgobject-2.0.so.0";
const LIBGIO_SONAME = "libgio-2.0.so.0";

/** Python keyring's SecretService backend: `appid` (keyring/backends/SecretService.py). */
export const PYTHON_KEYRING_APPLICATION = "Python keyring library";
/** The generic schema name that secret-tool and Python keyring's libsecret backend use (keyring/backends/libsecret.py). */
export const GENERIC_SCHEMA_NAME = "org.freedesktop.Secret.Generic";

// libsecret/secret-schema.h
const SECRET_SCHEMA_NONE = 0;
const SECRET_SCHEMA_DONT_MATCH_NAME = 1 << 1;
const SECRET_SCHEMA_ATTRIBUTE_STRING = 0;
// libsecret/secret-types.h: SecretSearchFlags
const SECRET_SEARCH_ALL = 1 << 1;
// libsecret/secret-service.h: SecretServiceFlags
const SECRET_SERVICE_NONE = 0;
// libsecret/secret-collection.h: SecretCollectionFlags
const SECRET_COLLECTION_NONE = 0;
// libsecret/secret-types.h: SecretError (its quark string is "secret-error", libsecret/secret-util.c)
const SECRET_ERROR_IS_LOCKED = 2;
const SECRET_ERROR_NO_SUCH_OBJECT = 3;
// gio/gioenums.h: GIOErrorEnum (domain "g-io-error-quark")
const G_IO_ERROR_NOT_FOUND = 1;
const G_IO_ERROR_PERMISSION_DENIED = 14;
const G_IO_ERROR_NOT_SUPPORTED = 15;
const G_IO_ERROR_CANCELLED = 19;
const G_IO_ERROR_TIMED_OUT = 24;
// gio/gioenums.h: GDBusError (domain "g-dbus-error-quark")
const G_DBUS_ERROR_SERVICE_UNKNOWN = 2;
const G_DBUS_ERROR_NAME_HAS_NO_OWNER = 3;
const G_DBUS_ERROR_NO_REPLY = 4;
const G_DBUS_ERROR_ACCESS_DENIED = 9;
const G_DBUS_ERROR_AUTH_FAILED = 10;
const G_DBUS_ERROR_NO_SERVER = 11;
const G_DBUS_ERROR_TIMEOUT = 12;
const G_DBUS_ERROR_DISCONNECTED = 15;
const G_DBUS_ERROR_TIMED_OUT = 20;
const G_DBUS_ERROR_SPAWN_FIRST = 23; // G_DBUS_ERROR_SPAWN_EXEC_FAILED
const G_DBUS_ERROR_SPAWN_LAST = 31; // G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND

/** `sizeof(SecretSchema)` on LP64 (libsecret/secret-schema.h): name, flags(+pad), attributes[32], reserved fields. */
const SECRET_SCHEMA_SIZE = 592;
const SECRET_SCHEMA_ATTRIBUTES_OFFSET = 16;
const SECRET_SCHEMA_ATTRIBUTE_SIZE = 16; // { const gchar *name; SecretSchemaAttributeType type; } + pad
const SECRET_SCHEMA_MAX_ATTRIBUTES = 32;

const SECRET_SYMBOLS = {
  secret_password_storev_sync: { // libsecret/secret-password.h
    parameters: [
      "buffer", // const SecretSchema *schema
      "pointer", // GHashTable *attributes
      "buffer", // const gchar *collection
      "buffer", // const gchar *label
      "buffer", // const gchar *password
      "pointer", // GCancellable *cancellable
      "buffer", // GError **error
    ],
    result: "i32", // gboolean
    nonblocking: true,
  },
  secret_password_lookupv_sync: { // libsecret/secret-password.h
    parameters: ["buffer", "pointer", "pointer", "buffer"], // schema, attributes, cancellable, error
    result: "pointer", // gchar * (NULL: not found), free with secret_password_free
    nonblocking: true,
  },
  secret_password_clearv_sync: { // libsecret/secret-password.h
    parameters: ["buffer", "pointer", "pointer", "buffer"], // schema, attributes, cancellable, error
    result: "i32", // gboolean: TRUE if anything was removed
    nonblocking: true,
  },
  secret_password_searchv_sync: { // libsecret/secret-password.h (since 0.19)
    parameters: ["buffer", "pointer", "u32", "pointer", "buffer"], // schema, attributes, SecretSearchFlags, ...
    result: "pointer", // GList * of SecretRetrievable * (transfer full)
    nonblocking: true,
  },
  secret_password_free: { parameters: ["pointer"], result: "void" }, // void (gchar *password): wipes, then frees
  secret_retrievable_get_attributes: { // libsecret/secret-retrievable.h
    parameters: ["pointer"], // SecretRetrievable *self
    result: "pointer", // GHashTable * (transfer full)
  },
  secret_item_set_secret_sync: { // libsecret/secret-item.h
    parameters: ["pointer", "pointer", "pointer", "buffer"], // SecretItem *, SecretValue *, cancellable, error
    result: "i32",
    nonblocking: true,
  },
  secret_item_delete_sync: { // libsecret/secret-item.h
    parameters: ["pointer", "pointer", "buffer"], // SecretItem *, cancellable, error
    result: "i32",
    nonblocking: true,
  },
  secret_service_get_sync: { // libsecret/secret-service.h
    parameters: ["u32", "pointer", "buffer"], // SecretServiceFlags, GCancellable *, GError **
    result: "pointer", // SecretService * (transfer full; a shared per-process proxy)
    nonblocking: true,
  },
  secret_collection_for_alias_sync: { // libsecret/secret-collection.h
    parameters: ["pointer", "buffer", "u32", "pointer", "buffer"], // SecretService * (libsecret 0.20: not NULL), alias,
    // SecretCollectionFlags, GCancellable *, GError **
    result: "pointer", // SecretCollection * (transfer full), NULL when the alias does not exist
    nonblocking: true,
  },
  secret_collection_get_locked: { parameters: ["pointer"], result: "i32" }, // gboolean (SecretCollection *self)
  secret_item_get_locked: { parameters: ["pointer"], result: "i32" }, // gboolean (SecretItem *self), secret-item.h
  secret_value_new: { // libsecret/secret-value.h: copies the secret
    parameters: ["buffer", "isize", "buffer"], // const gchar *secret, gssize length, const gchar *content_type
    result: "pointer", // SecretValue *
  },
  secret_value_unref: { parameters: ["pointer"], result: "void" }, // void (gpointer value)
} as const satisfies Deno.ForeignLibraryInterface;

const GLIB_SYMBOLS = {
  g_hash_table_new: { parameters: ["pointer", "pointer"], result: "pointer" }, // (GHashFunc, GEqualFunc)
  g_hash_table_insert: { parameters: ["pointer", "buffer", "buffer"], result: "i32" }, // (table, key, value)
  g_hash_table_lookup: { parameters: ["pointer", "buffer"], result: "pointer" }, // (table, key) -> value
  g_hash_table_unref: { parameters: ["pointer"], result: "void" },
  g_error_free: { parameters: ["pointer"], result: "void" },
  g_quark_to_string: { parameters: ["u32"], result: "pointer" }, // (GQuark) -> const gchar *
  g_list_free: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

const GOBJECT_SYMBOLS = {
  g_object_unref: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

const GIO_SYMBOLS = {
  g_cancellable_new: { parameters: [], result: "pointer" }, // GCancellable *
  g_cancellable_cancel: { parameters: ["pointer"], result: "void" }, // thread-safe
} as const satisfies Deno.ForeignLibraryInterface;

interface Natives {
  secret: Deno.DynamicLibrary<typeof SECRET_SYMBOLS>["symbols"];
  glib: Deno.DynamicLibrary<typeof GLIB_SYMBOLS>["symbols"];
  gobject: Deno.DynamicLibrary<typeof GOBJECT_SYMBOLS>["symbols"];
  gio: Deno.DynamicLibrary<typeof GIO_SYMBOLS>["symbols"];
  strHash: Deno.PointerObject;
  strEqual: Deno.PointerObject;
}

/** Where the Secret Service install hint points; the same text in every "unavailable" message. */
export const SECRET_SERVICE_INSTALL_HINT =
  "install libsecret and a Secret Service (Debian/Ubuntu: sudo apt-get install libsecret-1-0 gnome-keyring; " +
  "Fedora: sudo dnf install libsecret gnome-keyring)";

const NO_SESSION_HINT = "run inside a desktop login session, or start a D-Bus session and a keyring for this shell: " +
  "dbus-run-session -- sh, then inside it: printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --unlock " +
  "--components=secrets (see docs/KEYRING.md, 'Headless Linux')";

/** A (attribute name, value) table as GLib wants it, with the buffers kept alive for the native call. */
class Attributes {
  readonly table: Deno.PointerValue;
  readonly #buffers: Uint8Array[] = [];
  readonly #natives: Natives;

  constructor(natives: Natives, entries: Record<string, string>) {
    this.#natives = natives;
    this.table = natives.glib.g_hash_table_new(natives.strHash, natives.strEqual);
    for (const [name, value] of Object.entries(entries)) {
      const key = cString(name);
      const text = cString(value);
      this.#buffers.push(key, text);
      natives.glib.g_hash_table_insert(this.table, key, text);
    }
  }

  /** Frees the table (it owns neither keys nor values); call only after the native call has returned. */
  free(): void {
    if (poisoned) return;
    this.#natives.glib.g_hash_table_unref(this.table);
    this.#buffers.length = 0;
  }
}

/** A `SecretSchema` struct in JS memory whose string fields point into buffers kept alive by this object. */
class Schema {
  readonly struct = new Uint8Array(SECRET_SCHEMA_SIZE);
  readonly #strings: Uint8Array[] = [];

  constructor(name: string, flags: number, attributes: readonly string[]) {
    if (attributes.length >= SECRET_SCHEMA_MAX_ATTRIBUTES) throw new Error("too many schema attributes");
    const view = new DataView(this.struct.buffer);
    view.setBigUint64(0, this.#keep(name), true);
    view.setUint32(8, flags, true);
    attributes.forEach((attribute, i) => {
      const at = SECRET_SCHEMA_ATTRIBUTES_OFFSET + i * SECRET_SCHEMA_ATTRIBUTE_SIZE;
      view.setBigUint64(at, this.#keep(attribute), true);
      view.setUint32(at + 8, SECRET_SCHEMA_ATTRIBUTE_STRING, true);
    }); // the entry after the last one stays zeroed: the list ends at a NULL name
  }

  #keep(text: string): bigint {
    const bytes = cString(text);
    this.#strings.push(bytes);
    return addressOf(bytes);
  }
}

/** Stores: every attribute that Python keyring writes, under the generic schema name. */
const STORE_SCHEMA = new Schema(GENERIC_SCHEMA_NAME, SECRET_SCHEMA_NONE, ["service", "username", "application"]);
/** Lookups, searches and deletes: only {service, username}, and xdg:schema not matched (DONT_MATCH_NAME). */
const MATCH_SCHEMA = new Schema(GENERIC_SCHEMA_NAME, SECRET_SCHEMA_DONT_MATCH_NAME, ["service", "username"]);

let natives: Natives | undefined;

/**
 * Set when a native call was given up on at its deadline: it may still run on a pool thread and touch attribute
 * tables, C strings, the secret's buffer or GObjects. From then on this module frees, unrefs and wipes nothing
 * (a leak, on purpose) and refuses further calls. A given-up call is rare (a prompt nobody sees, a stuck daemon);
 * the process ends soon after. `abandoned` keeps the JS buffers of the running call reachable.
 */
let poisoned = false;
const abandoned: unknown[] = [];

/** Options for {@link openLibsecret}. */
export interface LibsecretOptions {
  /** Library file to open instead of the soname (tests point this at a missing file). */
  libraryPath?: string;
  /** How long one keyring call may take before it is cancelled (default 20 s: a prompt that cannot show). */
  timeoutMs?: number;
}

/**
 * Opens libsecret (once per process) and returns the Secret Service keyring. Nothing is loaded at import time.
 * Throws a `KeyringError` of kind `unavailable`, with the install command, when the library is missing.
 *
 * @example
 * ```ts
 * const keyring = openLibsecret();
 * await keyring.set("amrs", "API_KEY", "value");
 * ```
 */
export function openLibsecret(options: LibsecretOptions = {}): SecretServiceKeyring {
  if (natives === undefined || options.libraryPath !== undefined) {
    const path = options.libraryPath ?? LIBSECRET_SONAME;
    let secret;
    try {
      pinLibrary(path);
      secret = Deno.dlopen(path, SECRET_SYMBOLS).symbols;
    } catch (cause) {
      throw new KeyringError("unavailable", `libsecret could not be loaded (${path}): ${describe(cause)}`, {
        hint: SECRET_SERVICE_INSTALL_HINT,
        nativeCode: "dlopen",
        cause,
      });
    }
    // libsecret links these; opening them by soname only takes another reference.
    const addresses = symbolAddresses(LIBGLIB_SONAME, ["g_str_hash", "g_str_equal"]);
    natives = {
      secret,
      glib: Deno.dlopen(LIBGLIB_SONAME, GLIB_SYMBOLS).symbols,
      gobject: Deno.dlopen(LIBGOBJECT_SONAME, GOBJECT_SYMBOLS).symbols,
      gio: Deno.dlopen(LIBGIO_SONAME, GIO_SYMBOLS).symbols,
      strHash: addresses.get("g_str_hash")!,
      strEqual: addresses.get("g_str_equal")!,
    };
  }
  return new SecretServiceKeyring(natives, options.timeoutMs ?? 20_000);
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** The Secret Service keyring. Create it with {@link openLibsecret}. */
export class SecretServiceKeyring implements Keyring {
  readonly backend = "secret-service" as const;
  readonly #natives: Natives;
  readonly #timeoutMs: number;

  constructor(natives: Natives, timeoutMs: number) {
    this.#natives = natives;
    this.#timeoutMs = timeoutMs;
  }

  #unref(object: Deno.PointerObject): void {
    if (!poisoned) this.#natives.gobject.g_object_unref(object);
  }

  async probe(service: string): Promise<void> {
    assertEntry(service);
    const alias = cString("default");
    const secretService = await this.#call(
      "connect",
      (cancellable, error) => this.#natives.secret.secret_service_get_sync(SECRET_SERVICE_NONE, cancellable, error),
    );
    if (secretService === null) throw new KeyringError("unavailable", "the Secret Service could not be reached");
    let collection: Deno.PointerValue;
    try {
      collection = await this.#call(
        "open the default collection",
        (cancellable, error) =>
          this.#natives.secret.secret_collection_for_alias_sync(
            secretService,
            alias,
            SECRET_COLLECTION_NONE,
            cancellable,
            error,
          ),
      );
    } finally {
      this.#unref(secretService);
    }
    if (collection === null) {
      // No default collection yet: the first write creates it, which needs a prompt on most desktops.
      const [, hint] = classifyGError("secret-error", SECRET_ERROR_NO_SUCH_OBJECT, "");
      throw new KeyringError("locked", "the Secret Service has no default collection (login keyring)", { hint });
    }
    try {
      if (this.#natives.secret.secret_collection_get_locked(collection) !== 0) throw lockedError("probe");
    } finally {
      this.#unref(collection);
    }
  }

  async get(service: string, account: string): Promise<string | undefined> {
    assertEntry(service, account);
    const attributes = new Attributes(this.#natives, { service, username: account });
    try {
      const found = await this.#call(
        "read",
        (cancellable, error) =>
          this.#natives.secret.secret_password_lookupv_sync(MATCH_SCHEMA.struct, attributes.table, cancellable, error),
      );
      if (found === null) {
        // libsecret answers "nothing" when the matching items are locked and the unlock prompt cannot show:
        // tell that apart from a real miss, so a locked keyring is never mistaken for an empty one.
        await this.#assertNoLockedItems(service, account, "read");
        return undefined;
      }
      try {
        return readCString(found);
      } finally {
        this.#natives.secret.secret_password_free(found);
      }
    } finally {
      attributes.free();
    }
  }

  async set(service: string, account: string, value: string): Promise<void> {
    assertEntry(service, account);
    if (value.includes("\0")) {
      throw new KeyringError(
        "bad_value",
        "the value contains a NUL character, which the Secret Service text API cannot store",
      );
    }
    const secret = cString(value);
    try {
      const items = await this.#search(service, account);
      try {
        const [first, ...duplicates] = items;
        if (first === undefined) {
          await this.#store(service, account, secret);
        } else {
          // Update in place: the item keeps its identity and attributes (Python's or ours).
          await this.#setSecret(first, secret);
          for (const duplicate of duplicates) await this.#deleteItem(duplicate);
        }
      } finally {
        for (const item of items) this.#unref(item);
      }
    } finally {
      if (!poisoned) wipe(secret);
    }
  }

  async delete(service: string, account: string): Promise<boolean> {
    assertEntry(service, account);
    const attributes = new Attributes(this.#natives, { service, username: account });
    try {
      // clearv removes every matching item, so duplicates left by other tools go too.
      const removed = await this.#call(
        "delete",
        (cancellable, error) =>
          this.#natives.secret.secret_password_clearv_sync(MATCH_SCHEMA.struct, attributes.table, cancellable, error),
      );
      if (removed === 0) await this.#assertNoLockedItems(service, account, "delete");
      return removed !== 0;
    } finally {
      attributes.free();
    }
  }

  async list(service: string): Promise<string[]> {
    assertEntry(service);
    const items = await this.#search(service);
    const names = new Set<string>();
    const username = cString("username");
    try {
      for (const item of items) {
        const table = this.#natives.secret.secret_retrievable_get_attributes(item);
        if (table === null) continue;
        try {
          const name = readCString(this.#natives.glib.g_hash_table_lookup(table, username));
          if (name !== undefined && name !== "") names.add(name);
        } finally {
          this.#natives.glib.g_hash_table_unref(table);
        }
      }
    } finally {
      for (const item of items) this.#unref(item);
    }
    return [...names].sort();
  }

  async #assertNoLockedItems(service: string, account: string, operation: string): Promise<void> {
    const items = await this.#search(service, account);
    try {
      if (items.some((item) => this.#natives.secret.secret_item_get_locked(item) !== 0)) throw lockedError(operation);
    } finally {
      for (const item of items) this.#unref(item);
    }
  }

  /** Every item matching {service[, username]}, locked ones included; the caller unrefs each. */
  async #search(service: string, account?: string): Promise<Deno.PointerObject[]> {
    const attributes = new Attributes(
      this.#natives,
      account === undefined ? { service } : { service, username: account },
    );
    try {
      const list = await this.#call("search", (cancellable, error) =>
        this.#natives.secret.secret_password_searchv_sync(
          MATCH_SCHEMA.struct,
          attributes.table,
          SECRET_SEARCH_ALL,
          cancellable,
          error,
        ));
      const items: Deno.PointerObject[] = [];
      // GList (glib/glist.h): { gpointer data @0; GList *next @8; GList *prev @16 }
      for (let node = list; node !== null; node = new Deno.UnsafePointerView(node).getPointer(8)) {
        const data = new Deno.UnsafePointerView(node).getPointer(0);
        if (data !== null) items.push(data);
      }
      if (!poisoned) this.#natives.glib.g_list_free(list);
      return items;
    } finally {
      attributes.free();
    }
  }

  async #store(service: string, account: string, secret: Uint8Array<ArrayBuffer>): Promise<void> {
    const attributes = new Attributes(this.#natives, {
      service,
      username: account,
      application: PYTHON_KEYRING_APPLICATION,
    });
    const collection = cString("default");
    const label = cString(`Password for '${account}' on '${service}'`);
    try {
      const ok = await this.#call("write", (cancellable, error) =>
        this.#natives.secret.secret_password_storev_sync(
          STORE_SCHEMA.struct,
          attributes.table,
          collection,
          label,
          secret,
          cancellable,
          error,
        ));
      if (ok === 0) throw new KeyringError("platform", "the Secret Service did not store the item (no error given)");
    } finally {
      attributes.free();
    }
  }

  async #setSecret(item: Deno.PointerObject, secret: Uint8Array<ArrayBuffer>): Promise<void> {
    const contentType = cString("text/plain");
    // secret_value_new copies the bytes; length excludes the NUL terminator.
    const value = this.#natives.secret.secret_value_new(secret, BigInt(secret.length - 1), contentType);
    try {
      await this.#call(
        "write",
        (cancellable, error) => this.#natives.secret.secret_item_set_secret_sync(item, value, cancellable, error),
      );
    } finally {
      if (!poisoned) this.#natives.secret.secret_value_unref(value);
    }
  }

  async #deleteItem(item: Deno.PointerObject): Promise<void> {
    await this.#call(
      "delete",
      (cancellable, error) => this.#natives.secret.secret_item_delete_sync(item, cancellable, error),
    );
  }

  /**
   * Runs one blocking libsecret call on Deno's FFI thread pool with a GCancellable that fires at the deadline, and
   * turns a GError into a KeyringError. If the native call ignores the cancellation, the caller still gets a
   * timeout error shortly after (the native thread is abandoned; the process exits soon anyway).
   */
  async #call<T>(
    operation: string,
    run: (cancellable: Deno.PointerValue, error: Uint8Array<ArrayBuffer>) => Promise<T>,
  ): Promise<T> {
    if (poisoned) throw this.#timeout(operation);
    const { gio, gobject } = this.#natives;
    const cancellable = gio.g_cancellable_new();
    const error = new OutPointer();
    let timedOut = false;
    let giveUp: ((reason: KeyringError) => void) | undefined;
    const cancelTimer = setTimeout(() => {
      timedOut = true;
      gio.g_cancellable_cancel(cancellable);
    }, this.#timeoutMs);
    const giveUpTimer = setTimeout(() => {
      abandoned.push(run, error, cancellable);
      poisoned = true;
      giveUp?.(this.#timeout(operation));
    }, this.#timeoutMs + 2_000);
    try {
      const result = await Promise.race([
        run(cancellable, error.buffer),
        new Promise<never>((_, reject) => giveUp = reject),
      ]);
      const gerror = error.pointer;
      if (gerror !== null) throw timedOut ? this.#timeout(operation) : this.#fromGError(gerror, operation);
      return result;
    } finally {
      clearTimeout(cancelTimer);
      clearTimeout(giveUpTimer);
      if (!timedOut) gobject.g_object_unref(cancellable);
    }
  }

  #timeout(operation: string): KeyringError {
    return new KeyringError(
      "timeout",
      `the Secret Service did not answer a ${operation} within ${Math.round(this.#timeoutMs / 1000)} s`,
      { hint: "a keyring prompt may be waiting on a desktop that nobody sees; unlock the keyring and try again" },
    );
  }

  /** GError (glib/gerror.h: { GQuark domain @0; gint code @4; gchar *message @8 }) -> KeyringError; frees it. */
  #fromGError(gerror: Deno.PointerObject, operation: string): KeyringError {
    const view = new Deno.UnsafePointerView(gerror);
    const domain = readCString(this.#natives.glib.g_quark_to_string(view.getUint32(0))) ?? "unknown-domain";
    const code = view.getInt32(4);
    const message = readCString(view.getPointer(8)) ?? "";
    this.#natives.glib.g_error_free(gerror);
    const [kind, hint] = classifyGError(domain, code, message);
    return new KeyringError(kind, `Secret Service ${operation} failed: ${message} [${domain} ${code}]`, {
      hint,
      nativeCode: `${domain}/${code}`,
    });
  }
}

function lockedError(operation: string): KeyringError {
  const [, hint] = classifyGError("secret-error", SECRET_ERROR_IS_LOCKED, "");
  return new KeyringError("locked", `Secret Service ${operation} failed: the login keyring is locked`, {
    hint,
    nativeCode: `secret-error/${SECRET_ERROR_IS_LOCKED}`,
  });
}

/**
 * Maps a GError to a kind and a fix. Exported for the unit test that pins the table.
 * The messages come from GLib/libsecret/the daemon and name no secret values.
 */
export function classifyGError(domain: string, code: number, message: string): [KeyringErrorKind, string] {
  const locked: [KeyringErrorKind, string] = [
    "locked",
    "unlock the login keyring (log in to the desktop, or for a headless session: printf '%s' \"$PASSWORD\" | " +
    "gnome-keyring-daemon --unlock --replace --components=secrets), then run this again",
  ];
  const denied: [KeyringErrorKind, string] = [
    "denied",
    "allow this program in the keyring prompt, or check the Secret Service's access rules",
  ];
  const noService: [KeyringErrorKind, string] = [
    "unavailable",
    `no Secret Service answers on the session bus: start one (gnome-keyring-daemon --start --components=secrets) ` +
    `or ${SECRET_SERVICE_INSTALL_HINT}`,
  ];
  if (domain === "secret-error") {
    if (code === SECRET_ERROR_IS_LOCKED) return locked;
    if (code === SECRET_ERROR_NO_SUCH_OBJECT) {
      return ["locked", "the default collection (login keyring) does not exist or cannot be opened; " + locked[1]];
    }
  }
  if (domain === "g-io-error-quark") {
    if (code === G_IO_ERROR_CANCELLED) return denied; // a prompt dismissed by the user, or our own cancellation
    if (code === G_IO_ERROR_PERMISSION_DENIED) return denied;
    if (code === G_IO_ERROR_TIMED_OUT) return ["timeout", "the keyring did not answer; unlock it and try again"];
    // g_bus_get_sync: no DBUS_SESSION_BUS_ADDRESS and no X11 display to autolaunch one.
    if (code === G_IO_ERROR_NOT_FOUND || code === G_IO_ERROR_NOT_SUPPORTED || /autolaunch|D-Bus/i.test(message)) {
      return ["no_session", `no D-Bus session bus is reachable; ${NO_SESSION_HINT}`];
    }
  }
  if (domain === "g-dbus-error-quark") {
    if (code === G_DBUS_ERROR_ACCESS_DENIED || code === G_DBUS_ERROR_AUTH_FAILED) return denied;
    if (
      code === G_DBUS_ERROR_SERVICE_UNKNOWN || code === G_DBUS_ERROR_NAME_HAS_NO_OWNER ||
      (code >= G_DBUS_ERROR_SPAWN_FIRST && code <= G_DBUS_ERROR_SPAWN_LAST)
    ) return noService;
    if (code === G_DBUS_ERROR_NO_SERVER || code === G_DBUS_ERROR_DISCONNECTED) {
      return ["no_session", `the D-Bus session bus went away; ${NO_SESSION_HINT}`];
    }
    if (code === G_DBUS_ERROR_NO_REPLY || code === G_DBUS_ERROR_TIMEOUT || code === G_DBUS_ERROR_TIMED_OUT) {
      return ["timeout", "the Secret Service did not reply; a prompt may be waiting, or the daemon is stuck"];
    }
    // Remote errors that GLib has no code for arrive as FAILED with the D-Bus error name in the message.
    if (/org\.freedesktop\.Secret\.Error\.IsLocked/.test(message)) return locked;
    if (/org\.freedesktop\.DBus\.Error\.ServiceUnknown/.test(message)) return noService;
  }
  return ["platform", "see the native error above; docs/KEYRING.md lists the usual causes"];
}
