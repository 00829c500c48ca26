"""The roots of collectctl's state, found with nothing but :mod:`os` on Linux (``--help`` needs
one of them to read the plugin cache, and must stay fast). :mod:`collectctl.home` builds the
profile directories on them.

* ``COLLECTCTL_HOME`` (the environment, else ``.env`` in the working directory) is the root of
  all state when set: ``$COLLECTCTL_HOME/profiles/<name>/`` holds config.toml, .env and the
  ledger together (:func:`explicit_home`).
* Otherwise a profile is split the way the platform expects: what you edit (config.toml, .env,
  templates) in the user *config* directory (:func:`config_home`, what
  ``platformdirs.user_config_dir`` gives: ``~/.config/collectctl`` on Linux, honouring
  ``$XDG_CONFIG_HOME``), and what collectctl writes (the ledger, handover packs, letters, tokens,
  the plugin cache) in the user *data* directory (:func:`data_home`,
  ``platformdirs.user_data_dir``: ``~/.local/share/collectctl``, honouring ``$XDG_DATA_HOME``).
* Earlier versions kept each profile in one directory: under click's app dir
  (``~/.config/collectctl``, :func:`old_home`) or, in 0.2 previews, under the data directory.
  Such a profile keeps working where it is (:func:`collectctl.home.profile_paths`) until
  ``collectctl home migrate`` splits it.
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


def _xdg(variable: str, default: str) -> str:
    """An XDG base directory the way platformdirs reads it (unset, empty or relative: the
    default)."""
    base = os.environ.get(variable, "").strip()
    if not base or not os.path.isabs(base):
        base = os.path.expanduser(default)
    return os.path.join(base, "collectctl")


def data_home() -> str:
    """The platform's user data dir for collectctl (what ``platformdirs.user_data_dir`` gives;
    computed directly on Linux so start-up does not import platformdirs)."""
    if sys.platform.startswith("linux"):
        return _xdg("XDG_DATA_HOME", "~/.local/share")
    import platformdirs

    return platformdirs.user_data_dir("collectctl", appauthor=False)


def config_home() -> str:
    """The platform's user config dir for collectctl (``platformdirs.user_config_dir``;
    computed directly on Linux). On macOS and Windows it is the data dir itself."""
    if sys.platform.startswith("linux"):
        return _xdg("XDG_CONFIG_HOME", "~/.config")
    import platformdirs

    return platformdirs.user_config_dir("collectctl", appauthor=False)


def old_home() -> str:
    """Where collectctl kept whole profiles by default before 0.2 (click's app dir; on Linux
    the same directory as :func:`config_home`)."""
    import click

    return click.get_app_dir("collectctl")


def home_root() -> str:
    """The root of what collectctl writes outside any profile (the plugin cache):
    ``COLLECTCTL_HOME``, else the data directory. Not created here."""
    return explicit_home() or data_home()
