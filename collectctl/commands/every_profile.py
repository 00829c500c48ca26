"""``--all-profiles``: one report over every profile, for the bookkeeper with one per client.

``aging``, ``account list``, ``metrics`` and ``status`` take it. Each profile's document is built
as usual (its own ledger, time zone and settings); the rows and totals are put together with a
``profile`` key first, and tables get a ``profile`` column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from collectctl.output import Column, Report

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App

F = TypeVar("F", bound=Callable[..., Any])


def all_profiles_option(func: F) -> F:
    """Add ``--all-profiles`` (a flag named ``all_profiles``)."""
    return click.option(
        "--all-profiles",
        "all_profiles",
        is_flag=True,
        help="Report every profile, with a 'profile' column (JSON: a 'profile' key per row).",
    )(func)


def each_profile(app: App) -> Iterator[str]:
    """Select every profile in turn on ``app`` (sorted by name), yielding its name.

    A ``--profile`` given with ``--all-profiles`` is a usage error: they contradict each other.
    """
    from collectctl.commands.groups import profile_given
    from collectctl.home import list_profiles

    ctx = click.get_current_context()
    if profile_given(ctx):
        raise click.UsageError("--all-profiles reports every profile; leave out --profile", ctx)
    names = list_profiles() or [app.profile_name]
    for name in names:
        app.select_profile(name)
        yield name


def merge_documents(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One document from one per profile: lists of rows (``rows``, ``totals``, ``sources``...)
    are concatenated with ``profile`` first in each row; other keys come from the first
    profile; ``profiles`` lists the names."""
    merged: dict[str, Any] = {}
    for name, document in documents:
        for key, value in document.items():
            if isinstance(value, list) and all(isinstance(v, dict) for v in value):
                merged.setdefault(key, []).extend({"profile": name, **v} for v in value)
            elif key not in merged:
                merged[key] = value
    merged["profiles"] = [name for name, _ in documents]
    return merged


def with_profile_column(report: Report) -> Report:
    """``report`` with a ``profile`` column first (in its totals too)."""
    profile = Column("profile")
    totals_columns = None
    if report.totals:
        totals_columns = [profile, *(report.totals_columns or report.columns)]
    return replace(report, columns=[profile, *report.columns], totals_columns=totals_columns)
