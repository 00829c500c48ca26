"""A team on one ledger (docs/team.md): who made each record, ``account assign``, ``--mine`` and
``--owner``, and completion of owners' names — on both ledger backends."""

from __future__ import annotations

import getpass

import pytest
from core_helpers import cust, inv, pay, run_json
from test_completion import complete

pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-11-30"
BOOKS = [
    cust("C1", "Acme Ltd", terms_days=30),
    cust("C2", "Beta LLC"),
    cust("C3", "Gamma GmbH", currency="EUR", kind="consumer"),
    inv("I1", "C1", "2026-09-01", "100.00", due="2026-10-01", number="A-1"),
    inv("I2", "C1", "2026-11-01", "50.00", due="2026-12-01", number="A-2"),
    inv("I3", "C2", "2026-10-01", "300.00", due="2026-10-31"),
    inv("I4", "C3", "2026-08-01", "80.00", due="2026-08-31"),
    pay("P1", "C1", "2026-10-15", "20.00", "I1"),
]
ALICE = {"COLLECTCTL_USER": "alice"}
BOB = {"COLLECTCTL_USER": "bob"}


@pytest.fixture
def synced(cli, books):
    books.load(BOOKS)
    assert cli("sync", "memory", "-q").exit_code == 0


def written(cli, env, *args):
    """Run a write command as ``env``'s user; its --format json record."""
    return run_json(cli, *args, env=env)


def listing(cli, *args, env=None):
    return run_json(cli, "account", "list", "--as-of", AS_OF, *args, env=env)["rows"]


def owners(rows):
    return {r["customer_id"]: r["owner"] for r in rows}


def test_every_record_says_who_made_it(cli, synced):
    contact = written(cli, ALICE, "account", "log", "C1", "--channel", "phone", "--outcome",
                      "spoke", "--note", "called", "--at", "2026-11-20 10:00")  # fmt: skip
    promise = written(cli, BOB, "account", "promise", "C1", "--amount", "30", "--by",
                      "2026-12-10", "--as-of", AS_OF)  # fmt: skip
    dispute = written(cli, ALICE, "account", "dispute", "C1", "--invoice", "A-2", "--reason",
                      "quality", "--as-of", AS_OF)  # fmt: skip
    resolved = written(cli, BOB, "account", "dispute", "C1", "--resolve", dispute["id"],
                       "--as-of", AS_OF)  # fmt: skip
    hold = written(cli, BOB, "account", "hold", "C2", "--reason", "talks", "--as-of", AS_OF)
    (released,) = written(cli, ALICE, "account", "release", "C2", "--as-of", AS_OF)
    amended = written(cli, BOB, "account", "amend", contact["id"], "--note", "called twice",
                      "--reason", "typo", "--as-of", AS_OF)  # fmt: skip
    voided = written(cli, ALICE, "account", "void", promise["id"], "--reason", "wrong",
                     "--as-of", AS_OF)  # fmt: skip
    assert (contact["created_by"], promise["created_by"], dispute["created_by"]) == (
        "alice",
        "bob",
        "alice",
    )
    assert (resolved["created_by"], resolved["resolved_by"]) == ("alice", "bob")
    assert (hold["created_by"], hold["released_by"]) == ("bob", None)
    assert (released["created_by"], released["released_by"]) == ("bob", "alice")
    assert amended["created_by"] == "alice"  # the record's maker; the correction is bob's
    assert voided["created_by"] == "bob"

    doc = run_json(cli, "account", "show", "C1", "--as-of", AS_OF)
    by = {(e["kind"], e["ref"]): e["by"] for e in doc["activity"]}
    assert by[("contact", contact["id"])] == "alice"
    assert by[("promise", promise["id"])] == "bob"
    assert by[("dispute", dispute["id"])] == "alice"
    assert by[("dispute-resolved", dispute["id"])] == "bob"
    assert by[("amend", contact["id"])] == "bob"
    assert by[("void", promise["id"])] == "alice"
    assert by[("invoice", "A-1")] is None  # the books' events are nobody's records
    assert doc["contacts"][0]["created_by"] == "alice"
    assert doc["promises"][0]["created_by"] == "bob"
    assert (doc["disputes"][0]["created_by"], doc["disputes"][0]["resolved_by"]) == ("alice", "bob")
    other = run_json(cli, "account", "show", "C2", "--as-of", AS_OF)
    assert (other["holds"][0]["created_by"], other["holds"][0]["released_by"]) == ("bob", "alice")
    released_by = {e["kind"]: e["by"] for e in other["activity"] if e["ref"] == hold["id"]}
    assert released_by == {"hold": "bob", "hold-released": "alice"}

    table = cli("account", "show", "C1", "--as-of", AS_OF).stdout
    activity = table[table.index("Activity") :]
    assert activity.splitlines()[2].split()[-1] == "by"  # a column once names are on records
    line = next(ln for ln in activity.splitlines() if contact["id"] in ln and "contact" in ln)
    assert line.rstrip().endswith("alice")


def test_plans_consumer_records_and_letters_say_who_made_them(cli, synced, open_ledger):
    made = cli("plan", "create", "C2", "--every", "month", "--installments", "2", "--start",
               "2026-12-15", "--as-of", AS_OF, env=ALICE)  # fmt: skip
    assert made.exit_code == 0, made.stderr
    (plan,) = run_json(cli, "plan", "list", "--as-of", AS_OF)["plans"]
    shown = run_json(cli, "plan", "show", plan["plan_id"])
    assert shown["created_by"] == "alice"
    cancelled = cli("plan", "cancel", plan["plan_id"], "--reason", "redo", "--as-of", AS_OF,
                    env=BOB)  # fmt: skip
    assert cancelled.exit_code == 0, cancelled.stderr
    assert cli("account", "cease", "C3", "--note", "letter", env=BOB).exit_code == 0
    optout = cli("account", "optout", "C3", "--channel", "email", env=ALICE)
    assert optout.exit_code == 0, optout.stderr
    conn = open_ledger().conn
    assert conn.execute("SELECT created_by, cancelled_by FROM plans").fetchall() == [
        ("alice", "bob")
    ]
    assert conn.execute("SELECT created_by FROM consumer_ceases").fetchall() == [("bob",)]
    assert conn.execute("SELECT created_by FROM channel_optouts").fetchall() == [("alice",)]


def test_without_collectctl_user_the_database_or_os_user_made_it(cli, synced, ledger_backend):
    record = written(cli, {}, "account", "log", "C1", "--channel", "note", "--outcome", "note",
                     "--note", "n")  # fmt: skip
    if ledger_backend == "postgresql":
        from collectctl.app import App

        expected = App().ledger().conn.execute("SELECT current_user").fetchone()[0]
    else:
        expected = getpass.getuser()
    assert record["created_by"] == expected
    assert written(cli, {"COLLECTCTL_USER": "  "}, "account", "log", "C1", "--channel", "note",
                   "--outcome", "note", "--note", "n")["created_by"] == expected  # fmt: skip


def test_records_made_before_names_were_kept_show_unknown(cli, synced, open_ledger):
    contact = written(cli, ALICE, "account", "log", "C1", "--channel", "phone", "--outcome",
                      "spoke", "--note", "old", "--at", "2026-11-20 10:00")  # fmt: skip
    ledger = open_ledger()
    with ledger.write() as conn:  # as the migration leaves a record made before it
        conn.execute("UPDATE contacts SET created_by = NULL")
    doc = run_json(cli, "account", "show", "C1", "--as-of", AS_OF)
    (event,) = [e for e in doc["activity"] if e["ref"] == contact["id"]]
    assert event["by"] is None
    csv_out = cli("account", "show", "C1", "--as-of", AS_OF, "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "date,kind,ref,text"  # nobody's name anywhere: no column
    written(cli, BOB, "account", "log", "C1", "--channel", "note", "--outcome", "note", "--note",
            "n", "--at", "2026-11-21 10:00")  # fmt: skip
    csv_out = cli("account", "show", "C1", "--as-of", AS_OF, "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "date,kind,ref,text,by"
    old = next(ln for ln in csv_out.splitlines() if f",{contact['id']}," in ln)
    assert old.endswith(",unknown")
    invoice = next(ln for ln in csv_out.splitlines() if ",invoice," in ln)
    assert invoice.endswith(",")  # the books are nobody's record


def test_assign_mine_and_owner(cli, synced):
    rows = listing(cli)
    assert set(owners(rows).values()) == {None}
    table = cli("account", "list", "--as-of", AS_OF).stdout
    assert "owner" not in table.splitlines()[0]  # no column until someone owns an account

    first = written(cli, ALICE, "account", "assign", "C1", "--to", "alice", "--as-of", AS_OF)
    assert (first["id"], first["kind"], first["owner"]) == ("ASG-1", "assignment", "alice")
    assert first["created_by"] == "alice"
    written(cli, ALICE, "account", "assign", "C2", "--to", "bob", "--note", "his client",
            "--as-of", AS_OF)  # fmt: skip
    assert owners(listing(cli)) == {"C1": "alice", "C2": "bob", "C3": None}
    assert owners(listing(cli, "--mine", env=ALICE)) == {"C1": "alice"}
    assert owners(listing(cli, "--mine", env=BOB)) == {"C2": "bob"}
    assert owners(listing(cli, "--owner", "bob")) == {"C2": "bob"}
    assert owners(listing(cli, "--owner", "bob", "--owner", "alice")) == {
        "C1": "alice",
        "C2": "bob",
    }
    assert owners(listing(cli, "--owner", "bob", "--mine", env=ALICE)) == {
        "C1": "alice",
        "C2": "bob",
    }
    assert listing(cli, "--owner", "carol") == []
    table = cli("account", "list", "--as-of", AS_OF).stdout
    assert table.splitlines()[0].split()[-1] == "owner"

    # Bob hands C2 on to nobody; the timeline keeps both records with who made them.
    gone = written(cli, BOB, "account", "assign", "C2", "--none", "--as-of", AS_OF)
    assert gone["owner"] is None
    doc = run_json(cli, "account", "show", "C2", "--as-of", AS_OF)
    assert doc["owner"] is None
    events = [(e["ref"], e["text"], e["by"]) for e in doc["activity"] if e["kind"] == "assignment"]
    assert events == [
        ("ASG-2", "assigned to bob: his client", "alice"),
        ("ASG-3", "unassigned", "bob"),
    ]
    # Voiding the un-assignment gives the account back to its previous owner.
    written(cli, ALICE, "account", "void", "ASG-3", "--reason", "by mistake", "--as-of", AS_OF)
    assert run_json(cli, "account", "show", "C2", "--as-of", AS_OF)["owner"] == "bob"
    # Owners are dated: before the assignment, nobody owned C1.
    assert run_json(cli, "account", "show", "C1", "--as-of", "2026-11-29")["owner"] is None
    assert "owner: alice" in cli("account", "show", "C1", "--as-of", AS_OF).stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["C1"], 2, "give --to NAME or --none"),
        (["C1", "--to", "bob", "--none"], 2, "give --to NAME or --none"),
        (["C1", "--to", " "], 2, "give a name"),
        (["nobody", "--to", "bob"], 1, "nobody"),
        (["C1", "--none"], 1, "already not assigned"),
    ],
)
def test_assign_bad_input_writes_nothing(cli, synced, open_ledger, args, code, message):
    result = cli("account", "assign", *args, env=ALICE)
    assert result.exit_code == code, result.stdout
    assert message in result.stderr
    assert open_ledger().conn.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 0


def test_assigning_to_the_same_owner_again_is_refused(cli, synced, open_ledger):
    written(cli, ALICE, "account", "assign", "C1", "--to", "bob")
    again = cli("account", "assign", "C1", "--to", "bob", env=ALICE)
    assert again.exit_code == 1
    assert "already assigned to bob" in again.stderr
    assert open_ledger().conn.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 1


def test_completion_offers_known_owners(cli, synced):
    written(cli, ALICE, "account", "assign", "C1", "--to", "carol")
    written(
        cli, BOB, "account", "log", "C2", "--channel", "note", "--outcome", "note", "--note", "n"
    )
    assert complete("collectctl account list --owner ") == ["alice", "bob", "carol"]
    assert complete("collectctl account assign C2 --to ca") == ["carol"]


def test_ledger_copy_keeps_owners_and_names(cli, synced, tmp_path):
    written(cli, ALICE, "account", "assign", "C1", "--to", "alice")
    written(
        cli, BOB, "account", "log", "C1", "--channel", "note", "--outcome", "note", "--note", "n"
    )
    copy = tmp_path / "copy.db"
    result = cli("ledger", "copy", "--to", str(copy))
    assert result.exit_code == 0, result.stderr
    import sqlite3

    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT owner, created_by FROM assignments").fetchall() == [
            ("alice", "alice")
        ]
        assert conn.execute("SELECT created_by FROM contacts").fetchall() == [("bob",)]


@pytest.mark.postgresql_only
def test_a_profile_points_at_the_server_in_config_toml(cli, books, collectctl_home, monkeypatch):
    """``[ledger] url``/``schema`` in config.toml (as docs/team.md sets a team up), not only
    ``COLLECTCTL_LEDGER_URL``: a known section, and the profile's ledger is on the server."""
    import os

    url = os.environ["COLLECTCTL_LEDGER_URL"]
    monkeypatch.delenv("COLLECTCTL_LEDGER_URL")
    profile = collectctl_home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "config.toml").write_text(
        f'[ledger]\nurl = "{url}"\nschema = "acme_books"\n', encoding="utf-8"
    )
    books.load(BOOKS)
    assert cli("sync", "memory", "-q").exit_code == 0
    info = run_json(cli, "ledger", "info")
    assert (info["backend"], info["schema"]) == ("postgresql", "acme_books")
    assert written(cli, ALICE, "account", "assign", "C1", "--to", "alice")["owner"] == "alice"
