"""Option types and small helpers shared by the ``collectctl account`` subcommands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from collectctl.commands.options import DATE, AmountType, default_today

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App
    from collectctl.ledger.books import CustomerRow

F = TypeVar("F", bound=Callable[..., Any])

#: ``account log --channel``.
CHANNELS = ("phone", "email", "letter", "sms", "visit", "note")
#: ``account log --outcome``.
OUTCOMES = (
    "no-answer",
    "left-message",
    "spoke",
    "promised",
    "disputed",
    "refused",
    "wrong-number",
    "paid",
    "note",
)
#: ``account dispute --reason``.
DISPUTE_REASONS = (
    "not-received",
    "wrong-amount",
    "quality",
    "already-paid",
    "not-ordered",
    "duplicate",
    "other",
)
ESCALATION_TARGETS = ("agency", "legal")


class PositiveAmountType(AmountType):
    """A plain decimal amount above zero (``0`` and negatives are usage errors, exit 2)."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        amount = super().convert(value, param, ctx)
        if amount <= 0:
            self.fail(f"{value!r}: the amount must be above zero", param, ctx)
        return amount


class DateTimeType(click.ParamType):
    """``YYYY-MM-DD HH:MM[:SS]`` (or with ``T``, optionally with a UTC offset); a bare date
    means midnight. Times without an offset are in the profile's time zone."""

    name = "datetime"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "'YYYY-MM-DD HH:MM'"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if len(text) < 10 or text[4] != "-":
                raise ValueError
            return datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date and time like '2026-11-30 14:05'", param, ctx)


POSITIVE_AMOUNT = PositiveAmountType()
DATETIME = DateTimeType()


def on_option(func: F) -> F:
    """``--as-of DATE``: the day the record is made (default today)."""
    return click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        help="The day this happens (default: today in the profile's time zone).",
    )(default_today(func))


def grace_days(app: App) -> int:
    """``[promises] grace_days`` from the profile config (default 0)."""
    return app.settings.promises.grace_days


def local_now(app: App) -> datetime:
    """Now, in the profile's time zone (the machine's when unset)."""
    return app.clock.now()


def localize(app: App, moment: datetime) -> datetime:
    """Attach the profile's time zone to a naive datetime typed by the user."""
    return app.clock.localize(moment)


def stamp() -> str:
    """When a record is made: a UTC instant with microseconds (orders same-day records)."""
    from collectctl.clock import utc_stamp

    return utc_stamp()


def customer(app: App, ref: str) -> CustomerRow:
    """The customer typed by the user (NotFoundError, exit 1, when unknown)."""
    from collectctl.ledger.books import find_customer

    return find_customer(app.ledger().conn, ref)


def not_before(value: date, floor: date, what: str, floor_name: str) -> None:
    """Refuse (exit 1) a date before ``floor``."""
    from collectctl.errors import CollectctlError

    if value < floor:
        raise CollectctlError(
            f"{what} {value} is in the past (before {floor_name} {floor})",
            hint="Give a date on or after it (or set --as-of to the day it was agreed).",
        )
