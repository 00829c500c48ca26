"""Render N PDF letters in one process (what `make bench`'s ``letters`` benchmark times).

    .venv/bin/python benchmarks/letters_bench.py 1000 [WORKERS]

Each letter is a different made-up account (a name with diacritics, 1–8 open invoices, part
payments, unapplied credit), the stages in turn (reminder, firm, final, pre-legal; the last two
with contract-rate interest, so the interest working is built too). Each letter is prepared in
this process and rendered to PDF by :func:`collectctl.letters.batch.render_pdfs` (on every core
by default; ``WORKERS`` = 1 renders in this process only); every PDF is checked to be a PDF.
Prints ``<letters> <bytes>``.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta


def main(count: int, workers: int | None = None) -> None:
    from collectctl.letters.batch import render_pdfs
    from collectctl.letters.content import AccountInvoice, LetterAccount
    from collectctl.letters.letter import letter_config, prepare
    from collectctl.letters.pdf import PdfOptions

    cfg = letter_config(
        {
            "creditor": {
                "name": "Studio Lumen Ltd",
                "email": "billing@lumen.example",
                "address": "1 High Street\nLondon",
                "payment_details": "IBAN GB00 0000",
            },
            "letters": {"interest": "contract", "contract_rate": "8"},
        },
        None,
    )
    as_of = date(2026, 11, 30)
    total_bytes = 0
    jobs = []
    names = ("Łódź Trading", "Müller & Söhne GmbH", "Ærø Fisk ApS", "Škoda Díly s.r.o.")
    for n in range(count):
        invoices = []
        for k in range(1 + n % 8):
            due = as_of - timedelta(days=20 + 7 * k)
            amount = 10000 + 137 * n + 991 * k
            paid = amount // 3 if k % 2 else 0
            invoices.append(
                AccountInvoice(
                    f"I{n}-{k}",
                    f"INV-{n:05d}-{k}",
                    due - timedelta(days=30),
                    due,
                    amount,
                    paid,
                    amount - paid,
                    (as_of - due).days,
                    allocations=((due + timedelta(days=3), paid),) if paid else (),
                )
            )
        account = LetterAccount(
            "bench",
            f"C{n}",
            f"{names[n % 4]} {n}",
            f"{n} Long Road\nŁódź",
            None,
            "business",
            None,
            "EUR",
            tuple(invoices),
            unapplied=-(n % 5) * 100,
        )
        stage = ("reminder", "firm", "final", "pre-legal")[n % 4]
        prepared = prepare(account, stage, as_of, cfg)
        options = PdfOptions(footer=prepared.composed.subject, who=f"customer C{n}")
        jobs.append((prepared.composed.document, options))
    for n, pdf in enumerate(render_pdfs(jobs, workers=workers)):
        if not pdf.startswith(b"%PDF"):
            raise SystemExit(f"letter {n} is not a PDF")
        total_bytes += len(pdf)
    print(count, total_bytes)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        int(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
