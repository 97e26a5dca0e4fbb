import { CliError, usageError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { isToolEntry, validateSecretName } from "../names.ts";
import { STATE_ACCOUNT } from "../state.ts";
import type { Command } from "./_command.ts";
import { ensureToken, lockedSync, resolveServer, timeoutOption } from "./sync.ts";

/** Signals forwarded to the app (POSIX); Windows has no SIGTERM for console programs. */
const FORWARDED: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 };

export const launchCommand: Command = {
  name: "launch",
  summary: "first-run launcher: make sure the token is there, sync, start the app",
  usage: "amrs-bootstrap launch [--sync-timeout S] [--no-sync] [--env NAME]... -- APP [ARGS...]",
  help: "Installs the token from this build's sealed payload if it is missing, syncs the secrets within the\n" +
    "deadline (one launcher syncs at a time; the others wait up to the deadline, then go on), and starts the app\n" +
    "with stdio inherited and SIGINT/SIGTERM forwarded. If the server is unreachable or slow, the app starts on\n" +
    "the cached secrets and the staleness is recorded ('amrs-bootstrap status'); with a cache, an unreachable\n" +
    "server is given up on after two connection attempts. Exits with the app's exit code.\n" +
    "Secrets reach the app's environment only when asked: --env NAME per secret. The token never does.\n" +
    "  --sync-timeout S   deadline for the sync, in seconds (default 5)\n" +
    "  --no-sync          start on the cached secrets without contacting the server",
  options: {
    "sync-timeout": { type: "string" },
    "no-sync": { type: "boolean" },
    env: { type: "string", multiple: true },
  },
  async run(context) {
    const { output, positionals, options, service } = context;
    const [app, ...args] = positionals;
    if (app === undefined) throw usageError("no app to launch", `usage: ${this.usage}`);
    const exported = ((options.env ?? []) as string[]).map((name) => {
      validateSecretName(name);
      if (isToolEntry(name)) throw usageError(`--env ${name}: the bootstrap token and tool state never go to the app`);
      return name;
    });
    const timeoutMs = timeoutOption(options["sync-timeout"], 5);
    const store = context.keyring();
    await ensureToken(context, store);

    if (options["no-sync"] !== true) {
      try {
        const server = await resolveServer(context);
        // With secrets already cached, an unreachable server (offline laptop) is given up on after two tries.
        const cached = (await store.list(service)).includes(STATE_ACCOUNT);
        const result = await lockedSync(context, store, server, timeoutMs, timeoutMs, cached ? 2 : undefined);
        if (result === undefined) {
          context.outcome.push("sync-skipped-busy");
          await output.notice("amrs-bootstrap: another launcher is syncing; starting on the cached secrets");
        } else {
          context.outcome.push(result.notModified ? "not-modified" : "updated");
        }
      } catch (error) {
        // Whatever went wrong with the sync (offline, slow, rejected, a bad document, a keyring hiccup, a bug), the
        // app starts on what is cached: the notice and `status` show it. The launcher never keeps the app down.
        const code = error instanceof CliError ? error.exitCode : ExitCode.Internal;
        const text = error instanceof CliError ? error.message : "internal error";
        context.outcome.push(`sync-failed-${code}`);
        await output.notice(`amrs-bootstrap: sync failed (${text}); starting on the cached secrets`);
      }
    }

    const env: Record<string, string> = {};
    for (const name of exported) {
      const value = await store.get(service, name);
      if (value === undefined) await output.notice(`amrs-bootstrap: --env ${name}: no such secret; not set`);
      else env[name] = value;
    }
    // If the launcher itself was started with the token in its environment, the app does not inherit it.
    if (Deno.env.get("BOOTSTRAP_SECRET_TOKEN") !== undefined) env.BOOTSTRAP_SECRET_TOKEN = "";

    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(app, { args, env, stdin: "inherit", stdout: "inherit", stderr: "inherit" }).spawn();
    } catch (error) {
      throw usageError(`cannot start ${app}: ${error instanceof Error ? error.message : String(error)}`);
    }
    context.outcome.push("app-started");
    const forward = (signal: Deno.Signal) => () => {
      try {
        child.kill(signal);
      } catch { /* the app has already exited */ }
    };
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
    try {
      const status = await child.status;
      if (status.signal !== null) return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
      return status.code;
    } finally {
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    }
  },
};
