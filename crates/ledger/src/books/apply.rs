//! Applying a batch of transfers: every leg is checked against the accounts as the earlier legs left them, and
//! the batch changes the books only if every leg passes.

use super::{Account, AccountId, Action, PendingState, Transfer, TransferId, TransferRequest};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Why a leg was refused. The whole batch is refused with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("account {0:?} does not exist")]
    AccountNotFound(AccountId),
    #[error("debit and credit are the same account")]
    SameAccount,
    #[error("the accounts or the transfer disagree on the asset")]
    AssetMismatch,
    #[error("the amount must be greater than zero")]
    ZeroAmount,
    #[error("account {0:?} has insufficient funds")]
    InsufficientFunds(AccountId),
    #[error("the amount would overflow an account")]
    Overflow,
    #[error("hold {0:?} does not exist")]
    PendingNotFound(TransferId),
    #[error("hold {pending:?} is already {}", state.as_str())]
    PendingNotOpen { pending: TransferId, state: PendingState },
    #[error("the settlement names other accounts or another asset than the hold")]
    PendingMismatch,
    #[error("the amount posted exceeds the hold")]
    ExceedsPending,
    #[error("hold {0:?} has expired")]
    PendingExpired(TransferId),
    #[error("hold {0:?} has not expired yet")]
    PendingNotExpired(TransferId),
    #[error("transfer id {0:?} was already used for a different transfer")]
    IdReused(TransferId),
}

/// What happened to one leg: applied now, or found already applied by an identical earlier request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    New(Transfer),
    Existing(Transfer),
}

impl Applied {
    pub fn transfer(&self) -> &Transfer {
        match self {
            Applied::New(t) | Applied::Existing(t) => t,
        }
    }
}

/// A set of accounts, the transfers applied to them in order, and the state of every hold among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    accounts: HashMap<AccountId, Account>,
    transfers: HashMap<TransferId, Transfer>,
    pending: HashMap<TransferId, PendingState>,
    journal: Vec<TransferId>,
}

impl Books {
    pub fn new() -> Books {
        Books::default()
    }

    pub fn insert_account(&mut self, account: Account) {
        self.accounts.insert(account.id, account);
    }

    /// Adds a transfer applied earlier (loaded from storage) without applying it again.
    pub fn insert_applied(&mut self, transfer: Transfer, state: Option<PendingState>) {
        let id = transfer.request.id;
        if let Some(state) = state {
            self.pending.insert(id, state);
        }
        self.transfers.insert(id, transfer);
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn transfer(&self, id: TransferId) -> Option<&Transfer> {
        self.transfers.get(&id)
    }

    pub fn pending_state(&self, id: TransferId) -> Option<PendingState> {
        self.pending.get(&id).copied()
    }

    /// Every hold and its state, in id order.
    pub fn holds(&self) -> Vec<(TransferId, PendingState)> {
        let mut holds: Vec<(TransferId, PendingState)> = self.pending.iter().map(|(id, s)| (*id, *s)).collect();
        holds.sort_by_key(|(id, _)| *id);
        holds
    }

    /// Transfers applied through [`Books::apply`], in order.
    pub fn journal(&self) -> impl Iterator<Item = &Transfer> {
        self.journal.iter().filter_map(|id| self.transfers.get(id))
    }

    /// Applies `batch` at `now`, all or nothing: on a refusal, the index of the refused leg and why, and the
    /// books are unchanged.
    pub fn apply(&mut self, batch: &[TransferRequest], now: DateTime<Utc>) -> Result<Vec<Applied>, (usize, Rejection)> {
        let mut staged = Staged {
            books: self,
            accounts: HashMap::new(),
            transfers: Vec::new(),
            pending: HashMap::new(),
        };
        let mut applied = Vec::with_capacity(batch.len());
        for (index, request) in batch.iter().enumerate() {
            applied.push(staged.apply(request, now).map_err(|r| (index, r))?);
        }
        let Staged {
            accounts,
            transfers,
            pending,
            ..
        } = staged;
        self.accounts.extend(accounts);
        self.pending.extend(pending);
        for transfer in transfers {
            self.journal.push(transfer.request.id);
            self.transfers.insert(transfer.request.id, transfer);
        }
        Ok(applied)
    }

    /// Open holds whose expiry has passed by `now`, oldest first by id: what an expiry sweep settles.
    pub fn expired_holds(&self, now: DateTime<Utc>) -> Vec<&Transfer> {
        let mut due: Vec<&Transfer> = self
            .pending
            .iter()
            .filter(|(_, state)| **state == PendingState::Open)
            .filter_map(|(id, _)| self.transfers.get(id))
            .filter(|t| matches!(t.request.action, Action::Hold { expires_at: Some(at) } if at <= now))
            .collect();
        due.sort_by_key(|t| t.request.id);
        due
    }
}

/// The batch's changes, kept aside until every leg has passed.
struct Staged<'a> {
    books: &'a Books,
    accounts: HashMap<AccountId, Account>,
    transfers: Vec<Transfer>,
    pending: HashMap<TransferId, PendingState>,
}

impl Staged<'_> {
    fn account(&self, id: AccountId) -> Result<Account, Rejection> {
        self.accounts
            .get(&id)
            .or_else(|| self.books.accounts.get(&id))
            .cloned()
            .ok_or(Rejection::AccountNotFound(id))
    }

    fn transfer(&self, id: TransferId) -> Option<&Transfer> {
        self.transfers
            .iter()
            .find(|t| t.request.id == id)
            .or_else(|| self.books.transfers.get(&id))
    }

    fn pending_state(&self, id: TransferId) -> Option<PendingState> {
        self.pending.get(&id).or_else(|| self.books.pending.get(&id)).copied()
    }

    fn apply(&mut self, request: &TransferRequest, now: DateTime<Utc>) -> Result<Applied, Rejection> {
        if let Some(existing) = self.transfer(request.id) {
            return if existing.request == *request {
                Ok(Applied::Existing(existing.clone()))
            } else {
                Err(Rejection::IdReused(request.id))
            };
        }
        if request.debit == request.credit {
            return Err(Rejection::SameAccount);
        }
        let mut debit = self.account(request.debit)?;
        let mut credit = self.account(request.credit)?;
        if debit.asset != request.asset || credit.asset != request.asset {
            return Err(Rejection::AssetMismatch);
        }
        match request.action {
            Action::Post => {
                positive(request.amount)?;
                debit.debits_posted = add(debit.debits_posted, request.amount)?;
                credit.credits_posted = add(credit.credits_posted, request.amount)?;
            }
            Action::Hold { .. } => {
                positive(request.amount)?;
                debit.debits_pending = add(debit.debits_pending, request.amount)?;
                credit.credits_pending = add(credit.credits_pending, request.amount)?;
                self.pending.insert(request.id, PendingState::Open);
            }
            Action::PostPending { pending } | Action::VoidPending { pending } | Action::ExpirePending { pending } => {
                let (held, expires_at) = self.open_hold(pending, request)?;
                let expired = expires_at.is_some_and(|at| at <= now);
                debit.debits_pending = sub(debit.debits_pending, held)?;
                credit.credits_pending = sub(credit.credits_pending, held)?;
                let settled = match request.action {
                    Action::PostPending { .. } => {
                        if expired {
                            return Err(Rejection::PendingExpired(pending));
                        }
                        positive(request.amount)?;
                        if request.amount > held {
                            return Err(Rejection::ExceedsPending);
                        }
                        debit.debits_posted = add(debit.debits_posted, request.amount)?;
                        credit.credits_posted = add(credit.credits_posted, request.amount)?;
                        PendingState::Posted
                    }
                    Action::ExpirePending { .. } if !expired => return Err(Rejection::PendingNotExpired(pending)),
                    Action::ExpirePending { .. } => PendingState::Expired,
                    _ => PendingState::Voided,
                };
                self.pending.insert(pending, settled);
            }
        }
        if !debit.within_limits() {
            return Err(Rejection::InsufficientFunds(debit.id));
        }
        let transfer = Transfer {
            request: request.clone(),
            at: now,
        };
        self.accounts.insert(debit.id, debit);
        self.accounts.insert(credit.id, credit);
        self.transfers.push(transfer.clone());
        Ok(Applied::New(transfer))
    }

    /// The amount and expiry of the open hold `pending`, checked to be between the same accounts and asset.
    fn open_hold(
        &self,
        pending: TransferId,
        request: &TransferRequest,
    ) -> Result<(u128, Option<DateTime<Utc>>), Rejection> {
        let hold = self.transfer(pending).ok_or(Rejection::PendingNotFound(pending))?;
        let Action::Hold { expires_at } = hold.request.action else {
            return Err(Rejection::PendingNotFound(pending));
        };
        if hold.request.debit != request.debit
            || hold.request.credit != request.credit
            || hold.request.asset != request.asset
        {
            return Err(Rejection::PendingMismatch);
        }
        match self.pending_state(pending) {
            Some(PendingState::Open) => Ok((hold.request.amount, expires_at)),
            Some(state) => Err(Rejection::PendingNotOpen { pending, state }),
            None => Err(Rejection::PendingNotFound(pending)),
        }
    }
}

fn positive(amount: u128) -> Result<(), Rejection> {
    if amount == 0 {
        return Err(Rejection::ZeroAmount);
    }
    Ok(())
}

/// Account totals stay within `i128`, so every balance and every per-asset sum of balances is exact in signed
/// arithmetic (about 1.7e38 minor units: 1.7e20 whole units of an 18-decimal asset).
const MAX_TOTAL: u128 = i128::MAX as u128;

fn add(a: u128, b: u128) -> Result<u128, Rejection> {
    a.checked_add(b)
        .filter(|sum| *sum <= MAX_TOTAL)
        .ok_or(Rejection::Overflow)
}

fn sub(a: u128, b: u128) -> Result<u128, Rejection> {
    // Pending totals always include every open hold, so this cannot go below zero on consistent books.
    a.checked_sub(b).ok_or(Rejection::Overflow)
}
