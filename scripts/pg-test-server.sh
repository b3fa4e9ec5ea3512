#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server for tests, listening only on a unix
# socket in DIR (no TCP). Usage:
#   scripts/pg-test-server.sh start DIR   -> prints the socket directory (DIR) on success
#   scripts/pg-test-server.sh stop DIR
# Uses the Debian `postgresql` package's initdb/pg_ctl; as root the server runs as
# the `postgres` user (runuser). Exit status 77 = cannot start here (tests skip).
set -uo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin=$d; done
[ -z "$bin" ] && command -v initdb >/dev/null && bin=$(dirname "$(command -v initdb)")
[ -n "$bin" ] || { echo "pg-test-server: PostgreSQL server binaries not installed (Debian package postgresql)" >&2; exit 77; }
as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "pg-test-server: running as root and no 'postgres' user" >&2; exit 77; }
  as=(runuser -u postgres --)
fi
case "$cmd" in
  start)
    mkdir -p "$dir" || exit 77
    [ ${#as[@]} -gt 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
        { echo "pg-test-server: initdb failed (see $dir/initdb.log)" >&2; exit 77; }
    fi
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-k $dir -c listen_addresses=''" -l "$dir/server.log" -w -t 60 start \
      >/dev/null 2>&1 || { echo "pg-test-server: server did not start (see $dir/server.log)" >&2; exit 77; }
    echo "$dir"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
