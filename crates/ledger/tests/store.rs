//! The ledger against a real database (SQLite, or PostgreSQL when `BOURSE_TEST_DATABASE_URL` is set): movements
//! round-trip exactly, refusals write nothing, holds keep their state, and the audit catches a tampered total.

use chrono::Utc;
use ledger::books::{Action, Applied, Discrepancy, TransferId, TransferKind, TransferRequest};
use ledger::{Ledger, LedgerError, Movement, Purpose, largest_amount};
use money::{AssetCode, Precision};
use platform::test_support::MigratedDb;
use platform::{Backend, Db, SystemClock, on_db};
use std::sync::Arc;
use uuid::Uuid;

struct Fixture {
    db: Db,
    ledger: Ledger,
    _store: MigratedDb,
}

async fn fixture() -> Fixture {
    let store = MigratedDb::fresh().await;
    let ledger = Ledger::new(store.db.clone(), Arc::new(SystemClock));
    Fixture {
        db: store.db.clone(),
        ledger,
        _store: store,
    }
}

/// A user row, as identity would write it; the ledger only needs the id to exist.
async fn user(db: &Db) -> Uuid {
    let id = Uuid::now_v7();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO users (id, email, full_name, role, status, tier, created_at, updated_at) \
         VALUES ($1, $2, 'Test', 'CUSTOMER', 'ACTIVE', 'BASIC', $3, $3)"
    ).bind(id).bind(format!("{id}@example.com")).bind(Utc::now()).execute(pool).await.map(|_| ()))
    .unwrap();
    id
}

async fn execute(db: &Db, sql: &'static str) {
    on_db!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ())).unwrap();
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
}

fn code(text: &str) -> AssetCode {
    AssetCode::parse(text).unwrap()
}

const MOVE: Movement<'static> = Movement {
    actor: None,
    action: "ledger.test",
    context: &platform::RequestContext::SYSTEM,
};

#[tokio::test]
async fn deposits_and_transfers_round_trip_exactly_and_audit_clean() {
    let f = fixture().await;
    let (alice, bob) = (user(&f.db).await, user(&f.db).await);
    let eth = code("ETH");
    let huge = largest_amount(Precision::new(18).unwrap());
    f.ledger
        .deposit(
            TransferId(Uuid::now_v7()),
            alice,
            &eth,
            huge,
            Some("wire 1".into()),
            MOVE,
        )
        .await
        .unwrap();
    f.ledger
        .transfer(TransferId(Uuid::now_v7()), alice, bob, &eth, 1, Some("hi".into()), MOVE)
        .await
        .unwrap();
    let balances = f.ledger.balances(alice).await.unwrap();
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0].total.minor(), i128::try_from(huge - 1).unwrap());
    assert_eq!(balances[0].available.to_string(), "999999999999999.999999999999999999");
    let bob_balances = f.ledger.balances(bob).await.unwrap();
    assert_eq!(bob_balances[0].available.to_string(), "0.000000000000000001");
    let report = f.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.discrepancies);
    assert_eq!((report.accounts, report.transfers), (3, 2));
    assert_eq!(
        count(
            &f.db,
            "SELECT COUNT(*) FROM outbox WHERE subject = 'wallet.balance_changed'"
        )
        .await,
        3
    );
    assert_eq!(
        count(&f.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.test'").await,
        2
    );
}

#[tokio::test]
async fn a_refused_transfer_writes_nothing() {
    let f = fixture().await;
    let (alice, bob) = (user(&f.db).await, user(&f.db).await);
    let usd = code("USD");
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd, 500, None, MOVE)
        .await
        .unwrap();
    let before = count(&f.db, "SELECT COUNT(*) FROM ledger_accounts").await;
    let refused = f
        .ledger
        .transfer(TransferId(Uuid::now_v7()), alice, bob, &usd, 501, None, MOVE)
        .await;
    assert!(matches!(refused, Err(LedgerError::InsufficientFunds)), "{refused:?}");
    assert!(matches!(
        f.ledger
            .transfer(TransferId(Uuid::now_v7()), alice, alice, &usd, 1, None, MOVE)
            .await,
        Err(LedgerError::Invalid { field: "to", .. })
    ));
    assert!(matches!(
        f.ledger
            .transfer(TransferId(Uuid::now_v7()), alice, bob, &code("ZZZ"), 1, None, MOVE)
            .await,
        Err(LedgerError::UnknownAsset(_))
    ));
    execute(&f.db, "UPDATE assets SET enabled = FALSE WHERE code = 'EUR'").await;
    assert!(matches!(
        f.ledger
            .deposit(TransferId(Uuid::now_v7()), alice, &code("EUR"), 1, None, MOVE)
            .await,
        Err(LedgerError::AssetDisabled(_))
    ));
    assert_eq!(count(&f.db, "SELECT COUNT(*) FROM ledger_accounts").await, before);
    assert_eq!(count(&f.db, "SELECT COUNT(*) FROM ledger_transfers").await, 1);
    assert!(f.ledger.balances(bob).await.unwrap().is_empty());
}

#[tokio::test]
async fn holds_keep_their_state_and_a_retried_id_applies_once() {
    let f = fixture().await;
    let alice = user(&f.db).await;
    let usd = code("USD");
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd, 1_000, None, MOVE)
        .await
        .unwrap();
    let wallet = f.ledger.wallet(alice, &usd).await.unwrap().account.id;
    let fees = f.ledger.system_account(&usd, Purpose::Fees).await.unwrap().account.id;
    let hold_id = TransferId(Uuid::now_v7());
    let leg = |id: TransferId, amount: u128, action: Action| TransferRequest {
        id,
        debit: wallet,
        credit: fees,
        asset: usd,
        amount,
        kind: TransferKind::Fee,
        action,
        reference: None,
        metadata: serde_json::json!({"n": 1}),
    };
    let hold = leg(hold_id, 300, Action::Hold { expires_at: None });
    f.ledger.apply(std::slice::from_ref(&hold), MOVE).await.unwrap();
    let again = f.ledger.apply(std::slice::from_ref(&hold), MOVE).await.unwrap();
    assert!(matches!(again[0], Applied::Existing(_)));
    let balance = &f.ledger.balances(alice).await.unwrap()[0];
    assert_eq!((balance.available.minor(), balance.locked.minor()), (700, 300));
    let post = leg(
        TransferId(Uuid::now_v7()),
        200,
        Action::PostPending { pending: hold_id },
    );
    f.ledger.apply(&[post], MOVE).await.unwrap();
    let void = leg(TransferId(Uuid::now_v7()), 0, Action::VoidPending { pending: hold_id });
    assert!(matches!(
        f.ledger.apply(&[void], MOVE).await,
        Err(LedgerError::Conflict(_))
    ));
    let balance = &f.ledger.balances(alice).await.unwrap()[0];
    assert_eq!((balance.available.minor(), balance.locked.minor()), (800, 0));
    let report = f.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.discrepancies);
    assert_eq!(report.holds, 1);
}

#[tokio::test]
async fn the_audit_reports_a_tampered_total() {
    let f = fixture().await;
    let (alice, bob) = (user(&f.db).await, user(&f.db).await);
    let usd = code("USD");
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd, 5_000, None, MOVE)
        .await
        .unwrap();
    f.ledger
        .transfer(TransferId(Uuid::now_v7()), alice, bob, &usd, 2_000, None, MOVE)
        .await
        .unwrap();
    assert!(f.ledger.audit().await.unwrap().is_clean());
    execute(
        &f.db,
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE purpose = 'wallet' \
         AND credits_posted = 2000",
    )
    .await;
    let report = f.ledger.audit().await.unwrap();
    let bob_wallet = f.ledger.wallet(bob, &usd).await.unwrap().account.id;
    assert!(
        report
            .discrepancies
            .contains(&Discrepancy::Drift { account: bob_wallet }),
        "{report:?}"
    );
    assert!(report.discrepancies.contains(&Discrepancy::Unbalanced {
        asset: usd,
        pending: false
    }));
    assert!(!report.assets[0].balanced);
}

#[tokio::test]
async fn a_stored_amount_that_is_not_a_number_is_corrupt() {
    let f = fixture().await;
    if f.db.backend() != Backend::Sqlite {
        return; // NUMERIC(39,0) cannot hold anything but a number.
    }
    let alice = user(&f.db).await;
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &code("USD"), 10, None, MOVE)
        .await
        .unwrap();
    execute(
        &f.db,
        "UPDATE ledger_accounts SET debits_posted = '1.5' WHERE owner_id IS NOT NULL",
    )
    .await;
    assert!(matches!(f.ledger.balances(alice).await, Err(LedgerError::Corrupt(_))));
    assert!(matches!(f.ledger.audit().await, Err(LedgerError::Corrupt(_))));
}

/// Many callers at once: their batches are applied together (group commit), yet each keeps its own result, a
/// refused one leaves no trace (not even the recipient's new wallet), a transfer id sent twice applies once, and
/// every applied batch writes its own events and audit record.
#[tokio::test]
async fn concurrent_batches_keep_their_own_results_when_applied_together() {
    let f = fixture().await;
    let alice = user(&f.db).await;
    let usd = code("USD");
    f.ledger
        .deposit(TransferId(Uuid::now_v7()), alice, &usd, 10, None, MOVE)
        .await
        .unwrap();
    let mut recipients = Vec::new();
    for _ in 0..40 {
        recipients.push(user(&f.db).await);
    }
    let wallet = f.ledger.wallet(alice, &usd).await.unwrap().account.id;
    let fees = f.ledger.system_account(&usd, Purpose::Fees).await.unwrap().account.id;
    let accounts_before = count(&f.db, "SELECT COUNT(*) FROM ledger_accounts").await;
    let audit_before = count(&f.db, "SELECT COUNT(*) FROM audit_log").await;
    let events_before = count(
        &f.db,
        "SELECT COUNT(*) FROM outbox WHERE subject = 'wallet.balance_changed'",
    )
    .await;
    let repeated = TransferRequest {
        id: TransferId(Uuid::now_v7()),
        debit: wallet,
        credit: fees,
        asset: usd,
        amount: 1,
        kind: TransferKind::Fee,
        action: Action::Post,
        reference: None,
        metadata: serde_json::json!({}),
    };
    let mut sends = Vec::new();
    for to in &recipients {
        let (ledger, to) = (f.ledger.clone(), *to);
        sends.push(tokio::spawn(async move {
            ledger
                .transfer(TransferId(Uuid::now_v7()), alice, to, &usd, 1, None, MOVE)
                .await
        }));
    }
    let mut repeats = Vec::new();
    for _ in 0..20 {
        let (ledger, request) = (f.ledger.clone(), repeated.clone());
        repeats.push(tokio::spawn(async move { ledger.apply(&[request], MOVE).await }));
    }
    let mut sent = 0;
    for send in sends {
        match send.await.unwrap() {
            Ok(_) => sent += 1,
            Err(LedgerError::InsufficientFunds) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    let mut new = 0;
    for repeat in repeats {
        let applied = repeat.await.unwrap();
        match applied {
            Ok(applied) => {
                assert_eq!(applied[0].transfer().request, repeated);
                if matches!(applied[0], Applied::New(_)) {
                    new += 1;
                }
            }
            // The repeated fee raced the transfers for the last unit.
            Err(LedgerError::InsufficientFunds) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(new <= 1, "the same transfer id applied {new} times");
    assert_eq!(sent + new, 10, "exactly the balance moved");
    assert_eq!(f.ledger.balances(alice).await.unwrap()[0].total.minor(), 0);
    // Only the recipients that were paid got a wallet.
    assert_eq!(
        count(&f.db, "SELECT COUNT(*) FROM ledger_accounts").await,
        accounts_before + i64::from(sent)
    );
    assert_eq!(
        count(&f.db, "SELECT COUNT(*) FROM audit_log").await,
        audit_before + i64::from(sent + new)
    );
    // A transfer changes two wallets; the fee changes one.
    assert_eq!(
        count(
            &f.db,
            "SELECT COUNT(*) FROM outbox WHERE subject = 'wallet.balance_changed'"
        )
        .await,
        events_before + i64::from(2 * sent + new)
    );
    let report = f.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.discrepancies);
}
