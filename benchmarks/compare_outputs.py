"""Byte-for-byte comparison of the JSON reports of two versions of collectctl.

Checks that a restructuring changed no output: the same scenario (a CSV sync, then contacts,
promises, a dispute, a hold, a payment plan and an escalation recorded with fixed dates) is run
by the code of a base commit and by the working tree, each in its own throw-away
``COLLECTCTL_HOME``, and the ``--format json`` output of ``aging``, ``account list``,
``account show``, ``plan list/status/show``, ``reconcile``, ``metrics``, ``forecast`` and the
decisions of ``dunning run --dry-run`` is compared byte for byte (the two homes' paths, which
show up in escalation pack paths, and the wall-clock ``created_at`` of a stored plan are
normalised first).

The base code is checked out with ``git worktree add --detach`` into a temp directory and run
with this interpreter and ``PYTHONPATH`` pointing at it (core and both plugins), so nothing is
installed. Usage::

    .venv/bin/python benchmarks/compare_outputs.py --base 2184654            # examples/
    .venv/bin/python benchmarks/compare_outputs.py --base 2184654 --invoices 100000
    .venv/bin/python benchmarks/compare_outputs.py --base 2184654 --new HEAD  # two commits

Exit status 0 when every output is identical, 1 otherwise (the differing commands are listed).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = ("2026-11-30", "2026-12-06", "2026-06-30")


def _records(ids: Sequence[str], invoices: dict[str, str]) -> list[list[str]]:
    """Collection records written by both versions (dates fixed, so outputs are stable)."""
    a, b, c, d, e = (list(ids) * 5)[:5]
    steps = [
        [
            "account",
            "log",
            a,
            "--channel",
            "phone",
            "--outcome",
            "promised",
            "--note",
            "call",
            "--next",
            "2026-12-10",
            "--at",
            "2026-11-20 10:00",
        ],
        ["account", "promise", a, "--amount", "100", "--by", "2026-12-05", "--as-of", "2026-11-20"],
        ["account", "promise", b, "--amount", "50", "--by", "2026-11-10", "--as-of", "2026-11-01"],
        [
            "account",
            "hold",
            c,
            "--until",
            "2026-12-03",
            "--reason",
            "audit",
            "--as-of",
            "2026-11-15",
        ],
        [
            "plan",
            "create",
            d,
            "--installments",
            "3",
            "--every",
            "month",
            "--start",
            "2026-12-01",
            "--as-of",
            "2026-11-25",
        ],
        ["account", "escalate", e, "--to", "agency", "--note", "handover", "--as-of", "2026-11-28"],
        [
            "account",
            "log",
            e,
            "--channel",
            "email",
            "--outcome",
            "spoke",
            "--note",
            "mail",
            "--at",
            "2026-11-02 09:30",
        ],
    ]
    if b in invoices:
        steps.append(
            [
                "account",
                "dispute",
                b,
                "--invoice",
                invoices[b],
                "--reason",
                "quality",
                "--as-of",
                "2026-11-05",
            ]
        )
    return steps


def _reports(ids: Sequence[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for day in AS_OF:
        out += [
            ["aging", "--as-of", day],
            ["aging", "--as-of", day, "--by", "invoice"],
            ["account", "list", "--as-of", day],
            ["account", "list", "--as-of", day, "--sort", "next"],
            ["account", "list", "--as-of", day, "--sort", "days", "--overdue"],
            ["account", "list", "--as-of", day, "--currency", "USD", "--sort", "name"],
            ["reconcile", "--as-of", day],
            ["metrics", "--as-of", day],
            ["metrics", "--as-of", day, "--by", "month", "--months", "6"],
            ["metrics", "--as-of", day, "--by", "customer"],
            ["plan", "list", "--as-of", day],
            ["plan", "status", "--as-of", day],
            ["forecast", "--as-of", day],
            ["forecast", "--as-of", day, "--by", "invoice"],
            ["forecast", "--as-of", day, "--by", "customer", "--months", "3"],
            ["dunning", "run", "--policy", str(ROOT / "examples" / "dunning.toml"), "--as-of",
             day, "--dry-run"],
        ]  # fmt: skip
        out += [["account", "show", cid, "--as-of", day] for cid in ids]
    out.append(["plan", "show", "PL-1"])
    return [[*cmd, "--format", "json"] for cmd in out]


ERRORS: dict[tuple[str, str], str] = {}
STAMP = re.compile(rb'"created_at": "[^"]*"')


def _run(code: Path, home: Path, argv: Sequence[str]) -> tuple[int, bytes]:
    env = dict(os.environ)
    env.update(
        COLLECTCTL_HOME=str(home),
        PYTHONPATH=os.pathsep.join(
            str(p) for p in (code, code / "plugins/csv", code / "plugins/quickbooks")
        ),
        TZ="UTC",
    )
    for var in ("COLLECTCTL_PROFILE", "COLLECTCTL_FORMAT"):
        env.pop(var, None)
    # Run from the home, never from a checkout: ``python -c`` puts the working directory first
    # on sys.path, which would shadow PYTHONPATH with whatever tree the script was started in.
    proc = subprocess.run(
        [sys.executable, "-c", "from collectctl.cli import main; main()", *argv],
        env=env,
        cwd=home,
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        ERRORS[(str(code), " ".join(argv))] = tail[0]
    out = proc.stdout.replace(str(home).encode(), b"$HOME")
    # When a record was made is the wall clock of the run: the one value that must differ.
    return proc.returncode, STAMP.sub(rb'"created_at": "<stamp>"', out)


def _scenario(code: Path, home: Path, data: Path, ids: Sequence[str], inv: dict[str, str]):
    home.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, tuple[int, bytes]] = {}
    for argv in [["sync", "csv", str(data)], *_records(ids, inv)]:
        outputs["write: " + " ".join(argv)] = (_run(code, home, argv)[0], b"")
    for argv in _reports(ids):
        outputs[" ".join(argv)] = _run(code, home, argv)
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; print what was compared; 0 when identical."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="commit to compare against")
    parser.add_argument("--new", default=None, help="commit to compare (default: this tree)")
    parser.add_argument("--invoices", type=int, default=0, help="generated book (0: examples/)")
    parser.add_argument("--customers", type=int, default=8, help="accounts shown (generated)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="collectctl-compare-") as tmp:
        work = Path(tmp)
        base = work / "base"
        trees = [(base, args.base)]
        new_code = ROOT
        if args.new:
            new_code = work / "new"
            trees.append((new_code, args.new))
        for tree, commit in trees:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                check=True,
                capture_output=True,
            )
        try:
            if args.invoices:
                sys.path.insert(0, str(ROOT))
                from benchmarks.generate import generate

                data = work / "data"
                generate(data, args.invoices, seed=2026)
            else:
                data = ROOT / "examples"
            with open(data / "customers.csv", newline="", encoding="utf-8") as fh:
                ids = [r["id"] for r in csv.DictReader(fh)]
            if args.invoices:
                ids = ids[: args.customers]
            first: dict[str, str] = {}
            with open(data / "invoices.csv", newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    first.setdefault(r["customer_id"], r["id"])
            old = _scenario(base, work / "home-base", data, ids, first)
            new = _scenario(new_code, work / "home-new", data, ids, first)
        finally:
            for tree, _commit in trees:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                    capture_output=True,
                )
    differ = [k for k in old if old[k] != new.get(k)]
    size = sum(len(v[1]) for v in new.values())
    book = f"a generated {args.invoices:,}-invoice book" if args.invoices else "examples/"
    failed = [k for k, v in new.items() if k.startswith("write:") and v[0] != 0]
    print(f"compared {len(old)} commands ({size:,} bytes of JSON) against {args.base} on {book}")
    print(f"new code: {args.new or 'working tree'}")
    for k in failed:
        print(f"note: exit {new[k][0]} from {k[7:]}")
    for k in differ:
        print(f"DIFFERENT: {k} (exit {old[k][0]} vs {new[k][0]})")
    for (code, command), message in ERRORS.items():
        side = "new" if Path(code) == new_code else "base"
        print(f"  {side} stderr of {command}: {message}")
    if not differ:
        print("all identical (exit statuses and stdout bytes)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
