-- 11: the order of a letter's invoices and recipients is an explicit column, `position` (1, 2,
-- ... in the order the letter lists them), not the rows' physical order: SQLite's rowid gave it,
-- PostgreSQL has no such column (ctid moves when a row is updated or its page is reused).
-- Existing rows get their current order (on SQLite: by rowid). Released claims keep the
-- position they had on the letter.
ALTER TABLE letter_invoices ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letter_invoices_released ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letter_recipients ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE letter_invoices SET position = (
    SELECT COUNT(*) FROM letter_invoices b
    WHERE b.letter = letter_invoices.letter AND b.rowid <= letter_invoices.rowid);
UPDATE letter_invoices_released SET position = (
    SELECT COUNT(*) FROM letter_invoices_released b
    WHERE b.letter = letter_invoices_released.letter AND b.rowid <= letter_invoices_released.rowid);
UPDATE letter_recipients SET position = (
    SELECT COUNT(*) FROM letter_recipients b
    WHERE b.letter = letter_recipients.letter AND b.rowid <= letter_recipients.rowid);
DROP INDEX letter_invoices_by_letter;
CREATE INDEX letter_invoices_by_letter ON letter_invoices (letter, position);
DROP INDEX letter_invoices_released_by_letter;
CREATE INDEX letter_invoices_released_by_letter ON letter_invoices_released (letter, position);
