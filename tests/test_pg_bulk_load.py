"""What the PostgreSQL ledger does for speed, checked for what it must not change: a first sync
drops and rebuilds the secondary indexes and leaves the tables vacuumed and analysed (also for a
collector that does not own them, who keeps the indexes), and SUM of money is a BIGINT that
overflows like SQLite's."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from core_helpers import cust, inv, pay, run_json

AS_OF = "2026-11-30"
BOOKS = [
    cust("C1", "Acme Ltd"),
    inv("I1", "C1", "2026-09-01", "600.00"),
    inv("I2", "C1", "2026-10-01", "400.00"),
    cust("C2", "Bravo"),
    inv("B1", "C2", "2026-10-01", "500.00"),
    pay("P1", "C2", "2026-10-20", "200.00", "B1"),
    pay("P2", "C1", "2026-10-25", "600.00", "I1"),
]


def _indexes(conn) -> list[str]:
    rows = conn.raw.execute(
        """SELECT indexdef FROM pg_indexes WHERE schemaname = %s
           AND tablename IN ('invoices', 'allocations') ORDER BY indexname""",
        (conn.schema,),
    ).fetchall()
    return [r[0] for r in rows]


def _maintained(conn) -> dict[str, tuple[bool, bool]]:
    """``{table: (has statistics, has a visibility map)}`` from the catalog."""
    rows = conn.raw.execute(
        """SELECT c.relname, c.reltuples >= 0, c.relallvisible > 0 FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relname IN ('customers', 'invoices', 'allocations')""",
        (conn.schema,),
    ).fetchall()
    return {name: (bool(stats), bool(visible)) for name, stats, visible in rows}


@pytest.mark.postgresql_only
@pytest.mark.usefixtures("ledger_backend")
def test_a_first_sync_rebuilds_the_indexes_and_leaves_the_tables_analysed(cli, books, open_ledger):
    ledger = open_ledger()
    before = _indexes(ledger.conn)
    assert any("invoices_unsettled" in d and "WHERE" in d for d in before)
    assert _maintained(ledger.conn) == {t: (False, False) for t in _maintained(ledger.conn)}
    books.load(BOOKS)
    result = cli("sync", "memory", "-q")
    assert result.exit_code == 0, result.stderr
    assert _indexes(ledger.conn) == before
    assert _maintained(ledger.conn) == {
        "customers": (True, True),
        "invoices": (True, True),
        "allocations": (True, True),
    }
    aging = run_json(cli, "aging", "--as-of", AS_OF)
    assert [row["customer_id"] for row in aging["rows"]] == ["C1", "C2"]
    # a second sync is not a first load: it keeps the indexes as they are
    books.load([*BOOKS, inv("I3", "C1", "2026-11-01", "50.00")])
    assert cli("sync", "memory", "-q").exit_code == 0
    assert _indexes(ledger.conn) == before


@pytest.fixture
def collector_url(ledger_backend):
    """A login role with the least privileges of docs/team.md on the test database (the
    schema is granted to it by the test, once the owner has made it)."""
    from collectctl.testing import _with_database

    owner_url = os.environ["COLLECTCTL_LEDGER_URL"]
    import psycopg

    role = f"collector_{uuid.uuid4().hex[:8]}"
    database = urlsplit(owner_url).path.lstrip("/")
    with psycopg.connect(owner_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"')
    parts = urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    url = urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, ""))
    try:
        yield role, url
    finally:
        with psycopg.connect(_with_database(owner_url, database), autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgresql_only
def test_a_collector_who_does_not_own_the_tables_makes_the_first_sync(
    cli, books, open_ledger, collector_url
):
    role, url = collector_url
    ledger = open_ledger()  # the owner makes the schema
    before = _indexes(ledger.conn)
    for grant in (
        "GRANT USAGE ON SCHEMA {s} TO {r}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {s} TO {r}",
    ):
        ledger.conn.raw.execute(grant.format(s=f'"{ledger.conn.schema}"', r=f'"{role}"'))
    books.load(BOOKS)
    result = cli("sync", "memory", "-q", env={"COLLECTCTL_LEDGER_URL": url})
    assert result.exit_code == 0, result.stderr
    assert _indexes(ledger.conn) == before
    aging = run_json(cli, "aging", "--as-of", AS_OF, env={"COLLECTCTL_LEDGER_URL": url})
    assert aging == run_json(cli, "aging", "--as-of", AS_OF)
    assert [row["customer_id"] for row in aging["rows"]] == ["C1", "C2"]


@pytest.mark.usefixtures("ledger_backend")
def test_sum_of_integers_is_an_integer_that_overflows_like_sqlite(open_ledger):
    ledger = open_ledger()
    conn = ledger.conn
    big = 2**63 - 1
    values = "SELECT ? AS x UNION ALL SELECT ?"
    assert conn.execute(f"SELECT SUM(x) FROM ({values}) AS v", (big - 1, 1)).fetchone()[0] == big
    with pytest.raises(Exception, match=r"(?i)overflow|out of range"):
        conn.execute(f"SELECT SUM(x) FROM ({values}) AS v", (big, 1)).fetchone()
    if ledger.dialect == "postgresql":
        kinds = conn.raw.execute(
            "SELECT pg_typeof(SUM(amount))::text, pg_typeof(SUM(1.5))::text FROM invoices"
        ).fetchone()
        assert tuple(kinds) == ("bigint", "numeric")
