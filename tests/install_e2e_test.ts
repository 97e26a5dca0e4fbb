/**
 * End to end, as the release runs it: `deno task embed` seals a canary on the "build machine", then
 * `deno task cli install --silent` runs as an unprivileged user in that user's own gnome-keyring session, and
 * Debian's Python keyring (the app's library) reads the canary back. Root is refused (exit 5); a tampered module
 * and a build without one are exit 4. Needs root (CI is root) to switch to the unprivileged user.
 */
import assert from "node:assert/strict";
import { GENERATED_PATH, ROOT, task, withGeneratedModuleSetAside } from "./_support/build.ts";
import { cli } from "./_support/cli.ts";
import { pythonKeyring } from "./_support/python_keyring.ts";

const NOBODY = 65534;
const CANARY = `canary-e2e-${crypto.randomUUID()}`;

/** Runs `script` as uid/gid 65534 (nobody) inside a private D-Bus session + gnome-keyring of that user. */
async function asUnprivilegedUser(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await Deno.makeTempDir({ prefix: "amrs-user-" });
  try {
    await Deno.chown(home, NOBODY, NOBODY);
    const path = `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin:/usr/sbin:/sbin`;
    const { code, stdout, stderr } = await new Deno.Command("setpriv", {
      args: [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "env",
        "-i",
        `PATH=${path}`,
        `HOME=${home}`,
        `DENO_DIR=${home}/deno`,
        `TMPDIR=${home}`,
        "sh",
        `${ROOT}/scripts/private_keyring.sh`,
        "--",
        "sh",
        "-c",
        script,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** Rewrites the generated module with one byte of the payload flipped. */
async function tamperGeneratedModule(position: number): Promise<void> {
  const text = await Deno.readTextFile(GENERATED_PATH);
  const encoded = text.match(/SEALED_PAYLOAD: string = "([^"]+)"/)![1]!;
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  bytes[position % bytes.length]! ^= 0x40;
  await Deno.writeTextFile(GENERATED_PATH, text.replace(encoded, btoa(String.fromCharCode(...bytes))));
}

Deno.test("e2e: embed a canary, install --silent as the app user, python keyring reads it back", async () => {
  await withGeneratedModuleSetAside(async () => {
    const embedded = await task("embed", ["--json"], { stdin: `${CANARY}\n`, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] });
    assert.equal(embedded.code, 0, embedded.stderr);
    const document = JSON.parse(embedded.stdout);
    assert.match(document.fingerprint, /^sha256:[0-9a-f]{12}$/);
    assert.ok(!embedded.stdout.includes(CANARY) && !embedded.stderr.includes(CANARY));
    const info = await Deno.stat(GENERATED_PATH);
    assert.equal(info.mode! & 0o777, 0o600, "the generated module is readable by its owner only");
    // Hand the build to the unprivileged user (on a real release it is compiled into the binary).
    await Deno.chmod(GENERATED_PATH, 0o644);

    const run = await asUnprivilegedUser(`
      deno task -q cli install --silent; echo "first=$?"
      deno task -q cli install --silent; echo "second=$?"
      echo '{"op":"get","service":"amrs","name":"BOOTSTRAP_SECRET_TOKEN"}' | /usr/bin/python3 tests/_support/python_keyring.py
      deno task -q cli status --json`);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.equal(lines[0], "first=0", "install --silent printed nothing and succeeded");
    assert.equal(lines[1], "second=0");
    assert.equal(JSON.parse(lines[2]!).value, CANARY, "Debian's Python keyring reads the canary");
    const status = JSON.parse(lines.slice(3).join("\n"));
    assert.equal(status.token.fingerprint, document.fingerprint);
    assert.ok(!run.stderr.includes(CANARY));
  });
});

Deno.test("e2e: as root, install is exit 5 (deferred to first run) with a log line, and nothing is written", async () => {
  await withGeneratedModuleSetAside(async () => {
    assert.equal((await task("embed", [], { stdin: CANARY, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] })).code, 0);
    const log = await Deno.makeTempFile();
    try {
      const result = await cli(["install", "--silent", "--log", log, "--service", "amrs-e2e-root"]);
      assert.deepEqual([result.code, result.stdout, result.stderr], [5, "", ""]);
      const line = await Deno.readTextFile(log);
      assert.match(line, /command=install .* exit=5 error=wrong_user_context detail=".*deferred to first run"/);
      assert.ok(!line.includes(CANARY));
      assert.equal(await pythonKeyring.get("amrs-e2e-root", "BOOTSTRAP_SECRET_TOKEN"), null);
      const allowed = await cli(["install", "--allow-root", "--service", "amrs-e2e-root"]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(await pythonKeyring.get("amrs-e2e-root", "BOOTSTRAP_SECRET_TOKEN"), CANARY);
    } finally {
      await cli(["purge", "--silent", "--service", "amrs-e2e-root"]);
      await Deno.remove(log);
    }
  });
});

Deno.test("e2e: a tampered module is exit 4 and nothing is written; a build without one runs and says so", async () => {
  await withGeneratedModuleSetAside(async () => {
    assert.equal((await task("embed", [], { stdin: CANARY, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] })).code, 0);
    for (const position of [0, 9, 40, 200, 10_000]) {
      await tamperGeneratedModule(position);
      const result = await cli(["install", "--allow-root", "--service", "amrs-e2e-tamper"]);
      assert.equal(result.code, 4, `position ${position}: ${result.stderr}`);
      assert.match(result.stderr, /corrupt or has been tampered with.*nothing was written/);
      await tamperGeneratedModule(position); // flip it back for the next position
    }
    assert.equal(await pythonKeyring.get("amrs-e2e-tamper", "BOOTSTRAP_SECRET_TOKEN"), null);

    await Deno.remove(GENERATED_PATH);
    const none = await cli(["install", "--allow-root"]);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /this build carries no bootstrap token/);
    assert.equal((await cli(["status"])).code, 0, "every other command still runs");
    assert.equal((await cli(["version"])).code, 0);
  });
});
