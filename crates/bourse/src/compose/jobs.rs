//! The server's background jobs, each a [`Worker`]: the outbox relay, the hold-expiry sweep, the purge of
//! expired idempotency keys, the session view's poll of revocations, the metrics recorder's upkeep, the
//! daily portfolio snapshots and the refresh of the configured rate pairs.

use crate::workers::Worker;
use api::AppState;
use ledger::{Ledger, LedgerConfig};
use platform::outbox::Relay;
use std::time::Duration;

/// Expired idempotency keys are only dead rows: deleting them now and then is enough.
const IDEMPOTENCY_PURGE_EVERY: Duration = Duration::from_secs(10 * 60);
/// Histograms of the Prometheus recorder buffer samples until upkeep drains them.
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Every job a server runs today. A later split into process roles chooses among these.
pub(super) fn all(state: &AppState, ledger: &LedgerConfig) -> Vec<Worker> {
    vec![
        outbox_relay(state),
        hold_expiry(state.ledger.clone(), ledger.hold_expiry_interval_secs),
        idempotency_purge(state.clone()),
        session_revocations(state),
        metrics_upkeep(),
        portfolio_snapshots(state),
        trading_tiers(state),
    ]
    .into_iter()
    .chain(rates_refresh(state))
    .collect()
}

/// Publishes committed outbox events to the bus: after each commit that wrote events, and every
/// `outbox.poll_interval_ms` for those written by other processes; pending events go out before it stops.
fn outbox_relay(state: &AppState) -> Worker {
    let relay = Relay::new(state.db.clone(), state.bus.clone(), state.clock.clone());
    let interval = Duration::from_millis(state.config.outbox.poll_interval_ms);
    Worker::new("outbox-relay", move |stop| relay.run(interval, stop))
}

/// Releases ledger holds whose expiry has passed, so locked money comes back to its owner without anyone
/// asking. A failed sweep is logged and retried at the next tick: the holds stay open and are found again.
fn hold_expiry(ledger: Ledger, every_secs: u64) -> Worker {
    Worker::every("hold-expiry", Duration::from_secs(every_secs), move || {
        let ledger = ledger.clone();
        async move {
            match ledger.expire_due_holds().await {
                Ok(0) => {}
                Ok(released) => tracing::info!(released, "released expired holds"),
                Err(error) => tracing::warn!(%error, "the hold-expiry sweep failed; retrying at the next tick"),
            }
        }
    })
}

/// Deletes idempotency keys whose 24 hours are over.
fn idempotency_purge(state: AppState) -> Worker {
    Worker::every("idempotency-purge", IDEMPOTENCY_PURGE_EVERY, move || {
        let state = state.clone();
        async move {
            match api::idempotency::purge_expired(&state.db, state.clock.now()).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "purged expired idempotency keys"),
                Err(error) => tracing::warn!(%error, "cannot purge expired idempotency keys"),
            }
        }
    })
}

/// Keeps the in-memory view of live sessions in step with revocations made by other nodes.
fn session_revocations(state: &AppState) -> Worker {
    let view = state.sessions.view().clone();
    let (db, clock) = (state.db.clone(), state.clock.clone());
    Worker::new("session-revocations", move |stop| view.watch(db, clock, stop))
}

fn metrics_upkeep() -> Worker {
    let handle = platform::telemetry::prometheus();
    Worker::every("metrics-upkeep", METRICS_UPKEEP_EVERY, move || {
        handle.run_upkeep();
        std::future::ready(())
    })
}

/// Keeps `rates.refresh_pairs` warm and records a snapshot of each per interval; none when no pair is listed.
fn rates_refresh(state: &AppState) -> Option<Worker> {
    let rates = state.rates.clone();
    if !rates.refreshes() {
        return None;
    }
    Some(Worker::every("rates-refresh", rates.refresh_interval(), move || {
        let rates = rates.clone();
        async move {
            let recorded = rates.refresh().await;
            tracing::debug!(recorded, "rate snapshots recorded");
        }
    }))
}

/// Takes the day's portfolio snapshots not taken yet, in each of `portfolio.snapshot_currencies`. A run that
/// fails, or a portfolio whose prices are not all available, is logged and tried again at the next tick; a
/// snapshot is written at most once per user, UTC day and currency.
fn portfolio_snapshots(state: &AppState) -> Worker {
    let portfolio = state.portfolio.clone();
    let every = Duration::from_secs(portfolio.config().snapshot_interval_secs);
    Worker::every("portfolio-snapshots", every, move || {
        let portfolio = portfolio.clone();
        async move {
            match portfolio.take_snapshots().await {
                Ok(0) => {}
                Ok(taken) => tracing::info!(taken, "took portfolio snapshots"),
                Err(error) => tracing::warn!(%error, "the portfolio snapshot run failed; retrying at the next tick"),
            }
        }
    })
}

/// Recomputes every trading user's tier from their 30-day volume (and the staff pins): fees of later orders and,
/// from their next access token, rate limits follow. A failed run is logged and tried again at the next tick.
fn trading_tiers(state: &AppState) -> Worker {
    let trading = state.trading.clone();
    let accounts = state.accounts.clone();
    let valuer = super::prices::TradedVolume(state.rates.clone());
    let every = Duration::from_secs(trading.config().tier_interval_secs);
    Worker::every("trading-tiers", every, move || {
        let (trading, accounts) = (trading.clone(), accounts.clone());
        let valuer = super::prices::TradedVolume(valuer.0.clone());
        async move {
            match trading.recompute_tiers(&accounts, &valuer).await {
                Ok(run) if run.changed > 0 || !run.unvalued.is_empty() => {
                    tracing::info!(users = run.users, changed = run.changed, unvalued = ?run.unvalued, "recomputed trading tiers")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the tier run failed; retrying at the next tick"),
            }
        }
    })
}
