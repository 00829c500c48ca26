"""The plugin discovery cache, read with nothing but :mod:`os`, :mod:`sys` and :mod:`json`.

``collectctl --help`` lists plugin commands from here without importing pluggy, pathlib or the
plugin manager; :mod:`collectctl.plugins.manager` writes the cache and falls back to scanning
entry points when it is missing or stale (another interpreter, a changed ``sys.path`` entry).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CACHE_VERSION = 1


def fingerprint() -> list[list[Any]]:
    """``[path, mtime_ns]`` of every ``sys.path`` entry: installing or removing a distribution
    changes one of them."""
    out: list[list[Any]] = []
    for entry in sys.path:
        try:
            st = os.stat(entry or ".")
        except OSError:
            continue
        out.append([entry, st.st_mtime_ns])
    return out


def cache_file() -> str:
    """``$COLLECTCTL_HOME/cache/plugins.json``."""
    from collectctl.home_root import home_root

    return os.path.join(home_root(), "cache", "plugins.json")


def read_cache() -> dict[str, Any] | None:
    """The discovery cache, if it is still valid for the installed distributions."""
    if os.environ.get("COLLECTCTL_NO_PLUGIN_CACHE"):
        return None
    try:
        with open(cache_file(), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("version") != CACHE_VERSION or data.get("fingerprint") != fingerprint():
        return None
    if data.get("executable") != sys.executable:
        return None
    return data


def cached_command_help() -> dict[str, str] | None:
    """``{plugin command: one-line help}`` from a valid cache, else None."""
    cache = read_cache()
    return dict(cache["commands"]) if cache is not None else None
