"""Payment insight in ``account show`` and ``account list --insight``, worked out by hand.

Books of ``test_forecast_cmd`` (A pays 10 days late; OPEN1 is expected on 10 July) and T, who
paid three invoices on their due dates in early 2025 and the three of February–April 2026
exactly 30 days late.
"""

from __future__ import annotations

import pytest
from core_helpers import cust, inv, pay, run_json
from test_forecast_cmd import AS_OF, base_books, promise, sync

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def turning_books():
    records = [cust("T", "Teasel Ltd", currency="USD")]
    older = [
        ("2025-02-01", "2025-02-01"),
        ("2025-03-01", "2025-03-01"),
        ("2025-04-01", "2025-04-01"),
    ]
    recent = [
        ("2026-02-01", "2026-03-03"),
        ("2026-03-01", "2026-03-31"),
        ("2026-04-01", "2026-05-01"),
    ]
    for n, (due, paid) in enumerate(older + recent, start=1):
        records.append(
            inv(f"T{n}", "T", "2025-01-01" if n <= 3 else "2026-01-01", "100.00", due=due)
        )
        records.append(pay(f"PT{n}", "T", paid, "100.00", f"T{n}"))
    return records


def test_show_and_list_insight(cli, books):
    """A: typical 10 days late (all its money in the 7..13 bin: ceil(0.5 × 7) − 1 + 7), no
    recent payments so no trend, one promise kept of one, next payment on OPEN1's 10 July."""
    sync(cli, books, base_books())
    assert promise(cli, "100", "2025-06-10", "2025-06-01").exit_code == 0
    doc = run_json(cli, "account", "show", "A", "--as-of", AS_OF)
    assert doc["insight"] == {
        "typical_days_late": 10,
        "trend": None,
        "promise_keeping": 1.0,
        "promises_resolved": 1,
        "next_payment": {"USD": "2026-07-10"},
    }
    plain = run_json(cli, "account", "list", "--as-of", AS_OF)
    assert "trend" not in plain["rows"][0]  # existing keys unchanged without --insight
    (row,) = run_json(cli, "account", "list", "--as-of", AS_OF, "--insight")["rows"]
    assert {k: row[k] for k in plain["rows"][0]} == plain["rows"][0]
    assert (row["typical_days_late"], row["trend"], row["promise_keeping"]) == (10, None, 1.0)
    assert row["next_payment"] == "2026-07-10"
    table = cli("account", "show", "A", "--as-of", AS_OF)
    assert "pays: typically 10 days late; promises kept 100% of 1" in table.stdout


def test_trend_worse_and_recency(cli, books):
    """T's payments of the last 180 days: three at delay 30 (bin 28..34, median 31); older:
    three at delay 0 (median 3): 31 − 3 = 28 ≥ 7 → worse. Typical days late, recency-weighted
    (half-life 365 days): older weights 0.5^(514/365) + 0.5^(486/365) + 0.5^(455/365) = 1.1956,
    recent 0.5^(119/365) + 0.5^(91/365) + 0.5^(60/365) = 2.5313 (the profile is T alone, so
    shrinkage keeps the proportions): bin 8 = 0.3208, bin 12 = 0.6792; the median (0.5 − 0.3208)
    ÷ 0.6792 × 7 = 1.85 → day 1 of bin 12 → 29 days late."""
    sync(cli, books, turning_books())
    ins = run_json(cli, "account", "show", "T", "--as-of", AS_OF)["insight"]
    assert ins["trend"] == "worse"
    assert ins["typical_days_late"] == 29
    assert ins["promise_keeping"] is None
    assert ins["next_payment"] == {}
    # A year earlier only the on-time payments existed: no trend yet, typically 3 days late
    # (three equal payments in bin 8: ceil(0.5 × 7) − 1 = 3).
    before = run_json(cli, "account", "show", "T", "--as-of", "2025-06-30")["insight"]
    assert (before["trend"], before["typical_days_late"]) == (None, 3)


@pytest.mark.parametrize(
    ("recent", "older", "want"),
    [(31, 3, "worse"), (3, 31, "better"), (10, 5, "steady"), (None, 5, None)],
)
def test_trend_rule(recent, older, want):
    from collectctl.reports.forecast_insight import trend

    assert trend(recent, older) == want
