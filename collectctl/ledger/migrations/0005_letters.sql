-- 5: the send record (letters LTR-n, the invoices each covers, recipients) and local account
-- overrides. Customers and invoices are referenced by (source, ext_id) text keys, like the other
-- collection tables, so a sync never orphans these rows. Instants (claimed_at, sent_at, ...) are
-- UTC ISO text ("2026-12-01T09:30:00+00:00"); the letter date (letter_date) is a calendar date.
CREATE TABLE letters (                       -- LTR-<id>
    id              INTEGER PRIMARY KEY,
    run             TEXT,                    -- dunning run id; NULL = a manual `letter --send`
    source          TEXT NOT NULL,
    customer_ext    TEXT NOT NULL,
    currency        TEXT NOT NULL,
    stage           TEXT NOT NULL,           -- courtesy|reminder|firm|final|pre-legal
    language        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    format          TEXT,                    -- md|txt|html|pdf (what the channel was given)
    template        TEXT,                    -- which template rendered it
    status          TEXT NOT NULL,           -- claimed|sending|sent|failed|uncertain|cancelled
    letter_date     TEXT NOT NULL,           -- the date printed on the letter (as-of)
    claimed_at      TEXT NOT NULL,
    sending_at      TEXT,
    sent_at         TEXT,                    -- when the channel accepted it
    finished_at     TEXT,                    -- when it reached failed|uncertain|cancelled|sent
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    message_id      TEXT NOT NULL,           -- fixed at claim time; a retry re-uses it
    content_sha256  TEXT,
    output_path     TEXT,
    total           INTEGER,                 -- minor units: total demanded (net of credit)
    interest        INTEGER,
    compensation    INTEGER,
    figures         TEXT,                    -- JSON: what the letter showed, for the record
    created_by      TEXT,
    cancel_reason   TEXT
);
CREATE INDEX letters_by_customer ON letters (source, customer_ext, currency, letter_date);
CREATE INDEX letters_by_status ON letters (status, id);
CREATE TABLE letter_invoices (               -- the ladder: (invoice, stage, seq) goes out once
    letter          INTEGER NOT NULL,
    source          TEXT NOT NULL,
    invoice_ext     TEXT NOT NULL,
    number          TEXT NOT NULL,
    balance         INTEGER NOT NULL,        -- minor units at claim time
    days            INTEGER NOT NULL,        -- days overdue at claim time
    stage           TEXT NOT NULL,
    seq             INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, invoice_ext, stage, seq)
);
CREATE INDEX letter_invoices_by_letter ON letter_invoices (letter);
CREATE TABLE letter_invoices_released (      -- claims given back by a cancelled letter
    letter          INTEGER NOT NULL,
    source          TEXT NOT NULL,
    invoice_ext     TEXT NOT NULL,
    number          TEXT NOT NULL,
    balance         INTEGER NOT NULL,
    days            INTEGER NOT NULL,
    stage           TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE INDEX letter_invoices_released_by_letter ON letter_invoices_released (letter);
CREATE TABLE letter_recipients (
    letter          INTEGER NOT NULL,
    address         TEXT NOT NULL,
    kind            TEXT NOT NULL,           -- to|cc|bcc
    status          TEXT NOT NULL,           -- pending|accepted|refused
    error           TEXT,
    PRIMARY KEY (letter, address)
);
CREATE TABLE account_overrides (             -- `account set`: local values a sync never touches
    source          TEXT NOT NULL,
    customer_ext    TEXT NOT NULL,
    kind            TEXT,                    -- business|consumer
    language        TEXT,
    timezone        TEXT,
    email           TEXT,
    interest        TEXT,                    -- uk|eu|contract|none
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (source, customer_ext)
);
-- The customer's language (a customers.csv column; QuickBooks gives none), for letter templates.
ALTER TABLE customers ADD COLUMN language TEXT;
