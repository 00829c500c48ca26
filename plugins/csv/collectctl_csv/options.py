"""Every ``[sources.csv]`` key and ``collectctl sync csv`` option, checked in one place.

``request.options`` is the profile's ``[sources.csv]`` table overlaid with the command line.
:func:`parse` turns it into :class:`CsvOptions` or raises :class:`ConfigError` naming the key.
Precedence for value settings (``date_order`` ...): command line / ``[sources.csv]`` over the
mapping file (``--map``) over the preset.
"""

from __future__ import annotations

import difflib
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectctl.errors import ConfigError
from collectctl.records import SyncRequest
from collectctl_csv.dialect import configured_delimiter, configured_encoding
from collectctl_csv.formats import Settings
from collectctl_csv.layout import SETTING_KEYS, Layout, from_config, load_file

#: Keys only the command line sets (never in config.toml).
COMMAND_KEYS = ("dir", "full", "explain", "map", "preset", "preset_list")
#: Every key ``[sources.csv]`` may hold.
CONFIG_KEYS = ("dir", "preset", "map", "columns", "status", "layout", *SETTING_KEYS)


@dataclass(frozen=True)
class CsvOptions:
    """One sync's CSV options, checked.

    :param layout: the preset / mapping / ``[sources.csv.columns]`` merged, or ``None`` for
        collectctl's own format with no mapping (the fast path).
    """

    settings: Settings
    layout: Layout | None
    encoding: str | None
    delimiter: str | None
    quote: str
    explain: bool
    full: bool
    detect: bool = False

    @property
    def custom(self) -> bool:
        """True when anything may differ from collectctl's own format (mapping or dialect)."""
        return (
            self.layout is not None
            or self.encoding is not None
            or self.delimiter is not None
            or self.detect
            or self.quote != '"'
        )


def check_keys(table: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for a key ``[sources.csv]`` does not know."""
    for key in table:
        if key not in CONFIG_KEYS and key not in COMMAND_KEYS:
            close = difflib.get_close_matches(key, CONFIG_KEYS, n=1)
            mean = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"config.toml [sources.csv]: unknown key {key!r}{mean}",
                hint=f"Keys: {', '.join(CONFIG_KEYS)} (see docs/importing.md).",
            )


def parse(request: SyncRequest) -> CsvOptions:
    """Check ``request.options`` and resolve the preset and mapping file."""
    options = request.options
    check_keys(options)
    layout: Layout | None = None
    preset = options.get("preset")
    if preset:
        if not isinstance(preset, str):
            raise ConfigError(f"[sources.csv] preset must be a preset name, not {preset!r}")
        from collectctl_csv.presets import get

        layout = get(preset)
    mapping = options.get("map")
    if mapping:
        path = pathlib.Path(str(mapping)).expanduser()
        if not path.is_absolute() and not isinstance(mapping, pathlib.Path):
            path = pathlib.Path(request.config_dir or request.profile_dir) / path
        mapped = load_file(path)
        layout = mapped if layout is None else layout.overlay(mapped)
    configured = from_config(options)
    if configured is not None:
        layout = configured if layout is None else layout.overlay(configured)
    merged: dict[str, Any] = dict(layout.settings) if layout else {}
    merged.update({k: options[k] for k in SETTING_KEYS if options.get(k) is not None})
    if layout is not None:
        merged["flexible_dates"] = True
    # A preset's dates are the tool's, not the profile's date_format (which is for
    # collectctl's own files); [sources.csv] date_format still applies.
    settings = Settings.from_config(merged, {} if layout is not None else request.config)
    quote = merged.get("quote", '"')
    if not isinstance(quote, str) or len(quote) != 1:
        raise ConfigError(f"[sources.csv] quote must be one character, not {quote!r}")
    return CsvOptions(
        settings=settings,
        layout=layout,
        encoding=configured_encoding(merged.get("encoding")),
        delimiter=configured_delimiter(merged.get("delimiter")),
        quote=quote,
        explain=bool(options.get("explain")),
        full=bool(options.get("full")),
        detect="auto" in (merged.get("encoding"), merged.get("delimiter")),
    )
