"""``collectctl sync``: every configured source, or one (``collectctl sync csv DIR``).

Each source plugin contributes its own subcommand; the core adds the common options
(``--dry-run``, ``--allow-deletions``, ``--format``, ``--quiet``) to every one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from collectctl.commands.groups import PassDownGroup
from collectctl.commands.options import emit, output_option
from collectctl.errors import CollectctlError, ConfigError
from collectctl.output import Column, Report

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.records import Source
    from collectctl.syncing import SyncOutcome

ENTITY_TITLES = {"customers": "customers", "invoices": "invoices", "allocations": "payment rows"}


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")(func)
    func = output_option(func)
    func = click.option(
        "--allow-deletions",
        is_flag=True,
        help="Allow a sync that removes more than 20% of the source's invoices.",
    )(func)
    return click.option(
        "--dry-run", "-n", is_flag=True, help="Show what would change; write nothing."
    )(func)


def _report(outcomes: list[SyncOutcome]) -> Report:
    rows = []
    for o in outcomes:
        for entity, counts in o.diff.counts.items():
            rows.append(
                {
                    "source": o.source,
                    "entity": entity,
                    "added": counts["add"],
                    "changed": counts["change"],
                    "removed": counts["remove"],
                }
            )
    document = [
        {
            "source": o.source,
            "description": o.description,
            "mode": o.mode,
            "dry_run": o.dry_run,
            "records": o.records,
            "needs_allow_deletions": o.deletion_guard is not None,
            "changes": {
                entity: {
                    "added": counts["add"],
                    "changed": counts["change"],
                    "removed": counts["remove"],
                    "added_ids": o.diff.examples[entity]["add"],
                    "changed_ids": o.diff.examples[entity]["change"],
                    "removed_ids": o.diff.examples[entity]["remove"],
                }
                for entity, counts in o.diff.counts.items()
            },
        }
        for o in outcomes
    ]
    footer = []
    for o in outcomes:
        verb = "would change" if o.dry_run else "synced"
        read = {0: "no records", 1: "1 record"}.get(o.records, f"{o.records} records")
        footer.append(f"{o.source}: {verb} from {o.description} ({o.mode}, {read})")
        if o.dry_run:
            for entity, ops in o.diff.examples.items():
                for op, ids in ops.items():
                    if ids:
                        more = o.diff.counts[entity][op] - len(ids)
                        tail = f" ... and {more} more" if more > 0 else ""
                        footer.append(f"  {op} {ENTITY_TITLES[entity]}: {', '.join(ids)}{tail}")
            if o.deletion_guard is not None:
                footer.append(
                    f"  Note: {o.deletion_guard}: the real run stops unless you add "
                    "--allow-deletions."
                )
    return Report(
        columns=[
            Column("source"),
            Column("entity"),
            Column("added", kind="int"),
            Column("changed", kind="int"),
            Column("removed", kind="int"),
        ],
        rows=rows,
        document=document,
        footer=footer,
    )


def _run(
    sources: list[tuple[Source, dict[str, Any]]],
    *,
    dry_run: bool,
    allow_deletions: bool,
    fmt: str,
    quiet: bool,
) -> None:
    from collectctl.app import current_app
    from collectctl.syncing import run_sync

    app = current_app()
    if dry_run:
        app.dry_run()
    outcomes = []
    failures = []
    for source, options in sources:
        try:
            outcomes.append(
                run_sync(app, source, options, dry_run=dry_run, allow_deletions=allow_deletions)
            )
        except CollectctlError as exc:
            if len(sources) == 1:
                raise
            failures.append((source.name, exc))
            click.echo(f"Error: sync {source.name}: {exc.format()}", err=True)
    if outcomes and not (quiet and fmt == "table"):
        emit(_report(outcomes), fmt)
    if failures:
        names = ", ".join(name for name, _ in failures)
        raise CollectctlError(f"{len(failures)} of {len(sources)} sources failed: {names}")


def _source_command(source: Source) -> click.Command:
    def callback(
        dry_run: bool, allow_deletions: bool, fmt: str, quiet: bool, **options: Any
    ) -> None:
        _run(
            [(source, options)],
            dry_run=dry_run,
            allow_deletions=allow_deletions,
            fmt=fmt,
            quiet=quiet,
        )

    command = click.Command(
        source.name,
        callback=_common(callback),
        params=list(source.params),
        help=source.help or f"Sync the books from {source.name}.",
    )
    # _common decorated the callback; move its params onto the command.
    command.params.extend(getattr(command.callback, "__click_params__", [])[::-1])
    return command


class SyncGroup(PassDownGroup):
    """Subcommands come from the registered sources; the group's options reach them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from collectctl.plugins.manager import sources

        return sorted(sources())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from collectctl.commands.groups import adopt, with_examples
        from collectctl.plugins.manager import sources

        source = sources().get(name)
        return with_examples(ctx, name, adopt(_source_command(source))) if source else None


@click.group(cls=SyncGroup, invoke_without_command=True)
@_common
@click.pass_context
def sync(ctx: click.Context, dry_run: bool, allow_deletions: bool, fmt: str, quiet: bool) -> None:
    """Bring the books in from your sources.

    Without a subcommand, sync every source configured in the profile's [sources] table
    (for example [sources.csv] dir = "~/books"). Each sync is one transaction: it either
    applies completely or leaves the ledger as it was.
    """
    if ctx.invoked_subcommand is not None:
        return
    from collectctl.app import current_app
    from collectctl.plugins.manager import sources

    app = current_app()
    if dry_run:
        app.dry_run()
    configured = app.config.get("sources") or {}
    if not configured:
        raise ConfigError(
            "no sources are configured for this profile",
            hint=f'Run e.g. `collectctl sync csv DIR`, or add [sources.csv] dir = "..." to '
            f"{app.config_file}.",
        )
    known = sources()
    missing = [name for name in configured if name not in known]
    if missing:
        raise ConfigError(
            f"config.toml names source(s) no installed plugin provides: {', '.join(missing)}",
            hint=f"Installed sources: {', '.join(sorted(known)) or 'none'}.",
        )
    _run(
        [(known[name], {}) for name in configured],
        dry_run=dry_run,
        allow_deletions=allow_deletions,
        fmt=fmt,
        quiet=quiet,
    )
