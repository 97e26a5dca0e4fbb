import { ExitCode } from "./exit_codes.ts";

/**
 * An error that the command line reports to the user with a documented exit code.
 * Its message is shown as it is, so it must never contain a secret value: only names, paths and native codes.
 *
 * @example
 * ```ts
 * throw new CliError(ExitCode.Usage, "unknown command 'sycn'", { hint: "run 'amrs-bootstrap --help'" });
 * ```
 */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: ExitCode;
  /** A short machine-readable kind for `--json` output, e.g. `usage`, `not_found`, `locked`. */
  readonly kind: string;
  /** What the user can do about it, shown on its own line. */
  readonly hint: string | undefined;

  constructor(exitCode: ExitCode, message: string, options: { kind?: string; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.kind = options.kind ?? "error";
    this.hint = options.hint;
  }
}

/** A usage error (exit 2): bad option, bad name, bad value. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(ExitCode.Usage, message, hint === undefined ? { kind: "usage" } : { kind: "usage", hint });
}
