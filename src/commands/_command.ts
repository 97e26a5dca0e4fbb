import type { Output } from "../cli/output.ts";
import type { SecretSource } from "../cli/secret_input.ts";
import type { Keyring } from "../keyring/keyring.ts";

/** An option of one command, in node:util parseArgs form. */
export type OptionSpec = { type: "string" | "boolean"; short?: string };

/** What a command gets from the dispatcher. */
export interface CommandContext {
  output: Output;
  /** The keyring service (`--service`, default `amrs`), already validated. */
  service: string;
  /** Opens the selected keyring on first use (so `version` and `--help` never load a native library). */
  keyring(): Keyring;
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
  stdin: SecretSource;
  /** Secret names this run touched, for the `--log` line (names only). */
  touched: string[];
}

/** One subcommand: its help text, its own options, and what it does. Returns the exit code (0 when omitted). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  help: string;
  options?: Record<string, OptionSpec>;
  run(context: CommandContext): Promise<number | void>;
}
