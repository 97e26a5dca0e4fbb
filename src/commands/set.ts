import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { readSecretValue } from "../cli/secret_input.ts";
import type { Command } from "./_command.ts";
import { nameArgument } from "./get.ts";

export const setCommand: Command = {
  name: "set",
  summary: "store a value read from stdin",
  usage: "amrs-bootstrap set NAME  < value",
  help: "Stores the value read from stdin under NAME, then reads it back and compares.\n" +
    "The value never comes from the command line. From a pipe or file, one trailing newline is dropped;\n" +
    "from a terminal, one line is read without echo. Empty input, invalid UTF-8, a NUL byte or more than\n" +
    "1 MiB is refused (exit 2) and nothing is written.",
  async run({ output, service, keyring, positionals, stdin, touched }) {
    const name = nameArgument(positionals, this.usage);
    touched.push(name);
    const store = keyring();
    const value = await readSecretValue(stdin, name, (text) => output.notice(text));
    await store.set(service, name, value);
    const readBack = await store.get(service, name);
    if (readBack !== value) {
      throw new CliError(ExitCode.KeyringUnavailable, `the keyring did not return what was stored for ${name}`, {
        kind: "verify_failed",
        hint: "another program may be changing this entry; run 'amrs-bootstrap get' to see what is stored",
      });
    }
    await output.result(
      { service, name, backend: store.backend, stored: true },
      () => [`stored ${name} under service '${service}' (${store.backend})`],
    );
  },
};
