"""Core test fixtures. ``cli``, ``collectctl_home`` and ``register_plugin`` come from
``collectctl.testing`` (the pytest11 plugin every plugin's test suite gets too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from collectctl import hookimpl
from collectctl.records import Source, SourceBatch, SyncRequest


@pytest.fixture(autouse=True)
def _home(collectctl_home):
    """Every core test runs against a fresh temporary COLLECTCTL_HOME."""
    return collectctl_home


class MemoryBooks:
    """A source plugin serving records from memory: ``books.load([...])`` then sync."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.complete = True
        self.reads: list[SyncRequest] = []

    def load(self, records: Iterable[Any], *, complete: bool = True) -> None:
        self.records = list(records)
        self.complete = complete

    def read(self, request: SyncRequest) -> SourceBatch:
        self.reads.append(request)
        return SourceBatch(self.complete, iter(self.records), "memory books")

    @hookimpl
    def register_sources(self, register: Callable[[Source], None]) -> None:
        register(Source(name="memory", read=self.read, help="Books held in memory (tests)."))


@pytest.fixture
def books(register_plugin) -> MemoryBooks:
    """A registered in-memory source named ``memory``."""
    plugin = MemoryBooks()
    register_plugin(plugin, name="memory-books")
    return plugin
