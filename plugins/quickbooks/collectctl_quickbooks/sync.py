"""``collectctl sync quickbooks``: full snapshots and incremental (CDC) batches.

:func:`read` decides the mode *before* returning (a CDC window that is too old or hits the
1000-object cap turns into a full snapshot), then streams records lazily:

* full — Preferences (home currency, and the server ``time`` that becomes the cursor), then every
  Customer (``WHERE Active IN (true, false)``), Invoice, CreditMemo and Payment, paged with
  ``ORDERBY Id``; Purchases linked from Payment refund lines are fetched to date the refunds;
* incremental — one CDC call for Customer, Invoice, Payment, CreditMemo, Purchase and RefundReceipt
  since the cursor minus an overlap; deleted objects become :class:`Deletion` records.

The cursor is always a server ``time`` (never the local clock): the first response of a full sync
(anything changed during the scan is seen again next time) or the CDC response's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from collectctl.errors import SourceError
from collectctl.records import Cursor, Deletion, Problem, Record, SourceBatch, SyncRequest
from collectctl_quickbooks import mapping
from collectctl_quickbooks.client import QBOClient
from collectctl_quickbooks.settings import Settings, load_settings

log = logging.getLogger("collectctl.quickbooks")

CDC_ENTITIES = ("Customer", "Invoice", "Payment", "CreditMemo", "Purchase", "RefundReceipt")
CDC_CAP = 1000
#: How many ids go into one ``WHERE Id IN (...)`` query.
ID_CHUNK = 100


def read(
    request: SyncRequest, client_factory: Callable[[Settings], QBOClient] = QBOClient
) -> SourceBatch:
    """The ``read`` function of the ``quickbooks`` source (:class:`collectctl.records.Source`)."""
    settings = load_settings(request.env, request.config, request.profile_dir)
    full = bool(request.options.get("full")) or request.full or not request.cursor
    client = client_factory(settings)
    try:
        prefs = client.preferences()
        home = mapping.home_currency(prefs)
        server_time = str(prefs.get("time") or "")
        if not server_time:
            raise SourceError("QuickBooks preferences response has no server time")
        if not full:
            assert request.cursor
            since = _since(request.cursor, server_time, settings)
            if since is None:
                log.info("QuickBooks cursor %s is too old for CDC: full sync", request.cursor)
            else:
                body = client.cdc(CDC_ENTITIES, since)
                changes = _cdc_changes(body)
                count = sum(len(objs) for objs in changes.values())
                if count >= CDC_CAP:
                    log.info("CDC returned %d objects (the cap): full sync instead", count)
                else:
                    cursor = str(body.get("time") or "")
                    if not cursor:
                        raise SourceError("QuickBooks CDC response has no server time")
                    return SourceBatch(
                        complete=False,
                        records=_closing(
                            client, _incremental(client, changes, home, cursor, request)
                        ),
                        description=f"QuickBooks company {client.realm_id} (changes since {since})",
                    )
        return SourceBatch(
            complete=True,
            records=_closing(client, _full(client, home, server_time, request)),
            description=f"QuickBooks company {client.realm_id}",
        )
    except BaseException:
        client.close()
        raise


def _closing(client: QBOClient, records: Iterator[Record]) -> Iterator[Record]:
    try:
        yield from records
    finally:
        client.close()


def _parse_time(value: str) -> datetime | None:
    """A QuickBooks time; one without an offset is Pacific time, as QuickBooks reads it."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    return parsed


def _since(cursor: str, server_time: str, settings: Settings) -> str | None:
    """``changedSince`` for a cursor (minus the overlap), or ``None`` when it is too old."""
    at = _parse_time(cursor)
    now = _parse_time(server_time)
    if at is None or now is None:
        log.info("unreadable QuickBooks cursor %r: full sync", cursor)
        return None
    if now - at > timedelta(days=settings.cdc_max_age_days):
        return None
    since = at - timedelta(minutes=settings.cdc_overlap_minutes)
    return since.isoformat(timespec="seconds")


def _cdc_changes(body: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``{entity: [objects]}`` from a CDC body; raises SourceError on an unexpected shape."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in CDC_ENTITIES}
    responses = body.get("CDCResponse")
    if not isinstance(responses, list):
        raise SourceError("QuickBooks CDC response has no CDCResponse list")
    # A shape other than QuickBooks' (lists of objects all the way down) is an error, never
    # "no changes": the cursor would move on and the changes in it would be lost.
    for cdc in responses:
        if not isinstance(cdc, Mapping):
            raise SourceError("QuickBooks CDC response: a CDCResponse entry is not an object")
        queries = cdc.get("QueryResponse")
        if queries is None:
            continue
        if not isinstance(queries, list):
            raise SourceError("QuickBooks CDC response: QueryResponse is not a list")
        for qr in queries:
            if not isinstance(qr, Mapping):
                raise SourceError("QuickBooks CDC response: a QueryResponse entry is not an object")
            for name, objs in qr.items():
                if name not in out:
                    continue  # startPosition, maxResults, totalCount, other entities
                if not isinstance(objs, list) or not all(isinstance(o, dict) for o in objs):
                    raise SourceError(f"QuickBooks CDC response: a malformed {name} list")
                out[name].extend(objs)
    return out


def _latest(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One object per Id: the one with the highest SyncToken (a deletion stub wins over all)."""
    best: dict[str, dict[str, Any]] = {}

    def rank(o: Mapping[str, Any]) -> tuple[int, int]:
        try:
            token = int(o.get("SyncToken") or 0)
        except (TypeError, ValueError):
            token = 0
        return (1 if o.get("status") == "Deleted" else 0, token)

    for obj in objs:
        oid = str(obj.get("Id") or "")
        if oid and (oid not in best or rank(obj) >= rank(best[oid])):
            best[oid] = obj
    return list(best.values())


def _problem(entity: str, obj: Mapping[str, Any], exc: mapping.MappingError) -> Problem:
    return Problem(
        origin=mapping.origin(entity, obj), message=exc.message, column=exc.column, value=exc.value
    )


class _Counter:
    def __init__(self, request: SyncRequest) -> None:
        self.n = 0
        self.progress = request.progress

    def __call__(self, record: Record) -> Record:
        self.n += 1
        if self.progress and self.n % 200 == 0:
            self.progress(self.n)
        return record


def _by_ids(client: QBOClient, entity: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The ``entity`` objects with these ids (``WHERE Id IN (...)``, in chunks)."""
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(ids, key=lambda s: (len(s), s))
    for i in range(0, len(ordered), ID_CHUNK):
        chunk = ordered[i : i + ID_CHUNK]
        where = "Id IN (" + ", ".join("'" + x.replace("'", "\\'") + "'" for x in chunk) + ")"
        for obj in client.query(entity, where):
            found[str(obj.get("Id"))] = obj
    return found


def _memo_dates(memos: Iterable[Mapping[str, Any]]) -> dict[str, date]:
    out = {}
    for memo in memos:
        try:
            when = mapping.day(memo, "TxnDate", required=False)
        except mapping.MappingError:
            continue
        if when and memo.get("Id"):
            out[str(memo["Id"])] = when
    return out


def _payments(
    client: QBOClient,
    payments: list[dict[str, Any]],
    home: str | None,
    credit_dates: dict[str, date],
) -> Iterator[Record]:
    """Allocations (or a Deletion when a Payment now allocates nothing) for these Payments.

    Purchases linked as refunds are fetched to date the refunds; CreditMemos missing from
    ``credit_dates`` are fetched (and added to it) to date the credits they fund.
    """
    refunds: set[str] = set()
    memos: set[str] = set()
    for obj in payments:
        refunds |= mapping.refund_purchase_ids(obj)
        memos |= mapping.credit_memo_ids(obj)
    purchases = _by_ids(client, "Purchase", refunds) if refunds else {}
    missing = memos - credit_dates.keys()
    if missing:
        credit_dates.update(_memo_dates(_by_ids(client, "CreditMemo", missing).values()))
    for obj in payments:
        try:
            allocations = mapping.payment_allocations(obj, home, purchases, credit_dates)
        except mapping.MappingError as exc:
            yield _problem("Payment", obj, exc)
            continue
        if allocations:
            yield from allocations
        else:
            yield Deletion(kind="payment", id=str(obj["Id"]))


class _Seen:
    """The ids a full scan has yielded, to skip a row that a shifted page repeats.

    Exact and small whatever the size of the company: QuickBooks ids are small integers, kept as
    bits of a bitmap (a bit per possible id, so a million ids cost about 128 kB, where a set of
    strings would cost tens of MB); any other id goes into a set.
    """

    #: Ids at or above this go into the set (the bitmap stays ≤ 16 MB).
    MAX_BIT = 1 << 27

    def __init__(self) -> None:
        self.bits = bytearray()
        self.other: set[str] = set()

    def add(self, oid: str) -> bool:
        """Record ``oid``; ``True`` when it was not seen before."""
        if oid.isascii() and oid.isdigit() and (oid[0] != "0" or oid == "0"):
            n = int(oid)
            if n < self.MAX_BIT:
                index, bit = n >> 3, 1 << (n & 7)
                bits = self.bits
                if index >= len(bits):
                    bits.extend(bytes(max(index + 1 - len(bits), len(bits))))
                if bits[index] & bit:
                    return False
                bits[index] |= bit
                return True
        if oid in self.other:
            return False
        self.other.add(oid)
        return True


def _full(
    client: QBOClient, home: str | None, cursor: str, request: SyncRequest
) -> Iterator[Record]:
    count = _Counter(request)
    seen: dict[str, _Seen] = {}

    def fresh(entity: str, obj: Mapping[str, Any]) -> bool:
        ids = seen.get(entity)
        if ids is None:
            ids = seen[entity] = _Seen()
        return ids.add(str(obj.get("Id")))

    for obj in client.query("Customer", "Active IN (true, false)"):
        if fresh("Customer", obj):
            try:
                yield count(mapping.customer(obj, home))
            except mapping.MappingError as exc:
                yield _problem("Customer", obj, exc)
    for obj in client.query("Invoice"):
        if fresh("Invoice", obj):
            try:
                yield count(mapping.invoice(obj, home))
            except mapping.MappingError as exc:
                yield _problem("Invoice", obj, exc)
    credit_dates: dict[str, date] = {}
    for obj in client.query("CreditMemo"):
        if fresh("CreditMemo", obj):
            credit_dates.update(_memo_dates([obj]))
            try:
                for memo_line in mapping.credit_memo_allocations(obj, home):
                    yield count(memo_line)
            except mapping.MappingError as exc:
                yield _problem("CreditMemo", obj, exc)
    with_refunds: list[dict[str, Any]] = []
    refund_types = mapping.REFUND_TYPES
    for obj in client.query("Payment"):
        if not fresh("Payment", obj):
            continue
        try:
            links = mapping.payment_links(obj)
        except mapping.MappingError as exc:
            yield _problem("Payment", obj, exc)
            continue
        if any(kind in refund_types for _, kind, _ in links):
            with_refunds.append(obj)  # dated by their Purchases, fetched below in chunks
            continue
        if any(kind == "CreditMemo" and txn not in credit_dates for _, kind, txn in links):
            # A memo the scan did not return (deleted meanwhile?): looked up to date the credit.
            for record in _payments(client, [obj], home, credit_dates):
                if not isinstance(record, Deletion):  # a complete batch needs no deletions
                    yield count(record)
            continue
        try:
            allocations = mapping.payment_allocations(obj, home, None, credit_dates, links)
        except mapping.MappingError as exc:
            yield _problem("Payment", obj, exc)
            continue
        for record in allocations:
            yield count(record)
    for record in _payments(client, with_refunds, home, credit_dates):
        if not isinstance(record, Deletion):
            yield count(record)
    if request.progress:
        request.progress(count.n)
    yield Cursor(cursor)


def _linking_payments(
    client: QBOClient, live: Mapping[str, list[dict[str, Any]]], have: set[str]
) -> list[dict[str, Any]]:
    """Unchanged Payments whose allocations depend on a changed CreditMemo or Purchase.

    A Payment's credit allocations are dated by its CreditMemos and its refunds by its Purchases,
    so when only those changed (a date edited) the Payment is read again: one query per customer.
    """
    wanted: dict[str, set[tuple[str, str]]] = {}
    for obj in live.get("CreditMemo", []):
        customer = mapping.ref(obj, "CustomerRef")
        if customer:
            wanted.setdefault(customer, set()).add(("CreditMemo", str(obj.get("Id"))))
    for obj in live.get("Purchase", []):
        entity = obj.get("EntityRef") or {}
        if (
            isinstance(entity, Mapping)
            and entity.get("value")
            and (entity.get("type") in (None, "Customer"))
        ):
            kinds = mapping.REFUND_TYPES
            wanted.setdefault(str(entity["value"]), set()).update(
                (kind, str(obj.get("Id"))) for kind in kinds
            )
    found: list[dict[str, Any]] = []
    for customer, links in sorted(wanted.items()):
        quoted = customer.replace("'", "\\'")
        for payment in client.query("Payment", f"CustomerRef = '{quoted}'"):
            pid = str(payment.get("Id"))
            if pid in have:
                continue
            if any((kind, txn) in links for _, kind, txn in mapping.payment_links(payment)):
                have.add(pid)
                found.append(payment)
    return found


def _incremental(
    client: QBOClient,
    changes: dict[str, list[dict[str, Any]]],
    home: str | None,
    cursor: str,
    request: SyncRequest,
) -> Iterator[Record]:
    count = _Counter(request)
    deleted: list[Deletion] = []
    live: dict[str, list[dict[str, Any]]] = {}
    for entity, objs in changes.items():
        live[entity] = []
        for obj in _latest(objs):
            if obj.get("status") == "Deleted":
                oid = str(obj["Id"])
                if entity == "Invoice":
                    deleted.append(Deletion(kind="invoice", id=oid))
                elif entity == "Payment":
                    deleted.append(Deletion(kind="payment", id=oid))
                elif entity == "CreditMemo":
                    deleted.append(Deletion(kind="payment", id=mapping.credit_memo_id(oid)))
                # A Customer stub is not a deletion: QuickBooks never deletes customers (it
                # makes them inactive) and their invoices stay, so one must not take the
                # customer's books with it; its invoices' own changes arrive as such.
            else:
                live[entity].append(obj)
    # Payments first lose what they allocated, then invoices and customers may go.
    for gone in deleted:
        if gone.kind == "payment":
            yield count(gone)
    for obj in live["Customer"]:
        try:
            yield count(mapping.customer(obj, home))
        except mapping.MappingError as exc:
            yield _problem("Customer", obj, exc)
    for obj in live["Invoice"]:
        try:
            yield count(mapping.invoice(obj, home))
        except mapping.MappingError as exc:
            yield _problem("Invoice", obj, exc)
    for obj in live["CreditMemo"]:
        try:
            allocations = mapping.credit_memo_allocations(obj, home)
        except mapping.MappingError as exc:
            yield _problem("CreditMemo", obj, exc)
            continue
        if allocations:
            yield from map(count, allocations)
        else:
            yield count(Deletion(kind="payment", id=mapping.credit_memo_id(str(obj["Id"]))))
    credit_dates = _memo_dates(live["CreditMemo"])
    payments = live["Payment"] + _linking_payments(client, live, {p["Id"] for p in live["Payment"]})
    for record in _payments(client, payments, home, credit_dates):
        yield count(record)
    for gone in deleted:
        if gone.kind != "payment":
            yield count(gone)
    if live["Purchase"] or live["RefundReceipt"]:
        log.debug(
            "CDC: %d Purchase and %d RefundReceipt changes (Purchases date refunds through "
            "their Payments; RefundReceipts do not touch receivables)",
            len(live["Purchase"]),
            len(live["RefundReceipt"]),
        )
    if request.progress:
        request.progress(count.n)
    yield Cursor(cursor)
