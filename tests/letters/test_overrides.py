"""`account set`: local values that survive every sync and change what letters do."""

from __future__ import annotations

import json

from letter_helpers import AS_OF, BOOKS, CREDITOR, set_config


def show(cli):
    result = cli("account", "show", "C1", "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["customer"]


def test_overrides_survive_a_sync_and_show(cli, synced, books):
    result = cli(
        "account",
        "set",
        "C1",
        "--kind",
        "consumer",
        "--language",
        "de",
        "--timezone",
        "Europe/Berlin",
        "--email",
        "buchhaltung@lodz.example",
    )
    assert result.exit_code == 0, result.stderr
    assert "kind consumer" in result.stdout
    books.load(BOOKS)
    assert cli("sync", "memory", "-q").exit_code == 0
    customer = show(cli)
    assert (customer["kind"], customer["language"], customer["timezone"], customer["email"]) == (
        "consumer",
        "de",
        "Europe/Berlin",
        "buchhaltung@lodz.example",
    )
    cleared = cli("account", "set", "C1", "--language", "")
    assert cleared.exit_code == 0, cleared.stderr
    assert show(cli)["language"] is None


def test_bad_values_are_refused_naming_the_option(cli, synced):
    for args, option in (
        (["--timezone", "Mars/Base"], "--timezone"),
        (["--language", "deutsch!"], "--language"),
        (["--email", "nobody"], "--email"),
    ):
        result = cli("account", "set", "C1", *args)
        assert result.exit_code == 2, args
        assert option in result.stderr
    assert cli("account", "set", "C1").exit_code == 2
    assert cli("account", "set", "NOPE", "--kind", "consumer").exit_code == 1


def test_a_consumer_override_switches_statutory_interest_off(
    cli, synced, collectctl_home, tmp_path
):
    rates = collectctl_home / "profiles" / "default" / "rates.toml"
    rates.write_text(
        '[[rate]]\nregime = "uk"\nperiod = "2026-H2"\nrate = "3.75"\n'
        'source = "test row"\nverified_on = 2026-11-01\n'
    )
    set_config(collectctl_home, CREDITOR + '[letters]\ninterest = "uk"\n')
    business = cli("letter", "C1", "--as-of", AS_OF, "--stage", "final", "-f", "txt")
    assert business.exit_code == 0, business.stderr
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in business.stdout
    assert cli("account", "set", "C1", "--kind", "consumer").exit_code == 0
    consumer = cli("letter", "C1", "--as-of", AS_OF, "--stage", "final", "-f", "txt")
    assert "Late Payment" not in consumer.stdout
    assert "Interest and compensation" not in consumer.stdout


def test_an_unverified_rate_period_is_an_error_naming_it(cli, synced, collectctl_home):
    rates = collectctl_home / "profiles" / "default" / "rates.toml"
    rates.write_text('[[rate]]\nregime = "uk"\nperiod = "2026-H2"\nrate = "4.00"\n')
    set_config(collectctl_home, CREDITOR + '[letters]\ninterest = "uk"\n')
    result = cli("letter", "C1", "--as-of", AS_OF, "--stage", "final")
    assert result.exit_code == 1
    assert "UK reference rate for 2026-H2 (4.00 %) is not verified" in result.stderr
    assert "rates.toml" in result.stderr


def test_uk_interest_works_out_of_the_box_with_the_shipped_rates(cli, synced, collectctl_home):
    set_config(collectctl_home, CREDITOR + '[letters]\ninterest = "uk"\n')
    result = cli("letter", "C1", "--as-of", AS_OF, "--stage", "final", "-f", "txt")
    assert result.exit_code == 0, result.stderr
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in result.stdout
    assert "11.75" in result.stdout  # 3.75 % Bank Rate on 30 June 2026 + 8 points


def test_the_customer_language_picks_the_template(cli, synced, collectctl_home):
    folder = collectctl_home / "profiles" / "default" / "templates"
    folder.mkdir()
    (folder / "reminder.pl.md.j2").write_text(
        "# Przypomnienie\n\n{{ blocks.invoices }}\n", encoding="utf-8"
    )
    assert "Payment reminder" in cli("letter", "C1", "--as-of", AS_OF, "--stage", "reminder").stdout
    assert cli("account", "set", "C1", "--language", "pl").exit_code == 0
    text = cli("letter", "C1", "--as-of", AS_OF, "--stage", "reminder").stdout
    assert text.startswith("# Przypomnienie")


def test_the_csv_language_column(cli, tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    (books / "customers.csv").write_text("id,name,language\nK1,Kunde GmbH,de\nK2,Other,\n")
    (books / "invoices.csv").write_text(
        "id,customer_id,issue_date,due_date,amount\nR1,K1,2026-09-01,2026-10-01,100.00\n"
    )
    (books / "payments.csv").write_text("id,customer_id,date,amount,invoice_id\n")
    result = cli("sync", "csv", str(books), "-q")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(cli("account", "show", "K1", "-f", "json").stdout)
    assert doc["customer"]["language"] == "de"
    (books / "customers.csv").write_text("id,name,language\nK1,Kunde GmbH,deutsch!\n")
    bad = cli("sync", "csv", str(books), "-q")
    assert bad.exit_code == 1
    assert "customers.csv:2" in bad.stderr
    assert "language" in bad.stderr
