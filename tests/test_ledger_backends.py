"""The ledger's backends: choosing one, `ledger info`, `ledger copy`, locks that name their holder,
an unreachable server, and real processes sharing one PostgreSQL ledger."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
]


def synced(cli, books):
    books.load(BOOKS)
    result = cli("sync", "memory", "-q")
    assert result.exit_code == 0, result.stderr
    return result


def collection_records(cli):
    for args in (
        ("account", "log", "C1", "--channel", "phone", "--outcome", "spoke", "--note", "ok",
         "--at", "2026-11-30 10:00"),
        ("account", "promise", "C1", "--amount", "80", "--by", "2026-12-05", "--as-of", AS_OF),
        ("account", "dispute", "C2", "--invoice", "B1", "--reason", "quality", "--as-of", AS_OF),
        ("plan", "create", "C1", "--installments", "2", "--every", "month", "--start",
         "2026-12-01", "--as-of", AS_OF),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, result.stderr


def views(cli, env=None):
    return [
        run_json(cli, *args, env=env)
        for args in (
            ("aging", "--as-of", AS_OF),
            ("account", "list", "--as-of", AS_OF),
            ("account", "show", "C1", "--as-of", AS_OF),
            ("account", "show", "C2", "--as-of", AS_OF),
            ("plan", "list", "--as-of", AS_OF),
        )
    ]


@pytest.mark.usefixtures("ledger_backend")
def test_ledger_info_names_the_backend(cli, books, ledger_backend):
    synced(cli, books)
    doc = run_json(cli, "ledger", "info")
    assert doc["backend"] == ledger_backend
    assert doc["schema_version"] == doc["latest_version"] >= 4
    assert doc["tables"]["invoices"] == 3
    assert doc["tables"]["allocations"] == 1
    assert doc["bytes"] > 0
    if ledger_backend == "postgresql":
        assert doc["schema"] == "default"
        assert "(schema default)" in doc["location"]


@pytest.mark.usefixtures("ledger_backend")
def test_copy_to_sqlite_and_back_keeps_every_record(cli, books, ledger_backend, tmp_path):
    synced(cli, books)
    collection_records(cli)
    before = views(cli)
    target = tmp_path / "copy.db"
    result = cli("ledger", "copy", "--to", str(target), "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "identical as of 2026-11-30: done" in result.stderr
    on_copy = {"COLLECTCTL_LEDGER_URL": f"sqlite:{target}"}
    assert views(cli, on_copy) == before
    # A later record gets the next id on the copy, not one already used.
    result = cli("account", "promise", "C2", "--amount", "10", "--by", "2026-12-09",
                 "--as-of", AS_OF, env=on_copy)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "PRM-2" in result.stdout + result.stderr
    # The destination must be empty.
    again = cli("ledger", "copy", "--to", str(target), "--as-of", AS_OF)
    assert again.exit_code == 1
    assert "not empty" in again.stderr
    if ledger_backend == "postgresql":
        # ... and from the SQLite copy into a new schema on the server.
        url = os.environ["COLLECTCTL_LEDGER_URL"]
        result = cli("ledger", "copy", "--to", url, "--schema", "back", "--as-of", AS_OF,
                     env=on_copy)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        on_back = {"COLLECTCTL_LEDGER_SCHEMA": "back"}
        after = views(cli, on_back)
        assert after[0] == before[0]
        assert (
            run_json(cli, "account", "show", "C2", "--as-of", AS_OF, env=on_back)["promises"]
            == run_json(cli, "account", "show", "C2", "--as-of", AS_OF, env=on_copy)["promises"]
        )


@pytest.mark.usefixtures("ledger_backend")
def test_a_waiting_sync_names_who_holds_the_lock(cli, books, open_ledger):
    synced(cli, books)
    with open_ledger().lock("sync", timeout=1, what="sync"):
        result = cli("sync", "memory", env={"COLLECTCTL_LOCK_TIMEOUT": "0.2"})
    assert result.exit_code == 1
    assert "another sync of this profile is running" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert "since 20" in result.stderr


@pytest.mark.usefixtures("ledger_backend")
def test_a_taken_unique_key_is_an_integrity_error_on_both_backends(open_ledger):
    import sqlite3

    ledger = open_ledger()
    row = "INSERT INTO sync_cursors (source, cursor, updated_at) VALUES ('s', NULL, 'now')"
    with ledger.write() as conn:
        conn.execute(row)

    def twice() -> None:
        with ledger.write() as conn:
            conn.execute("INSERT INTO sync_log (source, started_at, finished_at, mode, added, "
                         "changed, removed, customers, invoices, allocations) "
                         "VALUES ('s', 'a', 'b', 'full', 0, 0, 0, 0, 0, 0)")  # fmt: skip
            conn.execute(row)

    with pytest.raises(sqlite3.IntegrityError):
        twice()
    # the failed transaction was rolled back as a whole
    assert ledger.conn.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0] == 0
    with ledger.write() as conn:  # a savepoint keeps the rest of a transaction
        conn.execute("SAVEPOINT claim")
        try:
            conn.execute(row)
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO claim")
        conn.execute("RELEASE claim")
        conn.execute("UPDATE sync_cursors SET cursor = 'c' WHERE source = 's'")
    assert ledger.conn.execute("SELECT cursor FROM sync_cursors").fetchall() == [("c",)]


def test_unreachable_server_is_one_line_without_the_password(cli):
    pytest.importorskip("psycopg", reason="the collectctl[postgresql] extra is not installed")
    url = "postgresql://collector:s3cr3t@127.0.0.1:1/books"
    result = cli("aging", env={"COLLECTCTL_LEDGER_URL": url})
    assert result.exit_code == 1
    assert "cannot reach the PostgreSQL ledger at postgresql://collector@127.0.0.1:1/books" in (
        result.stderr
    )
    assert "nothing was written" in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_url_of_another_database_is_a_config_error(cli):
    result = cli("aging", env={"COLLECTCTL_LEDGER_URL": "mysql://u:pw@db/books"})
    assert result.exit_code == 1
    assert "neither postgresql://" in result.stderr
    assert "pw" not in result.stderr.replace("postgresql", "")


def test_redact_removes_passwords():
    from collectctl.ledger.dialect import redact

    assert redact("postgresql://u:p@h:5/db") == "postgresql://u@h:5/db"
    assert redact("postgresql://h/db?password=x&sslmode=require") == (
        "postgresql://h/db?sslmode=require"
    )
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_translation_of_the_sqlite_idioms():
    from collectctl.ledger.pgsql import translate

    sql, takes = translate("INSERT OR IGNORE INTO t (a) VALUES (?)")
    assert (sql, takes) == ("INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING", True)
    assert translate("SELECT 1 FROM a WHERE x IS NOT y AND z IS NOT NULL")[0] == (
        "SELECT 1 FROM a WHERE x IS DISTINCT FROM y AND z IS NOT NULL"
    )
    assert translate("SELECT '%?:x', :d FROM main.t")[0] == "SELECT '%%?:x', %(d)s FROM t"
    assert translate("SELECT n FROM (SELECT 1 AS n) GROUP BY n")[0] == (
        "SELECT n FROM (SELECT 1 AS n) AS _sub1 GROUP BY n"
    )
    assert translate("SELECT 1 FROM st.s_x s CROSS JOIN t u ON u.a = s.a")[0] == (
        "SELECT 1 FROM pg_temp.s_x s JOIN t u ON u.a = s.a"
    )


# -- real processes on one PostgreSQL ledger -------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    from collectctl.cli import main
    sys.argv = ["collectctl", *sys.argv[1:]]
    main()
    """
)


def _books(folder: Path, n: int) -> None:
    folder.mkdir()
    with (folder / "customers.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name"])
        for c in range(20):
            w.writerow([f"C{c}", f"Customer {c}"])
    with (folder / "invoices.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "customer_id", "issue_date", "amount"])
        for i in range(n):
            w.writerow([f"I{i}", f"C{i % 20}", f"2026-0{1 + i % 9}-1{i % 10}", f"{10 + i}.00"])
    with (folder / "payments.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "customer_id", "date", "amount", "invoice_id"])
        for i in range(0, n, 3):
            w.writerow([f"P{i}", f"C{i % 20}", "2026-10-01", "5.00", f"I{i}"])


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgresql_only
@pytest.mark.usefixtures("ledger_backend")
def test_processes_share_one_ledger_without_losing_a_record(cli, tmp_path):
    folder = tmp_path / "books"
    _books(folder, 3000)
    env = {**os.environ, "COLLECTCTL_LOCK_TIMEOUT": "60"}
    # First use by several processes at once: one migrates, the others wait for it.
    first = [_run(["ledger", "info", "--format", "json"], env) for _ in range(3)]
    for p in first:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert json.loads(out)["schema_version"] >= 4
    result = cli("sync", "csv", str(folder), "-q")
    assert result.exit_code == 0, result.stderr
    # A full sync (every amount changed) while four others log contacts and make promises.
    with (folder / "invoices.csv").open() as fh:
        rows = list(csv.reader(fh))
    with (folder / "invoices.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        for r in rows[1:]:
            w.writerow([*r[:3], f"{r[3][:-3]}.50"])
    sync = _run(["sync", "csv", str(folder), "-q"], env)
    writers = []
    for k in range(4):
        script = []
        for j in range(5):
            c = f"C{(k * 5 + j) % 20}"
            if k % 2:
                script.append(
                    ["account", "log", c, "--channel", "phone", "--outcome", "spoke", "--note", "x"]
                )
            else:
                script.append(["account", "promise", c, "--amount", "1", "--by", "2099-01-01"])
        writers.append(script)
    # ... and dunning dry runs (read only: they decide, write nothing, take no write lock).
    profile = Path(os.environ["COLLECTCTL_HOME"]) / "profiles" / "default"
    (profile / "config.toml").write_text('[creditor]\nname = "Studio Lumen Ltd"\n', "utf-8")
    policy = Path(__file__).resolve().parents[1] / "examples" / "dunning.toml"
    dry = ["dunning", "run", "--dry-run", "--policy", str(policy), "--max", "5000", "-f", "json"]
    writers.append([dry, dry])
    done = {"contacts": 0, "promises": 0, "dunning": 0}
    procs = []
    for script in writers:
        for args in script:
            procs.append((args[1], _run(args, env)))
    for kind, p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        if kind == "run":
            assert json.loads(out)["mode"] == "dry-run"
            done["dunning"] += 1
        else:
            done["contacts" if kind == "log" else "promises"] += 1
    assert done["dunning"] == 2
    out, err = sync.communicate(timeout=300)
    assert sync.returncode == 0, err
    info = run_json(cli, "ledger", "info")
    assert info["tables"]["contacts"] == done["contacts"] == 10
    assert info["tables"]["promises"] == done["promises"] == 10
    assert info["tables"]["invoices"] == 3000
    assert info["tables"]["letters"] == info["tables"]["dunning_runs"] == 0  # dry runs wrote none
    aging = run_json(cli, "aging", "--as-of", AS_OF)
    total = sum(int(t["total"].replace(".", "")) for t in aging["totals"] if t["currency"] == "USD")
    # Σ(10 + i + 0.50) over 3000 invoices minus 5.00 on every third
    expected = sum((10 + i) * 100 + 50 for i in range(3000)) - 500 * 1000
    assert total == expected
