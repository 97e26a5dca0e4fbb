/**
 * The keyring contract: every backend (real or fake) must pass these. A backend test file calls
 * `keyringContract(label, open)` once; `label` goes into every test name, and says "fake" for fakes.
 */
import assert from "node:assert/strict";
import type { Keyring } from "../../src/keyring/keyring.ts";
import { KeyringError } from "../../src/keyring/keyring.ts";

/** What a backend can store in one value; the contract tests sizes up to it. */
export interface ContractOptions {
  /** Largest value in UTF-8 bytes that the backend accepts (64 KiB is tested when it allows that). */
  maxValueBytes: number;
}

/** A service name no other test run uses, so runs never see each other's entries. */
export function uniqueService(prefix = "amrs-test"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export function keyringContract(label: string, open: () => Keyring, options: ContractOptions): void {
  const test = (name: string, fn: (keyring: Keyring, service: string) => Promise<void>) =>
    Deno.test(`${label}: ${name}`, async () => {
      const keyring = open();
      const service = uniqueService();
      try {
        await fn(keyring, service);
      } finally {
        for (const account of await keyring.list(service)) await keyring.delete(service, account);
      }
    });

  test("probe succeeds on a usable store", async (keyring, service) => {
    await keyring.probe(service);
  });

  test("a missing entry reads as undefined", async (keyring, service) => {
    assert.equal(await keyring.get(service, "MISSING"), undefined);
    assert.deepEqual(await keyring.list(service), []);
  });

  test("round-trips non-ASCII text exactly", async (keyring, service) => {
    const value = "päss wörd — 秘密 🔑 \t tab, \"quotes\", 'apostrophes', back\\slash";
    await keyring.set(service, "UNICODE", value);
    assert.equal(await keyring.get(service, "UNICODE"), value);
  });

  test("overwrites in place, leaving one entry", async (keyring, service) => {
    await keyring.set(service, "KEY", "first");
    await keyring.set(service, "KEY", "second");
    assert.equal(await keyring.get(service, "KEY"), "second");
    assert.deepEqual(await keyring.list(service), ["KEY"]);
  });

  test("delete twice: true, then false, and the entry is gone", async (keyring, service) => {
    await keyring.set(service, "GONE", "value");
    assert.equal(await keyring.delete(service, "GONE"), true);
    assert.equal(await keyring.delete(service, "GONE"), false);
    assert.equal(await keyring.get(service, "GONE"), undefined);
  });

  test("lists names under one service only, sorted", async (keyring, service) => {
    const other = uniqueService();
    try {
      await keyring.set(service, "B_NAME", "1");
      await keyring.set(service, "A_NAME", "2");
      await keyring.set(other, "C_NAME", "3");
      assert.deepEqual(await keyring.list(service), ["A_NAME", "B_NAME"]);
      assert.deepEqual(await keyring.list(other), ["C_NAME"]);
    } finally {
      await keyring.delete(other, "C_NAME");
    }
  });

  test("entries of one service do not answer for another", async (keyring, service) => {
    await keyring.set(service, "SHARED", "mine");
    assert.equal(await keyring.get(`${service}-x`, "SHARED"), undefined);
  });

  test("stores the largest value it accepts (64 KiB where allowed)", async (keyring, service) => {
    const size = Math.min(options.maxValueBytes, 64 * 1024);
    const value = Array.from({ length: size }, (_, i) => String.fromCharCode(0x21 + (i % 90))).join("");
    await keyring.set(service, "LARGE", value);
    assert.equal(await keyring.get(service, "LARGE"), value);
  });

  test("refuses an empty service or account before touching the store", async (keyring, service) => {
    await assert.rejects(keyring.set("", "X", "v"), KeyringError);
    await assert.rejects(keyring.delete("", "X"), KeyringError);
    await assert.rejects(keyring.delete(service, ""), KeyringError);
    await assert.rejects(keyring.list(""), KeyringError);
  });
}
