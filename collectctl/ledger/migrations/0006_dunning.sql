-- 6: dunning — runs, baseline ladder positions, and the consumer records that stop dunning
-- (cease communication, per-channel opt-outs). Customers and invoices are (source, ext_id) text
-- keys like every collection table, so a sync never orphans them. Instants are UTC ISO text,
-- dates ISO YYYY-MM-DD. Records are never deleted: lifting a cease or an opt-out sets voided_on.
CREATE TABLE dunning_runs (                  -- RUN-<id>: real runs and baselines (never dry runs)
    id              INTEGER PRIMARY KEY,
    as_of           TEXT NOT NULL,           -- the decision day
    mode            TEXT NOT NULL,           -- send|baseline
    policy_path     TEXT NOT NULL,
    policy_sha256   TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL,           -- running|done|interrupted
    letters         INTEGER NOT NULL DEFAULT 0,   -- sent
    failed          INTEGER NOT NULL DEFAULT 0,
    uncertain       INTEGER NOT NULL DEFAULT 0,
    cancelled       INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    skip_counts     TEXT                     -- JSON {reason: count}
);
CREATE INDEX dunning_runs_by_as_of ON dunning_runs (as_of);
CREATE TABLE dunning_baseline (              -- `dunning run --baseline`: a rung held, not sent
    run             INTEGER NOT NULL,
    source          TEXT NOT NULL,
    invoice_ext     TEXT NOT NULL,
    stage           TEXT NOT NULL,
    seq             INTEGER NOT NULL DEFAULT 1,
    recorded_on     TEXT NOT NULL,
    UNIQUE (source, invoice_ext, stage, seq)
);
CREATE TABLE consumer_ceases (               -- CEA-<id>: `account cease` (Reg F 1006.6(c))
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    customer_ext    TEXT NOT NULL,
    on_date         TEXT NOT NULL,
    written         INTEGER NOT NULL,        -- 1: in writing; 0: asked by phone or email
    note            TEXT,
    created_at      TEXT NOT NULL,
    voided_on       TEXT,
    void_reason     TEXT
);
CREATE INDEX consumer_ceases_by_customer ON consumer_ceases (source, customer_ext);
CREATE TABLE channel_optouts (               -- OPT-<id>: `account optout` (Reg F 1006.6(e))
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    customer_ext    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    on_date         TEXT NOT NULL,
    note            TEXT,
    created_at      TEXT NOT NULL,
    voided_on       TEXT,
    void_reason     TEXT
);
CREATE INDEX channel_optouts_by_customer ON channel_optouts (source, customer_ext);
