//! The caller's wallets on the double-entry ledger: balances, transfers between users, history, and the
//! ledger audit for staff.

pub mod admin_ledger;
pub mod history;
pub mod input;
pub mod views;
// The context is named after its main resource, as its URLs are.
#[allow(clippy::module_inception)]
pub mod wallets;
