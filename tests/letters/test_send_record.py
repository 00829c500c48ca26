"""The send record on a real SQLite ledger: claims are unique, states move only forward,
cancelled claims are released, and the bulk readers answer what dunning needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collectctl.ledger import letters as record
from collectctl.ledger.connection import Ledger
from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
from collectctl.letters import send
from collectctl.letters.channel import Channel, ChannelContext, Delivery, RenderedLetter

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def ledger(open_ledger):
    """A fresh ledger on this test's backend (closed by ``open_ledger``)."""
    return open_ledger()


def request(*invoices: tuple[str, str, int], run: str | None = None) -> ClaimRequest:
    return ClaimRequest(
        customer=("csv", "C1"),
        currency="GBP",
        stage=invoices[0][1],
        language="en",
        channel="file",
        letter_date=date(2026, 12, 1),
        invoices=tuple(
            ClaimInvoice(ext, ext.upper(), 1000, 20, st, seq) for ext, st, seq in invoices
        ),
        run=run,
        total=1000 * len(invoices),
    )


def test_a_claim_is_unique_per_invoice_stage_and_seq(ledger: Ledger) -> None:
    first = send.claim(ledger, request(("i1", "reminder", 1)), now=NOW, message_domain="x.test")
    assert first is not None
    assert first.ref == "LTR-1"
    assert first.status == "claimed"
    assert first.message_id.startswith("<LTR-1.")
    assert first.message_id.endswith("@x.test>")
    # The same (invoice, stage, seq) again, even with another invoice beside it: nothing claimed.
    again = send.claim(
        ledger, request(("i2", "reminder", 1), ("i1", "reminder", 1)), now=NOW, message_domain="x"
    )
    assert again is None
    assert [letter.ref for letter in record.list_letters(ledger.conn)] == ["LTR-1"]
    # The next stage, or a repeat, is a new claim.
    assert send.claim(ledger, request(("i1", "firm", 1)), now=NOW, message_domain="x") is not None
    assert send.claim(ledger, request(("i1", "reminder", 2)), now=NOW, message_domain="x")


def test_recheck_runs_inside_the_claim_and_may_drop_or_refuse(ledger: Ledger) -> None:
    def drop_paid(conn, req):
        assert conn.in_transaction
        return ClaimRequest(**{**_fields(req), "invoices": req.invoices[:1]})

    letter = send.claim(
        ledger,
        request(("i1", "reminder", 1), ("i2", "reminder", 1)),
        now=NOW,
        message_domain="x",
        recheck=drop_paid,
    )
    assert letter is not None
    assert [i.invoice_ext for i in letter.invoices] == ["i1"]
    refused = send.claim(
        ledger,
        request(("i3", "reminder", 1)),
        now=NOW,
        message_domain="x",
        recheck=lambda c, r: None,
    )
    assert refused is None
    assert "i3" not in {k[1] for k in record.ladder_history(ledger.conn)}


def _fields(req: ClaimRequest) -> dict:
    return {name: getattr(req, name) for name in req.__dataclass_fields__}


def _rendered(letter) -> RenderedLetter:
    return RenderedLetter(
        ref=letter.ref,
        kind="letter",
        stage=letter.stage,
        language="en",
        letter_date=letter.letter_date,
        customer_id="C1",
        customer_name="Łódź Ltd",
        subject="Reminder",
        format="txt",
        documents={"txt": b"hello"},
        message_id=letter.message_id,
    )


def test_states_move_forward_and_failed_is_retried_with_the_same_message_id(ledger: Ledger) -> None:
    letter = send.claim(ledger, request(("i1", "reminder", 1)), now=NOW, message_domain="x")
    assert letter is not None
    ctx = ChannelContext(settings={}, environ={}, profile_dir=Path("."))
    failing = Channel("flaky", lambda r, c: Delivery(status="failed", error="421 try later"))
    result = send.deliver(ledger, letter, _rendered(letter), failing, ctx, now=lambda: NOW)
    assert result.status == "failed"
    due = record.retries_due(ledger.conn, max_attempts=3)
    assert [(d.ref, d.attempts, d.last_error) for d in due] == [("LTR-1", 1, "421 try later")]
    seen: list[str | None] = []

    def ok(r: RenderedLetter, c: ChannelContext) -> Delivery:
        seen.append(r.message_id)
        return Delivery(status="sent", at="2026-12-01T09:31:00+00:00")

    send.deliver(ledger, due[0], _rendered(due[0]), Channel("ok", ok), ctx, now=lambda: NOW)
    final = record.get_letter(ledger.conn, 1)
    assert (final.status, final.attempts, final.sent_at) == ("sent", 2, "2026-12-01T09:31:00+00:00")
    assert seen == [letter.message_id]
    assert final.content_sha256
    assert len(final.content_sha256) == 64
    with pytest.raises(record.TransitionError, match="LTR-1 is sent"), ledger.write() as conn:
        record.cancel(conn, 1, at="t", reason="late")
    assert record.retries_due(ledger.conn, max_attempts=3) == []
    assert record.last_stages(ledger.conn) == {("csv", "C1", "GBP"): "reminder"}


def test_a_channel_exception_is_failed_and_uncertain_is_never_retried(ledger: Ledger) -> None:
    ctx = ChannelContext(settings={}, environ={}, profile_dir=Path("."))
    a = send.claim(ledger, request(("i1", "reminder", 1)), now=NOW, message_domain="x")
    b = send.claim(ledger, request(("i2", "reminder", 1)), now=NOW, message_domain="x")
    assert a
    assert b

    def boom(r, c):
        raise OSError("disk full")

    assert (
        send.deliver(ledger, a, _rendered(a), Channel("b", boom), ctx).error == "OSError: disk full"
    )
    lost = Channel("l", lambda r, c: Delivery(status="uncertain", error="timeout after DATA"))
    send.deliver(ledger, b, _rendered(b), lost, ctx)
    assert [d.ref for d in record.retries_due(ledger.conn, max_attempts=5)] == ["LTR-1"]
    assert record.get_letter(ledger.conn, 2).status == "uncertain"
    # uncertain keeps its claim: the same invoice/stage cannot be claimed again
    assert send.claim(ledger, request(("i2", "reminder", 1)), now=NOW, message_domain="x") is None


def test_cancel_releases_claims_and_keeps_the_record(ledger: Ledger) -> None:
    letter = send.claim(
        ledger, request(("i1", "final", 1), ("i2", "final", 1)), now=NOW, message_domain="x"
    )
    assert letter is not None
    cancelled = send.recheck_claimed(
        ledger, letter, lambda c, r: None, now=NOW, request=request(("i1", "final", 1))
    )
    assert cancelled is None
    shown = record.get_letter(ledger.conn, letter.id)
    assert shown.status == "cancelled"
    assert shown.cancel_reason == "nothing left to demand"
    assert [i.invoice_ext for i in shown.invoices] == ["i1", "i2"]  # from the released rows
    assert record.ladder_history(ledger.conn) == {}
    assert send.claim(ledger, request(("i1", "final", 1)), now=NOW, message_domain="x") is not None


def test_bulk_readers(ledger: Ledger) -> None:
    send.claim(
        ledger, request(("i1", "reminder", 1), ("i2", "reminder", 1)), now=NOW, message_domain="x"
    )
    send.claim(ledger, request(("i1", "firm", 1)), now=NOW, message_domain="x")
    history = record.ladder_history(ledger.conn)
    assert [(s.stage, s.seq, s.letter) for s in history[("csv", "i1")]] == [
        ("reminder", 1, 1),
        ("firm", 1, 2),
    ]
    assert [(s.stage, s.letter) for s in history[("csv", "i2")]] == [("reminder", 1)]
    last = record.last_letters(ledger.conn)[("csv", "C1", "GBP")]
    assert (last.letter, last.stage, last.letter_date) == (2, "firm", date(2026, 12, 1))


def test_overrides_survive_and_merge(ledger: Ledger) -> None:
    with ledger.write() as conn:
        record.set_override(conn, ("qbo", "7"), {"kind": "consumer", "language": "de"}, at="t1")
        record.set_override(
            conn, ("qbo", "7"), {"timezone": "Europe/Berlin", "language": ""}, at="t2"
        )
    got = record.override_for(ledger.conn, ("qbo", "7"))
    assert (got.kind, got.language, got.timezone, got.updated_at) == (
        "consumer",
        None,
        "Europe/Berlin",
        "t2",
    )
    assert set(record.overrides(ledger.conn)) == {("qbo", "7")}


def test_a_letter_keeps_the_order_of_its_invoices_and_recipients(ledger: Ledger) -> None:
    """The order is the ``position`` column, not the rows' physical order: moving the first
    row to the end (an update on PostgreSQL, a new rowid on SQLite) changes nothing."""
    letter = send.claim(
        ledger,
        request(("i9", "firm", 1), ("i2", "firm", 1), ("i5", "firm", 1), ("i1", "firm", 1)),
        now=NOW,
        message_domain="x",
    )
    assert letter is not None
    with ledger.write() as conn:
        record.set_recipients(
            conn,
            letter.id,
            [
                record.Recipient("z@x.test", "to", "accepted"),
                record.Recipient("a@x.test", "cc", "accepted"),
                record.Recipient("m@x.test", "bcc", "refused", "550 no such mailbox"),
            ],
        )
        # SQLite: a new rowid; PostgreSQL: a new row version (ctid order would put it last)
        move = "rowid = rowid + 1000" if ledger.dialect == "sqlite" else "number = number"
        conn.execute(f"UPDATE letter_invoices SET {move} WHERE invoice_ext = 'i9'")
        conn.execute(
            f"UPDATE letter_recipients SET {move.replace('number', 'kind')} "
            "WHERE address = 'z@x.test'"
        )
    shown = record.get_letter(ledger.conn, letter.id)
    assert [i.invoice_ext for i in shown.invoices] == ["i9", "i2", "i5", "i1"]
    assert [r.address for r in shown.recipients] == ["z@x.test", "a@x.test", "m@x.test"]
    with ledger.write() as conn:
        record.drop_invoices(conn, letter.id, ["i2"])
    # the claims still held first, then the released one
    shown = record.get_letter(ledger.conn, letter.id)
    assert [i.invoice_ext for i in shown.invoices] == ["i9", "i5", "i1", "i2"]
    with ledger.write() as conn:
        record.cancel(conn, letter.id, at="t", reason="test")
    # every claim released: the letter's own order again
    shown = record.get_letter(ledger.conn, letter.id)
    assert [i.invoice_ext for i in shown.invoices] == ["i9", "i2", "i5", "i1"]
    assert [li.invoices[0].invoice_ext for li in record.list_letters(ledger.conn)] == ["i9"]


def test_migration_11_keeps_the_order_existing_rows_were_read_in(
    open_ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collectctl.ledger import connection, schema

    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS[:10])
    monkeypatch.setattr(connection, "LATEST", 10)
    monkeypatch.setattr(schema, "LATEST", 10)
    old = open_ledger()
    assert old.version == 10
    with old.write() as conn:
        for letter, ext in [(1, "a"), (2, "x"), (1, "c"), (1, "b"), (2, "y"), (3, "r")]:
            table = "letter_invoices_released" if letter == 3 else "letter_invoices"
            conn.execute(
                f"INSERT INTO {table} (letter, source, invoice_ext, number, balance, days, "
                "stage, seq) VALUES (?, 'csv', ?, ?, 100, 10, 'firm', 1)",
                (letter, ext, ext.upper()),
            )
        for address in ("z@x.test", "a@x.test"):
            conn.execute(
                "INSERT INTO letter_recipients (letter, address, kind, status) "
                "VALUES (1, ?, 'to', 'accepted')",
                (address,),
            )
    old.close()
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(connection, "LATEST", len(schema.MIGRATIONS))
    monkeypatch.setattr(schema, "LATEST", len(schema.MIGRATIONS))
    new = open_ledger()
    assert new.version == len(schema.MIGRATIONS)
    rows = new.conn.execute(
        "SELECT letter, invoice_ext, position FROM letter_invoices ORDER BY letter, position"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (1, "a", 1),
        (1, "c", 2),
        (1, "b", 3),
        (2, "x", 1),
        (2, "y", 2),
    ]
    released = new.conn.execute("SELECT invoice_ext, position FROM letter_invoices_released")
    assert [tuple(r) for r in released] == [("r", 1)]
    recipients = new.conn.execute(
        "SELECT address, position FROM letter_recipients ORDER BY position"
    ).fetchall()
    assert [tuple(r) for r in recipients] == [("z@x.test", 1), ("a@x.test", 2)]
