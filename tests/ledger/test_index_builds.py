"""A first SQLite load drops the secondary indexes and builds them again with a smaller sort
budget (peak memory): the indexes come back exactly as the schema has them, and the connection
gets its page cache back, also when a build fails."""

from __future__ import annotations

import sqlite3

import pytest
from core_helpers import cust, inv, pay, run_json

from collectctl.ledger.changes import INDEX_BUILD_CACHE_KIB, build_indexes
from collectctl.ledger.connection import CACHE_KIB

BOOKS = [
    cust("C1", "Acme Ltd"),
    inv("I1", "C1", "2026-09-01", "600.00"),
    inv("I2", "C1", "2026-10-01", "400.00"),
    pay("P1", "C1", "2026-10-20", "200.00", "I2"),
]


def _indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        """SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND tbl_name IN ('invoices', 'allocations') ORDER BY name"""
    ).fetchall()


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("ledger_backend")
def test_a_first_sync_builds_the_same_indexes_again(cli, books, open_ledger):
    ledger = open_ledger()
    before = _indexes(ledger.conn)
    assert any(name == "invoices_unsettled" for name, _ in before)
    books.load(BOOKS)
    result = cli("sync", "memory", "-q")
    assert result.exit_code == 0, result.stderr
    assert _indexes(ledger.conn) == before
    aging = run_json(cli, "aging", "--as-of", "2026-11-30")
    assert aging["totals"][0]["total"] == "800.00"


def _cache_kib(conn: sqlite3.Connection) -> int:
    return -int(conn.execute("PRAGMA main.cache_size").fetchone()[0])


def test_build_indexes_uses_the_smaller_budget_and_restores_the_cache(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(k, str(k)) for k in range(1000)])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    build_indexes(conn, ["CREATE INDEX t_a ON t (a)"])
    conn.set_trace_callback(None)
    assert INDEX_BUILD_CACHE_KIB < CACHE_KIB
    assert statements == [
        f"PRAGMA main.cache_size = -{INDEX_BUILD_CACHE_KIB}",
        "CREATE INDEX t_a ON t (a)",
        f"PRAGMA main.cache_size = -{CACHE_KIB}",
    ]
    assert _cache_kib(conn) == CACHE_KIB
    assert conn.execute("SELECT COUNT(*) FROM t INDEXED BY t_a WHERE a >= 0").fetchone() == (1000,)
    with pytest.raises(sqlite3.OperationalError):
        build_indexes(conn, ["CREATE INDEX t_b ON t (b)", "CREATE INDEX t_c ON t (nope)"])
    assert _cache_kib(conn) == CACHE_KIB


def test_build_indexes_of_nothing_leaves_the_cache_alone(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
    conn.execute("PRAGMA cache_size = -1234")
    build_indexes(conn, [])
    assert _cache_kib(conn) == 1234
