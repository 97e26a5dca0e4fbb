import { assertEntry, type BackendName, type Keyring, KeyringError, type KeyringErrorKind } from "./keyring.ts";

/** An operation of the Keyring interface, for fault injection. */
export type KeyringOperation = "probe" | "get" | "set" | "delete" | "list";

/**
 * An in-memory keyring for testing the logic above the keyring: it keeps no state outside the process and can be
 * told to fail. It is never selectable from the command line. Tests that use it say "fake" in their names.
 */
export class MemoryKeyring implements Keyring {
  readonly backend: BackendName;
  readonly entries = new Map<string, string>();
  /** Every call, in order, as "op service/account" (never a value). */
  readonly calls: string[] = [];
  #faults = new Map<KeyringOperation, KeyringErrorKind>();

  readonly maxValueUnits: number | undefined;

  /** `maxValueUnits` imitates a store with a value size limit (Windows: 1280). */
  constructor(backend: BackendName = "secret-service", maxValueUnits?: number) {
    this.backend = backend;
    this.maxValueUnits = maxValueUnits;
  }

  /** Makes every later `operation` fail with a KeyringError of `kind` (until `clearFaults`). */
  failOn(operation: KeyringOperation, kind: KeyringErrorKind): this {
    this.#faults.set(operation, kind);
    return this;
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  #enter(operation: KeyringOperation, service: string, account?: string): void {
    assertEntry(service, account);
    this.calls.push(`${operation} ${service}${account === undefined ? "" : `/${account}`}`);
    const fault = this.#faults.get(operation);
    if (fault !== undefined) throw new KeyringError(fault, `injected ${fault} failure on ${operation}`);
  }

  // deno-lint-ignore require-await
  async probe(service: string): Promise<void> {
    this.#enter("probe", service);
  }

  // deno-lint-ignore require-await
  async get(service: string, account: string): Promise<string | undefined> {
    this.#enter("get", service, account);
    return this.entries.get(`${service}\0${account}`);
  }

  // deno-lint-ignore require-await
  async set(service: string, account: string, value: string): Promise<void> {
    this.#enter("set", service, account);
    if (this.maxValueUnits !== undefined && value.length > this.maxValueUnits) {
      throw new KeyringError("too_long", `value longer than ${this.maxValueUnits}`);
    }
    this.entries.set(`${service}\0${account}`, value);
  }

  // deno-lint-ignore require-await
  async delete(service: string, account: string): Promise<boolean> {
    this.#enter("delete", service, account);
    return this.entries.delete(`${service}\0${account}`);
  }

  // deno-lint-ignore require-await
  async list(service: string): Promise<string[]> {
    this.#enter("list", service);
    const prefix = `${service}\0`;
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length))
      .sort();
  }
}
