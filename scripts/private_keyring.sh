#!/bin/sh
# Runs a command inside a private D-Bus session bus with a fresh gnome-keyring (Secret Service) whose login
# collection is created and unlocked with a throw-away password. The developer's own keyring is never touched.
#   private_keyring.sh [--deps test|bench] [--reuse] -- COMMAND [ARGS...]
# --reuse: when a Secret Service already answers on the current session bus, run COMMAND there instead
#          (the demo does this on a desktop; the tests never do).
# Inside COMMAND: AMRS_PRIVATE_KEYRING=1, AMRS_KEYRING_HOME=<the daemon's HOME> (its keyring files) and
# AMRS_KEYRING_PASSWORD (the throw-away password, so a test can lock and unlock the collection on purpose).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
deps=test
reuse=0
while [ $# -gt 0 ]; do
  case "$1" in
  --deps) deps=$2; shift 2 ;;
  --reuse) reuse=1; shift ;;
  --) shift; break ;;
  *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: scripts/private_keyring.sh [--deps test|bench] [--reuse] -- COMMAND [ARGS...]" >&2; exit 2; }

sh "$here/deps.sh" "$deps"

if [ "$reuse" = 1 ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] &&
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
  exec "$@"
fi

keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/amrs-keyring.XXXXXX")
trap 'rm -rf "$keyring_home"' EXIT INT TERM
# A random password per run: nothing outside this session can unlock the collection.
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

export AMRS_PRIVATE_KEYRING=1 AMRS_KEYRING_HOME="$keyring_home" AMRS_KEYRING_PASSWORD="$password"
# Only the daemon gets the fresh HOME (its keyring files live there); the command keeps the caller's HOME so that
# Deno's cache and the like stay where they are.
dbus-run-session -- sh -c '
  set -eu
  out=$(printf %s "$AMRS_KEYRING_PASSWORD" |
    env HOME="$AMRS_KEYRING_HOME" XDG_DATA_HOME="$AMRS_KEYRING_HOME/.local/share" \
      XDG_RUNTIME_DIR="$AMRS_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets)
  eval "$out"
  export GNOME_KEYRING_CONTROL
  exec "$@"' sh "$@"
