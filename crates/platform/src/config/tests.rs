//! The configuration's loading and validation, through figment's `Jail` (a scratch environment per test).
// figment's `Jail` closures return its own (large) error type.
#![allow(clippy::result_large_err)]

use super::*;
use crate::Secret;
use figment::Jail;

fn load_in_jail() -> Result<Config, ConfigError> {
    Config::load(None, &Overrides::default())
}

/// Each `(variable, value)` alone stops loading with an error that names the key as `section.key`.
fn each_is_refused_naming_its_key(cases: &[(&str, &str)]) {
    for (variable, value) in cases {
        Jail::expect_with(|jail| {
            jail.set_env(variable, value);
            let err = load_in_jail().unwrap_err().to_string();
            let key = variable["BOURSE_".len()..].to_ascii_lowercase().replace("__", ".");
            assert!(err.contains(&key), "{variable}: {err}");
            Ok(())
        });
    }
}

#[test]
fn defaults_need_nothing_configured() {
    Jail::expect_with(|_| {
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.storage.data_dir, PathBuf::from("./bourse-data"));
        assert!(config.storage.database_url.is_none());
        assert_eq!(config.server.body_limit_bytes, 1024 * 1024);
        Ok(())
    });
}

#[test]
fn file_then_env_then_flags() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "bourse.toml",
            "[server]\nlisten = \"127.0.0.1:9000\"\nbody_limit_bytes = 4096\nhsts = true",
        )?;
        jail.set_env("BOURSE_SERVER__BODY_LIMIT_BYTES", "8192");
        jail.set_env("DATABASE_URL", "postgres://a:b@localhost/x");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.server.body_limit_bytes, 8192);
        assert!(config.server.hsts);
        assert_eq!(
            config.storage.database_url.as_ref().map(|u| u.expose().as_str()),
            Some("postgres://a:b@localhost/x")
        );

        let flags = Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            data_dir: Some(PathBuf::from("elsewhere")),
        };
        let config = Config::load(None, &flags).map_err(|e| e.to_string())?;
        assert_eq!(config.server.listen.port(), 0);
        assert_eq!(config.storage.data_dir, PathBuf::from("elsewhere"));
        Ok(())
    });
}

#[test]
fn bourse_prefixed_database_url_wins_over_conventional() {
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "postgres://conventional/x");
        jail.set_env("BOURSE_STORAGE__DATABASE_URL", "postgres://prefixed/x");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.storage.database_url.unwrap().expose(), "postgres://prefixed/x");
        Ok(())
    });
}

#[test]
fn a_bad_value_names_its_key() {
    each_is_refused_naming_its_key(&[
        ("BOURSE_SERVER__LISTEN", "not-an-address"),
        ("BOURSE_SERVER__BODY_LIMIT_BYTES", "12"),
        ("BOURSE_OUTBOX__POLL_INTERVAL_MS", "0"),
        ("BOURSE_LOG__FORMAT", "xml"),
    ]);
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "mysql://x");
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("storage.database_url"), "{err}");
        Ok(())
    });
}

#[test]
fn an_unknown_key_or_table_is_refused_by_name() {
    for (toml, named) in [
        ("[server]\nlisen = \"127.0.0.1:1\"", "lisen"),
        ("[sever]\nlisten = \"127.0.0.1:1\"", "sever"),
        // The flat layout of earlier versions is refused, not silently ignored.
        ("listen = \"127.0.0.1:1\"", "listen"),
        ("server = 3", "server"),
    ] {
        Jail::expect_with(|jail| {
            jail.create_file("bourse.toml", toml)?;
            let err = load_in_jail().unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{named}")) || err.contains(&format!(".{named}`")),
                "{toml}: {err}"
            );
            assert!(err.contains("bourse.toml"), "the error names the file: {err}");
            Ok(())
        });
    }
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_LISTEN", "127.0.0.1:1");
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("`listen`"), "{err}");
        Ok(())
    });
}

#[test]
fn test_suite_variables_are_not_configuration() {
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_TEST_DATABASE_URL", "postgres://x/y");
        jail.set_env("BOURSE_CONFIG", "elsewhere.toml");
        assert!(
            load_in_jail()
                .map_err(|e| e.to_string())?
                .storage
                .database_url
                .is_none()
        );
        Ok(())
    });
}

#[test]
fn an_empty_database_url_means_sqlite() {
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "");
        assert!(
            load_in_jail()
                .map_err(|e| e.to_string())?
                .storage
                .database_url
                .is_none()
        );
        Ok(())
    });
}

#[test]
fn rate_limit_keys_are_checked() {
    let config = RateLimitsConfig::default();
    assert_eq!((config.basic, config.pro, config.login), (60, 300, 5));
    each_is_refused_naming_its_key(&[
        ("BOURSE_RATE_LIMITS__BASIC", "0"),
        ("BOURSE_RATE_LIMITS__WINDOW_SECS", "0"),
        ("BOURSE_RATE_LIMITS__REDIS_PREFIX", "has space"),
        ("BOURSE_RATE_LIMITS__TRUSTED_PROXIES", "[\"not-an-ip\"]"),
    ]);
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_RATE_LIMITS__TRUSTED_PROXIES", "[\"10.0.0.2\", \"::1\"]");
        jail.set_env("BOURSE_RATE_LIMITS__ENABLED", "false");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.rate_limits.trusted_proxies, ["10.0.0.2", "::1"]);
        assert!(!config.rate_limits.enabled);
        Ok(())
    });
}

/// A context's table as a context would declare it.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SampleSection {
    cooldown_secs: u64,
}

impl Default for SampleSection {
    fn default() -> Self {
        SampleSection { cooldown_secs: 86_400 }
    }
}

impl Section for SampleSection {
    const NAME: &'static str = "sample";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.cooldown_secs < 3600 {
            return Err(ConfigError::invalid("sample.cooldown_secs", "must be at least 3600"));
        }
        Ok(())
    }
}

#[test]
fn a_section_read_by_its_context_is_defaulted_validated_and_named() {
    Jail::expect_with(|jail| {
        let sources = Sources::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        let sample: SampleSection = sources.section().map_err(|e| e.to_string())?;
        assert_eq!(sample.cooldown_secs, 86_400);

        jail.create_file("bourse.toml", "[sample]\ncooldown_secs = 7200\n[server]\nhsts = true")?;
        let sources = Sources::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert!(sources.refuse_unknown(&["server", "sample"]).is_ok());
        let err = sources.refuse_unknown(&Config::SECTIONS).unwrap_err().to_string();
        assert!(err.contains("`sample`"), "a table no one reads is refused: {err}");
        let sample: SampleSection = sources.section().map_err(|e| e.to_string())?;
        assert_eq!(sample.cooldown_secs, 7200);

        jail.create_file("bourse.toml", "[sample]\ncooldown_secs = 60")?;
        let sources = Sources::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        let err = sources.section::<SampleSection>().unwrap_err().to_string();
        assert!(err.contains("`sample.cooldown_secs`"), "{err}");
        Ok(())
    });
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let err = Config::load(Some(Path::new("/nonexistent/bourse.toml")), &Overrides::default()).unwrap_err();
    assert!(matches!(err, ConfigError::File { .. }));
}

#[test]
fn printed_configuration_masks_secrets() {
    let config = Config {
        storage: StorageConfig {
            database_url: Some(Secret::new("postgres://u:topsecret@db/x".into())),
            ..StorageConfig::default()
        },
        secrets: SecretsConfig {
            jwt_secret: Some(Secret::new("00112233".into())),
            data_encryption_key: Some(Secret::new("44556677".into())),
        },
        ..Config::default()
    };
    let shown = to_toml(config.masked_tables());
    assert!(!shown.contains("topsecret"), "{shown}");
    assert!(!shown.contains("00112233"), "{shown}");
    assert!(!shown.contains("44556677"), "{shown}");
    assert!(shown.contains("postgres://u:********@db/x"), "{shown}");
    assert!(shown.contains("[server]"), "{shown}");
    assert!(shown.contains("listen = \"127.0.0.1:8080\""), "{shown}");
}
