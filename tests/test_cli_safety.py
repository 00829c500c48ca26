"""CLI safety: the deletion guard's dry run, Ctrl-C, declined confirmations, future dates and
hostile values on the desk."""

from __future__ import annotations

from core_helpers import cust, inv, run_json


def _books(n: int) -> list:
    return [cust("C1", "Acme"), *(inv(f"I{i}", "C1", "2026-06-01", "10.00") for i in range(n))]


def test_a_dry_run_lists_what_the_deletion_guard_would_stop(cli, books):
    books.load(_books(5))
    assert cli("sync", "memory").exit_code == 0
    before = run_json(cli, "aging", "--by", "invoice", "--as-of", "2026-07-01")
    books.load(_books(2))  # 3 of 5 invoices gone: 60 %
    result = cli("sync", "memory", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "remove invoices: I2, I3, I4" in result.stdout
    assert "--allow-deletions" in result.stdout
    doc = run_json(cli, "sync", "memory", "--dry-run")
    assert doc[0]["needs_allow_deletions"] is True
    assert doc[0]["changes"]["invoices"]["removed"] == 3
    assert run_json(cli, "aging", "--by", "invoice", "--as-of", "2026-07-01") == before
    refused = cli("sync", "memory")
    assert refused.exit_code == 1
    assert "--allow-deletions" in refused.stderr
    allowed = run_json(cli, "sync", "memory", "--dry-run", "--allow-deletions")
    assert allowed[0]["needs_allow_deletions"] is False
