"""The stored root help of ``collectctl --help`` (see :mod:`collectctl.entry`), with nothing
but :mod:`os` and :mod:`sys`.

``$COLLECTCTL_HOME/cache/help-WIDTH.txt`` (the data directory's ``cache/`` without
``COLLECTCTL_HOME``): the first line is a key, the rest the help exactly as click printed it.
The key holds the version, the interpreter, every ``sys.path`` entry with its modification time
(installing, upgrading or removing a distribution changes one, as for the plugin discovery
cache), the modification time of :mod:`collectctl.cli` (editable installs), the environment
that changes the help (plugin selection, locale) and the width. ``COLLECTCTL_NO_PLUGIN_CACHE=1``
turns it off.
"""

from __future__ import annotations

import os
import sys

from collectctl import __version__

_FORMAT = "collectctl-help-1"
#: Environment variables the root help depends on.
_ENV = ("COLLECTCTL_LOAD_PLUGINS", "COLLECTCTL_BLOCK_PLUGINS", "LANGUAGE", "LC_ALL",
        "LC_MESSAGES", "LANG")  # fmt: skip


def help_width() -> int:
    """The width click's help formatter picks (``max(min(columns, 80) - 2, 50)``, columns as
    :func:`shutil.get_terminal_size` finds them), without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, 80) - 2, 50)


def _key(width: int) -> str | None:
    if os.environ.get("COLLECTCTL_NO_PLUGIN_CACHE"):
        return None
    parts: list[object] = [_FORMAT, __version__, sys.executable, width]
    for entry in sys.path:
        try:
            parts.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        parts.append(os.stat(os.path.join(here, "cli.py")).st_mtime_ns)
    except OSError:
        return None
    parts.append([os.environ.get(name) for name in _ENV])
    return repr(parts)


def _file(width: int) -> str:
    from collectctl.home_root import home_root

    return os.path.join(home_root(), "cache", f"help-{width}.txt")


def cached_help(width: int) -> str | None:
    """The stored root help for ``width`` if its key is still valid, else None."""
    key = _key(width)
    if key is None:
        return None
    try:
        with open(_file(width), encoding="utf-8") as fh:
            stored_key = fh.readline()
            if stored_key != key + "\n":
                return None
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def store_help(width: int, text: str) -> None:
    """Keep ``text`` (the root help as printed, final newline included) for ``width``; a
    read-only home only costs speed."""
    key = _key(width)
    if key is None:
        return
    try:
        path = _file(width)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{key}\n{text}")
        os.replace(tmp, path)
    except OSError:
        pass
