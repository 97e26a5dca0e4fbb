/** Helpers shared by the bench runners. */

/** The bench's value: `length` lowercase letters, the same bytes in every runner (floor.c, runner_python.py). */
export function benchValue(length: number): string {
  return Array.from({ length }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join("");
}

/** Peak resident set size of this process (VmHWM in /proc/self/status), in KiB. */
export function peakRssKib(): number | null {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:"));
  return line === undefined ? null : Number.parseInt(line.slice(6), 10);
}
