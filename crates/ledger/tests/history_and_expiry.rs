//! Running balances written with the journal, a wallet's history read back from them (and replayed for rows
//! stored before they existed), and the hold-expiry sweep, on SQLite or on PostgreSQL when
//! `BOURSE_TEST_DATABASE_URL` is set.

use chrono::{DateTime, Duration, Utc};
use ledger::books::{Action, TransferId, TransferKind, TransferRequest};
use ledger::{Direction, HistoryFilter, Ledger, LedgerError, Movement, Purpose};
use money::AssetCode;
use platform::test_support::MigratedDb;
use platform::{Clock, Db, ManualClock, on_db};
use std::sync::Arc;
use uuid::Uuid;

struct Fixture {
    db: Db,
    ledger: Ledger,
    clock: Arc<ManualClock>,
    _store: MigratedDb,
}

async fn fixture() -> Fixture {
    let store = MigratedDb::fresh().await;
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let ledger = Ledger::new(store.db.clone(), clock.clone());
    Fixture {
        db: store.db.clone(),
        ledger,
        clock,
        _store: store,
    }
}

async fn user(db: &Db) -> Uuid {
    let id = Uuid::now_v7();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO users (id, email, full_name, role, status, tier, created_at, updated_at) \
         VALUES ($1, $2, 'Test', 'CUSTOMER', 'ACTIVE', 'BASIC', $3, $3)"
    ).bind(id).bind(format!("{id}@example.com")).bind(Utc::now()).execute(pool).await.map(|_| ()))
    .unwrap();
    id
}

const MOVE: Movement<'static> = Movement {
    actor: None,
    action: "ledger.test",
    context: &platform::RequestContext::SYSTEM,
};

fn usd() -> AssetCode {
    AssetCode::parse("USD").unwrap()
}

/// A leg from `debit` to `credit` of `amount` cents.
fn leg(
    debit: ledger::books::AccountId,
    credit: ledger::books::AccountId,
    amount: u128,
    action: Action,
) -> TransferRequest {
    TransferRequest {
        id: TransferId(Uuid::now_v7()),
        debit,
        credit,
        asset: usd(),
        amount,
        kind: TransferKind::Withdrawal,
        action,
        reference: None,
        metadata: serde_json::json!({}),
    }
}

/// A user with 10.00 USD in their wallet: `(user, wallet, the external-withdrawals account)`.
async fn funded_wallet(f: &Fixture) -> (Uuid, ledger::books::AccountId, ledger::books::AccountId) {
    let alice = user(&f.db).await;
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd(), 1_000, None, MOVE)
        .await
        .unwrap();
    let wallet = f.ledger.wallet(alice, &usd()).await.unwrap().account.id;
    let out = f
        .ledger
        .system_account(&usd(), Purpose::ExternalWithdrawals)
        .await
        .unwrap()
        .account
        .id;
    (alice, wallet, out)
}

/// `(direction, amount in cents, status, balance after in cents)`, newest first.
async fn history(f: &Fixture, user: Uuid) -> Vec<(Direction, u128, &'static str, i128)> {
    let (entries, more) = f
        .ledger
        .history(user, &usd(), &HistoryFilter::default(), 200)
        .await
        .unwrap();
    assert!(!more);
    entries
        .into_iter()
        .map(|e| (e.direction, e.amount.minor(), e.status, e.balance_after.minor()))
        .collect()
}

#[tokio::test]
async fn one_batch_moving_a_wallet_twice_records_each_legs_balance() {
    let f = fixture().await;
    let (alice, wallet, out) = funded_wallet(&f).await;
    let fees = f.ledger.system_account(&usd(), Purpose::Fees).await.unwrap().account.id;
    let hold = leg(wallet, out, 300, Action::Hold { expires_at: None });
    let batch = [
        leg(wallet, out, 100, Action::Post),
        leg(wallet, fees, 7, Action::Post),
        hold.clone(),
    ];
    f.ledger.apply(&batch, MOVE).await.unwrap();
    assert_eq!(
        history(&f, alice).await,
        [
            (Direction::Debit, 300, "pending", 893),
            (Direction::Debit, 7, "posted", 893),
            (Direction::Debit, 100, "posted", 900),
            (Direction::Credit, 1_000, "posted", 1_000),
        ]
    );
    let post = leg(wallet, out, 250, Action::PostPending { pending: hold.id });
    f.ledger.apply(&[post], MOVE).await.unwrap();
    let after = history(&f, alice).await;
    assert_eq!(after[0], (Direction::Debit, 250, "posted", 643));
    assert_eq!(
        after[1],
        (Direction::Debit, 300, "posted", 893),
        "the hold shows where it ended"
    );
    assert!(f.ledger.audit().await.unwrap().is_clean());
}

#[tokio::test]
async fn rows_stored_without_a_running_balance_are_replayed() {
    let f = fixture().await;
    let alice = user(&f.db).await;
    let source = f
        .ledger
        .system_account(&usd(), Purpose::ExternalDeposits)
        .await
        .unwrap()
        .account
        .id;
    let wallet = f.ledger.wallet(alice, &usd()).await.unwrap().account.id;
    // Two journal rows as written before migration 0011: no running balances.
    for (amount, at) in [("400", "2026-11-25T09:00:00Z"), ("35", "2026-11-25T09:30:00Z")] {
        let at: DateTime<Utc> = at.parse().unwrap();
        on_db!(&f.db, pool => sqlx::query(
            "INSERT INTO ledger_transfers (id, debit_account, credit_account, asset, amount, kind, action, metadata, at) \
             VALUES ($1, $2, $3, 'USD', CAST($4 AS NUMERIC), 'deposit', 'post', '{}', $5)"
        ).bind(Uuid::now_v7()).bind(source.0).bind(wallet.0).bind(amount).bind(at).execute(pool).await.map(|_| ()))
        .unwrap();
    }
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd(), 1_000, None, MOVE)
        .await
        .unwrap();
    let entries = history(&f, alice).await;
    // The new deposit's stored balance follows the account totals (which the raw rows did not change); the old
    // rows get theirs from the journal.
    assert_eq!(
        entries,
        [
            (Direction::Credit, 1_000, "posted", 1_000),
            (Direction::Credit, 35, "posted", 435),
            (Direction::Credit, 400, "posted", 400),
        ]
    );
}

#[tokio::test]
async fn the_sweep_releases_expired_holds_once_and_the_audit_stays_clean() {
    let f = fixture().await;
    let (alice, wallet, out) = funded_wallet(&f).await;
    let bob = user(&f.db).await;
    let now = f.clock.now();
    let soon = leg(
        wallet,
        out,
        200,
        Action::Hold {
            expires_at: Some(now + Duration::seconds(30)),
        },
    );
    let later = leg(
        wallet,
        out,
        300,
        Action::Hold {
            expires_at: Some(now + Duration::seconds(90)),
        },
    );
    let forever = leg(wallet, out, 100, Action::Hold { expires_at: None });
    let voided = leg(
        wallet,
        out,
        50,
        Action::Hold {
            expires_at: Some(now + Duration::seconds(10)),
        },
    );
    f.ledger
        .apply(&[soon.clone(), later.clone(), forever, voided.clone()], MOVE)
        .await
        .unwrap();
    f.ledger
        .apply(&[leg(wallet, out, 0, Action::VoidPending { pending: voided.id })], MOVE)
        .await
        .unwrap();
    let locked = |f: &Fixture| {
        let ledger = f.ledger.clone();
        async move { ledger.balances(alice).await.unwrap()[0].locked.minor() }
    };
    assert_eq!(locked(&f).await, 600);
    assert_eq!(f.ledger.expire_holds(f.clock.now()).await.unwrap(), 0);

    f.clock.advance(Duration::seconds(31));
    assert_eq!(f.ledger.expire_holds(f.clock.now()).await.unwrap(), 1);
    assert_eq!(locked(&f).await, 400);
    assert_eq!(
        f.ledger.expire_holds(f.clock.now()).await.unwrap(),
        0,
        "a hold expires once"
    );
    let early = f
        .ledger
        .expire_holds(f.clock.now() + Duration::seconds(120))
        .await
        .unwrap();
    assert_eq!(early, 0, "the ledger's own clock decides, not the caller's");

    f.clock.advance(Duration::seconds(60));
    let late_post = leg(wallet, out, 300, Action::PostPending { pending: later.id });
    assert!(matches!(
        f.ledger.apply(&[late_post], MOVE).await,
        Err(LedgerError::Conflict(_))
    ));
    assert_eq!(f.ledger.expire_due_holds().await.unwrap(), 1);
    let balance = &f.ledger.balances(alice).await.unwrap()[0];
    assert_eq!((balance.available.minor(), balance.locked.minor()), (900, 100));

    let statuses: Vec<(u128, &str, i128)> = history(&f, alice)
        .await
        .into_iter()
        .map(|(_, a, s, b)| (a, s, b))
        .collect();
    assert_eq!(
        statuses,
        [
            (50, "voided", 1_000),
            (100, "pending", 1_000),
            (300, "expired", 1_000),
            (200, "expired", 1_000),
            (1_000, "posted", 1_000)
        ]
    );
    assert!(history(&f, bob).await.is_empty(), "no wallet: no entries");
    let expired: i64 = on_db!(&f.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_transfers WHERE action = 'expire_pending'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(expired, 2);
    let report = f.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.discrepancies);
    assert_eq!(report.holds, 4);
}

#[tokio::test]
async fn a_large_sweep_runs_in_batches() {
    let f = fixture().await;
    let (alice, wallet, out) = funded_wallet(&f).await;
    let expires_at = Some(f.clock.now() + Duration::seconds(5));
    let holds: Vec<TransferRequest> = (0..230)
        .map(|_| leg(wallet, out, 1, Action::Hold { expires_at }))
        .collect();
    f.ledger.apply(&holds, MOVE).await.unwrap();
    f.clock.advance(Duration::seconds(5));
    assert_eq!(f.ledger.expire_due_holds().await.unwrap(), 230);
    let balance = &f.ledger.balances(alice).await.unwrap()[0];
    assert_eq!((balance.available.minor(), balance.locked.minor()), (1_000, 0));
    assert!(f.ledger.audit().await.unwrap().is_clean());
}

/// Disabling an asset stops money entering accounts in it, but never traps money already held: a hold in it
/// still expires, and is released exactly once.
#[tokio::test]
async fn a_hold_in_an_asset_disabled_since_still_expires() {
    let f = fixture().await;
    let (alice, wallet, out) = funded_wallet(&f).await;
    let expires_at = Some(f.clock.now() + Duration::seconds(30));
    f.ledger
        .apply(&[leg(wallet, out, 400, Action::Hold { expires_at })], MOVE)
        .await
        .unwrap();
    on_db!(&f.db, pool => sqlx::query("UPDATE assets SET enabled = FALSE WHERE code = 'USD'")
        .execute(pool).await.map(|_| ()))
    .unwrap();

    let refused = f.ledger.apply(&[leg(wallet, out, 1, Action::Post)], MOVE).await;
    assert!(matches!(refused, Err(LedgerError::AssetDisabled(_))), "{refused:?}");
    f.clock.advance(Duration::seconds(31));
    assert_eq!(f.ledger.expire_holds(f.clock.now()).await.unwrap(), 1);
    assert_eq!(f.ledger.expire_holds(f.clock.now()).await.unwrap(), 0);
    let balance = &f.ledger.balances(alice).await.unwrap()[0];
    assert_eq!((balance.available.minor(), balance.locked.minor()), (1_000, 0));
    let report = f.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.discrepancies);
}
