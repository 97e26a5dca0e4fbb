/**
 * The Windows backend for real: Deno for Windows (deno.exe) under Wine, advapi32's Credential Manager through FFI.
 * Run by scripts/wine_lane.sh (part of `deno task test` and CI); the file name keeps Linux's `deno test` away.
 * The independent layout check is tests/windows/pykeyring_layout.c, which reads and writes the Python keyring way.
 */
import assert from "node:assert/strict";
import { CRED_MAX_CREDENTIAL_BLOB_SIZE, openWincred } from "../../ffi/wincred.ts";
import { KeyringError } from "../../src/keyring/keyring.ts";
import { generatedModuleText } from "../../src/payload/embedded.ts";
import { sealToken } from "../../src/payload/format.ts";
import { permissionFlags } from "../../src/permissions.ts";
import { runCollect } from "../../src/subprocess.ts";
import { keyringContract, uniqueService } from "../_support/keyring_contract.ts";
import { classifyWin32, ERROR_NO_SUCH_LOGON_SESSION } from "../../ffi/wincred.ts";
import { isLocalSystem } from "../../ffi/windows_identity.ts";

/** A file URL as a Windows path (file:///Z:/src/x -> Z:/src/x). */
function windowsPath(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/^\/([A-Za-z]:)/, "$1");
}

const ROOT = windowsPath(new URL("../../", import.meta.url));
const CHECKER = windowsPath(new URL("./build/pykeyring_layout.exe", import.meta.url));
const GENERATED = windowsPath(new URL("../../src/payload/sealed_token.generated.ts", import.meta.url));

/** The Python-keyring-style checker: `read`, `write` (value on stdin) or `dump`. */
function checker(...args: string[]) {
  return (input?: string) => runCollect(CHECKER, args, input === undefined ? {} : { input });
}

keyringContract("wincred (real advapi32 under Wine)", () => openWincred(), {
  maxValueBytes: CRED_MAX_CREDENTIAL_BLOB_SIZE / 2,
});

async function cleanup(service: string) {
  const keyring = openWincred();
  for (const name of await keyring.list(service)) await keyring.delete(service, name);
}

Deno.test("wincred: Python keyring's layout: TargetName, UserName, Persist 3, UTF-16LE blob, compound targets", async () => {
  const service = uniqueService("amrs-win");
  const keyring = openWincred();
  try {
    await keyring.set(service, "FIRST", "one");
    await keyring.set(service, "SECOND", "twö");
    // The most recent account holds the plain target; the other moved to "{account}@{service}".
    assert.equal((await checker("dump", service)()).stdout, "type=1 persist=3 user=SECOND blob=6\n");
    assert.equal((await checker("dump", `FIRST@${service}`)()).stdout, "type=1 persist=3 user=FIRST blob=6\n");
    assert.equal((await checker("read", service, "FIRST")()).stdout, "one");
    assert.equal((await checker("read", service, "SECOND")()).stdout, "twö");
    assert.deepEqual(await keyring.list(service), ["FIRST", "SECOND"]);
    // Overwriting the account that holds the plain target leaves no stale compound copy.
    await keyring.set(service, "SECOND", "2");
    assert.equal((await checker("dump", `SECOND@${service}`)()).code, 1);
    assert.equal(await keyring.delete(service, "FIRST"), true);
    assert.equal((await checker("read", service, "FIRST")()).code, 1);
    assert.equal((await checker("read", service, "SECOND")()).stdout, "2");
  } finally {
    await cleanup(service);
  }
});

Deno.test("wincred: what the Python-keyring-style writer stores, we read, overwrite and delete", async () => {
  const service = uniqueService("amrs-win");
  const keyring = openWincred();
  try {
    assert.equal((await checker("write", service, "PY_A")("from python ✓")).code, 0);
    assert.equal((await checker("write", service, "PY_B")("second")).code, 0);
    assert.equal(await keyring.get(service, "PY_A"), "from python ✓");
    assert.equal(await keyring.get(service, "PY_B"), "second");
    await keyring.set(service, "PY_A", "ours now");
    assert.equal((await checker("read", service, "PY_A")()).stdout, "ours now");
    assert.equal((await checker("read", service, "PY_B")()).stdout, "second");
    assert.equal(await keyring.delete(service, "PY_B"), true);
    assert.equal((await checker("read", service, "PY_B")()).code, 1);
  } finally {
    await cleanup(service);
  }
});

Deno.test("wincred: the 2560-byte blob limit is checked before any native call; no truncated write", async () => {
  const service = uniqueService("amrs-win");
  const keyring = openWincred();
  try {
    await keyring.set(service, "EXACT", "x".repeat(1280));
    assert.equal((await keyring.get(service, "EXACT"))!.length, 1280);
    for (const value of ["x".repeat(1281), "€".repeat(1281), "🔑".repeat(641)]) {
      await assert.rejects(
        keyring.set(service, "OVER", value),
        (e) => e instanceof KeyringError && e.kind === "too_long" && e.exitCode === 2,
      );
    }
    assert.equal(await keyring.get(service, "OVER"), undefined, "nothing was written");
    assert.equal(await keyring.get(service, "MISSING"), undefined);
    assert.equal(await keyring.delete(service, "MISSING"), false);
  } finally {
    await cleanup(service);
  }
});

/** `amrs-bootstrap ARGS` with deno.exe, with the release permissions. */
function cli(args: string[], input?: string) {
  return runCollect(Deno.execPath(), ["run", ...permissionFlags(), `${ROOT}main.ts`, ...args], {
    cwd: ROOT,
    ...(input === undefined ? {} : { input }),
  });
}

Deno.test("wincred: the CLI end to end under Wine: set, get, names with @ or /, install a sealed canary, purge", async () => {
  const service = uniqueService("amrs-win");
  const canary = `canary-${crypto.randomUUID()}`;
  let aside: string | undefined;
  try {
    const set = await cli(["set", "API_KEY", "--service", service], "välue\n");
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /\(wincred\)/);
    assert.equal((await cli(["get", "API_KEY", "--service", service])).stdout, "välue");
    assert.equal((await checker("read", service, "API_KEY")()).stdout, "välue");
    for (const name of ["a@b", "a/b"]) {
      const bad = await cli(["set", name, "--service", service], "v");
      assert.equal(bad.code, 2, name);
      assert.match(bad.stderr, /invalid secret name/);
    }
    const over = await cli(["set", "BIG", "--service", service], "x".repeat(2000));
    assert.equal(over.code, 2);
    assert.match(over.stderr, /stores at most 2560/);
    const missing = await cli(["get", "NOPE", "--service", service]);
    assert.equal(missing.code, 2);

    // install from a sealed canary, as a release would carry it (the generated module, written like embed does).
    try {
      await Deno.stat(GENERATED);
      aside = `${GENERATED}.aside`;
      await Deno.rename(GENERATED, aside);
    } catch { /* none there */ }
    const { payload } = await sealToken(new TextEncoder().encode(canary), {
      service,
      account: "BOOTSTRAP_SECRET_TOKEN",
    });
    await Deno.writeTextFile(GENERATED, generatedModuleText(payload, "sha256:000000000000", "0".repeat(32)));
    const install = await cli(["install", "--silent"]);
    assert.deepEqual([install.code, install.stdout, install.stderr], [0, "", ""]);
    assert.equal((await checker("read", service, "BOOTSTRAP_SECRET_TOKEN")()).stdout, canary);
    const status = JSON.parse((await cli(["status", "--json", "--service", service])).stdout);
    assert.deepEqual([status.backend, status.token.present, status.secrets], ["wincred", true, ["API_KEY"]]);

    assert.equal((await cli(["delete", "API_KEY", "--service", service])).code, 0);
    assert.equal((await checker("read", service, "API_KEY")()).code, 1);
    const purge = JSON.parse((await cli(["purge", "--json", "--service", service])).stdout);
    assert.deepEqual(purge.removed, ["BOOTSTRAP_SECRET_TOKEN"]);
    assert.equal((await checker("read", service, "BOOTSTRAP_SECRET_TOKEN")()).code, 1);
  } finally {
    await Deno.remove(GENERATED).catch(() => {});
    if (aside !== undefined) await Deno.rename(aside, GENERATED);
    await cleanup(service);
  }
});

Deno.test("wincred: the process token is read for real (Wine's user is not LocalSystem); 1312 means no session", () => {
  assert.equal(isLocalSystem(), false);
  const [kind, hint] = classifyWin32(ERROR_NO_SUCH_LOGON_SESSION);
  assert.equal(kind, "no_session");
  assert.match(hint, /SSH session with key authentication/);
});
