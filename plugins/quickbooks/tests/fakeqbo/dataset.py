"""In-memory QuickBooks Online books for the fake server, and builders for consistent data.

:class:`Books` holds the entities (``Customer``, ``Invoice``, ``Payment``, ``CreditMemo``,
``Purchase``, ``RefundReceipt``), the hard deletions (for CDC), ``Preferences`` and
``CompanyInfo``. Every change goes through its methods, which keep the derived fields
consistent the way QuickBooks does:

* ``Invoice.Balance`` = ``TotalAmt`` − the Payment lines linking it; ``Invoice.LinkedTxn`` lists
  those payments (``TxnType: "Payment"``); ``HomeBalance``/``HomeTotalAmt`` for foreign currency;
* ``CreditMemo.RemainingCredit`` (= ``Balance``) = ``TotalAmt`` − the Payment lines linking it;
* ``Payment.UnappliedAmt`` = ``TotalAmt`` + credit-memo lines − invoice/check/other lines;
* ``Customer.Balance`` = open invoices − unapplied payments − remaining credit.

A change to an object that already existed bumps its ``SyncToken`` and sets
``MetaData.LastUpdatedTime`` from the books' clock — including objects changed as a side
effect (the invoice a new payment pays). Amounts are ``Decimal`` quantized to the currency's
minor units; empty fields are omitted (never ``None``); ids are strings.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .clock import PACIFIC, Clock, format_time, parse_time
from .jsonenc import dumps

ENTITIES: tuple[str, ...] = (
    "Customer",
    "Invoice",
    "Payment",
    "CreditMemo",
    "Purchase",
    "RefundReceipt",
)
TRANSACTIONS = frozenset(ENTITIES) - {"Customer"}
#: Payment line types that consume money/credit (like an invoice); ``CreditMemo`` lines supply it.
DEBIT_LINK_TYPES = frozenset({"Invoice", "Check", "Expense", "JournalEntry", "CreditCardCredit"})

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
    "JPY": "Japanese Yen",
    "BHD": "Bahraini Dinar",
}
#: Default exchange rates (home units per foreign unit) for a USD home currency.
EXCHANGE_RATES = {
    "GBP": Decimal("1.25"),
    "EUR": Decimal("1.08"),
    "CAD": Decimal("0.74"),
    "AUD": Decimal("0.66"),
    "JPY": Decimal("0.0067"),
    "BHD": Decimal("2.65"),
}
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}

AR_ACCOUNT = {"value": "84", "name": "Accounts Receivable (A/R)"}
CHECKING = {"value": "35", "name": "Checking"}
UNDEPOSITED = {"value": "4", "name": "Undeposited Funds"}
SERVICES_ITEM = {"value": "1", "name": "Services"}

Obj = dict[str, Any]


def money(value: Decimal | int | str, currency: str = "USD") -> Decimal:
    """``value`` as a ``Decimal`` with the currency's minor-unit digits (never via float)."""
    if isinstance(value, float):
        raise TypeError("amounts must not be floats; pass a str or Decimal")
    exp = _EXPONENTS.get(currency, 2)
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-exp))


def clean(value: Any) -> Any:
    """Drop ``None`` and empty strings/lists/dicts recursively (QBO omits empty fields)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(v, dict | list):
                v = clean(v)
            if v is None or v == "" or v == [] or v == {}:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [clean(v) if isinstance(v, dict | list) else v for v in value if v is not None]
    return value


def _strip(obj: Obj) -> Obj:
    """Top-level-only :func:`clean` for objects the builders made (fast path)."""
    return {
        k: v
        for k, v in obj.items()
        if v is not None and (v or not isinstance(v, str | list | dict))
    }


@dataclass(frozen=True)
class Deletion:
    """A hard-deleted transaction, reported by CDC as a ``status: "Deleted"`` stub."""

    entity: str
    id: str
    time: datetime

    def stub(self) -> Obj:
        """The CDC / delete-response stub."""
        return {
            "status": "Deleted",
            "domain": "QBO",
            "Id": self.id,
            "MetaData": {"LastUpdatedTime": format_time(self.time)},
        }


@dataclass
class _Op:
    touch: bool = True
    customers: set[str] = field(default_factory=set)
    fresh: set[tuple[str, str]] = field(default_factory=set)
    touched: set[tuple[str, str]] = field(default_factory=set)


class Books:
    """One QuickBooks company's data, consistent and thread-safe (``books.lock``)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        home_currency: str = "USD",
        multicurrency: bool = True,
        company_name: str = "Fake Collect Co",
        auto_apply_credit: bool = False,
    ) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.home_currency = home_currency
        self.entities: dict[str, dict[str, Obj]] = {name: {} for name in ENTITIES}
        self.deletions: list[Deletion] = []
        #: Bumped on every change (the server caches sorted views per version).
        self.version = 0
        self._json_cache: dict[tuple[str, str], str] = {}
        self._sorted_cache: dict[tuple[Any, ...], list[Obj]] = {}
        self._by_customer: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._next_name_id = 1
        self._next_txn_id = 100
        self._next_doc = 1001
        self._next_cm = 1
        self._next_check = 5001
        self._op_stack: list[_Op] = []
        #: Names of interesting objects → ids (filled by :func:`small_books`).
        self.ids: dict[str, str] = {}
        created = format_time(self.clock.now() - timedelta(days=800))
        self.preferences: Obj = {
            "Id": "1",
            "SyncToken": "0",
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": multicurrency,
                "HomeCurrency": {"value": home_currency},
            },
            "SalesFormsPrefs": {
                "AutoApplyCredit": auto_apply_credit,
                "DefaultTerms": {"value": "3"},
            },
            "MetaData": {"CreateTime": created, "LastUpdatedTime": created},
        }
        self.company_info: Obj = {
            "Id": "1",
            "SyncToken": "0",
            "CompanyName": company_name,
            "LegalName": company_name,
            "Country": "US",
            "CompanyStartDate": "2024-01-01",
            "MetaData": {"CreateTime": created, "LastUpdatedTime": created},
        }

    # ------------------------------------------------------------------ reading

    def get(self, entity: str, obj_id: str) -> Obj:
        """The live object (raises ``KeyError``); treat it as read-only, change via methods."""
        return self.entities[entity][str(obj_id)]

    def find(self, entity: str, **match: Any) -> list[Obj]:
        """Objects whose top-level fields equal ``match`` (``CustomerRef="3"`` matches a ref)."""
        out = []
        for obj in self.entities[entity].values():
            ok = True
            for key, want in match.items():
                have = obj.get(key)
                if isinstance(have, dict) and "value" in have:
                    have = have["value"]
                if have != want:
                    ok = False
                    break
            if ok:
                out.append(obj)
        return out

    def json_of(self, entity: str, obj: Obj) -> str:
        """The object's JSON text (cached until it changes)."""
        key = (entity, obj["Id"])
        text = self._json_cache.get(key)
        if text is None:
            text = dumps(obj)
            self._json_cache[key] = text
        return text

    def preserialize(self) -> None:
        """Serialise every object now (e.g. in a benchmark's setup) so first pages are fast."""
        with self.lock:
            for entity, objs in self.entities.items():
                for obj in objs.values():
                    self.json_of(entity, obj)

    def sorted_rows(
        self, entity: str, order: tuple[tuple[str, bool], ...], key_fn: Any
    ) -> list[Obj]:
        """All rows of ``entity`` sorted by ``order`` (cached per version)."""
        cache_key = (entity, order, self.version)
        rows = self._sorted_cache.get(cache_key)
        if rows is None:
            rows = list(self.entities[entity].values())
            for field_name, desc in reversed(order):
                rows.sort(key=lambda o, f=field_name: key_fn(o, f), reverse=desc)
            if len(self._sorted_cache) > 32:
                self._sorted_cache.clear()
            self._sorted_cache[cache_key] = rows
        return rows

    def open_balance(self, invoice_id: str) -> Decimal:
        """An invoice's current ``Balance``."""
        return self.get("Invoice", invoice_id)["Balance"]

    def customer_of(self, entity: str, obj: Obj) -> str | None:
        """The customer id a transaction belongs to."""
        ref = obj.get("CustomerRef") or (obj.get("EntityRef") if entity == "Purchase" else None)
        return ref["value"] if ref else None

    # ------------------------------------------------------------- operations

    @contextmanager
    def _op(self, *, touch: bool = True) -> Iterator[_Op]:
        with self.lock:
            if self._op_stack:
                yield self._op_stack[-1]
                return
            op = _Op(touch=touch)
            self._op_stack.append(op)
            try:
                yield op
                for cid in sorted(op.customers):
                    self._recompute(cid, op)
                if op.touch:
                    for key in sorted(op.touched - op.fresh):
                        entity, obj_id = key
                        if obj_id in self.entities[entity]:
                            self._touch(entity, self.entities[entity][obj_id])
            finally:
                self._op_stack.pop()
                self.version += 1
                if not op.touch:
                    self._json_cache.clear()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Build many objects quickly: derived fields once at the end, no SyncToken bumps."""
        with self._op(touch=False):
            yield

    def _touch(self, entity: str, obj: Obj) -> None:
        obj["SyncToken"] = str(int(obj.get("SyncToken", "0")) + 1)
        obj.setdefault("MetaData", {})["LastUpdatedTime"] = format_time(self.clock.now())
        self._json_cache.pop((entity, obj["Id"]), None)

    def _meta(self, at: datetime | None) -> Obj:
        stamp = format_time(at or self.clock.now())
        return {"CreateTime": stamp, "LastUpdatedTime": stamp}

    def _new_id(self, entity: str) -> str:
        if entity == "Customer":
            while str(self._next_name_id) in self.entities["Customer"]:
                self._next_name_id += 1
            self._next_name_id += 1
            return str(self._next_name_id - 1)
        while any(str(self._next_txn_id) in self.entities[e] for e in TRANSACTIONS):
            self._next_txn_id += 1
        self._next_txn_id += 1
        return str(self._next_txn_id - 1)

    def add(
        self, entity: str, obj: Obj, *, at: datetime | None = None, _trusted: bool = False
    ) -> Obj:
        """Add a raw object (Id, SyncToken and MetaData filled in when missing)."""
        if entity not in self.entities:
            raise ValueError(f"unknown entity {entity!r}")
        with self._op() as op:
            body = _strip(obj) if _trusted else clean(dict(obj))
            obj_id = str(body.pop("Id", None) or self._new_id(entity))
            if obj_id in self.entities[entity]:
                raise ValueError(f"{entity} {obj_id} exists")
            obj = {"Id": obj_id, "SyncToken": str(body.pop("SyncToken", "0")), **body}
            obj.setdefault("MetaData", self._meta(at))
            self.entities[entity][obj["Id"]] = obj
            key = (entity, obj["Id"])
            op.fresh.add(key)
            cid = obj["Id"] if entity == "Customer" else self.customer_of(entity, obj)
            if cid:
                self._by_customer[cid].add(key)
                op.customers.add(cid)
            self._json_cache.pop(key, None)
            return obj

    def update(self, entity: str, obj_id: str, **changes: Any) -> Obj:
        """Set fields (``None`` removes one); bumps SyncToken and LastUpdatedTime.

        Changing an Invoice/CreditMemo/RefundReceipt ``Line`` without ``TotalAmt`` recomputes it.
        """
        with self._op() as op:
            obj = self.get(entity, obj_id)
            for key, value in changes.items():
                if value is None:
                    obj.pop(key, None)
                else:
                    obj[key] = clean(value) if isinstance(value, dict | list) else value
            if "Line" in changes and "TotalAmt" not in changes and entity != "Payment":
                cur = obj.get("CurrencyRef", {}).get("value", self.home_currency)
                obj["TotalAmt"] = money(sum((ln["Amount"] for ln in obj["Line"]), Decimal(0)), cur)
            op.touched.add((entity, obj["Id"]))
            cid = obj["Id"] if entity == "Customer" else self.customer_of(entity, obj)
            if cid:
                op.customers.add(cid)
            self._json_cache.pop((entity, obj["Id"]), None)
            return obj

    def delete(self, entity: str, obj_id: str) -> Deletion:
        """Hard-delete a transaction (recorded for CDC); payments linking it are adjusted."""
        if entity not in TRANSACTIONS:
            raise ValueError(f"{entity} cannot be deleted (customers are only made inactive)")
        with self._op() as op:
            obj = self.entities[entity].pop(str(obj_id))
            key = (entity, obj["Id"])
            cid = self.customer_of(entity, obj)
            if cid:
                self._by_customer[cid].discard(key)
                op.customers.add(cid)
                link_type = {"Invoice": "Invoice", "CreditMemo": "CreditMemo", "Purchase": "Check"}
                if entity in link_type:
                    self._remove_links(cid, obj["Id"], link_type[entity], op)
            self._json_cache.pop(key, None)
            gone = Deletion(entity, obj["Id"], self.clock.now())
            self.deletions.append(gone)
            return gone

    def void_invoice(self, invoice_id: str) -> Obj:
        """Void: the record stays with amounts zeroed; payments applied to it become unapplied."""
        with self._op() as op:
            inv = self.get("Invoice", invoice_id)
            cid = self.customer_of("Invoice", inv)
            assert cid is not None
            self._remove_links(cid, inv["Id"], "Invoice", op)
            zero = money(0, inv.get("CurrencyRef", {}).get("value", self.home_currency))
            inv["TotalAmt"] = zero
            inv["Balance"] = zero
            for line in inv.get("Line", []):
                line["Amount"] = zero
                detail = line.get("SalesItemLineDetail")
                if detail:
                    detail.pop("UnitPrice", None)
                    detail.pop("Qty", None)
            if "HomeTotalAmt" in inv:
                inv["HomeTotalAmt"] = money(0, self.home_currency)
            inv["PrivateNote"] = "Voided"
            op.touched.add(("Invoice", inv["Id"]))
            op.customers.add(cid)
            return inv

    def inactivate_customer(
        self,
        customer_id: str,
        *,
        balancing_credit_memo: bool = True,
        deleted_suffix: bool = True,
    ) -> Obj:
        """Make a customer inactive (QBO never deletes them).

        Like the QBO UI, a customer with an open balance gets a balancing CreditMemo (left
        unapplied); ``deleted_suffix`` appends " (deleted)" to the DisplayName.
        """
        with self._op() as op:
            cust = self.get("Customer", customer_id)
            self._recompute(cust["Id"], op)
            balance = cust.get("Balance", Decimal(0))
            if balancing_credit_memo and balance > 0:
                self.add_credit_memo(
                    cust["Id"], balance, txn_date=self.clock.today(), private_note="Inactivation"
                )
            cust["Active"] = False
            if deleted_suffix and not cust["DisplayName"].endswith(" (deleted)"):
                cust["DisplayName"] += " (deleted)"
            op.touched.add(("Customer", cust["Id"]))
            op.customers.add(cust["Id"])
            return cust

    # -------------------------------------------------------------- builders

    def add_customer(
        self,
        display_name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        company_name: str | None = None,
        currency: str | None = None,
        active: bool = True,
        parent_id: str | None = None,
        address: Mapping[str, str] | None = None,
        obj_id: str | None = None,
        at: datetime | None = None,
        **extra: Any,
    ) -> Obj:
        """Add a customer (``DisplayName`` must be unique)."""
        with self.lock:
            if not self._op_stack or self._op_stack[-1].touch:
                for other in self.entities["Customer"].values():
                    if other["DisplayName"] == display_name:
                        raise ValueError(f"Duplicate Name Exists Error: {display_name!r} (6240)")
            cur = currency or self.home_currency
            obj: Obj = {
                "Id": obj_id,
                "DisplayName": display_name,
                "CompanyName": company_name,
                "PrimaryEmailAddr": {"Address": email} if email else None,
                "PrimaryPhone": {"FreeFormNumber": phone} if phone else None,
                "BillAddr": dict(address) if address else None,
                "Balance": money(0, cur),
                "Active": active,
                "Job": parent_id is not None,
                "ParentRef": {"value": parent_id} if parent_id else None,
                "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                **extra,
            }
            return self.add("Customer", obj, at=at, _trusted=True)

    def _customer_ref(self, customer_id: str) -> tuple[Obj, str]:
        cust = self.get("Customer", customer_id)
        return {"value": cust["Id"], "name": cust["DisplayName"]}, cust["CurrencyRef"]["value"]

    def _fx(self, cur: str, rate: Decimal | str | None) -> Decimal | None:
        if cur == self.home_currency:
            return None
        return Decimal(str(rate)) if rate is not None else EXCHANGE_RATES.get(cur, Decimal(1))

    def add_invoice(
        self,
        customer_id: str,
        amount: Decimal | str | int | None = None,
        *,
        txn_date: date | str,
        due_date: date | str | None = None,
        lines: list[Obj] | None = None,
        doc_number: str | None = None,
        exchange_rate: Decimal | str | None = None,
        bill_email: str | None = None,
        terms_days: int = 30,
        obj_id: str | None = None,
        at: datetime | None = None,
        **extra: Any,
    ) -> Obj:
        """Add an invoice of ``amount`` (one service line) or of explicit ``lines``."""
        with self.lock:
            ref, cur = self._customer_ref(customer_id)
            if lines is None:
                if amount is None:
                    raise ValueError("give amount or lines")
                amt = money(amount, cur)
                lines = [
                    {
                        "Id": "1",
                        "LineNum": 1,
                        "Amount": amt,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {
                            "ItemRef": dict(SERVICES_ITEM),
                            "Qty": 1,
                            "UnitPrice": amt,
                        },
                    }
                ]
            total = money(sum((ln["Amount"] for ln in lines), Decimal(0)), cur)
            txn = _as_date(txn_date)
            due = _as_date(due_date) if due_date else txn + timedelta(days=terms_days)
            if doc_number is None:
                doc_number = str(self._next_doc)
                self._next_doc += 1
            fx = self._fx(cur, exchange_rate)
            email = bill_email
            if email is None:
                email = self.get("Customer", customer_id).get("PrimaryEmailAddr", {}).get("Address")
            obj: Obj = {
                "Id": obj_id,
                "DocNumber": doc_number,
                "TxnDate": txn.isoformat(),
                "DueDate": due.isoformat(),
                "CustomerRef": ref,
                "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                "ExchangeRate": fx,
                "TotalAmt": total,
                "Balance": total,
                "HomeTotalAmt": money(total * fx, self.home_currency) if fx else None,
                "Line": lines,
                "BillEmail": {"Address": email} if email else None,
                **extra,
            }
            return self.add("Invoice", obj, at=at, _trusted=True)

    def add_credit_memo(
        self,
        customer_id: str,
        amount: Decimal | str | int,
        *,
        txn_date: date | str,
        doc_number: str | None = None,
        private_note: str | None = None,
        obj_id: str | None = None,
        at: datetime | None = None,
        auto_apply: bool | None = None,
    ) -> Obj:
        """Add a credit memo, unapplied (apply it with :meth:`apply_credit`) — unless
        ``Preferences.SalesFormsPrefs.AutoApplyCredit`` is on: then, like QuickBooks, a
        zero-total Payment applies it to the oldest open invoices (``auto_apply=False`` to
        opt out for one memo).
        """
        with self._op():
            cm = self._add_credit_memo(
                customer_id,
                amount,
                txn_date=txn_date,
                doc_number=doc_number,
                private_note=private_note,
                obj_id=obj_id,
                at=at,
            )
            if auto_apply is None:
                auto_apply = bool(self.preferences["SalesFormsPrefs"].get("AutoApplyCredit"))
            if auto_apply:
                self._auto_apply(cm, at)
            return cm

    def _auto_apply(self, cm: Obj, at: datetime | None) -> None:
        cid = cm["CustomerRef"]["value"]
        self._recompute(cid, self._op_stack[-1])
        left = cm["TotalAmt"]
        invoices = sorted(
            (
                self.entities["Invoice"][k[1]]
                for k in self._by_customer.get(cid, ())
                if k[0] == "Invoice" and self.entities["Invoice"][k[1]]["Balance"] > 0
            ),
            key=lambda inv: (inv["TxnDate"], _id_key(inv["Id"])),
        )
        applied: dict[str, Decimal] = {}
        for inv in invoices:
            if left <= 0:
                break
            take = min(left, inv["Balance"])
            applied[inv["Id"]] = take
            left -= take
        if applied:
            self.add_payment(
                cid,
                0,
                txn_date=cm["TxnDate"],
                invoices=applied,
                credit_memos={cm["Id"]: sum(applied.values(), Decimal(0))},
                at=at,
            )

    def _add_credit_memo(
        self,
        customer_id: str,
        amount: Decimal | str | int,
        *,
        txn_date: date | str,
        doc_number: str | None,
        private_note: str | None,
        obj_id: str | None,
        at: datetime | None,
    ) -> Obj:
        with self.lock:
            ref, cur = self._customer_ref(customer_id)
            amt = money(amount, cur)
            if doc_number is None:
                doc_number = f"CM-{self._next_cm}"
                self._next_cm += 1
            txn = _as_date(txn_date)
            fx = self._fx(cur, None)
            obj: Obj = {
                "Id": obj_id,
                "DocNumber": doc_number,
                "TxnDate": txn.isoformat(),
                "CustomerRef": ref,
                "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                "ExchangeRate": fx,
                "TotalAmt": amt,
                "RemainingCredit": amt,
                "Balance": amt,
                "PrivateNote": private_note,
                "Line": [
                    {
                        "Id": "1",
                        "LineNum": 1,
                        "Amount": amt,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": dict(SERVICES_ITEM)},
                    }
                ],
            }
            return self.add("CreditMemo", obj, at=at, _trusted=True)

    def add_payment(
        self,
        customer_id: str,
        total: Decimal | str | int,
        *,
        txn_date: date | str,
        invoices: Mapping[str, Decimal | str | int] | None = None,
        credit_memos: Mapping[str, Decimal | str | int] | None = None,
        links: Iterable[tuple[str, str, Decimal | str | int]] = (),
        ref_num: str | None = None,
        method: str | None = None,
        exchange_rate: Decimal | str | None = None,
        obj_id: str | None = None,
        at: datetime | None = None,
    ) -> Obj:
        """Add a received payment of ``total`` applied to ``invoices`` ({id: amount}).

        ``credit_memos`` adds credit-memo lines, ``links`` any ``(TxnId, TxnType, amount)``
        line (e.g. ``("205", "Check", "25.00")``). ``UnappliedAmt`` is what is left over and
        must not be negative.
        """
        with self.lock:
            ref, cur = self._customer_ref(customer_id)
            all_links = [(i, "Invoice", a) for i, a in (invoices or {}).items()]
            all_links += [(i, "CreditMemo", a) for i, a in (credit_memos or {}).items()]
            all_links += list(links)
            lines = []
            for txn_id, txn_type, amount in all_links:
                self._check_link(customer_id, str(txn_id), txn_type, money(amount, cur))
                lines.append(_payment_line(str(txn_id), txn_type, money(amount, cur)))
            txn = _as_date(txn_date)
            amt = money(total, cur)
            obj: Obj = {
                "Id": obj_id,
                "TxnDate": txn.isoformat(),
                "CustomerRef": ref,
                "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                "ExchangeRate": self._fx(cur, exchange_rate),
                "TotalAmt": amt,
                "UnappliedAmt": amt,
                "ProcessPayment": False,
                "PaymentRefNum": ref_num,
                "PaymentMethodRef": {"value": "1", "name": method} if method else None,
                "DepositToAccountRef": dict(UNDEPOSITED),
                "ARAccountRef": dict(AR_ACCOUNT),
                "Line": lines,
            }
            return self.add("Payment", obj, at=at, _trusted=True)

    def _check_link(self, customer_id: str, txn_id: str, txn_type: str, amount: Decimal) -> None:
        if self._op_stack and not self._op_stack[-1].touch:
            return  # bulk generation trusts its caller
        entity = {"Invoice": "Invoice", "CreditMemo": "CreditMemo", "Check": "Purchase"}.get(
            txn_type
        )
        if entity is None:
            return
        target = self.get(entity, txn_id)
        if self.customer_of(entity, target) != customer_id:
            raise ValueError(f"{txn_type} {txn_id} belongs to another customer")
        if amount <= 0:
            raise ValueError("line amounts must be positive")
        if entity == "Invoice" and amount > target["Balance"]:
            raise ValueError(f"invoice {txn_id} has only {target['Balance']} open")
        if entity == "CreditMemo" and amount > target["RemainingCredit"]:
            raise ValueError(f"credit memo {txn_id} has only {target['RemainingCredit']} left")

    def apply_credit(
        self,
        credit_memo_id: str,
        invoice_id: str,
        amount: Decimal | str | int | None = None,
        *,
        txn_date: date | str | None = None,
        at: datetime | None = None,
    ) -> Obj:
        """Apply a credit memo to an invoice: a zero-total Payment linking both (as QBO does)."""
        with self.lock:
            cm = self.get("CreditMemo", credit_memo_id)
            inv = self.get("Invoice", invoice_id)
            amt = (
                money(amount, cm["CurrencyRef"]["value"])
                if amount is not None
                else min(cm["RemainingCredit"], inv["Balance"])
            )
            cid = cm["CustomerRef"]["value"]
            return self.add_payment(
                cid,
                0,
                txn_date=txn_date or cm["TxnDate"],
                invoices={inv["Id"]: amt},
                credit_memos={cm["Id"]: amt},
                at=at,
            )

    def refund_credit(
        self,
        customer_id: str,
        amount: Decimal | str | int,
        *,
        txn_date: date | str,
        credit_memo_id: str | None = None,
        payment_id: str | None = None,
        doc_number: str | None = None,
        at: datetime | None = None,
    ) -> Obj:
        """Pay a credit balance back by check: a ``Purchase`` (``PaymentType: "Check"``).

        The check is linked (``TxnType: "Check"``) from ``payment_id``'s lines (using its
        unapplied amount) or from a new zero-total Payment that also links ``credit_memo_id``.
        Returns the Purchase.
        """
        if (credit_memo_id is None) == (payment_id is None):
            raise ValueError("give exactly one of credit_memo_id or payment_id")
        with self._op() as op:
            ref, cur = self._customer_ref(customer_id)
            amt = money(amount, cur)
            txn = _as_date(txn_date)
            if doc_number is None:
                doc_number = str(self._next_check)
                self._next_check += 1
            purchase = self.add(
                "Purchase",
                {
                    "DocNumber": doc_number,
                    "PaymentType": "Check",
                    "TxnDate": txn.isoformat(),
                    "EntityRef": {**ref, "type": "Customer"},
                    "AccountRef": dict(CHECKING),
                    "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                    "ExchangeRate": self._fx(cur, None),
                    "TotalAmt": amt,
                    "PrintStatus": "NotSet",
                    "Line": [
                        {
                            "Id": "1",
                            "Amount": amt,
                            "DetailType": "AccountBasedExpenseLineDetail",
                            "AccountBasedExpenseLineDetail": {"AccountRef": dict(AR_ACCOUNT)},
                        }
                    ],
                },
                at=at,
                _trusted=True,
            )
            if credit_memo_id is not None:
                self.add_payment(
                    customer_id,
                    0,
                    txn_date=txn,
                    credit_memos={credit_memo_id: amt},
                    links=[(purchase["Id"], "Check", amt)],
                    at=at,
                )
            else:
                pay = self.get("Payment", str(payment_id))
                self._recompute(customer_id, op)
                if pay["UnappliedAmt"] < amt:
                    raise ValueError(
                        f"payment {payment_id} has only {pay['UnappliedAmt']} unapplied"
                    )
                pay["Line"] = [*pay.get("Line", []), _payment_line(purchase["Id"], "Check", amt)]
                op.touched.add(("Payment", pay["Id"]))
                op.customers.add(customer_id)
            return purchase

    def add_refund_receipt(
        self,
        customer_id: str,
        amount: Decimal | str | int,
        *,
        txn_date: date | str,
        method: str | None = None,
        doc_number: str | None = None,
        at: datetime | None = None,
    ) -> Obj:
        """Add a RefundReceipt (money paid back for returns; never touches invoice balances)."""
        with self.lock:
            ref, cur = self._customer_ref(customer_id)
            amt = money(amount, cur)
            txn = _as_date(txn_date)
            obj: Obj = {
                "DocNumber": doc_number,
                "TxnDate": txn.isoformat(),
                "CustomerRef": ref,
                "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                "ExchangeRate": self._fx(cur, None),
                "TotalAmt": amt,
                "DepositToAccountRef": dict(CHECKING),
                "PaymentMethodRef": {"value": "1", "name": method} if method else None,
                "Line": [
                    {
                        "Id": "1",
                        "LineNum": 1,
                        "Amount": amt,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": dict(SERVICES_ITEM)},
                    }
                ],
            }
            return self.add("RefundReceipt", obj, at=at, _trusted=True)

    # ---------------------------------------------------------- consistency

    def _remove_links(self, customer_id: str, txn_id: str, txn_type: str, op: _Op) -> None:
        """Drop Payment lines linking a voided/deleted transaction, releasing linked credit."""
        for key in sorted(self._by_customer.get(customer_id, ())):
            if key[0] != "Payment" or key[1] not in self.entities["Payment"]:
                continue
            pay = self.entities["Payment"][key[1]]
            lines = pay.get("Line", [])
            removed = sum(
                (ln["Amount"] for ln in lines if _link(ln) == (txn_id, txn_type)), Decimal(0)
            )
            if not removed:
                continue
            lines = [ln for ln in lines if _link(ln) != (txn_id, txn_type)]
            if txn_type in DEBIT_LINK_TYPES:
                # a zero-total payment cannot hold unapplied money: release credit first
                lines = _reduce(lines, {"CreditMemo"}, removed)
            else:
                credit = sum((ln["Amount"] for ln in lines if _link(ln)[1] == "CreditMemo"), 0)
                debit = sum((ln["Amount"] for ln in lines if _link(ln)[1] != "CreditMemo"), 0)
                deficit = debit - credit - pay["TotalAmt"]
                if deficit > 0:
                    lines = _reduce(lines, DEBIT_LINK_TYPES, deficit)
            pay["Line"] = lines
            if not lines:
                pay.pop("Line", None)
                if pay["TotalAmt"] == 0:
                    self.entities["Payment"].pop(pay["Id"])
                    self._by_customer[customer_id].discard(key)
                    self._json_cache.pop(key, None)
                    self.deletions.append(Deletion("Payment", pay["Id"], self.clock.now()))
                    continue
            op.touched.add(key)
            self._json_cache.pop(key, None)

    def _recompute(self, customer_id: str, op: _Op) -> None:
        """Derive balances for one customer's transactions; touch what changed."""
        keys = self._by_customer.get(customer_id, set())
        applied: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        paid_by: dict[str, list[str]] = defaultdict(list)
        pay_times: dict[str, list[str]] = defaultdict(list)
        payments = [self.entities["Payment"][k[1]] for k in keys if k[0] == "Payment"]
        cust = self.entities["Customer"].get(customer_id)
        home = self.home_currency
        unapplied_total = Decimal(0)
        changed: list[tuple[str, Obj]] = []
        for pay in payments:
            credit = debit = Decimal(0)
            for line in pay.get("Line", []):
                txn_id, txn_type = _link(line)
                applied[(txn_type, txn_id)] += line["Amount"]
                if txn_type == "Invoice":
                    paid_by[txn_id].append(pay["Id"])
                    pay_times[txn_id].append(pay["MetaData"]["CreateTime"])
                if txn_type == "CreditMemo":
                    credit += line["Amount"]
                else:
                    debit += line["Amount"]
            unapplied = pay["TotalAmt"] + credit - debit
            if unapplied < 0:
                raise ValueError(f"payment {pay['Id']} applies more than it holds")
            unapplied_total += unapplied
            if pay.get("UnappliedAmt") != unapplied:
                pay["UnappliedAmt"] = unapplied
                changed.append(("Payment", pay))
        open_total = Decimal(0)
        credit_total = Decimal(0)
        for entity, obj_id in keys:
            if entity == "Invoice":
                inv = self.entities["Invoice"][obj_id]
                balance = inv["TotalAmt"] - applied.get(("Invoice", obj_id), Decimal(0))
                if balance < 0:
                    raise ValueError(f"invoice {obj_id} is over-applied")
                open_total += balance
                others = [lt for lt in inv.get("LinkedTxn", []) if lt["TxnType"] != "Payment"]
                links = others + [
                    {"TxnId": p, "TxnType": "Payment"}
                    for p in sorted(set(paid_by.get(obj_id, [])), key=_id_key)
                ]
                fx = inv.get("ExchangeRate")
                home_balance = money(balance * fx, home) if fx is not None else None
                if (
                    inv.get("Balance") != balance
                    or inv.get("LinkedTxn", []) != links
                    or inv.get("HomeBalance") != home_balance
                ):
                    inv["Balance"] = balance
                    if links:
                        inv["LinkedTxn"] = links
                    else:
                        inv.pop("LinkedTxn", None)
                    if home_balance is not None:
                        inv["HomeBalance"] = home_balance
                    changed.append(("Invoice", inv))
                    if not op.touch and pay_times.get(obj_id):
                        latest = max(
                            [inv["MetaData"]["CreateTime"], *pay_times[obj_id]], key=parse_time
                        )
                        inv["MetaData"]["LastUpdatedTime"] = latest
            elif entity == "CreditMemo":
                cm = self.entities["CreditMemo"][obj_id]
                remaining = cm["TotalAmt"] - applied.get(("CreditMemo", obj_id), Decimal(0))
                if remaining < 0:
                    raise ValueError(f"credit memo {obj_id} is over-applied")
                credit_total += remaining
                if cm.get("RemainingCredit") != remaining or cm.get("Balance") != remaining:
                    cm["RemainingCredit"] = remaining
                    cm["Balance"] = remaining
                    changed.append(("CreditMemo", cm))
        if cust is not None:
            balance = money(
                open_total - unapplied_total - credit_total, cust["CurrencyRef"]["value"]
            )
            if cust.get("Balance") != balance:
                cust["Balance"] = balance
                changed.append(("Customer", cust))
        for entity, obj in changed:
            key = (entity, obj["Id"])
            self._json_cache.pop(key, None)
            if op.touch and key not in op.fresh:
                op.touched.add(key)

    def recompute_all(self) -> None:
        """Re-derive every customer's balances (after raw edits through :meth:`add`)."""
        with self._op() as op:
            op.customers.update(self.entities["Customer"])

    def check(self) -> None:
        """Assert the books are consistent (raises ``AssertionError``)."""
        with self.lock:
            snapshot = copy.deepcopy(self.entities)
            with self._op(touch=False) as op:
                op.customers.update(self.entities["Customer"])
            assert snapshot == self.entities, "derived fields were stale"


def _link(line: Obj) -> tuple[str, str]:
    linked = line.get("LinkedTxn") or [{"TxnId": "", "TxnType": ""}]
    return linked[0]["TxnId"], linked[0]["TxnType"]


def _reduce(lines: list[Obj], types: Iterable[str], amount: Decimal) -> list[Obj]:
    """Reduce lines of ``types`` by ``amount`` in total (last lines first); drop zeroed lines."""
    types = set(types)
    out = [dict(ln) for ln in lines]
    for line in reversed(out):
        if amount <= 0:
            break
        if _link(line)[1] in types:
            cut = min(amount, line["Amount"])
            line["Amount"] -= cut
            amount -= cut
    return [ln for ln in out if ln["Amount"] > 0]


def _payment_line(txn_id: str, txn_type: str, amount: Decimal) -> Obj:
    line: Obj = {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}
    if txn_type == "Invoice":
        # real payments carry this; clients are told to ignore LineEx
        line["LineEx"] = {
            "any": [
                {
                    "name": "{http://schema.intuit.com/finance/v3}NameValue",
                    "declaredType": "com.intuit.schema.finance.v3.NameValue",
                    "scope": "javax.xml.bind.JAXBElement$GlobalScope",
                    "value": {"Name": "txnId", "Value": txn_id},
                    "nil": False,
                    "globalScope": True,
                    "typeSubstituted": False,
                }
            ]
        }
    return line


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _at(day: date) -> datetime:
    """A creation time on ``day`` (10:00 Pacific)."""
    return datetime.combine(day, time(10, 0), tzinfo=PACIFIC)


def _id_key(obj_id: str) -> tuple[int, str]:
    return (int(obj_id), "") if obj_id.isdigit() else (1 << 62, obj_id)


# ------------------------------------------------------------------ data sets


def small_books(clock: Clock | None = None) -> Books:
    """A small, hand-made, consistent set of books for end-to-end tests.

    Ids of the interesting objects are in ``books.ids`` (a dict), e.g. ``books.ids["acme"]``.
    Clock ends at 2026-03-02T09:14:05.123-08:00 (the default start); history is built at
    earlier clock times, so CDC windows and ``LastUpdatedTime`` filters are meaningful.

    Customers
      ``acme`` "Acme Ltd" (USD), ``harbor`` "Harbor Tools Ltd" (GBP, multicurrency),
      ``obrien`` "O'Brien & Sons" (USD; a quote for escaping tests), ``dormant`` "Dormant Co"
      (inactive, " (deleted)" suffix, one paid invoice), ``acme_site`` "Acme Ltd:Site 2" (a
      sub-customer of acme, ``Job: true``).
    Transactions
      ``inv_acme_partial`` 500.00 with ``pay_acme_partial`` 300.00 applied (balance 200.00);
      ``inv_acme_open`` 1200.00 unpaid, overdue; ``inv_acme_reopened`` 250.00 whose full
      payment ``pay_acme_deleted`` was deleted (balance 250.00, deletion recorded);
      ``inv_acme_void`` voided (amounts 0); ``inv_harbor`` 362.07 GBP with ``pay_harbor``
      250.00 (200.00 applied, 50.00 unapplied then refunded by check ``check_harbor``, a
      Purchase linked from the payment) and ``cm_harbor`` 40.00 applied through the
      zero-total ``pay_harbor_credit`` (balance 122.07); ``inv_obrien`` 80.00 open,
      ``cm_obrien`` 30.00 refunded by ``check_obrien`` through the zero-total
      ``pay_obrien_refund``; ``refund_receipt_obrien`` 25.00; ``inv_dormant`` 100.00 paid by
      ``pay_dormant``; ``inv_site`` 75.00 open; ``inv_recent`` 60.00 for acme created
      within the last day.
    """
    clock = clock or Clock()
    end = clock.now()
    clock.set(datetime(2025, 11, 20, 9, 0, tzinfo=PACIFIC))
    b = Books(clock=clock, company_name="Fake Collect Co")
    ids: dict[str, str] = {}

    def keep(name: str, obj: Obj) -> Obj:
        ids[name] = obj["Id"]
        return obj

    acme = keep(
        "acme",
        b.add_customer(
            "Acme Ltd",
            email="ap@acme.example",
            phone="+1 415 555 0100",
            company_name="Acme Ltd",
            address={"Line1": "1 Market St", "City": "San Francisco", "PostalCode": "94105"},
        ),
    )["Id"]
    harbor = keep(
        "harbor",
        b.add_customer("Harbor Tools Ltd", email="ap@harbor.example", currency="GBP"),
    )["Id"]
    obrien = keep("obrien", b.add_customer("O'Brien & Sons", email="pay@obrien.example"))["Id"]
    dormant = keep("dormant", b.add_customer("Dormant Co", email="old@dormant.example"))["Id"]
    site = keep("acme_site", b.add_customer("Acme Ltd:Site 2", parent_id=acme))["Id"]

    clock.set(datetime(2025, 12, 1, 10, 0, tzinfo=PACIFIC))
    reopened = keep("inv_acme_reopened", b.add_invoice(acme, "250.00", txn_date="2025-12-01"))
    dorm_inv = keep("inv_dormant", b.add_invoice(dormant, "100.00", txn_date="2025-12-01"))
    clock.set(datetime(2025, 12, 20, 10, 0, tzinfo=PACIFIC))
    keep(
        "pay_acme_deleted",
        b.add_payment(acme, "250.00", txn_date="2025-12-20", invoices={reopened["Id"]: "250.00"}),
    )
    keep(
        "pay_dormant",
        b.add_payment(dormant, "100.00", txn_date="2025-12-20", invoices={dorm_inv["Id"]: "100"}),
    )
    clock.set(datetime(2026, 1, 5, 10, 0, tzinfo=PACIFIC))
    partial = keep("inv_acme_partial", b.add_invoice(acme, "500.00", txn_date="2026-01-05"))
    void = keep("inv_acme_void", b.add_invoice(acme, "99.00", txn_date="2026-01-05"))
    clock.set(datetime(2026, 1, 15, 10, 0, tzinfo=PACIFIC))
    harbor_inv = keep(
        "inv_harbor",
        b.add_invoice(harbor, "362.07", txn_date="2026-01-15", due_date="2026-02-14"),
    )
    clock.set(datetime(2026, 1, 20, 10, 0, tzinfo=PACIFIC))
    keep("inv_acme_open", b.add_invoice(acme, "1200.00", txn_date="2026-01-20"))
    keep("inv_obrien", b.add_invoice(obrien, "80.00", txn_date="2026-01-20"))
    keep("inv_site", b.add_invoice(site, "75.00", txn_date="2026-01-20"))
    clock.set(datetime(2026, 2, 10, 10, 0, tzinfo=PACIFIC))
    keep(
        "pay_acme_partial",
        b.add_payment(
            acme,
            "300.00",
            txn_date="2026-02-10",
            invoices={partial["Id"]: "300.00"},
            ref_num="CHK-881",
            method="Check",
        ),
    )
    b.void_invoice(void["Id"])
    clock.set(datetime(2026, 2, 12, 10, 0, tzinfo=PACIFIC))
    cm_obrien = keep("cm_obrien", b.add_credit_memo(obrien, "30.00", txn_date="2026-02-12"))
    clock.set(datetime(2026, 2, 20, 16, 40, 1, tzinfo=PACIFIC))
    pay_harbor = keep(
        "pay_harbor",
        b.add_payment(
            harbor, "250.00", txn_date="2026-02-20", invoices={harbor_inv["Id"]: "200.00"}
        ),
    )
    clock.set(datetime(2026, 2, 25, 11, 0, tzinfo=PACIFIC))
    cm_harbor = keep(
        "cm_harbor", b.add_credit_memo(harbor, "40.00", txn_date="2026-02-25", doc_number="CM-7")
    )
    keep("pay_harbor_credit", b.apply_credit(cm_harbor["Id"], harbor_inv["Id"], "40.00"))
    clock.set(datetime(2026, 2, 26, 9, 30, tzinfo=PACIFIC))
    keep(
        "check_harbor",
        b.refund_credit(harbor, "50.00", txn_date="2026-02-26", payment_id=pay_harbor["Id"]),
    )
    clock.set(datetime(2026, 2, 27, 12, 0, tzinfo=PACIFIC))
    check_obrien = keep(
        "check_obrien",
        b.refund_credit(obrien, "30.00", txn_date="2026-02-27", credit_memo_id=cm_obrien["Id"]),
    )
    keep(
        "pay_obrien_refund",
        next(
            p
            for p in b.entities["Payment"].values()
            if any(_link(ln) == (check_obrien["Id"], "Check") for ln in p.get("Line", []))
        ),
    )
    keep("refund_receipt_obrien", b.add_refund_receipt(obrien, "25.00", txn_date="2026-02-27"))
    clock.set(datetime(2026, 2, 28, 8, 0, tzinfo=PACIFIC))
    b.delete("Payment", ids["pay_acme_deleted"])
    clock.set(datetime(2026, 3, 1, 8, 0, tzinfo=PACIFIC))
    b.inactivate_customer(dormant)
    clock.set(end - timedelta(hours=6))
    keep("inv_recent", b.add_invoice(acme, "60.00", txn_date=(end - timedelta(hours=6)).date()))
    clock.set(end)
    b.ids.update(ids)
    return b


def generate_books(
    n_invoices: int,
    *,
    seed: int = 0,
    customers: int | None = None,
    clock: Clock | None = None,
    foreign_share: float = 0.1,
    inactive_share: float = 0.03,
    history_days: int = 400,
) -> Books:
    """Deterministic books with ``n_invoices`` invoices (for load tests and benchmarks).

    About 55% of invoices are paid in full, 10% in part, 10% overpaid (the excess left as
    unapplied credit), 2% voided, the rest open; ~10% of customers are in GBP/EUR; a few are
    inactive. Same ``seed`` → same books (ids, amounts, dates). Objects are built directly
    (not through the per-object builders) so that 100k invoices take seconds.
    """
    rng = random.Random(seed)
    books = Books(clock=clock)
    now = books.clock.now()
    today = now.date()
    n_customers = customers or max(1, n_invoices // 20)
    stamps: dict[date, str] = {}

    def stamp(day: date) -> str:
        text = stamps.get(day)
        if text is None:
            text = stamps[day] = format_time(min(_at(day), now))
        return text

    cust_info: list[tuple[str, Obj, Obj, Decimal | None, str]] = []
    with books.bulk():
        for i in range(n_customers):
            r = rng.random()
            cur = "USD"
            if r < foreign_share:
                cur = "GBP" if r < foreign_share / 2 else "EUR"
            created = now - timedelta(days=history_days + 30 - rng.randint(0, 29))
            email = f"ap{i + 1}@customer{i + 1}.example"
            cust = books.add_customer(
                f"Customer {i + 1:06d}", email=email, currency=cur, at=created
            )
            ref = {"value": cust["Id"], "name": cust["DisplayName"]}
            cur_ref = {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)}
            cust_info.append((cust["Id"], ref, cur_ref, books._fx(cur, None), email))
        invoices = books.entities["Invoice"]
        payments = books.entities["Payment"]
        by_customer = books._by_customer
        next_id = books._next_txn_id
        doc = books._next_doc
        cents = Decimal("0.01")
        rnd = rng.random
        balances: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for _ in range(n_invoices):
            pick = cust_info[int(rnd() * n_customers)]
            cid, ref, cur_ref, fx, email = pick
            txn = today - timedelta(days=int(rnd() * (history_days + 1)))
            amount = Decimal(1_000 + int(rnd() * 499_001)).scaleb(-2)
            inv_id = str(next_id)
            next_id += 1
            created = stamp(txn)
            inv: Obj = {
                "Id": inv_id,
                "SyncToken": "0",
                "DocNumber": str(doc),
                "TxnDate": txn.isoformat(),
                "DueDate": (txn + timedelta(days=30)).isoformat(),
                "CustomerRef": dict(ref),
                "CurrencyRef": dict(cur_ref),
            }
            doc += 1
            if fx is not None:
                inv["ExchangeRate"] = fx
            inv["TotalAmt"] = amount
            inv["Balance"] = amount
            if fx is not None:
                inv["HomeTotalAmt"] = (amount * fx).quantize(cents)
            inv["Line"] = [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": dict(SERVICES_ITEM),
                        "Qty": 1,
                        "UnitPrice": amount,
                    },
                }
            ]
            inv["BillEmail"] = {"Address": email}
            inv["MetaData"] = {"CreateTime": created, "LastUpdatedTime": created}
            invoices[inv_id] = inv
            by_customer[cid].add(("Invoice", inv_id))
            if fx is not None:
                inv["HomeBalance"] = inv["HomeTotalAmt"]
            balances[cid] += amount
            r = rnd()
            pay_day = txn + timedelta(days=3 + int(rnd() * 73))
            if pay_day > today:
                continue
            if r < 0.55:
                total, applied = amount, amount
            elif r < 0.65:
                total = (amount * Decimal(10 + int(rnd() * 81)) / 100).quantize(cents)
                applied = total
            elif r < 0.75:
                total = amount + Decimal(100 + int(rnd() * 4_901)).scaleb(-2)
                applied = amount
            else:
                if r < 0.77:
                    zero = Decimal("0.00")
                    inv["TotalAmt"] = inv["Balance"] = zero
                    balances[cid] -= amount
                    if fx is not None:
                        inv["HomeTotalAmt"] = inv["HomeBalance"] = zero
                    inv["Line"][0]["Amount"] = zero
                    del inv["Line"][0]["SalesItemLineDetail"]["UnitPrice"]
                    inv["PrivateNote"] = "Voided"
                continue
            pay_id = str(next_id)
            next_id += 1
            paid = stamp(pay_day)
            pay: Obj = {
                "Id": pay_id,
                "SyncToken": "0",
                "TxnDate": pay_day.isoformat(),
                "CustomerRef": dict(ref),
                "CurrencyRef": dict(cur_ref),
            }
            if fx is not None:
                pay["ExchangeRate"] = fx
            pay["TotalAmt"] = total
            pay["UnappliedAmt"] = total - applied
            pay["ProcessPayment"] = False
            pay["DepositToAccountRef"] = dict(UNDEPOSITED)
            pay["ARAccountRef"] = dict(AR_ACCOUNT)
            pay["Line"] = [_payment_line(inv_id, "Invoice", applied)]
            pay["MetaData"] = {"CreateTime": paid, "LastUpdatedTime": paid}
            payments[pay_id] = pay
            by_customer[cid].add(("Payment", pay_id))
            # what the recompute would derive, done inline for speed
            inv["Balance"] = amount - applied
            if fx is not None:
                inv["HomeBalance"] = (inv["Balance"] * fx).quantize(cents)
            inv["LinkedTxn"] = [{"TxnId": pay_id, "TxnType": "Payment"}]
            inv["MetaData"]["LastUpdatedTime"] = paid
            balances[cid] -= total
        books._next_txn_id = next_id
        books._next_doc = doc
        for cid, *_ in cust_info:
            cust = books.get("Customer", cid)
            cust["Balance"] = balances[cid]
            if rnd() < inactive_share:
                cust["Active"] = False
        books._op_stack[-1].customers.clear()  # derived fields are already right
    return books
