"""Hook specifications: every way a plugin can extend collectctl.

Each hook is a *collector*: collectctl calls it once on every plugin and passes a ``register``
callback (or the root command group). The host de-duplicates, remembers which plugin registered
what, and reports conflicts, so no hook here is ``firstresult``.

Plugins implement hooks with :data:`hookimpl`::

    from collectctl import hookimpl

    @hookimpl
    def register_formats(register):
        register(Format(name="yaml", render=render_yaml, help="YAML documents"))

Every hook below is documented, with an example, in docs/plugins.md; a test fails when one is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from collectctl.letters.channel import Channel
    from collectctl.letters.templates import TemplatePack
    from collectctl.output import Format
    from collectctl.records import Source

PROJECT = "collectctl"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorate your hook implementations with this (re-exported as ``collectctl.hookimpl``).
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_sources(register: Callable[[Source], None]) -> None:
    """Register data sources that ``collectctl sync`` can read books from.

    Call ``register`` once per :class:`collectctl.records.Source`. Each source becomes the
    subcommand ``collectctl sync <name>``, is synced by a plain ``collectctl sync`` when the
    profile has a ``[sources.<name>]`` table, and is read through its ``read(request)``
    function, which returns a :class:`collectctl.records.SourceBatch` of customers, invoices,
    allocations, deletions, problems and a cursor.

    :param register: callback taking one :class:`~collectctl.records.Source`. Registering a name
        another plugin already registered is reported as a conflict; the first one wins.

    Not ``firstresult``: every plugin's sources are collected.
    """


@hookspec
def register_formats(register: Callable[[Format], None]) -> None:
    """Register output formats for ``--format`` (tables, reports and documents).

    Call ``register`` once per :class:`collectctl.output.Format`. A format receives a
    :class:`collectctl.output.Report` (typed columns, rows, optional totals and a JSON envelope)
    and writes it to a text stream. The built-in ``table``, ``csv``, ``json`` and ``md`` formats
    are registered through this same hook.

    :param register: callback taking one :class:`~collectctl.output.Format`; a name registered
        twice is a conflict and the first registration wins.

    Not ``firstresult``: every plugin's formats are collected.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add top-level commands to ``collectctl`` (for example ``collectctl quickbooks auth``).

    Use ``@cli.command()`` or ``cli.add_command(...)``. A command name that clashes with a core
    command is refused with a warning. Commands are discovered when plugins load; their names and
    one-line help are cached so that ``collectctl --help`` lists them without importing plugins.

    :param cli: the root ``collectctl`` command group.

    Not ``firstresult``: every plugin may add commands.
    """


@hookspec
def register_channels(register: Callable[[Channel], None]) -> None:
    """Register letter channels: where ``letter --send NAME`` (and ``dunning run``) deliver.

    Call ``register`` once per :class:`collectctl.letters.channel.Channel`. A channel's
    ``send(letter, ctx)`` gets a :class:`~collectctl.letters.channel.RenderedLetter` (every
    format already rendered, the Message-ID fixed when the letter was claimed) and a
    :class:`~collectctl.letters.channel.ChannelContext` (its config table ``[channels.<name>]``,
    the environment for secrets, the profile directory) and returns a
    :class:`~collectctl.letters.channel.Delivery`: ``sent``, ``failed`` (nothing delivered, safe to
    retry) or ``uncertain`` (may have been delivered; never retried automatically). The ledger
    records the outcome; a channel never touches it. The built-in ``stdout``, ``file`` and
    ``email`` channels are registered through this same hook.

    :param register: callback taking one :class:`~collectctl.letters.channel.Channel`; a name
        registered twice is a conflict and the first registration wins.

    Not ``firstresult``: every plugin's channels are collected.
    """


@hookspec
def register_letter_templates(register: Callable[[TemplatePack], None]) -> None:
    """Register letter template packs (other languages, other legal wording).

    Call ``register`` once per :class:`collectctl.letters.templates.TemplatePack`: a name, the
    languages it covers and a directory holding ``<stage>.<lang>.md.j2`` files (and
    ``<stage>.<lang>.subject.j2``). Lookup order for a letter: the profile's ``templates/``
    directory, then packs in registration order, then the built-in English templates.

    :param register: callback taking one :class:`~collectctl.letters.templates.TemplatePack`; a
        pack name registered twice is a conflict and the first registration wins.

    Not ``firstresult``: every plugin's packs are collected.
    """


@hookspec
def register_csv_presets(register: Callable[[Path | Mapping[str, Any]], None]) -> None:
    """Register CSV presets: column mappings for other tools' exports (``--preset NAME``).

    Call ``register`` once per preset with either the :class:`pathlib.Path` of a preset TOML
    file (its name is the file name without ``.toml``) or the preset's parsed TOML as a mapping
    with a ``name`` key. The format is the one ``collectctl sync csv --map FILE`` reads and
    docs/importing.md describes: ``layout`` (``three-files`` or ``invoice-list``), ``sources``
    (where the column names come from), ``cannot_know``, ``[settings]`` (``date_order``,
    ``decimal_separator``, ``thousands_separator``, ``strip_currency``, ``encoding``, ...),
    ``[columns.<file>]`` (collectctl column = header or list of headers) and ``[status]``
    (the tool's status = ``open``, ``paid``, ``draft``, ``void``, ``write_off`` or ``ignore``).
    The file is read only when the preset is used or listed, so registering costs nothing at
    start-up.

    :param register: callback taking one preset (a path or a mapping). A name registered twice
        is a conflict: the first registration wins and the conflict is reported.

    Not ``firstresult``: every plugin's presets are collected (the csv plugin registers its
    built-in presets through this hook too).
    """
