"""Pausing Python's cyclic garbage collector around a bulk pass.

``account list`` and ``dunning run`` build a few objects per account or open invoice (tens of
thousands at 1M invoices) and none of them form reference cycles, so reference counting frees
them all; left running, the collector re-scans every live object again and again while they are
made (a quarter of the CPU time of ``account list`` at 1M). :func:`gc_paused` switches it off
for the duration and back on (only if it was on) afterwards, first moving what is tracked then
into the oldest generation (:func:`gc.freeze` then :func:`gc.unfreeze`): otherwise the
collector's next young pass would scan every object the block made once more, while the command
writes its output. They stay collectable: a later full collection still finds any cycle.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the ``with`` block with the cyclic garbage collector paused."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()  # into the oldest generation, not scanned by the young passes
            gc.enable()
