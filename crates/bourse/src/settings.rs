//! The server's settings: the platform's tables and each context's own, read from one set of sources. This is
//! the one place that knows every table, so a table or key that nobody reads stops start-up, named.

use funding::FundingConfig;
use identity::IdentityConfig;
use ledger::LedgerConfig;
use platform::config::{self, Overrides, Sources, table};
use platform::{Config, ConfigError, Section};
use portfolio::PortfolioConfig;
use rates::RatesConfig;
use std::path::Path;
use trading::TradingConfig;

/// Every table of the configuration file. A new context adds its section here, and in [`Settings::SECTIONS`].
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `[server]`, `[storage]`, `[secrets]`, `[log]`, `[outbox]`, `[rate_limits]`.
    pub platform: Config,
    pub identity: IdentityConfig,
    pub ledger: LedgerConfig,
    pub funding: FundingConfig,
    pub rates: RatesConfig,
    pub portfolio: PortfolioConfig,
    pub trading: TradingConfig,
}

impl Settings {
    /// The contexts' tables, beside the platform's [`Config::SECTIONS`].
    pub const SECTIONS: [&'static str; 6] = [
        IdentityConfig::NAME,
        LedgerConfig::NAME,
        FundingConfig::NAME,
        RatesConfig::NAME,
        PortfolioConfig::NAME,
        TradingConfig::NAME,
    ];

    /// Loads every table: `file` is an explicit `--config` path (which must exist); without it `bourse.toml`
    /// in the working directory is read when present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Settings, ConfigError> {
        let sources = Sources::load(file, overrides)?;
        let known: Vec<&str> = Config::SECTIONS.iter().chain(&Self::SECTIONS).copied().collect();
        sources.refuse_unknown(&known)?;
        Ok(Settings {
            platform: Config::from_sources(&sources)?,
            identity: sources.section()?,
            ledger: sources.section()?,
            funding: sources.section()?,
            rates: sources.section()?,
            portfolio: sources.section()?,
            trading: sources.section()?,
        })
    }

    /// The whole configuration as TOML with every secret masked, for `bourse config`.
    pub fn to_masked_toml(&self) -> String {
        let mut tables = self.platform.masked_tables();
        tables.extend([
            (IdentityConfig::NAME, table(&self.identity)),
            (LedgerConfig::NAME, table(&self.ledger)),
            (FundingConfig::NAME, table(&self.funding)),
            (RatesConfig::NAME, table(&self.rates)),
            (PortfolioConfig::NAME, table(&self.portfolio)),
            (TradingConfig::NAME, table(&self.trading)),
        ]);
        config::to_toml(tables)
    }
}
