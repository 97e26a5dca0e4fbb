/**
 * Sync against the reference server (a real HTTP peer on loopback) and the real gnome-keyring, read back with
 * Debian's Python keyring. Exit codes come from the real CLI; keyring writes are counted by a recording wrapper
 * around the real backend, in-process.
 */
import assert from "node:assert/strict";
import { openLibsecret } from "../ffi/libsecret.ts";
import type { Keyring } from "../src/keyring/keyring.ts";
import { DEVICE_CREDENTIAL_ACCOUNT, STATE_ACCOUNT } from "../src/state.ts";
import { sync, validateDocument } from "../src/sync/sync.ts";
import { MemoryKeyring } from "../src/keyring/memory.ts";
import { CliError } from "../src/errors.ts";
import { backoffMs, retryAfterMs } from "../src/sync/http.ts";
import { ReferenceServer } from "../server/reference_server.ts";
import { cli } from "./_support/cli.ts";
import { uniqueService } from "./_support/keyring_contract.ts";
import { pythonKeyring } from "./_support/python_keyring.ts";

const TOKEN = `boot-${crypto.randomUUID()}`;
const SECRETS = { DB_PASSWORD: "pä55-wörd", API_KEY: "key-1", REPORT_URL: "https://reports.example/x" };

/** Counts keyring writes (set/delete) of the real backend. */
function counting(inner: Keyring): Keyring & { writes: number } {
  const wrapper = {
    backend: inner.backend,
    writes: 0,
    probe: (s: string) => inner.probe(s),
    get: (s: string, a: string) => inner.get(s, a),
    list: (s: string) => inner.list(s),
    set: (s: string, a: string, v: string) => {
      wrapper.writes++;
      return inner.set(s, a, v);
    },
    delete: (s: string, a: string) => {
      wrapper.writes++;
      return inner.delete(s, a);
    },
  };
  return wrapper;
}

interface Fixture {
  server: ReferenceServer;
  service: string;
  run: (args?: string[]) => ReturnType<typeof cli>;
  cached: () => Promise<Record<string, string | null>>;
}

/** A server, a service with the token installed, and a `sync` runner; everything removed afterwards. */
function withFixture(
  name: string,
  fn: (f: Fixture) => Promise<void>,
  options: { enrollment?: boolean; secrets?: Record<string, string> } = {},
) {
  Deno.test(`sync: ${name}`, async () => {
    const server = new ReferenceServer({
      bootstrapTokens: [TOKEN],
      secrets: options.secrets ?? SECRETS,
      enrollment: options.enrollment ?? true,
    });
    const service = uniqueService("amrs-sync");
    try {
      assert.equal((await cli(["set", "BOOTSTRAP_SECRET_TOKEN", "--service", service], { stdin: TOKEN })).code, 0);
      const run = (args: string[] = []) =>
        cli(["sync", "--service", service, "--server", server.url, "--sync-timeout", "4", ...args]);
      const cached = async () => {
        const out: Record<string, string | null> = {};
        for (const key of Object.keys(SECRETS)) out[key] = await pythonKeyring.get(service, key);
        return out;
      };
      await fn({ server, service, run, cached });
    } finally {
      await cli(["purge", "--silent", "--service", service]);
      await server.close();
    }
  });
}

withFixture(
  "first sync enrolls, writes every secret; python keyring reads them",
  async ({ server, service, run, cached }) => {
    const result = await run(["--json"]);
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout);
    assert.deepEqual([document.enrolled, document.written.length, document.deleted], [true, 3, []]);
    assert.deepEqual(await cached(), SECRETS);
    assert.equal(await pythonKeyring.get(service, DEVICE_CREDENTIAL_ACCOUNT), server.deviceTokens[0]);
    assert.equal(await pythonKeyring.get(service, "BOOTSTRAP_SECRET_TOKEN"), TOKEN, "the token stays");
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path} ${r.credential} ${r.status}`), [
      "POST /v1/enroll bootstrap 200",
      "GET /v1/secrets device:1 200",
    ]);
    const status = JSON.parse((await cli(["status", "--json", "--service", service])).stdout);
    assert.deepEqual(status.secrets, Object.keys(SECRETS).sort());
    assert.equal(status.stale, false);
    assert.equal(status.server, server.url);
  },
);

withFixture(
  "a no-change sync makes zero keyring writes (counted) and sends If-None-Match",
  async ({ server, service, run }) => {
    assert.equal((await run()).code, 0);
    const keyring = counting(openLibsecret());
    const result = await sync({ keyring, service, serverUrl: server.url, deadline: Date.now() + 5000 });
    assert.equal(result.notModified, true);
    assert.equal(keyring.writes, 0);
    assert.equal(result.writes, 0);
    assert.equal(server.requests.at(-1)!.status, 304);
    assert.equal(server.requests.at(-1)!.ifNoneMatch, server.etag);
    const cliRun = JSON.parse((await run(["--json"])).stdout);
    assert.deepEqual([cliRun.not_modified, cliRun.keyring_writes], [true, 0]);
  },
);

withFixture("changes: only what changed is written; removed names deleted; entries not ours kept", async (f) => {
  assert.equal((await f.run()).code, 0);
  assert.equal((await cli(["set", "USER_NOTE", "--service", f.service], { stdin: "mine" })).code, 0);
  f.server.setSecrets({ DB_PASSWORD: "rotated-pw", API_KEY: "key-1", NEW_ONE: "n" });
  const keyring = counting(openLibsecret());
  const result = await sync({ keyring, service: f.service, serverUrl: f.server.url, deadline: Date.now() + 5000 });
  assert.deepEqual(result.written, ["DB_PASSWORD", "NEW_ONE"]);
  assert.deepEqual(result.deleted, ["REPORT_URL"]);
  assert.equal(await pythonKeyring.get(f.service, "DB_PASSWORD"), "rotated-pw");
  assert.equal(await pythonKeyring.get(f.service, "REPORT_URL"), null);
  assert.equal(await pythonKeyring.get(f.service, "USER_NOTE"), "mine", "an entry sync did not write is kept");
  // 2 secrets + the widened state entry + the final state entry + 1 delete.
  assert.equal(keyring.writes, 5);
});

withFixture("rotation: the new credential is written and read back, then used; the old one is gone", async (f) => {
  assert.equal((await f.run()).code, 0);
  const first = await pythonKeyring.get(f.service, DEVICE_CREDENTIAL_ACCOUNT);
  f.server.rotateNext();
  const rotated = JSON.parse((await f.run(["--json"])).stdout);
  assert.equal(rotated.rotated, true);
  const second = await pythonKeyring.get(f.service, DEVICE_CREDENTIAL_ACCOUNT);
  assert.notEqual(second, first);
  assert.equal(second, f.server.deviceTokens.at(-1));
  assert.equal(await pythonKeyring.get(f.service, "_amrs.device.next"), null, "no pending credential left");
  assert.equal((await f.run()).code, 0, "the next sync works with the new credential");
});

withFixture(
  "revocation: exit 7 and the cache is kept; with purge, synced secrets go and the token stays",
  async (f) => {
    assert.equal((await f.run()).code, 0);
    f.server.revokeAll();
    const revoked = await f.run();
    assert.equal(revoked.code, 7);
    assert.match(revoked.stderr, /rejected the credential \(HTTP 401\)/);
    assert.deepEqual(await f.cached(), SECRETS);
    f.server.revokeAll(true);
    assert.equal((await f.run()).code, 7);
    assert.deepEqual(await f.cached(), { DB_PASSWORD: null, API_KEY: null, REPORT_URL: null });
    assert.equal(await pythonKeyring.get(f.service, DEVICE_CREDENTIAL_ACCOUNT), null);
    assert.equal(await pythonKeyring.get(f.service, "BOOTSTRAP_SECRET_TOKEN"), TOKEN);
  },
);

withFixture("429 and 503 with Retry-After are waited out; a Retry-After past the deadline is exit 6", async (f) => {
  f.server.misbehave({ mode: "status", status: 429, retryAfter: "1" }, 1);
  const started = Date.now();
  assert.equal((await f.run()).code, 0);
  assert.ok(Date.now() - started >= 1000, "waited for Retry-After");
  assert.deepEqual(f.server.requests.slice(0, 2).map((r) => r.status), [429, 200]);
  f.server.setSecrets({ ...SECRETS, API_KEY: "key-2" });
  f.server.misbehave({ mode: "status", status: 503, retryAfter: "1" }, 2);
  assert.equal((await f.run()).code, 0);
  assert.equal(await pythonKeyring.get(f.service, "API_KEY"), "key-2");
  f.server.misbehave({ mode: "status", status: 503, retryAfter: "3600" }, 1);
  const late = await f.run();
  assert.equal(late.code, 6);
  assert.match(late.stderr, /busy \(HTTP 503\) and asked to retry after the deadline/);
});

withFixture("server down: exit 6 and the cache is intact", async (f) => {
  assert.equal((await f.run()).code, 0);
  await f.server.close();
  const down = await cli(["sync", "--service", f.service, "--server", f.server.url, "--sync-timeout", "1"]);
  assert.equal(down.code, 6);
  assert.match(down.stderr, /did not answer in time \(cannot connect/);
  assert.deepEqual(await f.cached(), SECRETS);
  const status = JSON.parse((await cli(["status", "--json", "--service", f.service])).stdout);
  assert.deepEqual([status.last_check.ok, status.last_check.exit_code], [false, 6]);
});

withFixture("each misbehaviour gives its documented exit code, and nothing is lost", async (f) => {
  assert.equal((await f.run()).code, 0);
  f.server.setSecrets({ ...SECRETS, API_KEY: "would-change" });
  const other = new ReferenceServer({ bootstrapTokens: [] });
  try {
    const cases: [string, Parameters<ReferenceServer["misbehave"]>[0], number, RegExp][] = [
      ["slow", { mode: "delay", ms: 6000 }, 6, /did not answer in time/],
      ["5xx", { mode: "status", status: 500 }, 6, /HTTP 500/],
      ["dropped", { mode: "drop" }, 6, /HTTP 500/],
      ["malformed", { mode: "malformed" }, 8, /not valid JSON/],
      ["oversized", { mode: "oversized", bytes: 5 * 1024 * 1024 }, 8, /larger than 4194304 bytes/],
      ["4xx", { mode: "status", status: 400 }, 8, /unexpected HTTP 400/],
      ["cross-origin redirect", { mode: "redirect", location: `${other.url}/v1/secrets` }, 8, /another origin/],
    ];
    for (const [label, what, code, message] of cases) {
      f.server.misbehave(what, Infinity);
      const result = await f.run(["--sync-timeout", "2"]);
      f.server.behave();
      assert.equal(result.code, code, `${label}: ${result.stderr}`);
      assert.match(result.stderr, message, label);
      assert.deepEqual(await f.cached(), SECRETS, `${label}: cache changed`);
    }
    assert.equal(other.requests.length, 0, "the other origin never received a request (nor the credential)");
    f.server.misbehave({ mode: "redirect", location: "/v1/secrets" }, 1);
    assert.equal((await f.run()).code, 0, "a same-origin redirect is followed");
    assert.equal(await pythonKeyring.get(f.service, "API_KEY"), "would-change");
  } finally {
    await other.close();
  }
});

withFixture("invalid names or values in the document: exit 8, nothing written", async (f) => {
  assert.equal((await f.run()).code, 0);
  for (const bad of [{ "bad@name": "x" }, { _amrs_state: "x" }, { BOOTSTRAP_SECRET_TOKEN: "evil" }, { NUL: "a\0b" }]) {
    f.server.setSecrets({ ...SECRETS, API_KEY: "changed", ...bad });
    const result = await f.run();
    assert.equal(result.code, 8, JSON.stringify(bad));
    assert.deepEqual(await f.cached(), SECRETS);
    assert.equal(await pythonKeyring.get(f.service, "BOOTSTRAP_SECRET_TOKEN"), TOKEN);
  }
});

withFixture("a server without enrollment: the bootstrap token is the credential", async (f) => {
  const result = JSON.parse((await f.run(["--json"])).stdout);
  assert.equal(result.enrolled, false);
  assert.deepEqual(await f.cached(), SECRETS);
  assert.deepEqual(f.server.requests.map((r) => `${r.path} ${r.status} ${r.credential}`), [
    "/v1/enroll 404 bootstrap",
    "/v1/secrets 200 bootstrap",
  ]);
  assert.equal((await f.run()).code, 0);
  assert.equal(f.server.requests.filter((r) => r.path === "/v1/enroll").length, 1, "enrollment is not retried");
  const state = JSON.parse((await pythonKeyring.get(f.service, STATE_ACCOUNT))!);
  assert.equal(state.enrolled, false);
}, { enrollment: false });

Deno.test("sync: no token and no sealed payload is exit 10; no server is exit 2", async () => {
  const service = uniqueService("amrs-sync");
  const server = new ReferenceServer({ bootstrapTokens: [TOKEN] });
  try {
    const result = await cli(["sync", "--service", service, "--server", server.url]);
    assert.equal(result.code, 10, result.stderr);
    assert.match(result.stderr, /bootstrap token is not in the keyring/);
    assert.equal(server.requests.length, 0);
    const noServer = await cli(["sync", "--service", service]);
    assert.equal(noServer.code, 2);
    assert.match(noServer.stderr, /no secrets server configured/);
    const http = await cli(["sync", "--service", service, "--server", "http://secrets.example.com"]);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /must use https/);
  } finally {
    await server.close();
  }
});

Deno.test("sync: Retry-After parsing and the backoff bound", () => {
  assert.equal(retryAfterMs("3"), 3000);
  assert.equal(retryAfterMs(new Date(Date.now() + 10_000).toUTCString())! > 8000, true);
  assert.equal(retryAfterMs("soon"), undefined);
  assert.equal(retryAfterMs(null), undefined);
  for (let attempt = 0; attempt < 12; attempt++) {
    assert.ok(backoffMs(attempt, () => 0.999) < 4000);
    assert.equal(backoffMs(attempt, () => 0), 0);
  }
  assert.ok(backoffMs(1, () => 0.999) < 500 && backoffMs(1, () => 0.999) >= 499);
});

Deno.test("sync (fake keyring with Windows' 1280-character limit): the state is split into buckets and still owns all", async () => {
  const many = Object.fromEntries(
    Array.from({ length: 300 }, (_, i) => [`SECRET_NAME_${String(i).padStart(4, "0")}`, `v${i}`]),
  );
  const server = new ReferenceServer({ bootstrapTokens: [TOKEN], secrets: many });
  try {
    const keyring = new MemoryKeyring("wincred", 1280);
    await keyring.set("amrs", "BOOTSTRAP_SECRET_TOKEN", TOKEN);
    const run = () => sync({ keyring, service: "amrs", serverUrl: server.url, deadline: Date.now() + 5000 });
    assert.equal((await run()).written.length, 300);
    const entries = await keyring.list("amrs");
    const buckets = entries.filter((n) => /^_amrs\.state\.\d+\.\d+$/.test(n));
    assert.ok(buckets.length >= 8, `state spread over ${buckets.length} buckets`);
    for (const name of entries) assert.ok((await keyring.get("amrs", name))!.length <= 1280, name);
    assert.equal((await run()).notModified, true);
    // Dropping names still deletes them: ownership survived the split.
    const fewer = Object.fromEntries(Object.entries(many).slice(0, 10));
    server.setSecrets(fewer);
    const result = await run();
    assert.equal(result.deleted.length, 290);
    const left = (await keyring.list("amrs")).filter((n) => !n.startsWith("_amrs.") && n !== "BOOTSTRAP_SECRET_TOKEN");
    assert.deepEqual(left, Object.keys(fewer).sort());
    assert.deepEqual((await keyring.list("amrs")).filter((n) => /^_amrs\.state\.\d/.test(n)), [], "back to one entry");
    // A value too large for the store rejects the whole document before anything is written (exit 8).
    server.setSecrets({ ...fewer, HUGE: "x".repeat(1281), [Object.keys(fewer)[0]!]: "changed" });
    await assert.rejects(run(), (e) => e instanceof CliError && e.exitCode === 8);
    assert.equal(await keyring.get("amrs", Object.keys(fewer)[0]!), "v0");
  } finally {
    await server.close();
  }
});

Deno.test("sync: names that differ only by case are refused (they collide on Windows), nothing written", () => {
  assert.throws(() => validateDocument({ secrets: { API_KEY: "a", Api_Key: "b" } }), /differ only by case/);
});
