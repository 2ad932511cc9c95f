//! Generated workloads: engine-neutral messages from a fixed seed, produced while the reference
//! model runs, so every cancel and move targets a live order and the expected totals are known.

use std::collections::HashMap;

use matching::{Command, Event, NewOrder, Op, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce, TraderId};

use crate::reference::RefBook;

/// One message of a workload, in terms every engine understands.
#[derive(Debug, Clone, Copy)]
pub enum Msg {
    Gtc {
        id: u64,
        account: u32,
        side: Side,
        price: u64,
        qty: u64,
    },
    Ioc {
        id: u64,
        account: u32,
        side: Side,
        price: u64,
        qty: u64,
    },
    Market {
        id: u64,
        account: u32,
        side: Side,
        qty: u64,
    },
    Cancel {
        id: u64,
    },
    /// Change of price keeping the open quantity (`qty` is the open quantity at that time).
    Move {
        id: u64,
        side: Side,
        price: u64,
        qty: u64,
    },
}

impl Msg {
    /// The engine's command for this message.
    pub fn command(&self, seq: u64) -> Command {
        let place = |id, account: u32, side, kind, qty, tif| {
            Op::Place(NewOrder {
                id: OrderId(id),
                account: TraderId(u64::from(account)),
                side,
                kind,
                qty: Qty(qty),
                tif,
                post_only: false,
                stp: StpMode::None,
            })
        };
        let op = match *self {
            Msg::Gtc {
                id,
                account,
                side,
                price,
                qty,
            } => place(
                id,
                account,
                side,
                OrderKind::Limit { price: Price(price) },
                qty,
                TimeInForce::Gtc,
            ),
            Msg::Ioc {
                id,
                account,
                side,
                price,
                qty,
            } => place(
                id,
                account,
                side,
                OrderKind::Limit { price: Price(price) },
                qty,
                TimeInForce::Ioc,
            ),
            Msg::Market { id, account, side, qty } => {
                let kind = OrderKind::Market {
                    protection: None,
                    quote_budget: None,
                };
                place(id, account, side, kind, qty, TimeInForce::Ioc)
            }
            Msg::Cancel { id } => Op::Cancel { id: OrderId(id) },
            Msg::Move { id, price, qty, .. } => Op::Amend {
                id: OrderId(id),
                price: Price(price),
                qty: Qty(qty),
            },
        };
        Command { seq, ts: seq, op }
    }
}

/// What a correct engine must report for a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub traded: u128,
    pub cancels: u64,
}

pub struct Workload {
    pub name: &'static str,
    pub description: &'static str,
    /// Run before timing starts (book warm-up).
    pub setup: Vec<Msg>,
    pub msgs: Vec<Msg>,
    pub expected: Totals,
    pub resting_at_end: usize,
    pub levels_at_end: (usize, usize),
    pub mix: String,
}

/// SplitMix64: tiny, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Skewed towards 0: most orders land near the top of the book.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let a = self.below(n);
        let b = self.below(n);
        a * b / n
    }

    pub fn side(&mut self) -> Side {
        if self.next() & 1 == 0 { Side::Buy } else { Side::Sell }
    }
}

pub const CENTER: u64 = 100_000;
const ACCOUNTS: u64 = 5_000;

/// Generator state: the reference book plus an index of live orders for random picks.
pub struct Gen {
    pub rng: Rng,
    pub book: RefBook,
    open: HashMap<u64, (Side, u64, u64)>,
    pub live: Vec<u64>,
    pos: HashMap<u64, usize>,
    next_id: u64,
    seq: u64,
    totals: Totals,
    counts: [u64; 5],
    center: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
            book: RefBook::new(),
            open: HashMap::new(),
            live: Vec::new(),
            pos: HashMap::new(),
            next_id: 1,
            seq: 0,
            totals: Totals::default(),
            counts: [0; 5],
            center: CENTER,
        }
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    pub fn account(&mut self) -> u32 {
        (1 + self.rng.below(ACCOUNTS)) as u32
    }

    fn mid(&mut self) -> u64 {
        if let (Some(b), Some(a)) = (self.book.best(Side::Buy), self.book.best(Side::Sell)) {
            self.center = (a.0 + b.0) / 2;
        }
        self.center
    }

    fn add_live(&mut self, id: u64, v: (Side, u64, u64)) {
        self.open.insert(id, v);
        self.pos.insert(id, self.live.len());
        self.live.push(id);
    }

    fn drop_live(&mut self, id: u64) {
        if self.open.remove(&id).is_some()
            && let Some(i) = self.pos.remove(&id)
        {
            self.live.swap_remove(i);
            if let Some(&moved) = self.live.get(i) {
                self.pos.insert(moved, i);
            }
        }
    }

    fn pick(&mut self) -> Option<(u64, (Side, u64, u64))> {
        if self.live.is_empty() {
            return None;
        }
        let id = self.live[self.rng.below(self.live.len() as u64) as usize];
        self.open.get(&id).map(|v| (id, *v))
    }

    pub fn push(&mut self, m: Msg, out: &mut Vec<Msg>) {
        self.seq += 1;
        let kind = match m {
            Msg::Gtc {
                id, side, price, qty, ..
            } => {
                self.add_live(id, (side, price, qty));
                0
            }
            Msg::Ioc { .. } => 1,
            Msg::Market { .. } => 2,
            Msg::Cancel { .. } => 3,
            Msg::Move { .. } => 4,
        };
        self.counts[kind] += 1;
        for e in self.book.process(&m.command(self.seq)) {
            match e {
                Event::Trade {
                    maker,
                    taker,
                    qty,
                    maker_done,
                    taker_done,
                    ..
                } => {
                    self.totals.traded += u128::from(qty);
                    for (id, done) in [(maker, maker_done), (taker, taker_done)] {
                        if done {
                            self.drop_live(id.0);
                        } else if let Some(v) = self.open.get_mut(&id.0) {
                            v.2 -= qty.0;
                        }
                    }
                }
                Event::Cancelled { id, .. } => {
                    self.totals.cancels += 1;
                    self.drop_live(id.0);
                }
                Event::Amended { id, price, qty, .. } => {
                    if let Some(v) = self.open.get_mut(&id.0) {
                        v.1 = price.0;
                        v.2 = qty.0;
                    }
                }
                Event::Rejected { id, reason } => panic!("workload generated a rejected command {id}: {reason:?}"),
                _ => {}
            }
        }
        out.push(m);
    }

    /// A passive GTC order somewhere in the top `depth` ticks of its side.
    pub fn passive(&mut self, depth: u64) -> Msg {
        let side = self.rng.side();
        let mid = self.mid();
        let off = 1 + self.rng.skewed(depth);
        let price = match side {
            Side::Buy => mid.saturating_sub(off).max(1),
            Side::Sell => mid + off,
        };
        Msg::Gtc {
            id: self.id(),
            account: self.account(),
            side,
            price,
            qty: 1 + self.rng.below(100),
        }
    }

    /// An order priced a few ticks through the opposite best price.
    pub fn aggressive(&mut self) -> (Side, u64, u64) {
        let side = self.rng.side();
        let (price, qty) = self.aggressive_on(side);
        (side, price, qty)
    }

    pub fn aggressive_on(&mut self, side: Side) -> (u64, u64) {
        let mid = self.mid();
        let through = self.rng.below(3);
        let price = match side {
            Side::Buy => self.book.best(Side::Sell).map_or(mid, |p| p.0) + through,
            Side::Sell => self
                .book
                .best(Side::Buy)
                .map_or(mid, |p| p.0)
                .saturating_sub(through)
                .max(1),
        };
        (price, 1 + self.rng.below(150))
    }

    pub fn cancel(&mut self) -> Option<Msg> {
        self.pick().map(|(id, _)| Msg::Cancel { id })
    }

    pub fn moved(&mut self) -> Option<Msg> {
        let (id, (side, price, qty)) = self.pick()?;
        let delta = self.rng.below(7) as i64 - 3;
        let delta = if delta == 0 { 1 } else { delta };
        Some(Msg::Move {
            id,
            side,
            price: price.saturating_add_signed(delta).max(1),
            qty,
        })
    }

    pub fn setup(&mut self, orders: usize, depth: u64) -> Vec<Msg> {
        let mut out = Vec::new();
        while self.live.len() < orders {
            let m = self.passive(depth);
            self.push(m, &mut out);
        }
        out
    }

    pub fn finish(self, name: &'static str, description: &'static str, setup: Vec<Msg>, msgs: Vec<Msg>) -> Workload {
        let total = msgs.len().max(1) as f64;
        let names = ["GTC", "IOC", "market", "cancel", "move"];
        let setup_counts = setup.len() as u64;
        let mix = names
            .iter()
            .zip(self.counts)
            .enumerate()
            .map(|(i, (n, c))| (n, if i == 0 { c - setup_counts } else { c }))
            .filter(|(_, c)| *c > 0)
            .map(|(n, c)| format!("{n} {:.1}%", c as f64 * 100.0 / total))
            .collect::<Vec<_>>()
            .join(", ");
        let l3 = self.book.l3();
        Workload {
            name,
            description,
            setup,
            msgs,
            expected: self.totals,
            resting_at_end: self.book.bids.len() + self.book.asks.len(),
            levels_at_end: (l3.bids.len(), l3.asks.len()),
            mix,
        }
    }
}
