#!/bin/sh
# `deno task demo`: the main job end to end against a real keyring. For now (foundation): store a secret from stdin,
# read it back, show status, and have Debian's Python keyring (what the AMRS app uses) read the same entry.
# Runs inside scripts/private_keyring.sh: on a desktop with a Secret Service it uses that one (service amrs-demo,
# removed at the end); elsewhere a private D-Bus session with a throw-away gnome-keyring.
set -eu
cd "$(dirname "$0")/.."
deno=${DENO:-deno}
service=amrs-demo
cli() { "$deno" task -q cli --service "$service" "$@"; }

step() { printf '\n== %s\n' "$*"; }

if [ "${AMRS_PRIVATE_KEYRING:-}" = 1 ]; then
  echo "Using a private gnome-keyring on a private D-Bus session (nothing of yours is touched)."
else
  echo "Using this desktop's Secret Service; the demo writes under service '$service' and removes it at the end."
fi

step "amrs-bootstrap version"
cli version

# A fresh random demo value: it never appears on a command line or in this output.
value=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')

step "store DEMO_API_KEY from stdin (the value is never an argument)"
printf '%s\n' "$value" | cli set DEMO_API_KEY

step "status (names and a fingerprint, never values)"
printf '%s' "demo-bootstrap-token" | cli set BOOTSTRAP_SECRET_TOKEN --silent
cli status

step "read it back with amrs-bootstrap get"
if [ "$(cli get DEMO_API_KEY)" = "$value" ]; then echo "get returned the stored value: yes"; else echo "get returned something else" >&2; exit 1; fi

step "read it with Debian's Python keyring, as the AMRS app does"
read_back=$(AMRS_DEMO_SERVICE=$service /usr/bin/python3 -c '
import os, keyring
print(keyring.get_password(os.environ["AMRS_DEMO_SERVICE"], "DEMO_API_KEY"))')
if [ "$read_back" = "$value" ]; then echo "keyring.get_password(\"$service\", \"DEMO_API_KEY\") returned the same value: yes"; else echo "Python keyring read something else" >&2; exit 1; fi

step "purge the demo entries"
cli purge
