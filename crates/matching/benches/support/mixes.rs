//! The four workloads, each a message mix over the generator in `workload`.

use matching::Side;

use crate::workload::{CENTER, Gen, Msg, Workload};

/// Book size is held near 1,000 orders: a GTC becomes a cancel above 1,200 and the reverse
/// below 800, so the mix stays close to the published one.
const TARGET_LOW: usize = 800;
const TARGET_HIGH: usize = 1_200;
const DEPTH: u64 = 400;

/// exchange-core's mix: 9 % GTC, 3 % IOC, 6 % cancel, 82 % move.
pub fn ecmix(n: usize, seed: u64) -> Workload {
    let mut g = Gen::new(seed);
    let setup = g.setup(1_000, DEPTH);
    let mut msgs = Vec::with_capacity(n);
    while msgs.len() < n {
        let r = g.rng.below(100);
        let live = g.live.len();
        let m = match r {
            0..9 if live <= TARGET_HIGH => Some(g.passive(DEPTH)),
            0..9 => g.cancel(),
            9..12 => {
                let (side, price, qty) = g.aggressive();
                Some(Msg::Ioc {
                    id: g.id(),
                    account: g.account(),
                    side,
                    price,
                    qty,
                })
            }
            12..18 if live >= TARGET_LOW => g.cancel(),
            12..18 => Some(g.passive(DEPTH)),
            _ => g.moved(),
        };
        let m = m.unwrap_or_else(|| g.passive(DEPTH));
        g.push(m, &mut msgs);
    }
    g.finish(
        "ecmix",
        "9% GTC, 3% IOC, 6% cancel, 82% move; ~1,000 resting orders, 5,000 accounts",
        setup,
        msgs,
    )
}

/// 48 % GTC, 5 % market, 47 % cancel.
pub fn mixed(n: usize, seed: u64) -> Workload {
    let mut g = Gen::new(seed);
    let setup = g.setup(1_000, DEPTH);
    let mut msgs = Vec::with_capacity(n);
    while msgs.len() < n {
        let r = g.rng.below(100);
        let live = g.live.len();
        let m = match r {
            0..48 if live <= TARGET_HIGH => Some(g.passive(DEPTH)),
            0..48 => g.cancel(),
            48..53 => {
                let (side, _, qty) = g.aggressive();
                Some(Msg::Market {
                    id: g.id(),
                    account: g.account(),
                    side,
                    qty,
                })
            }
            _ if live >= TARGET_LOW => g.cancel(),
            _ => Some(g.passive(DEPTH)),
        };
        let m = m.unwrap_or_else(|| g.passive(DEPTH));
        g.push(m, &mut msgs);
    }
    g.finish(
        "mixed",
        "48% GTC, 5% market, 47% cancel; ~1,000 resting orders",
        setup,
        msgs,
    )
}

/// GTC limit orders only; above 1,200 resting orders the next one crosses, so the book stays
/// near 1,000 orders and some inserts trade.
pub fn inserts(n: usize, seed: u64) -> Workload {
    let mut g = Gen::new(seed);
    let setup = g.setup(1_000, DEPTH);
    let mut msgs = Vec::with_capacity(n);
    while msgs.len() < n {
        let m = if g.live.len() > TARGET_HIGH {
            // Take from the fuller side, so neither side drains.
            let side = if g.book.bids.len() > g.book.asks.len() {
                Side::Sell
            } else {
                Side::Buy
            };
            let (price, qty) = g.aggressive_on(side);
            Msg::Gtc {
                id: g.id(),
                account: g.account(),
                side,
                price,
                qty: qty * 3,
            }
        } else {
            g.passive(DEPTH)
        };
        g.push(m, &mut msgs);
    }
    g.finish(
        "inserts",
        "GTC only (a crossing GTC whenever the book exceeds 1,200 orders)",
        setup,
        msgs,
    )
}

/// Market orders that each take 10-100 whole price levels, with the levels refilled by GTC
/// orders (2 per level) after each sweep.
pub fn sweep(n: usize, seed: u64) -> Workload {
    const LEVELS: u64 = 200;
    let mut g = Gen::new(seed);
    let mut setup = Vec::new();
    for i in 1..=LEVELS {
        for side in [Side::Buy, Side::Sell] {
            for _ in 0..2 {
                let price = match side {
                    Side::Buy => CENTER - i,
                    Side::Sell => CENTER + i,
                };
                let m = Msg::Gtc {
                    id: g.id(),
                    account: g.account(),
                    side,
                    price,
                    qty: 1 + g.rng.below(10),
                };
                g.push(m, &mut setup);
            }
        }
    }
    let mut msgs = Vec::with_capacity(n);
    let mut side = Side::Buy;
    while msgs.len() < n {
        let levels = 10 + g.rng.below(91) as usize;
        let book = match side {
            Side::Buy => &g.book.asks,
            Side::Sell => &g.book.bids,
        };
        let mut prices: Vec<u64> = Vec::new();
        let mut qty = 0;
        for o in book {
            if prices.last() != Some(&o.price.0) {
                if prices.len() == levels {
                    break;
                }
                prices.push(o.price.0);
            }
            qty += o.remaining.0;
        }
        let m = Msg::Market {
            id: g.id(),
            account: g.account(),
            side,
            qty,
        };
        g.push(m, &mut msgs);
        for price in prices {
            for _ in 0..2 {
                let m = Msg::Gtc {
                    id: g.id(),
                    account: g.account(),
                    side: side.opposite(),
                    price,
                    qty: 1 + g.rng.below(10),
                };
                g.push(m, &mut msgs);
            }
        }
        side = side.opposite();
    }
    g.finish(
        "sweep",
        "market orders taking 10-100 levels each, levels refilled by GTC (2 per level)",
        setup,
        msgs,
    )
}
