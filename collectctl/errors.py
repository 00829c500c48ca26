"""The exception family the CLI turns into one-line messages and exit codes.

Plugins raise these (``from collectctl.errors import SourceError``); the CLI prints
``Error: <message>`` (plus ``hint`` on its own line) on stderr and exits with ``exit_code``.
A traceback is shown only with ``collectctl --debug``.

Exit codes (contracts §4): 0 success; 1 error (bad data, unknown ids, source or send failure,
partial failure); 2 usage error (click's own); 3 completed with findings that need a person.
"""

from __future__ import annotations

from collections.abc import Sequence


class CollectctlError(Exception):
    """Base class: a problem the user can fix. Exit status 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def format(self) -> str:
        """The message as printed: the message, then the hint on its own line."""
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class NotFoundError(CollectctlError):
    """An unknown customer, invoice, plan, profile or other id."""


class ConfigError(CollectctlError):
    """A bad or missing setting in config.toml or the environment."""


class SourceError(CollectctlError):
    """A data source (CSV directory, QuickBooks, ...) could not be read."""


class LockTimeout(CollectctlError):
    """Another process held the ledger's write lock for longer than we may wait."""


class DataError(CollectctlError):
    """Bad input records. ``problems`` holds every one found (each already a full sentence).

    The message lists the first ``limit`` problems and then a count of the rest.
    """

    limit = 20

    def __init__(
        self,
        summary: str,
        problems: Sequence[str],
        *,
        hint: str | None = None,
        total: int | None = None,
    ) -> None:
        self.summary = summary
        self.problems = list(problems)
        self.total = max(total or 0, len(self.problems))
        shown = self.problems[: self.limit]
        lines = [summary, *(f"  {p}" for p in shown)]
        rest = self.total - len(shown)
        if rest > 0:
            lines.append(f"  ... and {rest} more problem{'s' if rest != 1 else ''}")
        super().__init__("\n".join(lines), hint=hint)


class OptionClash(CollectctlError):
    """Options that do not go together (``--preview`` without ``--dry-run``): a usage error,
    exit status 2, raised where the rule lives rather than in the click command."""

    exit_code = 2


class Findings(CollectctlError):
    """The command completed but found things a person must look at (``reconcile --check``)."""

    exit_code = 3
