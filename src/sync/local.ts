/**
 * Per-user local files of the tool: the sync lock and the record of the last sync attempt. Nothing secret is in
 * them (times, outcomes, exit codes). They live in the user's cache folder:
 * $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches (macOS), %LOCALAPPDATA% (Windows), + /amrs-bootstrap.
 */

import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";

/** Environment variables this module reads (the release allows exactly these, see src/permissions.ts). */
export const LOCAL_ENV = ["HOME", "XDG_CACHE_HOME", "LOCALAPPDATA"] as const;

export function localDir(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): string {
  const base = Deno.build.os === "windows"
    ? env("LOCALAPPDATA")
    : env("XDG_CACHE_HOME") ?? (env("HOME") === undefined
      ? undefined
      : `${env("HOME")}/${Deno.build.os === "darwin" ? "Library/Caches" : ".cache"}`);
  if (base === undefined) {
    throw new CliError(ExitCode.Usage, "no cache folder for the sync lock: HOME (LOCALAPPDATA on Windows) is not set", {
      kind: "usage",
      hint: "run amrs-bootstrap in a normal user environment, or set HOME",
    });
  }
  return `${base}/amrs-bootstrap`;
}

/** The outcome of the last sync attempt, for `status` (staleness) and the launcher. */
export interface LastCheck {
  at: string;
  ok: boolean;
  outcome: string;
  exit_code: number;
  server?: string;
}

function checkPath(dir: string, service: string): string {
  return `${dir}/${service}.last-check.json`;
}

export async function readLastCheck(dir: string, service: string): Promise<LastCheck | undefined> {
  try {
    const raw = JSON.parse(await Deno.readTextFile(checkPath(dir, service)));
    return typeof raw?.at === "string" && typeof raw?.ok === "boolean" ? raw as LastCheck : undefined;
  } catch {
    return undefined;
  }
}

export async function writeLastCheck(dir: string, service: string, check: LastCheck): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${checkPath(dir, service)}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(check), { mode: 0o600 });
  await Deno.rename(temporary, checkPath(dir, service));
}

/** A held lock; `release()` is idempotent. */
export interface Lock {
  release(): void;
}

/**
 * Takes the per-service sync lock (an exclusive advisory lock on a file), waiting up to `waitMs`.
 * Returns undefined when another instance still holds it after that. The OS drops the lock if the process dies.
 */
export async function acquireLock(dir: string, service: string, waitMs: number): Promise<Lock | undefined> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = await Deno.open(`${dir}/${service}.lock`, { create: true, write: true, mode: 0o600 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await file.tryLock(true)) {
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          file.close(); // closing the descriptor releases the lock
        },
      };
    }
    if (Date.now() >= deadline) {
      file.close();
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
  }
}
