import { fingerprint } from "../fingerprint.ts";
import { isToolEntry, TOKEN_ACCOUNT } from "../names.ts";
import { KeyringError } from "../keyring/keyring.ts";
import { parseState, STALE_AFTER_SECONDS, STATE_ACCOUNT } from "../state.ts";
import { type LastCheck, localDir, readLastCheck } from "../sync/local.ts";
import type { Command } from "./_command.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "show backend, token fingerprint, secret names, last sync",
  usage: "amrs-bootstrap status [--json]",
  help: "Shows which keyring is used and whether it answers, whether the bootstrap token is stored (as a\n" +
    "fingerprint, never the value), the names of the stored secrets, and when they were last synced.\n" +
    "Exit 3 when the keyring is unavailable or locked; the output still says what was found.",
  async run({ output, service, keyring }) {
    const document: Record<string, unknown> = { service };
    try {
      const store = keyring();
      document.backend = store.backend;
      await store.probe(service);
      const names = await store.list(service);
      const token = names.includes(TOKEN_ACCOUNT) ? await store.get(service, TOKEN_ACCOUNT) : undefined;
      const state = parseState(names.includes(STATE_ACCOUNT) ? await store.get(service, STATE_ACCOUNT) : undefined);
      let lastCheck: LastCheck | undefined;
      try {
        lastCheck = await readLastCheck(localDir(), service);
      } catch {
        lastCheck = undefined; // no cache folder (no HOME): nothing was recorded
      }
      // Fresh as of the last successful contact: a sync that changed something, or a 304 that confirmed the cache.
      const freshAt = Math.max(
        state.lastSync === undefined ? 0 : Date.parse(state.lastSync),
        lastCheck?.ok === true ? Date.parse(lastCheck.at) : 0,
      );
      const ageSeconds = freshAt === 0 ? null : Math.max(0, Math.round((Date.now() - freshAt) / 1000));
      Object.assign(document, {
        keyring: "available",
        token: token === undefined ? { present: false } : { present: true, fingerprint: await fingerprint(token) },
        secrets: names.filter((name) => !isToolEntry(name)),
        last_sync: state.lastSync ?? null,
        last_check: lastCheck ?? null,
        age_seconds: ageSeconds,
        stale: ageSeconds === null || ageSeconds > STALE_AFTER_SECONDS,
        server: state.server ?? null,
      });
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      document.keyring = error.kind === "locked" ? "locked" : "unavailable";
      document.ok = false;
      document.error = {
        kind: error.kind,
        message: error.message,
        hint: error.hint ?? null,
        exit_code: error.exitCode,
      };
      await output.result(document, () => [`backend:   ${document.backend ?? "none"}`, `service:   ${service}`]);
      throw error;
    }
    await output.result(document, () => {
      const token = document.token as { present: boolean; fingerprint?: string };
      const secrets = document.secrets as string[];
      return [
        `backend:   ${document.backend} (available)`,
        `service:   ${service}`,
        `token:     ${token.present ? `present, ${token.fingerprint}` : "not stored"}`,
        `secrets:   ${secrets.length === 0 ? "none" : `${secrets.length}: ${secrets.join(", ")}`}`,
        `last sync: ${document.last_sync ?? "never"}${
          document.age_seconds === null ? "" : ` (${document.age_seconds} s ago${document.stale ? ", stale" : ""})`
        }`,
        ...(document.server === null ? [] : [`server:    ${document.server}`]),
        ...(document.last_check === null ? [] : [(() => {
          const check = document.last_check as LastCheck;
          return `last try:  ${check.at} ${check.ok ? "ok" : `failed (${check.outcome}, exit ${check.exit_code})`}`;
        })()]),
      ];
    });
  },
};
