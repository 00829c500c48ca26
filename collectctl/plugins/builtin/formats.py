"""The built-in output formats' plugin: registers table, md, csv and json
(:mod:`collectctl.plugins.builtin.renderers`)."""

from __future__ import annotations

from typing import Any

from collectctl.plugins.builtin.renderers import (
    builtin_formats,
    render_csv,
    render_json,
    render_md,
    render_table,
)
from collectctl.plugins.hookspecs import hookimpl

__all__ = ["register_formats", "render_csv", "render_json", "render_md", "render_table"]


@hookimpl
def register_formats(register: Any) -> None:
    """Register table, md, csv and json."""
    for fmt in builtin_formats():
        register(fmt)
