-- Ledger accounts, the append-only journal of transfers, and the state of every hold.
-- Amounts are integer minor units: NUMERIC(39,0) holds every u128.
CREATE TABLE ledger_accounts (
    id              UUID PRIMARY KEY,
    owner_id        UUID REFERENCES users (id),
    asset           TEXT NOT NULL REFERENCES assets (code),
    purpose         TEXT NOT NULL CHECK (purpose IN ('wallet', 'external_deposits', 'external_withdrawals', 'fees',
                                                     'remittance_clearing', 'exchange_clearing')),
    no_overdraft    BOOLEAN NOT NULL,
    debits_posted   NUMERIC(39, 0) NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  NUMERIC(39, 0) NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  NUMERIC(39, 0) NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending NUMERIC(39, 0) NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK ((purpose = 'wallet') = (owner_id IS NOT NULL))
);
-- UNIQUE treats NULLs as distinct, so user accounts and system accounts (no owner) get one index each.
CREATE UNIQUE INDEX ledger_accounts_owned ON ledger_accounts (owner_id, asset, purpose) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_system ON ledger_accounts (asset, purpose) WHERE owner_id IS NULL;

-- `seq` is the order transfers were applied in: the accounts a transfer touches are locked before its row is
-- inserted, so replaying the journal in `seq` order rebuilds every account.
CREATE TABLE ledger_transfers (
    seq            BIGSERIAL PRIMARY KEY,
    id             UUID NOT NULL UNIQUE,
    debit_account  UUID NOT NULL REFERENCES ledger_accounts (id),
    credit_account UUID NOT NULL REFERENCES ledger_accounts (id),
    asset          TEXT NOT NULL,
    amount         NUMERIC(39, 0) NOT NULL CHECK (amount >= 0),
    kind           TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'transfer', 'fee', 'trade', 'remit')),
    action         TEXT NOT NULL CHECK (action IN ('post', 'hold', 'post_pending', 'void_pending', 'expire_pending')),
    pending_id     UUID,
    expires_at     TIMESTAMPTZ,
    reference      TEXT,
    metadata       JSONB NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account, seq);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account, seq);
CREATE FUNCTION ledger_transfers_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_transfers is append-only';
END;
$$;
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfers_refuse_change();

-- One row per hold (a transfer with action 'hold'); it leaves 'open' exactly once.
CREATE TABLE ledger_holds (
    transfer_id UUID PRIMARY KEY REFERENCES ledger_transfers (id),
    state       TEXT NOT NULL CHECK (state IN ('open', 'posted', 'voided', 'expired')),
    updated_at  TIMESTAMPTZ NOT NULL
);
