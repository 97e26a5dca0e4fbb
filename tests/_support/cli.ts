/**
 * Spawns the real CLI as a subprocess, with exactly the permissions of `deno task cli` (read from deno.json, which
 * is also what the release binary bakes in), and a private keyring session for tests that need their own.
 */
import assert from "node:assert/strict";
import { type Collected, runCollect } from "../../src/subprocess.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** `deno task cli`'s command, split: ["run", "--no-prompt", "--allow-ffi", ..., "main.ts"]. */
export function cliTaskArgs(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as { tasks: Record<string, string> };
  const words = config.tasks.cli!.split(/\s+/);
  assert.equal(words[0], "deno");
  assert.equal(words.at(-1), "main.ts");
  return [...words.slice(1, -1), `${ROOT}main.ts`];
}

export type CliResult = Collected;

export interface CliOptions {
  /** Bytes or text for stdin; stdin is /dev/null when absent. */
  stdin?: string | Uint8Array;
  /** Variables to set (merged over this process's environment unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start from an empty environment (plus `env`), e.g. to have no D-Bus session at all. */
  clearEnv?: boolean;
  /** A command line to run the CLI under, e.g. ["unshare", "-m", ...]: the deno argv is appended. */
  wrapper?: string[];
}

/** Runs `amrs-bootstrap ARGS` as `deno task cli` does and collects its exit code and output. */
export function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const argv = [Deno.execPath(), ...cliTaskArgs(), ...args];
  const [program, ...rest] = options.wrapper === undefined ? argv : [...options.wrapper, ...argv];
  return runCollect(program!, rest, {
    cwd: ROOT,
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    ...(options.stdin === undefined ? {} : { input: options.stdin }),
  });
}

/** A second, independent gnome-keyring on its own D-Bus session, for tests that lock or break their keyring. */
export interface FreshKeyring {
  /** Environment that points a process at this session's bus. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts scripts/private_keyring.sh with a command that prints the bus address and then waits on stdin:
 * the session lives until `close()` closes that stdin.
 */
export async function freshKeyring(): Promise<FreshKeyring> {
  const child = new Deno.Command("sh", {
    args: [
      `${ROOT}scripts/private_keyring.sh`,
      "--",
      "sh",
      "-c",
      'echo "$DBUS_SESSION_BUS_ADDRESS"; exec cat >/dev/null',
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the private keyring session did not start");
    text += value;
  }
  const address = text.trim();
  assert.match(address, /^unix:/);
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    async close() {
      await child.stdin.close();
      await reader.cancel();
      await child.status;
    },
  };
}
