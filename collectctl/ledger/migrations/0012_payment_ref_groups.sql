-- The (customer, currency, date, reference) keys that payments of two or more different ids
-- share, on any date: the only keys reconcile's duplicate-payment check has to look at, instead
-- of grouping every payment that carries a reference. The sync adds the keys of the payment rows
-- it writes (collectctl.ledger.reconcile.note_payment_refs). A key whose payments were later
-- removed or changed may stay: reconcile checks every key against the allocations, so the table
-- only has to hold every key that qualifies now (a superset).
CREATE TABLE payment_ref_groups (
    customer   INTEGER NOT NULL,
    currency   TEXT NOT NULL,
    date       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    PRIMARY KEY (customer, currency, date, reference)
);
INSERT INTO payment_ref_groups (customer, currency, date, reference)
SELECT customer, currency, date, reference FROM allocations
WHERE kind = 'payment' AND reference IS NOT NULL AND reference != ''
GROUP BY customer, currency, date, reference
HAVING MIN(source) != MAX(source) OR MIN(payment_id) != MAX(payment_id);
-- Invoices whose source reports its own open balance (QuickBooks): reconcile's source-balance
-- check reads these only (none at all for CSV books), not every invoice.
CREATE INDEX invoices_source_balance
    ON invoices (customer, currency, void, issue_date, source_balance, amount, allocated)
    WHERE source_balance IS NOT NULL;
