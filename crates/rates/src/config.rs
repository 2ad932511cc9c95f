//! `[rates]`: where live rates come from (CoinGecko, an HTTP FX source, a static table), how long they are
//! cached and served stale, which pairs a background worker keeps warm, and the resilience numbers.

use platform::config::Section;
use platform::{ConfigError, Secret};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatesConfig {
    /// CoinGecko's API root; tests point it at a local fake.
    pub coingecko_base_url: String,
    /// Sent as `x-cg-demo-api-key` when set.
    pub coingecko_api_key: Option<Secret<String>>,
    /// Asset code → CoinGecko coin id (`BTC = "bitcoin"`). A crypto asset not listed has no CoinGecko price.
    pub coingecko_ids: BTreeMap<String, String>,
    /// Root of a Frankfurter-compatible API (`GET {fx_base_url}/latest?from=USD&to=EUR`); no FX provider when unset.
    pub fx_base_url: Option<String>,
    /// The currencies the FX source quotes; a fiat pair outside them is not asked of it.
    pub fx_currencies: Vec<String>,
    /// Fixed rates as exact decimal strings: `static_rates.EUR = { USD = "1.0842" }` is 1 EUR = 1.0842 USD.
    pub static_rates: BTreeMap<String, BTreeMap<String, String>>,
    /// The currency cross rates go through.
    pub pivot: String,
    /// Seconds a fetched rate is served without asking the provider again.
    pub ttl_secs: u64,
    /// Seconds after its fetch a rate may still be served, marked stale, while its provider fails.
    pub max_stale_secs: u64,
    /// Pairs (`"BTC/USD"`) the refresher keeps warm and records a snapshot of every interval.
    pub refresh_pairs: Vec<String>,
    pub refresh_interval_secs: u64,
    /// The whole budget of one upstream fetch, retries included.
    pub request_timeout_ms: u64,
    /// Further attempts after a failed one, while the budget lasts.
    pub retries: u32,
    /// Key prefix of cached rates in Redis (when `storage.redis_url` is set); nodes sharing it share rates.
    pub redis_prefix: String,
    pub breaker_min_requests: u32,
    pub breaker_window_secs: u64,
    pub breaker_failure_percent: u32,
    pub breaker_open_secs: u64,
    pub breaker_half_open_trials: u32,
}

/// The seeded crypto assets CoinGecko prices, by its coin ids.
const DEFAULT_COINGECKO_IDS: [(&str, &str); 18] = [
    ("BTC", "bitcoin"),
    ("ETH", "ethereum"),
    ("USDT", "tether"),
    ("USDC", "usd-coin"),
    ("SOL", "solana"),
    ("XRP", "ripple"),
    ("BNB", "binancecoin"),
    ("ADA", "cardano"),
    ("DOGE", "dogecoin"),
    ("LTC", "litecoin"),
    ("DOT", "polkadot"),
    ("TRX", "tron"),
    ("AVAX", "avalanche-2"),
    ("LINK", "chainlink"),
    ("XLM", "stellar"),
    ("BCH", "bitcoin-cash"),
    ("DAI", "dai"),
    ("POL", "polygon-ecosystem-token"),
];

/// The currencies Frankfurter (the European Central Bank's reference rates) quotes.
const FRANKFURTER_CURRENCIES: [&str; 31] = [
    "AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK",
    "JPY", "KRW", "MXN", "MYR", "NOK", "NZD", "PHP", "PLN", "RON", "SEK", "SGD", "THB", "TRY", "USD", "ZAR",
];

impl Default for RatesConfig {
    fn default() -> Self {
        RatesConfig {
            coingecko_base_url: "https://api.coingecko.com/api/v3".to_owned(),
            coingecko_api_key: None,
            coingecko_ids: DEFAULT_COINGECKO_IDS
                .iter()
                .map(|(code, id)| ((*code).to_owned(), (*id).to_owned()))
                .collect(),
            fx_base_url: None,
            fx_currencies: FRANKFURTER_CURRENCIES.iter().map(|c| (*c).to_owned()).collect(),
            static_rates: BTreeMap::new(),
            pivot: "USD".to_owned(),
            ttl_secs: 60,
            max_stale_secs: 600,
            refresh_pairs: Vec::new(),
            refresh_interval_secs: 60,
            request_timeout_ms: 3000,
            retries: 2,
            redis_prefix: "bourse:rates".to_owned(),
            // The CurrencyEx seed's breaker: trip at ≥ 10 requests in 60 s with ≥ 60 % failed, open 30 s, 5 trials.
            breaker_min_requests: 10,
            breaker_window_secs: 60,
            breaker_failure_percent: 60,
            breaker_open_secs: 30,
            breaker_half_open_trials: 5,
        }
    }
}

impl Section for RatesConfig {
    const NAME: &'static str = "rates";

    fn validate(&self) -> Result<(), ConfigError> {
        self.validate_sources()?;
        self.validate_numbers()?;
        self.static_table().map(|_| ())?;
        self.pairs().map(|_| ())
    }
}

/// 2 to 10 upper-case letters, as an asset code is (the catalogue is checked when the server starts).
fn is_asset_code(key: &str) -> bool {
    money::AssetCode::parse(key).is_ok()
}

fn http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

impl RatesConfig {
    fn validate_sources(&self) -> Result<(), ConfigError> {
        if !http_url(&self.coingecko_base_url) {
            return Err(ConfigError::invalid(
                "rates.coingecko_base_url",
                "must be an http:// or https:// URL",
            ));
        }
        if let Some(url) = &self.fx_base_url
            && !http_url(url)
        {
            return Err(ConfigError::invalid(
                "rates.fx_base_url",
                "must be an http:// or https:// URL",
            ));
        }
        if let Some(key) = &self.coingecko_api_key
            && (key.expose().is_empty() || !key.expose().bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::invalid(
                "rates.coingecko_api_key",
                "must be non-empty printable ASCII without spaces",
            ));
        }
        for (code, id) in &self.coingecko_ids {
            let id_ok = (1..=100).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !is_asset_code(code) || !id_ok {
                return Err(ConfigError::invalid(
                    "rates.coingecko_ids",
                    format!("{code} = {id:?} must map an asset code to a CoinGecko id of a-z, 0-9, - and _"),
                ));
            }
        }
        if let Some(bad) = self.fx_currencies.iter().find(|c| !is_asset_code(c)) {
            return Err(ConfigError::invalid(
                "rates.fx_currencies",
                format!("{bad:?} must be an asset code such as EUR"),
            ));
        }
        if !is_asset_code(&self.pivot) {
            return Err(ConfigError::invalid("rates.pivot", "must be an asset code such as USD"));
        }
        let prefix_ok =
            (1..=64).contains(&self.redis_prefix.len()) && self.redis_prefix.bytes().all(|b| b.is_ascii_graphic());
        if !prefix_ok {
            return Err(ConfigError::invalid(
                "rates.redis_prefix",
                "must be 1 to 64 printable characters",
            ));
        }
        Ok(())
    }

    fn validate_numbers(&self) -> Result<(), ConfigError> {
        let within = |key: &'static str, value: u64, low: u64, high: u64| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::invalid(key, format!("must be between {low} and {high}")))
            }
        };
        within("rates.ttl_secs", self.ttl_secs, 1, 86_400)?;
        within("rates.max_stale_secs", self.max_stale_secs, 0, 7 * 86_400)?;
        if self.max_stale_secs < self.ttl_secs {
            return Err(ConfigError::invalid(
                "rates.max_stale_secs",
                "must be at least rates.ttl_secs",
            ));
        }
        within("rates.refresh_interval_secs", self.refresh_interval_secs, 1, 86_400)?;
        // A request waits at most this long for a provider, so it must stay a few seconds at most.
        within("rates.request_timeout_ms", self.request_timeout_ms, 50, 10_000)?;
        within("rates.retries", u64::from(self.retries), 0, 5)?;
        within(
            "rates.breaker_min_requests",
            u64::from(self.breaker_min_requests),
            1,
            10_000,
        )?;
        within("rates.breaker_window_secs", self.breaker_window_secs, 1, 3600)?;
        within(
            "rates.breaker_failure_percent",
            u64::from(self.breaker_failure_percent),
            1,
            100,
        )?;
        within("rates.breaker_open_secs", self.breaker_open_secs, 1, 3600)?;
        within(
            "rates.breaker_half_open_trials",
            u64::from(self.breaker_half_open_trials),
            1,
            1000,
        )?;
        if self.refresh_pairs.len() > 500 {
            return Err(ConfigError::invalid(
                "rates.refresh_pairs",
                "must list at most 500 pairs",
            ));
        }
        Ok(())
    }

    /// The static table as exact rates, `(base, quote) → rate`; a value that is not an exact [`money::Rate`]
    /// (zero, negative, more than 18 places or 28 digits, an exponent) is refused, never rounded.
    pub fn static_table(&self) -> Result<BTreeMap<(String, String), money::Rate>, ConfigError> {
        let mut table = BTreeMap::new();
        for (base, quotes) in &self.static_rates {
            for (quote, text) in quotes {
                if !is_asset_code(base) || !is_asset_code(quote) || base == quote {
                    return Err(ConfigError::invalid(
                        "rates.static_rates",
                        format!("{base}.{quote} must pair two different asset codes"),
                    ));
                }
                let rate = money::Rate::parse(text).map_err(|e| {
                    ConfigError::invalid(
                        "rates.static_rates",
                        format!("{base}.{quote} = {text:?} is not an exact rate: {e}"),
                    )
                })?;
                table.insert((base.clone(), quote.clone()), rate);
            }
        }
        Ok(table)
    }

    /// `refresh_pairs` as `(base, quote)` codes.
    pub fn pairs(&self) -> Result<Vec<(String, String)>, ConfigError> {
        let mut pairs = Vec::new();
        for pair in &self.refresh_pairs {
            match pair.split_once('/') {
                Some((base, quote)) if is_asset_code(base) && is_asset_code(quote) && base != quote => {
                    let pair = (base.to_owned(), quote.to_owned());
                    if pairs.contains(&pair) {
                        return Err(ConfigError::invalid(
                            "rates.refresh_pairs",
                            format!("{base}/{quote} appears twice"),
                        ));
                    }
                    pairs.push(pair);
                }
                _ => {
                    return Err(ConfigError::invalid(
                        "rates.refresh_pairs",
                        format!("{pair:?} must be two different asset codes such as \"BTC/USD\""),
                    ));
                }
            }
        }
        Ok(pairs)
    }
}

#[cfg(test)]
// figment's `Jail` closures return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;
    use platform::config::{Overrides, Sources};

    fn load_in_jail() -> Result<RatesConfig, ConfigError> {
        Sources::load(None, &Overrides::default())?.section()
    }

    fn load_error_in_jail() -> String {
        load_in_jail().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn defaults_point_at_coingecko_with_the_seeded_ids_and_the_seed_breaker() {
        let config = RatesConfig::default();
        assert_eq!(config.coingecko_base_url, "https://api.coingecko.com/api/v3");
        assert_eq!(
            config.coingecko_ids.get("AVAX").map(String::as_str),
            Some("avalanche-2")
        );
        assert_eq!(config.coingecko_ids.len(), 18);
        assert_eq!((config.ttl_secs, config.max_stale_secs), (60, 600));
        assert_eq!(
            (
                config.breaker_min_requests,
                config.breaker_window_secs,
                config.breaker_failure_percent,
                config.breaker_open_secs,
                config.breaker_half_open_trials
            ),
            (10, 60, 60, 30, 5)
        );
        assert!(config.validate().is_ok());
    }

    #[test]
    fn static_rates_load_exactly_and_an_inexact_one_stops_start_up() {
        Jail::expect_with(|jail| {
            jail.create_file("bourse.toml", "[rates]\nstatic_rates.EUR = { USD = \"1.0842\" }")?;
            let config = load_in_jail().map_err(|e| e.to_string())?;
            let table = config.static_table().map_err(|e| e.to_string())?;
            assert_eq!(table[&("EUR".to_owned(), "USD".to_owned())].to_string(), "1.0842");
            for toml in [
                "[rates]\nstatic_rates.EUR = { USD = \"0\" }",
                "[rates]\nstatic_rates.EUR = { USD = \"-1\" }",
                "[rates]\nstatic_rates.EUR = { USD = \"1e3\" }",
                "[rates]\nstatic_rates.EUR = { USD = \"0.1234567890123456789\" }",
                "[rates]\nstatic_rates.eur = { USD = \"1\" }",
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load_error_in_jail();
                assert!(error.contains("`rates.static_rates`"), "{toml}: {error}");
            }
            Ok(())
        });
    }

    #[test]
    fn bad_values_stop_start_up_naming_the_key_and_the_api_key_is_masked() {
        Jail::expect_with(|jail| {
            for (toml, key) in [
                ("[rates]\nttl_secs = 0", "ttl_secs"),
                ("[rates]\nttl_secs = 700", "max_stale_secs"),
                ("[rates]\nrequest_timeout_ms = 60000", "request_timeout_ms"),
                ("[rates]\nretries = 9", "retries"),
                ("[rates]\nbreaker_failure_percent = 0", "breaker_failure_percent"),
                ("[rates]\nrefresh_pairs = [\"BTC-USD\"]", "refresh_pairs"),
                ("[rates]\nrefresh_pairs = [\"BTC/USD\", \"BTC/USD\"]", "refresh_pairs"),
                ("[rates]\ncoingecko_base_url = \"ftp://x\"", "coingecko_base_url"),
                ("[rates]\ncoingecko_ids = { BTC = \"Bit Coin\" }", "coingecko_ids"),
                ("[rates]\npivot = \"usd\"", "pivot"),
                ("[rates]\nfx_currencies = [\"eur\"]", "fx_currencies"),
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load_error_in_jail();
                assert!(error.contains(&format!("`rates.{key}`")), "{toml}: {error}");
            }
            jail.create_file("bourse.toml", "[rates]\nunknown_key = 1")?;
            assert!(load_error_in_jail().contains("unknown_key"));
            jail.create_file("bourse.toml", "[rates]\ncoingecko_api_key = \"CG-secretkey123\"")?;
            let config = load_in_jail().map_err(|e| e.to_string())?;
            assert_eq!(
                config.coingecko_api_key.as_ref().map(|k| k.expose().as_str()),
                Some("CG-secretkey123")
            );
            let shown = toml::to_string(&platform::config::table(&config)).unwrap();
            assert!(!shown.contains("CG-secretkey123"), "{shown}");
            Ok(())
        });
    }
}
