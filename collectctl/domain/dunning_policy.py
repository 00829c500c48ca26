"""The dunning policy: parsed TOML values → typed, validated :class:`Policy` (pure).

Every key is documented in docs/dunning.md. A bad value is a :class:`PolicyError` naming
``file:key`` and, for an unknown key, the nearest known one ("did you mean ...?").
The file itself is read by :func:`collectctl.dunning_policy_file.load_policy`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from collectctl.errors import ConfigError
from collectctl.money import MoneyError, exponent, parse_amount

#: Stage categories, in escalating order; the category drives the legal guards.
CATEGORIES: tuple[str, ...] = ("courtesy", "reminder", "firm", "final", "pre-legal")
CATCH_UP: tuple[str, ...] = ("next", "latest")
KINDS: tuple[str, ...] = ("business", "consumer")


def demands(category: str, days: int) -> bool:
    """Whether a letter of ``category`` demands an invoice ``days`` past its due date: a
    courtesy letter every invoice it lists (none is due yet), any other only the overdue ones
    (``days > 0``; an invoice due today or later is not owed yet). The letter's content and the
    dunning decision both follow this rule."""
    return category == "courtesy" or days > 0


_TOP_KEYS = ("default", "start_on", "max_letters_per_run", "manual_only", "assign", "sections")
_SECTION_KEYS = (
    "stages",
    "catch_up",
    "min_gap_days",
    "channel",
    "fallback_channel",
    "repeat_every_days",
    "max_repeats",
    "min_balance",
)
_STAGE_KEYS = ("name", "category", "template", "channel", "offset_days")
_RULE_KEYS = ("section", "manual_only", "kind", "currency", "customers")


class PolicyError(ConfigError):
    """A bad dunning policy file: the message names ``file:key``."""


@dataclass(frozen=True)
class Stage:
    """One rung of the ladder: sent ``offset_days`` after an invoice's due date."""

    name: str
    category: str
    template: str
    channel: str
    offset_days: int


@dataclass(frozen=True)
class Section:
    """A named set of rules (``[sections.<name>]``) assigned to accounts by :class:`Rule`."""

    name: str
    stages: tuple[Stage, ...]
    catch_up: str = "next"
    min_gap_days: int = 7
    fallback_channel: str | None = None
    repeat_every_days: int | None = None
    max_repeats: int = 0
    #: Minimum demanded balance per currency, in minor units (absent: any positive amount).
    min_balance: Mapping[str, int] = field(default_factory=dict)

    def stage_index(self, recorded: str) -> int | None:
        """The ladder index a recorded stage stands for: its name, else the first stage of
        that category (a manual ``letter --stage firm`` counts as the policy's firm stage)."""
        for index, stage in enumerate(self.stages):
            if stage.name == recorded:
                return index
        for index, stage in enumerate(self.stages):
            if stage.category == recorded:
                return index
        return None


@dataclass(frozen=True)
class Rule:
    """``[[assign]]``: the first rule whose every given test matches an account wins."""

    section: str | None
    manual_only: bool = False
    kind: str | None = None
    currency: str | None = None
    customers: frozenset[str] | None = None

    def matches(self, customer_id: str, kind: str, currency: str) -> bool:
        """True when every test this rule sets holds for the account."""
        if self.kind is not None and self.kind != kind:
            return False
        if self.currency is not None and self.currency != currency:
            return False
        return self.customers is None or customer_id in self.customers


@dataclass(frozen=True)
class Policy:
    """A whole policy file."""

    sections: Mapping[str, Section]
    default: str
    rules: tuple[Rule, ...] = ()
    manual_only: frozenset[str] = frozenset()
    start_on: date | None = None
    max_letters_per_run: int = 50

    def assign(self, customer_id: str, kind: str, currency: str) -> tuple[Section | None, str]:
        """The section for an account and the rule that chose it (``None``: manual only)."""
        if customer_id in self.manual_only:
            return None, "manual_only"
        for number, rule in enumerate(self.rules, start=1):
            if rule.matches(customer_id, kind, currency):
                if rule.manual_only:
                    return None, f"assign[{number}]"
                assert rule.section is not None
                return self.sections[rule.section], f"assign[{number}]"
        return self.sections[self.default], "default"


def _did_you_mean(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Reader:
    def __init__(self, file: str, channels: Sequence[str] | None = None) -> None:
        self.file = file
        #: The letter channels a stage may name (None: not checked).
        self.channels = channels

    def error(self, key: str, why: str) -> PolicyError:
        return PolicyError(
            f"{self.file}:{key}: {why}", hint="See docs/dunning.md for every policy key."
        )

    def check_keys(self, table: Mapping[str, Any], known: Sequence[str], where: str) -> None:
        for key in table:
            if key not in known:
                prefix = f"{where}." if where else ""
                raise self.error(
                    f"{prefix}{key}",
                    f"unknown key{_did_you_mean(key, known)}; known keys: {', '.join(known)}",
                )

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table")
        return value

    def integer(self, value: Any, key: str, minimum: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(key, f"must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}")
        return value

    def text(self, value: Any, key: str, choices: Sequence[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {value!r}")
        if choices is not None and value not in choices:
            raise self.error(
                key,
                f"{value!r} is not one of {', '.join(choices)}{_did_you_mean(value, choices)}",
            )
        return value

    def ids(self, value: Any, key: str) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, 'must be a list of customer ids, like ["C1", "C2"]')
        return frozenset(value)

    def currency(self, value: Any, key: str) -> str:
        code = self.text(value, key)
        try:
            exponent(code.upper())
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        return code.upper()


def _stage(read: _Reader, raw: Any, key: str, channel: str) -> Stage:
    table = read.table(raw, key)
    read.check_keys(table, _STAGE_KEYS, key)
    for required in ("category", "offset_days"):
        if required not in table:
            raise read.error(f"{key}.{required}", "is required")
    category = read.text(table["category"], f"{key}.category", CATEGORIES)
    name = read.text(table.get("name", category), f"{key}.name")
    offset = read.integer(table["offset_days"], f"{key}.offset_days")
    if offset < 0 and category != "courtesy":
        raise read.error(
            f"{key}.offset_days",
            f"{offset} is before the due date: only a courtesy stage may be sent early",
        )
    return Stage(
        name=name,
        category=category,
        template=read.text(table.get("template", name), f"{key}.template"),
        channel=read.text(table.get("channel", channel), f"{key}.channel", read.channels)
        if "channel" in table
        else channel,
        offset_days=offset,
    )


def _section(read: _Reader, name: str, raw: Any) -> Section:
    key = f"sections.{name}"
    table = read.table(raw, key)
    read.check_keys(table, _SECTION_KEYS, key)
    channel = read.text(table.get("channel", "email"), f"{key}.channel", read.channels)
    raw_stages = table.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise read.error(f"{key}.stages", "needs at least one [[sections.NAME.stages]] table")
    stages = tuple(
        _stage(read, item, f"{key}.stages[{n}]", channel) for n, item in enumerate(raw_stages, 1)
    )
    for n in range(1, len(stages)):
        before, stage = stages[n - 1], stages[n]
        where = f"{key}.stages[{n + 1}]"
        if stage.offset_days <= before.offset_days:
            raise read.error(
                f"{where}.offset_days",
                f"{stage.offset_days} must be later than the stage before it "
                f"({before.name}, {before.offset_days}): stages go in ladder order",
            )
        if CATEGORIES.index(stage.category) < CATEGORIES.index(before.category):
            raise read.error(
                f"{where}.category",
                f"{stage.category!r} comes after {before.category!r}: a ladder never softens",
            )
    names = [stage.name for stage in stages]
    for name_ in names:
        if names.count(name_) > 1:
            raise read.error(f"{key}.stages", f"stage name {name_!r} is used twice")
    repeat = table.get("repeat_every_days")
    repeat_days = None if repeat is None else read.integer(repeat, f"{key}.repeat_every_days", 1)
    max_repeats = read.integer(table.get("max_repeats", 0), f"{key}.max_repeats", 0)
    if max_repeats and repeat_days is None:
        raise read.error(f"{key}.max_repeats", "needs repeat_every_days as well")
    minimums: dict[str, int] = {}
    for code, amount in read.table(table.get("min_balance", {}), f"{key}.min_balance").items():
        where = f"{key}.min_balance.{code}"
        currency = read.currency(code, where)
        if not isinstance(amount, str | int) or isinstance(amount, bool):
            raise read.error(
                where, f'must be an amount written as a string, like "25.00", not {amount!r}'
            )
        try:
            minimums[currency] = parse_amount(str(amount), currency)
        except MoneyError as exc:
            raise read.error(where, str(exc)) from None
    fallback = table.get("fallback_channel")
    return Section(
        name=name,
        stages=stages,
        catch_up=read.text(table.get("catch_up", "next"), f"{key}.catch_up", CATCH_UP),
        min_gap_days=read.integer(table.get("min_gap_days", 7), f"{key}.min_gap_days", 0),
        fallback_channel=None
        if fallback is None
        else read.text(fallback, f"{key}.fallback_channel", read.channels),
        repeat_every_days=repeat_days,
        max_repeats=max_repeats,
        min_balance=minimums,
    )


def _rule(read: _Reader, raw: Any, key: str, sections: Mapping[str, Section]) -> Rule:
    table = read.table(raw, key)
    read.check_keys(table, _RULE_KEYS, key)
    manual = table.get("manual_only", False)
    if not isinstance(manual, bool):
        raise read.error(f"{key}.manual_only", f"must be true or false, not {manual!r}")
    section = table.get("section")
    if manual and section is not None:
        raise read.error(key, "give either section or manual_only = true, not both")
    if not manual:
        if section is None:
            raise read.error(f"{key}.section", "is required (or manual_only = true)")
        section = read.text(section, f"{key}.section")
        if section not in sections:
            raise read.error(
                f"{key}.section",
                f"no [sections.{section}]{_did_you_mean(section, list(sections))}",
            )
    tests = [name for name in ("kind", "currency", "customers") if name in table]
    if not tests:
        raise read.error(key, "needs at least one of kind, currency, customers")
    return Rule(
        section=section,
        manual_only=manual,
        kind=read.text(table["kind"], f"{key}.kind", KINDS) if "kind" in table else None,
        currency=read.currency(table["currency"], f"{key}.currency")
        if "currency" in table
        else None,
        customers=read.ids(table["customers"], f"{key}.customers")
        if "customers" in table
        else None,
    )


def parse_policy(
    data: Mapping[str, Any], file: str, channels: Sequence[str] | None = None
) -> Policy:
    """Validate a parsed policy document; ``file`` is named in every error. ``channels``: the
    letter channels installed (``email``, ``file``, ``stdout`` and plugins'), which every
    ``channel`` and ``fallback_channel`` must name (None: not checked)."""
    read = _Reader(file, sorted(channels) if channels is not None else None)
    read.check_keys(data, _TOP_KEYS, "")
    raw_sections = read.table(data.get("sections", {}), "sections")
    if not raw_sections:
        raise read.error("sections", "the policy needs at least one [sections.NAME] table")
    sections = {name: _section(read, name, raw) for name, raw in raw_sections.items()}
    if "default" in data:
        default = read.text(data["default"], "default")
        if default not in sections:
            raise read.error(
                "default", f"no [sections.{default}]{_did_you_mean(default, list(sections))}"
            )
    elif len(sections) == 1:
        default = next(iter(sections))
    else:
        raise read.error("default", "is required when the policy has more than one section")
    raw_rules = data.get("assign", [])
    if not isinstance(raw_rules, list):
        raise read.error("assign", "must be a list of [[assign]] tables")
    rules = tuple(_rule(read, raw, f"assign[{n}]", sections) for n, raw in enumerate(raw_rules, 1))
    start_on = data.get("start_on")
    if start_on is not None and (not isinstance(start_on, date) or hasattr(start_on, "hour")):
        raise read.error("start_on", f"must be a TOML date like 2026-01-01, not {start_on!r}")
    return Policy(
        sections=sections,
        default=default,
        rules=rules,
        manual_only=read.ids(data.get("manual_only", []), "manual_only"),
        start_on=start_on,
        max_letters_per_run=read.integer(
            data.get("max_letters_per_run", 50), "max_letters_per_run", 1
        ),
    )
