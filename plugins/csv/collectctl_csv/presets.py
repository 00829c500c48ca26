"""CSV presets: column mappings for other tools' exports, as TOML data files.

The presets shipped with this plugin live in ``collectctl_csv/presets/*.toml`` and are registered
through the same ``register_csv_presets`` hook any plugin may implement, so ``--preset-list``
shows them all and a name registered twice is reported as a conflict (the first one wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError
from collectctl_csv.layout import Layout, load_file, parse

PACKAGE_DIR = Path(__file__).parent / "presets"


def builtin_files() -> list[Path]:
    """The preset files shipped with the plugin, by name."""
    return sorted(PACKAGE_DIR.glob("*.toml"))


def available() -> dict[str, Layout]:
    """Every registered preset by name (loads plugins)."""
    from collectctl.plugins.manager import csv_presets

    found: dict[str, Layout] = {}
    for name, item in csv_presets().items():
        found[name] = _load(name, item)
    return found


def _load(name: str, item: Path | Mapping[str, Any]) -> Layout:
    if isinstance(item, Mapping):
        layout = parse(item, origin=f"preset {name!r}", default_name=name)
    else:
        layout = load_file(Path(item))
    if layout.name != name:
        layout = Layout(**{**layout.__dict__, "name": name})
    return layout


def get(name: str) -> Layout:
    """The preset ``name``; :class:`ConfigError` lists the known ones otherwise."""
    from collectctl.plugins.manager import csv_presets

    presets = csv_presets()
    if name not in presets:
        import difflib

        close = difflib.get_close_matches(name, list(presets), n=1)
        mean = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown CSV preset {name!r}{mean}",
            hint=f"Presets: {', '.join(sorted(presets)) or 'none'} (collectctl sync csv "
            "--preset-list).",
        )
    return _load(name, presets[name])
