#!/usr/bin/env bash
# `GET /v1/rates/live` under load with a warm cache: a release server whose CoinGecko is a local fake (Python), so
# the figure is the route and the cache, not the internet (bench/fake_coingecko.py). The fake's request count at the end shows how rarely the
# upstream was asked (once per pair per `rates.ttl_secs`).
#
#   bench/rates_live.sh [sqlite|postgres] [seconds] [connections] [symbols]
#
# postgres uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch
# database `bourse_bench_rates`, dropped afterwards. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
seconds=${2:-15}
connections=${3:-32}
symbols=${4:-BTC,ETH,EUR}
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
target=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet -p bourse
binary=$target/release/bourse

work=$(mktemp -d)
server=
fake=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$fake" ] && kill "$fake" 2>/dev/null && wait "$fake" 2>/dev/null
  if [ "$backend" = postgres ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench_rates WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 bench/fake_coingecko.py "$work/count" >"$work/port" &
fake=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
fake_port=$(head -1 "$work/port")

cat >"$work/bourse.toml" <<TOML
[rates]
coingecko_base_url = "http://127.0.0.1:$fake_port"
static_rates.EUR = { USD = "1.0842" }
TOML

# Rate limits off: this measures the route, not the limiter.
env_args=(BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false)
if [ "$backend" = postgres ]; then
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_bench_rates WITH (FORCE)" >/dev/null
  psql "$admin_url" -qc "CREATE DATABASE bourse_bench_rates" >/dev/null
  env_args+=(DATABASE_URL="${admin_url%/*}/bourse_bench_rates")
fi

env "${env_args[@]}" "$binary" serve --config "$work/bourse.toml" --listen 127.0.0.1:0 --data-dir "$work/data" \
  >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }

url="http://$addr/v1/rates/live?base=USD&symbols=$symbols"
curl -sf "$url" >/dev/null || { echo "the route does not answer 200:" >&2; curl -s "$url" >&2; exit 1; }
echo "backend:      $backend"
echo "route:        GET /v1/rates/live?base=USD&symbols=$symbols"
echo "load:         wrk -t1 -c$connections -d${seconds}s --latency $url"
wrk -t1 -c"$connections" -d2s "$url" >/dev/null
wrk -t1 -c"$connections" -d"${seconds}s" --latency "$url"
echo "upstream requests during the run: $(cat "$work/count")"
