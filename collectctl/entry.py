"""The ``collectctl`` console script: ``--version`` and a repeated ``--help`` without click.

Importing click costs about three bare interpreter start-ups, so the two commands people run
to see what collectctl is answer before it is imported:

* ``collectctl --version`` / ``-V`` prints ``collectctl VERSION`` (what click's version option
  prints);
* ``collectctl --help`` / ``-h`` prints the root help as click rendered it the last time, from
  ``$COLLECTCTL_HOME/cache/help-WIDTH.txt``. The file's first line is a key: the version, the
  interpreter, every ``sys.path`` entry with its modification time (installing, upgrading or
  removing any distribution changes one, as for the plugin discovery cache), the modification
  time of :mod:`collectctl.cli` (editable installs), the environment that changes the help
  (plugin selection, locale) and the width. Anything else, a stale key or
  ``COLLECTCTL_NO_PLUGIN_CACHE=1`` goes to click (:func:`collectctl.cli.main`), which renders the
  help and stores it for next time.

Only :mod:`os` and :mod:`sys` are imported here.
"""

from __future__ import annotations

import os
import sys

from collectctl import __version__

HELP_ARGS = (["--help"], ["-h"])
VERSION_ARGS = (["--version"], ["-V"])
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


def _write(text: str) -> None:
    """Print ``text``; a closed pipe (``collectctl --help | head -1``) exits 1 quietly, as
    click does."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


def main() -> None:
    """Console-script entry point (see the module docstring); everything else is
    :func:`collectctl.cli.main`."""
    args = sys.argv[1:]
    store_width: int | None = None
    if args in VERSION_ARGS:
        _write(f"collectctl {__version__}\n")
        return
    if args in HELP_ARGS:
        width = help_width()
        text = cached_help(width)
        if text is not None:
            _write(text)
            return
        store_width = width
    from collectctl import cli

    cli.STORE_HELP_WIDTH = store_width
    cli.main()


if __name__ == "__main__":  # pragma: no cover
    main()
