"""What sources yield: plain, immutable records with no knowledge of the ledger.

A source plugin (CSV, QuickBooks, ...) turns its outside system into a stream of these records.
The core validates them together (references, currencies, duplicates, minor units), resolves
defaults (invoice number, due date, currency) and writes them into the ledger in one transaction.

Ids are the source's own keys, as strings. The ledger keys every record by ``(source, id)``, so ids
from different sources never collide. Amounts are exact ``Decimal`` values in the record's currency,
never float. ``origin`` says where a record came from (``"invoices.csv:12"``) and is used in error
messages; sources that have no line numbers may give an id path such as ``"Invoice 130"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    import click

CustomerKind = Literal["business", "consumer"]
AllocationKind = Literal["payment", "credit", "write_off", "refund"]
ALLOCATION_KINDS: tuple[str, ...] = ("payment", "credit", "write_off", "refund")
CUSTOMER_KINDS: tuple[str, ...] = ("business", "consumer")


@dataclass(frozen=True, slots=True)
class Customer:
    """A debtor. ``currency``/``timezone``/``terms_days`` of ``None`` mean the profile's default;
    ``language`` (``de``, ``pt-BR``) picks the letter templates, ``None`` the profile's."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    kind: str = "business"
    currency: str | None = None
    timezone: str | None = None
    terms_days: int | None = None
    active: bool = True
    origin: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice. ``amount`` is the total (> 0).

    Defaults the core fills in: ``number`` = ``id``; ``due_date`` = ``issue_date`` + terms days
    (customer's, else the profile's ``default_terms_days``, else 30); ``currency`` = the customer's.
    A ``void`` invoice stays in the ledger but is ignored by aging; allocations to it become
    unapplied credit. ``source_balance`` is the open balance the source itself reports (QuickBooks
    ``Invoice.Balance``), kept so ``reconcile`` can compare it with the ledger's own figure.
    """

    id: str
    customer_id: str
    issue_date: date
    amount: Decimal
    number: str | None = None
    due_date: date | None = None
    currency: str | None = None
    void: bool = False
    description: str | None = None
    source_balance: Decimal | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """One row of a payment: money applied to an invoice, or left on account.

    A split payment is several allocations sharing ``payment_id``. ``invoice_id`` ``None`` means
    unapplied credit on account. ``kind``: ``payment`` (default), ``credit`` (credit note),
    ``write_off`` (needs ``invoice_id``), ``refund`` (money returned; reduces unapplied credit;
    never has ``invoice_id``). ``amount`` is > 0 for every kind.
    """

    payment_id: str
    customer_id: str
    date: date
    amount: Decimal
    invoice_id: str | None = None
    kind: str = "payment"
    currency: str | None = None
    method: str | None = None
    reference: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Deletion:
    """The source says a record no longer exists (incremental sources only).

    ``kind`` is ``customer``, ``invoice`` or ``payment``; a payment deletion removes every
    allocation with that ``payment_id``. Deleting an id the ledger never saw is not an error.
    """

    kind: Literal["customer", "invoice", "payment"]
    id: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """An opaque position for the next incremental run, stored in the same commit as the data.

    A source may yield several; the last one wins. Its value is handed back in
    :attr:`SyncRequest.cursor` next time.
    """

    value: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad input record the source found while reading. The sync carries on reading, collects
    every problem (the core's own checks add theirs), then fails as a whole: nothing is written.

    Rendered as ``"{origin}: column '{column}': {message}"``; ``value`` is the offending text.
    """

    origin: str
    message: str
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.origin}: "
        if self.column:
            where += f"column '{self.column}': "
        return where + self.message


@dataclass(frozen=True, slots=True)
class Rows:
    """Many invoices or allocations at once, each a plain tuple: the bulk form of
    :class:`Invoice` and :class:`Allocation` for sources that read millions of rows.

    ``kind`` is ``invoice`` or ``allocation``. Each row holds the fields of the record in the
    order of its constructor's positional arguments below, as the record would hold them, except
    that dates are ISO text (``2025-04-03``) and the amount is its decimal text (``318.29``:
    ``Decimal(text)`` is the amount):

    - invoice: ``(id, customer_id, issue_date, amount, number, due_date, currency, void,
      description, origin)``;
    - allocation: ``(payment_id, customer_id, date, amount, invoice_id, kind, currency, method,
      reference, origin)``.

    The core checks and defaults these rows exactly as it does the records they stand for (a
    row it cannot take as it is goes through the record's own path), so a source may yield
    either form; rows keep their order among the other records.
    """

    kind: Literal["invoice", "allocation"]
    rows: Sequence[tuple[Any, ...]]

    def records(self) -> list[Invoice | Allocation]:
        """The records these rows stand for, in order."""
        return [row_record(self.kind, row) for row in self.rows]


def row_record(kind: str, row: tuple[Any, ...]) -> Invoice | Allocation:
    """The :class:`Invoice` or :class:`Allocation` (``kind``) one :class:`Rows` row stands for.

    Raises :class:`ValueError` when a date is not ISO text or the amount not a decimal."""
    try:
        if kind == "invoice":
            iid, cust, issue, amount, number, due, currency, void, desc, origin = row
            return Invoice(
                id=iid,
                customer_id=cust,
                issue_date=date.fromisoformat(issue),
                amount=Decimal(amount),
                number=number,
                due_date=None if due is None else date.fromisoformat(due),
                currency=currency,
                void=bool(void),
                description=desc,
                origin=origin,
            )
        pid, cust, day, amount, inv, alloc_kind, currency, method, ref, origin = row
        return Allocation(
            payment_id=pid,
            customer_id=cust,
            date=date.fromisoformat(day),
            amount=Decimal(amount),
            invoice_id=inv,
            kind=alloc_kind,
            currency=currency,
            method=method,
            reference=ref,
            origin=origin,
        )
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"a {kind} row that is not as Rows describes: {row!r}") from exc


Record = Customer | Invoice | Allocation | Deletion | Cursor | Problem | Rows


@dataclass(frozen=True)
class SyncRequest:
    """What the core hands a source's ``read`` function.

    :param options: the profile's ``[sources.<name>]`` table overlaid with the command-line values
        of the source's own ``params`` (command line wins; ``None`` values are dropped).
    :param cursor: the cursor stored by the last successful sync of this source, or ``None``.
    :param full: ``True`` when the user asked for a full sync (``--full``) or there is no cursor.
    :param profile_dir: the profile's data directory (token files and other state live here).
    :param config_dir: the directory of the profile's config.toml: relative paths in the
        config are relative to it (``None``: ``profile_dir``; the same directory under
        ``COLLECTCTL_HOME``).
    :param config: the whole profile configuration (read-only), e.g. ``date_format``.
    :param env: the environment with ``.env`` secrets merged in (contract precedence).
    :param progress: call with the number of records read so far; the core draws a progress bar
        on a terminal and stays silent otherwise.
    :param debug: ``True`` under ``collectctl --debug`` (log requests, never secrets).
    """

    options: Mapping[str, Any]
    cursor: str | None = None
    full: bool = False
    profile_dir: Path = Path(".")
    config_dir: Path | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    progress: Callable[[int], None] | None = None
    debug: bool = False


@dataclass
class SourceBatch:
    """What a source's ``read`` returns.

    :param complete: ``True`` when ``records`` is everything the source holds now (a full sync):
        the core removes this source's books rows that are not in it. ``False`` for an incremental
        batch: only the records given are added or changed, and :class:`Deletion` records remove.
        In an incremental batch a payment that appears replaces all of that payment's allocations.
    :param records: an iterable (ideally a generator: sources stream) of :data:`Record`.
    :param description: shown in messages, e.g. ``"CSV directory ./books"``.
    :param approximate_payment_dates: ``True`` when the allocations' dates are stand-ins (an
        export that says how much was paid but not when): aging today stays exact, aging as of a
        past date is approximate and ``collectctl aging --as-of`` warns. ``False`` when they are
        real; ``None`` (the default) keeps what the last sync stored. A source may set it while
        its records are consumed; the core reads it after the last record, and stores it with
        the sync state in the same transaction as the data.
    :param on_commit: called once the sync's write transaction has committed (never on a dry
        run or a failed sync): where a source that keeps state outside the ledger (e.g. the CSV
        source's digests of the rows it last synced) makes that state current. It must not
        raise (the sync has already succeeded): a source that cannot save its state leaves it
        out of step, and must then notice that and read everything on the next sync.
    :param fallback: for an incremental batch a source *derived* from a complete snapshot (the
        CSV source compares the files with the rows it last synced): returns the complete batch
        to read instead when this one has problems, so that they are reported exactly as a full
        read reports them. ``None`` (the default): problems are reported as they are.
    """

    complete: bool
    records: Iterable[Record]
    description: str = ""
    approximate_payment_dates: bool | None = None
    on_commit: Callable[[], None] | None = None
    fallback: Callable[[], SourceBatch] | None = None


@dataclass(frozen=True)
class Source:
    """A data source, registered through the ``register_sources`` hook.

    :param name: the word after ``collectctl sync`` and the key of ``[sources.<name>]``.
    :param read: called with a :class:`SyncRequest`; returns a :class:`SourceBatch`. It runs
        outside the ledger's write lock and may take minutes (network sources).
    :param help: one paragraph shown by ``collectctl sync <name> --help``.
    :param params: extra click parameters for ``collectctl sync <name>`` (``DIR``, ``--full``);
        their values reach ``read`` through :attr:`SyncRequest.options`. The core adds the
        common options itself (``--dry-run``, ``--allow-deletions``, ``--format``).
    :param settings: the keys the source's ``[sources.<name>]`` table may hold (key -> one-line
        help). Any other key there is refused before the sync starts, with the closest declared
        key ("did you mean ``date_format``?"). ``None``: the source checks its table itself.
    """

    name: str
    read: Callable[[SyncRequest], SourceBatch]
    help: str = ""
    params: Sequence[click.Parameter] = ()
    settings: Mapping[str, str] | None = None
