"""The date, amount and dialect readers used by presets and mappings, on plain values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from collectctl_csv.dates import ambiguity, parse_date, strip_currency
from collectctl_csv.dialect import detect
from collectctl_csv.formats import Settings, Values
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-12-31", None, date(2026, 12, 31)),
        ("2026-12-31T23:59:59Z", None, date(2026, 12, 31)),
        ("2026-12-31T10:00:00+05:30", None, date(2026, 12, 31)),
        ("2026-01-15 10:23", None, date(2026, 1, 15)),
        ("2026/01/15", None, date(2026, 1, 15)),
        ("31/12/2026", None, date(2026, 12, 31)),
        ("12/31/2026", None, date(2026, 12, 31)),
        ("03/04/2026", "dmy", date(2026, 4, 3)),
        ("03/04/2026", "mdy", date(2026, 3, 4)),
        ("04/04/2026", None, date(2026, 4, 4)),  # the same either way
        ("3-4-26", "dmy", date(2026, 4, 3)),
        ("31.12.2026", "mdy", date(2026, 12, 31)),  # dotted dates are day-first
        ("31 Dec 2026", None, date(2026, 12, 31)),
        ("31-Dec-26", None, date(2026, 12, 31)),
        ("Dec 31, 2026", None, date(2026, 12, 31)),
        ("September 5, 2026", None, date(2026, 9, 5)),
        ("46023", None, date(2026, 1, 1)),  # Excel serial: 1899-12-30 + 46023 days
        ("46023.0", None, date(2026, 1, 1)),
        ("03/04/2026", None, None),  # ambiguous without an order
        ("1234.56", None, None),
        ("tomorrow", None, None),
    ],
)
def test_parse_date(text, order, expected):
    assert parse_date(text, order) == expected


def test_impossible_dates_raise_and_ambiguity_explains():
    with pytest.raises(ValueError, match="out of range"):
        parse_date("31/02/2026", "dmy")
    message = ambiguity("03/04/2026")
    assert message is not None
    assert "day 3 of month 4, or month 3 day 4" in message
    assert ambiguity("13/04/2026") is None


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_excel_serials_count_days_from_1899_12_30(d):
    assert parse_date(str((d - date(1899, 12, 30)).days), None) == d


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€1,234.56", "1,234.56"),
        ("1 234,56 EUR", "1 234,56"),
        ("-$5.00", "-5.00"),
        ("USD 10.00", "10.00"),
        ("£ 7", "7"),
        ("12.00 usd", "12.00"),
    ],
)
def test_strip_currency(text, expected):
    assert strip_currency(text) == expected


@pytest.mark.parametrize(
    ("text", "settings", "expected"),
    [
        ("1.234,56", {"decimal_separator": ",", "thousands_separator": "."}, "1234.56"),
        (
            "1\u00a0234,56\u00a0€",
            {"decimal_separator": ",", "thousands_separator": " ", "strip_currency": True},
            "1234.56",
        ),
        ("$1,234.56", {"thousands_separator": ",", "strip_currency": True}, "1234.56"),
        ("(12.50)", {"strip_currency": True}, "-12.50"),
        ("1,23,456.00", {"thousands_separator": ","}, None),  # groups of three only
        ("€12", {}, None),  # symbols only when configured
        ("\u0661\u0662\u0663", {}, None),  # Arabic-Indic digits: not a plain decimal
        ("\uff11\uff12.\uff15\uff10", {}, None),  # full-width digits
        ("1\u0662,50", {"decimal_separator": ","}, None),
    ],
)
def test_amounts(text, settings, expected):
    got = Values(Settings.from_config(settings, {})).amount(text)
    assert got == (Decimal(expected) if expected is not None else None)


def test_dialect_detection(tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text('Nr;"Kunde; GmbH";Betrag\n1;A;2,00\n', encoding="utf-8-sig")
    d = detect(semi, None, None)
    assert (d.encoding, d.delimiter, d.bom) == ("utf-8", ";", "UTF-8")
    excel = tmp_path / "sep.csv"
    excel.write_text("sep=;\na;b\n1;2\n")
    d = detect(excel, None, None)
    assert (d.delimiter, d.skip_sep_line) == (";", True)
    tabs = tmp_path / "tabs.txt"
    tabs.write_bytes("a\tb\tc,d\n".encode("utf-16-le"))  # no byte order mark
    d = detect(tabs, None, None)
    assert (d.encoding, d.delimiter) == ("utf-16-le", "\t")
    assert detect(semi, "cp1252", ",").delimiter == ","  # configured wins


def test_days_in_the_fixtures_docstring_are_right():
    # preset_fixtures.py works days out by hand; check the arithmetic it relies on.
    d = date(2026, 11, 30)
    assert [(d - date(2026, m, day)).days for m, day in ((10, 1), (9, 14), (8, 1), (6, 30))] == [
        60,
        77,
        121,
        153,
    ]
    assert date(1899, 12, 30) + timedelta(days=46266) == date(2026, 9, 1)


@settings(deadline=None, max_examples=60)
@given(
    total=st.integers(min_value=1, max_value=10**9),
    paid_pct=st.integers(min_value=0, max_value=100),
    status=st.sampled_from(["open", "paid", "uncollectible"]),
    columns=st.sampled_from(["paid", "balance", "both"]),
)
def test_invoice_list_allocations_explain_the_balance(
    tmp_path_factory, total, paid_pct, status, columns
):
    """Whatever the export gives, allocations + what stays open == the invoice total."""
    from collectctl_csv.plugin import read

    from collectctl.records import Allocation, Invoice, SyncRequest

    paid = total * paid_pct // 100
    cents = lambda units: f"{units // 100}.{units % 100:02d}"  # noqa: E731
    header = {
        "paid": "Amount Paid",
        "balance": "Amount Remaining",
        "both": "Amount Paid,Amount Remaining",
    }
    values = {
        "paid": cents(paid),
        "balance": cents(total - paid),
        "both": f"{cents(paid)},{cents(total - paid)}",
    }
    path = tmp_path_factory.mktemp("list") / "invoices.csv"
    path.write_text(
        f"id,Customer,Date (UTC),Total,{header[columns]},Status\n"
        f"in_1,cus_1,2026-11-01 10:00,{cents(total)},{values[columns]},{status}\n"
    )
    records = list(read(SyncRequest(options={"dir": path, "preset": "stripe"})).records)
    (invoice,) = [r for r in records if isinstance(r, Invoice)]
    allocations = [r for r in records if isinstance(r, Allocation)]
    settled = sum((a.amount for a in allocations), Decimal(0))
    open_after = Decimal(total - paid) / 100 if status != "uncollectible" else Decimal(0)
    assert invoice.amount == Decimal(total) / 100
    assert settled + open_after == invoice.amount
    assert (
        all(a.kind == "payment" for a in allocations if status != "uncollectible") or paid == total
    )


@pytest.mark.parametrize(
    ("text", "settings"),
    [
        ("\u0663\u0661/12/2026", {"date_format": "%d/%m/%Y"}),  # strptime's %d takes any digit
        ("31/12/\uff12\uff10\uff12\uff16", {"date_format": "%d/%m/%Y"}),
        ("\u0662\u0660\u0662\u0666-12-31", {"flexible_dates": True}),
        ("\u0662\u0660\u0662\u0666-12-31", {}),
    ],
)
def test_dates_in_other_scripts_digits_are_not_dates(text, settings):
    values = Values(Settings.from_config(settings, {}))
    assert values.date(text) is None
    assert values.date(text.translate(_TO_ASCII)) == date(2026, 12, 31)


_TO_ASCII = {
    ord(c): str(i % 10)
    for i, c in enumerate(
        "\u0660\u0661\u0662\u0663\u0664"
        "\u0665\u0666\u0667\u0668\u0669\uff10\uff11\uff12\uff13\uff14\uff15\uff16"
        "\uff17\uff18\uff19"
    )
}
