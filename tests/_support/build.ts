/** Helpers for the build-side tests: running deno tasks, a scratch copy of the repository, the generated module. */
import { GENERATED_PATH, ROOT } from "../../installer/_build.ts";
import { type Collected, runCollect } from "../../src/subprocess.ts";

export { GENERATED_PATH, ROOT };

export type Ran = Collected;

/** Runs `deno task NAME ARGS` in `cwd` with `stdin` and extra env (merged unless clearEnv). */
export function task(
  name: string,
  args: string[],
  options: { cwd?: string; stdin?: string; env?: Record<string, string>; unsetEnv?: string[] } = {},
): Promise<Ran> {
  const env = Deno.env.toObject();
  for (const key of options.unsetEnv ?? []) delete env[key];
  return runCollect(Deno.execPath(), ["task", "-q", name, ...args], {
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: { ...env, ...options.env },
    ...(options.stdin === undefined ? {} : { input: options.stdin }),
  });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` with the real repository's generated module out of the way (a developer may have one from
 * `deno task embed`), and puts it back afterwards. Tests that embed into the real tree use this.
 */
export async function withGeneratedModuleSetAside(fn: () => Promise<void>): Promise<void> {
  const aside = `${GENERATED_PATH}.aside-${crypto.randomUUID()}`;
  const had = await exists(GENERATED_PATH);
  if (had) await Deno.rename(GENERATED_PATH, aside);
  try {
    await fn();
  } finally {
    await Deno.remove(GENERATED_PATH).catch(() => {});
    if (had) await Deno.rename(aside, GENERATED_PATH);
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * A scratch git repository holding the project's current files (tracked and untracked-but-not-ignored), committed
 * once, so guard and hook tests can commit and stage freely without touching the real repository.
 */
export async function scratchRepository(): Promise<{ dir: string; git: (...args: string[]) => Promise<string> }> {
  const dir = await Deno.makeTempDir({ prefix: "amrs-repo-" });
  const files = (await git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))
    .split("\0").filter((f) => f !== "" && !f.endsWith(".generated.ts"));
  for (const file of files) {
    if (!await exists(`${ROOT}/${file}`)) continue;
    const target = `${dir}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}/${file}`, target);
  }
  await git(dir, "init", "-q");
  await git(dir, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A");
  await git(dir, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "scratch");
  return { dir, git: (...args) => git(dir, "-c", "user.email=t@t", "-c", "user.name=t", ...args) };
}
