#!/usr/bin/env bash
# Memory under a burst of wrong logins: a release build on the embedded default, rate limits off and the lockout
# raised so that only the password-hashing bound holds the burst back. Prints the server's RSS before the burst
# and its peak (VmHWM) after, and how the logins were answered.
#
#   [BENCH_BINARY=path] bench/login_burst.sh [logins] [extra BOURSE_* settings...]
#
# e.g. `bench/login_burst.sh 300` (the defaults: one hash per CPU), or
# `bench/login_burst.sh 300 BOURSE_IDENTITY__PASSWORD_HASH_CONCURRENCY=256 BOURSE_IDENTITY__PASSWORD_HASH_QUEUE=10000` to see what a
# looser bound costs.
set -euo pipefail
cd "$(dirname "$0")/.."

logins=${1:-300}
shift || true
# BENCH_BINARY runs another build instead (e.g. an older one, to compare).
binary=${BENCH_BINARY:-}
if [ -z "$binary" ]; then
  cargo build --release --quiet
  binary=${CARGO_TARGET_DIR:-target}/release/bourse
fi

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false BOURSE_IDENTITY__LOGIN_MAX_FAILURES=1000
for setting in "$@"; do export "${setting?}"; done
"$binary" config --data-dir "$work/data" | grep -E '^(argon2|password_hash)' || true
"$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }

rss() { grep -E "^$1:" "/proc/$server/status" | awk '{printf "%.1f MB", $2 / 1024}'; }
echo "before the burst: VmRSS $(rss VmRSS)"
python3 - "$addr" "$logins" <<'PY'
import collections, json, sys, threading, urllib.error, urllib.request

addr, logins = sys.argv[1], int(sys.argv[2])
answers = collections.Counter()
start = threading.Barrier(logins)

def login(n):
    body = json.dumps({"email": f"burst{n}@example.com", "password": "wrong-password-123"}).encode()
    request = urllib.request.Request(f"http://{addr}/v1/auth/login", body, {"Content-Type": "application/json"})
    start.wait()
    try:
        urllib.request.urlopen(request, timeout=600)
        answers["200"] += 1
    except urllib.error.HTTPError as e:
        answers[f"{e.code} code {json.load(e)['error']['code']}"] += 1
    except OSError as e:
        answers[f"no answer ({type(e).__name__})"] += 1

threads = [threading.Thread(target=login, args=(n,)) for n in range(logins)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{logins} wrong logins at once:", ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())))
PY
echo "after the burst: VmRSS $(rss VmRSS), peak VmHWM $(rss VmHWM)"
