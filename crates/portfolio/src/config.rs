//! `[portfolio]`: which currencies the daily snapshots value portfolios in, how often the snapshot job looks for
//! portfolios not yet taken today, and the per-user limits.

use platform::ConfigError;
use platform::config::Section;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortfolioConfig {
    /// Currencies every daily snapshot values each portfolio in (asset codes of the catalogue).
    pub snapshot_currencies: Vec<String>,
    /// Seconds between two runs of the snapshot job; each run takes the snapshots of the UTC day not yet taken,
    /// so a run a day is the least, and more only retry what a failing price source left out.
    pub snapshot_interval_secs: u64,
    /// Holdings a user may track (their Bourse wallets not counted).
    pub max_holdings: u32,
    /// Data rows one CSV import may have.
    pub import_max_rows: u32,
    /// Activities a user may record in all: every write and valuation replays them (FIFO), so they are bounded.
    pub max_activities: u32,
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            snapshot_currencies: vec!["USD".to_owned()],
            snapshot_interval_secs: 3600,
            max_holdings: 200,
            import_max_rows: 5000,
            max_activities: 20_000,
        }
    }
}

impl Section for PortfolioConfig {
    const NAME: &'static str = "portfolio";

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if self.snapshot_currencies.len() > 10
            || self
                .snapshot_currencies
                .iter()
                .any(|c| !((2..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase())))
        {
            return invalid(
                "portfolio.snapshot_currencies",
                "must list at most 10 asset codes of 2 to 10 upper-case letters",
            );
        }
        if !(60..=86_400).contains(&self.snapshot_interval_secs) {
            return invalid("portfolio.snapshot_interval_secs", "must be between 60 and 86400");
        }
        if !(1..=10_000).contains(&self.max_holdings) {
            return invalid("portfolio.max_holdings", "must be between 1 and 10000");
        }
        if !(1..=100_000).contains(&self.import_max_rows) {
            return invalid("portfolio.import_max_rows", "must be between 1 and 100000");
        }
        if !(1..=1_000_000).contains(&self.max_activities) {
            return invalid("portfolio.max_activities", "must be between 1 and 1000000");
        }
        Ok(())
    }
}

#[cfg(test)]
// figment's `Jail` closures return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;
    use platform::config::{Overrides, Sources};

    fn load() -> Result<PortfolioConfig, ConfigError> {
        Sources::load(None, &Overrides::default())?.section()
    }

    #[test]
    fn defaults_load_and_bad_values_are_refused_by_key() {
        Jail::expect_with(|jail| {
            let config = load().map_err(|e| e.to_string())?;
            assert_eq!(config.snapshot_currencies, vec!["USD".to_owned()]);
            assert_eq!((config.max_holdings, config.import_max_rows), (200, 5000));
            jail.create_file("bourse.toml", "[portfolio]\nsnapshot_currencies = [\"USD\", \"EUR\"]")?;
            assert_eq!(load().map_err(|e| e.to_string())?.snapshot_currencies.len(), 2);
            for (toml, key) in [
                ("[portfolio]\nsnapshot_currencies = [\"usd\"]", "snapshot_currencies"),
                ("[portfolio]\nsnapshot_interval_secs = 1", "snapshot_interval_secs"),
                ("[portfolio]\nmax_holdings = 0", "max_holdings"),
                ("[portfolio]\nimport_max_rows = 1000000", "import_max_rows"),
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load().err().map(|e| e.to_string()).unwrap_or_default();
                assert!(error.contains(&format!("`portfolio.{key}`")), "{toml}: {error}");
            }
            Ok(())
        });
    }
}
