/**
 * `deno task bench`: set then get N entries (default 200) on gnome-keyring, four ways side by side in one run:
 *   - amrs-bootstrap's backend (Deno FFI -> libsecret), in one process;
 *   - Debian's Python keyring (SecretService backend), in one process;
 *   - secret-tool, one process per operation (today's installer scripts);
 *   - a C program calling libsecret directly: the floor.
 * gnome-keyring rewrites its keyring file on every write, so a write costs more as the collection grows: every
 * method runs on its own fresh keyring (new D-Bus session, new daemon, empty collection) in every round, so all
 * are compared at equal collection sizes. The order of methods rotates between rounds.
 * This is a measurement, not a test: nothing here passes or fails on time.
 *   deno task bench [--n 200] [--rounds 3] [--json FILE]
 */
import { parseArgs } from "node:util";
import { freshKeyring } from "../_support/cli.ts";
import { DEBIAN_PYTHON } from "../_support/python_keyring.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = `${HERE}build`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    json: { type: "string" },
  },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);
const VALUE_LENGTH = 40;

interface Method {
  key: string;
  label: string;
  command: string[];
}

interface Sample {
  set: number[];
  get: number[];
  rss_kib: number | null;
}

async function buildFloor(): Promise<string> {
  await Deno.mkdir(BUILD, { recursive: true });
  const flags = await new Deno.Command("pkg-config", { args: ["--cflags", "--libs", "libsecret-1"] }).output();
  if (!flags.success) throw new Error("pkg-config libsecret-1 failed: install libsecret-1-dev (scripts/deps.sh bench)");
  const output = `${BUILD}/floor`;
  const cc = await new Deno.Command("cc", {
    args: ["-O2", "-o", output, `${HERE}floor.c`, ...new TextDecoder().decode(flags.stdout).trim().split(/\s+/)],
  }).output();
  if (!cc.success) throw new Error(`building floor.c failed:\n${new TextDecoder().decode(cc.stderr)}`);
  return output;
}

async function runMethod(method: Method, env: Record<string, string>): Promise<Sample> {
  const [program, ...args] = method.command;
  const { success, stdout, stderr } = await new Deno.Command(program!, {
    args: [...args, String(N), String(VALUE_LENGTH)],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`${method.label} failed:\n${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout)) as Sample;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const methods: Method[] = [
  { key: "floor", label: "C -> libsecret (floor)", command: [await buildFloor()] },
  {
    key: "amrs",
    label: "amrs-bootstrap (Deno FFI)",
    // --allow-all only because Deno gates /proc/self/status (peak RSS) behind it.
    command: [Deno.execPath(), "run", "--no-prompt", "--allow-all", `${HERE}runner_deno.ts`],
  },
  { key: "python", label: "Python keyring", command: [DEBIAN_PYTHON, `${HERE}runner_python.py`] },
  {
    key: "secret_tool",
    label: "secret-tool (1 process/op)",
    command: [Deno.execPath(), "run", "--no-prompt", "--allow-run", "--allow-read", `${HERE}runner_secret_tool.ts`],
  },
];

const samples = new Map<string, Sample[]>(methods.map((m) => [m.key, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = methods.map((_, i) => methods[(i + round) % methods.length]!);
  for (const method of order) {
    const keyring = await freshKeyring();
    try {
      samples.get(method.key)!.push(await runMethod(method, keyring.env));
    } finally {
      await keyring.close();
    }
    console.error(`round ${round + 1}/${ROUNDS}: ${method.label} done`);
  }
}

const rows = methods.map((method) => {
  const runs = samples.get(method.key)!;
  const set = runs.flatMap((r) => r.set);
  const get = runs.flatMap((r) => r.get);
  const rss = runs.map((r) => r.rss_kib).filter((v): v is number => v !== null);
  return {
    key: method.key,
    label: method.label,
    set_median_ms: quantile(set, 0.5),
    set_p90_ms: quantile(set, 0.9),
    get_median_ms: quantile(get, 0.5),
    get_p90_ms: quantile(get, 0.9),
    // Writes slow down as the collection grows: the first and last 20% of writes, medians.
    set_early_ms: quantile(runs.flatMap((r) => r.set.slice(0, N / 5)), 0.5),
    set_late_ms: quantile(runs.flatMap((r) => r.set.slice(-N / 5)), 0.5),
    peak_rss_mib: rss.length === 0 ? null : Math.max(...rss) / 1024,
  };
});
const floor = rows.find((r) => r.key === "floor")!;
const ours = rows.find((r) => r.key === "amrs")!;

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const header = [
  "method",
  "set median",
  "get median",
  "set p90",
  "get p90",
  "set early/late",
  "vs floor set/get",
  "vs amrs set/get",
  "peak RSS",
];
const table = rows.map((r) => [
  r.label,
  fmt(r.set_median_ms),
  fmt(r.get_median_ms),
  fmt(r.set_p90_ms),
  fmt(r.get_p90_ms),
  `${r.set_early_ms.toFixed(2)}/${r.set_late_ms.toFixed(2)}`,
  `${ratio(r.set_median_ms, floor.set_median_ms)} / ${ratio(r.get_median_ms, floor.get_median_ms)}`,
  `${ratio(r.set_median_ms, ours.set_median_ms)} / ${ratio(r.get_median_ms, ours.get_median_ms)}`,
  r.peak_rss_mib === null ? "n/a" : `${r.peak_rss_mib.toFixed(1)} MiB`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(
  `\nkeyring bench: ${N} entries set then read, ${ROUNDS} rounds, a fresh gnome-keyring per method per round`,
);
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table) console.log(line(row));
console.log(
  `\namrs-bootstrap vs Python keyring: set ${ratio(ours.set_median_ms, rows[2]!.set_median_ms)}, ` +
    `get ${ratio(ours.get_median_ms, rows[2]!.get_median_ms)} of Python's time per operation.`,
);
if (values.json !== undefined) {
  await Deno.writeTextFile(values.json, JSON.stringify({ n: N, rounds: ROUNDS, rows }, null, 2));
}
