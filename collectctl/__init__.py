"""collectctl: get unpaid invoices paid.

The public plugin API is re-exported here: ``hookimpl`` and the record types sources yield.
They are loaded lazily (PEP 562) so that ``collectctl --help`` never pays for pluggy, and
:mod:`typing` is not imported (``collectctl --version`` imports nothing but this module).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "hookimpl": "collectctl.plugins.hookspecs",
    "Customer": "collectctl.records",
    "Invoice": "collectctl.records",
    "Allocation": "collectctl.records",
    "Deletion": "collectctl.records",
    "Cursor": "collectctl.records",
    "Problem": "collectctl.records",
    "Rows": "collectctl.records",
    "Source": "collectctl.records",
    "SourceBatch": "collectctl.records",
    "SyncRequest": "collectctl.records",
    "CollectctlError": "collectctl.errors",
}

__all__ = [
    "Allocation",
    "CollectctlError",
    "Cursor",
    "Customer",
    "Deletion",
    "Invoice",
    "Problem",
    "Rows",
    "Source",
    "SourceBatch",
    "SyncRequest",
    "__version__",
    "hookimpl",
]

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.errors import CollectctlError
    from collectctl.plugins.hookspecs import hookimpl
    from collectctl.records import (
        Allocation,
        Cursor,
        Customer,
        Deletion,
        Invoice,
        Problem,
        Source,
        SourceBatch,
        SyncRequest,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'collectctl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
