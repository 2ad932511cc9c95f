//! The floor under the ledger's SQLite figure: only the rows a transfer writes, on the real schema, by one thread
//! with cached prepared statements, many transfers per transaction, and nothing else (no ledger logic, no async,
//! no hand-off between threads). Per transfer: both wallets read and their totals updated, the transfer id
//! checked, the journal row inserted, two `wallet.balance_changed` events and one audit record. The database
//! is a file in a temporary directory in WAL mode with `synchronous = FULL`, as the server runs it.
//!
//! ```text
//! cargo bench -p ledger --bench sqlite_rows -- [--group N] [--wallets N] [--seconds S] [--drop INDEX]...
//! ```
//!
//! `--drop` removes one of the schema's indexes first (repeat it for several), to show what each costs; a
//! figure measured with an index dropped is not one the ledger could run at.

use rusqlite::{Connection, params};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Options {
    group: usize,
    wallets: usize,
    seconds: u64,
    drop: Vec<String>,
}

fn options() -> Options {
    let mut options = Options {
        group: 512,
        wallets: 10_000,
        seconds: 10,
        drop: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--group" => options.group = value().parse().expect("--group is a number"),
            "--wallets" => options.wallets = value().parse().expect("--wallets is a number"),
            "--seconds" => options.seconds = value().parse().expect("--seconds is a number"),
            "--drop" => options.drop.push(value()),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

fn main() {
    let options = options();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut connection = Connection::open(dir.path().join("bourse.db")).expect("database opens");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -32768;",
        )
        .expect("pragmas");
    migrate(&connection);
    for index in &options.drop {
        connection
            .execute_batch(&format!("DROP INDEX {index}"))
            .unwrap_or_else(|e| panic!("--drop {index}: {e}"));
    }
    let (users, accounts) = wallets(&mut connection, options.wallets);

    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let started = Instant::now();
    let mut transfers = 0_usize;
    let mut committing = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(options.seconds) {
        let tx = connection.transaction().expect("begin");
        for _ in 0..options.group {
            let from = next(&mut state) % users.len();
            let to = (from + 1 + next(&mut state) % (users.len() - 1)) % users.len();
            transfer(&tx, (users[from], accounts[from]), (users[to], accounts[to]));
        }
        let commit = Instant::now();
        tx.commit().expect("commit");
        committing += commit.elapsed();
        transfers += options.group;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let dropped = if options.drop.is_empty() {
        String::new()
    } else {
        format!(" without {}", options.drop.join(", "))
    };
    println!(
        "sqlite rows{dropped}: groups of {}, {} wallets: {transfers} transfers in {elapsed:.2} s = {:.0} transfers/s; \
         {:.0} % of the time in commits",
        options.group,
        options.wallets,
        transfers as f64 / elapsed,
        committing.as_secs_f64() / elapsed * 100.0
    );
}

/// Applies the server's own SQLite migrations, in order.
fn migrate(connection: &Connection) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("migrations folder")
        .map(|entry| entry.expect("migration").path())
        .collect();
    files.sort();
    for file in files {
        let sql = std::fs::read_to_string(&file).expect("migration reads");
        connection
            .execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}

/// `count` users, each with a funded USD wallet.
fn wallets(connection: &mut Connection, count: usize) -> (Vec<Uuid>, Vec<Uuid>) {
    let tx = connection.transaction().expect("begin");
    let now = "2026-01-01T00:00:00+00:00";
    let (mut users, mut accounts) = (Vec::new(), Vec::new());
    for _ in 0..count {
        let (user, account) = (Uuid::now_v7(), Uuid::now_v7());
        tx.execute(
            "INSERT INTO users (id, email, full_name, role, status, tier, created_at, updated_at) \
             VALUES (?, ?, 'Bench', 'CUSTOMER', 'ACTIVE', 'BASIC', ?, ?)",
            params![user, format!("{user}@example.com"), now, now],
        )
        .expect("user");
        tx.execute(
            "INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, credits_posted, created_at) \
             VALUES (?, ?, 'USD', 'wallet', 1, '100000000000', ?)",
            params![account, user, now],
        )
        .expect("wallet");
        users.push(user);
        accounts.push(account);
    }
    tx.commit().expect("commit");
    (users, accounts)
}

/// The rows of one transfer of 0.01 USD between two wallets.
fn transfer(connection: &Connection, (from_user, from): (Uuid, Uuid), (to_user, to): (Uuid, Uuid)) {
    let id = Uuid::now_v7();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let mut seen = connection
        .prepare_cached("SELECT 1 FROM ledger_transfers WHERE id = ?")
        .expect("prepare");
    assert!(!seen.exists([id]).expect("id check"));
    let mut read = connection
        .prepare_cached(
            "SELECT debits_posted, credits_posted FROM ledger_accounts \
             WHERE owner_id = ? AND asset = 'USD' AND purpose = 'wallet'",
        )
        .expect("prepare");
    let mut update = connection
        .prepare_cached("UPDATE ledger_accounts SET debits_posted = ?, credits_posted = ? WHERE id = ?")
        .expect("prepare");
    let mut balances = Vec::new();
    for (user, account, debit) in [(from_user, from, 1_u128), (to_user, to, 0)] {
        let (debits, credits): (String, String) =
            read.query_row([user], |r| Ok((r.get(0)?, r.get(1)?))).expect("wallet");
        let debits = debits.parse::<u128>().expect("amount") + debit;
        let credits = credits.parse::<u128>().expect("amount") + (1 - debit);
        update
            .execute(params![debits.to_string(), credits.to_string(), account])
            .expect("totals");
        balances.push(credits as i128 - debits as i128);
    }
    connection
        .prepare_cached(
            "INSERT INTO ledger_transfers (id, debit_account, credit_account, asset, amount, kind, action, \
             pending_id, expires_at, reference, metadata, at, debit_balance_after, credit_balance_after) \
             VALUES (?, ?, ?, 'USD', '1', 'transfer', 'post', NULL, NULL, NULL, '{}', ?, ?, ?)",
        )
        .expect("prepare")
        .execute(params![
            id,
            from,
            to,
            now,
            balances[0].to_string(),
            balances[1].to_string()
        ])
        .expect("journal");
    let mut event = connection
        .prepare_cached("INSERT INTO outbox (subject, payload, created_at) VALUES ('wallet.balance_changed', ?, ?)")
        .expect("prepare");
    for (user, account, balance) in [(from_user, from, balances[0]), (to_user, to, balances[1])] {
        let payload = json!({
            "user_id": user, "account_id": account, "asset": "USD", "available": balance.to_string(),
            "locked": "0", "total": balance.to_string(), "transfers": [id],
        });
        event.execute(params![payload.to_string(), now]).expect("event");
    }
    let details = json!({ "transfers": [{
        "id": id, "debit": from, "credit": to, "asset": "USD", "amount": "0.01", "kind": "transfer",
        "reference": null,
    }]});
    connection
        .prepare_cached(
            "INSERT INTO audit_log (at, actor_id, action, target, ip, request_id, outcome, details) \
             VALUES (?, ?, 'wallet.transfer', ?, NULL, NULL, 'success', ?)",
        )
        .expect("prepare")
        .execute(params![now, from_user, id.to_string(), details.to_string()])
        .expect("audit");
}

/// xorshift64*: a fast, reproducible choice of wallets.
fn next(state: &mut u64) -> usize {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 1) as usize
}
