/**
 * The Linux backend against a real gnome-keyring on a private D-Bus session (started by `deno task test`), read
 * back with Debian's Python keyring. With no Secret Service these tests fail; they never skip.
 */
import assert from "node:assert/strict";
import { classifyGError, GENERIC_SCHEMA_NAME, openLibsecret, PYTHON_KEYRING_APPLICATION } from "../ffi/libsecret.ts";
import { KeyringError } from "../src/keyring/keyring.ts";
import { keyringContract, uniqueService } from "./_support/keyring_contract.ts";
import { pythonKeyring } from "./_support/python_keyring.ts";

keyringContract("secret-service (real gnome-keyring)", () => openLibsecret(), { maxValueBytes: 1024 * 1024 });

/** Runs `fn` with a fresh service and removes whatever it left. */
function withService(fn: (service: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const service = uniqueService("amrs-interop");
    try {
      await fn(service);
    } finally {
      const keyring = openLibsecret();
      for (const name of await keyring.list(service)) await keyring.delete(service, name);
    }
  };
}

Deno.test("python keyring picks the Secret Service backend by itself on this session", async () => {
  // Every other helper call pins PYTHON_KEYRING_BACKEND; this one checks that the app's default choice agrees.
  assert.equal((await pythonKeyring.backends())[0], "keyring.backends.SecretService");
});

Deno.test(
  "python keyring reads what we wrote, with Python's exact attributes and label",
  withService(async (service) => {
    const keyring = openLibsecret();
    await keyring.set(service, "API_KEY", "ours — ünïcode");
    assert.equal(await pythonKeyring.get(service, "API_KEY"), "ours — ünïcode");
    const items = await pythonKeyring.items(service, "API_KEY");
    assert.equal(items.length, 1);
    assert.deepEqual(items[0]!.attributes, {
      application: PYTHON_KEYRING_APPLICATION,
      service,
      username: "API_KEY",
      "xdg:schema": GENERIC_SCHEMA_NAME,
    });
    assert.equal(items[0]!.label, `Password for 'API_KEY' on '${service}'`);
  }),
);

Deno.test(
  "we read, overwrite and delete what python keyring wrote, leaving no duplicate",
  withService(async (service) => {
    const keyring = openLibsecret();
    await pythonKeyring.set(service, "FROM_PY", "python value");
    assert.equal(await keyring.get(service, "FROM_PY"), "python value");
    await keyring.set(service, "FROM_PY", "overwritten by us");
    assert.equal((await pythonKeyring.items(service, "FROM_PY")).length, 1);
    assert.equal(await pythonKeyring.get(service, "FROM_PY"), "overwritten by us");
    assert.equal(await keyring.delete(service, "FROM_PY"), true);
    assert.equal(await pythonKeyring.get(service, "FROM_PY"), null);
    assert.equal((await pythonKeyring.items(service, "FROM_PY")).length, 0);
  }),
);

Deno.test(
  "python keyring overwrites and deletes what we wrote, leaving no duplicate",
  withService(async (service) => {
    const keyring = openLibsecret();
    await keyring.set(service, "FROM_US", "first");
    await pythonKeyring.set(service, "FROM_US", "python's second");
    assert.equal((await pythonKeyring.items(service, "FROM_US")).length, 1);
    assert.equal(await keyring.get(service, "FROM_US"), "python's second");
    assert.equal(await pythonKeyring.delete(service, "FROM_US"), true);
    assert.equal(await keyring.get(service, "FROM_US"), undefined);
  }),
);

Deno.test(
  "duplicates left by other tools converge to one entry on our next write",
  withService(async (service) => {
    await pythonKeyring.set(service, "DUP", "python");
    await pythonKeyring.createDuplicate(service, "DUP", "another tool");
    assert.equal((await pythonKeyring.items(service, "DUP")).length, 2);
    await openLibsecret().set(service, "DUP", "ours");
    assert.equal((await pythonKeyring.items(service, "DUP")).length, 1);
    assert.equal(await pythonKeyring.get(service, "DUP"), "ours");
  }),
);

Deno.test(
  "a 64 KiB non-ASCII value round-trips through python keyring both ways",
  withService(async (service) => {
    const keyring = openLibsecret();
    const big = "ä€😀x".repeat(64 * 1024 / 10);
    await keyring.set(service, "BIG", big);
    assert.equal(await pythonKeyring.get(service, "BIG"), big);
    await pythonKeyring.set(service, "BIG2", big + "!");
    assert.equal(await keyring.get(service, "BIG2"), big + "!");
  }),
);

Deno.test("a NUL character is refused before the native call (the C string API would truncate it)", async () => {
  const service = uniqueService();
  const keyring = openLibsecret();
  await assert.rejects(keyring.set(service, "NUL", "a\0b"), (e) => e instanceof KeyringError && e.kind === "bad_value");
  assert.deepEqual(await keyring.list(service), []);
});

Deno.test("a missing libsecret is 'unavailable' (exit 3) with the install command", () => {
  assert.throws(
    () => openLibsecret({ libraryPath: "/nonexistent/libsecret-1.so.0" }),
    (e) => e instanceof KeyringError && e.kind === "unavailable" && e.exitCode === 3 && /apt-get install/.test(e.hint!),
  );
});

Deno.test("GError classification: each documented case maps to its kind", () => {
  const cases: [string, number, string, string][] = [
    ["secret-error", 2, "Cannot create an item in a locked collection", "locked"],
    ["g-io-error-quark", 0, "Cannot autolaunch D-Bus without X11 $DISPLAY", "no_session"],
    ["g-io-error-quark", 1, "Could not connect: No such file or directory", "no_session"],
    ["g-io-error-quark", 19, "Operation was cancelled", "denied"],
    ["g-dbus-error-quark", 2, "The name org.freedesktop.secrets was not provided", "unavailable"],
    ["g-dbus-error-quark", 9, "Access denied", "denied"],
    ["g-dbus-error-quark", 4, "No reply", "timeout"],
    ["g-dbus-error-quark", 0, "GDBus.Error:org.freedesktop.Secret.Error.IsLocked: locked", "locked"],
    ["some-other-quark", 7, "something else", "platform"],
  ];
  for (const [domain, code, message, kind] of cases) {
    assert.equal(classifyGError(domain, code, message)[0], kind, `${domain}/${code}`);
  }
});
