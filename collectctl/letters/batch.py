"""Rendering many PDFs at once (a dunning run's attachments, a print batch) on every core.

reportlab is pure Python apart from its small accelerator, so one process renders one letter at
a time (about 15–20 ms of CPU each); :func:`render_pdfs` spreads the documents over worker
processes and yields the PDFs in input order. Documents and options are plain frozen values, so
they travel to the workers as they are; nothing of the ledger does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from collectctl.letters.blocks import Document
from collectctl.letters.pdf import PdfOptions


def _render(job: tuple[Document, PdfOptions]) -> bytes:
    from collectctl.letters.pdf import to_pdf

    return to_pdf(*job)


def default_workers() -> int:
    """The usable CPUs (at most 4: beyond that the parent's preparation is the bottleneck)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def render_pdfs(
    jobs: Iterable[tuple[Document, PdfOptions]], *, workers: int | None = None
) -> Iterator[bytes]:
    """The PDF of each ``(document, options)``, in order; ``workers=1`` renders in this process.

    A document a font cannot print raises its :class:`~collectctl.errors.CollectctlError` here,
    as :func:`~collectctl.letters.pdf.to_pdf` would.
    """
    count = workers or default_workers()
    if count <= 1:
        yield from map(_render, jobs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":  # parse the fonts and import reportlab once, before the workers fork
        from collectctl.letters.pdf import preload

        preload()
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context(method)) as pool:
        yield from pool.map(_render, jobs, chunksize=8)
