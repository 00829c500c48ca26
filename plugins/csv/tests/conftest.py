"""Fixtures for the CSV plugin's tests (``cli``, ``collectctl_home``: collectctl.testing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from csv_helpers import books_in


@pytest.fixture
def books(tmp_path: Path) -> Callable[..., Path]:
    """``books(invoices=...)``: a valid books directory with some files replaced."""
    return books_in(tmp_path)
