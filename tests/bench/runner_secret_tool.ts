/**
 * Bench runner: `secret-tool`, one process per operation (what installer scripts do today). The value goes
 * through stdin. Timed from spawn to exit.
 *   runner_secret_tool.ts N VALUE_LENGTH -> {"set":[ms...],"get":[ms...],"rss_kib":null}
 */
import { runCollect } from "../../src/subprocess.ts";
import { benchValue } from "./_shared.ts";

const [n, length] = Deno.args.map(Number) as [number, number];
const value = benchValue(length);
const attributes = (i: number) => ["service", "amrs-bench", "username", `BENCH_${String(i).padStart(4, "0")}`];
const times = { set: [] as number[], get: [] as number[] };
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const stored = await runCollect(
    "secret-tool",
    ["store", "--label=bench", ...attributes(i), "application", "Python keyring library"],
    { input: value },
  );
  if (stored.code !== 0) throw new Error("secret-tool store failed");
  times.set.push(performance.now() - t0);
}
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const { success, stdout } = await new Deno.Command("secret-tool", { args: ["lookup", ...attributes(i)] }).output();
  times.get.push(performance.now() - t0);
  if (!success || new TextDecoder().decode(stdout) !== value) throw new Error("secret-tool lookup failed");
}
console.log(JSON.stringify({ ...times, rss_kib: null }));
