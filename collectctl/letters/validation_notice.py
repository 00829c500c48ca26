"""The validation notice a third-party collector's first letter to a consumer carries
(Regulation F 12 CFR 1006.34; not legal advice): itemisation and the validation end date.

Built as document blocks (never from customer data as markup) and appended to the letter, so every
format (md, txt, html, pdf) carries the same notice. The end date is 30 days after the assumed
receipt, which is 5 business days (weekends and US federal holidays excluded) after sending.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from collectctl.domain.consumer import assumed_receipt, validation_end_date
from collectctl.money import format_minor

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.letters.letter import Prepared


def with_validation_notice(prepared: Prepared, sent_on: date) -> Prepared:
    """``prepared`` with the validation notice appended to its document."""
    from collectctl.letters.blocks import Heading, Paragraph, Span, Table

    cur = prepared.account.currency
    end = validation_end_date(sent_on)
    rows = tuple(
        (
            inv.number,
            inv.issue_date.isoformat(),
            format_minor(inv.amount, cur),
            format_minor(0, cur),
            format_minor(inv.paid, cur),
            format_minor(inv.balance, cur),
        )
        for inv in prepared.content.demanded
    )
    total = sum(inv.balance for inv in prepared.content.demanded)

    def para(*lines: str) -> Paragraph:
        return Paragraph(tuple((Span(line),) for line in lines))

    blocks = (
        Heading(2, (Span("Validation notice"),)),
        para(
            "This is a communication from a debt collector about a debt you owe to "
            f"{prepared.settings.creditor.get('name', '')}.",
            f"Itemization date: the invoice date of each invoice below. Amount due now: "
            f"{cur} {format_minor(total, cur)}.",
        ),
        Table(
            (
                "Invoice",
                "Itemization date",
                "Amount then",
                "Interest and fees since",
                "Payments and credits since",
                "Amount now",
            ),
            ("left", "left", "right", "right", "right", "right"),
            rows,
        ),
        para(
            f"This notice was sent on {sent_on.isoformat()}; we assume you received it by "
            f"{assumed_receipt(sent_on).isoformat()}.",
            f"You have until {end.isoformat()} to dispute all or part of the debt. If you write to "
            f"us by {end.isoformat()} to dispute it, we must stop collection on any amount you "
            "dispute until we send you information that shows you owe the debt. You may also "
            "ask for the name and address of the original creditor, if different.",
            "To learn more about your rights under federal law, visit "
            "www.cfpb.gov/debt-collection.",
        ),
    )
    document = prepared.composed.document
    composed = replace(
        prepared.composed, document=replace(document, blocks=document.blocks + blocks)
    )
    return replace(prepared, composed=composed)
