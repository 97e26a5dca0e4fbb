/**
 * `deno task bench`, part 2 (issue: sync and launcher):
 *   - launch overhead with a warm cache and no network (`launch --no-sync -- true`), against starting an empty Deno
 *     script and against `true` itself, each spawned N times;
 *   - a first sync of 1,000 secrets from the reference server into a fresh gnome-keyring: amrs-bootstrap `sync`
 *     against tests/bench/python_sync.py (Debian's Python keyring), in the same keyring daemon, order alternated.
 * A measurement, not a test.   deno task bench [--launches 20] [--secrets 1000]
 */
import { parseArgs } from "node:util";
import { ReferenceServer } from "../../server/reference_server.ts";
import { cliTaskArgs, freshKeyring } from "../_support/cli.ts";
import { DEBIAN_PYTHON } from "../_support/python_keyring.ts";
import { runCollect } from "../../src/subprocess.ts";

const HERE = new URL(".", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: { launches: { type: "string", default: "20" }, secrets: { type: "string", default: "1000" } },
});
const LAUNCHES = Number(values.launches);
const SECRETS = Number(values.secrets);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(program: string, args: string[], env: Record<string, string>, input?: string): Promise<number> {
  const t0 = performance.now();
  const result = await runCollect(program, args, { env, ...(input === undefined ? {} : { input }) });
  const elapsed = performance.now() - t0;
  if (result.code !== 0) throw new Error(`${program} ${args.slice(-3).join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

const token = `bench-${crypto.randomUUID()}`;
const secrets = Object.fromEntries(
  Array.from(
    { length: SECRETS },
    (_, i) => [`SECRET_${String(i).padStart(4, "0")}`, `value-${i}-${crypto.randomUUID()}`],
  ),
);

// --- launch overhead -------------------------------------------------------------------------------------------
const empty = await Deno.makeTempFile({ suffix: ".ts" });
const keyring = await freshKeyring();
const server = new ReferenceServer({ bootstrapTokens: [token], secrets: { A: "1", B: "2" } });
try {
  const deno = Deno.execPath();
  const cli = [...cliTaskArgs()];
  const env = keyring.env;
  await timed(deno, [...cli, "set", "BOOTSTRAP_SECRET_TOKEN", "--service", "amrs-bench"], env, token);
  await timed(deno, [...cli, "sync", "--service", "amrs-bench", "--server", server.url], env);
  const runs = { launch: [] as number[], deno: [] as number[], native: [] as number[] };
  for (let i = 0; i < LAUNCHES; i++) {
    runs.launch.push(await timed(deno, [...cli, "launch", "--no-sync", "--service", "amrs-bench", "--", "true"], env));
    runs.deno.push(await timed(deno, ["run", "--no-prompt", empty], env));
    runs.native.push(await timed("true", [], env));
  }
  const launch = median(runs.launch);
  const bare = median(runs.deno);
  console.log(`\nlaunch overhead, warm cache, no network (median of ${LAUNCHES} spawns each)`);
  console.log(`  amrs-bootstrap launch --no-sync -- true   ${launch.toFixed(1)} ms`);
  console.log(`  deno run <empty script>                    ${bare.toFixed(1)} ms`);
  console.log(`  true                                       ${median(runs.native).toFixed(1)} ms`);
  console.log(`  launcher / empty Deno script: ${(launch / bare).toFixed(2)}x (+${(launch - bare).toFixed(1)} ms)`);
} finally {
  await server.close();
  await keyring.close();
  await Deno.remove(empty);
}

// --- 1,000-secret first sync ------------------------------------------------------------------------------------
const results = { amrs: [] as number[], python: [] as number[] };
for (let round = 0; round < 2; round++) {
  const session = await freshKeyring();
  const server = new ReferenceServer({ bootstrapTokens: [token], secrets });
  try {
    const env = session.env;
    const ours = async () => {
      await timed(
        Deno.execPath(),
        [...cliTaskArgs(), "set", "BOOTSTRAP_SECRET_TOKEN", "--service", "bench-amrs"],
        env,
        token,
      );
      results.amrs.push(
        await timed(Deno.execPath(), [
          ...cliTaskArgs(),
          "sync",
          "--service",
          "bench-amrs",
          "--server",
          server.url,
          "--sync-timeout",
          "600",
        ], env),
      );
    };
    const python = async () => {
      results.python.push(
        await timed(DEBIAN_PYTHON, [`${HERE}python_sync.py`, server.url, "bench-python"], env, token),
      );
    };
    // Same daemon for both; the one that runs second sees a collection that is larger by SECRETS entries, so the
    // order alternates between rounds.
    if (round % 2 === 0) {
      await ours();
      await python();
    } else {
      await python();
      await ours();
    }
    console.error(`sync round ${round + 1}/2 done`);
  } finally {
    await server.close();
    await session.close();
  }
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
console.log(`\nfirst sync of ${SECRETS} secrets into gnome-keyring (mean of 2 rounds, order alternated)`);
console.log(
  `  amrs-bootstrap sync (enroll, fetch, write + read back each, state)   ${(mean(results.amrs) / 1000).toFixed(2)} s`,
);
console.log(
  `  Python keyring script (enroll, fetch, set_password each)            ${(mean(results.python) / 1000).toFixed(2)} s`,
);
console.log(`  amrs-bootstrap / Python: ${(mean(results.amrs) / mean(results.python)).toFixed(2)}x`);
