/**
 * Crash safety: `sync` of 200 secrets is killed with SIGKILL at many points, then run again; every time the keyring
 * must equal the server's set, the bootstrap token and the device credential must be intact.
 * The server alternates between two versions in which every value differs, so every run has 200 writes to do.
 */
import assert from "node:assert/strict";
import { openLibsecret } from "../ffi/libsecret.ts";
import { isToolEntry } from "../src/names.ts";
import { DEVICE_CREDENTIAL_ACCOUNT } from "../src/state.ts";
import { ReferenceServer } from "../server/reference_server.ts";
import { cli, cliTaskArgs } from "./_support/cli.ts";
import { uniqueService } from "./_support/keyring_contract.ts";

const TOKEN = `boot-${crypto.randomUUID()}`;
const COUNT = 200;
const KILL_POINTS = 12;

function version(n: number): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (let i = 0; i < COUNT; i++) secrets[`S_${String(i).padStart(3, "0")}`] = `v${n}-${i}-${"x".repeat(i % 17)}`;
  // Every other version drops a few names and adds others, so deletion is killed mid-way too.
  if (n % 2 === 1) {
    for (let i = 0; i < 10; i++) delete secrets[`S_${String(i).padStart(3, "0")}`];
    for (let i = 0; i < 10; i++) secrets[`EXTRA_${i}`] = `extra-${n}-${i}`;
  }
  return secrets;
}

Deno.test("sync crash safety: SIGKILL at many points of a 200-secret sync, then a re-run converges", async () => {
  const server = new ReferenceServer({ bootstrapTokens: [TOKEN], secrets: version(0) });
  const service = uniqueService("amrs-crash");
  const keyring = openLibsecret();
  const syncArgs = [...cliTaskArgs(), "sync", "--service", service, "--server", server.url, "--sync-timeout", "60"];
  try {
    assert.equal((await cli(["set", "BOOTSTRAP_SECRET_TOKEN", "--service", service], { stdin: TOKEN })).code, 0);
    const started = performance.now();
    const full = await cli(syncArgs.slice(cliTaskArgs().length));
    assert.equal(full.code, 0, full.stderr);
    // Spread the kill points over the time a full 200-secret sync takes on this machine (start-up included).
    const fullMs = performance.now() - started;
    const interrupted: number[] = [];
    for (let point = 0; point < KILL_POINTS; point++) {
      const expected = version(point + 1);
      server.setSecrets(expected);
      const child = new Deno.Command(Deno.execPath(), { args: syncArgs, stdout: "null", stderr: "null" }).spawn();
      await new Promise((resolve) => setTimeout(resolve, 100 + (point / (KILL_POINTS - 1)) * 0.95 * fullMs));
      try {
        child.kill("SIGKILL");
      } catch { /* already finished */ }
      const status = await child.status;
      // How far the killed run got: values already at the new version.
      let atNew = 0;
      for (const [name, value] of Object.entries(expected)) if (await keyring.get(service, name) === value) atNew++;
      if (status.signal === "SIGKILL" && atNew < COUNT) interrupted.push(atNew);

      const rerun = await cli(syncArgs.slice(cliTaskArgs().length));
      assert.equal(rerun.code, 0, `point ${point}: ${rerun.stderr}`);
      const names = (await keyring.list(service)).filter((n) => !isToolEntry(n));
      assert.deepEqual(names, Object.keys(expected).sort(), `point ${point}: names`);
      for (const [name, value] of Object.entries(expected)) {
        assert.equal(await keyring.get(service, name), value, `point ${point}: ${name}`);
      }
      assert.equal(await keyring.get(service, "BOOTSTRAP_SECRET_TOKEN"), TOKEN, `point ${point}: token`);
      const device = await keyring.get(service, DEVICE_CREDENTIAL_ACCOUNT);
      assert.ok(device !== undefined && server.deviceTokens.includes(device), `point ${point}: device credential`);
    }
    // The kills must have landed inside syncs, at different stages, or this test proves nothing.
    assert.ok(interrupted.length >= KILL_POINTS / 3, `only ${interrupted.length} kills interrupted a sync`);
    assert.ok(new Set(interrupted).size >= 3, `kills landed at too few stages: ${interrupted}`);
    console.log(
      `killed mid-sync ${interrupted.length}/${KILL_POINTS} times, with ${interrupted.join(", ")} of ${COUNT} written`,
    );
  } finally {
    await cli(["purge", "--silent", "--service", service]);
    await server.close();
  }
});
