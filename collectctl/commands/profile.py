"""``collectctl profile``: one profile per set of books (a bookkeeper has one per client)."""

from __future__ import annotations

import click

from collectctl.commands.completion import complete_profiles
from collectctl.commands.options import emit, output_option
from collectctl.output import Column, Report


@click.group()
def profile() -> None:
    """Create, list, show and remove profiles.

    A profile is one set of books with its own config.toml and ledger. Choose one with
    `collectctl --profile NAME ...` or $COLLECTCTL_PROFILE; 'default' is created on first use.
    Under $COLLECTCTL_HOME a profile is one directory, $COLLECTCTL_HOME/profiles/NAME/;
    otherwise its config is in the user config directory and its ledger in the user data
    directory (`collectctl home show`).
    """


@profile.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create profile NAME with a commented config.toml."""
    from collectctl.home import create_profile

    paths = create_profile(name)
    if paths.config_dir == paths.data_dir:
        click.echo(f"Created profile {name!r} at {paths.config_dir}")
    else:
        click.echo(f"Created profile {name!r}: config {paths.config_dir}, data {paths.data_dir}")
    click.echo(f"Edit {paths.config_file} to set your currency, time zone and sources.")


@profile.command("list")
@output_option
def list_(fmt: str) -> None:
    """List profiles."""
    from collectctl.app import current_app
    from collectctl.home import list_profiles, profile_paths

    active = current_app().profile_name
    rows = []
    for name in list_profiles():
        paths = profile_paths(name)
        rows.append(
            {
                "name": name,
                "active": name == active,
                "path": str(paths.config_dir),
                "data": str(paths.data_dir),
            }
        )
    columns = [Column("name"), Column("active", kind="bool"), Column("path"), Column("data")]
    emit(Report(columns=columns, rows=rows), fmt)


@profile.command("show")
@click.argument("name", required=False, shell_complete=complete_profiles)
@output_option
def show(name: str | None, fmt: str) -> None:
    """Show a profile's settings and where it is (the active one by default). Secrets are
    never shown.

    'path' is the directory of its config.toml, 'data' the directory of its ledger (the same
    directory under $COLLECTCTL_HOME).
    """
    from collectctl.app import current_app
    from collectctl.home import existing_profile, load_config

    name = name or current_app().profile_name
    paths = existing_profile(name)
    config = load_config(paths.config_dir)
    ledger = paths.ledger
    document = {
        "name": name,
        "path": str(paths.config_dir),
        "data": str(paths.data_dir),
        "layout": paths.layout,
        "ledger": str(ledger),
        "ledger_bytes": ledger.stat().st_size if ledger.exists() else 0,
        "config": config,
    }
    rows = [{"key": k, "value": v} for k, v in _flatten(config)]
    rows = [
        {"key": "path", "value": str(paths.config_dir)},
        {"key": "data", "value": str(paths.data_dir)},
        *rows,
    ]
    emit(Report(columns=[Column("key"), Column("value")], rows=rows, document=document), fmt)


def _flatten(config: dict, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if value:
                out += _flatten(value, name + ".")
        else:
            out.append((name, str(value)))
    return out


@profile.command("remove")
@click.argument("name", shell_complete=complete_profiles)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Remove profile NAME, its config and its ledger (asks first)."""
    from collectctl.home import existing_profile, remove_profile

    paths = existing_profile(name, create_default=False)
    where = " and ".join(str(p) for p in paths.dirs())
    if not yes:
        try:
            confirmed = click.confirm(f"Remove profile {name!r} and its ledger at {where}?")
        except click.Abort:  # Ctrl-C or end of input at the prompt
            confirmed = False
        if not confirmed:
            click.echo(f"Nothing removed: profile {name!r} is as it was.", err=True)
            raise click.exceptions.Exit(1)
    remove_profile(name)
    click.echo(f"Removed profile {name!r}")
