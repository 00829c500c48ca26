"""Moving a ledger between backends (``collectctl ledger copy``) and describing one
(``collectctl ledger info``).

:func:`copy_tables` copies every table of one ledger — books, collection records, plans, sync
cursors and log — into another, freshly migrated and empty, inside the destination's write
transaction; the caller checks the copy and only then lets the transaction commit. Ids are copied
as they are, so ``PRM-3`` stays ``PRM-3``; PostgreSQL's identity sequences are moved past them.
"""

from __future__ import annotations

from typing import Any

from collectctl.errors import CollectctlError
from collectctl.ledger.dialect import dialect_of

BATCH = 5000


def table_names(conn: Any) -> list[str]:
    """The ledger's tables, in creation order (bookkeeping tables of the backend excluded)."""
    if dialect_of(conn) == "postgresql":
        from collectctl.ledger.pgledger import META_TABLES

        rows = conn.raw.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.oid""",
            (conn.schema,),
        ).fetchall()
        return [r[0] for r in rows if r[0] not in META_TABLES]
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid"
    ).fetchall()
    return [r[0] for r in rows]


def row_counts(conn: Any) -> dict[str, int]:
    """``{table: rows}`` for every table of the ledger."""
    return {
        t: int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in table_names(conn)
    }


def copy_tables(source: Any, dest: Any) -> dict[str, int]:
    """Copy every row of every table of ``source`` into ``dest`` (a connection inside its write
    transaction; every table must be empty). Returns the rows copied per table."""
    wanted = table_names(source)
    have = set(table_names(dest))
    missing = [t for t in wanted if t not in have]
    if missing:
        raise CollectctlError(
            f"the destination ledger has no table {missing[0]!r}: it was made by another "
            "collectctl version",
            hint="Use the same collectctl version on both sides.",
        )
    full = [t for t in wanted if dest.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]
    if full:
        raise CollectctlError(
            f"the destination ledger is not empty (table {full[0]!r} has rows); nothing was copied",
            hint="Copy into a new SQLite file or an empty schema (--schema NAME).",
        )
    counts: dict[str, int] = {}
    for table in wanted:
        cur = source.execute(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cur.description or []]
        counts[table] = _copy_rows(dest, table, columns, cur)
    if dialect_of(dest) == "postgresql":
        _advance_sequences(dest, wanted)
    return counts


def _copy_rows(dest: Any, table: str, columns: list[str], cur: Any) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    n = 0
    if dialect_of(dest) == "postgresql":
        with dest.raw.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in cur:
                copy.write_row(row)
                n += 1
        return n
    marks = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    while True:
        rows = cur.fetchmany(BATCH)
        if not rows:
            return n
        dest.executemany(sql, rows)
        n += len(rows)


def _advance_sequences(dest: Any, tables: list[str]) -> None:
    for table in tables:
        if table not in dest.id_tables():
            continue
        dest.raw.execute(
            f"""SELECT setval(pg_get_serial_sequence(%s, 'id'),
                              COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)""",
            (f'"{dest.schema}"."{table}"',),
        )


def info(ledger: Any) -> dict[str, Any]:
    """The ``collectctl ledger info`` document: backend, where, schema version, size, rows."""
    from collectctl.ledger.schema import LATEST

    conn = ledger.conn
    doc: dict[str, Any] = {
        "backend": ledger.dialect,
        "location": ledger.display,
        "schema": getattr(conn, "schema", None),
        "schema_version": ledger.version,
        "latest_version": LATEST,
        "bytes": ledger.size(),
        "tables": row_counts(conn),
    }
    return doc
