import { checkUserContext, deferredForSession } from "../user_context.ts";
import { KeyringError } from "../keyring/keyring.ts";
import { openSealed, storeToken } from "../token_install.ts";
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
  async run({ output, keyring, options, payload, identity, serviceOption, useService, touched, outcome }) {
    const { header, token } = await openSealed(payload);
    const service = serviceOption ?? header.service;
    useService(service);
    try {
      checkUserContext(identity, options["allow-root"] === true);
    } catch (error) {
      token.fill(0);
      throw error;
    }
    touched.push(header.account);
    const store = keyring();
    let result;
    try {
      result = await storeToken(store, service, header.account, token, options.force === true);
    } catch (error) {
      if (error instanceof KeyringError && error.kind === "no_session") throw deferredForSession(error);
      throw error;
    }
    outcome.push(result.outcome);
    const document = {
      service,
      account: header.account,
      backend: store.backend,
      fingerprint: result.fingerprint,
      build_id: header.buildId,
      written: result.outcome === "stored" || result.outcome === "replaced",
      ...(result.outcome === "unchanged" ? { reason: "already_installed" } : {}),
      ...(result.outcome === "kept-existing"
        ? { reason: "different_token_kept", existing_fingerprint: result.keptFingerprint }
        : {}),
    };
    await output.result(document, () => [
      result.outcome === "unchanged"
        ? `the bootstrap token (${result.fingerprint}) is already installed under service '${service}'; nothing written`
        : result.outcome === "kept-existing"
        ? `a different token (${result.keptFingerprint}) is already stored under service '${service}'; it was kept ` +
          "(--force replaces it)"
        : `installed the bootstrap token (${result.fingerprint}) under service '${service}' (${store.backend})`,
    ]);
  },
};
