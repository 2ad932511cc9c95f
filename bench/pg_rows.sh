#!/usr/bin/env bash
# The floor under the ledger's PostgreSQL figure: only the rows a transfer writes, on the real schema, by one
# client (pgbench), many transfers per transaction, with no ledger logic and no round trips.
# Per transfer: the transfer id checked, both wallets' totals updated (found by owner, the new balance returned),
# the journal row with running balances, two `wallet.balance_changed` events and one audit record. The
# PostgreSQL twin of `cargo bench -p ledger --bench sqlite_rows`.
#
#   bench/pg_rows.sh [seconds] [transfers per transaction]
#
# Uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create a scratch database
# `bourse_pg_rows`, dropped afterwards. Needs psql and pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
group=${2:-512}
wallets=10000
admin_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db_url="${admin_url%/*}/bourse_pg_rows"

for tool in psql pgbench; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
work=$(mktemp -d)
cleanup() {
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_pg_rows WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$admin_url" -qc "DROP DATABASE IF EXISTS bourse_pg_rows WITH (FORCE)" >/dev/null 2>&1
psql "$admin_url" -qc "CREATE DATABASE bourse_pg_rows" >/dev/null
for migration in migrations/postgres/*.sql; do
  psql "$db_url" -q -v ON_ERROR_STOP=1 -f "$migration" >/dev/null
done
# Wallet n belongs to the user md5('u' || n) and has the id md5('a' || n).
psql "$db_url" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO users (id, email, full_name, role, status, tier, created_at, updated_at)
  SELECT md5('u' || n)::uuid, 'bench' || n || '@example.com', 'Bench', 'CUSTOMER', 'ACTIVE', 'BASIC', now(), now()
  FROM generate_series(1, $wallets) n;
INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, credits_posted, created_at)
  SELECT md5('a' || n)::uuid, md5('u' || n)::uuid, 'USD', 'wallet', true, 100000000000, now()
  FROM generate_series(1, $wallets) n;
ANALYZE;
SQL

# One transaction is one server-side block looping over the transfers, so what is measured is the server's own
# work per row, without a round trip per statement (the ledger sends a few multi-row statements instead).
script="$work/transfers.sql"
cat >"$script" <<SQL
DO \$\$
DECLARE
  a int; b int; debit uuid; credit uuid; debit_after numeric; credit_after numeric; seen bigint; transfer uuid;
BEGIN
  FOR i IN 1..$group LOOP
    a := 1 + floor(random() * $wallets)::int;
    b := 1 + (a + floor(random() * ($wallets - 1))::int) % $wallets;
    transfer := gen_random_uuid();
    SELECT count(*) INTO seen FROM ledger_transfers WHERE id = transfer;
    UPDATE ledger_accounts SET debits_posted = debits_posted + 1
      WHERE owner_id = md5('u' || a)::uuid AND asset = 'USD' AND purpose = 'wallet'
      RETURNING ledger_accounts.id, credits_posted - debits_posted INTO debit, debit_after;
    UPDATE ledger_accounts SET credits_posted = credits_posted + 1
      WHERE owner_id = md5('u' || b)::uuid AND asset = 'USD' AND purpose = 'wallet'
      RETURNING ledger_accounts.id, credits_posted - debits_posted INTO credit, credit_after;
    INSERT INTO ledger_transfers (id, debit_account, credit_account, asset, amount, kind, action, metadata, at,
                                  debit_balance_after, credit_balance_after)
      VALUES (transfer, debit, credit, 'USD', 1, 'transfer', 'post', '{}', now(), debit_after, credit_after);
    INSERT INTO outbox (subject, payload, created_at) VALUES
      ('wallet.balance_changed', jsonb_build_object('user_id', md5('u' || a)::uuid, 'account_id', debit,
        'asset', 'USD', 'available', debit_after::text, 'locked', '0', 'total', debit_after::text,
        'transfers', jsonb_build_array(transfer)), now()),
      ('wallet.balance_changed', jsonb_build_object('user_id', md5('u' || b)::uuid, 'account_id', credit,
        'asset', 'USD', 'available', credit_after::text, 'locked', '0', 'total', credit_after::text,
        'transfers', jsonb_build_array(transfer)), now());
    INSERT INTO audit_log (at, actor_id, action, target, outcome, details) VALUES
      (now(), md5('u' || a)::uuid, 'wallet.transfer', transfer::text, 'success',
       jsonb_build_object('transfers', jsonb_build_array(jsonb_build_object('id', transfer, 'debit', debit,
         'credit', credit, 'asset', 'USD', 'amount', '0.01', 'kind', 'transfer', 'reference', NULL))));
  END LOOP;
END
\$\$;
SQL

tps=$( (pgbench -n -c 1 -T "$seconds" -f "$script" "$db_url" 2>"$work/err" || true) |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p')
[ -n "$tps" ] || { cat "$work/err" >&2; echo "pgbench did not finish" >&2; exit 1; }
awk -v tps="$tps" -v group="$group" -v s="$seconds" \
  'BEGIN { printf "postgres rows: transactions of %d transfers, one client, %d s: %.0f transfers/s\n", group, s, tps * group }'
