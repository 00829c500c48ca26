"""The payment plan agreement as markdown (``plan agreement PL-n``; other formats: ``--format``).

The document itself — text, escaping, the creditor-name guard — lives with the other
customer-facing documents in :mod:`collectctl.letters.agreement`; this is its markdown view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def agreement_markdown(
    doc: Mapping[str, Any], creditor: Mapping[str, Any], *, draft: bool = False
) -> str:
    """The agreement for a ``plan show`` document (:func:`collectctl.reports.plans.plan_document`)
    as markdown; no ``[creditor] name`` is an error unless ``draft``."""
    from collectctl.letters.agreement import agreement_document
    from collectctl.letters.render import to_markdown

    return to_markdown(agreement_document(doc, creditor, draft=draft))
