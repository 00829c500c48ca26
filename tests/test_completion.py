"""Shell completion: the real completion entry point (as bash calls it) and each callback,
against a real synced ledger; completing never creates a profile or a ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from collectctl.cli import cli as root

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def complete(line: str) -> list[str]:
    """What bash completion offers for ``line`` (the last word is being completed)."""
    words = line.split(" ")
    result = CliRunner().invoke(
        root,
        [],
        prog_name="collectctl",
        env={
            "_COLLECTCTL_COMPLETE": "bash_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return [ln.split(",", 1)[1] for ln in result.stdout.splitlines() if ln]


@pytest.fixture
def desk(cli):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    assert cli("profile", "create", "acme").exit_code == 0
    assert (
        cli("account", "promise", "northwind", "--amount", "5", "--by", "2099-01-01").exit_code == 0
    )
    assert cli("account", "hold", "mueller", "--reason", "x").exit_code == 0
    assert cli("account", "dispute", "vertex", "--invoice", "SL-2026-052", "--reason",
               "quality").exit_code == 0  # fmt: skip
    made = cli("plan", "create", "rivoli", "--every", "month", "--installments", "2", "--start",
               "2099-01-15")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    return cli


def test_formats(desk):
    assert complete("collectctl aging --format j") == ["json"]
    assert set(complete("collectctl account list -f ")) >= {"table", "csv", "json", "md"}


def test_profiles_before_and_after_the_command(desk):
    assert complete("collectctl --profile a") == ["acme"]
    assert complete("collectctl aging -p ") == ["acme", "default"]
    assert complete("collectctl profile show a") == ["acme"]


def test_customer_ids_by_id_or_name(desk):
    assert complete("collectctl account show nor") == ["northwind"]
    assert complete("collectctl aging --customer Mü") == ["mueller"]  # by the name
    assert complete("collectctl plan propose riv") == ["rivoli"]


def test_invoices_records_and_plans(desk):
    assert "SL-2026-051" in complete("collectctl account promise northwind --invoice SL-2026-05")
    assert complete("collectctl account amend P") == ["PRM-1"]
    assert complete("collectctl account void h") == ["HLD-1"]
    assert complete("collectctl account dispute vertex --resolve ") == ["DSP-1"]
    assert complete("collectctl plan show PL") == ["PL-1"]


def test_sources_and_commands(desk):
    assert complete("collectctl sync c") == ["csv"]
    assert "aging" in complete("collectctl ag")


def test_completing_never_creates_a_profile_or_a_ledger(cli, collectctl_home):
    assert complete("collectctl account show x") == []
    assert complete("collectctl -p nosuch account show x") == []
    assert not (collectctl_home / "profiles" / "default" / "ledger.db").exists()
    assert not (collectctl_home / "profiles" / "nosuch").exists()


def test_the_profile_typed_is_the_ledger_completed(desk):
    assert complete("collectctl -p acme account show nor") == []  # acme was never synced
    assert complete("collectctl -p default account show nor") == ["northwind"]
