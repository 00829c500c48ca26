"""docs/dunning.md "One account over two months" is what the decision code does, day by day."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from collectctl.domain import dunning as d
from collectctl.dunning_policy_file import load_policy

ROOT = Path(__file__).resolve().parents[1]


def walk() -> list[str]:
    """Run the example policy's `standard` section every morning for two months."""
    policy, _sha = load_policy(ROOT / "examples" / "dunning.toml")
    sl101 = d.DunningInvoice("csv", "inv-101", "SL-101", date(2026, 3, 2), 120_000)
    sl102 = d.DunningInvoice("csv", "inv-102", "SL-102", date(2026, 3, 16), 45_000)
    missed = {date(2026, 3, 23) + timedelta(days=n) for n in range(7)}
    paid_on = date(2026, 4, 20)
    rungs: dict[tuple[str, str], list[d.Sent]] = {}
    last: dict[tuple[str, str, str], date] = {}
    out = []
    day = date(2026, 2, 25)
    while day <= date(2026, 4, 30):
        if day in missed:
            if day == min(missed):
                out.append(f"{day} (no run: the machine was off)")
            day += timedelta(days=1)
            continue
        invoices = (sl101, sl102) if day < paid_on else (sl102,)
        account = d.DunningAccount(
            "csv", "kestrel", "Kestrel Analytics Ltd", "business", "USD", invoices,
            email="ap@kestrel.example",
        )  # fmt: skip
        decision = d.decide(account, d.History(rungs, last), policy, day, d.Guards())
        if decision is not None and decision.sends:
            lines = ", ".join(
                f"{x.number} {x.stage}#{x.seq} ({x.days} days)" for x in decision.lines
            )
            out.append(
                f"{day} send {decision.stage}: {lines}; demanded {decision.demanded // 100}.00"
            )
            for x in decision.lines:
                rungs.setdefault(("csv", x.invoice_id), []).append(d.Sent(x.stage, x.seq, day))
            last[("csv", "kestrel", "USD")] = day
        elif decision is not None:
            out.append(
                f"{day} skip {decision.skip_reason}: {decision.detail} (stage {decision.stage})"
            )
        day += timedelta(days=1)
    return out


def test_the_documented_walk_is_what_the_code_decides():
    text = (ROOT / "docs" / "dunning.md").read_text(encoding="utf-8")
    section = text.split("## One account over two months", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).splitlines() == walk()


def test_the_walk_sends_each_stage_once_per_invoice():
    sends = [line for line in walk() if " send " in line]
    claims = [claim for line in sends for claim in re.findall(r"(SL-\d+ [a-z]+#\d)", line)]
    assert len(claims) == len(set(claims))
    assert "SL-101 final#2" not in " ".join(claims)  # paid before its repeat
