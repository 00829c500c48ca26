-- 2: collection state, what only collectctl knows: contacts logged, promises to pay, disputes,
-- holds, escalations, and the audit trail of corrections to them.
-- Customers and invoices are referenced by their (source, ext_id) text keys, never by the books'
-- integer keys, so a re-sync that changes or removes books rows never touches these records; a
-- record whose invoice has left the source stays and is shown as "missing".
-- Records are never deleted: a correction updates the row and writes a `corrections` row with the
-- old and new values; a void marks the row (voided_on, void_reason) and writes one too.
-- Dates are ISO YYYY-MM-DD text, times ISO datetimes with offset; money is INTEGER minor units.
CREATE TABLE contacts (                      -- ACT-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    at            TEXT NOT NULL,             -- when it happened (ISO datetime with offset)
    on_date       TEXT NOT NULL,             -- its calendar date in the profile's time zone
    channel       TEXT NOT NULL,             -- phone|email|letter|sms|visit|note
    outcome       TEXT NOT NULL,
    note          TEXT,
    next_date     TEXT,                      -- next action date, if one was set
    created_at    TEXT NOT NULL,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX contacts_by_customer ON contacts (source, customer_ext, at);
CREATE TABLE promises (                      -- PRM-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount        INTEGER NOT NULL,          -- > 0
    made_on       TEXT NOT NULL,             -- the day the promise was given
    due_on        TEXT NOT NULL,             -- pay by this date (inclusive)
    note          TEXT,
    created_at    TEXT NOT NULL,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX promises_by_customer ON promises (source, customer_ext);
CREATE TABLE promise_invoices (              -- a promise about particular invoices
    promise       INTEGER NOT NULL,
    invoice_ext   TEXT NOT NULL,
    PRIMARY KEY (promise, invoice_ext)
);
CREATE TABLE disputes (                      -- DSP-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    invoice_ext   TEXT NOT NULL,
    reason        TEXT NOT NULL,             -- not-received|wrong-amount|quality|...
    note          TEXT,
    opened_on     TEXT NOT NULL,
    resolved_on   TEXT,
    resolution    TEXT,
    created_at    TEXT NOT NULL,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX disputes_by_customer ON disputes (source, customer_ext);
CREATE INDEX disputes_by_invoice ON disputes (source, invoice_ext);
CREATE TABLE holds (                         -- HLD-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    start_on      TEXT NOT NULL,
    until_on      TEXT,                      -- last day on hold (inclusive); NULL = until released
    reason        TEXT NOT NULL,
    released_on   TEXT,
    created_at    TEXT NOT NULL,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX holds_by_customer ON holds (source, customer_ext);
CREATE TABLE escalations (                   -- ESC-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    target        TEXT NOT NULL,             -- agency|legal
    escalated_on  TEXT NOT NULL,
    note          TEXT,
    pack_md       TEXT,                      -- paths of the handover pack written
    pack_pdf      TEXT,
    created_at    TEXT NOT NULL,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX escalations_by_customer ON escalations (source, customer_ext);
CREATE TABLE corrections (                   -- the audit trail of amend/void
    id            INTEGER PRIMARY KEY,
    record        TEXT NOT NULL,             -- e.g. PRM-3
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    action        TEXT NOT NULL,             -- amend|void
    at            TEXT NOT NULL,
    on_date       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    changes       TEXT NOT NULL              -- JSON {"field": [old, new], ...}
);
CREATE INDEX corrections_by_customer ON corrections (source, customer_ext, id);
