//! One test per matching rule, named after the rule: price-time priority, order types,
//! time in force and post-only.

mod common;

use common::harness::{Book, limit, market, order, trade};
use matching::{
    Event::*,
    NewOrder, OrderId, OrderKind, OrderState, Price, Qty, RejectReason,
    Side::{Buy, Sell},
    StpMode, TimeInForce, TraderId,
};

#[test]
fn better_price_matches_first() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 101, 5));
    b.place(limit(2, Sell, 100, 5));
    let ev = b.place(limit(3, Buy, 101, 7));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            trade(2, 3, 100, 5, true, false),
            trade(1, 3, 101, 2, false, true)
        ]
    );
}

#[test]
fn same_price_matches_oldest_first() {
    let mut b = Book::new();
    b.place(limit(1, Buy, 100, 3));
    b.place(limit(2, Buy, 100, 3));
    let ev = b.place(limit(3, Sell, 100, 4));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            trade(1, 3, 100, 3, true, false),
            trade(2, 3, 100, 1, false, true)
        ]
    );
}

#[test]
fn trades_at_the_resting_price() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 90, 1));
    assert_eq!(b.place(limit(2, Buy, 120, 1))[1], trade(1, 2, 90, 1, true, true));
}

#[test]
fn limit_remainder_rests_at_its_price() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    b.place(limit(2, Buy, 101, 5));
    assert_eq!(
        b.book.order(OrderId(2)),
        Some(OrderState::Resting {
            side: Buy,
            price: Price(101),
            remaining: Qty(3),
            filled: Qty(2)
        })
    );
    assert_eq!(b.book.best_bid(), Some(Price(101)));
    assert_eq!(b.book.best_ask(), None);
}

#[test]
fn market_order_never_rests_and_expires_its_remainder() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    let ev = b.place(market(2, Buy, 5));
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(2) },
            trade(1, 2, 100, 2, true, false),
            Expired {
                id: OrderId(2),
                qty: Qty(3)
            }
        ]
    );
    assert_eq!(b.book.order(OrderId(2)), None);
}

#[test]
fn market_order_stops_at_its_protection_price() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 1));
    b.place(limit(2, Sell, 105, 1));
    let o = order(
        3,
        Buy,
        OrderKind::Market {
            protection: Some(Price(104)),
            quote_budget: None,
        },
        2,
    );
    let ev = b.place(o);
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            trade(1, 3, 100, 1, true, false),
            Expired {
                id: OrderId(3),
                qty: Qty(1)
            }
        ]
    );
}

#[test]
fn market_buy_is_bounded_by_its_quote_budget() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 3));
    b.place(limit(2, Sell, 110, 10));
    // 250 buys 2 lots at 100, then nothing at 110 with 50 left.
    let o = order(
        3,
        Buy,
        OrderKind::Market {
            protection: None,
            quote_budget: Some(250),
        },
        u64::MAX,
    );
    let ev = b.place(o);
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(3) },
            trade(1, 3, 100, 2, false, false),
            Expired {
                id: OrderId(3),
                qty: Qty(u64::MAX - 2)
            }
        ]
    );
}

#[test]
fn quote_budget_on_a_sell_is_rejected() {
    let mut b = Book::new();
    let o = order(
        1,
        Sell,
        OrderKind::Market {
            protection: None,
            quote_budget: Some(5),
        },
        1,
    );
    assert_eq!(
        b.place(o),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::QuoteBudgetOnSell
        }]
    );
}

#[test]
fn ioc_trades_then_expires_the_rest() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    let o = NewOrder {
        tif: TimeInForce::Ioc,
        ..limit(2, Buy, 100, 5)
    };
    assert_eq!(
        b.place(o),
        vec![
            Accepted { id: OrderId(2) },
            trade(1, 2, 100, 2, true, false),
            Expired {
                id: OrderId(2),
                qty: Qty(3)
            }
        ]
    );
}

#[test]
fn fok_without_enough_liquidity_expires_without_trading() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    b.place(limit(2, Sell, 101, 2));
    let o = NewOrder {
        tif: TimeInForce::Fok,
        ..limit(3, Buy, 101, 5)
    };
    assert_eq!(
        b.place(o),
        vec![
            Accepted { id: OrderId(3) },
            Expired {
                id: OrderId(3),
                qty: Qty(5)
            }
        ]
    );
    assert_eq!(b.queue(Sell, 100), vec![1]);
}

#[test]
fn fok_at_exactly_the_available_quantity_fills() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 2));
    b.place(limit(2, Sell, 101, 2));
    b.place(limit(3, Sell, 102, 9));
    let o = NewOrder {
        tif: TimeInForce::Fok,
        ..limit(4, Buy, 101, 4)
    };
    let ev = b.place(o);
    assert_eq!(
        ev,
        vec![
            Accepted { id: OrderId(4) },
            trade(1, 4, 100, 2, true, false),
            trade(2, 4, 101, 2, true, true)
        ]
    );
}

#[test]
fn fok_counts_only_what_self_trade_prevention_lets_it_take() {
    let mut b = Book::new();
    b.place(NewOrder {
        account: TraderId(7),
        ..limit(1, Sell, 100, 5)
    });
    b.place(limit(2, Sell, 100, 5));
    let o = NewOrder {
        account: TraderId(7),
        tif: TimeInForce::Fok,
        stp: StpMode::CancelTaker,
        ..limit(3, Buy, 100, 5)
    };
    assert_eq!(
        b.place(o),
        vec![
            Accepted { id: OrderId(3) },
            Expired {
                id: OrderId(3),
                qty: Qty(5)
            }
        ]
    );
    assert_eq!(b.queue(Sell, 100), vec![1, 2]);
}

#[test]
fn post_only_that_would_take_is_rejected() {
    let mut b = Book::new();
    b.place(limit(1, Sell, 100, 1));
    let o = NewOrder {
        post_only: true,
        ..limit(2, Buy, 100, 1)
    };
    assert_eq!(
        b.place(o),
        vec![Rejected {
            id: OrderId(2),
            reason: RejectReason::PostOnlyWouldTake
        }]
    );
    let o = NewOrder {
        post_only: true,
        ..limit(3, Buy, 99, 1)
    };
    assert_eq!(b.place(o), vec![Accepted { id: OrderId(3) }]);
}

#[test]
fn post_only_is_only_for_gtc_limit_orders() {
    let mut b = Book::new();
    let o = NewOrder {
        post_only: true,
        tif: TimeInForce::Ioc,
        ..limit(1, Buy, 100, 1)
    };
    assert_eq!(
        b.place(o),
        vec![Rejected {
            id: OrderId(1),
            reason: RejectReason::PostOnlyNotAllowed
        }]
    );
}
