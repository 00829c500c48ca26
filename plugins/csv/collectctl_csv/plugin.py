"""The ``csv`` source: ``collectctl sync csv [DIR]``.

Registered through the ``collectctl`` entry-point group like any third-party plugin. Only
``click`` and the public plugin API are imported at load time; the reader is imported when a
sync actually runs, so ``collectctl --help`` stays fast.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable

import click

from collectctl.errors import ConfigError, SourceError
from collectctl.plugins.hookspecs import hookimpl
from collectctl.records import Source, SourceBatch, SyncRequest

HELP = """Sync the books from a directory of CSV files.

DIR holds customers.csv, invoices.csv and payments.csv (UTF-8, header row, comma separated);
without DIR, `dir` under [sources.csv] in the profile's config.toml is used (relative to the
profile directory). All three files must exist: create one with just its header row if it has no
rows. The books from CSV become exactly what the directory holds now: rows are added, changed and
removed. See docs/csv-format.md for the columns."""


def resolve_directory(request: SyncRequest) -> pathlib.Path:
    """The CSV directory of a sync: ``DIR`` from the command line, else ``[sources.csv] dir``.

    A command-line ``DIR`` is relative to the working directory; a ``dir`` from config.toml is
    relative to the profile directory. ``~`` is expanded in both. Raises
    :class:`~collectctl.errors.SourceError` when neither is given.
    """
    value = request.options.get("dir")
    if value is None or value == "":
        raise SourceError(
            "no CSV directory given",
            hint='Run `collectctl sync csv DIR`, or set dir = "..." under [sources.csv] in the '
            "profile's config.toml.",
        )
    if isinstance(value, os.PathLike):  # click's Path(path_type=Path): the command line
        return pathlib.Path(value).expanduser()
    if not isinstance(value, str):
        raise ConfigError(f"[sources.csv] dir must be a text (a directory path), not {value!r}")
    path = pathlib.Path(value).expanduser()
    if path.is_absolute() or not _from_config(request, value):
        return path
    return pathlib.Path(request.profile_dir) / path


def _from_config(request: SyncRequest, value: str) -> bool:
    """True when a text ``dir`` option is the config file's (not a stringified ``DIR``)."""
    sources = request.config.get("sources")
    table = sources.get("csv") if isinstance(sources, dict) else None
    configured = table.get("dir") if isinstance(table, dict) else None
    return configured is None or configured == value


def read(request: SyncRequest) -> SourceBatch:
    """Check the directory and return a complete batch that streams its records.

    Missing files are reported at once (:class:`~collectctl.errors.SourceError`); bad rows
    arrive as :class:`~collectctl.records.Problem` records while the batch is consumed.
    """
    from collectctl_csv.formats import Settings
    from collectctl_csv.reader import check_directory, read_directory

    directory = resolve_directory(request)
    settings = Settings.from_config(request.options, request.config)
    check_directory(directory)
    return SourceBatch(
        complete=True,
        records=read_directory(directory, settings, request.progress),
        description=f"CSV directory {directory}",
    )


@hookimpl
def register_sources(register: Callable[[Source], None]) -> None:
    """Register the ``csv`` source."""
    register(
        Source(
            name="csv",
            read=read,
            help=HELP,
            params=[
                click.Argument(
                    ["dir"],
                    required=False,
                    type=click.Path(file_okay=False, path_type=pathlib.Path),
                )
            ],
        )
    )
