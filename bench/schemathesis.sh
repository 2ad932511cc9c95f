#!/usr/bin/env bash
# Property-based check of the OpenAPI document against the running server: schemathesis generates requests for
# every operation from /api/openapi.json and checks that each answer's status is one the operation declares, that
# its body matches the declared schema, and that no input gets a 5xx. A release build on the embedded default in a
# temporary data directory, rate limits off, one registered user whose access token is sent with every request.
#
#   bench/schemathesis.sh [max examples per operation] [max seconds per run]
#
# Needs schemathesis 4 (pip install schemathesis). Exits non-zero when a check fails; schemathesis prints each
# failure with a curl command that reproduces it. Not run by CI: it needs pip and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${1:-50}
max_time=${2:-300}
command -v schemathesis >/dev/null || { echo "schemathesis is not installed (pip install schemathesis)" >&2; exit 1; }
cargo build --release --quiet -p bourse
binary=${CARGO_TARGET_DIR:-target}/release/bourse

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Generated logins fail by the thousand: the lockout must not lock the test user out (rate limits are off).
export BOURSE_LOG__FILTER=warn BOURSE_RATE_LIMITS__ENABLED=false BOURSE_IDENTITY__LOGIN_MAX_FAILURES=1000 BOURSE_IDENTITY__LOGIN_LOCKOUT_SECS=1
"$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$work/out")
[ -n "$addr" ] || { cat "$work/err" >&2; echo "server did not start" >&2; exit 1; }

user='{"email": "schema@example.com", "password": "plum-rain-91-orbit"}'
curl -sf -H 'Content-Type: application/json' -d "${user%\}}, \"full_name\": \"Schema Check\"}" \
  "http://$addr/v1/auth/register" >/dev/null
access_token() {
  curl -sf -H 'Content-Type: application/json' -d "$user" "http://$addr/v1/auth/login" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])'
}

check() {
  schemathesis run "http://$addr/api/openapi.json" \
    --header "Authorization: Bearer $(access_token)" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$examples" --max-time "$max_time" --seed 1 "$@"
}

# Logging out, revoking sessions and changing the password end the session the token belongs to, after which
# every other operation would answer only 401; they are checked in a second run of their own, with a new token.
ending='^/v1/(auth/logout|auth/sessions|users/me/password)'
status=0
check --exclude-path-regex "$ending" || status=1
check --include-path-regex "$ending" || status=1
exit "$status"
