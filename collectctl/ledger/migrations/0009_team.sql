-- 11: who made each collection record, and who owns each account (a team splitting the work).
-- `created_by` is the acting user when the record was made: COLLECTCTL_USER, else the database
-- user on PostgreSQL, else the operating-system user. Rows made before this migration keep NULL
-- ("unknown": nobody recorded it, and guessing would put a name on someone else's work).
ALTER TABLE contacts ADD COLUMN created_by TEXT;
ALTER TABLE promises ADD COLUMN created_by TEXT;
ALTER TABLE disputes ADD COLUMN created_by TEXT;
ALTER TABLE disputes ADD COLUMN resolved_by TEXT;
ALTER TABLE holds ADD COLUMN created_by TEXT;
ALTER TABLE holds ADD COLUMN released_by TEXT;
ALTER TABLE escalations ADD COLUMN created_by TEXT;
ALTER TABLE corrections ADD COLUMN created_by TEXT;
ALTER TABLE plans ADD COLUMN created_by TEXT;
ALTER TABLE plans ADD COLUMN cancelled_by TEXT;
ALTER TABLE consumer_ceases ADD COLUMN created_by TEXT;
ALTER TABLE channel_optouts ADD COLUMN created_by TEXT;
-- `account assign ID --to NAME` (owner) and `--none` (owner NULL): ASG-<id>. The account's owner
-- on day D is the owner of its latest assignment made on or before D that is not void.
CREATE TABLE assignments (                   -- ASG-<id>
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    customer_ext  TEXT NOT NULL,
    owner         TEXT,                      -- NULL: unassigned
    on_date       TEXT NOT NULL,
    note          TEXT,
    created_at    TEXT NOT NULL,
    created_by    TEXT,
    voided_on     TEXT,
    void_reason   TEXT
);
CREATE INDEX assignments_by_customer ON assignments (source, customer_ext, on_date, id);
