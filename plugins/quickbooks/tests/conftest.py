"""Fixtures for the collectctl-quickbooks tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakeqbo import Books, FakeQBO, small_books

# --- fake QuickBooks Online server fixtures (fakeqbo) ---------------------------------------


@pytest.fixture
def fake_qbo() -> Iterator[FakeQBO]:
    """A started fake QBO server over :func:`fakeqbo.small_books`; stopped afterwards."""
    with FakeQBO(small_books()) as server:
        yield server


@pytest.fixture
def fake_qbo_factory() -> Iterator[Callable[..., FakeQBO]]:
    """Start customised fake servers: ``fake_qbo_factory(books=None, **FakeQBO options)``."""
    started: list[FakeQBO] = []

    def start(books: Books | None = None, **options: Any) -> FakeQBO:
        server = FakeQBO(books if books is not None else small_books(), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
