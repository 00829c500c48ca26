"""Books, policies and an SMTP inbox for the dunning tests.

Dates are relative to today in UTC (the profiles here use ``timezone = "UTC"``): a real run
only accepts today, and the subprocess tests run the real clock.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TODAY = datetime.now(UTC).date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


CUSTOMERS = [
    # id, name, email, kind, timezone
    ("acme", "Acme Ltd", "ap@acme.example", "business", "Europe/London"),
    ("beta", "Beta LLC", "", "business", "America/Chicago"),
    ("held", "Held Co", "billing@held.example", "business", ""),
    ("small", "Small Change", "s@small.example", "business", ""),
]
INVOICES = [
    # id, customer, number, due days ago, amount
    ("a1", "acme", "A-1", 20, "500.00"),
    ("a2", "acme", "A-2", 4, "120.00"),
    ("b1", "beta", "B-1", 35, "900.00"),
    ("h1", "held", "H-1", 40, "300.00"),
    ("s1", "small", "S-1", 10, "5.00"),
]

POLICY = """
max_letters_per_run = 10
[sections.std]
catch_up = "latest"
min_gap_days = 7
channel = "{channel}"
fallback_channel = "file"
min_balance = {{ USD = "10.00" }}
[[sections.std.stages]]
category = "reminder"
offset_days = 3
[[sections.std.stages]]
category = "firm"
offset_days = 14
[[sections.std.stages]]
category = "final"
offset_days = 30
"""


def write_books(folder: Path, payments: Sequence[tuple[str, str, str, str]] = ()) -> Path:
    """The CSV export in ``folder``; ``payments`` are (id, customer, invoice, amount) today."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "email", "kind", "currency", "timezone"])
        for cid, name, email, kind, tz in CUSTOMERS:
            w.writerow([cid, name, email, kind, "USD", tz])
    with (folder / "invoices.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "customer_id", "number", "issue_date", "due_date", "amount"])
        for iid, cid, number, days, amount in INVOICES:
            w.writerow([iid, cid, number, ago(days + 30), ago(days), amount])
    with (folder / "payments.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "customer_id", "date", "amount", "invoice_id"])
        for pid, cid, iid, amount in payments:
            w.writerow([pid, cid, TODAY.isoformat(), amount, iid])
    return folder


def profile_dir(home: Path) -> Path:
    return home / "profiles" / "default"


def write_config(home: Path, extra: str = "") -> None:
    path = profile_dir(home)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.toml").write_text(
        'timezone = "UTC"\n[creditor]\nname = "Studio Lumen Ltd"\n'
        'email = "billing@lumen.example"\naddress = "1 High Street"\n'
        'payment_details = "Account 1234"\n' + extra,
        encoding="utf-8",
    )


def write_policy(folder: Path, channel: str = "file", text: str = POLICY) -> Path:
    path = folder / "dunning.toml"
    path.write_text(text.format(channel=channel), encoding="utf-8")
    return path


@contextmanager
def _ledger_of(home: Path) -> Iterator[Any]:
    """The default profile's ledger of ``home``, on the test's backend (SQLite file, or the
    PostgreSQL schema every home of the test shares: two machines, one database)."""
    import os

    from collectctl.app import App

    before = os.environ.get("COLLECTCTL_HOME")
    os.environ["COLLECTCTL_HOME"] = str(home)
    app = App()
    try:
        yield app.ledger()
    finally:
        app.close()
        if before is None:
            os.environ.pop("COLLECTCTL_HOME", None)
        else:
            os.environ["COLLECTCTL_HOME"] = before


def ledger_rows(home: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read from ``home``'s ledger."""
    with _ledger_of(home) as ledger:
        return [tuple(r) for r in ledger.conn.execute(sql, params).fetchall()]


def ledger_execute(home: Path, sql: str, params: Sequence[Any] = ()) -> None:
    """Run one write statement on ``home``'s ledger (in a write transaction)."""
    with _ledger_of(home) as ledger, ledger.write() as conn:
        conn.execute(sql, params)


def collectctl(
    home: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``collectctl`` in a subprocess against ``home`` (``env`` added)."""
    import os

    env = {
        **os.environ,
        "COLLECTCTL_HOME": str(home),
        "COLLECTCTL_LOAD_PLUGINS": "csv",
        **(env or {}),
    }
    env.pop("COLLECTCTL_FORMAT", None)
    return subprocess.run(
        [sys.executable, "-m", "collectctl.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sends(document: dict[str, Any]) -> list[tuple[str, str, tuple[tuple[str, str, int], ...]]]:
    """The letters of a run document: (customer, stage, ((invoice, stage, seq), ...))."""
    return [
        (
            d["customer_id"],
            d["stage"],
            tuple((i["invoice_id"], i["stage"], i["seq"]) for i in d["invoices"]),
        )
        for d in document["decisions"]
        if d["status"] not in ("skipped",)
    ]


def skips(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["customer_id"], d["skip_reason"]) for d in document["decisions"] if d["skip_reason"]]


def load(text: str) -> dict[str, Any]:
    return json.loads(text)


TODAY_DATE: date = TODAY
