"""The ``collectctl`` console script: ``--version`` and a repeated ``--help`` without click.

Importing click costs about three bare interpreter start-ups, so the two commands people run
to see what collectctl is answer before it is imported:

* ``collectctl --version`` / ``-V`` prints ``collectctl VERSION`` (what click's version option
  prints);
* ``collectctl --help`` / ``-h`` prints the root help as click rendered it the last time for
  this terminal width (:mod:`collectctl.help_cache`, valid while nothing that changes the help
  has changed). Anything else, a stale entry or ``COLLECTCTL_NO_PLUGIN_CACHE=1`` goes to click
  (:func:`collectctl.cli.main`), which renders the help and stores it for next time.

Only :mod:`os` and :mod:`sys` are imported here.
"""

from __future__ import annotations

import os
import sys

from collectctl import __version__

HELP_ARGS = (["--help"], ["-h"])
VERSION_ARGS = (["--version"], ["-V"])


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
        from collectctl.help_cache import cached_help, help_width

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
