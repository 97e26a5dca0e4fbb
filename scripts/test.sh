#!/bin/sh
# `deno task test`: every test, inside a private D-Bus session with a fresh gnome-keyring (never your own).
#   scripts/test.sh [deno test args...]     e.g. scripts/test.sh --filter interop
# Installs the Debian packages it needs when run as root; otherwise prints the apt-get command and stops.
# Ends with a plain "N passed, N failed" line.
set -eu
cd "$(dirname "$0")/.."

if [ "${AMRS_PRIVATE_KEYRING:-}" != 1 ]; then
  exec sh scripts/private_keyring.sh --deps test -- sh scripts/test.sh "$@"
fi

deno=${DENO:-deno}
log=$(mktemp "${TMPDIR:-/tmp}/amrs-test.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
# Arguments that name files or folders replace the default "tests/".
paths=tests/
for arg in "$@"; do case "$arg" in -*) ;; *) paths= ;; esac; done
# shellcheck disable=SC2086 # $paths is empty or one word
"$deno" test --no-prompt --allow-ffi --allow-env --allow-run --allow-read --allow-write --allow-sys --allow-net=127.0.0.1 "$@" $paths 2>&1 |
  tee "$log" || true
# The pipeline's status is tee's: take deno's verdict from its own summary line instead.
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1 || true)
passed=$(printf '%s' "$summary" | sed -n 's/.*| \([0-9]*\) passed.*/\1/p')
failed=$(printf '%s' "$summary" | sed -n 's/.*| \([0-9]*\) failed.*/\1/p')
if [ -z "$summary" ] || [ "${passed:-0}" = 0 ] || [ "${failed:-1}" != 0 ]; then status=1; fi
echo "deno test: ${passed:-0} passed, ${failed:-0} failed"

# The Windows lane (deno.exe under Wine), unless a subset of files was asked for or AMRS_SKIP_WINDOWS=1 (CI never sets
# it: there the lane must run and pass).
if [ -n "$paths" ] && [ "${AMRS_SKIP_WINDOWS:-}" != 1 ]; then
  win_log=$(mktemp "${TMPDIR:-/tmp}/amrs-win.XXXXXX")
  win_status=0
  sh scripts/wine_lane.sh test >"$win_log" 2>&1 || win_status=$?
  cat "$win_log"
  wline=$(grep -E '^windows lane: [0-9]+ passed, [0-9]+ failed' "$win_log" | tail -n 1 || true)
  wpassed=$(printf '%s' "$wline" | sed -n 's/^windows lane: \([0-9]*\) passed.*/\1/p')
  wfailed=$(printf '%s' "$wline" | sed -n 's/.*, \([0-9]*\) failed/\1/p')
  rm -f "$win_log"
  [ "$win_status" = 0 ] && [ -n "$wline" ] || status=1
  passed=$((${passed:-0} + ${wpassed:-0}))
  failed=$((${failed:-0} + ${wfailed:-0}))
  [ "$win_status" != 0 ] && [ "${wfailed:-0}" = 0 ] && failed=$((failed + 1))
fi
echo "all tests: ${passed:-0} passed, ${failed:-0} failed"
exit $status
