-- 3: payment plans (collectctl's own records: a sync never removes them).
-- Plans name their customer and invoices by (source, source id), not by ledger key, so a plan
-- survives a sync that removes and re-adds its records, and shows an invoice that left the
-- books as missing. Money is INTEGER minor units of the plan's currency; dates ISO text.
CREATE TABLE plans (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- shown as PL-<id>
    customer_source  TEXT NOT NULL,
    customer_ext     TEXT NOT NULL,
    customer_name    TEXT NOT NULL,                      -- as it was when the plan was made
    currency         TEXT NOT NULL,
    created_on       TEXT NOT NULL,  -- receipts dated on or after this day count toward the plan
    created_at       TEXT NOT NULL,  -- wall-clock time of `plan create`
    balance          INTEGER NOT NULL,                   -- covered balance (principal)
    down             INTEGER NOT NULL DEFAULT 0,
    every            TEXT NOT NULL,                      -- week|2weeks|month
    start            TEXT NOT NULL,
    installments     INTEGER NOT NULL,                   -- not counting the down payment
    amount_per       INTEGER,                            -- when made with --amount
    rate             TEXT,                               -- APR in percent, decimal text
    interest_method  TEXT NOT NULL,                      -- none|simple|amortized
    fee              INTEGER NOT NULL DEFAULT 0,
    grace_days       INTEGER NOT NULL,                   -- terms agreed, from [plans]
    max_missed       INTEGER NOT NULL,
    cancelled_on     TEXT,
    cancel_reason    TEXT
);
CREATE INDEX plans_by_customer ON plans (customer_source, customer_ext, currency);
CREATE TABLE plan_lines (
    plan       INTEGER NOT NULL REFERENCES plans(id),
    number     INTEGER NOT NULL,                         -- 0 = down payment
    due        TEXT NOT NULL,
    principal  INTEGER NOT NULL,
    interest   INTEGER NOT NULL,
    fee        INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    remaining  INTEGER NOT NULL,
    PRIMARY KEY (plan, number)
) WITHOUT ROWID;
CREATE TABLE plan_invoices (
    plan         INTEGER NOT NULL REFERENCES plans(id),
    source       TEXT NOT NULL,
    invoice_ext  TEXT NOT NULL,
    number       TEXT NOT NULL,                          -- as it was when the plan was made
    due_date     TEXT NOT NULL,
    balance      INTEGER NOT NULL,                       -- covered at the start of created_on
    PRIMARY KEY (plan, source, invoice_ext)
) WITHOUT ROWID;
CREATE INDEX plan_invoices_by_invoice ON plan_invoices (source, invoice_ext);
