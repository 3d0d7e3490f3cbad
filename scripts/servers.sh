#!/usr/bin/env bash
# Prepares the three servers slotsmith is tested and benchmarked on, under .servers/ (git-ignored,
# reused when already there), and prints one line per server: `<name> <path of its server binary>`.
#
#   redis7   this machine's redis-server (Debian bookworm's 7.0)
#   valkey9  valkey-server from Debian forky (Valkey 9.x)
#   redis8   redis-server from Debian experimental (Redis 8.x)
#
# Valkey 9 and Redis 8 are built for glibc >= 2.38, newer than bookworm's 2.36, so they run with a
# private glibc loader unpacked next to them; nothing on the system changes (private apt state,
# `apt-get download`, `dpkg-deb -x`). Their *-check-rdb binary is the server itself (one binary,
# chosen by argv0), which is why the wrappers start it as `*-server`.
# usage: scripts/servers.sh [DIR]   (default: <repo>/.servers)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
D="${1:-$ROOT/.servers}"
mkdir -p "$D"
D="$(cd "$D" && pwd)"

if [ ! -x "$D/valkey-server" ] || [ ! -x "$D/redis-server" ] || ! "$D/valkey-server" --version >/dev/null 2>&1 || ! "$D/redis-server" --version >/dev/null 2>&1; then
  mkdir -p "$D"/{lists/partial,cache/archives/partial,x,debs}
  URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  URI=${URI:-http://deb.debian.org/debian}
  {
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$URI" trixie
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$URI" forky
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$URI" experimental
  } > "$D/sources.list"
  O=(-o Dir::Etc::SourceList="$D/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$D/lists"
     -o Dir::Cache="$D/cache" -o APT::Default-Release= -o APT::Sandbox::User=root)
  apt-get "${O[@]}" update -qq >/dev/null
  (cd "$D/debs" && apt-get "${O[@]}" download valkey-tools/forky redis-tools/experimental libc6/trixie libstdc++6/trixie >/dev/null)
  for f in "$D"/debs/*.deb; do dpkg-deb -x "$f" "$D/x"; done
  LIB="$D/x/usr/lib/x86_64-linux-gnu"
  LD=$(ls "$LIB/ld-linux-x86-64.so.2" 2>/dev/null || ls "$D/x/lib64/ld-linux-x86-64.so.2")
  for p in valkey redis; do
    printf '#!/bin/sh\nexec %s --library-path %s:/lib/x86_64-linux-gnu --argv0 %s %s "$@"\n' \
      "$LD" "$LIB" "$p-server" "$D/x/usr/bin/$p-check-rdb" > "$D/$p-server.tmp"
    chmod +x "$D/$p-server.tmp"
    mv "$D/$p-server.tmp" "$D/$p-server"
  done
  rm -rf "$D/debs" "$D/cache" "$D/lists"
fi

echo "redis7 $(command -v redis-server)"
echo "valkey9 $D/valkey-server"
echo "redis8 $D/redis-server"
