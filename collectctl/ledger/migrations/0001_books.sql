-- 1: the books (customers, invoices, allocations) and sync state.
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    ext_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    address     TEXT,
    kind        TEXT NOT NULL DEFAULT 'business',
    currency    TEXT NOT NULL,
    timezone    TEXT,
    terms_days  INTEGER,
    active      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, ext_id)
);
CREATE TABLE invoices (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    ext_id          TEXT NOT NULL,
    customer        INTEGER NOT NULL REFERENCES customers(id),
    number          TEXT NOT NULL,
    issue_date      TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    currency        TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    void            INTEGER NOT NULL DEFAULT 0,
    description     TEXT,
    source_balance  INTEGER,
    allocated       INTEGER NOT NULL DEFAULT 0,  -- sum of every allocation to it, any date
    UNIQUE (source, ext_id)
);
-- Aging scans this index in (customer, currency) order: no sort, no table lookups.
CREATE INDEX invoices_aging ON invoices
    (customer, currency, void, issue_date, due_date, amount, allocated);
CREATE TABLE allocations (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    invoice_ext TEXT NOT NULL DEFAULT '',         -- '' = unapplied (on account)
    seq         INTEGER NOT NULL DEFAULT 1,       -- repeat number of (payment, invoice)
    customer    INTEGER NOT NULL REFERENCES customers(id),
    invoice     INTEGER REFERENCES invoices(id),  -- NULL when unapplied or dangling
    date        TEXT NOT NULL,
    amount      INTEGER NOT NULL,                 -- > 0 for every kind
    currency    TEXT NOT NULL,
    kind        TEXT NOT NULL,                    -- payment|credit|write_off|refund
    method      TEXT,
    reference   TEXT,
    UNIQUE (source, payment_id, invoice_ext, seq)
);
CREATE INDEX allocations_by_invoice ON allocations (invoice, date, amount);
CREATE INDEX allocations_by_date ON allocations (date, invoice, amount);
CREATE INDEX allocations_by_customer ON allocations (customer, currency, date);
CREATE INDEX allocations_unapplied ON allocations (customer, currency, date, kind, amount)
    WHERE invoice IS NULL;
CREATE TABLE sync_cursors (
    source      TEXT PRIMARY KEY,
    cursor      TEXT,
    updated_at  TEXT NOT NULL
);
CREATE TABLE sync_log (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    mode         TEXT NOT NULL,                   -- full|incremental
    description  TEXT,
    added        INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    removed      INTEGER NOT NULL,
    customers    INTEGER NOT NULL,
    invoices     INTEGER NOT NULL,
    allocations  INTEGER NOT NULL
);
CREATE INDEX sync_log_by_source ON sync_log (source, id);
