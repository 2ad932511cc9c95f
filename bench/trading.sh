#!/usr/bin/env bash
# Orders per second end to end through HTTP on BTCUSD, measured with wrk from a second process against a release
# build: 16 users funded with USD and BTC place orders round robin, every POST with its own Idempotency-Key, so
# each is held in the ledger, run on the engine and (for the cross mix) settled, durably. `cross` alternates buys
# and sells at one price (every second order trades); `rest` places orders that do not cross and cancels each one
# with the next request. Ends with `bourse audit` on the data the run left.
#
#   bench/trading.sh [sqlite|postgres] [seconds] [connections] [cross|rest]
#
# postgres uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch
# database `bourse_bench`, dropped afterwards. Needs wrk, curl and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
seconds=${2:-10}
connections=${3:-64}
mix=${4:-cross}
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
users=16
secret=whsec_bench_0123456789abcdef0123456789abcdef

for tool in wrk curl openssl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
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

cat >"$work/bourse.toml" <<TOML
[[funding.deposit_providers]]
name = "bench"
secret = "$secret"
TOML
# Rate limits off: this measures the ledger path, not the limiter.
env_args=(BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false BOURSE_TRADING__MAX_OPEN_ORDERS=100000
  BOURSE_CONFIG="$work/bourse.toml")
if [ "$backend" = postgres ]; then
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null
  psql "$admin_url" -qc "CREATE DATABASE bourse_bench" >/dev/null
  env_args+=(DATABASE_URL="${admin_url%/*}/bourse_bench")
fi
env "${env_args[@]}" "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "the server did not start" >&2; exit 1; }

# Registers, funds (a signed provider deposit) and signs in each user.
tokens=()
emails=()
for i in $(seq 1 "$users"); do
  email="bench$i@example.com"
  login="{\"email\": \"$email\", \"password\": \"plum-rain-91-orbit\"}"
  curl -sf -H 'Content-Type: application/json' -d "${login%\}}, \"full_name\": \"Bench $i\"}" \
    "http://$addr/v1/auth/register" >/dev/null
  for funds in "USD 100000000" "BTC 100000"; do
    set -- $funds
    body="{\"provider_tx_id\":\"bench-$1-$i\",\"user\":\"$email\",\"asset\":\"$1\",\"amount\":\"$2\",\"confirmations\":100}"
    signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/.*= //')
    curl -sf -H 'Content-Type: application/json' -H 'X-Provider: bench' -H "X-Signature: $signature" \
      -d "$body" "http://$addr/v1/webhooks/deposits" >/dev/null
  done
  tokens+=("$(curl -sf -H 'Content-Type: application/json' -d "$login" "http://$addr/v1/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')")
  emails+=("$email")
done

echo "wrk -t1 -c$connections -d${seconds}s, release build, $backend, $mix mix on BTCUSD"
# BENCH_PERF=FILE: a CPU profile of the server during the run (perf, call graphs), its top symbols written to FILE.
if [ -n "${BENCH_PERF:-}" ]; then
  perf record -q -F 499 -g -p "$server" -o "$work/perf.data" -- sleep "$seconds" 2>/dev/null &
  profiler=$!
fi
BENCH_TOKENS=$(IFS=,; echo "${tokens[*]}") BENCH_MIX=$mix \
  wrk -t1 -c"$connections" -d"${seconds}s" -s bench/orders.lua "http://$addr" |
  awk '/Requests\/sec/ {rps=$2} /^p50/ {lat=$0} /answers other/ {bad=$NF}
       END {printf "%s requests/s (orders and cancels)  %s  refused %s\n", rps, lat, bad}'
curl -sf "http://$addr/v1/markets/BTCUSD/ticker" | sed -n 's/.*"trades":\([0-9]*\).*/trades made: \1/p'; echo
if [ -n "${BENCH_PERF:-}" ]; then
  wait "$profiler" || true
  # Where the time goes: self time by symbol, then time including callees.
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | cut -c1-160 | head -60 >"$BENCH_PERF" || true
  echo "--- including callees ---" >>"$BENCH_PERF"
  perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | cut -c1-160 | head -120 >>"$BENCH_PERF" || true
fi

kill "$server" && wait "$server" 2>/dev/null || true
server=
env "${env_args[@]}" "$binary" audit --data-dir "$work/data"
