"""Small helpers shared by the core tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from collectctl.records import Allocation, Customer, Invoice


def run_json(cli: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run a command with ``--format json`` and parse its output (asserting exit 0)."""
    result = cli(*args, "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def real_cli(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    module: str = "collectctl",
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m collectctl ARGS`` in a child process against ``home`` (no other
    ``COLLECTCTL_*`` variable of this process; ``env`` added), as a user's shell would."""
    child = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTCTL_")}
    child.update(env or {})
    child["COLLECTCTL_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=child,
        cwd=cwd,
        timeout=60,
    )


def ledger_snapshot(cli: Any) -> Any:
    """Everything the books hold, as seen through aging by invoice and by customer."""
    return (
        run_json(cli, "aging", "--as-of", "2100-01-01", "--by", "invoice"),
        run_json(cli, "aging", "--as-of", "2100-01-01"),
        run_json(cli, "aging", "--as-of", "2000-01-01"),
    )


def day(text: str) -> date:
    return date.fromisoformat(text)


def cust(id: str, name: str | None = None, **kw: Any) -> Customer:
    return Customer(id=id, name=name or f"Customer {id}", **kw)


def inv(id: str, customer: str, issue: str, amount: str, due: str | None = None, **kw: Any):
    return Invoice(
        id=id,
        customer_id=customer,
        issue_date=day(issue),
        amount=Decimal(amount),
        due_date=day(due) if due else None,
        **kw,
    )


def pay(pid: str, customer: str, on: str, amount: str, invoice: str | None = None, **kw: Any):
    return Allocation(
        payment_id=pid,
        customer_id=customer,
        date=day(on),
        amount=Decimal(amount),
        invoice_id=invoice,
        **kw,
    )
