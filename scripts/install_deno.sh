#!/bin/sh
# Installs the pinned Deno (2.9.6) from the npm registry into .tools/ and prints the binary's path.
# Needs only Node/npm: the npm package @deno/linux-x64-glibc carries the real binary. Nothing else is downloaded.
set -eu
cd "$(dirname "$0")/.."
version=2.9.6
case "$(uname -m)" in
x86_64) package=@deno/linux-x64-glibc ;;
aarch64) package=@deno/linux-arm64-glibc ;;
*) echo "install_deno.sh: no Deno package for $(uname -m)" >&2; exit 1 ;;
esac
prefix=.tools/deno-$version
bin=$prefix/node_modules/$package/deno
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "^deno $version "; then
  mkdir -p "$prefix"
  npm install --silent --no-save --no-audit --no-fund --prefix "$prefix" "$package@$version" >&2
  chmod +x "$bin"
fi
mkdir -p .tools/bin
ln -sf "../deno-$version/node_modules/$package/deno" .tools/bin/deno
echo "$PWD/.tools/bin/deno"
