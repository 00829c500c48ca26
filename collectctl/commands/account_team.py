"""``collectctl account assign``: who works an account (a team splitting the work; docs/team.md).

An assignment is a collection record like the others (``ASG-n``): kept, shown in the account's
timeline with who made it, corrected with ``account amend --note`` or ``account void``. The
account's owner on day D is the owner of its latest live assignment dated by D;
``account list --mine`` / ``--owner NAME`` filter on it.
"""

from __future__ import annotations

from datetime import date

import click

from collectctl.commands.account_options import customer, on_option, stamp
from collectctl.commands.completion import complete_owners
from collectctl.commands.options import CUSTOMER, output_option
from collectctl.commands.written import emit_written


def _owner_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An owner's name as typed, trimmed; an empty one is a usage error (exit 2)."""
    if value is None:
        return None
    name = value.strip()
    if not name:
        raise click.BadParameter("give a name", ctx=ctx, param=param)
    return name


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option(
    "--to",
    "owner",
    default=None,
    callback=_owner_name,
    shell_complete=complete_owners,
    metavar="NAME",
    help="Who works the account from now on (a collector's name, as in COLLECTCTL_USER).",
)
@click.option("--none", "unassign", is_flag=True, help="Take the account off everyone's list.")
@click.option("--note", default=None, help="Why (kept with the record).")
@on_option
@output_option
def assign(
    customer_id: str,
    owner: str | None,
    unassign: bool,
    note: str | None,
    as_of: date,
    fmt: str,
) -> None:
    """Give an account to a collector (--to NAME), or to nobody (--none).

    The owner shows in `account list` and `account show`; `account list --mine` and
    `--owner NAME` filter on it. Each assignment is a record (ASG-n) in the timeline.
    """
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.reports.accounts import account_owners

    if (owner is None) == (not unassign):
        raise click.UsageError("give --to NAME or --none")
    app = current_app()
    cust = customer(app, customer_id)
    ref_key = (cust["source"], cust["id"])
    label = f"{cust['name']} ({cust['id']})"
    current = account_owners(app.ledger().conn, as_of).get(ref_key)
    if current == owner:
        state = f"assigned to {owner}" if owner else "not assigned to anyone"
        raise CollectctlError(f"{label} is already {state} on {as_of}")
    by = app.acting_user()
    with app.ledger().write() as conn:
        ref = collection.add_assignment(
            conn,
            ref_key,
            owner=owner,
            on_date=as_of,
            note=note,
            created_at=stamp(),
            created_by=by,
        )
    text = f"{ref}: {label} assigned to {owner}." if owner else f"{ref}: {label} unassigned."
    emit_written(app.ledger().conn, ref, text, fmt)
