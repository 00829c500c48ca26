"""The payment plan agreement: the body of the letter confirming a stored plan (markdown).

Built from a ``plan show`` document (:func:`collectctl.reports.plans.plan_document`) and the
profile's ``[creditor]`` settings; ``collectctl plan agreement PL-n`` prints it. The letters
package turns it into a document of its own (md, txt, html, pdf).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _amount(text: str | None, currency: str) -> str:
    """``'1234.50'`` -> ``'USD 1,234.50'`` for letters."""
    return f"{currency} {Decimal(text or '0'):,}"


def agreement_markdown(doc: Mapping[str, Any], creditor: Mapping[str, Any]) -> str:
    """The body of a payment plan agreement letter (markdown) from a ``plan show`` document.

    States who owes whom, what the plan covers, the schedule, and the terms, including what
    happens when an installment is missed, plainly and without threats.
    """
    cur = doc["currency"]
    totals = doc["totals"]
    name = creditor.get("name") or "(creditor name: set [creditor] name in config.toml)"
    out = [f"# Payment plan agreement {doc['plan_id']}", ""]
    who = [f"**Creditor:** {name}"]
    for key in ("address", "email", "phone"):
        if creditor.get(key):
            value = str(creditor[key]).strip().replace("\n", ", ")
            who.append(f"{key.capitalize()}: {value}")
    out += ["  \n".join(who), ""]  # markdown hard line breaks
    out += [f"**Debtor:** {doc['customer']} (account {doc['customer_id']})", ""]
    out += [f"**Date of the agreement:** {doc['created_on']}", ""]
    out += [
        "## What this plan covers",
        "",
        "| Invoice | Number | Due | Balance |",
        "|---|---|---|--:|",
    ]
    for i in doc["invoices"]:
        out.append(
            f"| {i['invoice_id']} | {i['number']} | {i['due_date']} | "
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
        out += ["", f"**How to pay:** {details}. Please quote {doc['plan_id']}."]
    contact = " or ".join(str(creditor[k]) for k in ("email", "phone") if creditor.get(k))
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
