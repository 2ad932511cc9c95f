#!/usr/bin/env bash
# What the stack around a request costs: each route's throughput beside a bare axum handler that answers the same
# JSON as GET /v1/assets/BTC (the floor, crates/bench-floor), measured with wrk from a second process against a
# release build, rate limits off and logs at warn, on SQLite and on PostgreSQL in one run.
#
#   bench/request_path.sh [seconds] [connections] [transfer connections] [backends]
#
# Defaults: 8 s per route, 32 connections (64 for transfers), backends "sqlite postgres". postgres uses
# BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch database
# `bourse_bench`, dropped afterwards. BENCH_BINARY runs another build of the server. Needs wrk, curl and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-8}
connections=${2:-32}
post_connections=${3:-64}
backends=${4:-sqlite postgres}
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
users=8
secret=whsec_bench_0123456789abcdef0123456789abcdef

for tool in wrk curl openssl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
# BENCH_BINARY runs another build of the server (an earlier commit's, to compare); only the floor is built then.
if [ -n "${BENCH_BINARY:-}" ]; then
  cargo build --release --quiet -p bench-floor
else
  cargo build --release --quiet -p bourse -p bench-floor
fi
binary=${BENCH_BINARY:-target/release/bourse}

work=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/bourse.toml" <<TOML
[[funding.deposit_providers]]
name = "bench"
secret = "$secret"
TOML

# wait_listening NAME: sets `addr` from the "listening on" line the process printed.
wait_listening() {
  for _ in $(seq 1 100); do grep -q "listening on" "$work/$1.out" 2>/dev/null && break; sleep 0.1; done
  addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/$1.out")
  [ -n "$addr" ] || { cat "$work/$1.err" >&2; echo "$1 did not start" >&2; exit 1; }
}

# start BACKEND: runs the server (not in a subshell, so cleanup can stop it) and sets `addr`.
start() {
  local env_args=(BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false BOURSE_CONFIG="$work/bourse.toml")
  if [ "$1" = postgres ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null 2>&1
    psql "$admin_url" -qc "CREATE DATABASE bourse_bench" >/dev/null
    env_args+=(DATABASE_URL="${admin_url%/*}/bourse_bench")
  fi
  env "${env_args[@]}" "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/$1" >"$work/$1.out" 2>"$work/$1.err" &
  server=$!
  servers+=("$server")
  wait_listening "$1"
}

# seed ADDR: registers, funds (a signed provider deposit) and signs in the bench users; sets `tokens` and `emails`.
seed() {
  tokens=()
  emails=()
  for i in $(seq 1 "$users"); do
    local email="bench$i@example.com"
    local login="{\"email\": \"$email\", \"password\": \"plum-rain-91-orbit\"}"
    curl -sf -H 'Content-Type: application/json' -d "${login%\}}, \"full_name\": \"Bench $i\"}" \
      "http://$1/v1/auth/register" >/dev/null
    local body="{\"provider_tx_id\":\"bench-$i\",\"user\":\"$email\",\"asset\":\"USD\",\"amount\":\"1000000\",\"confirmations\":1}"
    local signature
    signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/.*= //')
    curl -sf -H 'Content-Type: application/json' -H 'X-Provider: bench' -H "X-Signature: $signature" \
      -d "$body" "http://$1/v1/webhooks/deposits" >/dev/null
    tokens+=("$(curl -sf -H 'Content-Type: application/json' -d "$login" "http://$1/v1/auth/login" |
      sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')")
    emails+=("$email")
  done
}

# measure LABEL CONNECTIONS WRK-ARGS...: one wrk run, one table row; the first row measured is the floor.
floor=
measure() {
  local label=$1 conns=$2
  shift 2
  local row
  row=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "$@" |
    awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /answers other/ {bad=$NF}
         END {printf "%s %s %s %s", rps, p50, p99, (bad == "" ? "-" : bad)}')
  read -r rps p50 p99 bad <<<"$row"
  [ -n "$floor" ] || floor=$rps
  local share
  share=$(awk -v r="$rps" -v f="$floor" 'BEGIN {printf "%.0f %%", 100 * r / f}')
  printf '| %-40s | %10s | %8s | %8s | %6s |%s\n' "$label" "$rps" "$p50" "$p99" "$share" \
    "$([ "$bad" = - ] || [ "$bad" = 0 ] || echo " $bad answers not 2xx")"
}

header() {
  echo
  echo "wrk -t1 -d${seconds}s, release build, $1"
  printf '| %-40s | %10s | %8s | %8s | %6s |\n' route req/s p50 p99 share
  printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..12})" \
    "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..8})"
}

floor_started=
for backend in $backends; do
  start "$backend"
  server_addr=$addr
  seed "$server_addr"
  if [ -z "$floor_started" ]; then
    # The floor answers exactly the body the server gives for the asset.
    curl -sf "http://$server_addr/v1/assets/BTC" >"$work/asset.json"
    target/release/bench-floor 127.0.0.1:0 "$work/asset.json" >"$work/floor.out" 2>"$work/floor.err" &
    servers+=($!)
    wait_listening floor
    floor_addr=$addr
    floor_started=1
  fi
  header "$backend"
  floor=
  measure "bare axum handler, same JSON (c$connections)" "$connections" "http://$floor_addr/"
  measure "GET /healthz" "$connections" "http://$server_addr/healthz"
  measure "GET /v1/assets/BTC" "$connections" "http://$server_addr/v1/assets/BTC"
  measure "GET /v1/users/me (bearer)" "$connections" -H "Authorization: Bearer ${tokens[0]}" \
    "http://$server_addr/v1/users/me"
  measure "GET /v1/wallets (bearer)" "$connections" -H "Authorization: Bearer ${tokens[0]}" \
    "http://$server_addr/v1/wallets"
  BENCH_TOKENS=$(IFS=,; echo "${tokens[*]}") BENCH_EMAILS=$(IFS=,; echo "${emails[*]}") \
    measure "POST /v1/wallets/transfers (c$post_connections)" "$post_connections" -s bench/transfers.lua \
    "http://$server_addr"
  kill "$server" && wait "$server" 2>/dev/null || true
done
