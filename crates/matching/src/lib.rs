//! Deterministic in-memory order book and matching engine for one market.
//!
//! The engine is a pure function of its input: [`OrderBook::process`] takes a [`Command`]
//! (numbered and timestamped by the caller) and appends the [`Event`]s it caused. No clock,
//! no I/O, no randomness, no iteration over hash maps reaches the output, so the same commands
//! always give the same events, byte for byte, and a book can be rebuilt by
//! [`OrderBook::restore`] from a [`Snapshot`] and the commands after it. Prices and quantities
//! are integers of the market's tick and lot; [`decimal`] converts at the edge.
//!
//! # Data structures, chosen for speed
//!
//! - **Orders** live in one slab of 48-byte slots (`arena`). Each price level's queue is an
//!   intrusive doubly linked list through the slots, so appending, filling from the head and
//!   cancelling from the middle are O(1) and touch only the slots concerned. Freed slots are
//!   threaded into a free list: after warm-up, placing an order allocates nothing.
//! - **Order ids** map to slots in a hash map with a one-multiply hash (`IdMap`), which makes
//!   cancel and amend O(1). Its iteration order is never observed.
//! - **Price levels** of each side sit in a radix index of 4,096-tick pages (`ladder`): inside
//!   a page a price maps straight to its level, and an occupancy bitmap with a summary word
//!   finds the best level, or the next one down, with two `leading_zeros`. Creating or dropping
//!   a level is flipping a bit; the best bid and ask are O(1). Activity clusters near the top
//!   of the book, so the touched part of the index is a few cache lines, and pages far away
//!   only exist where prices do.
//! - **Level bodies** (price, total, count, queue ends) live in their own slab so an order
//!   points at its level by index: a cancel never searches for its price.
//! - **An amend that loses priority** keeps its slot and index entry while it trades at its
//!   new price, so the most common message of a real order flow (a price move) costs two list
//!   operations and no hash map update.
//! - **Stop orders** are rare and off the hot path: ordered maps by trigger price, scanned by
//!   range when the last trade price moves.
//! - Events go into a caller-owned `Vec` that is reused, so the hot path does not allocate.
//!
//! # Rules
//!
//! Price-time priority, trades at the resting order's price. Limit and market orders; a market
//! order never rests, may carry a protection price (the worst it may trade at) and, for a buy,
//! a quote budget. Stop-limit and stop-market orders trigger on the last trade price (at or
//! above the trigger for a buy, at or below for a sell) and cascade, oldest stop first within
//! each round. GTC, IOC and FOK (checked by a dry walk of the book before any fill, with
//! self-trade prevention taken into account). Post-only orders are rejected if they would
//! take. Self-trade prevention by the incoming order's mode. Amend: reducing quantity at the
//! same price keeps priority, anything else re-enters the order at the back (and it may
//! trade). See `docs/matching.md` for the full rules and event model.

mod arena;
mod book;
mod commands;
pub mod decimal;
mod events;
mod invariants;
mod ladder;
mod matching;
mod queries;
mod snapshot;
mod stop;
mod types;

pub use book::OrderBook;
pub use commands::{Command, NewOrder, Op, OrderKind};
pub use events::{CancelReason, Event, RejectReason};
pub use queries::{Depth, DepthLevel, OrderState};
pub use snapshot::{L3Book, L3Level, L3Order, SNAPSHOT_VERSION, Snapshot, SnapshotError};
pub use stop::PendingStop;
pub use types::{OrderId, Price, Qty, Side, StpMode, TimeInForce, TraderId};
