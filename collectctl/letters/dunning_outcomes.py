"""What a ``dunning run`` produced: its options, each decision's outcome, the whole report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from collectctl.domain import dunning as rules

#: Statuses an outcome can have (the JSON ``status``).
STATUSES = (
    "would-send",  # dry run
    "sent",
    "failed",  # retried by a later run
    "uncertain",  # may have been delivered: a person must check (exit 3)
    "cancelled",  # claimed, then nothing left to demand (paid, disputed, on hold since)
    "not-claimed",  # another run or a manual letter took it, or the re-check refused it
    "deferred",  # consumer contact hours: the stage stays due
    "skipped",  # a skip reason
    "baseline",  # --baseline recorded the position
)


@dataclass(frozen=True)
class RunOptions:
    """The command line of ``dunning run``."""

    policy: Path
    as_of: date | None = None
    dry_run: bool = False
    preview: Path | None = None
    baseline: bool = False
    max_letters: int | None = None
    allow_stale: bool = False
    force: bool = False


@dataclass
class Outcome:
    """What happened to one decision (or to one retried letter)."""

    decision: rules.Decision
    status: str
    letter: str | None = None
    message: str = ""


@dataclass
class RunReport:
    """The whole run, for the output formats and the exit code."""

    as_of: date
    mode: str  # dry-run|send|baseline
    run: str | None
    policy: str
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    baseline_rungs: int = 0

    def count(self, status: str) -> int:
        """How many outcomes have ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def skip_counts(self) -> dict[str, int]:
        """Skips per reason."""
        return dict(
            Counter(o.decision.skip_reason or "" for o in self.outcomes if o.status == "skipped")
        )

    @property
    def exit_code(self) -> int:
        """3 when a send is uncertain (a person must check), 1 when one failed, else 0."""
        if self.count("uncertain"):
            return 3
        if self.count("failed"):
            return 1
        return 0
