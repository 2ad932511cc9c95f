//! The binary itself: flags, configuration errors, migrations, and a served request followed by a graceful stop.

use platform::test_support::TestDatabase;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bourse(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bourse"));
    command.current_dir(dir);
    for name in [
        "DATABASE_URL",
        "REDIS_URL",
        "NATS_URL",
        "BOURSE_CONFIG",
        "BOURSE_SERVER__LISTEN",
        "BOURSE_STORAGE__DATA_DIR",
    ] {
        command.env_remove(name);
    }
    command
}

#[test]
fn version_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let output = bourse(dir.path()).arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("bourse {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn config_prints_the_effective_configuration_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bourse.toml"), "[server]\nrequest_timeout_secs = 7\n").unwrap();
    let output = bourse(dir.path())
        .args(["config", "--listen", "127.0.0.1:9999"])
        .env("BOURSE_SECRETS__JWT_SECRET", "ab".repeat(32))
        .env("DATABASE_URL", "postgres://bourse:hunter2@db.internal:5432/bourse")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("listen = \"127.0.0.1:9999\""), "{text}");
    assert!(text.contains("request_timeout_secs = 7"), "{text}");
    assert!(
        text.contains("postgres://bourse:********@db.internal:5432/bourse"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains(&"ab".repeat(32)), "{text}");
}

#[test]
fn invalid_configuration_stops_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = bourse(dir.path())
        .arg("serve")
        .env("BOURSE_SERVER__REQUEST_TIMEOUT_SECS", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("server.request_timeout_secs"), "{err}");

    let output = bourse(dir.path())
        .arg("serve")
        .env("BOURSE_SERVER__LISTNE", "x")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("listne"));

    // Every context's table is known to the binary; a key outside any table, or a table nobody reads, is refused.
    for (file, named) in [
        ("request_timeout_secs = 7\n", "`request_timeout_secs`"),
        ("[identiti]\nargon2_iterations = 1\n", "`identiti`"),
        ("[identity]\nargon2_iteration = 1\n", "identity.argon2_iteration"),
        (
            "[funding]\nwithdrawal_destination_cooldown_secs = 1\n",
            "`funding.withdrawal_destination_cooldown_secs`",
        ),
    ] {
        std::fs::write(dir.path().join("bourse.toml"), file).unwrap();
        let output = bourse(dir.path()).arg("config").output().unwrap();
        assert!(!output.status.success(), "{file}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains(named), "{file}: {err}");
    }
    std::fs::write(
        dir.path().join("bourse.toml"),
        "[identity]\nargon2_iterations = 3\n[ledger]\nhold_expiry_interval_secs = 9\n",
    )
    .unwrap();
    let output = bourse(dir.path()).arg("config").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        text.contains("[identity]") && text.contains("argon2_iterations = 3"),
        "{text}"
    );
    assert!(text.contains("hold_expiry_interval_secs = 9"), "{text}");
}

/// `bourse serve` on `url`: it must stop at once with an error on standard error.
fn serve_fails_with(url: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = bourse(dir.path())
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("BOURSE_STORAGE__DB_ACQUIRE_TIMEOUT_SECS", "2")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unreachable_postgresql_is_named_with_the_cause_and_never_the_password() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = serve_fails_with(&format!("postgres://bourse:hunter2@127.0.0.1:{port}/bourse"));
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("refused"), "{err}");
    assert!(err.contains("database bourse"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let err = serve_fails_with("postgres://bourse:hunter2@no-such-host.invalid:5432/bourse");
    assert!(err.contains("no-such-host.invalid:5432"), "{err}");
    assert!(err.contains("unknown host"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn a_missing_postgresql_database_is_named() {
    let Ok(admin) = std::env::var(platform::test_support::DATABASE_URL_VAR) else {
        return;
    };
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    let err = serve_fails_with(&format!("{base}/bourse_never_created"));
    assert!(err.contains("database bourse_never_created does not exist"), "{err}");
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = bourse(dir.path())
        .arg("migrate")
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied (sqlite)"));
    assert!(data.join("bourse.sqlite3").is_file());
    let again = bourse(dir.path())
        .arg("migrate")
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(again.status.success(), "migrating twice is harmless: {again:?}");
}

#[test]
fn audit_of_a_fresh_ledger_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let output = bourse(dir.path())
        .arg("audit")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("ledger clean: 0 accounts, 0 transfers, 0 holds, 0 assets checked"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_lists_a_discrepancy_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = platform::config::StorageConfig {
        data_dir: data.clone(),
        ..platform::config::StorageConfig::default()
    };
    let db = platform::db::connect(&config).await.unwrap();
    db.migrate().await.unwrap();
    // A system account credited out of nowhere: USD no longer sums to zero and the journal does not explain it.
    platform::on_db!(&db, pool => sqlx::query(
        "INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, credits_posted, created_at) \
         VALUES ($1, NULL, 'USD', 'fees', FALSE, '5', '2026-11-25T00:00:00Z')"
    ).bind(uuid_bytes()).execute(pool).await.map(|_| ()))
    .unwrap();
    db.close().await;
    let output = bourse(dir.path())
        .arg("audit")
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("unbalanced: USD: posted debits and credits"), "{text}");
    assert!(text.contains("drift: account"), "{text}");
}

/// A fixed 16-byte id, stored the way the server stores UUIDs on SQLite.
fn uuid_bytes() -> Vec<u8> {
    (1..=16).collect()
}

#[tokio::test]
async fn serve_prints_where_it_listens_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let pg = TestDatabase::from_env().await;
    let mut command = bourse(dir.path());
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOURSE_LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(pg) = &pg {
        command.env("DATABASE_URL", &pg.url);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(line.contains("Swagger UI at http://127.0.0.1:"), "{line}");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split([' ', '/']).next())
        .unwrap()
        .to_owned();
    assert!(!addr.ends_with(":0"), "the real port is shown: {line}");
    assert!(
        dir.path().join("bourse-data").join("secrets").is_dir(),
        "default data directory"
    );

    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful stop exits 0: {exit:?}");
}

/// Runs `bourse admin create-admin` with `password` on standard input.
async fn create_admin(
    dir: &std::path::Path,
    pg: Option<&TestDatabase>,
    email: &str,
    password: &str,
) -> std::process::Output {
    let mut command = bourse(dir);
    command
        .args(["admin", "create-admin", "--email", email, "--data-dir"])
        .arg(dir.join("data"))
        .env("BOURSE_IDENTITY__ARGON2_MEMORY_KIB", "8192")
        .env("BOURSE_IDENTITY__ARGON2_ITERATIONS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(pg) = pg {
        command.env("DATABASE_URL", &pg.url);
    }
    let mut child = command.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_refuses_weak_ones_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let pg = TestDatabase::from_env().await;
    let weak = create_admin(dir.path(), pg.as_ref(), "root@example.com", "password").await;
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"), "{weak:?}");

    let made = create_admin(dir.path(), pg.as_ref(), "root@example.com", "plum-rain-91-orbit").await;
    assert!(made.status.success(), "{made:?}");
    let out = String::from_utf8_lossy(&made.stdout);
    assert!(out.contains("admin root@example.com created"), "{out}");
    assert!(!out.contains("plum-rain"), "the password is never echoed");

    let again = create_admin(dir.path(), pg.as_ref(), "root@example.com", "plum-rain-91-orbit").await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{again:?}"
    );

    let empty = create_admin(dir.path(), pg.as_ref(), "other@example.com", "").await;
    assert!(!empty.status.success());
}
