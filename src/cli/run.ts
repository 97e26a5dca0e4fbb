import { parseArgs } from "node:util";
import { deleteCommand } from "../commands/delete.ts";
import { getCommand } from "../commands/get.ts";
import { installCommand } from "../commands/install.ts";
import { launchCommand } from "../commands/launch.ts";
import { syncCommand } from "../commands/sync.ts";
import { purgeCommand } from "../commands/purge.ts";
import { setCommand } from "../commands/set.ts";
import { statusCommand } from "../commands/status.ts";
import { versionCommand } from "../commands/version.ts";
import type { Command, OptionSpec } from "../commands/_command.ts";
import { type CliError, usageError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { KEYRING_ENV, type KeyringChoice, openKeyring, parseKeyringChoice } from "../keyring/select.ts";
import { DEFAULT_SERVICE, validateServiceName } from "../names.ts";
import { VERSION } from "../version.ts";
import { appendLogLine, asCliError, Output, type Streams } from "./output.ts";
import type { SecretSource } from "./secret_input.ts";
import { embeddedPayload, type PayloadSource } from "../payload/embedded.ts";
import { sealedSettings } from "../token_install.ts";
import { type ProcessIdentity, processIdentity } from "../user_context.ts";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  installCommand,
  launchCommand,
  syncCommand,
  statusCommand,
  getCommand,
  setCommand,
  deleteCommand,
  purgeCommand,
  versionCommand,
];

/** Options every command accepts, before or after the command name. */
const GLOBAL_OPTIONS = {
  service: { type: "string" },
  server: { type: "string" },
  keyring: { type: "string" },
  log: { type: "string" },
  silent: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies Record<string, OptionSpec>;

const GLOBAL_HELP = `amrs-bootstrap ${VERSION}: puts the AMRS bootstrap token and the app's secrets into the OS keyring.

usage: amrs-bootstrap [global options] COMMAND [options] [args]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join("\n")}

global options:
  --service NAME    keyring service (default: ${DEFAULT_SERVICE})
  --server URL      secrets server (used by sync and launch)
  --keyring KIND    auto | secret-service | wincred | keychain (default: auto, or $${KEYRING_ENV})
  --log FILE        append one line per run to FILE (names and outcome, never values)
  --silent          print nothing; only the exit code (and the --log line) tell the outcome
  --json            print one JSON document on stdout
  -h, --help        this help; 'amrs-bootstrap COMMAND --help' for one command
  --version         same as the version command

exit codes: 0 done, 1 internal error, 2 usage or invalid name/value or not found, 3 keyring unavailable/locked/
denied, 4 sealed payload missing or corrupt, 5 wrong user context, 6 server unreachable, 7 credential rejected,
8 server protocol error, 9 busy, 10 no token and no sealed payload. Details: docs/CLI.md.
`;

/** What the command line needs from the outside world; `main.ts` passes the real ones, tests their own. */
export interface Environment {
  streams: Streams;
  stdin: SecretSource;
  /** Reads an environment variable that the release binary is allowed to read. */
  env(name: string): string | undefined;
  /** Opens a keyring backend (tests inject a fake here). */
  openKeyring?: (choice: KeyringChoice) => Keyring;
  /** The sealed payload (default: the one embedded in this build). */
  payload?: PayloadSource;
  /** Who the process runs as (default: the real uid). */
  identity?: () => ProcessIdentity;
}

/** Global options that take a value: the command name is the first token that is not one of them or theirs. */
const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS).filter(([, spec]) => spec.type === "string").map(([name]) => `--${name}`),
);

function findCommandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * Runs the command line and returns the exit code. Never throws: every failure becomes a message (or a JSON
 * document) and a documented exit code.
 *
 * @example
 * ```ts
 * const code = await runCli(["status", "--json"], realEnvironment());
 * ```
 */
export async function runCli(args: string[], environment: Environment): Promise<number> {
  // Until the options are parsed, errors are reported in plain text.
  let output = new Output(environment.streams, { json: args.includes("--json"), silent: args.includes("--silent") });
  const name = findCommandName(args);
  let command = COMMANDS.find((c) => c.name === name);
  let logPath: string | undefined;
  let service = DEFAULT_SERVICE;
  let backend: string | undefined;
  const touched: string[] = [];
  const outcome: string[] = [];
  let exitCode: number = ExitCode.Ok;
  let failure: CliError | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) },
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      throw usageError((error as Error).message, "run 'amrs-bootstrap --help'");
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    output = new Output(environment.streams, { json: values.json === true, silent: values.silent === true });
    logPath = values.log as string | undefined;
    if (values.version === true && name === undefined) command = versionCommand;
    if (values.help === true) {
      await output.line(command === undefined ? GLOBAL_HELP : `usage: ${command.usage}\n\n${command.help}`);
      return ExitCode.Ok;
    }
    if (command === undefined) {
      throw usageError(
        name === undefined ? "no command given" : `unknown command '${name}'`,
        "run 'amrs-bootstrap --help'",
      );
    }
    const serviceOption = values.service === undefined ? undefined : validateServiceName(values.service as string);
    service = serviceOption ?? DEFAULT_SERVICE;
    const choice = parseKeyringChoice(
      (values.keyring as string | undefined) ?? environment.env(KEYRING_ENV) ?? "auto",
    );
    const positionals = parsed.positionals.slice(1);
    let opened: Keyring | undefined;
    const payload = environment.payload ?? embeddedPayload;
    let trusted: Promise<readonly string[]> | undefined;
    const open = environment.openKeyring ?? ((c: KeyringChoice) =>
      openKeyring(c, Deno.build.os, {
        // Opened once per run, not once per keychain write (a sync writes every secret).
        trustedApps: () => trusted ??= sealedSettings(payload).then((settings) => settings?.trustedApps ?? []),
      }));
    exitCode = (await command.run({
      output,
      service,
      keyring() {
        opened ??= open(choice);
        backend = opened.backend;
        return opened;
      },
      positionals,
      options: values,
      stdin: environment.stdin,
      touched,
      outcome,
      serviceOption,
      useService(used) {
        service = used;
      },
      payload,
      get identity() {
        return (environment.identity ?? processIdentity)();
      },
    })) ?? ExitCode.Ok;
    return exitCode;
  } catch (thrown) {
    failure = asCliError(thrown);
    exitCode = failure.exitCode;
    await output.error(failure);
    return exitCode;
  } finally {
    if (logPath !== undefined) {
      await appendLogLine(logPath, {
        command: name ?? "-",
        service,
        ...(backend === undefined ? {} : { backend }),
        names: touched,
        outcome,
        exitCode,
        ...(failure === undefined ? {} : { errorKind: failure.kind, detail: failure.message }),
      }, (text) => output.notice(text));
    }
  }
}

/** The real process environment: Deno's stdio, NO_COLOR, and only the environment variables the CLI reads. */
export function processEnvironment(): Environment {
  return {
    streams: {
      stdout: Deno.stdout,
      stderr: Deno.stderr,
      stdoutIsTerminal: Deno.stdout.isTerminal(),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      noColor: Deno.noColor,
    },
    stdin: {
      readable: Deno.stdin.readable,
      isTerminal: Deno.stdin.isTerminal(),
      setRaw: (raw) => Deno.stdin.setRaw(raw),
    },
    env: (name) => Deno.env.get(name),
  };
}
