import { CliError, usageError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { validateSecretName } from "../names.ts";
import type { Command } from "./_command.ts";

/** The one positional NAME of get/set/delete, validated (exit 2 otherwise). */
export function nameArgument(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw usageError(`expected exactly one NAME`, `usage: ${usage}`);
  return validateSecretName(positionals[0]!);
}

/** No entry of that name: exit 2 (an invalid NAME argument), kind `not_found`. */
export function notFound(name: string, service: string): CliError {
  return new CliError(ExitCode.Usage, `no secret named ${name} under service '${service}'`, {
    kind: "not_found",
    hint: "'amrs-bootstrap status' lists the names that are stored",
  });
}

export const getCommand: Command = {
  name: "get",
  summary: "print one stored value",
  usage: "amrs-bootstrap get NAME",
  help: "Prints exactly the stored value of NAME (a newline is added only when stdout is a terminal).\n" +
    "This is the one command that prints a value; use it in scripts and for recovery.",
  async run({ output, service, keyring, positionals, touched }) {
    const name = nameArgument(positionals, this.usage);
    touched.push(name);
    const store = keyring();
    const value = await store.get(service, name);
    if (value === undefined) throw notFound(name, service);
    await output.value({ service, name, backend: store.backend }, value);
  },
};
