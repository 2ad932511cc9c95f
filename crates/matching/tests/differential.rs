//! Engine against the reference model on random and adversarial command streams.

mod common;

use common::{Action, action, differential, new_order, side};
use matching::{NewOrder, OrderId, OrderKind, Price, Qty, StpMode, TimeInForce, TraderId};
use proptest::prelude::*;

/// Stops clustered on a few trigger prices with market orders moving the price through them.
fn cascade_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (1u64..=40, 1u64..=3, side(), 98u64..=102, 97u64..=103, 1u64..=5).prop_map(|(id, account, side, trigger, price, qty)| {
            let stop_limit = price % 2 == 0;
            let (id, account, qty, trigger, price) = (OrderId(id), TraderId(account), Qty(qty), Price(trigger), Price(price));
            Action::Place(NewOrder {
                id, account, side, qty, tif: TimeInForce::Gtc, post_only: false, stp: StpMode::None,
                kind: if stop_limit { OrderKind::StopLimit { trigger, price } }
                      else { OrderKind::StopMarket { trigger, protection: None, quote_budget: None } },
            })
        }),
        4 => (1u64..=40, 1u64..=3, side(), 96u64..=104, 1u64..=5).prop_map(|(id, account, side, price, qty)| {
            let (id, account, qty, price) = (OrderId(id), TraderId(account), Qty(qty), Price(price));
            Action::Place(NewOrder {
                id, account, side, qty, tif: TimeInForce::Gtc, post_only: false, stp: StpMode::None,
                kind: OrderKind::Limit { price },
            })
        }),
        1 => new_order().prop_map(Action::Place),
        2 => action(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]

    #[test]
    fn engine_matches_reference_on_random_streams(actions in prop::collection::vec(action(), 1..100)) {
        differential(&actions).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn engine_matches_reference_on_stop_cascades(actions in prop::collection::vec(cascade_action(), 1..100)) {
        differential(&actions).map_err(TestCaseError::fail)?;
    }
}

/// The generators are only useful if they reach every rule; count what a fixed sample produces.
#[test]
fn generated_streams_exercise_every_rule() {
    use common::{reference::RefBook, resolve};
    use matching::{CancelReason, Event, OrderKind, TimeInForce};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for strategy in [
        prop::collection::vec(action(), 100).boxed(),
        prop::collection::vec(cascade_action(), 100).boxed(),
    ] {
        for _ in 0..100 {
            let actions = strategy.new_tree(&mut runner).unwrap().current();
            let mut r = RefBook::new();
            for (i, a) in actions.iter().enumerate() {
                let cmd = resolve(a, &r, i as u64 + 1);
                let events = r.process(&cmd);
                let fok = matches!(&cmd.op, matching::Op::Place(o) if o.tif == TimeInForce::Fok);
                let budget = matches!(&cmd.op, matching::Op::Place(o) if matches!(o.kind, OrderKind::Market { quote_budget: Some(_), .. }));
                let triggers = events.iter().filter(|e| matches!(e, Event::Triggered { .. })).count();
                for e in &events {
                    let name = match e {
                        Event::Trade { .. } if fok => "fok fill",
                        Event::Trade { .. } if budget => "budget fill",
                        Event::Trade { .. } => "trade",
                        Event::Expired { .. } if fok => "fok expiry",
                        Event::Expired { .. } => "expiry",
                        Event::Cancelled {
                            reason: CancelReason::SelfTrade,
                            remaining: Qty(0),
                            ..
                        } => "stp cancel",
                        Event::Cancelled {
                            reason: CancelReason::SelfTrade,
                            ..
                        } => "stp decrement",
                        Event::Cancelled { .. } => "cancel",
                        Event::Amended {
                            kept_priority: true, ..
                        } => "amend keep",
                        Event::Amended { .. } => "amend lose",
                        Event::Triggered { .. } if triggers > 1 => "cascade",
                        Event::Triggered { .. } => "trigger",
                        Event::Rejected { .. } => "reject",
                        Event::Accepted { .. } => "accept",
                    };
                    *seen.entry(name).or_default() += 1;
                }
            }
        }
    }
    for rule in [
        "trade",
        "fok fill",
        "budget fill",
        "expiry",
        "fok expiry",
        "stp cancel",
        "stp decrement",
        "cancel",
        "amend keep",
        "amend lose",
        "trigger",
        "cascade",
        "reject",
    ] {
        assert!(
            seen.get(rule).copied().unwrap_or(0) >= 5,
            "{rule} rarely generated: {seen:?}"
        );
    }
}
