//! Same commands, same bytes out: twice in a row, and across snapshot/restore at any point.

mod common;

use common::{Action, action, reference::RefBook, resolve};
use matching::{Command, Event, OrderBook, OrderId, Price, Qty, SNAPSHOT_VERSION, Snapshot, SnapshotError, TraderId};
use proptest::prelude::*;

/// Commands resolved once against the reference, so every replay sees the same stream.
fn commands(actions: &[Action]) -> Vec<Command> {
    let mut r = RefBook::new();
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let cmd = resolve(a, &r, i as u64 + 1);
            r.process(&cmd);
            cmd
        })
        .collect()
}

fn run(book: &mut OrderBook, cmds: &[Command]) -> Vec<Event> {
    let mut out = Vec::new();
    for c in cmds {
        book.process(c, &mut out);
    }
    out
}

fn bytes(events: &[Event]) -> String {
    serde_json::to_string(events).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn same_stream_gives_identical_bytes(actions in prop::collection::vec(action(), 1..150)) {
        let cmds = commands(&actions);
        let a = run(&mut OrderBook::new(), &cmds);
        let b = run(&mut OrderBook::with_capacity(1), &cmds);
        prop_assert_eq!(bytes(&a), bytes(&b));
    }

    #[test]
    fn restore_then_replay_equals_replay_of_all(
        actions in prop::collection::vec(action(), 1..150),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let cmds = commands(&actions);
        let mut whole = OrderBook::new();
        let all = run(&mut whole, &cmds);

        // Snapshot at several random points, each time through JSON, and continue.
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(cmds.len() + 1)).collect();
        points.sort_unstable();
        let mut book = OrderBook::new();
        let mut events = Vec::new();
        let mut done = 0;
        for p in points {
            events.extend(run(&mut book, &cmds[done..p]));
            done = p;
            let json = serde_json::to_string(&book.snapshot()).unwrap();
            let snap: Snapshot = serde_json::from_str(&json).unwrap();
            book = OrderBook::restore(&snap).unwrap();
            prop_assert_eq!(book.snapshot(), snap);
        }
        events.extend(run(&mut book, &cmds[done..]));
        prop_assert_eq!(bytes(&events), bytes(&all));
        prop_assert_eq!(book.snapshot(), whole.snapshot());
    }
}

#[test]
fn snapshot_of_another_version_is_refused() {
    let mut snap = OrderBook::new().snapshot();
    snap.version = SNAPSHOT_VERSION + 1;
    assert_eq!(
        OrderBook::restore(&snap).unwrap_err(),
        SnapshotError::UnsupportedVersion(SNAPSHOT_VERSION + 1)
    );
}

#[test]
fn inconsistent_snapshots_are_refused() {
    let mut book = OrderBook::new();
    let mut out = Vec::new();
    for (seq, (id, side, price)) in [(1, matching::Side::Buy, 100), (2, matching::Side::Sell, 101)]
        .into_iter()
        .enumerate()
    {
        let o = matching::NewOrder {
            id: OrderId(id),
            account: TraderId(1),
            side,
            kind: matching::OrderKind::Limit { price: Price(price) },
            qty: Qty(1),
            tif: matching::TimeInForce::Gtc,
            post_only: false,
            stp: matching::StpMode::None,
        };
        book.process(
            &Command {
                seq: seq as u64,
                ts: 0,
                op: matching::Op::Place(o),
            },
            &mut out,
        );
    }
    let good = book.snapshot();
    assert!(OrderBook::restore(&good).is_ok());

    let mut crossed = good.clone();
    crossed.book.asks[0].price = Price(100);
    assert_eq!(OrderBook::restore(&crossed).unwrap_err(), SnapshotError::Crossed);

    let mut dup = good.clone();
    dup.book.asks[0].orders[0].id = OrderId(1);
    assert_eq!(
        OrderBook::restore(&dup).unwrap_err(),
        SnapshotError::DuplicateOrder(OrderId(1))
    );

    let mut empty = good;
    empty.book.bids[0].orders[0].remaining = Qty(0);
    assert_eq!(
        OrderBook::restore(&empty).unwrap_err(),
        SnapshotError::EmptyOrder(OrderId(1))
    );
}

#[test]
fn snapshot_with_an_invalid_stop_is_refused() {
    let mut book = OrderBook::new();
    let stop = matching::NewOrder {
        id: OrderId(7),
        account: TraderId(1),
        side: matching::Side::Buy,
        kind: matching::OrderKind::StopLimit {
            trigger: Price(10),
            price: Price(11),
        },
        qty: Qty(3),
        tif: matching::TimeInForce::Gtc,
        post_only: false,
        stp: matching::StpMode::None,
    };
    book.process(
        &Command {
            seq: 1,
            ts: 0,
            op: matching::Op::Place(stop),
        },
        &mut Vec::new(),
    );
    let good = book.snapshot();
    assert!(OrderBook::restore(&good).is_ok());
    let mut bad = good.clone();
    bad.book.stops[0].order.qty = Qty(0);
    assert_eq!(
        OrderBook::restore(&bad).unwrap_err(),
        SnapshotError::BadStop(OrderId(7))
    );
    let mut bad = good;
    bad.book.stops[0].arrival = bad.next_arrival;
    assert_eq!(
        OrderBook::restore(&bad).unwrap_err(),
        SnapshotError::BadStop(OrderId(7))
    );
}
