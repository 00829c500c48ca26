"""Real invocations shown at the end of each everyday command's ``--help`` ("Examples:").

Keyed by the command path under ``collectctl``; :class:`~collectctl.commands.groups.PassDownGroup`
attaches them as the command's epilog when it resolves the command, so plugin commands get
theirs the same way. tests/test_help_examples.py parses every one against the real command.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "sync": (
        "collectctl sync                       # every source in config.toml's [sources]",
        "collectctl sync --dry-run csv ~/books # what would change; writes nothing",
        "collectctl sync csv ~/books -q        # for cron: quiet on success",
    ),
    "sync csv": (
        "collectctl sync csv ~/books",
        "collectctl sync csv ~/books --dry-run --format json",
        "collectctl sync csv export.csv --preset xero --explain",
    ),
    "aging": (
        "collectctl aging",
        "collectctl aging --as-of 2026-06-30 --by invoice --min-balance 1000",
        "collectctl aging --currency EUR --currency USD --format csv > aging.csv",
    ),
    "account": (
        "collectctl account list --overdue --sort days",
        "collectctl account show northwind",
        "collectctl account promise northwind --amount 2500 --by 2026-12-04",
    ),
    "account list": (
        "collectctl account list --overdue --sort days",
        "collectctl account list --stage promised --stage plan --format json",
        "collectctl account list --all-profiles --min-balance 500",
    ),
    "account cease": (
        "collectctl account cease mlopez --note 'letter of 2026-11-28: stop contacting me'",
        "collectctl account cease mlopez --not-written --note 'asked by phone'",
        "collectctl account cease mlopez --lift 'consented in writing to resume'",
    ),
    "account optout": (
        "collectctl account optout mlopez --channel email --note 'reply: unsubscribe'",
        "collectctl account optout mlopez --channel email --lift 'opted back in'",
    ),
    "account set": (
        "collectctl account set mlopez --kind consumer",
        "collectctl account set mueller --language de --timezone Europe/Berlin",
    ),
    "account show": (
        "collectctl account show northwind",
        "collectctl account show northwind --as-of 2026-12-08 --format json",
    ),
    "account log": (
        "collectctl account log northwind --channel phone --outcome promised "
        "--note 'Dana: paying Friday' --next 2026-12-07",
        "collectctl account log vertex --channel email --outcome left-message --note 'sent copy' "
        "--format json",
    ),
    "account promise": (
        "collectctl account promise northwind --amount 2500 --by 2026-12-04",
        "collectctl account promise northwind --amount 800 --by 2026-12-15 --invoice SL-2026-051",
    ),
    "account dispute": (
        "collectctl account dispute vertex --invoice SL-2026-052 --reason wrong-amount "
        "--note 'PO says 14,000.00'",
        "collectctl account dispute vertex --resolve DSP-1 --note 'credit note agreed'",
    ),
    "account hold": (
        "collectctl account hold mlopez --until 2026-12-15 --reason 'hospital stay'",
        "collectctl account hold mlopez --reason 'until further notice'",
    ),
    "account release": (
        "collectctl account release mlopez",
        "collectctl account release mlopez -f json",
    ),
    "account escalate": (
        "collectctl account escalate blueharbor --to agency --note 'no reply since June'",
        "collectctl account escalate blueharbor --to legal --format json",
    ),
    "account amend": (
        "collectctl account amend PRM-1 --by 2026-12-11 --reason 'asked for one more week'",
        "collectctl account amend HLD-2 --until 2026-12-20 --reason 'still in hospital'",
    ),
    "account void": (
        "collectctl account void ACT-1 --reason 'logged on the wrong account'",
        "collectctl account void PRM-2 --reason 'duplicate' --format json",
    ),
    "plan": (
        "collectctl plan propose vertex --installments 4 --every month --start 2026-12-15",
        "collectctl plan list --broken",
    ),
    "plan propose": (
        "collectctl plan propose vertex --installments 4 --every month --start 2026-12-15",
        "collectctl plan propose vertex --amount 2000 --every 2weeks --start 2026-12-15 --down 500",
    ),
    "plan create": (
        "collectctl plan create vertex --installments 4 --every month --start 2026-12-15",
        "collectctl plan create vertex --installments 6 --every month --start 2026-12-15 "
        "--format json",
    ),
    "plan agreement": (
        "collectctl plan agreement PL-1",
        "collectctl plan agreement PL-1 > agreement.md",
    ),
    "plan list": ("collectctl plan list", "collectctl plan list --state broken --format json"),
    "plan show": ("collectctl plan show PL-1", "collectctl plan show PL-1 --format md > plan.md"),
    "plan status": ("collectctl plan status", "collectctl plan status PL-1 --as-of 2027-02-01"),
    "plan cancel": (
        "collectctl plan cancel PL-1 --reason 'replaced by PL-2'",
        "collectctl plan cancel PL-1 --reason 'paid off early' --format json",
    ),
    "reconcile": (
        "collectctl reconcile",
        "collectctl reconcile --check --format json   # exit 3 when there are findings",
        "collectctl reconcile --customer northwind",
    ),
    "metrics": (
        "collectctl metrics",
        "collectctl metrics --by month --months 12",
        "collectctl metrics --all-profiles --format csv",
    ),
    "status": ("collectctl status", "collectctl status --all-profiles --format json"),
    "profile": ("collectctl profile create acme", "collectctl profile list"),
    "profile create": ("collectctl profile create acme", "collectctl profile create client-b"),
    "profile list": ("collectctl profile list", "collectctl profile list --format json"),
    "profile show": ("collectctl profile show", "collectctl profile show acme --format json"),
    "profile remove": ("collectctl profile remove acme", "collectctl profile remove acme --yes"),
    "home": ("collectctl home show", "collectctl home migrate --dry-run"),
    "home show": ("collectctl home show",),
    "home migrate": ("collectctl home migrate --dry-run", "collectctl home migrate"),
}

#: The last line of every examples block.
MORE = "More: `collectctl COMMAND --help` for any command; `collectctl --help` lists them."


def epilog(path: str) -> str | None:
    """The "Examples:" block for ``collectctl <path>``, or None."""
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    lines = "\n".join(f"  $ {line}" for line in examples)
    return f"\b\nExamples:\n{lines}\n\n{MORE}"
