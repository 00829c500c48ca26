"""Read a dunning policy file (TOML) into a validated policy (see domain/dunning_policy.py)."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from pathlib import Path

from collectctl.domain.dunning_policy import Policy, PolicyError, parse_policy


def load_policy(path: Path, channels: Sequence[str] | None = None) -> tuple[Policy, str]:
    """The policy in ``path`` and the SHA-256 of its bytes (recorded with each run);
    ``channels``: the installed letter channels its stages may name (None: not checked)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file {path}: {exc.strerror or exc}",
            hint="Give --policy the path of a TOML file (see examples/dunning.toml).",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a BOM (Windows editors) is fine
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text", hint="Save the policy as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: {exc}", hint="Fix the TOML syntax.") from None
    return parse_policy(data, str(path), channels), hashlib.sha256(raw).hexdigest()
