//! Unit tests named after the rules, and a property test that drives random batches through the core.

use super::*;
use chrono::{DateTime, Duration, Utc};
use money::AssetCode;
use proptest::prelude::*;
use uuid::Uuid;

fn usd() -> AssetCode {
    AssetCode::parse("USD").unwrap()
}

fn t0() -> DateTime<Utc> {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

fn account(n: u128, no_overdraft: bool) -> Account {
    Account::new(AccountId(Uuid::from_u128(n)), usd(), no_overdraft)
}

/// System account 1 (may go negative) and wallets 2 and 3.
fn books() -> Books {
    let mut books = Books::new();
    books.insert_account(account(1, false));
    books.insert_account(account(2, true));
    books.insert_account(account(3, true));
    books
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn request(tid: u128, debit: u128, credit: u128, amount: u128, action: Action) -> TransferRequest {
    TransferRequest {
        id: TransferId(Uuid::from_u128(1000 + tid)),
        debit: id(debit),
        credit: id(credit),
        asset: usd(),
        amount,
        kind: TransferKind::Transfer,
        action,
        reference: None,
        metadata: serde_json::Value::Null,
    }
}

fn tid(n: u128) -> TransferId {
    TransferId(Uuid::from_u128(1000 + n))
}

fn balance(books: &Books, n: u128) -> (i128, u128) {
    let a = books.account(id(n)).unwrap();
    (a.available().unwrap(), a.locked())
}

#[test]
fn a_posted_transfer_moves_money_between_two_accounts() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 500, Action::Post)], t0()).unwrap();
    assert_eq!(balance(&b, 2), (500, 0));
    assert_eq!(b.account(id(1)).unwrap().balance(), Some(-500));
    assert!(b.check_invariants().is_empty());
}

#[test]
fn a_wallet_never_goes_negative() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    let refused = b.apply(&[request(2, 2, 3, 101, Action::Post)], t0());
    assert_eq!(refused, Err((0, Rejection::InsufficientFunds(id(2)))));
    assert_eq!(balance(&b, 2), (100, 0));
}

#[test]
fn a_batch_applies_all_legs_or_none() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    let before = b.clone();
    let batch = [request(2, 2, 3, 60, Action::Post), request(3, 2, 1, 60, Action::Post)];
    assert_eq!(b.apply(&batch, t0()), Err((1, Rejection::InsufficientFunds(id(2)))));
    assert_eq!(b, before);
}

#[test]
fn the_same_transfer_id_applies_once() {
    let mut b = books();
    let first = b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    let again = b
        .apply(&[request(1, 1, 2, 100, Action::Post)], t0() + Duration::seconds(5))
        .unwrap();
    assert_eq!(again, vec![Applied::Existing(first[0].transfer().clone())]);
    assert_eq!(balance(&b, 2), (100, 0));
    let different = b.apply(&[request(1, 1, 2, 999, Action::Post)], t0());
    assert_eq!(different, Err((0, Rejection::IdReused(tid(1)))));
}

#[test]
fn a_hold_locks_funds_until_posted_in_part_and_the_rest_is_released() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    b.apply(&[request(2, 2, 3, 80, Action::Hold { expires_at: None })], t0())
        .unwrap();
    assert_eq!(balance(&b, 2), (20, 80));
    assert_eq!(
        b.apply(&[request(3, 2, 3, 21, Action::Post)], t0()),
        Err((0, Rejection::InsufficientFunds(id(2))))
    );
    b.apply(&[request(4, 2, 3, 50, Action::PostPending { pending: tid(2) })], t0())
        .unwrap();
    assert_eq!(balance(&b, 2), (50, 0));
    assert_eq!(balance(&b, 3), (50, 0));
    assert_eq!(b.pending_state(tid(2)), Some(PendingState::Posted));
    assert!(b.check_invariants().is_empty());
}

#[test]
fn a_hold_settles_exactly_once() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    b.apply(&[request(2, 2, 3, 80, Action::Hold { expires_at: None })], t0())
        .unwrap();
    b.apply(&[request(3, 2, 3, 0, Action::VoidPending { pending: tid(2) })], t0())
        .unwrap();
    assert_eq!(balance(&b, 2), (100, 0));
    let twice = b.apply(&[request(4, 2, 3, 80, Action::PostPending { pending: tid(2) })], t0());
    assert_eq!(
        twice,
        Err((
            0,
            Rejection::PendingNotOpen {
                pending: tid(2),
                state: PendingState::Voided
            }
        ))
    );
}

#[test]
fn posting_more_than_the_hold_or_between_other_accounts_is_refused() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    b.apply(&[request(2, 2, 3, 80, Action::Hold { expires_at: None })], t0())
        .unwrap();
    let over = b.apply(&[request(3, 2, 3, 81, Action::PostPending { pending: tid(2) })], t0());
    assert_eq!(over, Err((0, Rejection::ExceedsPending)));
    let elsewhere = b.apply(&[request(3, 2, 1, 10, Action::PostPending { pending: tid(2) })], t0());
    assert_eq!(elsewhere, Err((0, Rejection::PendingMismatch)));
}

#[test]
fn an_expired_hold_cannot_be_posted_and_is_swept() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    let expires_at = Some(t0() + Duration::seconds(30));
    b.apply(&[request(2, 2, 3, 80, Action::Hold { expires_at })], t0())
        .unwrap();
    let early = b.apply(&[request(3, 2, 3, 0, Action::ExpirePending { pending: tid(2) })], t0());
    assert_eq!(early, Err((0, Rejection::PendingNotExpired(tid(2)))));
    let later = t0() + Duration::seconds(31);
    assert_eq!(b.expired_holds(later).len(), 1);
    let late_post = b.apply(&[request(3, 2, 3, 80, Action::PostPending { pending: tid(2) })], later);
    assert_eq!(late_post, Err((0, Rejection::PendingExpired(tid(2)))));
    b.apply(&[request(4, 2, 3, 0, Action::ExpirePending { pending: tid(2) })], later)
        .unwrap();
    assert_eq!(balance(&b, 2), (100, 0));
    assert_eq!(b.pending_state(tid(2)), Some(PendingState::Expired));
    assert!(b.expired_holds(later).is_empty());
}

#[test]
fn zero_amounts_same_account_unknown_accounts_and_other_assets_are_refused() {
    let mut b = books();
    assert_eq!(
        b.apply(&[request(1, 1, 2, 0, Action::Post)], t0()),
        Err((0, Rejection::ZeroAmount))
    );
    assert_eq!(
        b.apply(&[request(1, 2, 2, 5, Action::Post)], t0()),
        Err((0, Rejection::SameAccount))
    );
    assert_eq!(
        b.apply(&[request(1, 1, 9, 5, Action::Post)], t0()),
        Err((0, Rejection::AccountNotFound(id(9))))
    );
    let mut btc = request(1, 1, 2, 5, Action::Post);
    btc.asset = AssetCode::parse("BTC").unwrap();
    assert_eq!(b.apply(&[btc], t0()), Err((0, Rejection::AssetMismatch)));
    let huge = [
        request(2, 1, 2, i128::MAX as u128, Action::Post),
        request(3, 1, 2, 1, Action::Post),
    ];
    assert_eq!(b.apply(&huge, t0()), Err((1, Rejection::Overflow)));
    let beyond_i128 = request(2, 1, 2, u128::MAX, Action::Post);
    assert_eq!(b.apply(&[beyond_i128], t0()), Err((0, Rejection::Overflow)));
    assert_eq!(b, books());
}

/// One random operation; indexes pick among the accounts and the holds made so far.
#[derive(Debug, Clone)]
enum Op {
    Post {
        debit: u8,
        credit: u8,
        amount: u128,
    },
    Hold {
        debit: u8,
        credit: u8,
        amount: u128,
        ttl: Option<i64>,
    },
    PostHold {
        hold: u8,
        amount: u128,
    },
    VoidHold {
        hold: u8,
    },
    ExpireHold {
        hold: u8,
    },
    Replay {
        back: u8,
    },
    Batch(Vec<(u8, u8, u128)>),
    Wait {
        secs: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let amount = prop_oneof![1u128..1_000, 0u128..5, Just(u128::MAX), Just(i128::MAX as u128)];
    prop_oneof![
        4 => (0u8..5, 0u8..5, amount.clone()).prop_map(|(debit, credit, amount)| Op::Post { debit, credit, amount }),
        3 => (0u8..5, 0u8..5, amount.clone(), proptest::option::of(1i64..60))
            .prop_map(|(debit, credit, amount, ttl)| Op::Hold { debit, credit, amount, ttl }),
        2 => (any::<u8>(), amount.clone()).prop_map(|(hold, amount)| Op::PostHold { hold, amount }),
        1 => any::<u8>().prop_map(|hold| Op::VoidHold { hold }),
        1 => any::<u8>().prop_map(|hold| Op::ExpireHold { hold }),
        1 => any::<u8>().prop_map(|back| Op::Replay { back }),
        2 => proptest::collection::vec((0u8..5, 0u8..5, 1u128..700), 1..4).prop_map(Op::Batch),
        1 => (1i64..40).prop_map(|secs| Op::Wait { secs }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_batches_keep_every_invariant_and_the_journal_rebuilds_the_books(ops in proptest::collection::vec(op(), 1..60)) {
        // Account 0 is the system account that funds the others.
        let mut b = Books::new();
        b.insert_account(account(0, false));
        for n in 1..5 {
            b.insert_account(account(n, true));
        }
        let mut now = t0();
        let mut next = 0u128;
        let mut holds: Vec<TransferId> = Vec::new();
        let mut sent: Vec<TransferRequest> = Vec::new();
        for op in ops {
            let mut fresh = |debit: u8, credit: u8, amount: u128, action: Action| {
                next += 1;
                request(next, u128::from(debit), u128::from(credit), amount, action)
            };
            let batch = match op {
                Op::Post { debit, credit, amount } => vec![fresh(debit, credit, amount, Action::Post)],
                Op::Hold { debit, credit, amount, ttl } => {
                    let expires_at = ttl.map(|s| now + Duration::seconds(s));
                    vec![fresh(debit, credit, amount, Action::Hold { expires_at })]
                }
                Op::PostHold { hold, .. } | Op::VoidHold { hold } | Op::ExpireHold { hold } if !holds.is_empty() => {
                    let pending = holds[usize::from(hold) % holds.len()];
                    let original = b.transfer(pending).map(|t| t.request.clone());
                    let Some(original) = original else { continue };
                    let action = match op {
                        Op::PostHold { .. } => Action::PostPending { pending },
                        Op::VoidHold { .. } => Action::VoidPending { pending },
                        _ => Action::ExpirePending { pending },
                    };
                    let amount = if let Op::PostHold { amount, .. } = op { amount } else { 0 };
                    let mut settle = fresh(0, 0, amount, action);
                    settle.debit = original.debit;
                    settle.credit = original.credit;
                    vec![settle]
                }
                Op::Replay { back } if !sent.is_empty() => vec![sent[sent.len() - 1 - usize::from(back) % sent.len()].clone()],
                Op::Batch(legs) => legs.into_iter().map(|(d, c, a)| fresh(d, c, a, Action::Post)).collect(),
                Op::Wait { secs } => {
                    now += Duration::seconds(secs);
                    continue;
                }
                _ => continue,
            };
            let before = b.clone();
            match b.apply(&batch, now) {
                Ok(applied) => {
                    for (request, outcome) in batch.iter().zip(&applied) {
                        if let (Action::Hold { .. }, Applied::New(_)) = (request.action, outcome) {
                            holds.push(request.id);
                        }
                    }
                    sent.extend(batch);
                }
                Err(_) => prop_assert_eq!(&b, &before, "a refused batch changes nothing"),
            }
            prop_assert!(b.check_invariants().is_empty(), "{:?}", b.check_invariants());
            for hold in &holds {
                prop_assert!(b.pending_state(*hold).is_some(), "every hold has exactly one state");
            }
        }
        let accounts: Vec<Account> = b.accounts().cloned().collect();
        let journal: Vec<Transfer> = b.journal().cloned().collect();
        let rebuilt = Books::replay(&accounts, &journal).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        prop_assert!(b.compare(&rebuilt, b.holds()).is_empty());
    }
}

#[test]
fn the_audit_finds_made_up_money_overdrafts_and_drift_from_the_journal() {
    let mut b = books();
    b.apply(&[request(1, 1, 2, 100, Action::Post)], t0()).unwrap();
    let accounts: Vec<Account> = b.accounts().cloned().collect();
    let journal: Vec<Transfer> = b.journal().cloned().collect();
    let rebuilt = Books::replay(&accounts, &journal).unwrap();
    assert!(b.compare(&rebuilt, b.holds()).is_empty());

    let mut tampered = b.clone();
    let mut wallet = tampered.account(id(3)).unwrap().clone();
    wallet.credits_posted += 7;
    wallet.debits_posted += 9;
    tampered.insert_account(wallet);
    assert_eq!(
        tampered.check_invariants(),
        [
            Discrepancy::Overdrawn { account: id(3) },
            Discrepancy::Unbalanced {
                asset: usd(),
                pending: false
            }
        ]
    );
    assert_eq!(
        tampered.compare(&rebuilt, tampered.holds()),
        [Discrepancy::Drift { account: id(3) }]
    );
}
