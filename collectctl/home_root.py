"""Where ``COLLECTCTL_HOME`` is, found with nothing but :mod:`os` (``--help`` needs it to read
the plugin cache, and must stay fast). :func:`collectctl.home.home` builds on it."""

from __future__ import annotations

import os


def _dotenv_value(path: str, key: str) -> str | None:
    if not os.path.isfile(path):
        return None
    from dotenv import dotenv_values

    return dotenv_values(path).get(key)


def home_root() -> str:
    """The root of all state: ``$COLLECTCTL_HOME``, else ``COLLECTCTL_HOME`` from ``.env`` in
    the working directory, else the platform's user data dir (not created here)."""
    value = os.environ.get("COLLECTCTL_HOME") or _dotenv_value(
        os.path.join(os.getcwd(), ".env"), "COLLECTCTL_HOME"
    )
    if value:
        return os.path.expanduser(value)
    import click

    return click.get_app_dir("collectctl")
