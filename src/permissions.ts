/**
 * The Deno permissions of amrs-bootstrap: the one definition that `deno task cli` (deno.json; a test checks that
 * they agree) and the release builder (`deno compile`) use, so tests run the code exactly as the release does.
 * - ffi: the keyring libraries (FFI code runs outside Deno's sandbox: this states intent, it does not contain);
 * - env: AMRS_KEYRING (backend choice), HOME/XDG_CACHE_HOME/LOCALAPPDATA (the cache folder for the sync lock and
 *   last-check record), BOOTSTRAP_SECRET_TOKEN (only to blank it in the app's environment if it is set);
 * - sys: uid (the user-context check of `install`) and hostname (sent at enrollment);
 * - read/write: the cache folder, and `--log FILE` whose path the installer chooses;
 * - run: `launch` starts the app, whose path the shortcut chooses;
 * - net: only the secrets server host(s) sealed into the build.
 */
export function permissionFlags(allowedHosts: readonly string[] = []): string[] {
  return [
    "--no-prompt",
    "--allow-ffi",
    "--allow-env=AMRS_KEYRING,HOME,XDG_CACHE_HOME,LOCALAPPDATA,BOOTSTRAP_SECRET_TOKEN",
    "--allow-sys=uid,hostname",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    ...(allowedHosts.length === 0 ? [] : [`--allow-net=${allowedHosts.join(",")}`]),
  ];
}

/**
 * `deno task cli` is a build whose server is the local reference server (`deno task dev-server`): loopback only.
 */
export const DEVELOPMENT_HOSTS = ["127.0.0.1", "localhost"] as const;
