/**
 * The sealed payload: round trip, and tampering over EVERY byte position and every truncation, each run through
 * `install` against the real gnome-keyring with a recording wrapper that proves nothing was written.
 */
import assert from "node:assert/strict";
import { type Environment, runCli } from "../src/cli/run.ts";
import { openLibsecret } from "../ffi/libsecret.ts";
import type { Keyring } from "../src/keyring/keyring.ts";
import { MemoryKeyring } from "../src/keyring/memory.ts";
import { checkServerUrl, openPayload, PayloadError, sealToken } from "../src/payload/format.ts";
import { generatedModuleText } from "../src/payload/embedded.ts";
import { uniqueService } from "./_support/keyring_contract.ts";

const CANARY = `canary-${crypto.randomUUID()}`;
const encode = (text: string) => new TextEncoder().encode(text);

async function seal(service: string, token = CANARY) {
  return (await sealToken(encode(token), { service, account: "BOOTSTRAP_SECRET_TOKEN" })).payload;
}

/** Wraps a keyring and records every call that could write. */
function recording(inner: Keyring): Keyring & { writes: string[] } {
  const writes: string[] = [];
  return {
    backend: inner.backend,
    writes,
    probe: (s) => inner.probe(s),
    get: (s, a) => inner.get(s, a),
    list: (s) => inner.list(s),
    set: (s, a, v) => {
      writes.push(`set ${a}`);
      return inner.set(s, a, v);
    },
    delete: (s, a) => {
      writes.push(`delete ${a}`);
      return inner.delete(s, a);
    },
  };
}

/** Runs `install` in-process with a given payload and keyring, as a non-root user. */
async function install(payload: Uint8Array<ArrayBuffer> | undefined, keyring: Keyring, args: string[] = []) {
  const out: string[] = [];
  const sink = {
    write: (b: Uint8Array) => {
      out.push(new TextDecoder().decode(b));
      return Promise.resolve(b.length);
    },
  };
  const environment: Environment = {
    streams: { stdout: sink, stderr: sink, stdoutIsTerminal: false, stderrIsTerminal: false, noColor: true },
    stdin: { readable: new ReadableStream({ start: (c) => c.close() }), isTerminal: false },
    env: () => undefined,
    openKeyring: () => keyring,
    payload: () => Promise.resolve(payload?.slice()),
    identity: () => ({ os: "linux", uid: 1000 }),
  };
  const code = await runCli(["install", "--json", ...args], environment);
  return { code, output: out.join("") };
}

Deno.test("sealToken()/openPayload() round-trip the token and the authenticated settings", async () => {
  const { payload, header } = await sealToken(encode("tök€n"), {
    service: "amrs",
    account: "BOOTSTRAP_SECRET_TOKEN",
    serverUrl: "https://secrets.example.com/",
    allowedHosts: ["secrets.example.com"],
  });
  const opened = await openPayload(payload);
  assert.equal(new TextDecoder().decode(opened.token), "tök€n");
  assert.deepEqual(opened.header, header);
  assert.equal(header.serverUrl, "https://secrets.example.com");
  assert.match(header.buildId, /^[0-9a-f]{32}$/);
  assert.ok(!new TextDecoder().decode(payload).includes("tök€n"), "the token is not in the payload in clear");
});

Deno.test("two seals of the same token differ (random key and nonce per build)", async () => {
  const a = await seal("amrs");
  const b = await seal("amrs");
  assert.notDeepEqual(a.slice(-60), b.slice(-60));
});

Deno.test("openPayload() rejects every single-byte change (two flip patterns) at every position", async () => {
  const payload = await seal("amrs");
  for (let i = 0; i < payload.length; i++) {
    for (const mask of [0x01, 0xff]) {
      const changed = payload.slice();
      changed[i]! ^= mask;
      await assert.rejects(openPayload(changed), PayloadError, `byte ${i} ^ ${mask}`);
    }
  }
});

Deno.test("openPayload() rejects every truncation and an appended byte", async () => {
  const payload = await seal("amrs");
  for (let length = 0; length < payload.length; length++) {
    await assert.rejects(openPayload(payload.slice(0, length)), PayloadError, `length ${length}`);
  }
  const longer = new Uint8Array(payload.length + 1);
  longer.set(payload);
  await assert.rejects(openPayload(longer), PayloadError);
});

Deno.test("openPayload() rejects a header changed to another service (same length)", async () => {
  const payload = await seal("amrs");
  const text = new TextDecoder("latin1").decode(payload);
  const at = text.indexOf('"service":"amrs"');
  assert.ok(at > 0);
  const changed = payload.slice();
  changed.set(encode('"service":"evil"'), at);
  await assert.rejects(openPayload(changed), /corrupt or has been tampered with/);
});

Deno.test("install (real keyring): every flipped byte and every truncation is exit 4, nothing written", async () => {
  const service = uniqueService("amrs-tamper");
  const payload = await seal(service);
  const keyring = recording(openLibsecret());
  const variants: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < payload.length; i++) {
    const changed = payload.slice();
    changed[i]! ^= 0x01;
    variants.push(changed);
  }
  for (let length = 0; length < payload.length; length++) variants.push(payload.slice(0, length));
  for (const [n, variant] of variants.entries()) {
    const { code, output } = await install(variant, keyring);
    assert.equal(code, 4, `variant ${n}`);
    assert.ok(!output.includes(CANARY));
  }
  assert.deepEqual(keyring.writes, []);
  assert.deepEqual(await keyring.list(service), []);
  // The untouched payload does install, so the loop above failed for the right reason.
  assert.equal((await install(payload, keyring)).code, 0);
  assert.deepEqual(await keyring.list(service), ["BOOTSTRAP_SECRET_TOKEN"]);
  await keyring.delete(service, "BOOTSTRAP_SECRET_TOKEN");
});

Deno.test("install (fake keyring): a build without a payload is exit 4, 'this build carries no bootstrap token'", async () => {
  const keyring = new MemoryKeyring();
  const { code, output } = await install(undefined, keyring);
  assert.equal(code, 4);
  const document = JSON.parse(output);
  assert.equal(document.error.message, "this build carries no bootstrap token");
  assert.equal(document.error.kind, "no_payload");
  assert.deepEqual(keyring.calls, []);
});

Deno.test("install (fake keyring): same token = nothing written; another token kept unless --force", async () => {
  const keyring = new MemoryKeyring();
  const payload = await seal("amrs");
  const first = JSON.parse((await install(payload, keyring)).output);
  assert.deepEqual([first.written, first.service, first.account], [true, "amrs", "BOOTSTRAP_SECRET_TOKEN"]);
  const writesBefore = keyring.calls.filter((c) => c.startsWith("set")).length;
  const again = JSON.parse((await install(payload, keyring)).output);
  assert.deepEqual([again.written, again.reason], [false, "already_installed"]);
  assert.equal(keyring.calls.filter((c) => c.startsWith("set")).length, writesBefore);

  const other = await seal("amrs", "another-token");
  const kept = await install(other, keyring);
  assert.equal(kept.code, 0);
  assert.equal(JSON.parse(kept.output).reason, "different_token_kept");
  assert.equal(await keyring.get("amrs", "BOOTSTRAP_SECRET_TOKEN"), CANARY);
  const forced = await install(other, keyring, ["--force"]);
  assert.equal(JSON.parse(forced.output).written, true);
  assert.equal(await keyring.get("amrs", "BOOTSTRAP_SECRET_TOKEN"), "another-token");
});

Deno.test("install (fake keyring): the sealed service is used unless --service overrides it", async () => {
  const keyring = new MemoryKeyring();
  await install(await seal("amrs-custom"), keyring);
  assert.deepEqual(await keyring.list("amrs-custom"), ["BOOTSTRAP_SECRET_TOKEN"]);
  await install(await seal("amrs-custom"), keyring, ["--service", "elsewhere"]);
  assert.deepEqual(await keyring.list("elsewhere"), ["BOOTSTRAP_SECRET_TOKEN"]);
});

Deno.test("install (fake keyring): a keyring failure after opening is its own exit code, token not in output", async () => {
  const keyring = new MemoryKeyring().failOn("set", "denied");
  const { code, output } = await install(await seal("amrs"), keyring);
  assert.equal(code, 3);
  assert.ok(!output.includes(CANARY));
});

Deno.test("checkServerUrl(): https only (http for loopback), no credentials, query or fragment", () => {
  assert.equal(checkServerUrl("https://s.example.com/base/"), "https://s.example.com/base");
  assert.equal(checkServerUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  for (
    const bad of ["http://s.example.com", "https://u:p@s.example.com", "https://s.example.com/?x=1", "ftp://x", "nope"]
  ) {
    assert.throws(() => checkServerUrl(bad), bad);
  }
  // A URL with credentials is never echoed into an error (or a log line).
  assert.throws(
    () => checkServerUrl("https://user:hunter2@s.example.com"),
    (e) => !(e as Error).message.includes("hunter2"),
  );
  for (const bad of ["http://u:hunter2@s.example.com"]) {
    assert.throws(() => checkServerUrl(bad), (e) => !(e as Error).message.includes("hunter2"));
  }
});

Deno.test("the generated module holds only base64 and a fingerprint, never the token", async () => {
  const payload = await seal("amrs");
  const text = generatedModuleText(payload, "sha256:000000000000", "b".repeat(32));
  assert.ok(!text.includes(CANARY));
  assert.match(text, /^\/\/ amrs-bootstrap sealed payload: generated on the build machine\. NEVER COMMIT\./);
});

Deno.test("the trusted-app list (macOS) is sealed and authenticated with the other settings", async () => {
  const settings = { service: "amrs", account: "BOOTSTRAP_SECRET_TOKEN", trustedApps: ["/Applications/AMRS.app"] };
  const { payload } = await sealToken(encode("t0ken"), settings);
  assert.deepEqual((await openPayload(payload)).header.trustedApps, ["/Applications/AMRS.app"]);
  await assert.rejects(sealToken(encode("t0ken"), { ...settings, trustedApps: ["AMRS.app"] }), /absolute path/);
});

Deno.test("install (fake keyring): as LocalSystem on Windows, exit 5 (deferred to first run), nothing written", async () => {
  const keyring = new MemoryKeyring("wincred");
  const out: string[] = [];
  const sink = { write: (b: Uint8Array) => (out.push(new TextDecoder().decode(b)), Promise.resolve(b.length)) };
  const code = await runCli(["install", "--json"], {
    streams: { stdout: sink, stderr: sink, stdoutIsTerminal: false, stderrIsTerminal: false, noColor: true },
    stdin: { readable: new ReadableStream({ start: (c) => c.close() }), isTerminal: false },
    env: () => undefined,
    openKeyring: () => keyring,
    payload: async () => await seal("amrs"),
    identity: () => ({ os: "windows", uid: null, localSystem: true }),
  });
  assert.equal(code, 5);
  assert.match(JSON.parse(out.join("")).error.message, /LocalSystem.*deferred to first run/);
  assert.deepEqual(keyring.calls, []);
});

Deno.test("install (fake keyring): no credential store in the logon session (Win32 1312) is exit 5, deferred", async () => {
  const keyring = new MemoryKeyring("wincred").failOn("get", "no_session");
  const { code, output } = await install(await seal("amrs"), keyring);
  assert.equal(code, 5);
  assert.match(JSON.parse(output).error.message, /no credential store in this logon session.*deferred to first run/);
  assert.ok(!keyring.calls.some((c) => c.startsWith("set")));
});
