"""Loading reference rates: the data file shipped in the package, then the profile's rates.toml
(its rows replace the shipped ones for the same regime and period)."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from collectctl.domain.interest import RateTable, parse_rate_rows
from collectctl.errors import ConfigError

SHIPPED = "reference_rates.toml"


def load_rates(profile_dir: Path | None) -> RateTable:
    """The shipped rates overlaid with ``<profile>/rates.toml`` if it exists."""
    text = (files("collectctl.data") / SHIPPED).read_text(encoding="utf-8")
    rows = parse_rate_rows(tomllib.loads(text), f"collectctl/data/{SHIPPED}")
    if profile_dir is not None:
        path = profile_dir / "rates.toml"
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{path} cannot be read: {exc}") from None
            rows += parse_rate_rows(data, str(path))
    return RateTable(rows)
