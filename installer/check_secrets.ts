/**
 * `deno task check-secrets`: refuses a commit that would carry a sealed payload or the bootstrap token.
 * Scans what is staged (`git diff --cached`): generated module files (by name and by their first line), the
 * payload's magic in base64 (how the module carries it), and the current BOOTSTRAP_SECRET_TOKEN value (raw and
 * base64), if it is set.
 *   deno task check-secrets          exit 0: clean; exit 2: something found (file names listed, never the token)
 * As a git pre-commit hook: ln -s ../../scripts/pre-commit .git/hooks/pre-commit
 */
import { GENERATED_MARKER, GENERATED_MODULE } from "../src/payload/embedded.ts";
import { MAGIC } from "../src/payload/format.ts";
import { refuse, report, run, TOKEN_ENV } from "./_build.ts";

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Base64 renderings of `bytes` at each of the three alignments it can have inside a longer base64 text, trimmed to
 * the characters that do not depend on the neighbouring bytes.
 */
function base64Forms(bytes: Uint8Array): string[] {
  return [0, 1, 2].map((shift) => {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    const text = base64(padded).replace(/=+$/, "");
    const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
    const end = text.length - (((shift + bytes.length) % 3) === 0 ? 0 : 2);
    return text.slice(start, end);
  }).filter((form) => form.length >= 8);
}

/** One finding: a file and what was found in it (a description, never the matched text). */
export interface Finding {
  file: string;
  what: string;
}

/** Scans the staged changes of the repository in the current directory. */
export async function scanStaged(token: string | undefined): Promise<Finding[]> {
  const listed = await run("git", ["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"], { cwd: Deno.cwd() });
  if (listed.code !== 0) throw refuse(`git diff --cached failed: ${listed.stderr.trim()}`);
  const files = listed.stdout.split("\0").filter((f) => f !== "");
  const needles: { what: string; text: string }[] = [
    ...base64Forms(MAGIC).map((text) => ({ what: "a sealed payload (base64 magic)", text })),
  ];
  if (token !== undefined && token !== "") {
    const bytes = new TextEncoder().encode(token);
    needles.push({ what: `the value of ${TOKEN_ENV}`, text: token });
    for (const text of base64Forms(bytes)) needles.push({ what: `the value of ${TOKEN_ENV} (base64)`, text });
  }
  const findings: Finding[] = [];
  for (const file of files) {
    if (file.endsWith(".generated.ts") || file.endsWith(GENERATED_MODULE)) {
      findings.push({ file, what: "a generated module (*.generated.ts)" });
    }
    const staged = await run("git", ["show", `:${file}`], { cwd: Deno.cwd() });
    if (staged.code !== 0) continue;
    if (staged.stdout.startsWith(GENERATED_MARKER)) findings.push({ file, what: "a generated sealed-payload module" });
    for (const needle of needles) {
      if (staged.stdout.includes(needle.text)) findings.push({ file, what: needle.what });
    }
  }
  return findings;
}

if (import.meta.main) {
  try {
    const findings = await scanStaged(Deno.env.get(TOKEN_ENV));
    if (findings.length === 0) {
      console.log("check-secrets: nothing secret is staged");
      Deno.exit(0);
    }
    console.error("check-secrets: refusing: the staged changes carry secrets:");
    for (const finding of findings) console.error(`  ${finding.file}: ${finding.what}`);
    console.error("unstage them (git restore --staged FILE); rotate the token if it was ever committed");
    Deno.exit(2);
  } catch (error) {
    Deno.exit(report(error));
  }
}
