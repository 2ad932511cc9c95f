use anyhow::Context;
use bourse::{Server, Settings};
use clap::{Args, Parser, Subcommand};
use platform::Config;
use platform::config::Overrides;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "bourse", version, about = "One server for a crypto and fiat money platform.")]
pub struct Cli {
    /// Configuration file (TOML). Default: ./bourse.toml when it exists.
    #[arg(long, global = true, env = "BOURSE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(Location),
    /// Apply pending database migrations and exit.
    Migrate(Location),
    /// Print the effective configuration, secrets masked.
    Config(Location),
    /// Operator tasks on the configured storage.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the ledger: recompute every balance from the journal; exits non-zero on any discrepancy.
    Audit(Location),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an admin account; the password is read from standard input (prompted for on a terminal).
    CreateAdmin {
        /// The admin's email, used to log in.
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long, default_value = "Administrator")]
        full_name: String,
        #[command(flatten)]
        location: Location,
    },
}

#[derive(Debug, Args)]
struct Location {
    /// Address to listen on (port 0 picks a free port). Also BOURSE_SERVER__LISTEN.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Data directory for the embedded database, generated secrets and local files. Also BOURSE_STORAGE__DATA_DIR.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl Location {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let location = match &cli.command {
        Command::Serve(l) | Command::Migrate(l) | Command::Config(l) | Command::Audit(l) => l,
        Command::Admin(AdminCommand::CreateAdmin { location, .. }) => location,
    };
    let settings = Settings::load(cli.config.as_deref(), &location.overrides())?;
    let log_format = settings.platform.log.format;
    match cli.command {
        Command::Serve(_) => serve(settings).await,
        Command::Migrate(_) => migrate(settings.platform).await,
        Command::Audit(_) => {
            platform::telemetry::init_logging(log_format, "warn");
            crate::audit::run(settings.platform).await
        }
        Command::Admin(AdminCommand::CreateAdmin { email, full_name, .. }) => {
            platform::telemetry::init_logging(log_format, "warn");
            crate::admin::create_admin(settings, &email, &full_name).await
        }
        Command::Config(_) => {
            print!("{}", settings.to_masked_toml());
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let config = &settings.platform;
    platform::telemetry::init_logging(config.log.format, &config.log.filter);
    let backend = if config.storage.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let data_dir = config.storage.data_dir.clone();
    let app = Server::build(settings).await.context("start-up failed")?;
    let addr = app.local_addr();
    println!(
        "Bourse {} listening on http://{addr} ({backend}, data in {}): API at http://{addr}/v1, Swagger UI at http://{addr}/api",
        env!("CARGO_PKG_VERSION"),
        data_dir.display(),
    );
    app.run_until_stopped(shutdown_signal()).await.context("server failed")
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    platform::telemetry::init_logging(config.log.format, &config.log.filter);
    let db = bourse::open_database(&config).await.context("migration failed")?;
    db.close().await;
    println!("migrations applied ({})", db.backend().name());
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
