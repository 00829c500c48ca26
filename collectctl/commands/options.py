"""Shared click options and parameter types, and the one rendering path for every command.

``@output_option`` gives every listing the same ``--format table|csv|json|md`` option (default
``table``, or ``$COLLECTCTL_FORMAT``); plugin formats are accepted too. ``emit`` renders a
:class:`~collectctl.output.Report` with the chosen format.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

import click

from collectctl.output import Report

F = TypeVar("F", bound=Callable[..., Any])


class FormatType(click.ParamType):
    """A registered output format name (checked against the plugins only when given)."""

    name = "format"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[table|csv|json|md]"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from collectctl.commands.completion import complete_formats

        return complete_formats(ctx, param, incomplete)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from collectctl.plugins.manager import format_named, formats

        text = str(value).strip().lower()
        if format_named(text) is None:
            known = formats()
            self.fail(
                f"{value!r} is not a format; choose from {', '.join(sorted(known))}", param, ctx
            )
        return text


class Count(click.IntRange):
    """A whole number in a range, written with ASCII digits (``int()`` alone would also take
    ``٣`` and ``1_0``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            text = value.strip()
            digits = text[1:] if text[:1] in "+-" else text
            if not (digits.isascii() and digits.isdigit()):
                self.fail(f"{value!r} is not a whole number", param, ctx)
        return super().convert(value, param, ctx)


class DateType(click.ParamType):
    """An ISO date, ``YYYY-MM-DD``; also ``today``."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, date) or value is None:
            return value
        text = str(value).strip()
        if text.lower() == "today":
            from collectctl.app import current_app

            return current_app().clock.today()
        try:
            if len(text) != 10:
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


#: Largest amount a user may type (the ledger holds at most 10**15 minor units, and a currency
#: has up to 3 decimals): beyond it an amount is refused where it is typed.
MAX_AMOUNT = Decimal(10) ** 12


class AmountType(click.ParamType):
    """A plain decimal amount such as ``1500`` or ``99.95`` (never parsed through float), below
    :data:`MAX_AMOUNT` in size."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        from collectctl.money import MoneyError, parse_decimal

        try:
            number = parse_decimal(str(value))
        except MoneyError as exc:
            self.fail(str(exc), param, ctx)
        if abs(number) >= MAX_AMOUNT:
            self.fail(f"{value!r} is too large an amount (at most {MAX_AMOUNT - 1})", param, ctx)
        return number


class CustomerIdType(click.ParamType):
    """A customer id as typed (its source id, ``SOURCE:ID`` or name); never empty."""

    name = "customer"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "ID"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from collectctl.commands.completion import complete_customers

        return complete_customers(ctx, param, incomplete)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if not text.strip():
            self.fail("an empty customer id; give one (see `collectctl account list`)", param, ctx)
        return text


class CurrencyType(click.ParamType):
    """An ISO 4217 currency code (case-insensitive)."""

    name = "currency"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from collectctl.money import MoneyError, exponent

        code = str(value).strip().upper()
        try:
            exponent(code)
        except MoneyError as exc:
            self.fail(str(exc), param, ctx)
        return code


DATE = DateType()
AMOUNT = AmountType()
CUSTOMER = CustomerIdType()
CURRENCY = CurrencyType()


def output_option(func: F) -> F:
    """Add ``--format/-f`` (table, csv, json, md or a plugin's) to a command."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=FormatType(),
        default="table",
        envvar="COLLECTCTL_FORMAT",
        show_envvar=True,
        help="Output format: table (default), csv, json or md.",
    )(func)


def default_today(func: F, name: str = "as_of") -> F:
    """Wrap a command so an omitted date option ``name`` arrives as today on the profile's
    clock: the default is resolved once, here, when the command runs (not while parsing, so
    ``--help`` and option routing never open a profile)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get(name) is None:
            from collectctl.app import current_app

            kwargs[name] = current_app().clock.today()
        return func(*args, **kwargs)

    return cast(F, wrapper)


def date_given(name: str = "as_of") -> bool:
    """True when the user gave the date option ``name`` (not its default of today)."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, click.core.ParameterSource.DEFAULT)


def as_of_label() -> str:
    """``--as-of`` when the user gave it, else ``today`` (for messages about the date)."""
    return "--as-of" if date_given() else "today"


def as_of_option(func: F) -> F:
    """Add ``--as-of DATE`` (default: today in the profile's time zone, resolved here)."""
    return click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        help="Report as of this date (default: today in the profile's time zone).",
    )(default_today(func))


def emit(report: Report, fmt: str) -> None:
    """Render ``report`` in format ``fmt`` to standard output."""
    from collectctl.plugins.manager import format_named, formats

    (format_named(fmt) or formats()[fmt]).render(report, sys.stdout)


def note_empty_books(app: Any) -> None:
    """On stderr: say the books were never synced, so an empty report is not "everyone paid"."""
    from collectctl.ledger.books import never_synced

    if never_synced(app.ledger().conn):
        click.echo(
            f"Note: profile {app.profile_name!r} has never been synced, so there is nothing to "
            "report yet. Bring the books in with `collectctl sync csv DIR` (or `collectctl sync` "
            "for the sources in config.toml).",
            err=True,
        )


def customer_option(func: F) -> F:
    """``--customer ID`` (repeatable): only these customers (source id, ``SOURCE:ID``)."""
    return click.option(
        "--customer",
        "customer_refs",
        type=CUSTOMER,
        multiple=True,
        help="Only this customer (its source id, or SOURCE:ID); repeat for several.",
    )(func)


def customer_keys(conn: Any, refs: tuple[str, ...]) -> set[int] | None:
    """The ledger keys of the customers typed with ``--customer`` (None: no filter). An
    unknown id is an error (exit 1) with the closest ids and names."""
    if not refs:
        return None
    from collectctl.ledger.books import find_customer

    return {find_customer(conn, ref)["key"] for ref in refs}


def emit_document(data: bytes, fmt: str, output: str | None) -> None:
    """Write a document to ``output`` (atomically) or stdout (never a PDF to a terminal)."""
    if output and output != "-":
        from pathlib import Path

        from collectctl.errors import CollectctlError

        path = Path(output)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:
            raise CollectctlError(f"cannot write {path}: {exc.strerror or exc}") from None
        click.echo(f"wrote {path}", err=True)
        return
    if fmt == "pdf" and sys.stdout.isatty():
        raise click.UsageError("refusing to write a PDF to a terminal: use --output FILE")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
