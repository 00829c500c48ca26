"""Fixtures for the letters tests: synced books and a creditor in config.toml."""

from __future__ import annotations

import pytest
from letter_helpers import BOOKS, CREDITOR, set_config


@pytest.fixture
def synced(cli, books, collectctl_home):
    books.load(BOOKS)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    set_config(collectctl_home, CREDITOR)
    return books
