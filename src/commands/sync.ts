import { CliError, usageError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { TOKEN_ACCOUNT } from "../names.ts";
import { checkServerUrl, PayloadError } from "../payload/format.ts";
import { acquireLock, localDir, writeLastCheck } from "../sync/local.ts";
import { sync, type SyncResult, tokenMissing } from "../sync/sync.ts";
import { openSealed, sealedSettings, storeToken } from "../token_install.ts";
import type { Command, CommandContext } from "./_command.ts";

/** `--sync-timeout S` in milliseconds (positive, at most an hour). */
export function timeoutOption(value: string | boolean | string[] | undefined, fallbackSeconds: number): number {
  if (value === undefined) return fallbackSeconds * 1000;
  const seconds = Number(value);
  if (typeof value !== "string" || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw usageError(`invalid timeout '${value}'`, "give seconds, e.g. --sync-timeout 10");
  }
  return seconds * 1000;
}

/** The secrets server: `--server`, else the URL sealed into the build. */
export async function resolveServer(context: CommandContext): Promise<string> {
  const given = context.options.server;
  if (typeof given === "string") return checkServerUrl(given);
  const sealed = await sealedSettings(context.payload);
  if (sealed?.serverUrl !== undefined) return sealed.serverUrl;
  throw usageError("no secrets server configured", "pass --server URL, or build with --server-url (docs/RELEASE.md)");
}

/** Makes sure the token is in the keyring, installing it from the sealed payload when it is not (first run). */
export async function ensureToken(context: CommandContext, store: Keyring): Promise<"present" | "installed"> {
  if (await store.get(context.service, TOKEN_ACCOUNT) !== undefined) return "present";
  let sealed;
  try {
    sealed = await openSealed(context.payload);
  } catch (error) {
    if (error instanceof PayloadError && error.kind === "no_payload") throw tokenMissing();
    throw error;
  }
  await storeToken(store, context.service, sealed.header.account, sealed.token, false);
  context.outcome.push("token-installed");
  return "installed";
}

/**
 * One sync under the per-service lock, recorded in the last-check file whatever its outcome.
 * Returns undefined when another instance held the lock for longer than `lockWaitMs`.
 */
export async function lockedSync(
  context: CommandContext,
  store: Keyring,
  server: string,
  timeoutMs: number,
  lockWaitMs: number,
  connectAttempts?: number,
): Promise<SyncResult | undefined> {
  const dir = localDir();
  const lock = await acquireLock(dir, context.service, lockWaitMs);
  if (lock === undefined) return undefined;
  const record = (ok: boolean, outcome: string, exitCode: number) =>
    writeLastCheck(dir, context.service, { at: new Date().toISOString(), ok, outcome, exit_code: exitCode, server })
      .catch(() => {});
  try {
    const result = await sync({
      keyring: store,
      service: context.service,
      serverUrl: server,
      deadline: Date.now() + timeoutMs,
      purgeOnRevoke: context.options["purge-on-revoke"] === true,
      ...(connectAttempts === undefined ? {} : { connectAttempts }),
      progress: (done, total) => {
        if (total >= 50 && (done % 25 === 0 || done === total)) void context.output.progress(`sync: ${done}/${total}`);
      },
    });
    await context.output.progress(undefined);
    await record(true, result.notModified ? "not_modified" : "updated", 0);
    return result;
  } catch (error) {
    await context.output.progress(undefined);
    const exit = error instanceof CliError ? error.exitCode : ExitCode.Internal;
    await record(false, error instanceof CliError ? error.kind : "internal", exit);
    throw error;
  } finally {
    lock.release();
  }
}

export const syncCommand: Command = {
  name: "sync",
  summary: "fetch the app's secrets from the secrets server into the keyring",
  usage: "amrs-bootstrap sync [--sync-timeout S] [--purge-on-revoke] [--server URL]",
  help: "Enrolls once (device credential kept in the keyring), fetches the secrets with If-None-Match, writes only\n" +
    "what changed, deletes what the server no longer lists (only entries this tool wrote), then the state entry.\n" +
    "Installs the token from this build's sealed payload first if it is missing.\n" +
    "  --sync-timeout S    overall deadline in seconds (default 30)\n" +
    "  --purge-on-revoke   delete synced secrets when the server rejects the credential (exit 7)\n" +
    "Exit 6: server unreachable (cache untouched); 7: credential rejected; 8: protocol error; 9: busy;\n" +
    "10: no token and no sealed payload.",
  options: { "sync-timeout": { type: "string" }, "purge-on-revoke": { type: "boolean" } },
  async run(context) {
    const timeoutMs = timeoutOption(context.options["sync-timeout"], 30);
    const server = await resolveServer(context);
    const store = context.keyring();
    await ensureToken(context, store);
    const result = await lockedSync(context, store, server, timeoutMs, timeoutMs);
    if (result === undefined) {
      throw new CliError(ExitCode.Busy, "another amrs-bootstrap is syncing and held the lock past the timeout", {
        kind: "busy",
        hint: "wait for it to finish, or raise --sync-timeout",
      });
    }
    context.touched.push(...result.written, ...result.deleted);
    context.outcome.push(result.notModified ? "not-modified" : "updated");
    await context.output.result(
      {
        service: context.service,
        server,
        not_modified: result.notModified,
        enrolled: result.enrolled,
        rotated: result.rotated,
        written: result.written,
        deleted: result.deleted,
        keyring_writes: result.writes,
        secrets: result.secrets,
      },
      () => [
        result.notModified
          ? `secrets are up to date (${result.secrets}); nothing written`
          : `synced ${result.secrets} secrets from ${server}: ${result.written.length} written, ` +
            `${result.deleted.length} deleted${result.rotated ? ", credential rotated" : ""}` +
            `${result.enrolled ? ", device enrolled" : ""}`,
      ],
    );
  },
};
