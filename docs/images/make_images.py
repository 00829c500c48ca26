"""Render the example letters of docs/letters.md to PNG pages (``make docs-images``).

Builds two made-up letters through the real pipeline (content → template → blocks → reportlab
PDF) and rasterises their pages with pypdfium2 into docs/images/. Not a test: the PNGs are for
people, and they change whenever the layout or PDFium does.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    import pypdfium2 as pdfium

    from collectctl.domain.interest import RateRow, RateTable
    from collectctl.letters.content import (
        AccountInvoice,
        LetterAccount,
        LetterSettings,
        build_letter,
    )
    from collectctl.letters.document import compose
    from collectctl.letters.pdf import PdfOptions
    from collectctl.letters.render import render

    creditor = {
        "name": "Studio Lumen Ltd",
        "address": "1 High Street\nLondon EC1A 1AA",
        "email": "billing@lumen.example",
        "phone": "+44 20 7946 0000",
        "payment_details": "Sort code 00-00-00, account 12345678",
    }
    invoices = (
        AccountInvoice(
            "I1",
            "INV-1001",
            date(2025, 8, 1),
            date(2025, 9, 1),
            500000,
            200000,
            300000,
            76,
            allocations=((date(2025, 9, 21), 200000),),
        ),
        AccountInvoice(
            "I2", "INV-1002", date(2025, 9, 15), date(2025, 10, 15), 25000, 0, 25000, 32
        ),
        AccountInvoice(
            "I3",
            "INV-1003",
            date(2025, 10, 1),
            date(2025, 10, 31),
            12000,
            0,
            12000,
            16,
            disputed="DSP-4",
        ),
    )
    account = LetterAccount(
        "csv",
        "C1",
        "Łódź Trading Sp. z o.o.",
        "ul. Piotrkowska 104\n90-001 Łódź\nPoland",
        "ap@lodz.example",
        "business",
        None,
        "GBP",
        invoices,
        unapplied=-5000,
    )
    rates = RateTable(
        [RateRow("uk", "2025-H2", Decimal("4.25"), "Bank Rate on 30 Jun 2025", date(2026, 1, 5))]
    )
    sender = "Studio Lumen Ltd · 1 High Street London EC1A 1AA"
    for stage, regime in (("reminder", "none"), ("final", "uk")):
        settings = LetterSettings(creditor=creditor, regime=regime, rates=rates)
        content = build_letter(account, stage, date(2025, 11, 16), settings, ref="LTR-7")
        doc = compose(content, stage, "en", profile_dir=None).document
        pdf = pdfium.PdfDocument(
            render(
                doc,
                "pdf",
                pdf_options=PdfOptions(
                    sender=sender, footer=f"{stage} letter LTR-7", who="customer C1"
                ),
            )
        )
        for n in range(len(pdf)):
            target = HERE / f"letter-{stage}-page{n + 1}.png"
            pdf[n].render(scale=1.0).to_pil().convert("L").save(target, optimize=True)
            print(target.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    sys.exit(main())
