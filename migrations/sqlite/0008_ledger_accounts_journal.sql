-- Ledger accounts, the append-only journal of transfers, and the state of every hold.
-- Amounts are integer minor units kept as TEXT: SQLite's NUMERIC keeps only 15 significant digits.
CREATE TABLE ledger_accounts (
    id              BLOB PRIMARY KEY,
    owner_id        BLOB REFERENCES users (id),
    asset           TEXT NOT NULL REFERENCES assets (code),
    purpose         TEXT NOT NULL CHECK (purpose IN ('wallet', 'external_deposits', 'external_withdrawals', 'fees',
                                                     'remittance_clearing', 'exchange_clearing')),
    no_overdraft    BOOLEAN NOT NULL,
    debits_posted   TEXT NOT NULL DEFAULT '0',
    credits_posted  TEXT NOT NULL DEFAULT '0',
    debits_pending  TEXT NOT NULL DEFAULT '0',
    credits_pending TEXT NOT NULL DEFAULT '0',
    created_at      TEXT NOT NULL,
    CHECK ((purpose = 'wallet') = (owner_id IS NOT NULL))
);
-- UNIQUE treats NULLs as distinct, so user accounts and system accounts (no owner) get one index each.
CREATE UNIQUE INDEX ledger_accounts_owned ON ledger_accounts (owner_id, asset, purpose) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_system ON ledger_accounts (asset, purpose) WHERE owner_id IS NULL;

-- `seq` is the order transfers were applied in: replaying the journal in `seq` order rebuilds every account.
CREATE TABLE ledger_transfers (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             BLOB NOT NULL UNIQUE,
    debit_account  BLOB NOT NULL REFERENCES ledger_accounts (id),
    credit_account BLOB NOT NULL REFERENCES ledger_accounts (id),
    asset          TEXT NOT NULL,
    amount         TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'transfer', 'fee', 'trade', 'remit')),
    action         TEXT NOT NULL CHECK (action IN ('post', 'hold', 'post_pending', 'void_pending', 'expire_pending')),
    pending_id     BLOB,
    expires_at     TEXT,
    reference      TEXT,
    metadata       TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account, seq);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account, seq);
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;

-- One row per hold (a transfer with action 'hold'); it leaves 'open' exactly once.
CREATE TABLE ledger_holds (
    transfer_id BLOB PRIMARY KEY REFERENCES ledger_transfers (id),
    state       TEXT NOT NULL CHECK (state IN ('open', 'posted', 'voided', 'expired')),
    updated_at  TEXT NOT NULL
);
