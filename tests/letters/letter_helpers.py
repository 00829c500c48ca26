"""Books and config shared by the letters tests."""

from __future__ import annotations

from pathlib import Path

from core_helpers import cust, inv, pay

AS_OF = "2026-11-30"
BOOKS = [
    cust(
        "C1",
        "Łódź Trading Sp. z o.o.",
        email="ap@lodz.example",
        address="ul. Piotrkowska 104\n90-001 Łódź",
        terms_days=30,
        currency="GBP",
    ),
    cust("C2", "Beta LLC"),
    inv("I1", "C1", "2026-08-01", "5000.00", due="2026-09-01", number="INV-1001", currency="GBP"),
    inv("I2", "C1", "2026-09-15", "250.00", due="2026-10-15", number="INV-1002", currency="GBP"),
    inv("I3", "C1", "2026-11-20", "80.00", due="2026-12-20", number="INV-1003", currency="GBP"),
    pay("P1", "C1", "2026-09-21", "2000.00", "I1", currency="GBP"),
    pay("P2", "C1", "2026-11-01", "50.00", None, currency="GBP"),
    inv("I4", "C2", "2026-09-01", "300.00", due="2026-10-01"),
]
CREDITOR = (
    '[creditor]\nname = "Studio Lumen Ltd"\nemail = "billing@lumen.example"\n'
    'address = "1 High Street\\nLondon"\npayment_details = "Sort code 00-00-00, account 1234"\n'
)


def config_path(home: Path) -> Path:
    return home / "profiles" / "default" / "config.toml"


def set_config(home: Path, text: str) -> None:
    config_path(home).write_text(text, encoding="utf-8")
