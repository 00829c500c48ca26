"""The profile's config.toml as typed sections: every key declared once, with its default.

Each section is a frozen dataclass; each field is one key, declared with :func:`key` (its
default, a one-line help text and, when the type alone is not enough, a check). From these
declarations come the defaults (:data:`DEFAULTS`), the commented template ``profile create``
writes (:func:`template`), the validation of a loaded file (:func:`validate`: wrong types,
bad values, and unknown keys or sections, each named with its file and the closest known key)
and the typed view commands read (:class:`Settings`, ``current_app().settings``).

To add a key, add one field to its section::

    @dataclass(frozen=True)
    class DunningSettings:
        min_days: int = key(7, "days past due before the first reminder", check=at_least(0))

``[sources.<name>]`` tables belong to the source plugins: each validates its own table (a
:class:`~collectctl.records.Source` lists its keys in ``settings``; see :func:`check_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from collectctl.errors import ConfigError

T = TypeVar("T")
Check = Callable[[Any], str | None]  # returns why the value is wrong, or None


def key(default: Any, help: str, *, check: Check | None = None, name: str | None = None) -> Any:
    """Declare one config key: its ``default``, a one-line ``help`` and an optional ``check``
    (``name`` when the TOML key is not a Python name, e.g. ``from``)."""
    return field(default=default, metadata={"help": help, "check": check, "name": name})


def at_least(low: int) -> Check:
    """A check: a whole number >= ``low``."""
    return lambda v: None if v >= low else f"must be a whole number >= {low}, not {v!r}"


def _currency(value: str) -> str | None:
    from collectctl.money import MoneyError, exponent

    try:
        exponent(value)
    except MoneyError as exc:
        return str(exc)
    return None


def _timezone(value: str) -> str | None:
    if not value:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f'unknown time zone {value!r} (use an IANA name such as "America/New_York")'
    return None


def _date_format(value: str) -> str | None:
    if not value:
        return 'must be a strftime pattern such as "%Y-%m-%d"'
    try:
        sample = date(2026, 11, 30)
        if datetime.strptime(sample.strftime(value), value).date() != sample:
            raise ValueError
    except ValueError:
        return f"{value!r} does not round-trip a date"
    return None


@dataclass(frozen=True)
class CoreSettings:
    """The top-level keys."""

    currency: str = key("USD", "ISO 4217 code used when a customer has none", check=_currency)
    timezone: str = key(
        "", 'IANA zone for "today" (e.g. "Europe/London"); empty = this machine\'s',
        check=_timezone,
    )  # fmt: skip
    date_format: str = key("%Y-%m-%d", "how dates are written in CSV sources", check=_date_format)
    default_terms_days: int = key(
        30, "due date = issue date + this, when neither invoice nor customer says",
        check=at_least(0),
    )  # fmt: skip


@dataclass(frozen=True)
class CreditorSettings:
    """``[creditor]``: you, as printed on letters and agreements."""

    name: str = key("", "your business name")
    address: str = key("", "postal address (several lines allowed)")
    email: str = key("", "where customers write to")
    phone: str = key("", "where customers call")
    payment_details: str = key("", "how to pay you (bank account, link)")


@dataclass(frozen=True)
class SmtpSettings:
    """``[smtp]``: sending letters by email; the password comes from the environment or .env."""

    host: str = key("", "mail server")
    port: int = key(587, "its port", check=at_least(1))
    username: str = key("", "login name")
    sender: str = key("", "From: address (default: [creditor] email)", name="from")
    starttls: bool = key(True, "older setting: false means security = none")
    security: str = key("starttls", "starttls | tls (implicit TLS, port 465) | none",
                        check=lambda v: None if v in ("starttls", "tls", "none")
                        else f'must be "starttls", "tls" or "none", not {v!r}')  # fmt: skip
    reply_to: str = key("", "Reply-To: address (default: [creditor] email)")
    bcc: str = key("", "a copy to yourself, e.g. an archive address")
    timeout: int = key(30, "seconds for each SMTP step", check=at_least(1))
    cafile: str = key("", "a PEM file of extra CA certificates to trust")


def _regime(value: str) -> str | None:
    regimes = ("uk", "eu", "contract", "none")
    return None if value in regimes else f"must be one of {', '.join(regimes)}, not {value!r}"


def _rate(value: str) -> str | None:
    if not value:
        return None
    from decimal import Decimal, InvalidOperation

    try:
        ok = Decimal(value) >= 0
    except InvalidOperation:
        ok = False
    return None if ok else f'must be a percentage as text, such as "8.0", not {value!r}'


@dataclass(frozen=True)
class LetterSettings:
    """``[letters]``: letter rendering and sending."""

    language: str = key("en", "letter language when the customer has none")
    interest: str = key("none", "uk | eu | contract | none (never for consumers)", check=_regime)
    contract_rate: str = key("", 'percent a year for interest = "contract", e.g. "8.0"',
                             check=_rate)  # fmt: skip
    paper: str = key("A4", "A4 | Letter",
                     check=lambda v: None if v.lower() in ("a4", "letter")
                     else f'must be "A4" or "Letter", not {v!r}')  # fmt: skip
    font: str = key("", "an extra .ttf for characters DejaVu Sans lacks (e.g. CJK)")
    render_time_limit: int = key(5, "seconds a template may run", check=at_least(1))


@dataclass(frozen=True)
class PlanSettings:
    """``[plans]``: the terms stored with each new payment plan."""

    grace_days: int = key(5, "days after a due date an installment may stay unpaid",
                          check=at_least(0))  # fmt: skip
    max_missed: int = key(1, "the plan breaks when more installments than this are past due",
                          check=at_least(0))  # fmt: skip


@dataclass(frozen=True)
class PromiseSettings:
    """``[promises]``: evaluating promises to pay."""

    grace_days: int = key(0, "days after a promise's date a payment still keeps it",
                          check=at_least(0))  # fmt: skip


def _zone_list(value: str) -> str | None:
    for zone in (z.strip() for z in value.split(",")):
        why = _timezone(zone) if zone else None
        if why:
            return why
    return None


@dataclass(frozen=True)
class DunningSettings:
    """``[dunning]``: `dunning run` (docs/dunning.md; the consumer guards are not legal advice)."""

    max_sync_age_hours: int = key(
        26, "refuse to send when a source last synced longer ago than this", check=at_least(1)
    )
    consumer_guards: bool = key(True, "contact hours, send cap, cease, opt-out, time-barred")
    consumer_timezones: str = key(
        "", "zones (comma separated) a consumer without a timezone may be in; all must allow it",
        check=_zone_list,
    )  # fmt: skip
    consumer_sends_per_week: int = key(2, "letters per debt in any 7 days (consumers)",
                                       check=at_least(1))  # fmt: skip
    limitation_years: int = key(
        3, "a consumer debt is time-barred this long after due date or last payment (0 = off)",
        check=at_least(0),
    )  # fmt: skip
    collector: bool = key(False, "you collect as a third party: send the validation notice")
    max_attempts: int = key(5, "a failed send is retried at most this many times",
                            check=at_least(1))  # fmt: skip
    retry_after_minutes: int = key(30, "wait before retrying a failed send (doubles each time)",
                                   check=at_least(0))  # fmt: skip


@dataclass(frozen=True)
class LedgerSettings:
    """``[ledger]``: where the books live (docs/team.md); checked when the ledger is opened."""

    url: str = key("", "postgresql://user@host/db for a ledger shared by a team; "
                   "empty: the profile's SQLite file")  # fmt: skip
    schema: str = key("", "the profile's schema on that server (default: the profile's name)")


#: Section name -> its dataclass (``""``: the top-level keys), in template order.
SECTIONS: dict[str, type] = {
    "": CoreSettings,
    "creditor": CreditorSettings,
    "sources": dict,
    "smtp": SmtpSettings,
    "letters": LetterSettings,
    "plans": PlanSettings,
    "promises": PromiseSettings,
    "dunning": DunningSettings,
    "ledger": LedgerSettings,
    "channels": dict,
}
_SOURCES_HELP = "`collectctl sync` (no argument) syncs every source listed here"
#: The tables of the dict sections: help line and a commented example.
_TABLES: dict[str, tuple[str, list[str]]] = {
    "sources": (_SOURCES_HELP, ["# [sources.csv]", '# dir = "~/books/export"']),
    "channels": (
        "settings of letter channels ([channels.file] dir, a plugin's [channels.<name>])",
        ["# [channels.file]", '# dir = "~/letters"'],
    ),
}


def _keys(section: type) -> list[tuple[str, Any]]:
    """``(toml name, dataclass field)`` of a section."""
    return [(f.metadata.get("name") or f.name, f) for f in fields(section)]


def _defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, section in SECTIONS.items():
        if section is dict:
            out[name] = {}
            continue
        values = {k: f.default for k, f in _keys(section) if f.default is not MISSING}
        if name:
            out[name] = values
        else:
            out.update(values)
    return out


#: Every default, shaped like config.toml (what a profile without a config file has).
DEFAULTS: dict[str, Any] = _defaults()


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def template() -> str:
    """The commented config.toml ``profile create`` writes: every section and key with its
    default (help above each section, so every ``key = value`` line is exactly the default)."""
    lines = ["# collectctl profile settings. Every key and its default: docs/configuration.md"]
    for name, section in SECTIONS.items():
        if name:
            lines.append("")
        if section is dict:
            help_line, example = _TABLES[name]
            lines += [f"# [{name}]: {help_line}", f"[{name}]", *example]
            continue
        doc = (section.__doc__ or "").strip().split("\n")[0].replace("``", "")
        if name:
            lines.append(f"# {doc}")
        for k, f in _keys(section):
            lines.append(f"# {k}: {f.metadata['help']}")
        if name:
            lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(f.default)}" for k, f in _keys(section)]
    return "\n".join(lines) + "\n"


def _unknown(file: Path, where: str, name: str, known: list[str]) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    what = f"unknown section [{name}]" if where == "section" else f"unknown key {where}{name}"
    hint = f"Did you mean `{close[0]}`?" if close else "Known: " + ", ".join(sorted(known)) + "."
    return ConfigError(f"{file}: {what}", hint=hint + " (see docs/configuration.md)")


def _typed(section: type, values: Mapping[str, Any], file: Path, prefix: str) -> Any:
    known = _keys(section)
    names = [k for k, _f in known]
    for name in values:
        if name not in names:
            raise _unknown(file, prefix, name, names)
    kwargs = {}
    for k, f in known:
        value = values.get(k, f.default)
        want = {"int": int, "str": str, "bool": bool}.get(str(f.type), str)
        ok = isinstance(value, want) and (want is bool or not isinstance(value, bool))
        if not ok:
            kind = {int: "a whole number", str: "a text", bool: "true or false"}[want]
            raise ConfigError(
                f"{file}: {prefix}{k}: must be {kind}, not {value!r}",
                hint="See docs/configuration.md.",
            )
        check = f.metadata.get("check")
        why = check(value) if check else None
        if why:
            raise ConfigError(f"{file}: {prefix}{k}: {why}", hint="See docs/configuration.md.")
        kwargs[f.name] = value
    return section(**kwargs)


@dataclass(frozen=True)
class Settings:
    """The typed view of a profile's config (``current_app().settings``)."""

    core: CoreSettings
    creditor: CreditorSettings
    smtp: SmtpSettings
    letters: LetterSettings
    plans: PlanSettings
    promises: PromiseSettings
    dunning: DunningSettings
    ledger: LedgerSettings
    sources: Mapping[str, Mapping[str, Any]]
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def validate(config: Mapping[str, Any], file: Path) -> Settings:
    """Check a config (file values merged over :data:`DEFAULTS`) and return its typed view.

    Raises :class:`ConfigError` (exit 1) naming ``file`` and the key for a wrong type or value,
    and for an unknown key or section, with the closest known name ("did you mean ...").
    """
    top = {k: v for k, v in config.items() if not isinstance(v, Mapping)}
    for name, value in config.items():
        if isinstance(value, Mapping) and name not in SECTIONS:
            raise _unknown(file, "section", name, [s for s in SECTIONS if s])
    core = _typed(CoreSettings, top, file, "")
    sources = config.get("sources", {})
    if not isinstance(sources, Mapping):
        raise ConfigError(
            f"{file}: sources: must be a table of [sources.<name>] tables",
            hint="See docs/configuration.md.",
        )
    channels = config.get("channels", {})
    for section, tables in (("sources", sources), ("channels", channels)):
        if not isinstance(tables, Mapping):
            raise ConfigError(
                f"{file}: {section}: must be a table of [{section}.<name>] tables",
                hint="See docs/configuration.md.",
            )
        for name, table in tables.items():
            if not isinstance(table, Mapping):
                raise ConfigError(
                    f"{file}: {section}.{name}: must be a [{section}.{name}] table",
                    hint="See docs/configuration.md.",
                )
    parts = {
        name: _typed(section, config.get(name, {}), file, f"{name}.")
        for name, section in SECTIONS.items()
        if name and section is not dict
    }
    return Settings(core=core, sources=sources, channels=channels, **parts)


def check_table(
    file: Path | str, source: str, table: Mapping[str, Any], known: Mapping[str, str]
) -> None:
    """Refuse a key of ``[sources.<source>]`` that the source did not declare in ``known``
    (key -> help); the error names the file, the key and the closest declared key."""
    for name in table:
        if name not in known:
            raise _unknown(Path(file), f"sources.{source}.", name, list(known))
