//! The double-entry core, after TigerBeetle's model: accounts that keep posted and pending debits and credits,
//! transfers between two accounts of one asset, holds (pending transfers) that are later posted — in full or in
//! part — voided or expired, and batches whose legs all apply or none do.
//!
//! Plain types and functions: no SQL, no clock, no async. The store loads the accounts and pending transfers a
//! batch touches into a [`Books`], applies the batch here, and writes back what changed in one database
//! transaction. Property tests drive the same code with random batches.

mod account;
mod apply;
mod audit;
mod transfer;

pub use account::{Account, AccountId};
pub use apply::{Applied, Books, Rejection};
pub use audit::Discrepancy;
pub use transfer::{Action, PendingState, Transfer, TransferId, TransferKind, TransferRequest};

#[cfg(test)]
mod tests;
