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
    """


@profile.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create profile NAME with a commented config.toml."""
    from collectctl.home import create_profile

    path = create_profile(name)
    click.echo(f"Created profile {name!r} at {path}")
    click.echo(f"Edit {path / 'config.toml'} to set your currency, time zone and sources.")


@profile.command("list")
@output_option
def list_(fmt: str) -> None:
    """List profiles."""
    from collectctl.app import current_app
    from collectctl.home import list_profiles, profiles_dir

    active = current_app().profile_name
    rows = [
        {"name": name, "active": name == active, "path": str(profiles_dir() / name)}
        for name in list_profiles()
    ]
    emit(
        Report(
            columns=[Column("name"), Column("active", kind="bool"), Column("path")],
            rows=rows,
        ),
        fmt,
    )


@profile.command("show")
@click.argument("name", required=False, shell_complete=complete_profiles)
@output_option
def show(name: str | None, fmt: str) -> None:
    """Show a profile's settings (the active one by default). Secrets are never shown."""
    from collectctl.app import current_app
    from collectctl.home import load_config, profile_dir

    name = name or current_app().profile_name
    path = profile_dir(name)
    config = load_config(path)
    ledger = path / "ledger.db"
    document = {
        "name": name,
        "path": str(path),
        "ledger": str(ledger),
        "ledger_bytes": ledger.stat().st_size if ledger.exists() else 0,
        "config": config,
    }
    rows = [{"key": k, "value": v} for k, v in _flatten(config)]
    rows = [{"key": "path", "value": str(path)}, *rows]
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
    from collectctl.home import profile_dir, remove_profile

    path = profile_dir(name, create_default=False)
    if not yes:
        try:
            confirmed = click.confirm(f"Remove profile {name!r} and its ledger at {path}?")
        except click.Abort:  # Ctrl-C or end of input at the prompt
            confirmed = False
        if not confirmed:
            click.echo(f"Nothing removed: profile {name!r} is as it was.", err=True)
            raise click.exceptions.Exit(1)
    remove_profile(name)
    click.echo(f"Removed profile {name!r}")
