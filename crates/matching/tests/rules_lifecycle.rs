//! One test per rule, named after the rule: self-trade prevention, cancel, amend, stops,
//! validation and queries.

mod common;

use common::harness::{Book, limit, market, order, trade};
use matching::{
    CancelReason::{SelfTrade, User},
    Command, Event,
    Event::*,
    NewOrder, Op, OrderId, OrderKind, OrderState, Price, Qty, RejectReason,
    Side::{Buy, Sell},
    StpMode, TraderId,
};

fn self_trade_setup(stp: StpMode, taker_qty: u64) -> (Book, Vec<Event>) {
    let mut b = Book::new();
    b.place(NewOrder {
        account: TraderId(9),
        ..limit(1, Sell, 100, 3)
    });
    b.place(limit(2, Sell, 100, 3));
    let ev = b.place(NewOrder {
        account: TraderId(9),
        stp,
        ..limit(3, Buy, 100, taker_qty)
    });
    (b, ev)
}

fn stp_cancel(id: u64, qty: u64, remaining: u64) -> Event {
    Cancelled {
        id: OrderId(id),
        qty: Qty(qty),
        remaining: Qty(remaining),
        reason: SelfTrade,
    }
}

#[test]
fn self_trade_allowed_when_prevention_is_off() {
    let (_, ev) = self_trade_setup(StpMode::None, 1);
    assert_eq!(ev[1], trade(1, 3, 100, 1, false, true));
}

#[test]
fn self_trade_cancel_taker_cancels_the_incoming_order() {
    let (b, ev) = self_trade_setup(StpMode::CancelTaker, 4);
    assert_eq!(ev, vec![Accepted { id: OrderId(3) }, stp_cancel(3, 4, 0)]);
    assert_eq!(b.queue(Sell, 100), vec![1, 2]);
}

#[test]
fn self_trade_cancel_maker_cancels_resting_and_continues() {
    let (b, ev) = self_trade_setup(StpMode::CancelMaker, 4);
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            stp_cancel(1, 3, 0),
            trade(2, 3, 100, 3, true, false)
        ]
    );
    assert_eq!(b.queue(Buy, 100), vec![3]);
}

#[test]
fn self_trade_cancel_both_cancels_both_orders() {
    let (b, ev) = self_trade_setup(StpMode::CancelBoth, 4);
    assert_eq!(
        ev,
        vec![Accepted { id: OrderId(3) }, stp_cancel(1, 3, 0), stp_cancel(3, 4, 0)]
    );
    assert_eq!(b.queue(Sell, 100), vec![2]);
}

#[test]
fn self_trade_decrement_and_cancel_shrinks_both_and_cancels_the_smaller() {
    let (b, ev) = self_trade_setup(StpMode::DecrementAndCancel, 5);
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            stp_cancel(1, 3, 0),
            stp_cancel(3, 3, 2),
            trade(2, 3, 100, 2, false, true)
        ]
    );
    let (b2, ev) = self_trade_setup(StpMode::DecrementAndCancel, 2);
    assert_eq!(
        ev,
        vec![Accepted { id: OrderId(3) }, stp_cancel(1, 2, 1), stp_cancel(3, 2, 0)]
    );
    assert_eq!(
        b2.book.order(OrderId(1)),
        Some(OrderState::Resting {
            side: Sell,
            price: Price(100),
            remaining: Qty(1),
            filled: Qty(0)
        })
    );
    drop(b);
}

#[test]
fn cancel_removes_a_resting_order() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 4));
    assert_eq!(
        b.cancel(1),
        vec![Cancelled {
            id: OrderId(1),
            qty: Qty(4),
            remaining: Qty(0),
            reason: User
        }]
    );
    assert_eq!(b.book.order(OrderId(1)), None);
    assert_eq!(b.book.best_bid(), None);
}

#[test]
fn cancel_of_an_unknown_order_is_rejected() {
    let mut b = Book::new();
    assert_eq!(
        b.cancel(42),
        vec![Rejected {
            id: OrderId(42),
            reason: RejectReason::UnknownOrder
        }]
    );
}

#[test]
fn amend_reducing_quantity_keeps_priority() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 5));
    b.place(limit(2, Buy, 100, 5));
    assert_eq!(
        b.amend(1, 100, 2),
        vec![Amended {
            id: OrderId(1),
            price: Price(100),
            qty: Qty(2),
            kept_priority: true
        }]
    );
    assert_eq!(b.queue(Buy, 100), vec![1, 2]);
    assert_eq!(b.book.depth(1).bids[0].qty, 7);
}

#[test]
fn amend_increasing_quantity_loses_priority() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 5));
    b.place(limit(2, Buy, 100, 5));
    assert_eq!(
        b.amend(1, 100, 6),
        vec![Amended {
            id: OrderId(1),
            price: Price(100),
            qty: Qty(6),
            kept_priority: false
        }]
    );
    assert_eq!(b.queue(Buy, 100), vec![2, 1]);
}

#[test]
fn amend_changing_price_loses_priority_and_may_trade() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 101, 2));
    b.place(limit(2, Buy, 99, 5));
    let ev = b.amend(2, 101, 5);
    assert_eq!(
        ev,
        vec![
            Amended {
                id: OrderId(2),
                price: Price(101),
                qty: Qty(5),
                kept_priority: false
            },
            trade(1, 2, 101, 2, true, false)
        ]
    );
    assert_eq!(
        b.book.order(OrderId(2)),
        Some(OrderState::Resting {
            side: Buy,
            price: Price(101),
            remaining: Qty(3),
            filled: Qty(2)
        })
    );
}

#[test]
fn amend_of_a_partially_filled_order_keeps_its_filled_quantity() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 5));
    b.place(limit(2, Sell, 100, 2));
    b.amend(1, 99, 10);
    assert_eq!(
        b.book.order(OrderId(1)),
        Some(OrderState::Resting {
            side: Buy,
            price: Price(99),
            remaining: Qty(10),
            filled: Qty(2)
        })
    );
}

#[test]
fn stop_limit_triggers_on_last_trade_price() {
    let mut b = Book::new();
    let stop = order(
        1,
        Buy,
        OrderKind::StopLimit {
            trigger: Price(105),
            price: Price(106),
        },
        1,
    );
    assert_eq!(b.place(stop), vec![Accepted { id: OrderId(1) }]);
    b.place(limit(2, Sell, 105, 1));
    b.place(limit(3, Sell, 106, 1));
    let ev = b.place(market(4, Buy, 1));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(4) },
            trade(2, 4, 105, 1, true, true),
            Triggered { id: OrderId(1) },
            trade(3, 1, 106, 1, true, true)
        ]
    );
}

#[test]
fn stop_market_sell_triggers_at_or_below_its_price() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 1));
    b.place(limit(2, Buy, 95, 1));
    b.place(order(
        3,
        Sell,
        OrderKind::StopMarket {
            trigger: Price(100),
            protection: None,
            quote_budget: None,
        },
        1,
    ));
    let ev = b.place(market(4, Sell, 1));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(4) },
            trade(1, 4, 100, 1, true, true),
            Triggered { id: OrderId(3) },
            trade(2, 3, 95, 1, true, true)
        ]
    );
}

#[test]
fn stop_cascade_triggers_stops_in_arrival_order_until_none_is_left() {
    let mut b = Book::new();
    for (id, price) in [(1, 100), (2, 101), (3, 102)] {
        b.place(limit(id, Sell, price, 1));
    }
    b.place(order(
        10,
        Buy,
        OrderKind::StopMarket {
            trigger: Price(101),
            protection: None,
            quote_budget: None,
        },
        1,
    ));
    b.place(order(
        11,
        Buy,
        OrderKind::StopMarket {
            trigger: Price(100),
            protection: None,
            quote_budget: None,
        },
        1,
    ));
    let ev = b.place(market(4, Buy, 1));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(4) },
            trade(1, 4, 100, 1, true, true),
            Triggered { id: OrderId(11) },
            trade(2, 11, 101, 1, true, true),
            Triggered { id: OrderId(10) },
            trade(3, 10, 102, 1, true, true),
        ]
    );
}

#[test]
fn stop_already_past_its_trigger_fires_at_once() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    b.place(market(2, Buy, 1));
    let ev = b.place(order(
        3,
        Buy,
        OrderKind::StopMarket {
            trigger: Price(99),
            protection: None,
            quote_budget: None,
        },
        1,
    ));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            Triggered { id: OrderId(3) },
            trade(1, 3, 100, 1, true, true)
        ]
    );
}

#[test]
fn pending_stop_can_be_cancelled_but_not_amended() {
    let mut b = Book::new();
    b.place(order(
        1,
        Buy,
        OrderKind::StopLimit {
            trigger: Price(105),
            price: Price(106),
        },
        3,
    ));
    assert_eq!(
        b.amend(1, 100, 1),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::NotAmendable
        }]
    );
    assert_eq!(
        b.cancel(1),
        vec![Cancelled {
            id: OrderId(1),
            qty: Qty(3),
            remaining: Qty(0),
            reason: User
        }]
    );
}

#[test]
fn duplicate_live_order_id_is_rejected() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 1));
    assert_eq!(
        b.place(limit(1, Sell, 200, 1)),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::DuplicateOrderId
        }]
    );
}

#[test]
fn zero_quantity_and_zero_price_are_rejected() {
    let mut b = Book::new();
    assert_eq!(
        b.place(limit(1, Buy, 100, 0)),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::ZeroQuantity
        }]
    );
    assert_eq!(
        b.place(limit(1, Buy, 0, 1)),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::ZeroPrice
        }]
    );
}

#[test]
fn stale_sequence_number_is_rejected() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 1));
    let mut out = Vec::new();
    b.book.process(
        &Command {
            seq: b.seq,
            ts: 0,
            op: Op::Cancel { id: OrderId(1) },
        },
        &mut out,
    );
    assert_eq!(
        out,
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::StaleSequence
        }]
    );
    assert!(b.book.order(OrderId(1)).is_some());
}

#[test]
fn extreme_prices_and_quantities_do_not_overflow() {
    let mut b = Book::new();
    b.place(limit(1, Sell, u64::MAX, u64::MAX));
    b.place(limit(2, Sell, u64::MAX, u64::MAX));
    assert_eq!(b.book.depth(1).asks[0].qty, 2 * u128::from(u64::MAX));
    let o = order(
        3,
        Buy,
        OrderKind::Market {
            protection: None,
            quote_budget: Some(u128::MAX),
        },
        u64::MAX,
    );
    assert_eq!(b.place(o)[1], trade(1, 3, u64::MAX, u64::MAX, true, true));
}

#[test]
fn best_prices_and_depth_are_aggregated_per_level() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 99, 1));
    b.place(limit(2, Buy, 100, 2));
    b.place(limit(3, Buy, 100, 3));
    b.place(limit(4, Sell, 103, 4));
    assert_eq!(
        (b.book.best_bid(), b.book.best_ask()),
        (Some(Price(100)), Some(Price(103)))
    );
    let d = b.book.depth(1);
    assert_eq!(
        (d.bids.len(), d.bids[0].price, d.bids[0].qty, d.bids[0].orders),
        (1, Price(100), 5, 2)
    );
    assert_eq!(b.book.depth(10).bids.len(), 2);
}
