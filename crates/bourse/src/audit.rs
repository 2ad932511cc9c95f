//! `bourse audit`: recomputes every balance from the journal and checks the ledger's invariants (each asset sums
//! to zero, no wallet below zero, stored totals and hold states equal a replay of the journal). Prints every
//! discrepancy and fails, or prints a one-line summary.

use anyhow::Context;
use platform::{Config, SystemClock};
use std::sync::Arc;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = bourse::open_database(&config)
        .await
        .context("cannot open the database")?;
    let ledger = ledger::Ledger::new(db.clone(), Arc::new(SystemClock));
    let report = ledger.audit().await;
    db.close().await;
    let report = report.context("the audit could not read the ledger")?;
    for discrepancy in &report.discrepancies {
        let (kind, message) = ledger::describe_discrepancy(discrepancy);
        println!("{kind}: {message}");
    }
    if !report.is_clean() {
        anyhow::bail!(
            "{} discrepancies in {} accounts and {} transfers",
            report.discrepancies.len(),
            report.accounts,
            report.transfers
        );
    }
    println!(
        "ledger clean: {} accounts, {} transfers, {} holds, {} assets checked",
        report.accounts,
        report.transfers,
        report.holds,
        report.assets.len()
    );
    Ok(())
}
