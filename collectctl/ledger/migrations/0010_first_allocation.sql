-- 10: each invoice's first allocation date, kept by the sync like `paid_on` (NULL while nothing
-- is allocated to it). As of a date D an invoice that is not in invoices_unsettled (0007) is
-- paid in full on `paid_on`, on or after its issue date; it contributes to aging as of D only
-- when it was issued on or before D and paid in full after D, or issued after D with an
-- allocation on or before D: `paid_on > D AND (issue_date <= D OR first_allocation <= D)`. So
-- an aging far back reads the unsettled invoices and those paid in full after D (through
-- invoices_paid_on, in paid_on order), and sums the allocations on or before D only for the
-- invoices whose first allocation is on or before D. Both indexes get the columns it reads.
ALTER TABLE invoices ADD COLUMN first_allocation TEXT;
UPDATE invoices SET first_allocation = f.day FROM (
    SELECT invoice, MIN(date) AS day FROM allocations WHERE invoice IS NOT NULL GROUP BY invoice
) AS f
WHERE invoices.id = f.invoice;
DROP INDEX invoices_unsettled;
CREATE INDEX invoices_unsettled ON invoices
    (customer, currency, void, issue_date, due_date, amount, allocated, paid_on, first_allocation)
    WHERE amount != allocated OR void != 0 OR paid_on < issue_date;
DROP INDEX invoices_paid_on;
CREATE INDEX invoices_paid_on ON invoices
    (paid_on, currency, void, customer, issue_date, amount, due_date, allocated, first_allocation)
    WHERE paid_on IS NOT NULL;
