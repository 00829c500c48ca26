"""The ``csv`` source: ``collectctl sync csv [DIR]``.

Registered through the ``collectctl`` entry-point group like any third-party plugin. Only
``click`` and the public plugin API are imported at load time; the reader is imported when a
sync actually runs, so ``collectctl --help`` stays fast.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import click

from collectctl.errors import ConfigError, SourceError
from collectctl.plugins.hookspecs import hookimpl
from collectctl.records import Cursor, Record, Source, SourceBatch, SyncRequest

HELP = """Sync the books from a directory of CSV files, or another tool's export.

DIR holds customers.csv, invoices.csv and payments.csv (UTF-8, header row, comma separated);
without DIR, `dir` under [sources.csv] in the profile's config.toml is used (relative to the
profile directory). All three files must exist: create one with just its header row if it has no
rows. The books from CSV become exactly what the directory holds now: rows are added, changed and
removed. Columns: customers.csv id, name (email, phone, address, kind, currency, timezone,
terms_days optional); invoices.csv id, customer_id, issue_date, amount (number, due_date,
currency, status, description optional); payments.csv id, customer_id, date, amount
(invoice_id, kind, currency, method, reference optional).

With --preset NAME (Stripe, Xero, FreshBooks, ... see --preset-list) or --map FILE, DIR may be
another tool's export: one invoice list file (or a directory holding it), in its own headers,
delimiter, encoding, date and number formats. --explain shows what was detected and mapped,
and writes nothing."""


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
    return pathlib.Path(request.config_dir or request.profile_dir) / path


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

    The batch ends with a :class:`~collectctl.records.Cursor` fingerprinting what was read (see
    :func:`fingerprint`). When the stored cursor equals the directory's fingerprint now, nothing
    can have changed: an empty incremental batch is returned without reading the rows (unless
    ``--full``), so a nightly re-sync of an unchanged export costs a hash of the files.

    When the files changed but the profile keeps the digests of the rows the ledger was last
    synced from (:mod:`collectctl_csv.rowstate`, written after each sync of this format
    commits), the batch is incremental: only the rows that changed and those that depend on
    them, plus deletions (:mod:`collectctl_csv.increment`); it falls back to a complete batch
    whenever the comparison cannot be trusted or the batch has problems.
    """
    from collectctl_csv import rowstate
    from collectctl_csv.options import parse
    from collectctl_csv.reader import check_directory, read_directory
    from collectctl_csv.rowstate import Recorder

    directory = resolve_directory(request)
    opts = parse(request)
    if opts.layout is not None and opts.layout.one_file:
        from collectctl_csv.imports import read_invoice_list

        return read_invoice_list(directory, opts, request)
    if opts.custom or opts.explain:
        from collectctl_csv.imports import read_mapped_directory

        return read_mapped_directory(directory, opts, request)
    settings = opts.settings
    if directory.is_file():
        raise SourceError(
            f"{directory} is not a directory: collectctl's own CSV format is a directory holding "
            "customers.csv, invoices.csv and payments.csv",
            hint="For another tool's export, add --preset NAME (see --preset-list) or --map FILE.",
        )
    check_directory(directory)
    stamp = fingerprint(directory, request)
    full = bool(request.options.get("full"))
    if request.cursor == stamp and not full:
        return SourceBatch(
            complete=False,
            records=iter([Cursor(stamp)]),
            description=f"CSV directory {directory} (unchanged since the last sync)",
        )
    head = settings_key(request)

    def complete() -> SourceBatch:
        check = fingerprint_start(directory, request)
        recorder = Recorder(request.profile_dir, stamp, head, directory, check)

        def records() -> Iterator[Record]:
            yield from read_directory(
                directory, settings, request.progress, recorder=recorder, bulk=True
            )
            yield Cursor(stamp)

        return SourceBatch(
            complete=True,
            records=records(),
            description=f"CSV directory {directory}",
            approximate_payment_dates=False,  # payments.csv dates every payment
            on_commit=recorder.save,
        )

    previous = None if full else rowstate.load(request.profile_dir, request.cursor, head)
    if previous is None:
        return complete()
    from collectctl_csv.increment import plan
    from collectctl_csv.table import Progress

    recorder = Recorder(request.profile_dir, stamp, head)
    counter = Progress(request.progress)
    changes = plan(directory, settings, previous, recorder, counter)
    del previous
    if changes is None:
        return complete()
    changes.append(Cursor(stamp))
    return SourceBatch(
        complete=False,
        records=changes,
        description=f"CSV directory {directory} (the rows changed since the last sync)",
        approximate_payment_dates=False,
        on_commit=recorder.save,
        fallback=complete,
    )


def settings_key(request: SyncRequest, extra: object = None) -> str:
    """What a sync's parsing and defaults depend on besides the files' bytes: the profile
    settings and options, ``extra`` (a preset's content) and the versions of collectctl and
    this plugin (their validation rules), as JSON."""
    import json

    return json.dumps(_head(request, extra), sort_keys=True, default=str)


def _head(request: SyncRequest, extra: object) -> list[object]:
    import collectctl
    from collectctl_csv import __version__

    settings = {k: v for k, v in request.options.items() if k not in ("dir", "full")}
    return [
        collectctl.__version__,
        __version__,
        settings,
        dict(request.config),
        repr(extra) if extra is not None else None,
    ]


def fingerprint(
    directory: pathlib.Path,
    request: SyncRequest,
    files: list[pathlib.Path] | None = None,
    extra: object = None,
) -> str:
    """A digest of everything a sync of ``directory`` depends on: its resolved path, the bytes
    of the three files (or ``files``), the profile settings that shape parsing and defaults,
    ``extra`` (a preset's content) and the versions of collectctl and this plugin (their
    validation rules)."""
    from collectctl_csv.reader import FILES

    digest = fingerprint_start(directory, request, extra)
    paths = files if files is not None else [directory / name for name in FILES]
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return "csv-v1:" + digest.hexdigest()


def fingerprint_start(directory: pathlib.Path, request: SyncRequest, extra: object = None) -> Any:
    """The digest :func:`fingerprint` feeds the files' bytes into, primed with what else it
    covers (a ``hashlib`` object: the re-sync state checks the files it saves against it)."""
    import hashlib
    import json

    digest = hashlib.blake2b(digest_size=20)
    head = [str(directory.resolve()), *_head(request, extra)]
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    return digest


def _preset_list(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--preset-list``: print the registered presets and stop."""
    if not value or ctx.resilient_parsing:
        return
    from collectctl_csv.presets import available

    presets = available()
    width = max((len(n) for n in presets), default=4)
    for name, layout in sorted(presets.items()):
        click.echo(f"{name:<{width}}  {layout.title}")
    if not presets:
        click.echo("no CSV presets are installed")
    ctx.exit(0)


@hookimpl
def register_csv_presets(register: Callable[[pathlib.Path], None]) -> None:
    """Register the presets shipped in ``collectctl_csv/presets/*.toml``."""
    from collectctl_csv.presets import builtin_files

    for path in builtin_files():
        register(path)


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
                    type=click.Path(path_type=pathlib.Path),
                ),
                click.Option(
                    ["--full"],
                    is_flag=True,
                    help="Read every row even if the files are unchanged since the last sync.",
                ),
                click.Option(
                    ["--preset"],
                    metavar="NAME",
                    help="Read another tool's export (stripe, xero-invoices, ...; see "
                    "--preset-list). Default: [sources.csv] preset.",
                ),
                click.Option(
                    ["--map", "map"],
                    metavar="FILE",
                    type=click.Path(dir_okay=False, path_type=pathlib.Path),
                    help="A mapping file (TOML, the format of a preset) naming the columns.",
                ),
                click.Option(
                    ["--explain"],
                    is_flag=True,
                    help="Show the detected encoding, delimiter, header mapping and formats, "
                    "and the first records, then stop: nothing is written.",
                ),
                click.Option(
                    ["--preset-list"],
                    is_flag=True,
                    is_eager=True,
                    expose_value=False,
                    callback=_preset_list,
                    help="List the CSV presets and exit.",
                ),
            ],
        )
    )
