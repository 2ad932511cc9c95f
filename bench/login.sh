#!/usr/bin/env bash
# Login latency and throughput (argon2id dominates), measured with wrk from a second process against a release
# build on the embedded default, with rate limits off so the limiter does not refuse the load.
#
#   bench/login.sh [seconds]
#
# Prints the argon2 parameters in force, then wrk's latency distribution with 1 connection (one login at a time:
# the time of one verification) and with 4 connections (the machine's login throughput).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
binary=target/release/bourse

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false
"$binary" config --data-dir "$work/data" | grep -E '^(\[identity\]|argon2)'
"$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }

curl -sf -H 'Content-Type: application/json' \
  -d '{"email": "bench@example.com", "password": "plum-rain-91-orbit", "full_name": "Bench"}' \
  "http://$addr/v1/auth/register" >/dev/null

for connections in 1 4; do
  echo "== wrk -t1 -c$connections -d${seconds}s --latency -s bench/login.lua http://$addr/v1/auth/login"
  wrk -t1 -c"$connections" -d"${seconds}s" --latency -s bench/login.lua "http://$addr/v1/auth/login"
done
