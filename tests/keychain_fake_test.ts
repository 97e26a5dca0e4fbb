/**
 * The macOS keychain backend, driven through a RECORDING FAKE of Security.framework and CoreFoundation
 * (tests/_support/keychain_fake.ts). This checks the binding logic: the shared keyring contract, call order,
 * arguments, and that every CF object is released exactly once. It does NOT check Apple's behaviour: nothing here
 * runs macOS.
 */
import assert from "node:assert/strict";
import {
  CF_CONSTANTS,
  classifyOSStatus,
  errSecAuthFailed,
  errSecDuplicateItem,
  errSecInteractionNotAllowed,
  errSecMissingEntitlement,
  errSecUserCanceled,
  openKeychain,
  readConstants,
  SEC_CONSTANTS,
} from "../ffi/keychain.ts";
import { KeyringError } from "../src/keyring/keyring.ts";
import { FakeKeychain } from "./_support/keychain_fake.ts";
import { keyringContract } from "./_support/keyring_contract.ts";

const shared = new FakeKeychain();
keyringContract("keychain (recording fake of Security.framework)", () => openKeychain({}, shared), {
  maxValueBytes: 1024 * 1024,
});

Deno.test("keychain (fake): across the whole contract run, every CF object was released exactly once", () => {
  assert.ok(shared.calls.length > 50, "the contract ran through the fake");
  assert.deepEqual(shared.leaks(), []);
});

Deno.test("keychain (fake): a new item is added; an existing one is updated in place (data only, ACL kept)", async () => {
  const fake = new FakeKeychain();
  const keyring = openKeychain({ trustedApps: () => Promise.resolve(["/Applications/AMRS.app"]) }, fake);
  await keyring.set("amrs", "API_KEY", "first");
  const created = fake.calls.splice(0);
  assert.deepEqual(created.filter((c) => c.startsWith("Sec")), [
    "SecTrustedApplicationCreateFromPath(NULL)",
    "SecTrustedApplicationCreateFromPath(/Applications/AMRS.app)",
    "SecAccessCreate(2 apps)",
    "SecItemAdd(amrs/API_KEY,access)",
  ]);
  assert.deepEqual(fake.items[0]!.access, {
    descriptor: "amrs-bootstrap: API_KEY",
    apps: [null, "/Applications/AMRS.app"],
  });
  await keyring.set("amrs", "API_KEY", "second");
  assert.deepEqual(fake.calls.filter((c) => c.startsWith("SecItem")), [
    "SecItemAdd(amrs/API_KEY,access)",
    "SecItemUpdate(amrs/API_KEY)",
  ]);
  assert.equal(fake.items.length, 1);
  assert.equal(new TextDecoder().decode(fake.items[0]!.data), "second");
  assert.deepEqual(fake.items[0]!.access!.apps, [null, "/Applications/AMRS.app"], "the ACL survived the update");
  assert.deepEqual(fake.leaks(), []);
});

Deno.test("keychain (fake): without trusted apps no access object is made (default ACL)", async () => {
  const fake = new FakeKeychain();
  await openKeychain({}, fake).set("amrs", "X", "v");
  assert.deepEqual(fake.calls.filter((c) => c.startsWith("Sec")), ["SecItemAdd(amrs/X)"]);
  assert.equal(fake.items[0]!.access, undefined);
});

Deno.test("keychain (fake): values are UTF-8 data, read one item at a time; listing reads attributes only", async () => {
  const fake = new FakeKeychain();
  const keyring = openKeychain({}, fake);
  await keyring.set("amrs", "U", "ünï – 🔑");
  assert.deepEqual([...fake.items[0]!.data], [...new TextEncoder().encode("ünï – 🔑")]);
  fake.calls.length = 0;
  assert.equal(await keyring.get("amrs", "U"), "ünï – 🔑");
  assert.ok(fake.calls.includes("SecItemCopyMatching(amrs/U,data,kSecMatchLimitOne)"));
  fake.calls.length = 0;
  assert.deepEqual(await keyring.list("amrs"), ["U"]);
  assert.ok(fake.calls.includes("SecItemCopyMatching(amrs/*,attributes,kSecMatchLimitAll)"));
  assert.deepEqual(fake.leaks(), []);
});

Deno.test("keychain (fake): each OSStatus maps to its kind, message and exit code; nothing leaks on errors", async () => {
  const cases: [number, string, number, RegExp][] = [
    [errSecInteractionNotAllowed, "locked", 3, /security unlock-keychain/],
    [errSecUserCanceled, "denied", 3, /cancelled/],
    [errSecAuthFailed, "denied", 3, /refused access/],
    [errSecMissingEntitlement, "platform", 3, /data-protection keychain/],
  ];
  for (const [status, kind, exit, hint] of cases) {
    const fake = new FakeKeychain();
    const keyring = openKeychain({}, fake);
    fake.failNext("SecItemCopyMatching", status);
    await assert.rejects(keyring.get("amrs", "X"), (error) => {
      assert.ok(error instanceof KeyringError);
      assert.equal(error.kind, kind);
      assert.equal(error.exitCode, exit);
      assert.match(error.hint!, hint);
      assert.match(error.message, new RegExp(`fake message for ${status} \\[OSStatus ${status}\\]`));
      return true;
    });
    assert.deepEqual(fake.leaks(), [], `leak after OSStatus ${status}`);
    assert.equal(classifyOSStatus(status)[0], kind);
  }
});

Deno.test("keychain (fake): a duplicate that vanished before the update is reported, not retried forever", async () => {
  const fake = new FakeKeychain();
  fake.failNext("SecItemAdd", errSecDuplicateItem);
  await assert.rejects(openKeychain({}, fake).set("amrs", "GONE", "v"), /Keychain update failed/);
  assert.deepEqual(fake.leaks(), []);
});

Deno.test("keychain (fake): a failing trust step stops before anything is added", async () => {
  const fake = new FakeKeychain();
  fake.failNext("SecTrustedApplicationCreateFromPath", 0, errSecAuthFailed);
  const keyring = openKeychain({ trustedApps: () => Promise.resolve(["/Applications/Missing.app"]) }, fake);
  await assert.rejects(keyring.set("amrs", "X", "v"), KeyringError);
  assert.equal(fake.items.length, 0);
  assert.ok(!fake.calls.some((c) => c.startsWith("SecItemAdd")));
  assert.deepEqual(fake.leaks(), []);
});

Deno.test("keychain (fake): probe treats 'not found' as a working keychain and a locked one as exit 3", async () => {
  const fake = new FakeKeychain();
  const keyring = openKeychain({}, fake);
  await keyring.probe("amrs");
  fake.failNext("SecItemCopyMatching", errSecInteractionNotAllowed);
  await assert.rejects(keyring.probe("amrs"), (e) => e instanceof KeyringError && e.kind === "locked");
  assert.deepEqual(fake.leaks(), []);
});

Deno.test("keychain: constants are read from the data symbols' addresses (the pointer stored there, not the address)", () => {
  // Each "symbol" is a real memory cell holding a handle, as a const CFStringRef variable holds its CFString.
  const cells = new Map<string, BigUint64Array>();
  const addresses = new Map<string, Deno.PointerObject>();
  [...CF_CONSTANTS, ...SEC_CONSTANTS].forEach((name, i) => {
    const cell = new BigUint64Array([0x5000n + BigInt(i) * 0x10n]);
    cells.set(name, cell);
    addresses.set(name, Deno.UnsafePointer.of(cell)!);
  });
  const constants = readConstants(addresses);
  for (const [name, cell] of cells) {
    const value = BigInt(Deno.UnsafePointer.value(constants[name as keyof typeof constants]));
    assert.equal(value, cell[0], name);
    assert.notEqual(value, BigInt(Deno.UnsafePointer.value(addresses.get(name)!)), `${name}: not the address`);
  }
  const holdsNull = new Map(addresses);
  holdsNull.set("kSecClass", Deno.UnsafePointer.of(new BigUint64Array([0n]))!);
  assert.throws(() => readConstants(holdsNull), /kSecClass holds NULL/);
});
