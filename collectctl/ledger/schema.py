"""Versioned schema migrations (``PRAGMA user_version``).

Each migration is a SQL file ``migrations/NNNN_name.sql``; file ``NNNN`` takes the ledger from
version ``NNNN - 1`` to ``NNNN``, in one transaction, after a backup of the ledger. Never edit a
released migration: add a new file. Money columns are INTEGER minor units of the row's currency;
dates are ISO ``YYYY-MM-DD`` text (ISO text sorts and compares as dates).
"""

from __future__ import annotations

from importlib.resources import files


def _load() -> list[str]:
    folder = files("collectctl.ledger") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    for number, name in enumerate(names, start=1):
        if int(name.split("_", 1)[0]) != number:
            raise RuntimeError(f"ledger migrations must be numbered 0001, 0002, ...: {name}")
    return [(folder / name).read_text(encoding="utf-8") for name in names]


MIGRATIONS: list[str] = _load()
LATEST = len(MIGRATIONS)
