#!/usr/bin/env bash
# Runs every check Spore has: formatting, lints, and all tests (unit,
# integration, property and headless-browser tests). Installs what the
# browser tests need on a fresh Debian machine when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# tests/it/torrent.rs downloads a site with stock BitTorrent clients.
if { ! command -v aria2c >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1; } \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing aria2 and python3-libtorrent for the torrent tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq aria2 python3-libtorrent >/dev/null
fi
if [ -f tests/browser/package.json ] && command -v npm >/dev/null 2>&1; then
  echo "== installing browser test driver (npm)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ -f tests/ipfs/package.json ] && command -v npm >/dev/null 2>&1; then
  echo "== installing the IPFS cross-check tools (npm)"
  (cd tests/ipfs && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
# Snapshot tests (tests/it/snapshots.rs) fail on a missing or changed snapshot
# and write nothing: accepting one is a reviewed step (content/Design.md).
export INSTA_UPDATE=no
unset INSTA_FORCE_PASS
# The browser tests skip when Chromium or node is missing; here they must run.
export SPORE_REQUIRE_BROWSER=1
# Likewise the IPFS cross-checks (tests/it/ipfs.rs: js importer, ipfs-car)
# and the torrent downloads (tests/it/torrent.rs: aria2c, libtorrent).
export SPORE_REQUIRE_IPFS_TOOLS=1
export SPORE_REQUIRE_TORRENT_TOOLS=1
echo "== cargo test"
# tests/it/fuzz.rs: every seed, then random inputs for this long per target.
export BOLERO_RANDOM_TEST_TIME_MS="${BOLERO_RANDOM_TEST_TIME_MS:-1000}"
cargo test --all-targets
