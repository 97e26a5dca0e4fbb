/**
 * `deno task embed`: seals the bootstrap token into src/payload/sealed_token.generated.ts (git-ignored, mode 0600).
 * The token comes from BOOTSTRAP_SECRET_TOKEN, --token-file FILE, or stdin; never from the command line.
 *   deno task embed [--token-file FILE] [--service amrs] [--account BOOTSTRAP_SECRET_TOKEN]
 *                   [--server-url https://...] [--allowed-hosts host[:port],...] [--trusted-app PATH]... [--json]
 * Prints the build id and the token's fingerprint, never the token. Exit 2 for a refusal (see docs/RELEASE.md).
 */
import { parseArgs } from "node:util";
import { headerJson } from "../src/payload/format.ts";
import { embed, embedOptionsFrom, refuse, runMain } from "./_build.ts";

export const EMBED_OPTIONS = {
  "token-file": { type: "string" },
  service: { type: "string" },
  account: { type: "string" },
  "server-url": { type: "string" },
  "allowed-hosts": { type: "string" },
  "trusted-app": { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: Deno.args, options: EMBED_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw refuse((error as Error).message, "deno task embed [--token-file FILE] [--service S] [--server-url URL]");
  }
  const result = await embed(embedOptionsFrom(values));
  for (const warning of result.warnings) console.error(`amrs-bootstrap build: warning: ${warning}`);
  if (values.json) {
    console.log(
      JSON.stringify(
        { ok: true, path: result.path, fingerprint: result.fingerprint, header: headerJson(result.header) },
        null,
        2,
      ),
    );
  } else {
    console.log(`sealed token ${result.fingerprint} into ${result.path}`);
    console.log(
      `build ${result.header.buildId}, service '${result.header.service}', account '${result.header.account}'`,
    );
    console.log("this file is git-ignored; 'deno task release' compiles it in and then removes it");
  }
  return 0;
}

if (import.meta.main) await runMain(main);
