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
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date and time like '2026-11-30 14:05'", param, ctx)
        if not 1900 <= moment.year <= 9998:  # time-zone arithmetic needs room on both sides
            self.fail(f"{value!r}: give a year from 1900 to 9998", param, ctx)
        return moment


POSITIVE_AMOUNT = PositiveAmountType()
DATETIME = DateTimeType()


#: A "happened on" date may be at most this many days ahead of today (time zones, late nights).
FUTURE_SLACK_DAYS = 1
#: A date further ahead than this many years is refused as a typo (``--by 9999-12-31``).
REACH_YEARS = 100
_META_FUTURE = "collectctl.future"


def _future_given(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_META_FUTURE] = True


def _as_of_checked(ctx: click.Context, param: click.Parameter, value: date | None) -> date | None:
    """Refuse a "happened on" date more than a day ahead unless ``--future`` is given."""
    if value is not None and not ctx.resilient_parsing:
        refuse_future(ctx, value, param)
    return value


def refuse_future(ctx: click.Context, value: date, param: click.Parameter | None) -> None:
    """A usage error (exit 2) for a "happened on" date more than a day ahead, unless
    ``--future`` was given."""
    if ctx.meta.get(_META_FUTURE):
        return
    from collectctl.app import current_app

    today = current_app().today()
    if (value - today).days > FUTURE_SLACK_DAYS:
        raise click.BadParameter(
            f"{value} is in the future (today is {today}); a record is filed for the day it "
            "happens. Give --future to file it ahead anyway.",
            ctx,
            param,
        )


def future_option(func: F) -> F:
    """``--future``: allow a "happened on" date more than a day ahead (checked by ``--as-of``
    and ``--at``; eager, so it is known whatever the order on the command line)."""
    return click.option(
        "--future",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_future_given,
        help="Allow --as-of (or --at) more than a day in the future.",
    )(func)


def on_option(func: F) -> F:
    """``--as-of DATE``: the day the record is made (a hold placed, a release, an escalation,
    an amendment, a void; default today): not more than a day ahead without ``--future``.
    Dates that are meant to lie ahead (a hold's ``--until``, a new ``--by``) are other
    options and are not checked."""
    func = click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        callback=_as_of_checked,
        help="The day this happens (default: today in the profile's time zone; more than a day "
        "ahead needs --future).",
    )(default_today(func))
    return future_option(func)


def happened_on_option(func: F) -> F:
    """``--as-of DATE`` for what happened on a day (a promise made, a dispute raised): not more
    than a day ahead without ``--future``."""
    func = click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        callback=_as_of_checked,
        help="The day it happened (default: today in the profile's time zone; more than a day "
        "ahead needs --future).",
    )(default_today(func))
    return future_option(func)


def in_reach(value: date | None, today: date, option: str) -> None:
    """Refuse (exit 1) a date more than :data:`REACH_YEARS` ahead: a typo, not a plan."""
    if value is None:
        return
    from collectctl.errors import CollectctlError

    if value.year - today.year > REACH_YEARS:
        raise CollectctlError(
            f"{option} {value} is more than {REACH_YEARS} years ahead",
            hint=f"Give a date before {today.year + REACH_YEARS + 1}-01-01"
            + (
                " (or leave --until out: a hold lasts until released)."
                if option == "--until"
                else "."
            ),
        )


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


def not_before(
    value: date, floor: date, what: str, floor_name: str, *, dated_by: str = "--as-of"
) -> None:
    """Refuse (exit 1) a date before ``floor``; the hint names ``dated_by``, the option that
    sets the floor on this command."""
    from collectctl.errors import CollectctlError

    if value < floor:
        raise CollectctlError(
            f"{what} {value} is in the past (before {floor_name} {floor})",
            hint=f"Give a date on or after it (or set {dated_by} to the day it happened).",
        )
