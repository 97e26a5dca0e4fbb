/**
 * The build side: the release builder without a local runtime (clear error, generated module removed), with a
 * failing compile (module removed), the whole pipeline with a stand-in runtime, the repository guards, and the
 * check-secrets hook. Guards and hooks run in a scratch copy of the repository, never in the real one.
 * What is NOT tested here: compiling with a real denort (none can be downloaded here); the stand-in test uses the
 * full `deno` binary as DENORT_BIN, which `deno compile` accepts but whose output only starts a REPL.
 */
import assert from "node:assert/strict";
import { exists, GENERATED_PATH, scratchRepository, task, withGeneratedModuleSetAside } from "./_support/build.ts";

const CANARY = `canary-release-${crypto.randomUUID()}`;
const NO_RUNTIME = { unsetEnv: ["DENORT_BIN", "AMRS_DENORT_DIR", "BOOTSTRAP_SECRET_TOKEN"] };

Deno.test("release without a local denort: clear error naming what to provide, and no generated module left", async () => {
  await withGeneratedModuleSetAside(async () => {
    const emptyDenoDir = await Deno.makeTempDir();
    try {
      // A stale module from an earlier `deno task embed` must go too.
      assert.equal((await task("embed", [], { stdin: CANARY, ...NO_RUNTIME })).code, 0);
      assert.ok(await exists(GENERATED_PATH));
      const result = await task("release", [], { stdin: CANARY, ...NO_RUNTIME, env: { DENO_DIR: emptyDenoDir } });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /no local Deno runtime \(denort 2\.9\.6\) for: x86_64-pc-windows-msvc, .*aarch64-unknown-linux-gnu; nothing is downloaded/,
      );
      assert.match(result.stderr, /--denort-dir DIR/);
      assert.match(result.stderr, /DENORT_BIN=/);
      assert.ok(!await exists(GENERATED_PATH), "generated module removed");
      assert.ok(!result.stderr.includes(CANARY) && !result.stdout.includes(CANARY));
      const oneTarget = await task("release", ["--target", "x86_64-unknown-linux-gnu"], {
        stdin: CANARY,
        ...NO_RUNTIME,
        env: { DENO_DIR: emptyDenoDir, DENORT_BIN: "/nonexistent/denort" },
      });
      assert.equal(oneTarget.code, 2);
      assert.match(oneTarget.stderr, /DENORT_BIN points at \/nonexistent\/denort, which does not exist/);
    } finally {
      await Deno.remove(emptyDenoDir, { recursive: true });
    }
  });
});

Deno.test("release with a broken runtime: compile fails, exit 2, the generated module is removed", async () => {
  await withGeneratedModuleSetAside(async () => {
    const dir = await Deno.makeTempDir();
    const out = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/denort-x86_64-unknown-linux-gnu.zip`, "not a zip file");
      const result = await task(
        "release",
        ["--target", "x86_64-unknown-linux-gnu", "--denort-dir", dir, "--out", out],
        { stdin: CANARY, ...NO_RUNTIME },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /deno compile failed for x86_64-unknown-linux-gnu/);
      assert.ok(!await exists(GENERATED_PATH));
      assert.ok(!result.stderr.includes(CANARY));
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("release pipeline with a stand-in runtime (full deno as DENORT_BIN): dist, SHA256SUMS, manifest, cleanup", async () => {
  await withGeneratedModuleSetAside(async () => {
    const out = await Deno.makeTempDir();
    try {
      const result = await task(
        "release",
        ["--target", "x86_64-unknown-linux-gnu", "--out", out, "--server-url", "https://secrets.example.com"],
        { stdin: CANARY, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"], env: { DENORT_BIN: Deno.execPath() } },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!await exists(GENERATED_PATH), "generated module removed after a good build too");
      const manifest = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
      assert.equal(manifest.targets.length, 1);
      assert.equal(manifest.build.server_url, "https://secrets.example.com");
      assert.ok(manifest.permissions.includes("--allow-net=secrets.example.com"));
      assert.match(manifest.token_fingerprint, /^sha256:[0-9a-f]{12}$/);
      const file = manifest.targets[0].file;
      assert.equal(file, `amrs-bootstrap-${manifest.version}-x86_64-unknown-linux-gnu`);
      const sums = await new Deno.Command("sha256sum", { args: ["-c", "SHA256SUMS"], cwd: out }).output();
      assert.ok(sums.success, "SHA256SUMS verifies");
      const binary = await Deno.readFile(`${out}/${file}`);
      const text = new TextDecoder("latin1").decode(binary);
      assert.ok(text.includes("amrs-bootstrap sealed payload"), "the sealed module is compiled in");
      assert.ok(!text.includes(CANARY), "the token is not in the binary in clear");
      for (const name of ["manifest.json", "SHA256SUMS"]) {
        assert.ok(!(await Deno.readTextFile(`${out}/${name}`)).includes(CANARY));
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("embed refuses when the token is in a tracked file, the module is tracked, or not ignored", async () => {
  const repo = await scratchRepository();
  try {
    const embed = () => task("embed", [], { cwd: repo.dir, stdin: CANARY, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] });
    assert.equal((await embed()).code, 0, "a clean scratch repository embeds");

    await Deno.writeTextFile(`${repo.dir}/notes.txt`, `oops ${CANARY} pasted here\n`);
    await repo.git("add", "notes.txt");
    const staged = await embed();
    assert.equal(staged.code, 2);
    assert.match(staged.stderr, /the bootstrap token appears in tracked file\(s\).*notes\.txt/);
    assert.ok(!staged.stderr.includes(CANARY));
    await repo.git("rm", "-q", "--cached", "notes.txt");
    await Deno.remove(`${repo.dir}/notes.txt`);

    await repo.git("add", "-f", "src/payload/sealed_token.generated.ts");
    const tracked = await embed();
    assert.equal(tracked.code, 2);
    assert.match(tracked.stderr, /is tracked by git: a sealed payload must never be committed/);
    await repo.git("rm", "-q", "--cached", "src/payload/sealed_token.generated.ts");

    const ignore = await Deno.readTextFile(`${repo.dir}/.gitignore`);
    await Deno.writeTextFile(`${repo.dir}/.gitignore`, ignore.replace("*.generated.ts", ""));
    const unignored = await embed();
    assert.equal(unignored.code, 2);
    assert.match(unignored.stderr, /is not ignored by git/);
  } finally {
    await Deno.remove(repo.dir, { recursive: true });
  }
});

Deno.test("embed refuses a missing, empty, whitespace-padded or doubly given token", async () => {
  const repo = await scratchRepository();
  try {
    const cases: [Parameters<typeof task>[2], RegExp][] = [
      [{ stdin: "", unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] }, /the bootstrap token is empty/],
      [{ stdin: " padded ", unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] }, /leading or trailing whitespace/],
      [{ stdin: "a\tb", unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] }, /control characters/],
      [{ stdin: "tökén", unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] }, /not printable ASCII/],
      [{ stdin: "x".repeat(9000), unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] }, /longer than 8192 bytes/],
    ];
    for (const [options, message] of cases) {
      const result = await task("embed", [], { cwd: repo.dir, ...options });
      assert.equal(result.code, 2, String(message));
      assert.match(result.stderr, message);
    }
    const file = `${repo.dir}/token.txt`;
    await Deno.writeTextFile(file, CANARY);
    const both = await task("embed", ["--token-file", file], {
      cwd: repo.dir,
      env: { BOOTSTRAP_SECRET_TOKEN: CANARY },
    });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /both --token-file and BOOTSTRAP_SECRET_TOKEN are set/);
    const fromFile = await task("embed", ["--token-file", file], {
      cwd: repo.dir,
      unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"],
    });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const fromEnv = await task("embed", [], { cwd: repo.dir, env: { BOOTSTRAP_SECRET_TOKEN: CANARY } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
  } finally {
    await Deno.remove(repo.dir, { recursive: true });
  }
});

Deno.test("check-secrets (pre-commit) refuses a staged generated module, the token, or its base64", async () => {
  const repo = await scratchRepository();
  try {
    const check = () => task("check-secrets", [], { cwd: repo.dir, env: { BOOTSTRAP_SECRET_TOKEN: CANARY } });
    const clean = await check();
    assert.equal(clean.code, 0, clean.stderr);

    assert.equal(
      (await task("embed", [], { cwd: repo.dir, stdin: CANARY, unsetEnv: ["BOOTSTRAP_SECRET_TOKEN"] })).code,
      0,
    );
    await Deno.copyFile(`${repo.dir}/src/payload/sealed_token.generated.ts`, `${repo.dir}/src/payload/copy.ts`);
    await repo.git("add", "-f", "src/payload/sealed_token.generated.ts", "src/payload/copy.ts");
    const module = await check();
    assert.equal(module.code, 2);
    assert.match(module.stderr, /sealed_token\.generated\.ts: a generated module/);
    assert.match(module.stderr, /copy\.ts: a generated sealed-payload module/);
    assert.match(module.stderr, /copy\.ts: a sealed payload \(base64 magic\)/);
    await repo.git("rm", "-q", "--cached", "src/payload/sealed_token.generated.ts", "src/payload/copy.ts");

    const base64 = btoa(`prefix-${CANARY}`);
    await Deno.writeTextFile(`${repo.dir}/config.json`, JSON.stringify({ token: CANARY, other: base64 }));
    await repo.git("add", "config.json");
    const token = await check();
    assert.equal(token.code, 2);
    assert.match(token.stderr, /config\.json: the value of BOOTSTRAP_SECRET_TOKEN$/m);
    assert.match(token.stderr, /config\.json: the value of BOOTSTRAP_SECRET_TOKEN \(base64\)/);
    assert.ok(!token.stderr.includes(CANARY) && !token.stdout.includes(CANARY));
  } finally {
    await Deno.remove(repo.dir, { recursive: true });
  }
});
