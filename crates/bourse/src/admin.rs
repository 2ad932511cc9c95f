//! `bourse admin …`: operator tasks that work on the configured storage directly, whether or not a server is
//! running on it. The first admin can only be made here, so no default password exists anywhere.

use anyhow::{Context, bail};
use bourse::Settings;
use identity::{PasswordHasher, Staff};
use platform::SystemClock;
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

/// Creates an admin account with a password read from standard input (prompted for, unechoed, on a terminal).
pub async fn create_admin(settings: Settings, email: &str, full_name: &str) -> anyhow::Result<()> {
    let password = read_password()?;
    let db = bourse::open_database(&settings.platform)
        .await
        .context("cannot open the database")?;
    let hasher = PasswordHasher::from_config(&settings.identity).context("argon2 parameters")?;
    let staff = Staff::new(db.clone(), Arc::new(SystemClock), hasher);
    let result = staff.create_admin(email, full_name, &password).await;
    db.close().await;
    let user = result.map_err(|e| anyhow::anyhow!("cannot create the admin: {e}"))?;
    println!(
        "admin {} created ({}); log in and turn on 2FA before using staff routes",
        user.email, user.id
    );
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password for the new admin: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input (send it as the first line)");
    }
    Ok(password)
}
