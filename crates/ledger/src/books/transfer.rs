use super::AccountId;
use chrono::{DateTime, Utc};
use money::AssetCode;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransferId(pub Uuid);

/// Why money moved; reports and the wallet history group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKind {
    Deposit,
    Withdrawal,
    Transfer,
    Fee,
    Trade,
    Remit,
}

impl TransferKind {
    pub const ALL: [TransferKind; 6] = [
        TransferKind::Deposit,
        TransferKind::Withdrawal,
        TransferKind::Transfer,
        TransferKind::Fee,
        TransferKind::Trade,
        TransferKind::Remit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Deposit => "deposit",
            TransferKind::Withdrawal => "withdrawal",
            TransferKind::Transfer => "transfer",
            TransferKind::Fee => "fee",
            TransferKind::Trade => "trade",
            TransferKind::Remit => "remit",
        }
    }

    pub fn parse(text: &str) -> Option<TransferKind> {
        TransferKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a transfer does to its two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Moves `amount` at once.
    Post,
    /// Reserves `amount` (pending debit and credit) until it is posted, voided or, after `expires_at`, expired.
    Hold { expires_at: Option<DateTime<Utc>> },
    /// Posts `amount` of an open hold (at most its amount) and releases the rest of it.
    PostPending { pending: TransferId },
    /// Releases an open hold entirely.
    VoidPending { pending: TransferId },
    /// Releases an open hold whose `expires_at` has passed; written by the ledger's expiry sweep so that
    /// replaying the journal reproduces it.
    ExpirePending { pending: TransferId },
}

impl Action {
    /// The hold this action settles, if it settles one.
    pub fn settles(self) -> Option<TransferId> {
        match self {
            Action::PostPending { pending } | Action::VoidPending { pending } | Action::ExpirePending { pending } => {
                Some(pending)
            }
            Action::Post | Action::Hold { .. } => None,
        }
    }
}

/// A transfer as a caller asks for it. The id is the caller's, so that retrying applies it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub id: TransferId,
    pub debit: AccountId,
    pub credit: AccountId,
    pub asset: AssetCode,
    /// For `VoidPending` the amount is ignored and recorded as the hold's.
    pub amount: u128,
    pub kind: TransferKind,
    pub action: Action,
    pub reference: Option<String>,
    pub metadata: serde_json::Value,
}

/// A journal entry: an applied request and when it applied. The journal is append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub request: TransferRequest,
    pub at: DateTime<Utc>,
}

/// Where a hold stands; it leaves `Open` exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PendingState {
    Open,
    Posted,
    Voided,
    Expired,
}

impl PendingState {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingState::Open => "open",
            PendingState::Posted => "posted",
            PendingState::Voided => "voided",
            PendingState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<PendingState> {
        [
            PendingState::Open,
            PendingState::Posted,
            PendingState::Voided,
            PendingState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}
