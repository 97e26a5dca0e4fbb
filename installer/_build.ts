/**
 * Shared pieces of the build side (`deno task embed`, `deno task release`, `deno task check-secrets`): where the
 * generated module lives, how the token is read, the repository guards, and child processes that never see the
 * token. Runs on the build machine only; nothing here is part of the shipped binary.
 */
import { CliError } from "../src/errors.ts";
import { ExitCode } from "../src/exit_codes.ts";
import { fingerprint } from "../src/fingerprint.ts";
import { GENERATED_MODULE, generatedModuleText } from "../src/payload/embedded.ts";
import { type BuildSettings, MAX_TOKEN_BYTES, type PayloadHeader, sealToken } from "../src/payload/format.ts";
import { DEFAULT_SERVICE, TOKEN_ACCOUNT } from "../src/names.ts";
import { type Collected, runCollect } from "../src/subprocess.ts";

export const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
/** The generated module, relative to the repository root (git paths) and absolute. */
export const GENERATED_RELATIVE = `src/payload/${GENERATED_MODULE}`;
export const GENERATED_PATH = `${ROOT}/${GENERATED_RELATIVE}`;
/** The environment variable the token may come from on the build machine. */
export const TOKEN_ENV = "BOOTSTRAP_SECRET_TOKEN";

/** A refusal of the builder: exit 2 with the reason (never the token). */
export function refuse(message: string, hint?: string): CliError {
  return new CliError(ExitCode.Usage, message, hint === undefined ? { kind: "refused" } : { kind: "refused", hint });
}

/**
 * The environment for a child process: this one's, without the token. The token never reaches a child through
 * argv or the environment; it travels only inside the generated module.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  delete env[TOKEN_ENV];
  return { ...env, ...extra };
}

/** Runs a command with the token-free environment; `input` goes to stdin. */
export function run(
  program: string,
  args: string[],
  options: { input?: Uint8Array; env?: Record<string, string>; cwd?: string } = {},
): Promise<Collected> {
  return runCollect(program, args, {
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: childEnv(options.env),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

/** The settings options shared by `embed` and `release`, from parsed command-line values. */
export function embedOptionsFrom(values: Record<string, unknown>): EmbedOptions {
  const text = (name: string) => typeof values[name] === "string" ? values[name] as string : undefined;
  const options: EmbedOptions = {};
  if (text("token-file") !== undefined) options.tokenFile = text("token-file")!;
  if (text("service") !== undefined) options.service = text("service")!;
  if (text("account") !== undefined) options.account = text("account")!;
  if (text("server-url") !== undefined) options.serverUrl = text("server-url")!;
  if (text("allowed-hosts") !== undefined) options.allowedHosts = hostList(text("allowed-hosts"))!;
  const trusted = values["trusted-app"];
  if (Array.isArray(trusted) && trusted.length > 0) options.trustedApps = trusted.map(String);
  return options;
}

/** Where the token comes from, in order: --token-file, the environment variable, stdin (not a terminal). */
export interface TokenSource {
  tokenFile?: string;
}

/**
 * Reads the token as UTF-8 bytes (the caller zeroes them). Exactly one source may be used; one trailing newline
 * of a file or stdin is dropped. Refused: empty, over 8 KiB, control characters, surrounding whitespace.
 */
export async function readToken(source: TokenSource): Promise<Uint8Array<ArrayBuffer>> {
  const fromEnv = Deno.env.get(TOKEN_ENV);
  let bytes: Uint8Array<ArrayBuffer>;
  if (source.tokenFile !== undefined) {
    if (fromEnv !== undefined) throw refuse(`both --token-file and ${TOKEN_ENV} are set: use one`);
    bytes = await Deno.readFile(source.tokenFile);
  } else if (fromEnv !== undefined) {
    bytes = new TextEncoder().encode(fromEnv);
  } else if (!Deno.stdin.isTerminal()) {
    bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  } else {
    throw refuse(
      "no bootstrap token given",
      `set ${TOKEN_ENV}, pass --token-file FILE, or pipe the token on stdin (never on the command line)`,
    );
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const token = bytes.slice(0, end);
  bytes.fill(0);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(token);
  } catch {
    token.fill(0);
    throw refuse("the bootstrap token is not valid UTF-8");
  }
  const problem = token.length === 0
    ? "is empty"
    : token.length > MAX_TOKEN_BYTES
    ? `is longer than ${MAX_TOKEN_BYTES} bytes`
    : [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
    ? "contains control characters"
    : [...text].some((c) => c.charCodeAt(0) > 0x7e)
    ? "is not printable ASCII (it travels in an HTTP Authorization header)"
    : text.trim() !== text
    ? "has leading or trailing whitespace"
    : undefined;
  if (problem !== undefined) {
    token.fill(0);
    throw refuse(`the bootstrap token ${problem}`);
  }
  return token;
}

/** True when the repository root is a git work tree (a release from a tarball has no git guards to run). */
export async function inGitWorkTree(): Promise<boolean> {
  try {
    return (await run("git", ["rev-parse", "--is-inside-work-tree"])).stdout.trim() === "true";
  } catch {
    return false;
  }
}

/**
 * Refuses to build when the repository could leak the token: the generated module tracked or not ignored, or the
 * token's text in any tracked file (working tree or index). The token goes to `git grep` on stdin.
 */
export async function guardRepository(token: Uint8Array): Promise<string[]> {
  if (!await inGitWorkTree()) return ["not a git work tree: the tracked-file guards were skipped"];
  if ((await run("git", ["ls-files", "--error-unmatch", GENERATED_RELATIVE])).code === 0) {
    throw refuse(
      `${GENERATED_RELATIVE} is tracked by git: a sealed payload must never be committed`,
      `git rm --cached ${GENERATED_RELATIVE}, and rotate the token if that commit left this machine`,
    );
  }
  if ((await run("git", ["check-ignore", "-q", GENERATED_RELATIVE])).code !== 0) {
    throw refuse(`${GENERATED_RELATIVE} is not ignored by git`, "restore the '*.generated.ts' line in .gitignore");
  }
  for (const where of [[], ["--cached"]]) {
    const found = await run("git", ["grep", "-I", "-F", "-l", ...where, "-f", "-"], { input: token });
    if (found.code === 0) {
      throw refuse(
        `the bootstrap token appears in tracked file(s)${where.length > 0 ? " (staged)" : ""}: ` +
          found.stdout.trim().split("\n").join(", "),
        "remove it from those files and rotate the token: a token that was in a repository is compromised",
      );
    }
  }
  return [];
}

/** Options of `embed` (and of `release`, which embeds first). */
export interface EmbedOptions extends TokenSource, Partial<BuildSettings> {}

export interface EmbedResult {
  header: PayloadHeader;
  fingerprint: string;
  path: string;
  warnings: string[];
}

/** Reads the token, runs the guards, seals, and writes the generated module (mode 0600, atomically). */
export async function embed(options: EmbedOptions): Promise<EmbedResult> {
  const token = await readToken(options);
  try {
    const warnings = await guardRepository(token);
    const settings: BuildSettings = {
      service: options.service ?? DEFAULT_SERVICE,
      account: options.account ?? TOKEN_ACCOUNT,
      ...(options.serverUrl === undefined ? {} : { serverUrl: options.serverUrl }),
      ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
      ...(options.trustedApps === undefined ? {} : { trustedApps: options.trustedApps }),
    };
    if (settings.serverUrl !== undefined && settings.allowedHosts === undefined) {
      settings.allowedHosts = [new URL(settings.serverUrl).host];
    }
    const print = await fingerprint(new TextDecoder().decode(token));
    const { payload, header } = await sealToken(token, settings);
    const temporary = `${GENERATED_PATH}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(temporary, generatedModuleText(payload, print, header.buildId), { mode: 0o600 });
      await Deno.rename(temporary, GENERATED_PATH);
    } finally {
      payload.fill(0);
      await Deno.remove(temporary).catch(() => {});
    }
    return { header, fingerprint: print, path: GENERATED_PATH, warnings };
  } finally {
    token.fill(0);
  }
}

/** Removes the generated module; true when there was one. */
export async function removeGenerated(): Promise<boolean> {
  try {
    await Deno.remove(GENERATED_PATH);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Parses `--allowed-hosts a,b` into a list. */
export function hostList(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((h) => h.trim()).filter((h) => h !== "");
}

/** Prints a builder failure the same way the CLI does and returns its exit code. */
export function report(error: unknown): number {
  if (error instanceof CliError) {
    console.error(
      `amrs-bootstrap build: error: ${error.message}${error.hint === undefined ? "" : `\n  fix: ${error.hint}`}`,
    );
    return error.exitCode;
  }
  console.error(`amrs-bootstrap build: internal error (${error instanceof Error ? error.name : typeof error})`);
  return ExitCode.Internal;
}

/** Runs a build-side entry point: its exit code, or the reported error's. */
export async function runMain(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (error) {
    Deno.exit(report(error));
  }
}
