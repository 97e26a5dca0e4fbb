/**
 * `deno task release`: embed the token, compile one binary per target with a LOCAL Deno runtime (denort), write
 * dist/ with SHA256SUMS and manifest.json (never the token), and remove the generated module afterwards, also when
 * anything fails. Works on an air-gapped build machine: nothing is downloaded.
 *   deno task release [--target T]... [--denort-dir DIR] [--out dist] [embed options, see installer/embed.ts]
 * Runtime per target, first found: DENORT_BIN (one target only), DIR/denort-<target>.zip (--denort-dir or
 * AMRS_DENORT_DIR), $DENO_DIR/dl/release/v<deno version>/denort-<target>.zip.
 */
import { parseArgs } from "node:util";
import { headerJson } from "../src/payload/format.ts";
import { permissionFlags } from "../src/permissions.ts";
import { VERSION } from "../src/version.ts";
import { EMBED_OPTIONS } from "./embed.ts";
import { embed, embedOptionsFrom, GENERATED_PATH, refuse, removeGenerated, ROOT, run, runMain } from "./_build.ts";

/** `deno compile --target` values (Deno's release targets). */
export const TARGETS = [
  "x86_64-pc-windows-msvc",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
] as const;
type Target = typeof TARGETS[number];

/** Where `deno compile` looks for a cached runtime: $DENO_DIR/dl/release/v<version>/denort-<target>.zip. */
function defaultDenoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? ""}/.cache/deno`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** How one target's runtime is supplied to `deno compile`: an env var, or a DENO_DIR laid out as it expects. */
type RuntimeSource = { env: Record<string, string>; description: string };

/**
 * Finds a local runtime for every target, or stops with a message that says exactly what to provide.
 * Returns a temporary DENO_DIR to remove afterwards when one was laid out.
 */
async function resolveRuntimes(
  targets: Target[],
  denortDir: string | undefined,
): Promise<{ sources: Map<Target, RuntimeSource>; cleanup: () => Promise<void> }> {
  const version = Deno.version.deno;
  const denortBin = Deno.env.get("DENORT_BIN");
  const sources = new Map<Target, RuntimeSource>();
  if (denortBin !== undefined) {
    if (targets.length !== 1) {
      throw refuse(
        "DENORT_BIN names one runtime, for one target; this release has " + targets.length,
        "pass exactly one --target with DENORT_BIN, or use --denort-dir DIR with denort-<target>.zip per target",
      );
    }
    if (!await exists(denortBin)) throw refuse(`DENORT_BIN points at ${denortBin}, which does not exist`);
    sources.set(targets[0]!, { env: { DENORT_BIN: denortBin }, description: `DENORT_BIN=${denortBin}` });
    return { sources, cleanup: () => Promise.resolve() };
  }
  const cache = `${defaultDenoDir()}/dl/release/v${version}`;
  const missing: Target[] = [];
  let layout: string | undefined;
  for (const target of targets) {
    const zip = `denort-${target}.zip`;
    if (denortDir !== undefined && await exists(`${denortDir}/${zip}`)) {
      layout ??= await Deno.makeTempDir({ prefix: "amrs-denort-" });
      await Deno.mkdir(`${layout}/dl/release/v${version}`, { recursive: true });
      await Deno.symlink(await Deno.realPath(`${denortDir}/${zip}`), `${layout}/dl/release/v${version}/${zip}`);
      sources.set(target, { env: { DENO_DIR: layout }, description: `${denortDir}/${zip}` });
    } else if (await exists(`${cache}/${zip}`)) {
      sources.set(target, { env: {}, description: `${cache}/${zip}` });
    } else {
      missing.push(target);
    }
  }
  const cleanup = async () => {
    if (layout !== undefined) await Deno.remove(layout, { recursive: true });
  };
  if (missing.length > 0) {
    await cleanup();
    throw refuse(
      `no local Deno runtime (denort ${version}) for: ${missing.join(", ")}; nothing is downloaded`,
      `provide denort-<target>.zip from the Deno v${version} release (verify its checksum) for each of them, ` +
        `in a folder passed as --denort-dir DIR (or AMRS_DENORT_DIR), or under ${cache}/; ` +
        "or, for a single --target, set DENORT_BIN=/path/to/denort",
    );
  }
  return { sources, cleanup };
}

async function sha256(path: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        ...EMBED_OPTIONS,
        target: { type: "string", multiple: true },
        "denort-dir": { type: "string" },
        out: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw refuse((error as Error).message, "deno task release [--target T]... [--denort-dir DIR] [--out DIR]");
  }
  const targets = (values.target ?? [...TARGETS]) as Target[];
  for (const target of targets) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      throw refuse(`unknown target '${target}'`, TARGETS.join(", "));
    }
  }
  const out = values.out ?? `${ROOT}/dist`;
  try {
    const { sources, cleanup } = await resolveRuntimes(
      targets,
      values["denort-dir"] ?? Deno.env.get("AMRS_DENORT_DIR"),
    );
    try {
      const embedded = await embed(embedOptionsFrom(values));
      for (const warning of embedded.warnings) console.error(`amrs-bootstrap build: warning: ${warning}`);
      await Deno.mkdir(out, { recursive: true });
      const files: { target: Target; file: string; sha256: string; size: number }[] = [];
      for (const target of targets) {
        const file = `amrs-bootstrap-${VERSION}-${target}${target.includes("windows") ? ".exe" : ""}`;
        const source = sources.get(target)!;
        console.error(`compiling ${file} (runtime: ${source.description})`);
        const compiled = await run(Deno.execPath(), [
          "compile",
          "--target",
          target,
          "--output",
          `${out}/${file}`,
          ...permissionFlags(embedded.header.allowedHosts),
          `${ROOT}/main.ts`,
        ], { env: source.env });
        if (compiled.code !== 0) {
          throw refuse(`deno compile failed for ${target}:\n${compiled.stderr.trim()}`);
        }
        const path = `${out}/${file}`;
        files.push({ target, file, sha256: await sha256(path), size: (await Deno.stat(path)).size });
      }
      await Deno.writeTextFile(`${out}/SHA256SUMS`, files.map((f) => `${f.sha256}  ${f.file}\n`).join(""));
      const manifest = {
        name: "amrs-bootstrap",
        version: VERSION,
        deno: Deno.version.deno,
        build: headerJson(embedded.header),
        token_fingerprint: embedded.fingerprint,
        permissions: permissionFlags(embedded.header.allowedHosts),
        targets: files,
      };
      await Deno.writeTextFile(`${out}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
      console.log(
        `release ${embedded.header.buildId}: ${files.length} binaries in ${out} (token ${embedded.fingerprint})`,
      );
      console.log("sign the binaries now (signing after embedding); see docs/RELEASE.md");
    } finally {
      await cleanup();
    }
  } finally {
    // Whatever happened, the sealed payload does not stay in the work tree.
    if (await removeGenerated()) console.error(`removed ${GENERATED_PATH}`);
  }
  return 0;
}

if (import.meta.main) await runMain(main);
