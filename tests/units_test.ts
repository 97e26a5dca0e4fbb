/** Unit tests of the small pure pieces: names, stdin reading, fingerprints, backend choice, versions. */
import assert from "node:assert/strict";
import { CliError } from "../src/errors.ts";
import { fingerprint } from "../src/fingerprint.ts";
import { isToolEntry, validateSecretName, validateServiceName } from "../src/names.ts";
import { MAX_VALUE_BYTES, readSecretValue } from "../src/cli/secret_input.ts";
import { parseKeyringChoice, selectBackend } from "../src/keyring/select.ts";
import { KeyringError } from "../src/keyring/keyring.ts";
import { parseState } from "../src/state.ts";
import { VERSION } from "../src/version.ts";

function chunks(...parts: (string | number[])[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) {
        controller.enqueue(typeof part === "string" ? new TextEncoder().encode(part) : Uint8Array.from(part));
      }
      controller.close();
    },
  });
}

const usage = (e: unknown) => e instanceof CliError && e.exitCode === 2;

Deno.test("validateSecretName() accepts env-style names and the token account", () => {
  for (const name of ["A", "API_KEY", "db.password", "x-y_z.1", "BOOTSTRAP_SECRET_TOKEN", "a".repeat(128)]) {
    assert.equal(validateSecretName(name), name);
  }
});

Deno.test("validateSecretName() refuses separators, spaces, non-ASCII, reserved and over-long names", () => {
  for (const name of ["", "a@b", "a/b", "a b", "_x", "_amrs.state", "1a", "ä", "a\nb", "a".repeat(129)]) {
    assert.throws(() => validateSecretName(name), usage, JSON.stringify(name));
  }
});

Deno.test("validateServiceName() and isToolEntry()", () => {
  assert.equal(validateServiceName("amrs"), "amrs");
  assert.equal(validateServiceName("0-amrs.test_x"), "0-amrs.test_x");
  for (const bad of ["", "a@b", "a/b", "x".repeat(65)]) assert.throws(() => validateServiceName(bad), usage);
  assert.equal(isToolEntry("BOOTSTRAP_SECRET_TOKEN"), true);
  assert.equal(isToolEntry("_amrs.device"), true);
  assert.equal(isToolEntry("API_KEY"), false);
});

Deno.test("readSecretValue() joins chunks and drops exactly one trailing newline", async () => {
  const read = (...parts: (string | number[])[]) =>
    readSecretValue({ readable: chunks(...parts), isTerminal: false }, "N");
  assert.equal(await read("ab", "c\n"), "abc");
  assert.equal(await read("abc\r\n"), "abc");
  assert.equal(await read("abc\n\n"), "abc\n");
  assert.equal(await read("\n ", "x"), "\n x");
  assert.equal(await read([0xc3], [0xa9]), "é", "a UTF-8 character split across chunks");
});

Deno.test("readSecretValue() refuses empty, NUL, invalid UTF-8 and oversized input", async () => {
  const read = (...parts: (string | number[])[]) =>
    readSecretValue({ readable: chunks(...parts), isTerminal: false }, "N");
  await assert.rejects(read(), usage);
  await assert.rejects(read("\n"), usage);
  await assert.rejects(read("a\0b"), usage);
  await assert.rejects(read([0x61, 0xc3]), usage);
  await assert.rejects(read("x".repeat(MAX_VALUE_BYTES + 3)), usage);
  assert.equal((await read("x".repeat(MAX_VALUE_BYTES))).length, MAX_VALUE_BYTES);
});

Deno.test("readSecretValue() from a terminal: raw mode on and off, backspace, Enter ends, Ctrl-C cancels", async () => {
  const modes: boolean[] = [];
  const prompts: string[] = [];
  const source = (...parts: string[]) => ({
    readable: chunks(...parts),
    isTerminal: true,
    setRaw: (raw: boolean) => void modes.push(raw),
  });
  const value = await readSecretValue(source("ab", "x\x7fc\rignored"), "N", (t) => {
    prompts.push(t);
    return Promise.resolve();
  });
  assert.equal(value, "abc");
  assert.deepEqual(modes, [true, false]);
  assert.match(prompts[0]!, /Value for N \(input hidden/);
  await assert.rejects(readSecretValue(source("ab\x03"), "N"), /cancelled/);
  assert.deepEqual(modes, [true, false, true, false], "raw mode is switched off after a cancel too");
});

Deno.test("fingerprint() is a 12-hex-digit SHA-256 prefix", async () => {
  // SHA-256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  assert.equal(await fingerprint("hello"), "sha256:2cf24dba5fb0");
  assert.notEqual(await fingerprint("hello "), await fingerprint("hello"));
});

Deno.test("selectBackend(): auto picks each OS's native store; a foreign one is 'unavailable'", () => {
  assert.equal(selectBackend("auto", "linux"), "secret-service");
  assert.equal(selectBackend("auto", "windows"), "wincred");
  assert.equal(selectBackend("auto", "darwin"), "keychain");
  assert.throws(() => selectBackend("keychain", "linux"), (e) => e instanceof KeyringError && e.kind === "unavailable");
  assert.throws(() => selectBackend("auto", "freebsd"), (e) => e instanceof KeyringError && e.exitCode === 3);
  assert.throws(() => parseKeyringChoice("file"), usage);
});

Deno.test("parseState() reads a good state entry and treats a damaged one as empty", () => {
  assert.deepEqual(parseState('{"last_sync":"2026-01-01T00:00:00Z","etag":"\\"v1\\"","names":["A",1]}'), {
    lastSync: "2026-01-01T00:00:00Z",
    etag: '"v1"',
    names: ["A"],
  });
  assert.deepEqual(parseState("{not json"), {});
  assert.deepEqual(parseState('{"last_sync":"yesterday"}'), {});
  assert.deepEqual(parseState(undefined), {});
});

Deno.test("the version in deno.json matches src/version.ts", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(config.version, VERSION);
});

Deno.test("deno task cli runs with exactly the release permissions (src/permissions.ts)", async () => {
  const { DEVELOPMENT_HOSTS, permissionFlags } = await import("../src/permissions.ts");
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(config.tasks.cli, `deno run ${permissionFlags(DEVELOPMENT_HOSTS).join(" ")} main.ts`);
  assert.deepEqual(permissionFlags(["s.example.com"]).at(-1), "--allow-net=s.example.com");
});

Deno.test("installer/macos/postinstall is valid sh, runs install as the console user, never fails the pkg", async () => {
  const path = new URL("../installer/macos/postinstall", import.meta.url).pathname;
  const syntax = await new Deno.Command("sh", { args: ["-n", path] }).output();
  assert.ok(syntax.success);
  const text = await Deno.readTextFile(path);
  assert.match(text, /launchctl asuser "\$uid" \/usr\/bin\/sudo -u "\$user" "\$APP_BOOTSTRAP" install --silent --log/);
  assert.doesNotMatch(text, /^\s*exit [1-9]/m, "no non-zero exit");
  assert.equal((await Deno.stat(path)).mode! & 0o111, 0o111, "executable");
});
