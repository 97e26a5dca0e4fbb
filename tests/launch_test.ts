/**
 * The first-run launcher, spawned as the release runs it, against the reference server and the real keyring:
 * first run installs the sealed token and syncs; offline starts on the cache; ten launchers at once all start the
 * app and their syncs never overlap; exit codes and signals pass through; only --env names reach the app.
 */
import assert from "node:assert/strict";
import { ReferenceServer } from "../server/reference_server.ts";
import { cli, cliTaskArgs } from "./_support/cli.ts";
import { task, withGeneratedModuleSetAside } from "./_support/build.ts";
import { uniqueService } from "./_support/keyring_contract.ts";
import { pythonKeyring } from "./_support/python_keyring.ts";

const TOKEN = `boot-${crypto.randomUUID()}`;
const SECRETS = { DB_PASSWORD: "db-pw", API_KEY: "api-key" };

async function withServer(fn: (server: ReferenceServer, service: string) => Promise<void>, token = true) {
  const server = new ReferenceServer({ bootstrapTokens: [TOKEN], secrets: SECRETS });
  const service = uniqueService("amrs-launch");
  try {
    if (token) {
      assert.equal((await cli(["set", "BOOTSTRAP_SECRET_TOKEN", "--service", service], { stdin: TOKEN })).code, 0);
    }
    await fn(server, service);
  } finally {
    await cli(["purge", "--silent", "--service", service]);
    await server.close();
  }
}

Deno.test("launch: syncs, starts the app with inherited stdio, and exits with the app's code", async () => {
  await withServer(async (server, service) => {
    const result = await cli([
      "launch",
      "--service",
      service,
      "--server",
      server.url,
      "--",
      "sh",
      "-c",
      'echo "app on stdout"; echo "app on stderr" >&2; exit 42',
    ]);
    assert.equal(result.code, 42);
    assert.equal(result.stdout, "app on stdout\n");
    assert.equal(result.stderr, "app on stderr\n");
    assert.equal(await pythonKeyring.get(service, "DB_PASSWORD"), "db-pw", "synced before the app started");
  });
});

Deno.test("launch: only --env names reach the app's environment; never the token, even if set", async () => {
  await withServer(async (server, service) => {
    const dump = await Deno.makeTempFile();
    try {
      const result = await cli(
        ["launch", "--service", service, "--server", server.url, "--env", "API_KEY", "--", "sh", "-c", `env > ${dump}`],
        { env: { BOOTSTRAP_SECRET_TOKEN: TOKEN } },
      );
      assert.equal(result.code, 0, result.stderr);
      const env = await Deno.readTextFile(dump);
      assert.match(env, /^API_KEY=api-key$/m);
      assert.doesNotMatch(env, /DB_PASSWORD/);
      assert.ok(!env.includes(TOKEN), "the token is not in the app's environment");
      assert.match(env, /^BOOTSTRAP_SECRET_TOKEN=$/m);
      for (const bad of ["BOOTSTRAP_SECRET_TOKEN", "_amrs.device", "bad@name"]) {
        assert.equal((await cli(["launch", "--service", service, "--env", bad, "--", "true"])).code, 2, bad);
      }
    } finally {
      await Deno.remove(dump);
    }
  });
});

Deno.test("launch: offline, the app starts on the cached secrets and status records the staleness", async () => {
  await withServer(async (server, service) => {
    assert.equal((await cli(["sync", "--service", service, "--server", server.url])).code, 0);
    await server.close();
    const result = await cli([
      "launch",
      "--service",
      service,
      "--server",
      server.url,
      "--sync-timeout",
      "60",
      "--env",
      "DB_PASSWORD",
      "--",
      "sh",
      "-c",
      'test "$DB_PASSWORD" = db-pw',
    ]);
    assert.equal(result.code, 0, result.stderr);
    // With a cache, the launcher gives up after two connection attempts instead of waiting out the 60 s deadline.
    assert.match(
      result.stderr,
      /sync failed \(the secrets server is unreachable \(cannot connect .*starting on the cached/,
    );
    const status = JSON.parse((await cli(["status", "--json", "--service", service])).stdout);
    assert.equal(status.last_check.ok, false);
    assert.equal(status.last_check.exit_code, 6);
  });
});

Deno.test("launch: first run installs the sealed token, enrolls and syncs", async () => {
  await withGeneratedModuleSetAside(async () => {
    await withServer(async (server, service) => {
      const embedded = await task("embed", ["--service", service, "--server-url", server.url], {
        stdin: TOKEN,
        unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"],
      });
      assert.equal(embedded.code, 0, embedded.stderr);
      const result = await cli(["launch", "--service", service, "--", "true"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await pythonKeyring.get(service, "BOOTSTRAP_SECRET_TOKEN"), TOKEN);
      assert.equal(await pythonKeyring.get(service, "API_KEY"), "api-key");
      assert.equal(server.requests[0]!.path, "/v1/enroll", "the sealed server URL was used");
    }, false);
  });
});

Deno.test("launch: SIGTERM and SIGINT are forwarded to the app", async () => {
  await withServer(async (_server, service) => {
    for (const [signal, code] of [["SIGTERM", 15], ["SIGINT", 2]] as const) {
      const ready = await Deno.makeTempFile();
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          ...cliTaskArgs(),
          "launch",
          "--no-sync",
          "--service",
          service,
          "--",
          "sh",
          "-c",
          `trap 'exit ${100 + code}' TERM INT; echo up > ${ready}; while :; do sleep 0.05; done`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      while ((await Deno.readTextFile(ready)) === "") await new Promise((r) => setTimeout(r, 50));
      child.kill(signal);
      const status = await child.status;
      assert.equal(status.code, 100 + code, `${signal} reached the app, and its exit code came back`);
      await Deno.remove(ready);
    }
  });
});

Deno.test("launch: ten launchers at once all start the app; their syncs never overlap", async () => {
  await withServer(async (server, service) => {
    // Every request takes 200 ms, so overlapping syncs would be visible on the server.
    server.misbehave({ mode: "delay", ms: 200 }, Infinity);
    const marks = await Deno.makeTempFile();
    try {
      const launchers = Array.from({ length: 10 }, (_, i) =>
        cli([
          "launch",
          "--service",
          service,
          "--server",
          server.url,
          "--sync-timeout",
          "20",
          "--",
          "sh",
          "-c",
          `echo started-${i} >> ${marks}`,
        ]));
      const results = await Promise.all(launchers);
      for (const [i, result] of results.entries()) assert.equal(result.code, 0, `launcher ${i}: ${result.stderr}`);
      const lines = (await Deno.readTextFile(marks)).trim().split("\n").sort();
      assert.equal(lines.length, 10, "every launcher started the app");
      assert.equal(server.requests.filter((r) => r.path === "/v1/enroll").length, 1, "one enrollment, shared");
      const intervals = server.requests.map((r) => [r.startedAt, r.endedAt] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < intervals.length; i++) {
        assert.ok(intervals[i]![0] >= intervals[i - 1]![1], `requests ${i - 1} and ${i} overlap`);
      }
      assert.equal(server.requests.length, 11, "1 enroll + 10 GETs: every launcher synced, one at a time");
    } finally {
      await Deno.remove(marks);
    }
  });
});

Deno.test("launch: whatever breaks the sync (here: no server configured), the app still starts", async () => {
  await withServer(async (_server, service) => {
    const result = await cli(["launch", "--service", service, "--", "sh", "-c", "exit 3"]);
    assert.equal(result.code, 3, "the app's own exit code");
    assert.match(result.stderr, /sync failed \(no secrets server configured\); starting on the cached secrets/);
  });
});
