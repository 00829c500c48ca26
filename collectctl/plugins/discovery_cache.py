"""The plugin discovery cache, read with nothing but :mod:`os`, :mod:`sys` and :mod:`json`.

``collectctl --help`` lists plugin commands from here without importing pluggy, pathlib or the
plugin manager, and a command writing one of the built-in formats uses them without loading any
plugin when the cache says no loaded plugin could change them; :mod:`collectctl.plugins.manager`
writes the cache and falls back to scanning entry points when it is missing or stale (another
interpreter, a changed ``sys.path`` entry).

What depends on which plugins load (``COLLECTCTL_LOAD_PLUGINS``, ``COLLECTCTL_BLOCK_PLUGINS``) is
kept per *selection* (the entry points that load under those variables), so changing them never
shows another selection's commands.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CACHE_VERSION = 2
CORE_DISTRIBUTION = "collectctl"
#: The built-in formats' plugin (``collectctl.plugins.builtin.formats``) and its formats.
BUILTIN_FORMATS_PLUGIN = "collectctl.plugins.builtin.formats"
BUILTIN_FORMATS = ("table", "md", "csv", "json")


def fingerprint() -> list[list[Any]]:
    """``[path, mtime_ns]`` of every ``sys.path`` entry: installing or removing a distribution
    changes one of them.

    The first entry Python puts there itself — the script's directory, or the working
    directory under ``python -m`` and ``-c`` — stands for the distributions it holds instead
    (their metadata directories' names): pip never installs there, and its modification time
    changes with every file a command writes into the working directory, which would make
    ``python -m collectctl`` rescan the installed distributions on every run."""
    out: list[list[Any]] = []
    for index, entry in enumerate(sys.path):
        if index == 0 and not sys.flags.safe_path:
            try:
                with os.scandir(entry or ".") as found:
                    names = sorted(e.name for e in found if e.name.endswith(_METADATA))
            except OSError:
                continue
            out.append([entry, names])
            continue
        try:
            st = os.stat(entry or ".")
        except OSError:
            continue
        out.append([entry, st.st_mtime_ns])
    return out


#: What a distribution's metadata directory is named like (importlib.metadata finds these).
_METADATA = (".dist-info", ".egg-info")


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


def env_list(name: str) -> set[str] | None:
    """A comma list from the environment (None when the variable is not set)."""
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def is_builtin(ep: dict[str, str]) -> bool:
    """Whether an entry point belongs to collectctl itself (always loaded)."""
    return ep["dist"].lower() == CORE_DISTRIBUTION


def selected(entry_points: list[dict[str, str]]) -> list[dict[str, str]]:
    """The entry points that load: the built-in ones, and the others unless
    ``COLLECTCTL_BLOCK_PLUGINS`` names them or ``COLLECTCTL_LOAD_PLUGINS`` is set without them."""
    only = env_list("COLLECTCTL_LOAD_PLUGINS")
    blocked = env_list("COLLECTCTL_BLOCK_PLUGINS") or set()
    return [
        ep
        for ep in entry_points
        if is_builtin(ep) or (ep["name"] not in blocked and (only is None or ep["name"] in only))
    ]


def selection_key(entry_points: list[dict[str, str]]) -> str:
    """The key of what loads under the current environment (see :func:`selected`)."""
    return "\n".join(f"{ep['name']}={ep['value']}" for ep in selected(entry_points))


def cached_selection(cache: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a valid cache recorded for the current selection of plugins, if anything:
    ``commands`` (``{name: one-line help}``), ``formats`` (whether a plugin other than the
    built-in ones registers formats) and ``errors`` (whether one failed to load)."""
    if cache is None:
        return None
    entry = cache.get("selections", {}).get(selection_key(cache["entry_points"]))
    return entry if isinstance(entry, dict) else None


def cached_command_help() -> dict[str, str] | None:
    """``{plugin command: one-line help}`` from a valid cache, else None."""
    entry = cached_selection(read_cache())
    return dict(entry["commands"]) if entry is not None else None


def builtin_formats_suffice() -> bool:
    """True when loading the plugins would change nothing about the built-in formats: the cache
    is valid for this selection, the built-in formats' plugin is in it, no other plugin of it
    registers formats and none failed to load (its warning is then printed by the full path),
    and plugin calls are neither traced nor strict."""
    if os.environ.get("COLLECTCTL_TRACE_PLUGINS") or os.environ.get("COLLECTCTL_STRICT_PLUGINS"):
        return False
    cache = read_cache()
    entry = cached_selection(cache)
    if cache is None or entry is None or entry.get("formats") or entry.get("errors"):
        return False
    return any(
        is_builtin(ep) and ep["value"] == BUILTIN_FORMATS_PLUGIN for ep in cache["entry_points"]
    )
