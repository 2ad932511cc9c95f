#!/usr/bin/env bash
# Load test of the HTTP API from a second process with wrk: throughput and latency percentiles of one route,
# plus the binary's size and the server's idle memory.
#
#   bench/http.sh [sqlite|postgres] [path] [seconds] [connections]
#
# postgres uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch
# database `bourse_bench`, dropped afterwards. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
path=${2:-/v1/assets}
seconds=${3:-15}
connections=${4:-32}
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
binary=target/release/bourse

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$backend" = postgres ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Rate limits off: this measures the route, not the limiter (which would answer most of the load with 429).
env_args=(BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false)
if [ "$backend" = postgres ]; then
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null
  psql "$admin_url" -qc "CREATE DATABASE bourse_bench" >/dev/null
  env_args+=(DATABASE_URL="${admin_url%/*}/bourse_bench")
fi

env "${env_args[@]}" "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }

sleep 1
echo "backend:      $backend"
echo "binary size:  $(du -h "$binary" | cut -f1) ($(stat -c %s "$binary") bytes)"
echo "idle RSS:     $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
echo "route:        GET $path"
echo "load:         wrk -t1 -c$connections -d${seconds}s --latency http://$addr$path"
wrk -t1 -c"$connections" -d2s "http://$addr$path" >/dev/null
wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://$addr$path"
echo "RSS after:    $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
