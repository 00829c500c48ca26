"""Where ``COLLECTCTL_HOME`` is, found with nothing but :mod:`os` on Linux (``--help`` needs it
to read the plugin cache, and must stay fast). :func:`collectctl.home.home` builds on it.

The root is ``$COLLECTCTL_HOME``, else ``COLLECTCTL_HOME`` from ``.env`` in the working
directory, else the platform's user *data* directory (``platformdirs.user_data_dir``:
``~/.local/share/collectctl`` on Linux, honouring ``$XDG_DATA_HOME``). Before 0.2 the default
was click's app dir (``~/.config/collectctl`` on Linux): a home found there, with nothing yet at
the new place, keeps working (:func:`legacy_home`), and ``collectctl home migrate`` moves it.
"""

from __future__ import annotations

import os
import sys


def _dotenv_value(path: str, key: str) -> str | None:
    if not os.path.isfile(path):
        return None
    from dotenv import dotenv_values

    return dotenv_values(path).get(key)


def explicit_home() -> str | None:
    """``COLLECTCTL_HOME`` from the environment or the working directory's ``.env``."""
    value = os.environ.get("COLLECTCTL_HOME") or _dotenv_value(
        os.path.join(os.getcwd(), ".env"), "COLLECTCTL_HOME"
    )
    return os.path.expanduser(value) if value else None


def data_home() -> str:
    """The platform's user data dir for collectctl (what ``platformdirs.user_data_dir`` gives;
    computed directly on Linux so start-up does not import platformdirs)."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_DATA_HOME", "").strip()
        if not base or not os.path.isabs(base):
            base = os.path.expanduser("~/.local/share")
        return os.path.join(base, "collectctl")
    import platformdirs

    return platformdirs.user_data_dir("collectctl", appauthor=False)


def old_home() -> str:
    """Where collectctl kept its state by default before (click's app dir)."""
    import click

    return click.get_app_dir("collectctl")


def legacy_home() -> str | None:
    """The old default home when it is still the one in use: no ``COLLECTCTL_HOME``, nothing at
    the new place yet, and profiles at the old one."""
    if explicit_home() is not None:
        return None
    new, old = data_home(), old_home()
    if os.path.normpath(new) == os.path.normpath(old):
        return None
    if os.path.isdir(os.path.join(new, "profiles")):
        return None
    return old if os.path.isdir(os.path.join(old, "profiles")) else None


def home_root() -> str:
    """The root of all state (not created here); see the module docstring."""
    return explicit_home() or legacy_home() or data_home()
