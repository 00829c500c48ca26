-- Aging reads the invoices that are not settled: not fully allocated, void, or paid in full
-- before their issue date (prepaid). Every other invoice is paid exactly on or after its issue
-- date, so as of any date it contributes nothing unless it has allocations after that date,
-- which aging reads from the allocations. A partial covering index in (customer, currency)
-- order (paid_on too, so that reading it needs no table row): a small fraction of the
-- invoices, kept by SQLite itself on every write.
CREATE INDEX invoices_unsettled ON invoices
    (customer, currency, void, issue_date, due_date, amount, allocated, paid_on)
    WHERE amount != allocated OR void != 0 OR paid_on < issue_date;
