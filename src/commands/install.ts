import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { fingerprint } from "../fingerprint.ts";
import { openPayload, PayloadError } from "../payload/format.ts";
import { checkUserContext } from "../user_context.ts";
import type { Command } from "./_command.ts";

export const installCommand: Command = {
  name: "install",
  summary: "store the sealed bootstrap token (installer custom action)",
  usage: "amrs-bootstrap install [--force] [--allow-root] [--silent] [--log FILE]",
  help: "Opens the token sealed into this build, checks that it runs as the user who will run the app, stores\n" +
    "the token in that user's keyring, reads it back and compares. Running it again is harmless: the same token\n" +
    "already stored means nothing is written; a different token already stored is kept unless --force.\n" +
    "Exit 4: no or damaged payload (nothing written). Exit 5: wrong user (root): deferred to first run.\n" +
    "  --force       replace a different token that is already stored\n" +
    "  --allow-root  install even when running as root (only if root really runs the app)",
  options: { force: { type: "boolean" }, "allow-root": { type: "boolean" } },
  async run({ output, keyring, options, payload, identity, serviceOption, touched, outcome }) {
    const sealed = await payload();
    if (sealed === undefined) throw new PayloadError("this build carries no bootstrap token", "no_payload");
    let opened;
    try {
      opened = await openPayload(sealed);
    } finally {
      sealed.fill(0);
    }
    const { header, token } = opened;
    try {
      checkUserContext(identity, options["allow-root"] === true);
      const service = serviceOption ?? header.service;
      const account = header.account;
      touched.push(account);
      const value = new TextDecoder("utf-8", { fatal: true }).decode(token);
      const print = await fingerprint(value);
      const store = keyring();
      const existing = await store.get(service, account);
      const document = { service, account, backend: store.backend, fingerprint: print, build_id: header.buildId };
      if (existing === value) {
        outcome.push("unchanged");
        await output.result({ ...document, written: false, reason: "already_installed" }, () => [
          `the bootstrap token (${print}) is already installed under service '${service}'; nothing written`,
        ]);
        return;
      }
      if (existing !== undefined && options.force !== true) {
        outcome.push("kept-existing");
        const kept = await fingerprint(existing);
        await output.result(
          { ...document, written: false, reason: "different_token_kept", existing_fingerprint: kept },
          () => [
            `a different token (${kept}) is already stored under service '${service}'; it was kept (--force replaces it)`,
          ],
        );
        return;
      }
      await store.set(service, account, value);
      if (await store.get(service, account) !== value) {
        throw new CliError(ExitCode.KeyringUnavailable, "the keyring did not return the token that was stored", {
          kind: "verify_failed",
          hint: "another program may be changing this entry; run 'amrs-bootstrap status'",
        });
      }
      outcome.push(existing === undefined ? "stored" : "replaced");
      await output.result({ ...document, written: true }, () => [
        `installed the bootstrap token (${print}) under service '${service}' (${store.backend})`,
      ]);
    } finally {
      token.fill(0);
    }
  },
};
