#!/usr/bin/env bash
# Latency of the portfolio valuation, GET /v1/portfolio, for one user with 50 tracked holdings over 18 assets and
# 20 activities, then of GET /v1/rates/live?base=USD&symbols=BTC,ETH,EUR (the default `symbols`), under wrk from
# a second process, with a warm rate cache: requests/s and latency percentiles of each.
#
#   bench/portfolio.sh [sqlite|postgres] [seconds] [connections] [symbols]
#
# With REDIS_URL set the server keeps its rate cache in Redis, as nodes that share it do.
#
# Prices come from the live rates as `bourse serve` composes them, with CoinGecko replaced by a local fake
# (bench/fake_coingecko.py) and EUR/USD from a static rate, so the figure is the server's work (reading the
# holdings, the wallets, the activities and the catalogue, a cached rate per asset, the FIFO cost basis and the
# valuation), not the internet's. The fake's request count at the end shows the cache held.
# postgres uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch
# database `bourse_bench`, dropped afterwards. Needs wrk, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
seconds=${2:-15}
connections=${3:-16}
symbols=${4:-BTC,ETH,EUR}
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
binary=${CARGO_TARGET_DIR:-target}/release/bourse

work=$(mktemp -d)
server=
fake=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$fake" ] && kill "$fake" 2>/dev/null && wait "$fake" 2>/dev/null
  if [ "$backend" = postgres ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 bench/fake_coingecko.py "$work/count" >"$work/port" &
fake=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
cat >"$work/bourse.toml" <<TOML
[rates]
coingecko_base_url = "http://127.0.0.1:$(head -1 "$work/port")"
ttl_secs = 3600
max_stale_secs = 7200
static_rates.EUR = { USD = "1.0842" }
TOML

env_args=(BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false BOURSE_CONFIG="$work/bourse.toml")
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
base="http://$addr"

json() { curl -fsS -H 'content-type: application/json' "$@"; }
json -X POST "$base/v1/auth/register" \
  -d '{"email":"bench@example.com","password":"plum-rain-91-orbit","full_name":"Bench"}' >/dev/null
token=$(json -X POST "$base/v1/auth/login" -d '{"email":"bench@example.com","password":"plum-rain-91-orbit"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
assets=(BTC ETH USDT USDC SOL XRP BNB ADA DOGE LTC DOT TRX AVAX LINK XLM BCH DAI POL)
for i in $(seq 1 50); do
  asset=${assets[$((i % ${#assets[@]}))]}
  json -X POST "$base/v1/portfolio/holdings" -H "authorization: Bearer $token" \
    -d "{\"asset\":\"$asset\",\"amount\":\"$i.5\",\"label\":\"holding $i\"}" >/dev/null
done
csv="time,type,asset,amount,price,price_currency"
for i in $(seq 1 10); do
  csv+=$'\n'"2026-01-$(printf %02d "$i")T00:00:00Z,buy,BTC,0.$i,2000$i,USD"
  csv+=$'\n'"2026-02-$(printf %02d "$i")T00:00:00Z,sell,BTC,0.0$i,3000$i,EUR"
done
curl -fsS -X POST "$base/v1/portfolio/activities/import" -H "authorization: Bearer $token" \
  -H 'content-type: text/csv' --data-binary "$csv" >/dev/null

path="/v1/portfolio?currency=USD"
# Warm the rate cache (one upstream request per asset), and check the valuation is whole.
curl -fsS -H "authorization: Bearer $token" "$base$path" | grep -q '"partial":false' ||
  { echo "the valuation is partial:" >&2; curl -sS -H "authorization: Bearer $token" "$base$path" >&2; exit 1; }
warm=$(cat "$work/count")
echo "backend:      $backend"
echo "route:        GET $path (50 holdings, 20 activities)"
echo "load:         wrk -t1 -c$connections -d${seconds}s --latency $base$path"
wrk -t1 -c"$connections" -d2s -H "authorization: Bearer $token" "$base$path" >/dev/null
wrk -t1 -c"$connections" -d"${seconds}s" --latency -H "authorization: Bearer $token" "$base$path"
echo "upstream requests: $warm to warm the cache, $(( $(cat "$work/count") - warm )) during the run"

path="/v1/rates/live?base=USD&symbols=$symbols"
curl -fsS "$base$path" >/dev/null || { echo "the route does not answer 200:" >&2; curl -sS "$base$path" >&2; exit 1; }
warm=$(cat "$work/count")
echo
echo "route:        GET $path (public)"
echo "load:         wrk -t1 -c$connections -d${seconds}s --latency $base$path"
wrk -t1 -c"$connections" -d2s "$base$path" >/dev/null
wrk -t1 -c"$connections" -d"${seconds}s" --latency "$base$path"
echo "upstream requests: $warm before, $(( $(cat "$work/count") - warm )) during the run"
