"""collectctl account: every subcommand through the CLI, against the in-memory source."""

from __future__ import annotations

import json

import pytest
from core_helpers import cust, inv, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-11-30"
BOOKS = [
    cust("C1", "Acme Ltd", phone="+1 555 0100", terms_days=30),
    cust("C2", "Beta LLC"),
    cust("C3", "Gamma GmbH", currency="EUR", kind="consumer"),
    inv("I1", "C1", "2026-09-01", "100.00", due="2026-10-01", number="A-1"),
    inv("I2", "C1", "2026-11-01", "50.00", due="2026-12-01", number="A-2"),
    inv("I3", "C2", "2026-10-01", "300.00", due="2026-10-31"),
    inv("I4", "C3", "2026-08-01", "80.00", due="2026-08-31"),
    pay("P1", "C1", "2026-10-15", "20.00", "I1"),
]


def sync(cli, books, records=BOOKS):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr


def ok(cli, *args):
    result = cli("account", *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def show(cli, customer="C1", as_of=AS_OF):
    return run_json(cli, "account", "show", customer, "--as-of", as_of)


def listing(cli, *args, as_of=AS_OF):
    return run_json(cli, "account", "list", "--as-of", as_of, *args)["rows"]


def row_of(rows, customer):
    (row,) = [r for r in rows if r["customer_id"] == customer]
    return row


def record_counts(collectctl_home):
    from collectctl.app import App

    app = App()
    conn = app.ledger().conn
    try:
        return {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("contacts", "promises", "disputes", "holds", "escalations", "corrections")
        }
    finally:
        app.close()


@pytest.fixture
def synced(cli, books):
    sync(cli, books)
    return books


# -- list ------------------------------------------------------------------------------------


def test_list_rows_match_aging_and_show_stage(cli, synced):
    rows = listing(cli, "--sort", "name")
    assert [(r["customer_id"], r["currency"]) for r in rows] == [
        ("C1", "USD"),
        ("C2", "USD"),
        ("C3", "EUR"),
    ]
    acme = rows[0]
    assert acme["balance"] == "130.00"
    assert acme["overdue"] == "80.00"
    assert acme["oldest_days"] == 60
    assert acme["stage"] == "overdue"
    assert acme["flags"] == []
    aging = run_json(cli, "aging", "--as-of", AS_OF)
    assert {r["customer_id"]: r["total"] for r in aging["rows"]} == {
        r["customer_id"]: r["balance"] for r in rows
    }


def test_list_filters_and_sorts(cli, synced):
    assert [r["customer_id"] for r in listing(cli, "--sort", "days")] == ["C3", "C1", "C2"]
    assert [r["customer_id"] for r in listing(cli, "--currency", "EUR")] == ["C3"]
    assert [r["customer_id"] for r in listing(cli, "--min-balance", "200")] == ["C2"]
    ok(cli, "hold", "C2", "--reason", "vacation", "--as-of", AS_OF)
    assert [r["customer_id"] for r in listing(cli, "--stage", "on-hold")] == ["C2"]
    # As of Nov 1, C1's A-2 is not issued and I1 is 31 days overdue.
    early = listing(cli, "--overdue", as_of="2026-11-01")
    assert [r["customer_id"] for r in early if r["customer_id"] == "C1"] == ["C1"]
    csv_out = ok(cli, "list", "--as-of", AS_OF, "--format", "csv", "--sort", "name")
    assert csv_out.splitlines()[0] == (
        "customer_id,customer,currency,balance,overdue,oldest_days,stage,last_contact,"
        "next_action,flags"
    )
    assert "C2,Beta LLC,USD,300.00,300.00,30,on-hold,,,hold" in csv_out


def test_list_bad_input(cli, synced):
    assert cli("account", "list", "--as-of", "2026-13-01").exit_code == 2
    assert cli("account", "list", "--stage", "nope").exit_code == 2
    assert cli("account", "list", "--sort", "size").exit_code == 2


# -- log -------------------------------------------------------------------------------------


def test_log_contact_shows_in_list_and_timeline(cli, synced):
    out = ok(cli, "log", "C1", "--channel", "phone", "--outcome", "left-message",
             "--note", "voicemail", "--next", "2026-12-03", "--at", "2026-11-30 09:30")  # fmt: skip
    assert out.startswith("ACT-1: phone, left-message logged for Acme Ltd (C1).")
    row = row_of(listing(cli), "C1")
    assert (row["last_contact"], row["next_action"]) == ("2026-11-30", "2026-12-03")
    doc = show(cli)
    contact = [e for e in doc["activity"] if e["kind"] == "contact"]
    assert contact == [
        {
            "date": "2026-11-30",
            "at": contact[0]["at"],
            "kind": "contact",
            "ref": "ACT-1",
            "text": "phone, left-message: voicemail; next 2026-12-03",
            "void": False,
            "by": contact[0]["by"],
        }
    ]
    assert contact[0]["at"].startswith("2026-11-30T09:30")
    assert contact[0]["by"]  # who logged it (the OS user, or the database user on PostgreSQL)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["NOPE", "--channel", "phone", "--outcome", "spoke", "--note", "x"], 1, "no customer"),
        (["C1", "--channel", "fax", "--outcome", "spoke", "--note", "x"], 2, "fax"),
        (["C1", "--channel", "phone", "--outcome", "maybe", "--note", "x"], 2, "maybe"),
        (["C1", "--channel", "phone", "--outcome", "spoke", "--note", "x", "--next", "3/12/2026"],
         2, "YYYY-MM-DD"),
        (["C1", "--channel", "phone", "--outcome", "spoke", "--note", "x", "--at", "yesterday"],
         2, "date and time"),
        (["C1", "--channel", "phone", "--outcome", "spoke", "--note", "x",
          "--at", "2026-11-30 10:00", "--next", "2026-11-29"], 1, "in the past"),
    ],
)  # fmt: skip
def test_log_bad_input_writes_nothing(cli, synced, collectctl_home, args, code, message):
    result = cli("account", "log", *args)
    assert result.exit_code == code, result.stdout
    assert message in result.stderr
    assert record_counts(collectctl_home)["contacts"] == 0


# -- promises --------------------------------------------------------------------------------


def promise_of(cli, as_of, ref="PRM-1"):
    return next(p for p in show(cli, as_of=as_of)["promises"] if p["id"] == ref)


def test_promise_kept_on_the_date(cli, books, synced):
    out = ok(cli, "promise", "C1", "--amount", "80", "--by", "2026-12-05", "--as-of", AS_OF)
    assert out.startswith("PRM-1: Acme Ltd promised 80.00 USD by 2026-12-05.")
    row = row_of(listing(cli), "C1")
    assert (row["stage"], row["flags"], row["next_action"]) == (
        "promised",
        ["promise-open"],
        "2026-12-06",
    )
    sync(cli, books, [*BOOKS, pay("P2", "C1", "2026-12-05", "80.00", "I1")])
    p = promise_of(cli, "2026-12-20")
    assert (p["status"], p["paid"], p["remaining"], p["kept_on"]) == (
        "kept",
        "80.00",
        "0.00",
        "2026-12-05",
    )
    kinds = [e["kind"] for e in show(cli, as_of="2026-12-20")["activity"]]
    assert kinds.index("promise") < kinds.index("promise-kept")


def test_promise_broken_partial_and_grace(cli, books, synced, collectctl_home):
    ok(cli, "promise", "C1", "--amount", "80", "--by", "2026-12-05", "--as-of", AS_OF)
    sync(cli, books, [*BOOKS, pay("P2", "C1", "2026-12-06", "30.00", "I1")])
    assert promise_of(cli, "2026-12-05")["status"] == "open"
    assert promise_of(cli, "2026-12-06")["status"] == "broken"  # paid a day late
    row = row_of(listing(cli, as_of="2026-12-06"), "C1")
    assert row["flags"] == ["promise-broken"]
    assert row["stage"] == "overdue"
    # With two grace days the payment on the 6th counts: partly kept.
    config = collectctl_home / "profiles" / "default" / "config.toml"
    text = config.read_text()
    assert "[promises]\ngrace_days = 0\n" in text
    config.write_text(text.replace("[promises]\ngrace_days = 0\n", "[promises]\ngrace_days = 2\n"))
    assert promise_of(cli, "2026-12-07")["status"] == "open"
    p = promise_of(cli, "2026-12-08")
    assert (p["status"], p["paid"], p["remaining"], p["deadline"]) == (
        "partial",
        "30.00",
        "50.00",
        "2026-12-07",
    )
    config.write_text(config.read_text().replace("grace_days = 2", "grace_days = -1"))
    result = cli("account", "list")
    assert result.exit_code == 1
    assert "grace_days" in result.stderr


def test_promise_for_invoices_counts_only_their_payments(cli, books, synced):
    ok(cli, "promise", "C1", "--amount", "50", "--by", "2026-12-10", "--invoice", "A-2",
       "--as-of", AS_OF)  # fmt: skip
    sync(cli, books, [*BOOKS, pay("P2", "C1", "2026-12-02", "50.00", "I1")])
    p = promise_of(cli, "2026-12-20")
    assert p["status"] == "broken"
    assert p["invoices"] == [{"invoice_id": "I2", "number": "A-2", "missing": False}]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["NOPE", "--amount", "10", "--by", "2026-12-05"], 1, "no customer"),
        (["C1", "--amount", "10", "--by", "2026-12-05", "--invoice", "I9"], 1, "no invoice"),
        (["C1", "--amount", "10", "--by", "2026-12-05", "--invoice", "I3"], 1, "no invoice"),
        (["C1", "--amount", "10", "--by", "05/12/2026"], 2, "YYYY-MM-DD"),
        (["C1", "--amount", "10", "--by", "2026-11-29"], 1, "in the past"),
        (["C1", "--amount", "0", "--by", "2026-12-05"], 2, "above zero"),
        (["C1", "--amount", "-5", "--by", "2026-12-05"], 2, "above zero"),
        (["C1", "--amount", "1.005", "--by", "2026-12-05"], 1, "decimals"),
        (["C1", "--amount", "ten", "--by", "2026-12-05"], 2, "plain decimal"),
        (
            ["C1", "--amount", "10", "--by", "2026-12-05", "--invoice", "I1", "--currency", "EUR"],
            1,
            "invoice A-1 is in USD, the promise in EUR",
        ),
    ],
)
def test_promise_bad_input_writes_nothing(cli, synced, collectctl_home, args, code, message):
    result = cli("account", "promise", *args, "--as-of", AS_OF)
    assert result.exit_code == code, result.stdout
    assert message in result.stderr
    assert record_counts(collectctl_home)["promises"] == 0


def test_promise_today_is_fine_but_not_yesterday(cli, synced):
    assert cli("account", "promise", "C1", "--amount", "1", "--by", "today").exit_code == 0
    result = cli("account", "promise", "C1", "--amount", "1", "--by", "2000-01-01")
    assert result.exit_code == 1
    assert "before today" in result.stderr


# -- disputes --------------------------------------------------------------------------------


def test_dispute_flags_invoice_and_excludes_it_from_chasing(cli, synced, open_ledger):
    out = ok(cli, "dispute", "C1", "--invoice", "A-1", "--reason", "wrong-amount",
             "--note", "PO says 90", "--as-of", AS_OF)  # fmt: skip
    assert out.startswith("DSP-1: invoice A-1 of Acme Ltd disputed (wrong-amount).")
    doc = show(cli)
    assert doc["stage"] == "disputed"
    assert {i["number"]: i["disputed"] for i in doc["invoices"]} == {"A-1": "DSP-1", "A-2": None}
    assert doc["balances"][0]["disputed"] == "80.00"
    # Still in aging.
    aging = run_json(cli, "aging", "--as-of", AS_OF, "--by", "invoice")
    assert "I1" in {r["invoice_id"] for r in aging["rows"]}
    # The function the dunning issue uses.
    from datetime import date

    from collectctl.ledger.collection import open_disputes

    conn = open_ledger().conn

    assert open_disputes(conn, date(2026, 11, 30)) == {("memory", "I1"): "DSP-1"}
    assert open_disputes(conn, date(2026, 11, 29)) == {}
    ok(cli, "dispute", "C1", "--resolve", "DSP-1", "--note", "credit note", "--as-of", "2026-12-02")
    assert open_disputes(conn, date(2026, 12, 1)) == {("memory", "I1"): "DSP-1"}
    assert open_disputes(conn, date(2026, 12, 2)) == {}
    conn.close()
    twice = cli(
        "account", "dispute", "C1", "--invoice", "I1", "--reason", "other", "--as-of", AS_OF
    )
    assert twice.exit_code == 1
    assert "already disputed (DSP-1)" in twice.stderr
    resolved = show(cli, as_of="2026-12-02")
    assert resolved["disputes"][0]["status"] == "resolved"
    assert resolved["stage"] == "overdue"
    assert resolved["activity"][-1]["text"] == "dispute DSP-1 on A-1 resolved: credit note"
    again = cli("account", "dispute", "C1", "--resolve", "DSP-1")
    assert again.exit_code == 1
    assert "already resolved" in again.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["NOPE", "--invoice", "I1", "--reason", "quality"], 1, "no customer"),
        (["C1", "--invoice", "I9", "--reason", "quality"], 1, "no invoice"),
        (["C1", "--invoice", "I1", "--reason", "bored"], 2, "bored"),
        (["C1", "--invoice", "I1"], 2, "--reason"),
        (["C1", "--resolve", "DSP-7"], 1, "no record DSP-7"),
        (["C1", "--resolve", "HLD-1"], 1, "no record HLD-1"),
        (["C1", "--invoice", "I1", "--reason", "quality", "--as-of", "2026-02-30"], 2, "date"),
    ],
)
def test_dispute_bad_input_writes_nothing(cli, synced, collectctl_home, args, code, message):
    result = cli("account", "dispute", *args)
    assert result.exit_code == code, result.stdout
    assert message in result.stderr
    assert record_counts(collectctl_home)["disputes"] == 0


# -- holds -----------------------------------------------------------------------------------


def test_hold_expires_by_itself(cli, synced):
    out = ok(cli, "hold", "C2", "--until", "2026-12-10", "--reason", "restructuring",
             "--as-of", AS_OF)  # fmt: skip
    assert out.startswith("HLD-1: Beta LLC (C2) on hold from 2026-11-30 until 2026-12-10.")
    stage = {r["customer_id"]: r["stage"] for r in listing(cli, as_of="2026-12-10")}
    assert stage["C2"] == "on-hold"
    stage = {r["customer_id"]: r["stage"] for r in listing(cli, as_of="2026-12-11")}
    assert stage["C2"] == "overdue"
    holds = show(cli, "C2", as_of="2026-12-11")["holds"]
    assert holds[0]["status"] == "expired"
    result = cli("account", "release", "C2", "--as-of", "2026-12-11", "--future")
    assert result.exit_code == 1
    assert "not on hold" in result.stderr


def test_release_ends_the_hold(cli, synced, collectctl_home):
    ok(cli, "hold", "C2", "--reason", "legal review", "--as-of", AS_OF)
    assert ok(cli, "release", "C2", "--as-of", "2026-12-03") == "HLD-1 released on 2026-12-03.\n"
    assert show(cli, "C2", as_of="2026-12-02")["stage"] == "on-hold"
    assert show(cli, "C2", as_of="2026-12-03")["stage"] == "overdue"
    bad = cli("account", "hold", "C2", "--reason", "x", "--until", "2026-11-01", "--as-of", AS_OF)
    assert bad.exit_code == 1
    assert "in the past" in bad.stderr
    assert cli("account", "hold", "NOPE", "--reason", "x").exit_code == 1
    assert record_counts(collectctl_home)["holds"] == 1


# -- escalation ------------------------------------------------------------------------------


def test_escalate_writes_the_handover_pack(cli, synced, collectctl_home):
    config = collectctl_home / "profiles" / "default" / "config.toml"
    config.write_text('[creditor]\nname = "Studio Lumen Ltd"\n', encoding="utf-8")
    ok(cli, "log", "C1", "--channel", "email", "--outcome", "refused", "--note", "won't pay",
       "--at", "2026-11-20 10:00")  # fmt: skip
    out = ok(cli, "escalate", "C1", "--to", "agency", "--note", "silent since Oct",
             "--as-of", AS_OF)  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "ESC-1: Acme Ltd (C1) escalated to agency; out of dunning."
    md = collectctl_home / "profiles" / "default" / "handover" / "C1-ESC-1-2026-11-30.md"
    pdf = md.with_suffix(".pdf")
    assert str(md) in lines[1]
    assert str(pdf) in lines[2]
    text = md.read_text(encoding="utf-8")
    for expected in ("# Handover pack — Acme Ltd", "| A-1 | 2026-09-01 | 2026-10-01 | 100.00 USD",
                     "total due 130.00 USD", "| P1 | payment | 20.00 USD | A-1 |",
                     "email, refused: won't pay",
                     "No letters recorded", "silent since Oct"):  # fmt: skip
        assert expected in text, expected
    import pypdfium2 as pdfium

    pages = pdfium.PdfDocument(str(pdf))
    pdf_text = "".join(pages[i].get_textpage().get_text_range() for i in range(len(pages)))
    assert "Handover pack — Acme Ltd" in pdf_text
    assert "Studio Lumen Ltd" in pdf_text
    assert "silent since Oct" in pdf_text
    doc = show(cli)
    assert doc["stage"] == "escalated"
    assert doc["escalations"][0]["pack_pdf"] == str(pdf)
    again = cli("account", "escalate", "C1", "--to", "legal")
    assert again.exit_code == 1
    assert "already escalated" in again.stderr
    assert cli("account", "escalate", "C1", "--to", "police").exit_code == 2


# -- amend / void ----------------------------------------------------------------------------


def test_amend_and_void_keep_an_audit_trail(cli, synced, collectctl_home):
    ok(cli, "promise", "C1", "--amount", "80", "--by", "2026-12-05", "--as-of", AS_OF)
    ok(cli, "log", "C1", "--channel", "phone", "--outcome", "spoke", "--note", "ok",
       "--at", "2026-11-30 11:00")  # fmt: skip
    out = ok(cli, "amend", "PRM-1", "--amount", "60", "--by", "2026-12-08",
             "--reason", "renegotiated", "--as-of", "2026-12-01")  # fmt: skip
    assert out == "PRM-1 amended: --amount, --by.\n"
    ok(cli, "void", "act-1", "--reason", "wrong account", "--as-of", "2026-12-01")
    doc = show(cli, as_of="2026-12-02")
    p = doc["promises"][0]
    assert (p["amount"], p["by"]) == ("60.00", "2026-12-08")
    assert doc["contacts"][0]["voided_on"] == "2026-12-01"
    trail = [(e["kind"], e["ref"], e["text"], e["void"]) for e in doc["activity"][-4:]]
    assert trail == [
        ("promise", "PRM-1", "promised 60.00 USD by 2026-12-08", False),
        ("contact", "ACT-1", "phone, spoke: ok", True),
        ("amend", "PRM-1",
         "PRM-1 amended (--amount 80.00 -> 60.00; --by 2026-12-05 -> 2026-12-08): renegotiated",
         False),
        ("void", "ACT-1", "ACT-1 voided: wrong account", False),
    ]  # fmt: skip
    # A void contact no longer counts as the last contact.
    assert row_of(listing(cli, as_of="2026-12-02"), "C1")["last_contact"] is None
    # Voiding the promise: no longer evaluated, the stage goes back.
    ok(cli, "void", "PRM-1", "--reason", "customer denies it")
    assert show(cli, as_of="2026-12-02")["promises"][0]["status"] == "void"
    assert show(cli, as_of="2026-12-02")["stage"] == "overdue"
    assert record_counts(collectctl_home)["corrections"] == 3
    assert record_counts(collectctl_home)["promises"] == 1  # never deleted


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["amend", "PRM-9", "--reason", "x", "--note", "y"], 1, "no record PRM-9"),
        (["amend", "FOO-1", "--reason", "x", "--note", "y"], 1, "not a record id"),
        (["amend", "PRM-1", "--reason", "x"], 2, "at least one"),
        (["amend", "PRM-1", "--reason", "x", "--until", "2026-12-09"], 2, "does not apply"),
        (["amend", "PRM-1", "--reason", "x", "--amount", "0"], 2, "above zero"),
        (["amend", "PRM-1", "--reason", "x", "--by", "2026-11-01"], 1, "in the past"),
        (["amend", "PRM-1", "--reason", "x", "--amount", "80"], 1, "nothing to change"),
        (["amend", "PRM-1", "--note", "y"], 2, "--reason"),
        (["void", "DSP-1", "--reason", "x"], 1, "no record DSP-1"),
    ],
)
def test_amend_void_bad_input_writes_nothing(cli, synced, collectctl_home, args, code, message):
    ok(cli, "promise", "C1", "--amount", "80", "--by", "2026-12-05", "--as-of", AS_OF)
    result = cli("account", *args)
    assert result.exit_code == code, result.stdout
    assert message in result.stderr
    assert record_counts(collectctl_home)["corrections"] == 0


# -- re-sync and show ------------------------------------------------------------------------


def test_resync_keeps_local_state_and_shows_missing_invoices(cli, books, synced):
    ok(cli, "dispute", "C1", "--invoice", "I2", "--reason", "not-received", "--as-of", AS_OF)
    ok(cli, "promise", "C1", "--amount", "50", "--by", "2026-12-10", "--invoice", "I2",
       "--as-of", AS_OF)  # fmt: skip
    ok(cli, "log", "C1", "--channel", "note", "--outcome", "note", "--note", "kept")
    # The source drops I2 and changes everything else's ledger keys.
    sync(cli, books, [r for r in BOOKS if getattr(r, "id", None) != "I2"])
    sync(cli, books, BOOKS[:3])  # customers only: every invoice gone
    sync(cli, books, [r for r in BOOKS if getattr(r, "id", None) != "I2"])
    doc = show(cli)
    assert doc["disputes"][0]["invoice_id"] == "I2"
    assert doc["disputes"][0]["missing"] is True
    assert doc["promises"][0]["invoices"] == [{"invoice_id": "I2", "number": None, "missing": True}]
    assert len(doc["contacts"]) == 1
    assert any("I2 (missing)" in e["text"] for e in doc["activity"])
    table = ok(cli, "show", "C1", "--as-of", AS_OF)
    assert "I2 (missing)" in table


def test_show_json_keys_and_money_as_strings(cli, synced):
    doc = show(cli)
    for key in ("customer", "balances", "invoices", "payments", "activity", "promises",
                "disputes", "plans", "stage"):  # fmt: skip
        assert key in doc, key
    assert doc["customer"]["phone"] == "+1 555 0100"
    assert doc["balances"] == [
        {
            "currency": "USD",
            "open": "130.00",
            "overdue": "80.00",
            "disputed": "0.00",
            "unapplied": "0.00",
            "total": "130.00",
            "oldest_days": 60,
        }
    ]
    assert doc["invoices"][0] == {
        "invoice_id": "I1",
        "number": "A-1",
        "currency": "USD",
        "issue_date": "2026-09-01",
        "due_date": "2026-10-01",
        "days": 60,
        "bucket": "31-60",
        "amount": "100.00",
        "paid": "20.00",
        "balance": "80.00",
        "disputed": None,
    }
    assert doc["payments"][0]["amount"] == "20.00"
    assert [e["kind"] for e in doc["activity"]] == ["invoice", "payment", "invoice"]
    text = json.dumps(doc)
    assert "20.0," not in text  # never a float
    assert cli("account", "show", "NOPE").exit_code == 1
    csv_out = ok(cli, "show", "C1", "--as-of", AS_OF, "--format", "csv")
    assert csv_out.splitlines()[0] == "date,kind,ref,text"


def test_show_balances_equal_aging_with_credits(cli, books):
    sync(
        cli,
        books,
        [
            *BOOKS,
            pay("P9", "C1", "2026-11-02", "15.00"),  # unapplied
            pay("R1", "C1", "2026-11-03", "5.00", kind="refund"),
            inv("I5", "C1", "2026-12-15", "40.00"),  # issued after the as-of date
        ],
    )
    aging = run_json(cli, "aging", "--as-of", AS_OF)
    row = next(r for r in aging["rows"] if r["customer_id"] == "C1")
    bal = show(cli)["balances"][0]
    assert (bal["unapplied"], bal["total"]) == (row["unapplied"], row["total"])
    listed = next(r for r in listing(cli) if r["customer_id"] == "C1")
    assert listed["balance"] == row["total"]


def test_escalate_records_nothing_when_the_pack_cannot_be_written(cli, synced, collectctl_home):
    (collectctl_home / "profiles" / "default" / "handover").write_text("in the way")
    result = cli("account", "escalate", "C1", "--to", "agency", "--as-of", AS_OF, "--draft")
    assert result.exit_code == 1
    assert "cannot write the handover pack" in result.stderr
    assert record_counts(collectctl_home)["escalations"] == 0
    assert show(cli)["stage"] != "escalated"
