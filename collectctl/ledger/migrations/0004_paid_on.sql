-- 4: each invoice's full-payment date, kept by the sync like `allocated`: the date of the
-- allocation that first brought the invoice's allocated total up to its amount (NULL while open).
ALTER TABLE invoices ADD COLUMN paid_on TEXT;
UPDATE invoices SET paid_on = p.day FROM (
    SELECT run.invoice AS invoice, MIN(run.date) AS day
    FROM (SELECT invoice, date,
                 SUM(amount) OVER (PARTITION BY invoice ORDER BY date) AS total
          FROM allocations WHERE invoice IS NOT NULL) AS run
    JOIN invoices i ON i.id = run.invoice
    WHERE run.total >= i.amount
    GROUP BY run.invoice) AS p
WHERE invoices.id = p.invoice;
CREATE INDEX invoices_paid_on ON invoices (paid_on, currency, void, customer, issue_date, amount)
    WHERE paid_on IS NOT NULL;
