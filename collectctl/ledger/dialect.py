"""Which ledger a profile uses — its SQLite file, or a schema in a shared PostgreSQL database —
and what differs between the two dialects.

A profile's ``[ledger]`` table picks the backend::

    [ledger]
    url = "postgresql://collector@db.example.com/books"   # absent: the profile's ledger.db
    schema = "acme"                                       # default: the profile's name

``COLLECTCTL_LEDGER_URL`` (environment or ``.env``) overrides ``url``, and
``COLLECTCTL_LEDGER_SCHEMA`` overrides ``schema``. A password never comes from the config: libpq
reads ``PGPASSWORD`` and ``~/.pgpass``, and a ``PGPASSWORD`` in the profile's ``.env`` is passed
on. URLs are shown with the password removed (:func:`redact`).

Nothing here imports a database driver.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from collectctl.errors import ConfigError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Target:
    """Where a profile's ledger lives.

    :param backend: ``"sqlite"`` or ``"postgresql"``.
    :param path: the SQLite file (``None`` for PostgreSQL).
    :param url: the PostgreSQL URL as configured (may hold a password; never print it).
    :param schema: the PostgreSQL schema holding this profile's tables.
    :param password: a password from the profile's ``.env`` (``PGPASSWORD``), if any.
    """

    backend: str
    path: Path | None = None
    url: str = ""
    schema: str = ""
    password: str | None = None

    @property
    def display(self) -> str:
        """The ledger's location for messages: a path, or the URL without its password."""
        if self.backend == SQLITE:
            return str(self.path)
        return f"{redact(self.url)} (schema {self.schema})"


def redact(url: str) -> str:
    """``url`` with any password removed (``postgresql://u:secret@h/db`` -> ``postgresql://u@h/db``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable ledger URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.lower().startswith("password=")
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL server (``postgresql://`` or ``postgres://``)."""
    return url.startswith(("postgresql://", "postgres://"))


def resolve(
    profile_name: str,
    profile_dir: Path,
    config: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    config_file: Path | None = None,
) -> Target:
    """The ledger :class:`Target` of a profile (see the module docstring for the precedence):
    ``profile_dir`` is where its SQLite file goes, ``config_file`` (default
    ``profile_dir/config.toml``) the file errors name."""
    config_file = config_file or profile_dir / "config.toml"
    section = config.get("ledger") or {}
    if not isinstance(section, Mapping):
        raise ConfigError(
            f"{config_file}: ledger: must be a table ([ledger])",
            hint="See docs/configuration.md.",
        )
    url = env.get("COLLECTCTL_LEDGER_URL") or section.get("url") or ""
    if not isinstance(url, str):
        raise ConfigError(
            f"{config_file}: ledger.url: must be a string",
            hint='Write url = "postgresql://user@host/database" (see docs/team.md).',
        )
    url = url.strip()
    if not url or url.startswith("sqlite:"):
        path = profile_dir / "ledger.db"
        if url.startswith("sqlite:"):
            path = Path(url.split(":", 1)[1].removeprefix("//")).expanduser()
        return Target(SQLITE, path=path)
    if not is_postgres_url(url):
        raise ConfigError(
            f"ledger URL {redact(url)!r} is neither postgresql://... nor sqlite:PATH",
            hint="Set [ledger] url (or COLLECTCTL_LEDGER_URL) to postgresql://user@host/db, "
            "or remove it to use the profile's SQLite file.",
        )
    schema = env.get("COLLECTCTL_LEDGER_SCHEMA") or section.get("schema") or profile_name
    if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
        raise ConfigError(
            f"ledger schema {schema!r} is not a valid schema name",
            hint="Use letters, digits, '_', '.' and '-' (up to 63 characters) in [ledger] schema.",
        )
    password = None
    if "PGPASSWORD" not in os.environ and env.get("PGPASSWORD"):
        password = env["PGPASSWORD"]
    return Target(POSTGRESQL, url=url, schema=schema, password=password)


def target_for_url(url: str, schema: str, password: str | None = None) -> Target:
    """A :class:`Target` for an explicit URL (``ledger copy --to``): a PostgreSQL URL, or a
    SQLite file given as ``sqlite:PATH`` or a plain path."""
    if is_postgres_url(url):
        if not _SCHEMA_NAME.match(schema):
            raise ConfigError(f"ledger schema {schema!r} is not a valid schema name")
        return Target(POSTGRESQL, url=url, schema=schema, password=password)
    path = url.split(":", 1)[1].removeprefix("//") if url.startswith("sqlite:") else url
    return Target(SQLITE, path=Path(path).expanduser())


def acting_user(env: Mapping[str, str], database_user: str | None = None) -> str:
    """Who is making a collection record: ``COLLECTCTL_USER``, else the database user (shared
    ledgers), else the operating-system user."""
    name = (env.get("COLLECTCTL_USER") or "").strip()
    if name:
        return name
    if database_user:
        return database_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


def dialect_of(conn: Any) -> str:
    """``"postgresql"`` for a PostgreSQL ledger connection, else ``"sqlite"``."""
    return str(getattr(conn, "dialect", SQLITE))
