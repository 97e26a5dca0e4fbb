/**
 * The real CLI, spawned with the release permissions, against the real gnome-keyring of the test session and
 * Debian's Python keyring. Error cases use their own broken environments (no bus, no libsecret, a locked keyring).
 */
import assert from "node:assert/strict";
import { cli, freshKeyring } from "./_support/cli.ts";
import { uniqueService } from "./_support/keyring_contract.ts";
import { pythonKeyring, pythonKeyringOn } from "./_support/python_keyring.ts";
import { VERSION } from "../src/version.ts";

/** A value that must never show up anywhere but `get`'s stdout. */
const CANARY = `canary-${crypto.randomUUID()}-välue`;

function test(name: string, fn: (service: string) => Promise<void>) {
  Deno.test(`cli: ${name}`, async () => {
    const service = uniqueService("amrs-cli");
    try {
      await fn(service);
    } finally {
      await cli(["purge", "--service", service, "--silent"]);
    }
  });
}

test("set from stdin, get prints exactly the value, python keyring reads it", async (service) => {
  const set = await cli(["set", "API_KEY", "--service", service], { stdin: "s3cret välue ✓\n" });
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /stored API_KEY/);
  const get = await cli(["get", "API_KEY", "--service", service]);
  assert.equal(get.code, 0);
  assert.equal(get.stdout, "s3cret välue ✓");
  assert.equal(get.stderr, "");
  assert.equal(await pythonKeyring.get(service, "API_KEY"), "s3cret välue ✓");
});

test("get reads what python keyring wrote; set overwrites it in place", async (service) => {
  await pythonKeyring.set(service, "PY_SECRET", "from python");
  assert.equal((await cli(["get", "PY_SECRET", "--service", service])).stdout, "from python");
  assert.equal((await cli(["set", "PY_SECRET", "--service", service], { stdin: "from cli" })).code, 0);
  assert.equal(await pythonKeyring.get(service, "PY_SECRET"), "from cli");
  assert.equal((await pythonKeyring.items(service, "PY_SECRET")).length, 1);
});

test("exactly one trailing newline is dropped from piped input", async (service) => {
  const cases: [string, string][] = [["a\n", "a"], ["b\r\n", "b"], ["c\n\n", "c\n"], ["  d  ", "  d  "]];
  for (const [input, stored] of cases) {
    assert.equal((await cli(["set", "NL", "--service", service], { stdin: input })).code, 0);
    assert.equal(await pythonKeyring.get(service, "NL"), stored, JSON.stringify(input));
  }
});

test("a 64 KiB non-ASCII value round-trips", async (service) => {
  const value = "ß漢🙂-".repeat(64 * 1024 / 12);
  assert.equal((await cli(["set", "LARGE", "--service", service], { stdin: value })).code, 0);
  const get = await cli(["get", "LARGE", "--service", service]);
  assert.equal(get.stdout, value);
  assert.equal(await pythonKeyring.get(service, "LARGE"), value);
});

test("bad input is exit 2 with a clear message, and the stored value is kept", async (service) => {
  assert.equal((await cli(["set", "KEEP", "--service", service], { stdin: CANARY })).code, 0);
  const bad: [string, string | Uint8Array, RegExp][] = [
    ["empty stdin", "", /no value for KEEP on stdin; nothing was written/],
    ["only a newline", "\n", /no value for KEEP/],
    ["invalid UTF-8", new Uint8Array([0x61, 0xff, 0xfe, 0x62]), /not valid UTF-8/],
    ["a NUL byte", `${CANARY}\0tail`, /NUL byte/],
    ["over 1 MiB", "x".repeat(1024 * 1024 + 10), /larger than 1048576 bytes/],
  ];
  for (const [label, stdin, message] of bad) {
    const result = await cli(["set", "KEEP", "--service", service], { stdin });
    assert.equal(result.code, 2, label);
    assert.match(result.stderr, message, label);
    assert.ok(!result.stderr.includes(CANARY) && !result.stdout.includes(CANARY), `${label}: value in output`);
    assert.equal(await pythonKeyring.get(service, "KEEP"), CANARY, `${label}: stored value changed`);
  }
  const noStdin = await cli(["set", "OTHER", "--service", service]);
  assert.equal(noStdin.code, 2);
  assert.equal(await pythonKeyring.get(service, "OTHER"), null);
});

test("invalid and reserved names are exit 2 and nothing is written", async (service) => {
  for (const name of ["bad@name", "a/b", "_amrs.state", "1abc", "with space", "x".repeat(129), "ünï"]) {
    const result = await cli(["set", name, "--service", service], { stdin: "v" });
    assert.equal(result.code, 2, name);
    assert.match(result.stderr, /invalid secret name|reserved/, name);
  }
  const status = await cli(["status", "--json", "--service", service]);
  assert.deepEqual(JSON.parse(status.stdout).secrets, []);
  assert.equal((await cli(["get", "--service", service])).code, 2);
  assert.equal((await cli(["get", "A", "B", "--service", service])).code, 2);
  assert.equal((await cli(["status", "--service", "bad/service"])).code, 2);
});

test("status shows the token fingerprint and names, never a value", async (service) => {
  assert.equal((await cli(["set", "BOOTSTRAP_SECRET_TOKEN", "--service", service], { stdin: CANARY })).code, 0);
  assert.equal((await cli(["set", "DB_PASSWORD", "--service", service], { stdin: CANARY })).code, 0);
  const human = await cli(["status", "--service", service]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /token: +present, sha256:[0-9a-f]{12}/);
  assert.match(human.stdout, /secrets: +1: DB_PASSWORD/);
  assert.match(human.stdout, /last sync: never/);
  const json = await cli(["status", "--json", "--service", service]);
  const document = JSON.parse(json.stdout);
  assert.equal(document.ok, true);
  assert.equal(document.backend, "secret-service");
  assert.equal(document.token.present, true);
  assert.match(document.token.fingerprint, /^sha256:[0-9a-f]{12}$/);
  assert.deepEqual(document.secrets, ["DB_PASSWORD"]);
  for (const output of [human.stdout, human.stderr, json.stdout, json.stderr]) assert.ok(!output.includes(CANARY));
});

test("--silent prints nothing, success or failure; the exit code tells", async (service) => {
  const ok = await cli(["set", "S", "--silent", "--service", service], { stdin: "v" });
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "", ""]);
  const missing = await cli(["get", "NOPE", "--silent", "--service", service]);
  assert.deepEqual([missing.code, missing.stdout, missing.stderr], [2, "", ""]);
  const usage = await cli(["--silent", "frobnicate"]);
  assert.deepEqual([usage.code, usage.stdout, usage.stderr], [2, "", ""]);
});

test("--json gives one JSON document on stdout, errors included", async (service) => {
  const set = await cli(["set", "J", "--json", "--service", service], { stdin: "v" });
  assert.deepEqual(JSON.parse(set.stdout), { ok: true, service, name: "J", backend: "secret-service", stored: true });
  const get = await cli(["get", "J", "--json", "--service", service]);
  assert.equal(JSON.parse(get.stdout).value, "v");
  const missing = await cli(["get", "NOPE", "--json", "--service", service]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "");
  const error = JSON.parse(missing.stdout);
  assert.equal(error.ok, false);
  assert.equal(error.error.kind, "not_found");
  assert.equal(error.error.exit_code, 2);
});

test("delete and purge; a missing name is exit 2 (not_found)", async (service) => {
  await cli(["set", "A", "--service", service], { stdin: "1" });
  await cli(["set", "B", "--service", service], { stdin: "2" });
  assert.equal((await cli(["delete", "A", "--service", service])).code, 0);
  assert.equal(await pythonKeyring.get(service, "A"), null);
  const again = await cli(["delete", "A", "--service", service]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /no secret named A/);
  const purge = await cli(["purge", "--json", "--service", service]);
  assert.deepEqual(JSON.parse(purge.stdout).removed, ["B"]);
  assert.equal(await pythonKeyring.get(service, "B"), null);
  assert.deepEqual(JSON.parse((await cli(["purge", "--json", "--service", service])).stdout).removed, []);
});

test("--log appends one redacted line per run, never a value", async (service) => {
  const log = await Deno.makeTempFile();
  try {
    await cli(["set", "LOGGED", "--log", log, "--service", service], { stdin: CANARY });
    await cli(["get", "LOGGED", "--log", log, "--service", service]);
    await cli(["get", "NOPE", "--log", log, "--service", service]);
    await cli(["status", "--log", log, "--silent", "--service", service]);
    const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /command=set service=amrs-cli-\S+ backend=secret-service names=LOGGED result=ok exit=0$/);
    assert.match(lines[2]!, /command=get .* result=error exit=2 error=not_found/);
    assert.ok(!lines.join("\n").includes(CANARY));
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("cli: version, help and usage errors", async () => {
  const version = await cli(["version"]);
  assert.equal(version.code, 0);
  assert.match(
    version.stdout,
    new RegExp(`^amrs-bootstrap ${VERSION.replaceAll(".", "\\.")} \\(deno 2\\.9\\.6, linux`),
  );
  assert.equal((await cli(["--version"])).stdout, version.stdout);
  assert.equal(JSON.parse((await cli(["version", "--json"])).stdout).version, VERSION);
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: amrs-bootstrap/);
  assert.match((await cli(["set", "--help"])).stdout, /never comes from the command line/);
  for (const args of [[], ["frobnicate"], ["status", "--bogus"], ["status", "--keyring", "vault"]]) {
    const result = await cli(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, /error: /);
  }
});

Deno.test("cli: another OS's keyring on Linux is exit 3 with a clear message, not a crash", async () => {
  for (const backend of ["keychain", "wincred"]) {
    const result = await cli(["status", "--keyring", backend]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, new RegExp(`the '${backend}' keyring exists only on`));
    const viaEnv = await cli(["get", "X"], { env: { AMRS_KEYRING: backend } });
    assert.equal(viaEnv.code, 3);
  }
});

Deno.test("cli: no D-Bus session is exit 3, says what to run, and nothing is written", async () => {
  const service = uniqueService("amrs-cli");
  const result = await cli(["set", "NO_BUS", "--service", service], {
    stdin: CANARY,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root" },
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /no D-Bus session bus is reachable/);
  assert.match(result.stderr, /dbus-run-session/);
  assert.ok(!result.stderr.includes(CANARY));
  assert.equal(await pythonKeyring.get(service, "NO_BUS"), null);
});

Deno.test("cli: a missing libsecret is exit 3 with the install command, and nothing is written", async () => {
  // Hide the real library in a private mount namespace: dlopen then fails exactly as on a machine without it.
  const library = await Deno.realPath(await findLibrary("libsecret-1.so.0"));
  const service = uniqueService("amrs-cli");
  const result = await cli(["set", "NO_LIB", "--service", service], {
    stdin: CANARY,
    wrapper: ["unshare", "--mount", "sh", "-c", `mount --bind /dev/null '${library}' && exec "$@"`, "sh"],
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /libsecret could not be loaded/);
  assert.match(result.stderr, /apt-get install libsecret-1-0/);
  assert.equal(await pythonKeyring.get(service, "NO_LIB"), null);
});

Deno.test("cli: a locked keyring is exit 3 with the fix, for every command, and nothing is written", async () => {
  const keyring = await freshKeyring();
  try {
    const env = keyring.env;
    const python = pythonKeyringOn(env);
    assert.equal((await cli(["set", "KEPT"], { env, stdin: "before" })).code, 0);
    const before = await python.items("amrs", "KEPT");
    assert.equal(await python.lockDefaultCollection(), true);
    const attempts: [string[], string | undefined][] = [
      [["set", "KEPT"], CANARY],
      [["set", "NEW"], CANARY],
      [["get", "KEPT"], undefined],
      [["delete", "KEPT"], undefined],
      [["status"], undefined],
      [["purge"], undefined],
    ];
    for (const [args, stdin] of attempts) {
      const result = await cli(args, stdin === undefined ? { env } : { env, stdin });
      assert.equal(result.code, 3, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /locked/, args.join(" "));
      assert.match(result.stderr, /fix: unlock the login keyring/, args.join(" "));
      assert.ok(!result.stderr.includes(CANARY));
    }
    assert.match((await cli(["status", "--json"], { env })).stdout, /"keyring": "locked"/);
    const after = await python.items("amrs", "KEPT");
    assert.equal(after.length, 1);
    assert.equal(after[0]!.modified, before[0]!.modified);
    assert.equal((await python.items("amrs", "NEW")).length, 0);
  } finally {
    await keyring.close();
  }
});

async function findLibrary(soname: string): Promise<string> {
  const { stdout } = await new Deno.Command("/sbin/ldconfig", { args: ["-p"], stdout: "piped" }).output();
  const line = new TextDecoder().decode(stdout).split("\n").find((l) => l.trim().startsWith(`${soname} `));
  const path = line?.split("=> ")[1]?.trim();
  if (path === undefined) throw new Error(`${soname} is not installed`);
  return path;
}
