//! Transfers per second through the ledger's store, and each call's latency, for single transfers sent by many
//! concurrent tasks, on SQLite (a file in a temporary directory, WAL, `synchronous = FULL`) or PostgreSQL.
//!
//! ```text
//! cargo bench -p ledger --bench transfers -- [--postgres URL] [--tasks N] [--wallets N] [--seconds S]
//! ```
//!
//! Every call is `Ledger::transfer` from one random wallet to another, exactly as the transfer route makes it:
//! the wallets are resolved, the books checked, the transfer journaled with running balances, both balance events
//! and the audit record written, and the answer given only after the commit. The run ends with the ledger audit,
//! which must be clean.

use chrono::Utc;
use ledger::books::TransferId;
use ledger::{Ledger, Movement};
use money::AssetCode;
use platform::config::StorageConfig;
use platform::test_support::TestDatabase;
use platform::{Db, SystemClock, on_db};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const MOVE: Movement<'static> = Movement {
    actor: None,
    action: "ledger.bench",
    context: &platform::RequestContext::SYSTEM,
};

struct Options {
    postgres: Option<String>,
    tasks: usize,
    wallets: usize,
    seconds: u64,
}

fn options() -> Options {
    let mut options = Options {
        postgres: None,
        tasks: 512,
        wallets: 10_000,
        seconds: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--postgres" => options.postgres = Some(value()),
            "--tasks" => options.tasks = value().parse().expect("--tasks is a number"),
            "--wallets" => options.wallets = value().parse().expect("--wallets is a number"),
            "--seconds" => options.seconds = value().parse().expect("--seconds is a number"),
            // What cargo passes to every bench target.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pg = match &options.postgres {
        Some(url) => Some(TestDatabase::create(url).await),
        None => None,
    };
    let mut config = StorageConfig {
        data_dir: dir.path().to_owned(),
        ..StorageConfig::default()
    };
    if let Some(pg) = &pg {
        pg.configure(&mut config);
    }
    let db = platform::db::connect(&config).await.expect("database opens");
    db.migrate().await.expect("migrations apply");
    let ledger = Ledger::new(db.clone(), Arc::new(SystemClock));
    let usd = AssetCode::parse("USD").expect("USD");

    let users = users(&db, options.wallets).await;
    fund(&ledger, &users, usd).await;

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..options.tasks {
        let (ledger, users, stop) = (ledger.clone(), users.clone(), stop.clone());
        handles.push(tokio::spawn(async move {
            let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (task as u64 + 1);
            let mut latencies = Vec::new();
            let mut failed = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                let from = users[next(&mut state) % users.len()];
                let mut to = users[next(&mut state) % users.len()];
                if to == from {
                    to = users[(next(&mut state) + 1) % users.len()];
                    if to == from {
                        continue;
                    }
                }
                let began = Instant::now();
                match ledger
                    .transfer(TransferId(Uuid::now_v7()), from, to, &usd, 1, None, MOVE)
                    .await
                {
                    Ok(_) => latencies.push(began.elapsed().as_micros() as u32),
                    Err(_) => failed += 1,
                }
            }
            (latencies, failed)
        }));
    }
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failed = 0;
    for handle in handles {
        let (mut l, f) = handle.await.expect("task");
        latencies.append(&mut l);
        failed += f;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(index).copied().unwrap_or(0) as f64 / 1000.0
    };
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    println!(
        "{backend}: {} tasks, {} wallets: {} transfers in {:.2} s = {:.0} transfers/s; latency p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms; {failed} failed",
        options.tasks,
        options.wallets,
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
        percentile(1.0),
    );
    let report = ledger.audit().await.expect("audit runs");
    println!(
        "audit: {} accounts, {} transfers, {}",
        report.accounts,
        report.transfers,
        if report.is_clean() { "clean" } else { "DISCREPANCIES" }
    );
    db.close().await;
}

/// `count` user rows, as identity would write them; the ledger only needs their ids to exist.
async fn users(db: &Db, count: usize) -> Arc<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(count);
    let now = Utc::now();
    for _ in 0..count {
        let id = Uuid::now_v7();
        on_db!(db, pool => sqlx::query(
            "INSERT INTO users (id, email, full_name, role, status, tier, created_at, updated_at) \
             VALUES ($1, $2, 'Bench', 'CUSTOMER', 'ACTIVE', 'BASIC', $3, $3)"
        ).bind(id).bind(format!("{id}@example.com")).bind(now).execute(pool).await.map(|_| ()))
        .expect("user row");
        ids.push(id);
    }
    Arc::new(ids)
}

/// Gives every wallet more than it can send during the run, so no transfer is refused for want of funds.
async fn fund(ledger: &Ledger, users: &Arc<Vec<Uuid>>, usd: AssetCode) {
    let mut handles = Vec::new();
    for chunk in users.chunks(users.len().div_ceil(64).max(1)) {
        let (ledger, chunk) = (ledger.clone(), chunk.to_vec());
        handles.push(tokio::spawn(async move {
            for user in chunk {
                ledger
                    .deposit(TransferId(Uuid::now_v7()), user, &usd, 100_000_000, None, MOVE)
                    .await
                    .expect("funding deposit");
            }
        }));
    }
    for handle in handles {
        handle.await.expect("funding task");
    }
}

/// xorshift64*: a fast, reproducible choice of wallets per task.
fn next(state: &mut u64) -> usize {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 1) as usize
}
