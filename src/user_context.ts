import { CliError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";
import type { KeyringError } from "./keyring/keyring.ts";
import { isLocalSystem } from "../ffi/windows_identity.ts";

/** What the context check needs to know about the process. */
export interface ProcessIdentity {
  os: typeof Deno.build.os;
  /** The real user id on Linux/macOS; null on Windows. */
  uid: number | null;
  /** Windows: running as LocalSystem (S-1-5-18). */
  localSystem?: boolean;
}

/** This process's identity (needs --allow-sys=uid; on Windows, FFI to read the process token). */
export function processIdentity(): ProcessIdentity {
  if (Deno.build.os === "windows") return { os: "windows", uid: null, localSystem: isLocalSystem() };
  return { os: Deno.build.os, uid: Deno.uid() };
}

/** The keyring has no store in this logon session: for `install`, that is a wrong context (exit 5), not a failure. */
export function deferredForSession(error: KeyringError): CliError {
  return new CliError(
    ExitCode.WrongUserContext,
    `no credential store in this logon session (${error.nativeCode ?? error.kind}); install deferred to first run`,
    { kind: "wrong_user_context", hint: error.hint ?? "run it in the user's interactive session", cause: error },
  );
}

/**
 * Refuses to install into the wrong user's keyring (exit 5). The keyring belongs to the user who will run the app;
 * an installer step running as root (a .deb postinst, a pkg postinstall, `sudo`) would store the token in root's
 * keyring instead, where the app never looks. The token is then installed by the first-run launcher.
 * `--allow-root` is for a root account that really runs the app (kiosk images, containers).
 */
export function checkUserContext(identity: ProcessIdentity, allowRoot: boolean): void {
  if (identity.os === "windows" && identity.localSystem === true) {
    throw new CliError(
      ExitCode.WrongUserContext,
      "running as LocalSystem: the token would go into SYSTEM's credential store, not the user's; install deferred " +
        "to first run",
      {
        kind: "wrong_user_context",
        hint: 'run the custom action impersonated (MSI: Impersonate="yes") or per-user; the launcher installs it ' +
          "on first run otherwise",
      },
    );
  }
  if ((identity.os === "linux" || identity.os === "darwin") && identity.uid === 0 && !allowRoot) {
    throw new CliError(
      ExitCode.WrongUserContext,
      "running as root: the token would go into root's keyring, not the app user's; install deferred to first run",
      {
        kind: "wrong_user_context",
        hint: identity.os === "darwin"
          ? "run it as the console user (installer/macos/postinstall does: launchctl asuser UID sudo -u USER ...), " +
            "or let the first-run launcher install it; --allow-root if root really runs the app"
          : "run it as the user who runs the app, or let the first-run launcher install it; --allow-root if root " +
            "really runs the app",
      },
    );
  }
}
