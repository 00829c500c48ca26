"""Change a share of the rows of generated CSV books, for the "re-sync after 1% changed" benchmark.

Every ``every``-th data row of each file is edited in a way that keeps the books valid
(contracts §2): a customer's e-mail, an invoice's amount (one major unit more, so no write-off
becomes larger than what is open) and description, a payment row's reference. Deterministic,
streaming (one row at a time), and it never touches the source directory.

    python benchmarks/edit_books.py SRC DST [--every 100]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

#: Columns edited per file.
EDITS = {"customers.csv": ("email",), "invoices.csv": ("amount", "description"),
         "payments.csv": ("reference",)}  # fmt: skip


def _edit(name: str, row: dict[str, str], number: int) -> None:
    if name == "customers.csv":
        row["email"] = f"billing+{number}@changed.example"
    elif name == "invoices.csv":
        amount = Decimal(row["amount"])
        row["amount"] = str(amount + 1)
        row["description"] = f"{row['description']} (amended)".strip()
    else:
        row["reference"] = f"CHG-{number}"


def edit_books(src: Path, dst: Path, every: int = 100) -> dict[str, int]:
    """Copy the three CSVs from ``src`` to ``dst``, editing every ``every``-th row of each.

    Returns the number of rows changed per file.
    """
    dst.mkdir(parents=True, exist_ok=True)
    changed: dict[str, int] = {}
    for name in EDITS:
        n = 0
        with (
            open(src / name, newline="", encoding="utf-8") as fin,
            open(dst / name, "w", newline="", encoding="utf-8") as fout,
        ):
            reader = csv.DictReader(fin)
            assert reader.fieldnames is not None
            writer = csv.DictWriter(fout, reader.fieldnames)
            writer.writeheader()
            for i, row in enumerate(reader, start=1):
                if i % every == 0:
                    _edit(name, row, i)
                    n += 1
                writer.writerow(row)
        changed[name] = n
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``edit_books.py SRC DST [--every N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args(argv)
    print(edit_books(args.src, args.dst, args.every), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
