"""QuickBooks Online JSON → collectctl records. Pure functions: no HTTP, no files, no clock.

Payment ids (``Allocation.payment_id``) give every QuickBooks object its own key, so that an
incremental update of one object replaces exactly the allocations that object produced:

==========================  ===================  ==============================================
QuickBooks object           payment_id           allocations
==========================  ===================  ==============================================
Payment 171                 ``171``              its Invoice lines (cash ``payment``, or
                                                 ``credit`` where a CreditMemo line funds them,
                                                 dated at that memo's ``TxnDate``),
                                                 unapplied cash and credit, refunds (Check /
                                                 Expense / CreditCardCredit lines)
CreditMemo 188              ``CreditMemo-188``   its ``RemainingCredit`` as unapplied ``credit``
                                                 (applied parts belong to the applying Payment,
                                                 dated at the memo's ``TxnDate``)
==========================  ===================  ==============================================

docs/quickbooks.md has the full table and the known limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from collectctl.records import Allocation, Customer, Invoice

CREDIT_MEMO_PREFIX = "CreditMemo-"
#: Payment line TxnTypes that move money back to the customer (a refund of credit).
REFUND_TYPES = frozenset({"Check", "Expense", "CreditCardCredit"})
ZERO = Decimal(0)


class MappingError(ValueError):
    """A QuickBooks object that cannot be turned into a record; becomes a ``Problem``."""

    def __init__(self, message: str, column: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.value = None if value is None else str(value)


def origin(entity: str, obj: Mapping[str, Any]) -> str:
    """Where a record came from, for messages: ``"Invoice 130"``."""
    return f"{entity} {obj.get('Id', '?')}"


def ref(obj: Mapping[str, Any], key: str) -> str | None:
    """The ``value`` of a reference field (``CustomerRef``), or ``None``."""
    value = obj.get(key)
    if type(value) is dict or isinstance(value, Mapping):
        v = value.get("value")
        return str(v) if v not in (None, "") else None
    return None


def money(obj: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal:
    """A Decimal amount (JSON numbers arrive as Decimal or int); omitted → ``default``."""
    raw = obj.get(key)
    if type(raw) is Decimal and raw.is_finite():  # the hot path: parse_float=Decimal
        return raw
    if type(raw) is int:
        return Decimal(raw)
    if raw is None:
        if default is None:
            raise MappingError(f"{key} is missing", key)
        return default
    if isinstance(raw, float):  # never expected (parse_float=Decimal); be exact anyway
        raw = repr(raw)
    try:
        value = Decimal(str(raw)) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise MappingError(f"{key} is not a number", key, raw) from None
    if not value.is_finite():
        raise MappingError(f"{key} is not a number", key, raw)
    return value


#: A QuickBooks date: YYYY-MM-DD, ASCII digits, optionally with a time after a "T".
_ISO_DAY = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T[0-9:.+\-Z]*)?")
#: Parsed dates by their text: a company's transactions share a few hundred distinct dates.
_DAYS: dict[str, date] = {}
_DAYS_MAX = 20_000


def day(obj: Mapping[str, Any], key: str, required: bool = True) -> date | None:
    """A ``YYYY-MM-DD`` field as a date."""
    raw = obj.get(key)
    if type(raw) is str:
        known = _DAYS.get(raw)
        if known is not None:
            return known
    if raw in (None, ""):
        if required:
            raise MappingError(f"{key} is missing", key)
        return None
    # Strictly YYYY-MM-DD (optionally followed by a time): date.fromisoformat alone also takes
    # 20260115 and 2026-W03-4, and a slice would take "2026-01-15junk".
    match = _ISO_DAY.fullmatch(raw) if type(raw) is str else None
    try:
        if match is None:
            raise ValueError
        parsed = date.fromisoformat(match[1])
    except ValueError:
        raise MappingError(f"{key} is not a date (YYYY-MM-DD)", key, raw) from None
    if type(raw) is str and len(_DAYS) < _DAYS_MAX:
        _DAYS[raw] = parsed
    return parsed


def home_currency(preferences_body: Mapping[str, Any]) -> str | None:
    """``Preferences.CurrencyPrefs.HomeCurrency`` from a ``GET …/preferences`` body."""
    prefs = preferences_body.get("Preferences") or {}
    currency = (prefs.get("CurrencyPrefs") or {}).get("HomeCurrency")
    if isinstance(currency, Mapping):
        value = currency.get("value")
        return str(value) if value else None
    return None


def currency_of(obj: Mapping[str, Any], home: str | None) -> str | None:
    """The object's ``CurrencyRef``, else the company's home currency."""
    return ref(obj, "CurrencyRef") or home


def _required_ref(obj: Mapping[str, Any], key: str) -> str:
    value = ref(obj, key)
    if not value:
        raise MappingError(f"{key} is missing", key)
    return value


def _address(addr: Any) -> str | None:
    if not isinstance(addr, Mapping):
        return None
    lines = [str(addr[k]) for k in ("Line1", "Line2", "Line3", "Line4", "Line5") if addr.get(k)]
    city = " ".join(
        str(addr[k]) for k in ("City", "CountrySubDivisionCode", "PostalCode") if addr.get(k)
    )
    if city:
        lines.append(city)
    if addr.get("Country"):
        lines.append(str(addr["Country"]))
    return "\n".join(lines) or None


def customer(obj: Mapping[str, Any], home: str | None) -> Customer:
    """A QBO Customer. Inactive customers (QuickBooks' "deleted") stay, with ``active=False``."""
    cid = obj.get("Id")
    if not cid:
        raise MappingError("Id is missing", "Id")
    active = obj.get("Active", True) not in (False, "false")
    name = str(obj.get("DisplayName") or obj.get("CompanyName") or "")
    if not active and name.endswith(" (deleted)"):
        name = name[: -len(" (deleted)")]
    if not name:
        raise MappingError("DisplayName is missing", "DisplayName")
    email = (obj.get("PrimaryEmailAddr") or {}).get("Address")
    phone = (obj.get("PrimaryPhone") or {}).get("FreeFormNumber")
    return Customer(
        id=str(cid),
        name=name,
        email=str(email) if email else None,
        phone=str(phone) if phone else None,
        address=_address(obj.get("BillAddr")),
        currency=currency_of(obj, home),
        active=active,
        origin=origin("Customer", obj),
    )


def is_void(obj: Mapping[str, Any]) -> bool:
    """Whether an Invoice was voided: QuickBooks keeps it with every amount zeroed (and usually
    ``PrivateNote`` "Voided"). A zero-total invoice is treated as void: there is nothing to collect.
    """
    note = str(obj.get("PrivateNote") or "")
    return money(obj, "TotalAmt", ZERO) == 0 or note.strip().lower().startswith("voided")


def invoice(obj: Mapping[str, Any], home: str | None) -> Invoice:
    """A QBO Invoice: number = DocNumber, amount = TotalAmt, source_balance = Balance."""
    iid = obj.get("Id")
    if not iid:
        raise MappingError("Id is missing", "Id")
    # Inline is_void(): TotalAmt read once. QuickBooks always sends it (0 on a voided
    # invoice): one without it is a damaged answer, not a void invoice.
    amount = money(obj, "TotalAmt")
    note = obj.get("PrivateNote")
    void = amount == 0 or (bool(note) and str(note).strip().lower().startswith("voided"))
    if amount < 0:
        raise MappingError("TotalAmt is negative", "TotalAmt", amount)
    memo = obj.get("CustomerMemo")
    description = memo.get("value") if isinstance(memo, Mapping) else None
    number = obj.get("DocNumber")
    return Invoice(
        id=str(iid),
        customer_id=_required_ref(obj, "CustomerRef"),
        issue_date=day(obj, "TxnDate"),  # type: ignore[arg-type]
        amount=ZERO if void else amount,
        number=str(number) if number else None,
        due_date=day(obj, "DueDate", required=False),
        currency=ref(obj, "CurrencyRef") or home,
        void=void,
        description=str(description) if description else None,
        source_balance=ZERO if void else money(obj, "Balance", amount),
        origin="Invoice " + str(iid),
    )


def credit_memo_id(memo_id: str) -> str:
    """The payment_id of a CreditMemo's own allocations."""
    return CREDIT_MEMO_PREFIX + memo_id


def credit_memo_allocations(obj: Mapping[str, Any], home: str | None) -> list[Allocation]:
    """A CreditMemo's credit not yet applied (``RemainingCredit``) as unapplied credit, dated
    at the memo's ``TxnDate``. Applied parts come from the Payments that apply them."""
    mid = obj.get("Id")
    if not mid:
        raise MappingError("Id is missing", "Id")
    total = money(obj, "TotalAmt")
    remaining = money(obj, "RemainingCredit", money(obj, "Balance", total))
    if remaining <= 0:
        return []
    return [
        Allocation(
            payment_id=credit_memo_id(str(mid)),
            customer_id=_required_ref(obj, "CustomerRef"),
            date=day(obj, "TxnDate"),  # type: ignore[arg-type]
            amount=remaining,
            kind="credit",
            currency=currency_of(obj, home),
            reference=f"CM {obj['DocNumber']}" if obj.get("DocNumber") else f"CreditMemo {mid}",
            origin=origin("CreditMemo", obj),
        )
    ]


def payment_links(obj: Mapping[str, Any]) -> list[tuple[Decimal, str, str]]:
    """``(amount, TxnType, TxnId)`` for every linked transaction of a Payment's lines."""
    out = []
    for line in obj.get("Line") or ():
        if type(line) is not dict and not isinstance(line, Mapping):
            continue
        links = line.get("LinkedTxn")
        if not links:
            continue
        amount = money(line, "Amount", ZERO)
        for link in links:
            if (type(link) is dict or isinstance(link, Mapping)) and link.get("TxnId"):
                out.append((amount, str(link.get("TxnType") or ""), str(link["TxnId"])))
                break  # one line applies one transaction
    return out


def refund_purchase_ids(
    obj: Mapping[str, Any], links: list[tuple[Decimal, str, str]] | None = None
) -> set[str]:
    """Ids of the Purchases (refund checks/expenses) a Payment links, to look up their dates.

    ``links`` is :func:`payment_links` of ``obj`` when the caller has it already."""
    links = payment_links(obj) if links is None else links
    return {txn for _, kind, txn in links if kind in REFUND_TYPES}


def credit_memo_ids(
    obj: Mapping[str, Any], links: list[tuple[Decimal, str, str]] | None = None
) -> set[str]:
    """Ids of the CreditMemos a Payment applies, to look up their dates."""
    links = payment_links(obj) if links is None else links
    return {txn for _, kind, txn in links if kind == "CreditMemo"}


@dataclass
class _MemoCredit:
    """What is left of one CreditMemo line while a payment's links consume it."""

    left: Decimal
    on: date
    text: str


def payment_allocations(
    obj: Mapping[str, Any],
    home: str | None,
    purchases: Mapping[str, Mapping[str, Any]] | None = None,
    credit_dates: Mapping[str, date] | None = None,
    links: list[tuple[Decimal, str, str]] | None = None,
) -> list[Allocation]:
    """A QBO Payment as allocations (all with payment_id = the Payment's Id).

    Funds are the cash (``TotalAmt``) and the CreditMemo lines; they pay the Invoice lines
    (credits first, then cash) and the refund lines (Check/Expense/CreditCardCredit). Cash is
    dated at the Payment's ``TxnDate``; a credit at its CreditMemo's ``TxnDate`` (from
    ``credit_dates``; the Payment's date when unknown), so the customer's credit counts from the
    day it was issued. Cash left over is unapplied ``payment``, credit left over unapplied
    ``credit``; a refund line is a ``refund`` dated at its Purchase's ``TxnDate`` (from
    ``purchases``; the Payment's date when unknown). ``links`` is :func:`payment_links` of
    ``obj`` when the caller has it already (it is not read again).
    """
    pid = obj.get("Id")
    if not pid:
        raise MappingError("Id is missing", "Id")
    pid = str(pid)
    cust = _required_ref(obj, "CustomerRef")
    when: date = day(obj, "TxnDate")  # type: ignore[assignment]
    cur = ref(obj, "CurrencyRef") or home
    method = ref(obj, "PaymentMethodRef")
    method_name = (obj.get("PaymentMethodRef") or {}).get("name") if method else None
    reference = str(obj["PaymentRefNum"]) if obj.get("PaymentRefNum") else None
    if links is None:
        links = payment_links(obj)
    # [amount left, date, reference] per CreditMemo line, consumed in line order.
    credits = [
        _MemoCredit(amt, (credit_dates or {}).get(txn, when), f"CreditMemo {txn}")
        for amt, kind, txn in links
        if kind == "CreditMemo" and amt > 0
    ]
    cash_left = money(obj, "TotalAmt")  # always sent (0 for a payment of credits only)
    rows: dict[tuple[str | None, str, date], Decimal] = {}
    refs: dict[tuple[str | None, str, date], str | None] = {}

    def add(invoice_id: str | None, kind: str, on: date, amount: Decimal, text: str | None) -> None:
        if amount <= 0:
            return
        key = (invoice_id, kind, on)
        rows[key] = rows.get(key, ZERO) + amount
        refs.setdefault(key, text)

    for amount, kind, txn in links:
        if kind != "Invoice" or amount <= 0:
            continue
        rest = amount
        for credit in credits:
            if rest <= 0:
                break
            used = min(rest, credit.left)
            if used > 0:
                credit.left -= used
                rest -= used
                add(txn, "credit", credit.on, used, credit.text)
        cash_left -= min(rest, max(cash_left, ZERO))
        # More applied than funded (e.g. JournalEntry credits): keep QuickBooks' figure.
        add(txn, "payment", when, rest, reference)
    add(None, "payment", when, cash_left, reference)
    for credit in credits:
        add(None, "credit", credit.on, credit.left, credit.text)
    for amount, kind, txn in links:
        if kind in REFUND_TYPES and amount > 0:
            purchase = (purchases or {}).get(txn)
            on = (day(purchase, "TxnDate", required=False) if purchase else None) or when
            add(None, "refund", on, amount, f"{kind} {txn}")
    method_text = str(method_name) if method_name else None
    where = "Payment " + pid
    return [
        Allocation(
            payment_id=pid,
            customer_id=cust,
            date=on,
            amount=amount,
            invoice_id=invoice_id,
            kind=kind,
            currency=cur,
            method=method_text,
            reference=refs[(invoice_id, kind, on)],
            origin=where,
        )
        for (invoice_id, kind, on), amount in rows.items()
    ]
