/**
 * Bench runner: amrs-bootstrap's own Secret Service backend (Deno FFI -> libsecret), in one process.
 *   runner_deno.ts N VALUE_LENGTH -> {"set":[ms...],"get":[ms...],"rss_kib":N}
 */
import { openLibsecret } from "../../ffi/libsecret.ts";
import { benchValue, peakRssKib } from "./_shared.ts";

const [n, length] = Deno.args.map(Number) as [number, number];
const keyring = openLibsecret();
const value = benchValue(length);
const times = { set: [] as number[], get: [] as number[] };
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await keyring.set("amrs-bench", `BENCH_${String(i).padStart(4, "0")}`, value);
  times.set.push(performance.now() - t0);
}
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const found = await keyring.get("amrs-bench", `BENCH_${String(i).padStart(4, "0")}`);
  times.get.push(performance.now() - t0);
  if (found !== value) throw new Error("read back a different value");
}
console.log(JSON.stringify({ ...times, rss_kib: peakRssKib() }));
