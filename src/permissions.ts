/**
 * The Deno permissions of amrs-bootstrap: the one definition that `deno task cli` (deno.json; a test checks that
 * they agree) and the release builder (`deno compile`) use, so tests run the code exactly as the release does.
 * - ffi: the keyring libraries (FFI code runs outside Deno's sandbox; this is intent, not containment);
 * - env: only AMRS_KEYRING (backend choice);
 * - sys=uid: the user-context check of `install`;
 * - write: `--log FILE`, whose path the installer chooses;
 * - net: only the secrets server host(s) sealed into the build, when there are any.
 */
export function permissionFlags(allowedHosts: readonly string[] = []): string[] {
  return [
    "--no-prompt",
    "--allow-ffi",
    "--allow-env=AMRS_KEYRING",
    "--allow-sys=uid",
    "--allow-write",
    ...(allowedHosts.length === 0 ? [] : [`--allow-net=${allowedHosts.join(",")}`]),
  ];
}
