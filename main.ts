/**
 * amrs-bootstrap: puts the AMRS bootstrap token and the app's secrets into the OS keyring of the user who runs it.
 * `deno task cli <args>` runs this file with exactly the permissions that the release binary bakes in.
 */
import { processEnvironment, runCli } from "./src/cli/run.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, processEnvironment()));
}
