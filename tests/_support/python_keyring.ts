import { runCollect } from "../../src/subprocess.ts";

/** Drives Debian's Python keyring (tests/_support/python_keyring.py) with values on stdin, never in argv. */

/** Debian's interpreter: `python3` on PATH may be another one without the `keyring` module. */
export const DEBIAN_PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./python_keyring.py", import.meta.url).pathname;

export interface PythonItem {
  attributes: Record<string, string>;
  label: string;
  locked: boolean;
  /** Modification time (seconds) as the Secret Service reports it. */
  modified: number;
}

async function call<T>(request: Record<string, unknown>, env: Record<string, string> = {}): Promise<T> {
  const { code, stdout, stderr } = await runCollect(DEBIAN_PYTHON, [SCRIPT], {
    input: JSON.stringify(request),
    // SecretService explicitly: the chainer would also try others; the app uses this one on Linux.
    env: request.op === "backend" ? env : { ...env, PYTHON_KEYRING_BACKEND: "keyring.backends.SecretService.Keyring" },
  });
  if (code !== 0) throw new Error(`python keyring ${request.op} failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as T;
}

/** Python keyring on the session bus of `env` (default: this process's own). */
export function pythonKeyringOn(env: Record<string, string> = {}) {
  return {
    /** The backends Python keyring picks by itself (no PYTHON_KEYRING_BACKEND), best first. */
    backends: () => call<{ backends: string[] }>({ op: "backend" }, env).then((r) => r.backends),
    get: (service: string, name: string) =>
      call<{ value: string | null }>({ op: "get", service, name }, env).then((r) => r.value),
    set: (service: string, name: string, value: string) =>
      call({ op: "set", service, name, value }, env).then(() => {}),
    delete: (service: string, name: string) =>
      call<{ ok: boolean }>({ op: "delete", service, name }, env).then((r) => r.ok),
    /** Every Secret Service item matching {service, username}, in any collection. */
    items: (service: string, name: string) =>
      call<{ items: PythonItem[] }>({ op: "items", service, name }, env).then((r) => r.items),
    /** A second item for {service, username}, with an extra attribute, as another tool might leave. */
    createDuplicate: (service: string, name: string, value: string) =>
      call({ op: "create", service, name, value }, env).then(() => {}),
    lockDefaultCollection: () => call<{ locked: boolean }>({ op: "lock" }, env).then((r) => r.locked),
  };
}

/** Python keyring on this process's session bus. */
export const pythonKeyring = pythonKeyringOn();
