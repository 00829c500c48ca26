"""Pure rules behind `collectctl account`: promise evaluation, stages, holds, the text PDF."""

from __future__ import annotations

import re
from datetime import date

import pytest

from collectctl.domain.accounts import (
    AccountFlags,
    chaseable,
    derive_stage,
    dispute_open,
    flag_names,
    hold_active,
    skip_reasons,
)
from collectctl.domain.promises import evaluate_promise

D = date.fromisoformat
MADE, BY = D("2026-12-01"), D("2026-12-10")


def outcome(payments, as_of, grace=0, amount=10000):
    return evaluate_promise(amount, MADE, BY, [(D(d), a) for d, a in payments], D(as_of), grace)


def test_open_before_the_deadline_even_when_nothing_paid():
    out = outcome([], "2026-12-10")
    assert (out.status, out.paid, out.remaining) == ("open", 0, 10000)


def test_broken_the_day_after_the_date():
    assert outcome([], "2026-12-11").status == "broken"


def test_payment_exactly_on_the_date_keeps_it():
    out = outcome([("2026-12-10", 10000)], "2026-12-31")
    assert (out.status, out.kept_on) == ("kept", D("2026-12-10"))


def test_payment_a_day_late_does_not_count_without_grace():
    assert outcome([("2026-12-11", 10000)], "2026-12-31").status == "broken"


def test_grace_days_move_the_deadline_inclusive():
    assert outcome([("2026-12-13", 10000)], "2026-12-31", grace=3).status == "kept"
    assert outcome([("2026-12-14", 10000)], "2026-12-31", grace=3).status == "broken"
    assert outcome([], "2026-12-13", grace=3).status == "open"
    assert outcome([], "2026-12-14", grace=3).status == "broken"


def test_payments_before_the_promise_never_count():
    assert outcome([("2026-11-30", 10000)], "2026-12-31").status == "broken"
    assert outcome([("2026-12-01", 10000)], "2026-12-31").status == "kept"


def test_partial_and_several_payments():
    out = outcome([("2026-12-02", 4000)], "2026-12-11")
    assert (out.status, out.paid, out.remaining) == ("partial", 4000, 6000)
    assert out.is_broken
    kept = outcome([("2026-12-02", 4000), ("2026-12-09", 6000)], "2026-12-11")
    assert (kept.status, kept.kept_on) == ("kept", D("2026-12-09"))
    # Overpaying is kept, remaining never negative.
    assert outcome([("2026-12-02", 12000)], "2026-12-05").remaining == 0


def test_as_of_reconstructs_the_past():
    # Paid on the 9th, but as of the 8th it was still open with nothing in.
    out = outcome([("2026-12-09", 10000)], "2026-12-08")
    assert (out.status, out.paid) == ("open", 0)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="above zero"):
        evaluate_promise(0, MADE, BY, [], MADE)
    with pytest.raises(ValueError, match="negative"):
        evaluate_promise(1, MADE, BY, [], MADE, -1)


@pytest.mark.parametrize(
    ("flags", "stage"),
    [
        (AccountFlags(), "current"),
        (AccountFlags(overdue=True), "overdue"),
        (AccountFlags(overdue=True, promise_open=True), "promised"),
        (AccountFlags(overdue=True, promise_open=True, active_plans=1), "plan"),
        (AccountFlags(promise_open=True, open_disputes=2), "disputed"),
        (AccountFlags(open_disputes=1, on_hold=True), "on-hold"),
        (AccountFlags(on_hold=True, escalated=True), "escalated"),
        (AccountFlags(overdue=True, promise_broken=True), "overdue"),
    ],
)
def test_stage_is_first_match(flags, stage):
    assert derive_stage(flags) == stage


def test_flags_and_skip_reasons():
    flags = AccountFlags(overdue=True, on_hold=True, open_disputes=1, promise_broken=True)
    assert flag_names(flags) == ["hold", "dispute", "promise-broken"]
    assert skip_reasons(flags) == ["on hold"]
    assert skip_reasons(AccountFlags(promise_open=True, escalated=True)) == [
        "escalated",
        "promise to pay not yet due",
    ]
    assert skip_reasons(AccountFlags(overdue=True, promise_broken=True)) == []
    assert chaseable(["I1", "I2", "I3"], {"I2"}) == ["I1", "I3"]


def test_hold_expires_by_itself_and_ends_on_release():
    start, until = D("2026-12-01"), D("2026-12-15")
    assert not hold_active(start, until, None, D("2026-11-30"))
    assert hold_active(start, until, None, D("2026-12-01"))
    assert hold_active(start, until, None, D("2026-12-15"))
    assert not hold_active(start, until, None, D("2026-12-16"))
    assert hold_active(start, None, None, D("2030-01-01"))
    assert hold_active(start, None, D("2026-12-05"), D("2026-12-04"))
    assert not hold_active(start, None, D("2026-12-05"), D("2026-12-05"))


def test_dispute_open_until_resolved():
    assert not dispute_open(D("2026-12-01"), None, D("2026-11-30"))
    assert dispute_open(D("2026-12-01"), D("2026-12-05"), D("2026-12-04"))
    assert not dispute_open(D("2026-12-01"), D("2026-12-05"), D("2026-12-05"))


def test_text_pdf_is_well_formed():
    from collectctl import textpdf

    text = "\n".join(f"line {n} (Müller) \\ {'x' * (n % 150)}" for n in range(200))
    pdf = textpdf.render(text, title="T")
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    # Every xref offset points at its object.
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[xref:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[xref:])
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    lines = textpdf.wrap(text.splitlines())
    assert len(lines) > 200  # long lines were wrapped, not cut
    assert max(map(len, lines)) <= textpdf.CHARS_PER_LINE
    pages = -(-len(lines) // textpdf.LINES_PER_PAGE)
    assert b"/Count %d" % pages in pdf
    assert pages > 1
    assert "(line 7 \\(Müller\\) \\\\ xxxxxxx) Tj".encode("cp1252") in pdf
