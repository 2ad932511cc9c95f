//! The ledger audit over the whole store: every account, the whole journal in the order it was applied and every
//! hold state, checked with the core's invariants and against a replay of the journal. What `bourse audit` and
//! `GET /v1/admin/ledger/audit` report.

use crate::books::{Books, Discrepancy, TransferId};
use crate::{LedgerError, store};
use money::AssetCode;
use platform::Db;
use std::collections::{BTreeMap, BTreeSet};

/// What the audit found: empty `discrepancies` means the books are right.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub accounts: usize,
    pub transfers: usize,
    pub holds: usize,
    pub assets: Vec<AssetCheck>,
    pub discrepancies: Vec<Discrepancy>,
}

/// One asset's conservation check: its accounts' debits equal their credits, posted and pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetCheck {
    pub asset: AssetCode,
    pub accounts: usize,
    pub balanced: bool,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.discrepancies.is_empty()
    }
}

/// Recomputes every balance from the journal and checks the invariants, on one consistent snapshot of the
/// ledger (see [`store::snapshot`]).
pub(crate) async fn audit(db: &Db) -> Result<AuditReport, LedgerError> {
    let mut tx = store::snapshot(db).await?;
    let accounts = store::all_accounts(&mut tx).await?;
    let journal = store::journal(&mut tx).await?;
    let holds = store::holds(&mut tx).await?;
    tx.rollback().await?;
    let mut stored = Books::new();
    for account in &accounts {
        stored.insert_account(account.account.clone());
    }
    let mut discrepancies = stored.check_invariants();
    match Books::replay(accounts.iter().map(|a| &a.account), journal.iter()) {
        Ok(rebuilt) => {
            discrepancies.extend(stored.compare(&rebuilt, holds.iter().copied()));
            // A hold the journal opened but the store has no state for was lost.
            let known: BTreeSet<TransferId> = holds.iter().map(|(id, _)| *id).collect();
            for (pending, _) in rebuilt.holds() {
                if !known.contains(&pending) {
                    discrepancies.push(Discrepancy::HoldState { pending });
                }
            }
        }
        Err(unreplayable) => discrepancies.push(unreplayable),
    }
    let mut per_asset: BTreeMap<AssetCode, usize> = BTreeMap::new();
    for account in &accounts {
        *per_asset.entry(account.account.asset).or_default() += 1;
    }
    let assets = per_asset
        .into_iter()
        .map(|(asset, count)| AssetCheck {
            asset,
            accounts: count,
            balanced: !discrepancies
                .iter()
                .any(|d| matches!(d, Discrepancy::Unbalanced { asset: a, .. } if *a == asset)),
        })
        .collect();
    Ok(AuditReport {
        accounts: accounts.len(),
        transfers: journal.len(),
        holds: holds.len(),
        assets,
        discrepancies,
    })
}

/// A short machine name and a sentence for an operator.
pub fn describe(discrepancy: &Discrepancy) -> (&'static str, String) {
    match discrepancy {
        Discrepancy::Unbalanced { asset, pending } => (
            "unbalanced",
            format!(
                "{asset}: {} debits and credits across all accounts differ",
                if *pending { "pending" } else { "posted" }
            ),
        ),
        Discrepancy::Overdrawn { account } => (
            "overdrawn",
            format!("account {}: a wallet has more debits than credits", account.0),
        ),
        Discrepancy::Drift { account } => (
            "drift",
            format!(
                "account {}: stored totals differ from a replay of the journal",
                account.0
            ),
        ),
        Discrepancy::HoldState { pending } => (
            "hold_state",
            format!("hold {}: stored state differs from a replay of the journal", pending.0),
        ),
        Discrepancy::Unreplayable { transfer, reason } => (
            "unreplayable",
            format!("transfer {}: replaying the journal refuses it: {reason}", transfer.0),
        ),
    }
}
