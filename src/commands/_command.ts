import type { Output } from "../cli/output.ts";
import type { SecretSource } from "../cli/secret_input.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { PayloadSource } from "../payload/embedded.ts";
import type { ProcessIdentity } from "../user_context.ts";

/** An option of one command, in node:util parseArgs form. */
export type OptionSpec = { type: "string" | "boolean"; short?: string; multiple?: boolean };

/** What a command gets from the dispatcher. */
export interface CommandContext {
  output: Output;
  /** The keyring service (`--service`, default `amrs`), already validated. */
  service: string;
  /** `--service` as given (validated), or undefined: `install` then takes the service sealed into the build. */
  serviceOption: string | undefined;
  /** Opens the selected keyring on first use (so `version` and `--help` never load a native library). */
  keyring(): Keyring;
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  stdin: SecretSource;
  /** Secret names this run touched, for the `--log` line (names only). */
  touched: string[];
  /** Records the service actually used when it is not `service` (install uses the sealed one), for `--log`. */
  useService(service: string): void;
  /** Short outcome words for the `--log` line (`stored`, `unchanged`, ...). */
  outcome: string[];
  /** The sealed payload of this build, if any. */
  payload: PayloadSource;
  /** Who this process runs as (for the user-context check). */
  identity: ProcessIdentity;
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
