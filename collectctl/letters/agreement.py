"""The payment plan agreement as a document of the letters kind (md, txt, html, pdf).

The text is built here from a ``plan show`` document; every value that comes from the books or
the config passes through :func:`~collectctl.letters.blocks.literal`, so a customer name can never
change the document's structure. Writing it for a debtor needs ``[creditor] name`` (``draft``
allows an empty one and marks the document DRAFT).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from collectctl.letters.blocks import Document, literal, one_line, parse

L = literal


def _amount(text: str | None, currency: str) -> str:
    """``'1234.50'`` -> ``'USD 1,234.50'`` for letters."""
    return f"{currency} {Decimal(text or '0'):,}"


def agreement_text(doc: Mapping[str, Any], creditor: Mapping[str, Any]) -> str:
    """The body of a payment plan agreement letter (markdown) from a ``plan show`` document.

    States who owes whom, what the plan covers, the schedule, and the terms, including what
    happens when an installment is missed, plainly and without threats.
    """
    cur = doc["currency"]
    totals = doc["totals"]
    name = L(creditor.get("name") or "DRAFT: no creditor name")
    out = [f"# Payment plan agreement {doc['plan_id']}", ""]
    who = [f"**Creditor:** {name}"]
    for key in ("address", "email", "phone"):
        if creditor.get(key):
            value = str(creditor[key]).strip().replace("\n", ", ")
            who.append(f"{key.capitalize()}: {L(value)}")
    out += ["  \n".join(who), ""]  # markdown hard line breaks
    out += [f"**Debtor:** {L(doc['customer'])} (account {L(doc['customer_id'])})", ""]
    out += [f"**Date of the agreement:** {doc['created_on']}", ""]
    out += [
        "## What this plan covers",
        "",
        "| Invoice | Number | Due | Balance |",
        "|---|---|---|--:|",
    ]
    for i in doc["invoices"]:
        out.append(
            f"| {L(i['invoice_id'])} | {L(i['number'])} | {i['due_date']} | "
            f"{_amount(i['balance'], cur)} |"
        )
    out += [
        "",
        f"Together {_amount(doc['balance'], cur)}, the balance of these invoices at the start "
        f"of {doc['created_on']}.",
        "",
        "## Schedule",
        "",
        "| # | Due on or before | Principal | Interest | Fee | Amount to pay |",
        "|--:|---|--:|--:|--:|--:|",
    ]
    for ln in doc["lines"]:
        label = "down payment" if ln["number"] == 0 else str(ln["number"])
        out.append(
            f"| {label} | {ln['due']} | {_amount(ln['principal'], cur)} | "
            f"{_amount(ln['interest'], cur)} | {_amount(ln['fee'], cur)} | "
            f"{_amount(ln['total'], cur)} |"
        )
    out += ["", f"Total to pay: {_amount(totals['total'], cur)}."]
    if Decimal(totals["interest"]) or Decimal(totals["fees"]):
        out.append(
            f"That is the balance of {_amount(totals['principal'], cur)}, interest of "
            f"{_amount(totals['interest'], cur)} and fees of {_amount(totals['fees'], cur)}."
        )
    out += ["", "## Terms", ""]
    if doc["interest_method"] == "none":
        out.append("- No interest is charged on this plan.")
    else:
        how = (
            "on the balance still owed each period (amortized)"
            if doc["interest_method"] == "amortized"
            else "as a flat amount on the original balance (simple interest), spread over the "
            "installments"
        )
        out.append(f"- Interest of {doc['rate']} % a year is charged {how}.")
    if Decimal(doc["fee"]):
        out.append(
            f"- A set-up fee of {_amount(doc['fee'], cur)} is part of the first installment."
        )
    out += [
        "- Payments are applied to the oldest unpaid installment first (to its fee, then "
        "interest, then principal). Paying more than an installment reduces the next one; "
        "you may pay off the balance early at any time.",
        f"- An installment counts as paid on time when it is paid in full within "
        f"{doc['grace_days']} days after its due date.",
        "- The plan ends if an installment is still not paid in full after those "
        f"{doc['grace_days']} days, or if more than {doc['max_missed']} installment"
        f"{'s are' if doc['max_missed'] != 1 else ' is'} past due and unpaid at the same time.",
        "- If the plan ends, whatever is still unpaid on the invoices above is due again under "
        "their original terms, and we will go back to our usual reminders for them.",
        "- While the plan is kept, we will not send reminders about the invoices it covers.",
    ]
    if creditor.get("payment_details"):
        details = str(creditor["payment_details"]).strip().replace("\n", ", ")
        out += ["", f"**How to pay:** {L(details)}. Please quote {doc['plan_id']}."]
    contact = " or ".join(L(creditor[k]) for k in ("email", "phone") if creditor.get(k))
    out += [
        "",
        "If a payment date becomes difficult, please tell us before it falls due"
        + (f" ({contact})" if contact else "")
        + ": we would rather agree a change than see the plan end.",
        "",
        "Please confirm that you agree to this plan by replying to this letter.",
        "",
    ]
    return "\n".join(out)


def agreement_document(
    doc: Mapping[str, Any], creditor: Mapping[str, Any], *, draft: bool = False
) -> Document:
    """The agreement for plan ``doc`` as a :class:`Document`."""
    from collectctl.letters.document import require_creditor

    require_creditor(creditor, draft=draft, what="the plan agreement")
    title = f"Payment plan agreement {doc['plan_id']}: {one_line(str(doc['customer']))}"
    return Document(
        title=title, blocks=tuple(parse(agreement_text(doc, creditor), {})), draft=draft
    )


def agreement_bytes(
    doc: Mapping[str, Any], config: Mapping[str, Any], fmt: str, *, draft: bool = False
) -> bytes:
    """The agreement rendered in ``fmt`` with the profile's creditor, paper and font."""
    from collectctl.letters.pdf import PdfOptions
    from collectctl.letters.render import render

    creditor = dict(config.get("creditor") or {})
    letters = dict(config.get("letters") or {})
    document = agreement_document(doc, creditor, draft=draft)
    options = PdfOptions(
        paper=str(letters.get("paper") or "A4"),
        extra_font=str(letters["font"]) if letters.get("font") else None,
        footer=document.title,
        who=f"customer {doc['customer_id']}",
    )
    return render(document, fmt, pdf_options=options)
