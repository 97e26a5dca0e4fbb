#!/bin/sh
# `deno task demo`: the main job end to end.
#   1. a reference secrets server on loopback (what the AMRS backend does in production);
#   2. the build machine seals a demo bootstrap token into the build (`deno task embed`);
#   3. the installer's custom action stores it in the user's keyring (`install`);
#   4. the desktop shortcut runs the launcher: sync the secrets, start the app (`launch -- APP`);
#   5. the app reads its secrets with Debian's Python keyring.
# Runs inside scripts/private_keyring.sh: on a desktop with a Secret Service it uses that one (service amrs-demo,
# purged at the end); elsewhere a private D-Bus session with a throw-away gnome-keyring.
set -eu
cd "$(dirname "$0")/.."
deno=${DENO:-deno}
service=amrs-demo
generated=src/payload/sealed_token.generated.ts
step() { printf '\n== %s\n' "$*"; }

if [ -e "$generated" ]; then
  echo "demo: $generated exists (from your own 'deno task embed'); move it away first, the demo seals its own" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/amrs-demo.XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -f "$generated"
  "$deno" task -q cli purge --service "$service" --silent || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ "${AMRS_PRIVATE_KEYRING:-}" = 1 ]; then
  echo "Using a private gnome-keyring on a private D-Bus session (nothing of yours is touched)."
else
  echo "Using this desktop's Secret Service; the demo writes under service '$service' and removes it at the end."
fi
# The installer runs as the user who runs the app; as root (CI, containers) that is root, hence --allow-root.
allow_root=
[ "$(id -u)" = 0 ] && allow_root=--allow-root

# A random demo token: it travels through pipes only, never an argument or an environment variable.
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$work/token"
chmod 600 "$work/token"

step "1. reference secrets server (deno task dev-server), loopback only"
"$deno" task -q dev-server --port 0 < "$work/token" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q "server on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*server on \(http[^ ]*\).*/\1/p' "$work/server.log")
[ -n "$url" ] || { cat "$work/server.log" >&2; exit 1; }
echo "listening on $url"

step "2. build machine: seal the bootstrap token into the build (deno task embed)"
"$deno" task -q embed --service "$service" --server-url "$url" < "$work/token"
rm -f "$work/token"

step "3. installer custom action: amrs-bootstrap install --silent --log FILE"
"$deno" task -q cli install --silent $allow_root --log "$work/install.log" && echo "exit code: 0"
cat "$work/install.log"

step "4. desktop shortcut: amrs-bootstrap launch -- <app>  (sync, then start the app)"
"$deno" task -q cli launch --service "$service" -- /usr/bin/python3 scripts/demo_app.py "$service"

step "5. status (names and fingerprints, never values)"
"$deno" task -q cli status --service "$service"

step "6. sync again: the secrets are current, nothing is written (HTTP 304)"
"$deno" task -q cli sync --service "$service"
