/**
 * The leak test: a canary token/value goes through every command, and must never appear in stdout (except `get` of
 * that name), stderr, the --log file, or the argv/environment of any process started on the way. Every process
 * start is recorded with `strace -f -e trace=execve -v` (full argv and environment of each execve).
 */
import assert from "node:assert/strict";
import { GENERATED_PATH, ROOT, withGeneratedModuleSetAside } from "./_support/build.ts";
import { cliTaskArgs } from "./_support/cli.ts";
import { uniqueService } from "./_support/keyring_contract.ts";
import { runCollect } from "../src/subprocess.ts";
import { ReferenceServer } from "../server/reference_server.ts";

const CANARY = `canary-leak-${crypto.randomUUID()}`;

interface Traced {
  code: number;
  stdout: string;
  stderr: string;
  /** One entry per execve: the strace line with its argv and environment. */
  execs: string[];
}

/** Runs `program args` under strace, following children; `stdin` is piped in. */
async function traced(program: string, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const trace = await Deno.makeTempFile();
  try {
    const { code, stdout, stderr } = await runCollect("strace", [
      ...["-f", "-qq", "-e", "trace=execve", "-v", "-s", "1000000", "-o", trace, "--", program, ...args],
    ], { cwd: ROOT, env: options.env ?? {}, ...(options.stdin === undefined ? {} : { input: options.stdin }) });
    const execs = (await Deno.readTextFile(trace)).split("\n").filter((line) => line.includes("execve("));
    return { code, stdout, stderr, execs };
  } finally {
    await Deno.remove(trace);
  }
}

function assertNoCanary(label: string, result: Traced, { stdoutMayHold = false, skipFirstExec = false } = {}) {
  if (!stdoutMayHold) assert.ok(!result.stdout.includes(CANARY), `${label}: canary on stdout`);
  assert.ok(!result.stderr.includes(CANARY), `${label}: canary on stderr`);
  const execs = skipFirstExec ? result.execs.slice(1) : result.execs;
  for (const exec of execs) {
    assert.ok(!exec.includes(CANARY), `${label}: canary in a process's argv/env: ${exec.slice(0, 120)}`);
  }
}

Deno.test("leak: the canary appears nowhere but get's stdout, across every command, incl. failures", async () => {
  await withGeneratedModuleSetAside(async () => {
    const service = uniqueService("amrs-leak");
    const log = await Deno.makeTempFile();
    const deno = Deno.execPath();
    const server = new ReferenceServer({ bootstrapTokens: [CANARY], secrets: { SYNCED: `${CANARY}-synced` } });
    const cli = ([command, ...args]: string[], stdin?: string) =>
      traced(
        deno,
        [...cliTaskArgs(), command!, "--service", service, "--log", log, "--server", server.url, ...args],
        stdin === undefined ? {} : { stdin },
      );
    try {
      // The build side: the token comes in through the environment, as on a CI build machine. Only the first
      // process (the builder itself) may hold it; git and every other child must not.
      const embed = await traced(deno, ["run", "-A", `${ROOT}/installer/embed.ts`, "--service", service], {
        env: { BOOTSTRAP_SECRET_TOKEN: CANARY },
      });
      assert.equal(embed.code, 0, embed.stderr);
      assert.ok(embed.execs.length > 1, "embed ran git (so children were checked)");
      assertNoCanary("embed", embed, { skipFirstExec: true });

      const checks: [string, Traced, { stdoutMayHold?: boolean }?][] = [];
      checks.push(["install as root (exit 5)", await cli(["install"])]);
      checks.push(["install", await cli(["install", "--allow-root"])]);
      checks.push(["install again", await cli(["install", "--allow-root", "--json"])]);
      checks.push(["set", await cli(["set", "OTHER"], `${CANARY}-other`)]);
      checks.push(["set too large", await cli(["set", "OTHER"], `${CANARY}${"x".repeat(1024 * 1024)}`)]);
      checks.push(["set with NUL", await cli(["set", "OTHER"], `${CANARY}\0`)]);
      checks.push(["sync", await cli(["sync"])]);
      checks.push(["sync again", await cli(["sync", "--json"])]);
      checks.push(["launch (app prints its environment)", await cli(["launch", "--", "env"])]);
      checks.push(["launch --env SYNCED", await cli(["launch", "--env", "SYNCED", "--", "true"])]);
      checks.push(["status", await cli(["status"])]);
      checks.push(["status --json", await cli(["status", "--json"])]);
      checks.push(["get token", await cli(["get", "BOOTSTRAP_SECRET_TOKEN"]), { stdoutMayHold: true }]);
      checks.push(["get other --json", await cli(["get", "OTHER", "--json"]), { stdoutMayHold: true }]);
      checks.push(["get missing", await cli(["get", "MISSING"])]);
      checks.push(["delete", await cli(["delete", "OTHER"])]);
      checks.push(["version", await cli(["version"])]);
      checks.push(["help", await cli(["--help"])]);
      checks.push(["purge", await cli(["purge"])]);
      for (const [label, result, options] of checks) {
        if (label === "launch --env SYNCED") {
          // The app's own execve carries SYNCED (asked for); nothing else may carry the token.
          assertNoCanary(label, { ...result, execs: result.execs.filter((e) => !e.includes("SYNCED=")) }, options);
        } else {
          assertNoCanary(label, result, options);
        }
      }
      assert.equal(checks.find(([l]) => l === "install")![1].code, 0);
      assert.equal(checks.find(([l]) => l === "install as root (exit 5)")![1].code, 5);
      assert.equal(checks.find(([l]) => l === "get token")![1].stdout, CANARY, "get prints the value it was asked for");
      assert.equal(checks.find(([l]) => l === "sync")![1].code, 0);
      const launched = checks.find(([l]) => l.startsWith("launch (app"))![1];
      assert.match(launched.stdout, /^PATH=/m, "the app ran and printed its environment");
      // Only the one secret asked for by name reaches a child, and only that child.
      const asked = checks.find(([l]) => l === "launch --env SYNCED")![1];
      assert.equal(asked.execs.filter((e) => e.includes(`SYNCED=${CANARY}-synced`)).length, 1);
      const logText = await Deno.readTextFile(log);
      assert.equal(logText.trim().split("\n").length, checks.length);
      assert.ok(!logText.includes(CANARY), "canary in the log file");
    } finally {
      await server.close();
      await traced(deno, [...cliTaskArgs(), "purge", "--silent", "--service", service]);
      await Deno.remove(log);
    }
  });
});

Deno.test("leak: release passes the token to no child (git, deno compile), and leaves it nowhere", async () => {
  await withGeneratedModuleSetAside(async () => {
    const out = await Deno.makeTempDir();
    try {
      const release = await traced(
        Deno.execPath(),
        ["run", "-A", `${ROOT}/installer/release.ts`, "--target", "x86_64-unknown-linux-gnu", "--out", out],
        { env: { BOOTSTRAP_SECRET_TOKEN: CANARY, DENORT_BIN: Deno.execPath(), HOME: Deno.env.get("HOME") ?? "/root" } },
      );
      assert.equal(release.code, 0, release.stderr);
      assert.ok(release.execs.some((e) => e.includes('"compile"')), "deno compile ran under the trace");
      assertNoCanary("release", release, { skipFirstExec: true });
      for await (const entry of Deno.readDir(out)) {
        if (entry.name.endsWith(".json") || entry.name === "SHA256SUMS") {
          assert.ok(!(await Deno.readTextFile(`${out}/${entry.name}`)).includes(CANARY), entry.name);
        }
      }
      try {
        await Deno.stat(GENERATED_PATH);
        assert.fail("the generated module is still there");
      } catch (error) {
        assert.ok(error instanceof Deno.errors.NotFound);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});
