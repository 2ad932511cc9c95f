//! Rebuilding a runner from the database: the book from its last snapshot and the commands logged after it, the
//! open orders (with their holds) from their rows, and the candles and ticker from the stored candles. The
//! rebuilt book must hold exactly the open orders the rows say, or the market does not start.

use super::step::{Runner, published_for};
use super::{Deps, Published};
use crate::TradingError;
use crate::market::Market;
use crate::market_data::{RollingDay, Width};
use crate::store;
use chrono::Duration;
use matching::{Command, OrderBook, OrderId, Snapshot};
use std::sync::Arc;

impl Runner {
    /// A runner for `market` with its state as the database has it.
    pub(crate) async fn recover(deps: Arc<Deps>, market: Market) -> Result<Runner, TradingError> {
        let published = published_for(&market, RollingDay::default());
        Runner::recover_into(deps, market, published).await
    }

    pub(super) async fn recover_into(
        deps: Arc<Deps>,
        mut market: Market,
        published: Arc<Published>,
    ) -> Result<Runner, TradingError> {
        let db = deps.db.clone();
        let symbol = market.symbol().to_owned();
        let corrupt = |what: String| TradingError::Corrupt(format!("market {symbol}: {what}"));
        if let Some(spec) = store::markets(&db).await?.into_iter().find(|s| s.symbol == symbol) {
            market.spec = spec;
        }
        let (after, mut book) = match store::snapshot(&db, &symbol).await? {
            Some((seq, body)) => {
                let snapshot: Snapshot =
                    serde_json::from_str(&body).map_err(|e| corrupt(format!("unreadable snapshot: {e}")))?;
                let book = OrderBook::restore(&snapshot).map_err(|e| corrupt(format!("bad snapshot: {e}")))?;
                (seq, book)
            }
            None => (0, OrderBook::new()),
        };
        let commands = store::commands_after(&db, &symbol, after).await?;
        let mut events = Vec::new();
        for text in &commands {
            let command: Command =
                serde_json::from_str(text).map_err(|e| corrupt(format!("unreadable command: {e}")))?;
            events.clear();
            book.process(&command, &mut events);
        }
        let open = store::open_orders(&db, &symbol).await?;
        let in_book = book.resting_orders() + book.pending_stops();
        if in_book != open.len() {
            return Err(corrupt(format!(
                "the rebuilt book has {in_book} orders but {} are open",
                open.len()
            )));
        }
        let (next_engine_id, traders) = store::engine_ids(&db, &symbol).await?;
        let latest = store::latest_candles(&db, &symbol).await?;
        let now = deps.clock.now();
        let minutes = store::candles(
            &db,
            &symbol,
            Width::M1,
            now - Duration::hours(24),
            now + Duration::minutes(1),
            1_500,
        )
        .await?;
        let day = RollingDay::from_minutes(minutes, book.last_trade_price().map(|p| p.0));
        let mut runner = Runner::new(deps, market, published);
        for order in open {
            if book.order(OrderId(order.engine_id)).is_none() {
                return Err(corrupt(format!("open order {} is not in the rebuilt book", order.id)));
            }
            runner.ids.insert(order.id, order.engine_id);
            *runner.open_per_user.entry(order.user).or_default() += 1;
            runner.live.insert(order.engine_id, order);
        }
        runner.next_trader = traders.iter().map(|(_, t)| *t).max().unwrap_or(0) + 1;
        runner.traders = traders.into_iter().collect();
        runner.next_engine_id = next_engine_id;
        runner.since_snapshot = commands.len() as u64;
        runner.latest = latest.into_iter().map(|c| (c.width, c)).collect();
        runner.book = book;
        if let Ok(mut slot) = runner.published.day.lock() {
            *slot = day;
        }
        if let Ok(mut spec) = runner.published.spec.write() {
            *spec = runner.market.spec.clone();
        }
        runner.publish_depth();
        Ok(runner)
    }
}
