"""``collectctl plugins``: installed plugins, their versions and hooks, and load failures."""

from __future__ import annotations

import click

from collectctl.commands.options import emit, output_option
from collectctl.output import Column, Report


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include collectctl's built-in plugins.")
@output_option
def plugins(show_all: bool, fmt: str) -> None:
    """Installed plugins with their versions and hooks.

    A plugin that failed to load is listed with its error (the rest of collectctl still works).
    Built-in plugins are shown with --all.
    """
    from collectctl.plugins.manager import plugin_infos

    shown = [info for info in plugin_infos() if show_all or not info.builtin]
    rows = [
        {
            "name": info.name,
            "distribution": info.dist,
            "version": info.version,
            "builtin": info.builtin,
            "hooks": info.hooks,
            "error": info.error,
        }
        for info in shown
    ]
    table_rows = [
        {**row, "hooks": ", ".join(info.hooks)} for row, info in zip(rows, shown, strict=True)
    ]
    report = Report(
        columns=[
            Column("name"),
            Column("distribution"),
            Column("version"),
            Column("hooks"),
            Column("error"),
        ],
        rows=table_rows,
        document=rows,
    )
    emit(report, fmt)
