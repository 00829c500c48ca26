-- 11: the order of a letter's invoices and recipients is an explicit column, `position` (see
-- 0011_letter_positions.sql). Existing rows get the order they were read in until now: their
-- physical order (ctid), which rows inserted together by one statement and never updated keep.
ALTER TABLE letter_invoices ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE letter_invoices_released ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE letter_recipients ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE letter_invoices t SET position = r.n
FROM (SELECT ctid AS c, ROW_NUMBER() OVER (PARTITION BY letter ORDER BY ctid) AS n
      FROM letter_invoices) r
WHERE t.ctid = r.c;
UPDATE letter_invoices_released t SET position = r.n
FROM (SELECT ctid AS c, ROW_NUMBER() OVER (PARTITION BY letter ORDER BY ctid) AS n
      FROM letter_invoices_released) r
WHERE t.ctid = r.c;
UPDATE letter_recipients t SET position = r.n
FROM (SELECT ctid AS c, ROW_NUMBER() OVER (PARTITION BY letter ORDER BY ctid) AS n
      FROM letter_recipients) r
WHERE t.ctid = r.c;
DROP INDEX letter_invoices_by_letter;
CREATE INDEX letter_invoices_by_letter ON letter_invoices (letter, position);
DROP INDEX letter_invoices_released_by_letter;
CREATE INDEX letter_invoices_released_by_letter ON letter_invoices_released (letter, position);
-- SUM of BIGINT money as a BIGINT, as SQLite's SUM of integers gives (and, like it, an error on
-- overflow rather than a wider type): PostgreSQL's own sum(bigint) returns NUMERIC, which the
-- driver can only turn into Python ints one value at a time in Python (~0.8 s of a 1M-invoice
-- aging). The connection puts pg_catalog after the profile's schema, so SUM resolves to this
-- one for BIGINT arguments and to the built-in ones for every other type.
CREATE AGGREGATE sum(bigint) (
    SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE
);
