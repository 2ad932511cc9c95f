#!/usr/bin/env bash
# What authentication and rate limiting cost on a cheap route, measured with wrk from a second process against a
# release build on the embedded default. Three figures from one run:
#   public   GET /v1/assets/BTC without a token, limiter off: the baseline (one single-row read)
#   auth     GET /v1/users/me with a bearer token, limiter off: + JWT check, live-session and user reads
#   auth+rl  the same with the limiter on (limits set high enough that nothing is refused)
#
#   bench/auth.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
connections=${2:-16}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
binary=target/release/bourse

work=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME ENV... : runs a server (not in a subshell, so cleanup can stop it); `addr` is where it listens.
start() {
  local name=$1
  shift
  env BOURSE_LOG__FILTER=warn "$@" "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/$name" \
    >"$work/$name.out" 2>"$work/$name.err" &
  servers+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
  addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/$name.out")
  [ -n "$addr" ] || { cat "$work/$name.err" >&2; echo "server $name did not start" >&2; exit 1; }
}

# token ADDR: registers the bench user and prints an access token.
token() {
  local login='{"email": "bench@example.com", "password": "plum-rain-91-orbit"}'
  curl -sf -H 'Content-Type: application/json' -d "${login%\}}, \"full_name\": \"Bench\"}" \
    "http://$1/v1/auth/register" >/dev/null
  curl -sf -H 'Content-Type: application/json' -d "$login" "http://$1/v1/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

start off BOURSE_RATE_LIMITS__ENABLED=false
off=$addr
start on BOURSE_RATE_LIMITS__BASIC=1000000 BOURSE_RATE_LIMITS__PUBLIC=1000000 BOURSE_RATE_LIMITS__AUTH=1000000 \
  BOURSE_RATE_LIMITS__LOGIN=1000000 BOURSE_RATE_LIMITS__GLOBAL=1000000
on=$addr
token_off=$(token "$off")
token_on=$(token "$on")

run() {
  local label=$1
  shift
  printf '%-8s ' "$label"
  wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@" |
    awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {printf "%10s req/s  p50 %8s  p99 %8s\n", rps, p50, p99}'
}

echo "wrk -t1 -c$connections -d${seconds}s, release build, embedded SQLite"
run public "http://$off/v1/assets/BTC"
run auth -H "Authorization: Bearer $token_off" "http://$off/v1/users/me"
run auth+rl -H "Authorization: Bearer $token_on" "http://$on/v1/users/me"
