//! The hold-expiry sweep: open holds whose expiry has passed are released with an `ExpirePending` transfer
//! through the ordinary apply path, so the journal records the release and a replay reproduces it.

use crate::books::{Action, Applied, TransferId, TransferRequest};
use crate::engine::Leg;
use crate::group_commit::GroupCommit;
use crate::store::history as store;
use crate::{LedgerError, Movement};
use chrono::{DateTime, Utc};
use platform::Db;
use serde_json::json;
use uuid::Uuid;

/// Holds released per database transaction.
const BATCH: i64 = 100;

const SWEEP: Movement<'static> = Movement {
    actor: None,
    action: "ledger.hold_expired",
    context: &platform::RequestContext::SYSTEM,
};

/// Releases every open hold that expired at or before `now` and returns how many it released. Each batch
/// is one atomic ledger batch; when one of its holds was settled meanwhile (by a user or a second sweeper),
/// the batch is retried hold by hold and the settled one skipped. The ledger checks expiry against its own
/// clock, so a hold `now` calls expired that the clock does not is left for a later sweep.
pub(crate) async fn expire_holds(writer: &GroupCommit, db: &Db, now: DateTime<Utc>) -> Result<usize, LedgerError> {
    let mut released = 0;
    loop {
        let due = store::expired_holds(db, now, BATCH).await?;
        if due.is_empty() {
            return Ok(released);
        }
        let batch: Vec<TransferRequest> = due
            .iter()
            .map(|hold| TransferRequest {
                id: TransferId(Uuid::now_v7()),
                debit: hold.request.debit,
                credit: hold.request.credit,
                asset: hold.request.asset,
                amount: hold.request.amount,
                kind: hold.request.kind,
                action: Action::ExpirePending {
                    pending: hold.request.id,
                },
                reference: None,
                metadata: json!({ "expired_hold": hold.request.id.0 }),
            })
            .collect();
        let this_round = match apply(writer, &batch).await {
            Ok(applied) => new_count(&applied),
            Err(LedgerError::Conflict(_) | LedgerError::Invalid { .. }) => {
                let mut count = 0;
                for request in &batch {
                    match apply(writer, std::slice::from_ref(request)).await {
                        Ok(applied) => count += new_count(&applied),
                        // Settled since it was found: nothing left to release.
                        Err(LedgerError::Conflict(_) | LedgerError::Invalid { .. }) => {}
                        Err(other) => return Err(other),
                    }
                }
                count
            }
            Err(other) => return Err(other),
        };
        released += this_round;
        // A short batch was the last; a batch that released nothing would only be found again.
        if (batch.len() as i64) < BATCH || this_round == 0 {
            return Ok(released);
        }
    }
}

async fn apply(writer: &GroupCommit, batch: &[TransferRequest]) -> Result<Vec<Applied>, LedgerError> {
    let legs = batch.iter().cloned().map(Leg::between_accounts).collect();
    writer.submit(legs, SWEEP).await
}

fn new_count(applied: &[Applied]) -> usize {
    applied.iter().filter(|a| matches!(a, Applied::New(_))).count()
}
