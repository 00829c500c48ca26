"""Versioned schema migrations (``PRAGMA user_version`` on SQLite, ``schema_version`` on
PostgreSQL).

Each migration is a SQL file ``migrations/NNNN_name.sql``; file ``NNNN`` takes the ledger from
version ``NNNN - 1`` to ``NNNN``, in one transaction, after a backup of the ledger. Where the
dialects must differ, ``NNNN_name.postgresql.sql`` beside it is what PostgreSQL runs instead.
Never edit a released migration: add a new file. Money columns are INTEGER minor units of the
row's currency (BIGINT on PostgreSQL); dates are ISO ``YYYY-MM-DD`` text (ISO text sorts and
compares as dates).
"""

from __future__ import annotations

from importlib.resources import files

_PG_SUFFIX = ".postgresql.sql"


def _load(dialect: str = "sqlite") -> list[str]:
    folder = files("collectctl.ledger") / "migrations"
    all_names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    names = [n for n in all_names if not n.endswith(_PG_SUFFIX)]
    for number, name in enumerate(names, start=1):
        if int(name.split("_", 1)[0]) != number:
            raise RuntimeError(f"ledger migrations must be numbered 0001, 0002, ...: {name}")
    if dialect == "postgresql":
        special = {n.split("_", 1)[0]: n for n in all_names if n.endswith(_PG_SUFFIX)}
        names = [special.get(n.split("_", 1)[0], n) for n in names]
    return [(folder / name).read_text(encoding="utf-8") for name in names]


MIGRATIONS: list[str] = _load()
LATEST = len(MIGRATIONS)


def postgresql_migrations() -> list[str]:
    """The migration scripts PostgreSQL runs (same numbers, per-dialect files where they differ)."""
    return _load("postgresql")
