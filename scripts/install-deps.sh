#!/usr/bin/env bash
# Install the Debian packages spate needs to build and test, if missing.
# Idempotent; works as root or through sudo. Used by `make run`, `make test` and .ci/run.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libcmocka-dev libsimdjson-dev libjansson-dev libxxhash-dev
      libpcre2-dev librdkafka-dev libmicrohttpd-dev libsqlite3-dev libpq-dev libavro-dev kcat python3 netcat-openbsd
      clang libclang-rt-14-dev # clang + libFuzzer runtime: the fuzz targets (make fuzz)
      postgresql # postgresql: a throw-away server for the PostgreSQL table/sink tests (skipped without it)
      chromium) # chromium: headless browser for the monitoring-page test (skipped without it)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "spate: installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
