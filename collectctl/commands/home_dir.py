"""``collectctl home``: where state lives, and ``home migrate`` from the old one-directory
layout."""

from __future__ import annotations

import click


@click.group()
def home() -> None:
    """Where collectctl keeps profiles: config and ledgers.

    With $COLLECTCTL_HOME set, everything is under it ($COLLECTCTL_HOME/profiles/NAME/). Without
    it, a profile's config.toml and .env are in the user config directory
    (~/.config/collectctl/profiles/NAME/ on Linux) and its ledger, handover packs and letters in
    the user data directory (~/.local/share/collectctl/profiles/NAME/). A profile an earlier
    version kept in one directory keeps working until `collectctl home migrate` splits it.
    """


@home.command("show")
def show() -> None:
    """Print where config and data live (and any profile still in the old layout)."""
    from collectctl.home import SINGLE, list_profiles, profile_paths
    from collectctl.home_root import config_home, data_home, explicit_home

    explicit = explicit_home()
    if explicit is not None:
        click.echo(f"home:   {explicit} (COLLECTCTL_HOME)")
    else:
        click.echo(f"config: {config_home()}")
        click.echo(f"data:   {data_home()}")
    old = [name for name in list_profiles() if profile_paths(name).layout == SINGLE]
    for name in old:
        click.echo(
            f"profile {name!r} is in the old one-directory layout at "
            f"{profile_paths(name).config_dir}; `collectctl home migrate` splits it.",
            err=True,
        )


@home.command("migrate")
@click.option("--dry-run", "-n", is_flag=True, help="Print what would move; write nothing.")
def migrate_command(dry_run: bool) -> None:
    """Split profiles kept in one directory by an earlier version: config.toml, .env,
    templates/ and rates.toml to the config directory, the ledger (copied with SQLite's
    backup API) and everything else to the data directory. Each half appears in one step; the
    old entries are kept under <old root>.migrated/ until you remove them. Run it while no
    other collectctl command is running.
    """
    from collectctl.errors import CollectctlError
    from collectctl.home_migration import migrate, plan
    from collectctl.home_root import explicit_home

    if explicit_home() is not None:
        raise CollectctlError(
            "COLLECTCTL_HOME is set, so collectctl keeps every profile under it as it is; "
            "nothing to migrate"
        )
    moves = plan()
    if not moves:
        click.echo("Nothing to migrate: every profile is in the config and data directories.")
        return
    verb = "Would move" if dry_run else "Moving"
    for move in moves:
        for m in move.moves:
            if m.copy:
                click.echo(f"{verb} {m.source} -> {m.target}")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    ledgers = migrate(moves)
    kept = sorted({str(m.kept.parents[2]) for move in moves for m in move.moves})
    click.echo(f"Moved {len(moves)} profile(s) ({ledgers} ledger(s) copied).")
    click.echo(f"The old entries are kept under {', '.join(kept)}; remove them once all is well.")
