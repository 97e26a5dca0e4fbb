/**
 * The command-line logic above the keyring, run in-process against the in-memory fake keyring with injected
 * failures (what a real keyring cannot be made to do on demand). Every test name says "fake".
 */
import assert from "node:assert/strict";
import { type Environment, runCli } from "../src/cli/run.ts";
import { MemoryKeyring } from "../src/keyring/memory.ts";
import type { Keyring } from "../src/keyring/keyring.ts";

const CANARY = `canary-${crypto.randomUUID()}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function stream(text: string | Uint8Array = ""): ReadableStream<Uint8Array> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function run(
  args: string[],
  keyring: Keyring,
  options: { stdin?: string; terminal?: boolean; noColor?: boolean; env?: Record<string, string> } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => ({
    write(bytes: Uint8Array) {
      into.push(new TextDecoder().decode(bytes));
      return Promise.resolve(bytes.length);
    },
  });
  const environment: Environment = {
    streams: {
      stdout: sink(out),
      stderr: sink(err),
      stdoutIsTerminal: options.terminal ?? false,
      stderrIsTerminal: options.terminal ?? false,
      noColor: options.noColor ?? false,
    },
    stdin: { readable: stream(options.stdin), isTerminal: false },
    env: (name) => options.env?.[name],
    openKeyring: () => keyring,
  };
  const code = await runCli(args, environment);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

Deno.test("fake keyring: a locked store on set is exit 3, nothing stored, the value nowhere in output", async () => {
  const keyring = new MemoryKeyring().failOn("set", "locked");
  const result = await run(["set", "NAME"], keyring, { stdin: CANARY });
  assert.equal(result.code, 3);
  assert.match(result.stderr, /injected locked failure/);
  assert.equal(keyring.entries.size, 0);
  assert.ok(!result.stderr.includes(CANARY) && !result.stdout.includes(CANARY));
});

Deno.test("fake keyring: each failure kind maps to its documented exit code", async () => {
  const expected = { unavailable: 3, locked: 3, denied: 3, timeout: 3, platform: 3, too_long: 2, bad_value: 2 };
  for (const [kind, code] of Object.entries(expected)) {
    const keyring = new MemoryKeyring().failOn("get", kind as keyof typeof expected);
    const result = await run(["get", "NAME", "--json"], keyring);
    assert.equal(result.code, code, kind);
    assert.equal(JSON.parse(result.stdout).error.kind, kind);
  }
});

Deno.test("fake keyring: a read-back that differs from what was written is exit 3 (verify_failed)", async () => {
  const keyring = new MemoryKeyring();
  const original = keyring.get.bind(keyring);
  keyring.get = async (service, account) => `${await original(service, account)}-changed`;
  const result = await run(["set", "NAME", "--json"], keyring, { stdin: CANARY });
  assert.equal(result.code, 3);
  const document = JSON.parse(result.stdout);
  assert.equal(document.error.kind, "verify_failed");
  assert.ok(!result.stdout.includes(CANARY));
});

Deno.test("fake keyring: an unexpected exception is exit 1 and its message (which could hold data) is not shown", async () => {
  const keyring = new MemoryKeyring();
  keyring.list = () => Promise.reject(new TypeError(`parser choked on ${CANARY}`));
  const result = await run(["status"], keyring);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /internal error \(TypeError\); this is a bug/);
  assert.ok(!result.stderr.includes(CANARY));
});

Deno.test("fake keyring: status with a locked store still says which backend, and exits 3", async () => {
  const keyring = new MemoryKeyring().failOn("probe", "locked");
  const result = await run(["status", "--json"], keyring);
  assert.equal(result.code, 3);
  const document = JSON.parse(result.stdout);
  assert.deepEqual([document.ok, document.keyring, document.backend], [false, "locked", "secret-service"]);
  assert.equal(result.stdout.trim().split("\n").filter((line) => line === "{").length, 1, "one document only");
});

Deno.test("fake keyring: purge removes every entry of the service and only that service", async () => {
  const keyring = new MemoryKeyring();
  for (const name of ["BOOTSTRAP_SECRET_TOKEN", "_amrs.state", "_amrs.device", "DB_URL"]) {
    await keyring.set("amrs", name, "v");
  }
  await keyring.set("other", "KEEP", "v");
  const result = await run(["purge", "--json"], keyring);
  assert.equal(result.code, 0);
  assert.deepEqual(JSON.parse(result.stdout).removed, [
    "BOOTSTRAP_SECRET_TOKEN",
    "DB_URL",
    "_amrs.device",
    "_amrs.state",
  ]);
  assert.deepEqual(await keyring.list("amrs"), []);
  assert.deepEqual(await keyring.list("other"), ["KEEP"]);
});

Deno.test("fake keyring: status reads the sync state entry and reports age and staleness", async () => {
  const keyring = new MemoryKeyring();
  const lastSync = new Date(Date.now() - 3600_000).toISOString();
  await keyring.set("amrs", "_amrs.state", JSON.stringify({ last_sync: lastSync, server: "https://s.example" }));
  await keyring.set("amrs", "API", "v");
  const document = JSON.parse((await run(["status", "--json"], keyring)).stdout);
  assert.equal(document.last_sync, lastSync);
  assert.ok(document.age_seconds >= 3599 && document.age_seconds < 3700);
  assert.equal(document.stale, false);
  assert.equal(document.server, "https://s.example");
  assert.deepEqual(document.secrets, ["API"]);
});

Deno.test("fake keyring: errors are red on a terminal, plain with NO_COLOR or when piped", async () => {
  const keyring = new MemoryKeyring();
  const ESC = "\x1b[";
  assert.ok((await run(["get", "X"], keyring, { terminal: true })).stderr.includes(`${ESC}31merror${ESC}0m`));
  assert.ok(!(await run(["get", "X"], keyring, { terminal: true, noColor: true })).stderr.includes(ESC));
  assert.ok(!(await run(["get", "X"], keyring)).stderr.includes(ESC));
});

Deno.test("fake keyring: get adds a newline only on a terminal", async () => {
  const keyring = new MemoryKeyring();
  await keyring.set("amrs", "X", "value");
  assert.equal((await run(["get", "X"], keyring)).stdout, "value");
  assert.equal((await run(["get", "X"], keyring, { terminal: true })).stdout, "value\n");
});

Deno.test("fake keyring: global options work before or after the command; AMRS_KEYRING is validated", async () => {
  const keyring = new MemoryKeyring();
  await keyring.set("svc", "X", "v");
  assert.equal((await run(["--service", "svc", "get", "X"], keyring)).stdout, "v");
  assert.equal((await run(["get", "--service", "svc", "X"], keyring)).stdout, "v");
  assert.equal((await run(["get", "X", "--service=svc"], keyring)).stdout, "v");
  const bad = await run(["status"], keyring, { env: { AMRS_KEYRING: "plaintext-file" } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown keyring backend 'plaintext-file'/);
});
