-- Covering indexes for the whole-ledger read reports (metrics, reconcile).
-- Invoices in (void, issue date) order: metrics sums sales and open amounts per (void, issue
-- date, currency, due date) in one streamed pass, with no sort of a million rows. The predicate
-- is always true; it is there so that only a query that states it (and names the index) uses
-- it: without statistics SQLite would otherwise take it for any `void = 0 AND issue_date <= ?`
-- filter and look up every row of the table through it.
CREATE INDEX invoices_by_issue
    ON invoices (void, issue_date, currency, due_date, amount, allocated)
    WHERE void = void;
-- Payments that carry a reference, in the order reconcile's duplicate-payment check groups them.
CREATE INDEX allocations_payment_refs
    ON allocations (customer, currency, date, reference, source, payment_id, amount, kind)
    WHERE kind = 'payment' AND reference IS NOT NULL AND reference != '';
-- Money on account with its payment id: reconcile's credit on account reads no table row.
CREATE INDEX allocations_unapplied_ids
    ON allocations (customer, currency, date, kind, amount, payment_id, invoice)
    WHERE invoice IS NULL;
