"""One-file invoice lists: each row an invoice with what was paid and what is still due.

The most common export of invoicing tools is a single list of invoices with ``Amount Paid``,
``Amount Due`` or ``Balance`` columns (and sometimes the date it was paid). Each row becomes an
invoice plus the allocations that explain its balance: a payment for what was paid, a credit for
what was credited, a write-off for what the status says was written off. Customers are derived
from the customer columns when the directory has no customers file.

What such a list cannot say is *when* each payment was made unless it has a paid-date column:
the payment is then dated on the invoice's issue date, so aging today is exact but aging as of a
past date is approximate; :attr:`InvoiceList.approximate` tells the sync so, and
``collectctl aging --as-of`` warns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from collectctl.records import Customer, Problem, Record
from collectctl_csv import construct
from collectctl_csv.formats import Values, fast_amount
from collectctl_csv.layout import LIST_COLUMNS, Layout
from collectctl_csv.reader import _Row
from collectctl_csv.table import Table, normalize

#: Reports one bad cell: ``bad(column, text, message)``.
Bad = Callable[[str, str, str], None]

ZERO = Decimal(0)


class InvoiceList:
    """Turns an invoice-list :class:`Table` into records.

    :param layout: the preset or mapping (its statuses).
    :param values: how dates and amounts are written.
    :param derive_customers: yield a customer for each new customer key (no customers file).
    """

    def __init__(self, layout: Layout, values: Values, derive_customers: bool) -> None:
        self.layout = layout
        self.values = values
        self.derive_customers = derive_customers
        self.approximate = False
        self.skipped: dict[str, int] = {}

    def records(self, table: Table) -> Iterator[Record]:
        """Yield customers (when derived), invoices and allocations, problems inline."""
        col = table.column
        idx = {name: col(name) for name in LIST_COLUMNS}
        i_id, i_num, i_cid, i_cust = idx["id"], idx["number"], idx["customer_id"], idx["customer"]
        i_issue, i_due, i_amount, i_status = (
            idx["issue_date"],
            idx["due_date"],
            idx["amount"],
            idx["status"],
        )
        has = {name: name in table.mapped for name in LIST_COLUMNS}
        statuses = self.layout.status
        values = self.values
        dates = values.dates
        plain = values.plain_amounts
        file_name = table.name
        seen: set[str] = set()
        previous = None
        report_rows = bool(self.layout.settings.get("report_rows"))
        line_items = bool(self.layout.settings.get("line_items"))
        previous_total = ""
        for item in table.rows():
            if type(item) is Problem:
                yield item
                continue
            line, f = item  # type: ignore[misc]
            origin = f"{file_name}:{line}"
            number = f[i_num].strip()
            iid = f[i_id].strip() or number
            cust_name = f[i_cust].strip()
            cid = f[i_cid].strip() or cust_name
            issue_text = f[i_issue].strip()
            if not iid and not issue_text and (report_rows or not "".join(f).strip()):
                continue  # a blank line, a group heading or a "Total" line of a report
            if report_rows and (
                # a "Total ..." line: in the first column, with no date of its own (so a
                # customer called "Total Gym" is still read)
                (normalize(f[0]).startswith("total") and issue_text in ("", f[0].strip()))
                or sum(1 for v in f if v.strip()) <= 1  # a group heading ("Acme Ltd")
            ):
                continue
            if line_items and iid and iid == previous:
                # the next line of the same invoice (an export with one row per invoice line)
                if f[i_amount].strip() != previous_total:
                    yield Problem(
                        origin=origin,
                        column="amount",
                        value=f[i_amount].strip(),
                        message=f"this line of invoice {iid!r} gives a total of "
                        f"{f[i_amount].strip()!r}, the invoice's first line {previous_total!r}; "
                        "a one-row-per-line export repeats the invoice total on every line",
                    )
                continue
            previous, previous_total = iid, f[i_amount].strip()
            raw_status = f[i_status].strip()
            if raw_status:
                kind = statuses.get(normalize(raw_status))
                if kind is None:
                    known = ", ".join(sorted(statuses)) or "none"
                    yield Problem(
                        origin=origin,
                        column="status",
                        value=raw_status,
                        message=f"unknown status {raw_status!r} (known: {known}); map it "
                        "under [status] in a mapping file, e.g. "
                        f'"{raw_status.lower()}" = "open"',
                    )
                    continue
            else:
                kind = "open"
            if kind in ("draft", "ignore"):
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
                continue
            amount_text = f[i_amount].strip()
            if kind == "void":
                total = values.amount(amount_text) if amount_text else None
                if total is None or total <= 0:  # some tools zero a voided invoice
                    self.skipped["void"] = self.skipped.get("void", 0) + 1
                    continue
            issue = dates.get(issue_text)
            amount = fast_amount(amount_text) if plain else None
            row = _Row(origin)
            bad = row.bad
            problems = row.problems

            if not iid:
                bad("id", "", "the invoice id (or number) is required but blank")
            if not cid:
                bad("customer", "", "the customer is required but blank")
            if issue is None:
                issue = _date(values, "issue_date", issue_text, bad, required=True)
            due_text = f[i_due].strip()
            due = (
                (dates.get(due_text) or _date(values, "due_date", due_text, bad))
                if due_text
                else None
            )
            if amount is None:
                amount = _amount(values, "amount", amount_text, bad, required=True)
            if amount is not None and amount <= 0:
                bad(
                    "amount",
                    amount_text,
                    f"{amount_text!r} must be greater than 0 (credit notes and refunds are not "
                    "read from an invoice list: leave them out of the export)",
                )
            parts: dict[str, Decimal | None] = {}
            for name in ("paid", "balance", "credited", "written_off"):
                text = f[idx[name]].strip() if has[name] else ""
                parts[name] = _amount(values, name, text, bad) if text else None
                if parts[name] is not None and parts[name] < 0:  # type: ignore[operator]
                    bad(name, text, f"{text!r} must not be negative")
            paid_text = f[idx["paid_date"]].strip() if has["paid_date"] else ""
            paid_on = _date(values, "paid_date", paid_text, bad) if paid_text else None
            if problems or amount is None or issue is None:
                yield from problems
                continue
            currency = f[idx["currency"]].strip().upper() or None
            if self.derive_customers and cid not in seen:
                seen.add(cid)
                yield Customer(
                    id=cid,
                    name=cust_name or cid,
                    email=f[idx["email"]].strip() or None,
                    phone=f[idx["phone"]].strip() or None,
                    address=f[idx["address"]].strip() or None,
                    origin=origin,
                )
            description = f[idx["description"]].strip() or None
            yield construct.invoice(
                iid,
                cid,
                issue,
                amount,
                number or None,
                due,
                currency,
                kind == "void",
                description,
                origin,
            )
            if kind == "void":
                continue
            settled = self._settled(kind, amount, parts)
            if settled is None:
                yield Problem(
                    origin=origin,
                    column="balance",
                    value=str(parts["balance"]),
                    message=f"the amounts do not add up: total {amount}, paid {parts['paid']}, "
                    f"credited {parts['credited']}, written off {parts['written_off']}, "
                    f"balance {parts['balance']}",
                )
                continue
            when = paid_on or issue
            if paid_on is None and any(settled.values()):
                self.approximate = True
            for alloc_kind, value in settled.items():
                if value:
                    yield construct.allocation(
                        f"{iid}/{alloc_kind}",
                        cid,
                        when,
                        value,
                        iid,
                        alloc_kind,
                        currency,
                        None,
                        None,
                        origin,
                    )

    @staticmethod
    def _settled(
        kind: str, amount: Decimal, parts: dict[str, Decimal | None]
    ) -> dict[str, Decimal] | None:
        """The payment, credit and write-off that explain the row's balance (None: they can't)."""
        paid, balance = parts["paid"], parts["balance"]
        credited = parts["credited"] or ZERO
        written = parts["written_off"] or ZERO
        if paid is None and balance is None:
            balance = ZERO if kind == "paid" else amount - credited - written
        if paid is None:
            paid = amount - balance - credited - written  # type: ignore[operator]
        if balance is None:
            balance = amount - paid - credited - written
        if paid < 0 or balance < 0 or paid + credited + written + balance != amount:
            return None
        if kind == "write_off":
            written += balance
        return {"payment": paid, "credit": credited, "write_off": written}


def _date(values: Values, column: str, text: str, bad: Bad, required: bool = False) -> date | None:
    if not text:
        if required:
            bad(column, text, f"{column} is required but blank")
        return None
    d = values.date(text)
    if d is None:
        bad(column, text, values.date_error(text))
    return d


def _amount(
    values: Values, column: str, text: str, bad: Bad, required: bool = False
) -> Decimal | None:
    if not text:
        if required:
            bad(column, text, f"{column} is required but blank")
        return None
    a = values.amount(text)
    if a is None:
        bad(column, text, f"{text!r} is not an amount (expected {values.amount_hint})")
    return a
