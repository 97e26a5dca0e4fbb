/** What a finished child process left: exit code and decoded output. */
export interface Collected {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCollect}. */
export interface RunOptions {
  /** Bytes or text for stdin; stdin is /dev/null when absent. Secrets go here, never into args or env. */
  input?: string | Uint8Array;
  env?: Record<string, string>;
  clearEnv?: boolean;
  cwd?: string;
}

/**
 * Runs a program to completion with piped output, feeding `input` on stdin, and returns what it printed.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runCollect("git", ["grep", "-F", "-l", "-f", "-"], { input: token });
 * ```
 */
export async function runCollect(program: string, args: string[], options: RunOptions = {}): Promise<Collected> {
  const child = new Deno.Command(program, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    clearEnv: options.clearEnv ?? false,
    stdin: options.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.input !== undefined) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(typeof options.input === "string" ? new TextEncoder().encode(options.input) : options.input);
      await writer.close();
    } catch (error) {
      // A child that exits before reading its input (a failed start, an early error) closes the pipe: that is its
      // outcome to report through its exit code and output, not an error of ours.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}
