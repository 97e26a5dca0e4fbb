#!/bin/sh
# The Windows test lane: Deno for Windows (deno.exe 2.9.6) under Wine 10, running the Windows backend's tests.
#   scripts/wine_lane.sh setup          prepare (cached): Wine, deno.exe, the mingw-built layout checker
#   scripts/wine_lane.sh test [ARGS]    setup, then run tests/windows/ with deno.exe under Wine
#   scripts/wine_lane.sh run CMD...     run CMD (e.g. "wine ...") in the lane's environment, repo at /src
# Debian 13 has Wine 10: it is installed from apt and used directly. Debian 12's Wine 8 cannot start V8, so there the
# lane builds a Debian 13 root with debootstrap and runs Wine inside it (ENVIRONMENT.md). Everything is cached under
# $AMRS_WINE_CACHE (default /var/cache/amrs-bootstrap), outside the checkout; first-time cost: see README.
# Needs root (apt-get, debootstrap, chroot, mount). Prints a plain "N passed, N failed" line at the end of `test`.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
cache=${AMRS_WINE_CACHE:-/var/cache/amrs-bootstrap}
deno_version=2.9.6
root=$cache/wine-trixie
mkdir -p "$cache"

debian_major=$(cut -d. -f1 /etc/debian_version 2>/dev/null || echo 0)
case "$debian_major" in
[0-9]*) ;;
*) debian_major=13 ;; # testing/sid report a codename: treat as new enough
esac
use_root=0
[ "$debian_major" -lt 13 ] && use_root=1

need_root() {
  [ "$(id -u)" = 0 ] || { echo "wine_lane.sh: needs root (apt-get, debootstrap, chroot)" >&2; exit 3; }
}

setup_wine() {
  if [ "$use_root" = 0 ]; then
    command -v wine >/dev/null 2>&1 && return 0
    need_root
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 wine >&2
    return 0
  fi
  [ -x "$root/usr/bin/wine" ] && [ -e "$root/.amrs-ready" ] && return 0
  need_root
  command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  rm -rf "$root"
  echo "wine_lane: building a Debian 13 root for Wine 10 in $root (first time only)" >&2
  debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >&2
  # The host's CA store, so that apt inside trusts the same mirrors the host does.
  mkdir -p "$root/etc/ssl/certs" && cp -a /etc/ssl/certs/. "$root/etc/ssl/certs/" 2>/dev/null || true
  chroot "$root" apt-get update -qq >&2
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 wine >&2
  touch "$root/.amrs-ready"
}

setup_deno_exe() {
  exe=$cache/deno-win32-$deno_version/deno.exe
  [ -f "$exe" ] && return 0
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "@deno/win32-x64@$deno_version" >/dev/null && tar -xzf ./*.tgz)
  mkdir -p "$(dirname "$exe")"
  cp "$work/package/deno.exe" "$exe"
  rm -rf "$work"
}

setup_checker() {
  # The independent layout check: a C program that reads and writes credentials the way Python keyring does.
  out=$repo/tests/windows/build/pykeyring_layout.exe
  [ -f "$out" ] && [ "$out" -nt tests/windows/pykeyring_layout.c ] && return 0
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || {
    need_root
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 >&2
  }
  mkdir -p "$(dirname "$out")"
  x86_64-w64-mingw32-gcc -O2 -municode -o "$out" tests/windows/pykeyring_layout.c -ladvapi32
}

# Runs a command with Wine's environment; inside the Debian 13 root when the host's Wine is too old.
in_lane() {
  if [ "$use_root" = 0 ]; then
    env WINEPREFIX="$cache/wineprefix" WINEDEBUG=-all AMRS_REPO="$repo" AMRS_DENO_EXE="$cache/deno-win32-$deno_version/deno.exe" "$@"
    return
  fi
  mkdir -p "$root/src" "$root/cache"
  mounted=""
  cleanup_mounts() {
    for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
  }
  trap cleanup_mounts EXIT INT TERM
  mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc"; mounted="$root/proc $mounted"; }
  mountpoint -q "$root/dev" || { mount --bind /dev "$root/dev"; mounted="$root/dev $mounted"; }
  mountpoint -q "$root/tmp" || { mount -t tmpfs tmpfs "$root/tmp"; mounted="$root/tmp $mounted"; }
  mountpoint -q "$root/src" || { mount --bind "$repo" "$root/src"; mounted="$root/src $mounted"; }
  mountpoint -q "$root/cache" || { mount --bind "$cache" "$root/cache"; mounted="$root/cache $mounted"; }
  status=0
  chroot "$root" env -i PATH=/usr/bin:/bin HOME=/cache/winehome XDG_RUNTIME_DIR=/tmp WINEPREFIX=/cache/wineprefix \
    WINEDEBUG=-all AMRS_REPO=/src AMRS_DENO_EXE="/cache/deno-win32-$deno_version/deno.exe" "$@" || status=$?
  cleanup_mounts
  trap - EXIT INT TERM
  return $status
}

case "${1:-test}" in
setup)
  setup_wine
  setup_deno_exe
  setup_checker
  ;;
run)
  shift
  setup_wine
  setup_deno_exe
  in_lane "$@"
  ;;
test)
  shift || true
  setup_wine
  setup_deno_exe
  setup_checker
  log=$(mktemp)
  status=0
  # deno.exe maps Linux paths through Wine's Z: drive; Z:/src is the repository (Z:$repo on Debian 13 hosts).
  in_lane sh -c 'mkdir -p "$HOME"; cd "$AMRS_REPO" && wine "$AMRS_DENO_EXE" test --no-prompt --allow-ffi --allow-env \
    --allow-read --allow-write --allow-run --allow-sys "$@" tests/windows/wincred.win.ts' sh "$@" >"$log" 2>&1 || status=$?
  cat "$log"
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1 || true)
  passed=$(printf '%s' "$summary" | sed -n 's/.*| \([0-9]*\) passed.*/\1/p')
  failed=$(printf '%s' "$summary" | sed -n 's/.*| \([0-9]*\) failed.*/\1/p')
  rm -f "$log"
  echo "windows lane: ${passed:-0} passed, ${failed:-0} failed"
  [ -n "$summary" ] && [ "${passed:-0}" != 0 ] && [ "${failed:-1}" = 0 ] && [ "$status" = 0 ]
  ;;
*)
  echo "usage: scripts/wine_lane.sh setup|test|run" >&2
  exit 2
  ;;
esac
