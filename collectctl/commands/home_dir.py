"""``collectctl home``: where state lives, and ``home migrate`` from the old default."""

from __future__ import annotations

import click


@click.group()
def home() -> None:
    """Where collectctl keeps profiles and ledgers (COLLECTCTL_HOME).

    Without COLLECTCTL_HOME the home is the platform's user data directory
    (~/.local/share/collectctl on Linux). A home at the old default (~/.config/collectctl)
    keeps working until `collectctl home migrate` moves it.
    """


@home.command("show")
def show() -> None:
    """Print the home in use (and whether it is the old default)."""
    from collectctl.home_root import data_home, home_root, legacy_home

    click.echo(home_root())
    if legacy_home():
        click.echo(
            f"This is the old default location; `collectctl home migrate` moves it to "
            f"{data_home()}.",
            err=True,
        )


@home.command("migrate")
def migrate_command() -> None:
    """Move the home from the old default to the data directory (ledgers copied with SQLite's
    backup API, the new home appears in one step; the old one is kept as <old>.migrated)."""
    from pathlib import Path

    from collectctl.errors import CollectctlError
    from collectctl.home_migration import migrate
    from collectctl.home_root import data_home, explicit_home, legacy_home

    if explicit_home() is not None:
        raise CollectctlError(
            "COLLECTCTL_HOME is set, so collectctl uses it as it is; nothing to migrate"
        )
    old = legacy_home()
    if old is None:
        click.echo(f"Nothing to migrate: the home is already {data_home()}.")
        return
    moved = migrate(Path(old), Path(data_home()))
    click.echo(f"Moved {moved.source} to {moved.target} ({moved.ledgers} ledger(s) copied).")
    click.echo(f"The old home is kept as {moved.kept}; remove it once all is well.")
