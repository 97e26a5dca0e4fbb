import { CliError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";

/** What the context check needs to know about the process. */
export interface ProcessIdentity {
  os: typeof Deno.build.os;
  /** The real user id on Linux/macOS; null on Windows. */
  uid: number | null;
}

/** This process's identity (needs --allow-sys=uid). */
export function processIdentity(): ProcessIdentity {
  return { os: Deno.build.os, uid: Deno.uid() };
}

/**
 * Refuses to install into the wrong user's keyring (exit 5). The keyring belongs to the user who will run the app;
 * an installer step running as root (a .deb postinst, a pkg postinstall, `sudo`) would store the token in root's
 * keyring instead, where the app never looks. The token is then installed by the first-run launcher.
 * `--allow-root` is for a root account that really runs the app (kiosk images, containers).
 */
export function checkUserContext(identity: ProcessIdentity, allowRoot: boolean): void {
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
