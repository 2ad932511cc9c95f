//! The configuration's loading and validation, through figment's `Jail` (a scratch environment per test).
// figment's `Jail` closures return its own (large) error type.
#![allow(clippy::result_large_err)]

use super::*;
use figment::Jail;

fn load_in_jail() -> Result<Config, ConfigError> {
    Config::load(None, &Overrides::default())
}

/// Each `(variable, value)` alone stops loading with an error that names the key.
fn each_is_refused_naming_its_key(cases: &[(&str, &str)]) {
    for (key, value) in cases {
        Jail::expect_with(|jail| {
            jail.set_env(key, value);
            let err = load_in_jail().unwrap_err().to_string();
            assert!(err.contains(&key["BOURSE_".len()..].to_ascii_lowercase()), "{err}");
            Ok(())
        });
    }
}

#[test]
fn defaults_need_nothing_configured() {
    Jail::expect_with(|_| {
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./bourse-data"));
        assert!(config.database_url.is_none());
        assert_eq!(config.body_limit_bytes, 1024 * 1024);
        Ok(())
    });
}

#[test]
fn file_then_env_then_flags() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "bourse.toml",
            "listen = \"127.0.0.1:9000\"\nbody_limit_bytes = 4096\nhsts = true",
        )?;
        jail.set_env("BOURSE_BODY_LIMIT_BYTES", "8192");
        jail.set_env("DATABASE_URL", "postgres://a:b@localhost/x");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.body_limit_bytes, 8192);
        assert!(config.hsts);
        assert_eq!(
            config.database_url.as_ref().map(|u| u.expose().as_str()),
            Some("postgres://a:b@localhost/x")
        );

        let flags = Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            data_dir: Some(PathBuf::from("elsewhere")),
        };
        let config = Config::load(None, &flags).map_err(|e| e.to_string())?;
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.data_dir, PathBuf::from("elsewhere"));
        Ok(())
    });
}

#[test]
fn bourse_prefixed_database_url_wins_over_conventional() {
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "postgres://conventional/x");
        jail.set_env("BOURSE_DATABASE_URL", "postgres://prefixed/x");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.database_url.unwrap().expose(), "postgres://prefixed/x");
        Ok(())
    });
}

#[test]
fn a_bad_value_names_its_key() {
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_LISTEN", "not-an-address");
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("listen"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_BODY_LIMIT_BYTES", "12");
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("body_limit_bytes"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "mysql://x");
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file("bourse.toml", "lisen = \"127.0.0.1:1\"")?;
        let err = load_in_jail().unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
        Ok(())
    });
}

#[test]
fn test_suite_variables_are_not_configuration() {
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_TEST_DATABASE_URL", "postgres://x/y");
        jail.set_env("BOURSE_CONFIG", "elsewhere.toml");
        assert!(load_in_jail().map_err(|e| e.to_string())?.database_url.is_none());
        Ok(())
    });
}

#[test]
fn an_empty_database_url_means_sqlite() {
    Jail::expect_with(|jail| {
        jail.set_env("DATABASE_URL", "");
        assert!(load_in_jail().map_err(|e| e.to_string())?.database_url.is_none());
        Ok(())
    });
}

#[test]
fn rate_limit_keys_are_checked() {
    let config = Config::default();
    assert_eq!(
        (config.rate_limit_basic, config.rate_limit_pro, config.rate_limit_login),
        (60, 300, 5)
    );
    each_is_refused_naming_its_key(&[
        ("BOURSE_RATE_LIMIT_BASIC", "0"),
        ("BOURSE_RATE_LIMIT_WINDOW_SECS", "0"),
        ("BOURSE_RATE_LIMIT_REDIS_PREFIX", "has space"),
        ("BOURSE_RATE_LIMIT_TRUSTED_PROXIES", "[\"not-an-ip\"]"),
    ]);
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_RATE_LIMIT_TRUSTED_PROXIES", "[\"10.0.0.2\", \"::1\"]");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(config.rate_limit_trusted_proxies, ["10.0.0.2", "::1"]);
        Ok(())
    });
}

#[test]
fn password_hashing_keys_are_checked() {
    assert_eq!(Config::default().password_hash_concurrency, None);
    each_is_refused_naming_its_key(&[
        ("BOURSE_PASSWORD_HASH_CONCURRENCY", "0"),
        ("BOURSE_PASSWORD_HASH_CONCURRENCY", "257"),
        ("BOURSE_PASSWORD_HASH_QUEUE", "10001"),
        ("BOURSE_PASSWORD_HASH_WAIT_MS", "0"),
    ]);
    Jail::expect_with(|jail| {
        jail.set_env("BOURSE_PASSWORD_HASH_CONCURRENCY", "3");
        jail.set_env("BOURSE_PASSWORD_HASH_QUEUE", "0");
        let config = load_in_jail().map_err(|e| e.to_string())?;
        assert_eq!(
            (config.password_hash_concurrency, config.password_hash_queue),
            (Some(3), 0)
        );
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
        database_url: Some(Secret::new("postgres://u:topsecret@db/x".into())),
        jwt_secret: Some(Secret::new("00112233".into())),
        data_encryption_key: Some(Secret::new("44556677".into())),
        ..Config::default()
    };
    let shown = config.to_masked_toml();
    assert!(!shown.contains("topsecret"), "{shown}");
    assert!(!shown.contains("00112233"), "{shown}");
    assert!(!shown.contains("44556677"), "{shown}");
    assert!(shown.contains("postgres://u:********@db/x"), "{shown}");
    assert!(shown.contains("listen = \"127.0.0.1:8080\""), "{shown}");
}
