#!/bin/sh
# Makes sure the Debian packages that the keyring tests, the demo and the bench need are installed.
#   deps.sh [test|bench]
# As root it installs what is missing with apt-get; otherwise it prints the exact command and exits 3
# (the tool's "keyring unavailable" code), so a developer is never left with a half-working run.
# Works on Debian 12 and 13: every package named here exists under the same name in both.
set -eu

profile=${1:-test}
packages="gnome-keyring libsecret-1-0 libsecret-tools dbus dbus-x11 python3-keyring strace util-linux git"
[ "$profile" = bench ] && packages="$packages gcc libc6-dev libsecret-1-dev pkg-config"

missing=""
for p in $packages; do
  # dpkg-query prints "install ok installed" only for a package that is fully installed.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "amrs-bootstrap: these Debian packages are needed and missing:$missing" >&2
  echo "Install them, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 3
fi

echo "amrs-bootstrap: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list finds nothing: refresh it once before installing.
apt-get update -qq >&2
# shellcheck disable=SC2086 # the list is split on purpose
apt-get install -y -qq --no-install-recommends $missing >&2
