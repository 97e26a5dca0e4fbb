import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { VERSION } from "../version.ts";

/** Where the command line writes; tests pass in-memory sinks. */
export interface Streams {
  stdout: { write(bytes: Uint8Array): Promise<number> };
  stderr: { write(bytes: Uint8Array): Promise<number> };
  stdoutIsTerminal: boolean;
  stderrIsTerminal: boolean;
  /** True when NO_COLOR is set (https://no-color.org). */
  noColor: boolean;
}

const encoder = new TextEncoder();

/**
 * All user-facing output goes through here, so `--silent` (nothing at all), `--json` (one JSON document on stdout)
 * and `NO_COLOR` are honoured in one place. Nothing that reaches this class may contain a secret value, except
 * `value()`, which `get` uses to print the one value the user asked for.
 */
export class Output {
  readonly #streams: Streams;
  readonly json: boolean;
  readonly silent: boolean;
  #documentWritten = false;

  constructor(streams: Streams, options: { json: boolean; silent: boolean }) {
    this.#streams = streams;
    this.json = options.json;
    this.silent = options.silent;
  }

  /** A human-readable line on stdout (not in --json or --silent mode). */
  async line(text: string): Promise<void> {
    if (this.silent || this.json) return;
    await this.#streams.stdout.write(encoder.encode(`${text}\n`));
  }

  /** A notice on stderr (progress, warnings); not in --json or --silent mode. */
  async notice(text: string): Promise<void> {
    if (this.silent || this.json) return;
    await this.#streams.stderr.write(encoder.encode(`${text}\n`));
  }

  /** A progress line that rewrites itself, on a terminal only (nothing when piped, --json or --silent). */
  async progress(text: string | undefined): Promise<void> {
    if (this.silent || this.json || !this.#streams.stderrIsTerminal) return;
    await this.#streams.stderr.write(encoder.encode(text === undefined ? "\r\x1b[K" : `\r\x1b[K${text}`));
  }

  /** The command's result: `document` as JSON in --json mode, else the `human` lines. */
  async result(document: Record<string, unknown>, human: () => string[]): Promise<void> {
    if (this.silent) return;
    if (this.json) {
      await this.#writeDocument({ ok: true, ...document });
      return;
    }
    for (const text of human()) await this.line(text);
  }

  /** Exactly one secret value, as asked for by name: no decoration, a newline only when stdout is a terminal. */
  async value(document: Record<string, unknown>, value: string): Promise<void> {
    if (this.silent) return;
    if (this.json) {
      await this.#writeDocument({ ok: true, ...document, value });
      return;
    }
    await this.#streams.stdout.write(encoder.encode(this.#streams.stdoutIsTerminal ? `${value}\n` : value));
  }

  /** Reports a failure: on stderr (with the hint), or as the JSON document; nothing with --silent. */
  async error(error: CliError): Promise<void> {
    if (this.silent) return;
    if (this.json) {
      if (this.#documentWritten) return;
      await this.#writeDocument({
        ok: false,
        error: { kind: error.kind, message: error.message, hint: error.hint ?? null, exit_code: error.exitCode },
      });
      return;
    }
    const colour = this.#streams.stderrIsTerminal && !this.#streams.noColor;
    const prefix = colour ? "\x1b[31merror\x1b[0m" : "error";
    let text = `amrs-bootstrap: ${prefix}: ${messageChain(error)}\n`;
    if (error.hint !== undefined) text += `  fix: ${error.hint}\n`;
    await this.#streams.stderr.write(encoder.encode(text));
  }

  async #writeDocument(document: Record<string, unknown>): Promise<void> {
    this.#documentWritten = true;
    await this.#streams.stdout.write(encoder.encode(`${JSON.stringify(document, null, 2)}\n`));
  }
}

/**
 * The message of an error followed by its `cause` chain ("a: b: c"). Only CliError messages and native error text
 * are ever put into causes here; neither carries secret values.
 */
export function messageChain(error: Error): string {
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (!parts.some((part) => part.includes(cause instanceof Error ? cause.message : ""))) parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(": ");
}

/** Turns anything thrown into a CliError: known ones as they are, anything else as an internal error (exit 1). */
export function asCliError(thrown: unknown): CliError {
  if (thrown instanceof CliError) return thrown;
  // An unexpected error: keep only its class and a generic text. Its message could, in principle, quote data
  // (e.g. a parser echoing input), so it is not shown; the stack stays out of the output too.
  const kind = thrown instanceof Error ? thrown.name : typeof thrown;
  return new CliError(ExitCode.Internal, `internal error (${kind}); this is a bug in amrs-bootstrap ${VERSION}`, {
    kind: "internal",
    hint: "run again with --log FILE and report the log line",
  });
}

/** One line for `--log FILE`: names, outcome and exit code; never a value. */
export interface LogRecord {
  command: string;
  service: string;
  backend?: string;
  names?: string[];
  /** Outcome words, e.g. `stored`, `unchanged`, `kept-existing`. */
  outcome?: string[];
  exitCode: number;
  errorKind?: string;
  detail?: string;
}

/** Appends one line per run to the log file (installer logs). Failing to log never fails the command. */
export async function appendLogLine(path: string, record: LogRecord, warn: (text: string) => Promise<void>) {
  const fields = [
    new Date().toISOString(),
    `amrs-bootstrap/${VERSION}`,
    `command=${record.command}`,
    `service=${record.service}`,
    ...(record.backend === undefined ? [] : [`backend=${record.backend}`]),
    ...(record.names === undefined || record.names.length === 0 ? [] : [`names=${record.names.join(",")}`]),
    `result=${record.exitCode === 0 ? "ok" : "error"}`,
    ...(record.outcome === undefined || record.outcome.length === 0 ? [] : [`outcome=${record.outcome.join(",")}`]),
    `exit=${record.exitCode}`,
    ...(record.errorKind === undefined ? [] : [`error=${record.errorKind}`]),
    ...(record.detail === undefined ? [] : [`detail=${JSON.stringify(record.detail)}`]),
  ];
  try {
    await Deno.writeTextFile(path, `${fields.join(" ")}\n`, { append: true, create: true, mode: 0o600 });
  } catch (cause) {
    await warn(`amrs-bootstrap: warning: cannot write the log file ${path}: ${(cause as Error).message}`);
  }
}
