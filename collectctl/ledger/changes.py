"""Diff a staged batch against the ledger, and apply it in one transaction.

:func:`diff` compares the staging tables (``st``) with this source's rows in the ledger and fills
three TEMP tables of keys with an ``op`` of ``add``, ``change`` or ``remove``. It only reads, so it
runs before the write lock is taken; :func:`apply` then writes exactly those rows, recomputes the
allocated total of every touched invoice, stores the cursor and logs the sync — all inside the
caller's write transaction.

It is longer than the house's ~450 lines on purpose: the diff and the apply statements share
the same temp tables and column lists, and the fresh-ledger fast path (plain inserts in key
order) must stay beside the incremental one it mirrors, so that a change to one is seen in the
other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from collectctl.ledger.books import APPROXIMATE_PAYMENT_DATES
from collectctl.ledger.connection import CACHE_KIB
from collectctl.ledger.dialect import dialect_of
from collectctl.ledger.reconcile import note_payment_refs
from collectctl.ledger.staging import _q

CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "address",
    "kind",
    "currency",
    "timezone",
    "terms_days",
    "active",
    "language",
)
INVOICE_FIELDS = (
    "customer_ext",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "void",
    "description",
    "source_balance",
)
ALLOCATION_FIELDS = (
    "customer_ext",
    "date",
    "amount",
    "currency",
    "kind",
    "method",
    "reference",
)
ENTITIES = ("customers", "invoices", "allocations")


@dataclass
class Diff:
    """Counts and example keys of what a sync adds, changes and removes, per entity."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: the ledger held nothing of this source: every record is an addition
    fresh: bool = False

    def total(self, op: str) -> int:
        return sum(c.get(op, 0) for c in self.counts.values())

    @property
    def empty(self) -> bool:
        return not any(self.total(op) for op in ("add", "change", "remove"))


def _ledger_views(conn: sqlite3.Connection, source: str) -> None:
    src = _q(source)
    for name in ("lv_customers", "lv_invoices", "lv_allocations"):
        conn.execute(f"DROP VIEW IF EXISTS temp.{name}")
    conn.execute(
        f"""CREATE TEMP VIEW lv_customers AS
        SELECT id, ext_id, {", ".join(CUSTOMER_FIELDS)} FROM main.customers WHERE source = {src}"""
    )
    conn.execute(
        f"""CREATE TEMP VIEW lv_invoices AS
        SELECT i.id, i.ext_id, c.ext_id AS customer_ext, i.number, i.issue_date, i.due_date,
               i.currency, i.amount, i.void, i.description, i.source_balance
        FROM main.invoices i JOIN main.customers c ON c.id = i.customer
        WHERE i.source = {src}"""
    )
    conn.execute(
        f"""CREATE TEMP VIEW lv_allocations AS
        SELECT a.id, a.payment_id, a.invoice_ext, a.seq, c.ext_id AS customer_ext, a.date,
               a.amount, a.currency, a.kind, a.method, a.reference
        FROM main.allocations a JOIN main.customers c ON c.id = a.customer
        WHERE a.source = {src}"""
    )


def _differs(fields: tuple[str, ...], customer: str | None = None) -> str:
    """SQL: staged row ``s`` differs from ledger row ``l`` in one of ``fields`` (the
    ledger's customer id is ``customer`` when given: the ledger keeps a key, not the id)."""
    return " OR ".join(
        f"s.{f} IS NOT {customer}" if f == "customer_ext" and customer else f"s.{f} IS NOT l.{f}"
        for f in fields
    )


def diff(conn: sqlite3.Connection, source: str, *, complete: bool, examples: int = 50) -> Diff:
    """Compute what applying the staged batch would do (fills temp.d_customers/invoices/
    allocations; when the ledger holds nothing of the source yet, everything is an addition
    and no comparison is needed)."""
    if not conn.execute(
        "SELECT 1 FROM main.customers WHERE source = ? LIMIT 1", (source,)
    ).fetchone():
        return _fresh_diff(conn, examples)
    _ledger_views(conn, source)
    for name in ENTITIES:
        conn.execute(f"DROP TABLE IF EXISTS temp.d_{name}")
    conn.execute("CREATE TEMP TABLE d_customers (ext_id TEXT PRIMARY KEY, op TEXT NOT NULL)")
    conn.execute("CREATE TEMP TABLE d_invoices (ext_id TEXT PRIMARY KEY, op TEXT NOT NULL)")
    conn.execute(
        "CREATE TEMP TABLE d_allocations (payment_id TEXT, invoice_ext TEXT, seq INTEGER,"
        " op TEXT NOT NULL, PRIMARY KEY (payment_id, invoice_ext, seq))"
    )
    x = conn.execute
    p = {"src": source}
    # Added and changed rows: each staged row looked up by its key (an index search each).
    x(
        f"""INSERT INTO d_customers SELECT s.ext_id,
               CASE WHEN l.id IS NULL THEN 'add' ELSE 'change' END
            FROM st.s_customers s
            LEFT JOIN main.customers l ON l.source = :src AND l.ext_id = s.ext_id
            WHERE l.id IS NULL OR {_differs(CUSTOMER_FIELDS)}""",
        p,
    )
    x(
        f"""INSERT INTO d_invoices SELECT s.ext_id,
               CASE WHEN l.id IS NULL THEN 'add' ELSE 'change' END
            FROM st.s_invoices s
            LEFT JOIN main.invoices l ON l.source = :src AND l.ext_id = s.ext_id
            LEFT JOIN main.customers c ON c.id = l.customer
            WHERE l.id IS NULL OR {_differs(INVOICE_FIELDS, customer="c.ext_id")}""",
        p,
    )
    x(
        f"""INSERT INTO d_allocations SELECT s.payment_id, s.invoice_ext, s.seq,
               CASE WHEN l.id IS NULL THEN 'add' ELSE 'change' END
            FROM st.s_allocations s
            LEFT JOIN main.allocations l ON l.source = :src AND l.payment_id = s.payment_id
              AND l.invoice_ext = s.invoice_ext AND l.seq = s.seq
            LEFT JOIN main.customers c ON c.id = l.customer
            WHERE l.id IS NULL OR {_differs(ALLOCATION_FIELDS, customer="c.ext_id")}""",
        p,
    )
    if complete:
        x(
            """INSERT INTO d_customers SELECT l.ext_id, 'remove' FROM lv_customers l
               WHERE NOT EXISTS (SELECT 1 FROM st.s_customers s WHERE s.ext_id = l.ext_id)"""
        )
        x(
            """INSERT INTO d_invoices SELECT l.ext_id, 'remove' FROM lv_invoices l
               WHERE NOT EXISTS (SELECT 1 FROM st.s_invoices s WHERE s.ext_id = l.ext_id)"""
        )
        x(
            """INSERT INTO d_allocations SELECT l.payment_id, l.invoice_ext, l.seq, 'remove'
               FROM lv_allocations l WHERE NOT EXISTS (SELECT 1 FROM st.s_allocations s
                 WHERE s.payment_id = l.payment_id AND s.invoice_ext = l.invoice_ext
                   AND s.seq = l.seq)"""
        )
    else:
        # Explicit deletions, and the cascade a removed customer or invoice implies (each part
        # an index search, so a small batch costs little against a big ledger).
        x(
            """INSERT OR IGNORE INTO d_customers SELECT l.ext_id, 'remove' FROM main.customers l
               WHERE l.source = :src AND l.ext_id IN (
                   SELECT ext_id FROM st.s_deletions WHERE kind = 'customer')""",
            p,
        )
        x(
            """INSERT OR IGNORE INTO d_invoices SELECT l.ext_id, 'remove' FROM main.invoices l
               WHERE l.source = :src AND l.ext_id IN (
                   SELECT ext_id FROM st.s_deletions WHERE kind = 'invoice')""",
            p,
        )
        x(
            """INSERT OR IGNORE INTO d_invoices SELECT l.ext_id, 'remove'
               FROM temp.d_customers d CROSS JOIN customers c
                 ON c.source = :src AND c.ext_id = d.ext_id
               CROSS JOIN invoices l ON l.customer = c.id
               WHERE d.op = 'remove' AND l.source = :src""",
            p,
        )
        # A payment in the batch replaces all of its rows; a deleted payment loses them all.
        x(
            """INSERT OR IGNORE INTO d_allocations
               SELECT l.payment_id, l.invoice_ext, l.seq, 'remove' FROM main.allocations l
               WHERE l.source = :src AND l.payment_id IN (
                     SELECT payment_id FROM st.s_allocations)
                 AND NOT EXISTS (SELECT 1 FROM st.s_allocations s
                     WHERE s.payment_id = l.payment_id AND s.invoice_ext = l.invoice_ext
                       AND s.seq = l.seq)""",
            p,
        )
        x(
            """INSERT OR IGNORE INTO d_allocations
               SELECT l.payment_id, l.invoice_ext, l.seq, 'remove' FROM main.allocations l
               WHERE l.source = :src AND l.payment_id IN (
                   SELECT ext_id FROM st.s_deletions WHERE kind = 'payment')""",
            p,
        )
        x(
            """INSERT OR IGNORE INTO d_allocations
               SELECT l.payment_id, l.invoice_ext, l.seq, 'remove'
               FROM temp.d_customers d CROSS JOIN customers c
                 ON c.source = :src AND c.ext_id = d.ext_id
               CROSS JOIN allocations l ON l.customer = c.id
               WHERE d.op = 'remove' AND l.source = :src""",
            p,
        )
    result = Diff()
    for name in ENTITIES:
        key = (
            "payment_id || CASE WHEN invoice_ext != '' THEN ' -> ' || invoice_ext ELSE '' END"
            if name == "allocations"
            else "ext_id"
        )
        counts = {"add": 0, "change": 0, "remove": 0}
        for op, n in x(f"SELECT op, COUNT(*) FROM temp.d_{name} GROUP BY op"):
            counts[op] = n
        result.counts[name] = counts
        result.examples[name] = {}
        for op in counts:
            rows = x(
                f"SELECT {key} FROM temp.d_{name} WHERE op = ? ORDER BY rowid LIMIT ?",
                (op, examples),
            ).fetchall()
            result.examples[name][op] = [r[0] for r in rows]
    return result


_STAGED_KEYS = {
    "customers": ("s_customers", "ext_id"),
    "invoices": ("s_invoices", "ext_id"),
    "allocations": (
        "s_allocations",
        "payment_id || CASE WHEN invoice_ext != '' THEN ' -> ' || invoice_ext ELSE '' END",
    ),
}


def _fresh_diff(conn: sqlite3.Connection, examples: int) -> Diff:
    result = Diff(fresh=True)
    for name, (table, key) in _STAGED_KEYS.items():
        n = conn.execute(f"SELECT COUNT(*) FROM st.{table}").fetchone()[0]
        result.counts[name] = {"add": n, "change": 0, "remove": 0}
        ids = conn.execute(f"SELECT {key} FROM st.{table} ORDER BY rowid LIMIT ?", (examples,))
        result.examples[name] = {"add": [r[0] for r in ids], "change": [], "remove": []}
    return result


#: ``paid_on`` of staged invoice ``s`` from its ``batch_allocated`` row ``b`` (see _apply_fresh).
_FRESH_PAID_ON = """CASE WHEN b.total IS NULL OR b.total < s.amount THEN NULL
        WHEN b.first = b.last THEN b.first
        ELSE (SELECT a.date FROM st.s_allocations a INDEXED BY s_allocations_inv
              WHERE a.invoice_ext = s.ext_id AND (
                  SELECT SUM(o.amount) FROM st.s_allocations o INDEXED BY s_allocations_inv
                  WHERE o.invoice_ext = s.ext_id AND o.date <= a.date) >= s.amount
              ORDER BY a.date LIMIT 1) END"""


def _apply_fresh(conn: sqlite3.Connection, source: str) -> None:
    """Load a batch for a source the ledger holds nothing of: plain inserts in key order.

    Each invoice's ``allocated`` total and ``paid_on`` date are written with the invoice row
    (no UPDATE of a million fresh rows afterwards): one grouped pass over the staging index in
    (invoice, date, amount) order gives each invoice's total and first and last allocation
    dates; ``paid_on`` is then the first date when the total covers the amount and every
    allocation has the same date (most invoices), else found by a running sum over that
    invoice's few allocations (same-day allocations together, as in :func:`update_paid_on`).
    """
    x = conn.execute
    p = {"src": source}
    x(
        """CREATE TEMP TABLE batch_allocated (ext_id TEXT PRIMARY KEY, total INTEGER,
               first TEXT, last TEXT) WITHOUT ROWID"""
    )
    x(
        """INSERT INTO batch_allocated
           SELECT invoice_ext, SUM(amount), MIN(date), MAX(date)
           FROM st.s_allocations INDEXED BY s_allocations_inv
           WHERE invoice_ext != '' GROUP BY invoice_ext"""
    )
    indexes = _drop_indexes_for_bulk_load(conn)
    x(
        f"""INSERT INTO customers (source, ext_id, {", ".join(CUSTOMER_FIELDS)})
            SELECT :src, s.ext_id, {", ".join("s." + f for f in CUSTOMER_FIELDS)}
            FROM st.s_customers s ORDER BY s.ext_id""",
        p,
    )
    inv_cols = [f for f in INVOICE_FIELDS if f != "customer_ext"]
    x(
        f"""INSERT INTO invoices
              (source, ext_id, customer, {", ".join(inv_cols)}, allocated, paid_on,
               first_allocation)
            SELECT :src, s.ext_id, c.id, {", ".join("s." + f for f in inv_cols)},
                   COALESCE(b.total, 0), {_FRESH_PAID_ON}, b.first
            FROM st.s_invoices s
            JOIN main.customers c ON c.source = :src AND c.ext_id = s.customer_ext
            LEFT JOIN temp.batch_allocated b ON b.ext_id = s.ext_id
            ORDER BY s.ext_id""",
        p,
    )
    alloc_cols = [f for f in ALLOCATION_FIELDS if f != "customer_ext"]
    x(
        f"""INSERT INTO allocations
              (source, payment_id, invoice_ext, seq, customer, invoice, {", ".join(alloc_cols)})
            SELECT :src, s.payment_id, s.invoice_ext, s.seq, c.id, i.id,
                   {", ".join("s." + f for f in alloc_cols)}
            FROM st.s_allocations s
            JOIN main.customers c ON c.source = :src AND c.ext_id = s.customer_ext
            LEFT JOIN main.invoices i ON s.invoice_ext != '' AND i.source = :src
             AND i.ext_id = s.invoice_ext
            ORDER BY s.payment_id, s.invoice_ext, s.seq""",
        p,
    )
    build_indexes(conn, indexes)
    note_payment_refs(conn, None)  # reconcile's duplicate-payment keys


def update_paid_on(conn: sqlite3.Connection, where: str, params: dict[str, Any]) -> None:
    """Recompute ``paid_on`` (the date an invoice's allocations first covered its amount) and
    ``first_allocation`` (the date of its first allocation) for the invoices ``i`` matching
    ``where``.

    One statement, and only the invoices whose dates change are written: each write of an
    invoice rewrites its entries in the indexes that hold these columns, and after a re-sync
    almost every touched invoice keeps its dates."""
    conn.execute(
        f"""UPDATE invoices SET paid_on = p.day, first_allocation = p.first FROM (
                SELECT i.id AS invoice, q.day AS day, q.first AS first
                FROM invoices i LEFT JOIN (
                    SELECT run.invoice AS invoice,
                           MIN(CASE WHEN run.total >= j.amount THEN run.date END) AS day,
                           MIN(run.date) AS first
                    FROM (SELECT a.invoice, a.date,
                                 SUM(a.amount) OVER (PARTITION BY a.invoice ORDER BY a.date)
                                     AS total
                          FROM allocations a WHERE a.invoice IN (
                              SELECT i.id FROM invoices i WHERE {where})) AS run
                    JOIN invoices j ON j.id = run.invoice
                    GROUP BY run.invoice) AS q ON q.invoice = i.id
                WHERE {where}) AS p
            WHERE invoices.id = p.invoice
              AND (invoices.paid_on IS NOT p.day OR invoices.first_allocation IS NOT p.first)""",
        params,
    )


def invoice_count(conn: sqlite3.Connection, source: str) -> int:
    """How many invoices of ``source`` the ledger holds."""
    return conn.execute("SELECT COUNT(*) FROM invoices WHERE source = ?", (source,)).fetchone()[0]


def prepare(conn: sqlite3.Connection, source: str, *, complete: bool, changes: Diff) -> None:
    """Compute what :func:`apply` needs that depends only on the staging tables, the diff and
    this source's rows as they are (which only a sync, holding the sync lock, writes): call it
    after :func:`diff` and *before* the write transaction, so the write lock is held for the
    writes alone (a colleague's ``account log`` waits behind the sync's apply, not its
    arithmetic). It fills TEMP tables only: ``batch_allocated`` (a complete batch's allocation
    total per invoice) or the first rows of ``touched`` (the invoices an incremental batch's
    allocations point at before it is applied)."""
    if changes.fresh:
        return
    x = conn.execute
    _drop_temp(conn)
    x("CREATE TEMP TABLE touched (id INTEGER PRIMARY KEY)")
    if complete:
        # A complete batch holds every allocation: sum each invoice's total from it.
        x(
            """CREATE TEMP TABLE batch_allocated (ext_id TEXT PRIMARY KEY, total INTEGER)
               WITHOUT ROWID"""
        )
        x(
            """INSERT INTO batch_allocated SELECT invoice_ext, SUM(amount) FROM st.s_allocations
               WHERE invoice_ext != '' GROUP BY invoice_ext"""
        )
    else:
        # Invoices whose allocated total may change: their old (and, below, new) allocations.
        x(
            """INSERT OR IGNORE INTO touched SELECT a.invoice FROM temp.d_allocations d
               CROSS JOIN allocations a ON a.source = :src AND a.payment_id = d.payment_id
                AND a.invoice_ext = d.invoice_ext AND a.seq = d.seq
               WHERE a.invoice IS NOT NULL""",
            {"src": source},
        )
        if _narrow_changes(changes):
            # Changed allocations whose customer, invoice link, date, amount, currency and kind
            # all stay (a new reference or method: a bank's re-export): apply() writes only
            # those two columns of them. An upsert assigns every column, and SQLite rewrites
            # the entries of every index on an assigned column — all six of an allocation's.
            x(
                """CREATE TEMP TABLE narrow (payment_id TEXT, invoice_ext TEXT, seq INTEGER,
                   id INTEGER NOT NULL, PRIMARY KEY (payment_id, invoice_ext, seq))"""
            )
            x(
                """INSERT INTO narrow SELECT d.payment_id, d.invoice_ext, d.seq, a.id
                   FROM temp.d_allocations d
                   JOIN st.s_allocations s ON s.payment_id = d.payment_id
                    AND s.invoice_ext = d.invoice_ext AND s.seq = d.seq
                   CROSS JOIN allocations a ON a.source = :src AND a.payment_id = d.payment_id
                    AND a.invoice_ext = d.invoice_ext AND a.seq = d.seq
                   JOIN main.customers c ON c.id = a.customer
                   WHERE d.op = 'change' AND c.ext_id = s.customer_ext AND a.date = s.date
                     AND a.amount = s.amount AND a.currency = s.currency AND a.kind = s.kind
                     AND (a.invoice IS NULL) = (s.invoice_ext = '')""",
                {"src": source},
            )


def apply(
    conn: sqlite3.Connection,
    source: str,
    *,
    complete: bool,
    changes: Diff,
    prepared: bool = False,
) -> None:
    """Write the diffed batch into the ledger (call inside a write transaction; ``prepared``:
    :func:`prepare` ran before it, outside the transaction, else it runs here).

    ``complete`` batches hold every allocation of the source, so each invoice's allocated total
    is summed from the batch itself; incremental ones recompute the invoices they touch.
    ``changes`` (from :func:`diff`) lets steps with nothing to do be skipped.
    """
    if changes.fresh:
        _drop_temp(conn)
        _apply_fresh(conn, source)
        return
    if not prepared:
        prepare(conn, source, complete=complete, changes=changes)
    removed = {name: counts["remove"] for name, counts in changes.counts.items()}
    x = conn.execute
    p = {"src": source}
    indexes = _drop_indexes_for_bulk_load(conn) if complete else []
    # 1. customers (added and changed)
    sets = ", ".join(f"{f} = excluded.{f}" for f in CUSTOMER_FIELDS)
    x(
        f"""INSERT INTO customers (source, ext_id, {", ".join(CUSTOMER_FIELDS)})
            SELECT :src, s.ext_id, {", ".join("s." + f for f in CUSTOMER_FIELDS)}
            FROM st.s_customers s JOIN temp.d_customers d ON d.ext_id = s.ext_id
            WHERE d.op != 'remove'
            ON CONFLICT (source, ext_id) DO UPDATE SET {sets}""",
        p,
    )
    # 2. invoices (added and changed); a complete batch also brings their allocated totals
    inv_cols = [f for f in INVOICE_FIELDS if f != "customer_ext"]
    update_cols = ["customer", *inv_cols] + (["allocated"] if complete else [])
    sets = ", ".join(f"{f} = excluded.{f}" for f in update_cols)
    allocated_col = ", allocated" if complete else ""
    allocated_val = ", COALESCE(b.total, 0)" if complete else ""
    allocated_join = "LEFT JOIN temp.batch_allocated b ON b.ext_id = s.ext_id" if complete else ""
    x(
        f"""INSERT INTO invoices (source, ext_id, customer, {", ".join(inv_cols)}{allocated_col})
            SELECT :src, s.ext_id, c.id, {", ".join("s." + f for f in inv_cols)}{allocated_val}
            FROM st.s_invoices s JOIN temp.d_invoices d ON d.ext_id = s.ext_id
            JOIN main.customers c ON c.source = :src AND c.ext_id = s.customer_ext
            {allocated_join}
            WHERE d.op != 'remove'
            ON CONFLICT (source, ext_id) DO UPDATE SET {sets}""",
        p,
    )
    if not complete:
        x(
            """INSERT OR IGNORE INTO touched SELECT i.id FROM temp.d_invoices d
               CROSS JOIN invoices i ON i.source = :src AND i.ext_id = d.ext_id
               WHERE d.op != 'remove'""",
            p,
        )
    # 3. allocations: remove, then add and change
    if removed["allocations"]:
        x(
            """DELETE FROM allocations WHERE id IN (
                 SELECT a.id FROM temp.d_allocations d CROSS JOIN allocations a
                   ON a.source = :src AND a.payment_id = d.payment_id
                  AND a.invoice_ext = d.invoice_ext AND a.seq = d.seq
                 WHERE d.op = 'remove')""",
            p,
        )
    alloc_cols = [f for f in ALLOCATION_FIELDS if f != "customer_ext"]
    sets = ", ".join(f"{f} = excluded.{f}" for f in ["customer", "invoice", *alloc_cols])
    narrow = not complete and _narrow_changes(changes)
    if narrow:  # the changed rows that keep every indexed value (prepare() found them)
        x(
            """UPDATE allocations SET method = s.method, reference = s.reference
               FROM temp.narrow n JOIN st.s_allocations s ON s.payment_id = n.payment_id
                AND s.invoice_ext = n.invoice_ext AND s.seq = n.seq
               WHERE allocations.id = n.id"""
        )
    not_narrow = (
        """AND NOT EXISTS (SELECT 1 FROM temp.narrow n WHERE n.payment_id = d.payment_id
                AND n.invoice_ext = d.invoice_ext AND n.seq = d.seq)"""
        if narrow
        else ""
    )
    x(
        f"""INSERT INTO allocations
              (source, payment_id, invoice_ext, seq, customer, invoice, {", ".join(alloc_cols)})
            SELECT :src, s.payment_id, s.invoice_ext, s.seq, c.id, i.id,
                   {", ".join("s." + f for f in alloc_cols)}
            FROM st.s_allocations s
            JOIN temp.d_allocations d ON d.payment_id = s.payment_id
             AND d.invoice_ext = s.invoice_ext AND d.seq = s.seq
            JOIN main.customers c ON c.source = :src AND c.ext_id = s.customer_ext
            LEFT JOIN main.invoices i ON s.invoice_ext != '' AND i.source = :src
             AND i.ext_id = s.invoice_ext
            WHERE d.op != 'remove' {not_narrow}
            ON CONFLICT (source, payment_id, invoice_ext, seq) DO UPDATE SET {sets}""",
        p,
    )
    if not complete:
        x(
            """INSERT OR IGNORE INTO touched SELECT a.invoice FROM temp.d_allocations d
               CROSS JOIN allocations a ON a.source = :src AND a.payment_id = d.payment_id
                AND a.invoice_ext = d.invoice_ext AND a.seq = d.seq
               WHERE a.invoice IS NOT NULL AND d.op != 'remove'""",
            p,
        )
    # 4. removed invoices: allocations still pointing at them become unapplied (incremental).
    if removed["invoices"]:
        x(
            """UPDATE allocations SET invoice = NULL WHERE invoice IN (
                 SELECT i.id FROM main.invoices i JOIN temp.d_invoices d ON d.ext_id = i.ext_id
                 WHERE i.source = :src AND d.op = 'remove')""",
            p,
        )
        x(
            """DELETE FROM invoices WHERE source = :src
               AND ext_id IN (SELECT ext_id FROM temp.d_invoices WHERE op = 'remove')""",
            p,
        )
    # Allocations stored unlinked (their invoice was deleted by an earlier incremental batch)
    # whose invoice this batch adds again.
    if not complete and changes.counts["invoices"]["add"]:
        x(
            """UPDATE allocations SET invoice = (SELECT i.id FROM main.invoices i
                   WHERE i.source = allocations.source AND i.ext_id = allocations.invoice_ext)
               WHERE invoice IS NULL AND source = :src AND invoice_ext != ''
                 AND invoice_ext IN (SELECT ext_id FROM temp.d_invoices WHERE op = 'add')""",
            p,
        )
    # 5. removed customers
    x(
        """DELETE FROM customers WHERE source = :src
           AND ext_id IN (SELECT ext_id FROM temp.d_customers WHERE op = 'remove')""",
        p,
    )
    # 6. allocated totals of invoices whose allocations changed (the invoices this batch added or
    #    changed got theirs in step 2)
    if complete:
        x(
            """UPDATE invoices SET allocated = COALESCE(
                   (SELECT b.total FROM temp.batch_allocated b WHERE b.ext_id = invoices.ext_id), 0)
               WHERE source = :src AND ext_id IN (
                   SELECT invoice_ext FROM temp.d_allocations WHERE invoice_ext != ''
                   EXCEPT SELECT ext_id FROM temp.d_invoices)""",
            p,
        )
    else:
        # Only the totals that change are written (each write also rewrites three indexes).
        x(
            """UPDATE invoices SET allocated = t.total FROM (
                   SELECT t.id, COALESCE(
                       (SELECT SUM(a.amount) FROM allocations a WHERE a.invoice = t.id), 0) AS total
                   FROM temp.touched t) AS t
               WHERE invoices.id = t.id AND invoices.allocated != t.total"""
        )
    # 7. full-payment dates of every invoice written or whose allocations changed
    if complete:
        update_paid_on(
            conn,
            """i.source = :src AND i.ext_id IN (
                   SELECT invoice_ext FROM temp.d_allocations WHERE invoice_ext != ''
                   UNION SELECT ext_id FROM temp.d_invoices WHERE op != 'remove')""",
            p,
        )
    else:
        update_paid_on(conn, "i.id IN (SELECT id FROM temp.touched)", p)
    build_indexes(conn, indexes)
    note_payment_refs(conn, source)  # reconcile's duplicate-payment keys


def _drop_temp(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.touched")
    conn.execute("DROP TABLE IF EXISTS temp.batch_allocated")
    conn.execute("DROP TABLE IF EXISTS temp.narrow")


def _narrow_changes(changes: Diff) -> bool:
    """Whether an incremental batch changes allocations (which may then keep their indexed
    values: see :func:`prepare`)."""
    return bool(changes.counts["allocations"]["change"])


#: KiB of page cache while a first load builds its indexes again. SQLite's sorter may hold as
#: much memory as the page cache (``cache_size``), and the cache is full of the fresh tables by
#: then, so at 64 MiB each build's sort added up to 64 MiB on top: a 1M first sync peaked at
#: 304 MB; at 16 MiB the sort spills to temporary files and merges them, 263 MB and no slower.
INDEX_BUILD_CACHE_KIB = 16384


def build_indexes(conn: sqlite3.Connection, indexes: Sequence[str]) -> None:
    """Run the ``CREATE INDEX`` statements :func:`_drop_indexes_for_bulk_load` returned
    (SQLite: with a smaller sort budget, :data:`INDEX_BUILD_CACHE_KIB`)."""
    if not indexes:
        return
    sqlite = dialect_of(conn) != "postgresql"
    if sqlite:
        conn.execute(f"PRAGMA main.cache_size = -{INDEX_BUILD_CACHE_KIB}")
    try:
        for sql in indexes:
            conn.execute(sql)
    finally:
        if sqlite:
            conn.execute(f"PRAGMA main.cache_size = -{CACHE_KIB}")


def _drop_indexes_for_bulk_load(conn: sqlite3.Connection) -> list[str]:
    """When the ledger holds no invoices or allocations yet (a first sync), drop their secondary
    indexes so the load appends rows, and return the SQL to build them again (a sorted build is
    far cheaper than millions of random index inserts). Returns [] otherwise. (PostgreSQL:
    :func:`~collectctl.ledger.pgledger.drop_indexes_for_bulk_load`.)"""
    if (
        conn.execute("SELECT 1 FROM main.invoices LIMIT 1").fetchone()
        or conn.execute("SELECT 1 FROM main.allocations LIMIT 1").fetchone()
    ):
        return []
    if dialect_of(conn) == "postgresql":
        from collectctl.ledger.pgledger import drop_indexes_for_bulk_load

        return drop_indexes_for_bulk_load(conn)
    rows = conn.execute(
        """SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND tbl_name IN ('invoices', 'allocations')"""
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX main."{name}"')
    return [sql for _, sql in rows]


def store_cursor(conn: sqlite3.Connection, source: str, cursor: str | None, when: str) -> None:
    """Remember ``cursor`` for ``source`` (same transaction as the data it covers)."""
    conn.execute(
        """INSERT INTO sync_cursors (source, cursor, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor,
                                              updated_at = excluded.updated_at""",
        (source, cursor, when),
    )


#: The sync_cursors key under which a source's "payment dates are approximate" note is kept.
_APPROXIMATE = APPROXIMATE_PAYMENT_DATES


def store_payment_dates(
    conn: sqlite3.Connection, source: str, approximate: bool | None, when: str
) -> None:
    """Remember whether ``source``'s payment dates are approximate (``None``: leave as is).

    Kept beside the source's cursor in ``sync_cursors`` (no schema change), in the same
    transaction as the data it describes.
    """
    if approximate is None:
        return
    key = _APPROXIMATE.format(source)
    if approximate:
        store_cursor(conn, key, "approximate", when)
    else:
        conn.execute("DELETE FROM sync_cursors WHERE source = ?", (key,))


def load_cursor(conn: sqlite3.Connection, source: str) -> str | None:
    """The cursor the last successful sync of ``source`` stored, if any."""
    row = conn.execute("SELECT cursor FROM sync_cursors WHERE source = ?", (source,)).fetchone()
    return row[0] if row else None


def log_sync(
    conn: sqlite3.Connection,
    *,
    source: str,
    started: str,
    finished: str,
    mode: str,
    description: str,
    result: Diff,
) -> None:
    """Append a row to the sync log with the counts after the sync."""
    counts = {
        name: conn.execute(f"SELECT COUNT(*) FROM {name} WHERE source = ?", (source,)).fetchone()[0]
        for name in ENTITIES
    }
    conn.execute(
        """INSERT INTO sync_log (source, started_at, finished_at, mode, description, added,
               changed, removed, customers, invoices, allocations)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
        (
            source,
            started,
            finished,
            mode,
            description,
            result.total("add"),
            result.total("change"),
            result.total("remove"),
            counts["customers"],
            counts["invoices"],
            counts["allocations"],
        ),
    )
