/**
 * Small helpers shared by the FFI bindings: C strings, out-parameters, and symbol addresses through libc's dlsym.
 * Nothing here opens a library at import time.
 */

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `text`, for a `const char *` parameter. Zero it with `wipe` if it held a secret. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  bytes.fill(0);
  return out;
}

/** Overwrites buffers that held secret bytes. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}

/** Reads a NUL-terminated UTF-8 string at `pointer`; `undefined` for NULL. */
export function readCString(pointer: Deno.PointerValue): string | undefined {
  return pointer === null ? undefined : Deno.UnsafePointerView.getCString(pointer);
}

/** The numeric address of a buffer or pointer, for writing into a C struct. */
export function addressOf(target: Uint8Array | Deno.PointerValue): bigint {
  const pointer = target instanceof Uint8Array ? Deno.UnsafePointer.of(target) : target;
  return BigInt(Deno.UnsafePointer.value(pointer));
}

/**
 * One pointer-sized out-parameter (`T **out`): pass `.buffer` to the native call, read `.pointer` afterwards.
 */
export class OutPointer {
  readonly #cell = new BigUint64Array(1);
  readonly buffer: Uint8Array<ArrayBuffer> = new Uint8Array(this.#cell.buffer);

  get pointer(): Deno.PointerValue {
    return Deno.UnsafePointer.create(this.#cell[0] ?? 0n);
  }

  clear(): void {
    this.#cell[0] = 0n;
  }
}

// dlfcn.h (glibc, bits/dlfcn.h): RTLD_NOW = 0x2, RTLD_NODELETE = 0x1000 (pinLibrary is used on Linux only; macOS's
// dlfcn.h has RTLD_NOW = 0x2 too, and RTLD_NODELETE = 0x80). dlsym returns a symbol's address, which
// Deno's own symbol table cannot give.
const RTLD_NOW = 0x2;
const RTLD_NODELETE = 0x1000;
const LIBDL_SYMBOLS = {
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" }, // void *dlopen(const char *filename, int flags)
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" }, // void *dlsym(void *handle, const char *symbol)
  dlerror: { parameters: [], result: "pointer" }, // char *dlerror(void)
} as const satisfies Deno.ForeignLibraryInterface;

let libdl: Deno.DynamicLibrary<typeof LIBDL_SYMBOLS> | undefined;

/** Where dlopen/dlsym live: glibc's libc.so.6 on Linux, libSystem on macOS (dlfcn.h). */
function openLibdl(): Deno.DynamicLibrary<typeof LIBDL_SYMBOLS> {
  libdl ??= Deno.dlopen(Deno.build.os === "darwin" ? "/usr/lib/libSystem.B.dylib" : "libc.so.6", LIBDL_SYMBOLS);
  return libdl;
}

/**
 * Loads `library` for the life of the process (RTLD_NODELETE). GObject-based libraries such as libsecret register
 * their types once per process; if Deno closed and reopened them (a second module instance, as in a test run), the
 * types would be registered again against unloaded code. Throws with dlerror()'s text when it cannot be loaded.
 */
export function pinLibrary(library: string): void {
  const dl = openLibdl();
  if (dl.symbols.dlopen(cString(library), RTLD_NOW | RTLD_NODELETE) === null) {
    throw new Error(readCString(dl.symbols.dlerror()) ?? `dlopen(${library}) failed`);
  }
}

/**
 * The addresses of `names` in `library`, looked up with libc's `dlopen`/`dlsym` (glibc, `libc.so.6`).
 * Used for function pointers that a C API wants as arguments, such as `g_str_hash`.
 */
export function symbolAddresses(library: string, names: readonly string[]): Map<string, Deno.PointerObject> {
  const dl = openLibdl();
  const handle = dl.symbols.dlopen(cString(library), RTLD_NOW);
  if (handle === null) {
    throw new Error(`dlopen(${library}) failed: ${readCString(dl.symbols.dlerror()) ?? "unknown error"}`);
  }
  const found = new Map<string, Deno.PointerObject>();
  for (const name of names) {
    const address = dl.symbols.dlsym(handle, cString(name));
    if (address === null) throw new Error(`dlsym(${library}, ${name}) found nothing`);
    found.set(name, address);
  }
  // The handle is kept: dlopen counts references, and the library stays loaded for the process anyway.
  return found;
}
