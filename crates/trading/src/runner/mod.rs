//! The engine runner: one task per market owns its book and takes commands from a queue, a step at a time.
//!
//! A step is every request waiting (up to `trading.step_max_commands`), run in one database transaction:
//!
//! 1. **Checks and holds.** Each new order is checked against what only the runner knows (the market's status,
//!    the band around the last trade, the user's open orders, whether a post-only order would take) and its hold
//!    is placed; all the step's holds go to the ledger in one call, and an order whose hold is refused (the
//!    wallet cannot pay) is answered `InsufficientFunds` and never reaches the engine.
//! 2. **The engine.** The commands run on the book in order; each is numbered and logged.
//! 3. **Settlement.** What the events say is turned into ledger batches, in order, in one call: each trade is one
//!    atomic batch (base from the seller's hold to the buyer, quote from the buyer's hold to the seller, both fees
//!    to the fees accounts), each cancel or expiry voids what is left of the order's hold.
//! 4. **Rows.** Orders, trades, fills, the command log, candles, events and (now and then) a snapshot of the book.
//!
//! Only after the commit are the requests answered and the in-memory views (depth, ticker) published. If the
//! step fails, the runner rebuilds its state from the database (snapshot + command log), which is the truth, and
//! runs the step once more; a second failure answers the step's requests as unavailable.

mod recovery;
mod step;

use crate::TradingError;
use crate::config::{FeeRates, TradingConfig};
use crate::market::{Market, MarketSpec, MarketStatus};
use crate::market_data::RollingDay;
use crate::order::{Order, OrderSide, OrderType, Stp, TimeInForce};
use ledger::Ledger;
use matching::Depth;
use platform::{Clock, Db, RequestContext};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

pub(crate) use step::Runner;

/// A new order, checked against the market's grid: what the runner needs to hold for it and place it.
#[derive(Debug, Clone)]
pub struct Placement {
    pub id: Uuid,
    pub user: Uuid,
    pub client_order_id: Option<String>,
    pub side: OrderSide,
    pub kind: OrderType,
    pub time_in_force: TimeInForce,
    pub price: Option<u64>,
    pub stop_price: Option<u64>,
    pub quantity: Option<u64>,
    pub quote_quantity: Option<u128>,
    pub post_only: bool,
    pub stp: Stp,
    pub fees: FeeRates,
    pub context: RequestContext,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, TradingError>>;

/// What a request asks of the runner.
#[derive(Debug)]
pub(crate) enum Ask {
    Place(Placement),
    /// `user`: the only user whose order it may be (`None` for staff).
    Cancel {
        user: Option<Uuid>,
        id: Uuid,
    },
    CancelAll {
        user: Uuid,
    },
    Amend {
        user: Uuid,
        id: Uuid,
        price: Option<u64>,
        quantity: Option<u64>,
    },
    SetStatus {
        status: MarketStatus,
        actor: Option<Uuid>,
        context: RequestContext,
    },
}

/// What the runner answers.
#[derive(Debug)]
pub(crate) enum Answer {
    Order(Box<Order>),
    Orders(Vec<Order>),
    Status,
}

#[derive(Debug)]
pub(crate) struct Request {
    pub ask: Ask,
    pub reply: Reply<Answer>,
}

/// What the runner publishes after each step for readers that must not wait for it.
#[derive(Debug)]
pub struct Published {
    pub spec: RwLock<MarketSpec>,
    /// The book's levels (at most [`DEPTH_LEVELS`] a side) and the sequence number of the command after which
    /// they were taken.
    pub depth: RwLock<(Arc<Depth>, u64)>,
    pub day: Mutex<RollingDay>,
}

/// The levels a side published after each step: the most `depth?limit=` may ask for.
pub const DEPTH_LEVELS: usize = 500;

/// What every runner shares.
pub(crate) struct Deps {
    pub db: Db,
    pub ledger: Ledger,
    pub config: Arc<TradingConfig>,
    pub clock: Arc<dyn Clock>,
    /// One step at a time across markets: they share the clearing and fees accounts, and steps that lock
    /// accounts in two calls could otherwise deadlock each other on PostgreSQL.
    pub step_lock: tokio::sync::Mutex<()>,
}

/// A running market: where its requests go and what it publishes.
pub(crate) struct MarketHandle {
    pub sender: mpsc::Sender<Request>,
    pub published: Arc<Published>,
}

/// Recovers the market's book from the database and starts its runner.
pub(crate) async fn start(deps: Arc<Deps>, market: Market) -> Result<MarketHandle, TradingError> {
    let capacity = deps.config.queue_capacity as usize;
    let runner = Runner::recover(deps, market).await?;
    let published = runner.published();
    let (sender, receiver) = mpsc::channel(capacity);
    tokio::spawn(runner.run(receiver));
    Ok(MarketHandle { sender, published })
}
