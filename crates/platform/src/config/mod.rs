//! Configuration in one place: built-in defaults, then an optional TOML file, then environment variables
//! (`BOURSE_<SECTION>__<KEY>`, and the conventional `DATABASE_URL`, `REDIS_URL`, `NATS_URL`), then command-line
//! flags.
//!
//! The file has one table per context: `[server]`, `[storage]`, `[identity]`, `[funding]`, … Each context owns
//! its table: it declares the keys as a [`Section`], gives their defaults and validates them. This module only
//! gathers the sources ([`Sources`]) and the platform's own tables ([`Config`]); the binary lists every section,
//! so a table or key nobody owns stops start-up, named, as an invalid value does.

use crate::secret::mask_url_password;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod log;
mod outbox;
mod rate_limits;
mod secrets;
mod server;
mod storage;

pub use log::{LogConfig, LogFormat};
pub use outbox::OutboxConfig;
pub use rate_limits::RateLimitsConfig;
pub use secrets::SecretsConfig;
pub use server::ServerConfig;
pub use storage::StorageConfig;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "bourse.toml";

/// One table of the configuration, owned by the context that reads it.
///
/// Implementations are `#[serde(default, deny_unknown_fields)]` structs whose `Default` is the documented
/// defaults, so a table may give any subset of its keys and a misspelt key is refused.
pub trait Section: Serialize + DeserializeOwned + Default {
    /// The table's name in the file, and the `BOURSE_<NAME>__` prefix of its environment variables.
    const NAME: &'static str;

    /// Checks what serde cannot; an error names the key as `<section>.<key>`.
    fn validate(&self) -> Result<(), ConfigError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Parse(String),
    #[error("invalid configuration: `{key}` {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("configuration file {path} cannot be read: {reason}")]
    File { path: PathBuf, reason: String },
}

impl ConfigError {
    pub fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key,
            reason: reason.into(),
        }
    }
}

/// Values given on the command line; they win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

/// Every source of configuration, merged; sections are read out of it one by one.
pub struct Sources {
    figment: Figment,
}

impl Sources {
    /// `file` is an explicit `--config` path (which must exist); without it `bourse.toml` in the working
    /// directory is read when present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Sources, ConfigError> {
        let mut figment = Figment::new();
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError::File {
                    path: path.to_owned(),
                    reason: "no such file".to_owned(),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // The conventional names first, so the BOURSE_ ones can override them.
        figment = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL", "REDIS_URL", "NATS_URL"])
                    .map(|key| format!("storage.{}", key.as_str().to_ascii_lowercase()).into()),
            )
            .merge(bourse_env());
        if let Some(listen) = overrides.listen {
            figment = figment.merge(("server.listen", listen.to_string()));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(("storage.data_dir", dir));
        }
        Ok(Sources { figment })
    }

    /// Sources that are only what `figment` holds (tests build one by hand).
    pub fn from_figment(figment: Figment) -> Sources {
        Sources { figment }
    }

    /// The section's table, its defaults filling what no source gives, validated.
    pub fn section<S: Section>(&self) -> Result<S, ConfigError> {
        // The defaults are merged under the sources, not replaced by them, so a map the file extends keeps the
        // default entries it does not name.
        let section: S = Figment::from(Serialized::defaults(S::default()))
            .merge(self.figment.focus(S::NAME))
            .extract()
            .map_err(|e| ConfigError::Parse(describe_figment_error(e, S::NAME)))?;
        section.validate()?;
        Ok(section)
    }

    /// Refuses a top-level key that is not one of `sections`: a misspelt table, or a key of the old flat layout.
    pub fn refuse_unknown(&self, sections: &[&str]) -> Result<(), ConfigError> {
        let data = self
            .figment
            .data()
            .map_err(|e| ConfigError::Parse(describe_figment_error(e, "")))?;
        for dict in data.values() {
            for (key, value) in dict {
                if sections.contains(&key.as_str()) {
                    if value.as_dict().is_none() {
                        return Err(ConfigError::Parse(format!(
                            "`{key}` must be a table of keys ([{key}] in the file){}",
                            self.source_of(key)
                        )));
                    }
                    continue;
                }
                return Err(ConfigError::Parse(format!(
                    "unknown key `{key}`{}; the file's tables are {}",
                    self.source_of(key),
                    sections.iter().map(|s| format!("[{s}]")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    }

    fn source_of(&self, key: &str) -> String {
        self.figment
            .find_metadata(key)
            .map(|m| match &m.source {
                Some(source) => format!(" in {} ({source})", m.name),
                None => format!(" in {}", m.name),
            })
            .unwrap_or_default()
    }
}

/// The platform's own tables: how Bourse serves, stores, keeps its keys, logs, relays events and limits rates.
/// The contexts' tables sit beside these in the binary's settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub secrets: SecretsConfig,
    pub log: LogConfig,
    pub outbox: OutboxConfig,
    pub rate_limits: RateLimitsConfig,
}

impl Config {
    /// The names of the platform's tables.
    pub const SECTIONS: [&'static str; 6] = [
        ServerConfig::NAME,
        StorageConfig::NAME,
        SecretsConfig::NAME,
        LogConfig::NAME,
        OutboxConfig::NAME,
        RateLimitsConfig::NAME,
    ];

    pub fn from_sources(sources: &Sources) -> Result<Config, ConfigError> {
        Ok(Config {
            server: sources.section()?,
            storage: sources.section()?,
            secrets: sources.section()?,
            log: sources.section()?,
            outbox: sources.section()?,
            rate_limits: sources.section()?,
        })
    }

    /// Loads only the platform's tables, refusing any other: for tools and tests that need nothing else.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let sources = Sources::load(file, overrides)?;
        sources.refuse_unknown(&Config::SECTIONS)?;
        Config::from_sources(&sources)
    }

    /// The platform's tables as TOML values with every secret masked (URLs keep all but their password), for
    /// `bourse config`.
    pub fn masked_tables(&self) -> Vec<(&'static str, toml::Value)> {
        let mut storage = table(&self.storage);
        if let Some(storage) = storage.as_table_mut() {
            for (key, url) in [
                ("database_url", &self.storage.database_url),
                ("redis_url", &self.storage.redis_url),
                ("nats_url", &self.storage.nats_url),
            ] {
                if let Some(url) = url {
                    storage.insert(key.to_owned(), toml::Value::String(mask_url_password(url.expose())));
                }
            }
        }
        vec![
            (ServerConfig::NAME, table(&self.server)),
            (StorageConfig::NAME, storage),
            (SecretsConfig::NAME, table(&self.secrets)),
            (LogConfig::NAME, table(&self.log)),
            (OutboxConfig::NAME, table(&self.outbox)),
            (RateLimitsConfig::NAME, table(&self.rate_limits)),
        ]
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.storage.sqlite_path()
    }
}

/// A section as a TOML value; secrets serialize as their mask.
pub fn table<S: Serialize>(section: &S) -> toml::Value {
    toml::Value::try_from(section).unwrap_or_else(|e| toml::Value::String(format!("cannot be shown: {e}")))
}

/// Tables as one TOML document, in the order given.
pub fn to_toml(tables: Vec<(&'static str, toml::Value)>) -> String {
    let document: toml::Table = tables
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    toml::to_string_pretty(&document).unwrap_or_else(|e| format!("# configuration cannot be shown: {e}\n"))
}

/// `BOURSE_<SECTION>__<KEY>` variables, less the ones that configure other things: `BOURSE_CONFIG` names the
/// file, and `BOURSE_TEST_*` / `BOURSE_CI_*` point the test suites at services. Every other `BOURSE_*` name must
/// be a known key, so a typo stops start-up instead of being ignored.
fn bourse_env() -> Env {
    Env::prefixed("BOURSE_")
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            key != "config" && !key.starts_with("test_") && !key.starts_with("ci_")
        })
        .split("__")
}

/// Figment's messages name the key (here prefixed with its `section`) and the source; this keeps them and drops
/// the Rust type noise.
fn describe_figment_error(error: figment::Error, section: &str) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = std::iter::once(section)
                .chain(e.path.iter().map(String::as_str))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!(" in {} ({src})", m.name),
                    None => format!(" in {}", m.name),
                })
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                format!("`{key}`: {}{source}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
