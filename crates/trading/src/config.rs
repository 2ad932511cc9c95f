//! `[trading]`: the fee schedule by tier, the volume that earns the higher tier, and the engine runner's limits.

use platform::ConfigError;
use platform::config::Section;
use serde::{Deserialize, Serialize};

/// Maker and taker fees of one tier, in basis points (hundredths of a percent) of what the user receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRates {
    pub maker_bps: u32,
    pub taker_bps: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TradingConfig {
    /// Fees of the BASIC tier (every user until their volume or an admin says otherwise).
    pub basic_fees: FeeRates,
    /// Fees of the PRO tier.
    pub pro_fees: FeeRates,
    /// The currency 30-day volume is counted in.
    pub volume_currency: String,
    /// 30-day traded volume, in `volume_currency`, from which a user is PRO (a decimal string).
    pub pro_volume: String,
    /// Seconds between two runs of the tier job.
    pub tier_interval_secs: u64,
    /// Open orders (resting or waiting stops) one user may have in one market.
    pub max_open_orders: u32,
    /// Commands the engine runner of a market takes into one step (one database transaction).
    pub step_max_commands: u32,
    /// Commands between two snapshots of a book; recovery replays at most this many.
    pub snapshot_every: u32,
    /// Commands that may wait for a market's engine; beyond, placing is refused as unavailable.
    pub queue_capacity: u32,
    /// Milliseconds a request waits for its engine step before it is answered as unavailable.
    pub engine_timeout_ms: u64,
}

impl Default for TradingConfig {
    fn default() -> Self {
        TradingConfig {
            basic_fees: FeeRates {
                maker_bps: 10,
                taker_bps: 20,
            },
            pro_fees: FeeRates {
                maker_bps: 5,
                taker_bps: 10,
            },
            volume_currency: "USD".to_owned(),
            pro_volume: "100000".to_owned(),
            tier_interval_secs: 3600,
            max_open_orders: 200,
            step_max_commands: 512,
            snapshot_every: 10_000,
            queue_capacity: 16_384,
            engine_timeout_ms: 10_000,
        }
    }
}

impl Section for TradingConfig {
    const NAME: &'static str = "trading";

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        for (key, fees) in [
            ("trading.basic_fees", self.basic_fees),
            ("trading.pro_fees", self.pro_fees),
        ] {
            if fees.maker_bps > 1_000 || fees.taker_bps > 1_000 {
                return invalid(key, "maker_bps and taker_bps must be at most 1000 (10 %)");
            }
        }
        if !((2..=10).contains(&self.volume_currency.len())
            && self.volume_currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return invalid(
                "trading.volume_currency",
                "must be an asset code of 2 to 10 upper-case letters",
            );
        }
        if money::DecimalString::parse(&self.pro_volume).is_err() {
            return invalid("trading.pro_volume", "must be a decimal string");
        }
        if !(60..=86_400).contains(&self.tier_interval_secs) {
            return invalid("trading.tier_interval_secs", "must be between 60 and 86400");
        }
        if !(1..=100_000).contains(&self.max_open_orders) {
            return invalid("trading.max_open_orders", "must be between 1 and 100000");
        }
        if !(1..=10_000).contains(&self.step_max_commands) {
            return invalid("trading.step_max_commands", "must be between 1 and 10000");
        }
        if !(100..=10_000_000).contains(&self.snapshot_every) {
            return invalid("trading.snapshot_every", "must be between 100 and 10000000");
        }
        if !(16..=1_000_000).contains(&self.queue_capacity) {
            return invalid("trading.queue_capacity", "must be between 16 and 1000000");
        }
        if !(100..=120_000).contains(&self.engine_timeout_ms) {
            return invalid("trading.engine_timeout_ms", "must be between 100 and 120000");
        }
        Ok(())
    }
}
