"""The ``sync-csv-preset`` benchmark: the same books as ``sync-csv``, as one invoice list read
through a preset (``collectctl sync csv FILE --preset spreadsheet``) into an empty ledger.

Registered in ``run.py`` by importing this module (``--only sync-csv-preset`` selects it). The
invoice list is written from the size's generated three files before the timed child runs: one
row per invoice with ``Amount Paid`` (payments and credits applied to it, capped at what was
open) and ``Written Off``, dates written ``31/12/2026`` with ``date_order = "dmy"`` and amounts
``1,234.56``, so the mapped reader, the flexible date and amount parsers and the invoice-list
arithmetic all run. Target (``ok``/``MISS`` only, never asserted): at most 1.5 times the 60 s
native 1M target, and the same 500 MB peak memory.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
HEADER = (
    "Invoice Number,Customer ID,Customer,Email,Issue Date,Due Date,Currency,Amount,"
    "Amount Paid,Written Off,Balance,Status\n"
)


from bench_runner import runner  # noqa: E402

_run = runner()


def _dmy(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso else ""


def _grouped(text: str) -> str:
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def write_invoice_list(data_dir: Path, out: Path) -> int:
    """Write the books of ``data_dir`` as one invoice list at ``out``; returns the row count."""
    settled: dict[str, Decimal] = {}
    written: dict[str, Decimal] = {}
    with (data_dir / "payments.csv").open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            inv = row["invoice_id"]
            if not inv:
                continue
            target = written if row.get("kind") == "write_off" else settled
            if row.get("kind") in ("", "payment", "credit", "write_off", None):
                target[inv] = target.get(inv, Decimal(0)) + Decimal(row["amount"])
    names: dict[str, tuple[str, str, str]] = {}
    with (data_dir / "customers.csv").open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            names[row["id"]] = (row["name"], row.get("email") or "", row.get("currency") or "")
    rows = 0
    with (
        (data_dir / "invoices.csv").open(newline="", encoding="utf-8-sig") as fh,
        out.open("w", newline="", encoding="utf-8") as dst,
    ):
        dst.write(HEADER)
        writer = csv.writer(dst, lineterminator="\n")
        for row in csv.DictReader(fh):
            amount = Decimal(row["amount"])
            off = min(written.get(row["id"], Decimal(0)), amount)
            paid = min(settled.get(row["id"], Decimal(0)), amount - off)
            balance = amount - off - paid
            status = "void" if row.get("status") == "void" else ("paid" if not balance else "open")
            name, email, currency = names.get(row["customer_id"], (row["customer_id"], "", ""))
            writer.writerow(
                [
                    row["id"],
                    row["customer_id"],
                    name,
                    email,
                    _dmy(row["issue_date"]),
                    _dmy(row.get("due_date") or ""),
                    row.get("currency") or currency,
                    _grouped(row["amount"]),
                    _grouped(str(paid)),
                    _grouped(str(off)),
                    _grouped(str(balance)),
                    status,
                ]
            )
            rows += 1
    return rows


@_run.register(
    "sync-csv-preset",
    per_size=True,
    description="sync csv FILE --preset spreadsheet (one invoice list) into an empty ledger",
)
def bench_sync_csv_preset(ctx: Any) -> list[Any]:
    """Time and peak RSS of one preset sync of the size's books written as an invoice list."""
    work = ctx.scratch / f"preset-{ctx.size}"
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "invoices.csv"
    write_invoice_list(ctx.data_dir, listing)
    home = work / "home"
    profile = home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "config.toml").write_text(
        '[sources.csv]\ndate_order = "dmy"\nthousands_separator = ","\n', encoding="utf-8"
    )
    return [
        ctx.measure(
            "sync csv FILE --preset spreadsheet (empty ledger)",
            ["sync", "csv", str(listing), "--preset", "spreadsheet"],
            home=home,
            repeat=1,
            target=_run.Target(size="1M", max_seconds=90, max_rss_mb=500),
        )
    ]
