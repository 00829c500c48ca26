-- Indexes for the whole-ledger read reports (metrics, reconcile); each is covering for its query.
-- Invoices in issue-date order: metrics sums sales and open amounts per (void, issue date,
-- currency, due date) in one streamed pass, with no sort of a million rows.
CREATE INDEX invoices_by_issue ON invoices (void, issue_date, currency, due_date, amount, allocated);
-- Payments that carry a reference, grouped as reconcile's duplicate-payment check groups them.
CREATE INDEX allocations_payment_refs
    ON allocations (customer, currency, date, reference, source, payment_id, amount)
    WHERE kind = 'payment' AND reference IS NOT NULL AND reference != '';
-- Money on account with its payment id (reconcile's credit on account reads no table row).
CREATE INDEX allocations_unapplied_ids
    ON allocations (customer, currency, date, kind, amount, payment_id)
    WHERE invoice IS NULL;
