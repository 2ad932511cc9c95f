//! The vocabulary every part of the ledger and every context that posts to it shares: what an account is for,
//! an account as stored, a wallet's balance and who moves money. It depends on nothing else in the crate, so the
//! service, the posting path and the stores can all name it without naming each other.

use crate::LedgerError;
use crate::books::Account;
use chrono::{DateTime, SubsecRound, Utc};
use money::{Amount, AssetCode, Precision, SignedAmount};
use platform::Clock;
use platform::RequestContext;
use uuid::Uuid;

/// What an account is for. A user has one wallet per asset; the platform has one system account per asset and
/// purpose, on the other side of money entering, leaving or passing through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    Wallet,
    ExternalDeposits,
    ExternalWithdrawals,
    Fees,
    RemittanceClearing,
    ExchangeClearing,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Wallet,
        Purpose::ExternalDeposits,
        Purpose::ExternalWithdrawals,
        Purpose::Fees,
        Purpose::RemittanceClearing,
        Purpose::ExchangeClearing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Wallet => "wallet",
            Purpose::ExternalDeposits => "external_deposits",
            Purpose::ExternalWithdrawals => "external_withdrawals",
            Purpose::Fees => "fees",
            Purpose::RemittanceClearing => "remittance_clearing",
            Purpose::ExchangeClearing => "exchange_clearing",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Only user money must never go below zero; system accounts hold the other side of it.
    pub fn no_overdraft(self) -> bool {
        self == Purpose::Wallet
    }
}

/// An account as stored: the core's account and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub account: Account,
    pub owner: Option<Uuid>,
    pub purpose: Purpose,
}

/// One wallet's balance at the asset's precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub asset: AssetCode,
    pub available: SignedAmount,
    pub locked: Amount,
    pub total: SignedAmount,
    /// On its way in and not yet part of `total`: held credits, such as a provider deposit waiting for its
    /// confirmations.
    pub incoming: Amount,
}

/// Who moves the money and from where, for the audit record written with the movement. `actor` is the one
/// responsible, which the caller knows better than the request does (a staff member deciding, a provider's
/// webhook with none); the request's address and id come from `context`.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub actor: Option<Uuid>,
    /// The audit action, such as `ledger.deposit`.
    pub action: &'a str,
    pub context: &'a RequestContext,
}

/// The most one request may move: a quadrillion whole units. Far above any real payment, and low enough that no
/// account total can approach the `i128` bound the core keeps.
pub fn largest_amount(precision: Precision) -> u128 {
    1_000_000_000_000_000 * precision.scale()
}

pub(crate) fn balance_of(account: &Account, precision: Precision) -> Result<Balance, LedgerError> {
    let corrupt = || LedgerError::Corrupt(format!("account {}: totals beyond i128", account.id.0));
    Ok(Balance {
        asset: account.asset,
        available: SignedAmount::from_minor(account.available().ok_or_else(corrupt)?, precision),
        locked: Amount::from_minor(account.locked(), precision),
        total: SignedAmount::from_minor(account.balance().ok_or_else(corrupt)?, precision),
        incoming: Amount::from_minor(account.credits_pending, precision),
    })
}

/// The time a posting is journaled at. PostgreSQL keeps microseconds; the journal's times are cut to them so a
/// stored transfer reads back equal.
pub(crate) fn journal_time(clock: &dyn Clock) -> DateTime<Utc> {
    clock.now().trunc_subsecs(6)
}
