"""collectctl hooks: the ``quickbooks`` source and the ``collectctl quickbooks`` commands.

Imported whenever plugins load, so it stays light: ``requests`` and the client are imported
inside the functions that use them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from collectctl import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.records import Source, SourceBatch, SyncRequest
    from collectctl_quickbooks.settings import Settings

SOURCE_HELP = (
    "Sync customers, invoices, payments, credit memos and refunds from QuickBooks Online. "
    "The first run (or --full) reads everything; later runs fetch only what changed (CDC). "
    "Connect first with `collectctl quickbooks auth`."
)


def read(request: SyncRequest) -> SourceBatch:
    """The source's ``read``: see :func:`collectctl_quickbooks.sync.read`."""
    from collectctl_quickbooks.sync import read as sync_read

    return sync_read(request)


@hookimpl
def register_sources(register: Callable[[Source], None]) -> None:
    """Register the ``quickbooks`` source (``collectctl sync quickbooks [--full]``)."""
    from collectctl.records import Source
    from collectctl_quickbooks.settings import CONFIG_KEYS

    register(
        Source(
            name="quickbooks",
            read=read,
            help=SOURCE_HELP,
            settings=CONFIG_KEYS,
            params=[
                click.Option(
                    ["--full"],
                    is_flag=True,
                    default=None,
                    help="Read everything again instead of only the changes since the last sync.",
                )
            ],
        )
    )


def _settings() -> Settings:
    from collectctl.app import current_app
    from collectctl_quickbooks.settings import load_settings

    app = current_app()
    return load_settings(app.env, app.config, app.profile_dir)


def connect(settings: Settings, *, paste: bool, open_browser: bool, timeout: float) -> list[str]:
    """Run the authorization-code flow, save the token file, and describe the result."""
    import webbrowser

    from collectctl_quickbooks import auth

    state = auth.new_state()
    url = auth.authorize_url(settings, state)
    click.echo("Open this address in a browser and approve access to your QuickBooks company:")
    click.echo(f"\n  {url}\n")
    if paste:
        pasted = click.prompt("Paste the whole address your browser was redirected to")
        grant = auth.parse_redirect(pasted, state)
    else:
        if open_browser:
            webbrowser.open(url)
        click.echo(f"Waiting for the redirect to {settings.redirect_uri} ...")
        grant = auth.wait_for_redirect(settings, state, timeout=timeout)
    token = auth.exchange_code(settings, grant)
    lines = [f"Connected QuickBooks company {grant.realm_id} ({settings.environment})."]
    try:
        name = company_name(settings)
    except Exception as exc:  # the connection itself worked; the name is a courtesy
        name = None
        lines.append(f"(could not read the company name: {exc})")
    if name:
        lines[0] = (
            f"Connected QuickBooks company {grant.realm_id}: {name} ({settings.environment})."
        )
    lines.append(
        f"Token saved to {settings.token_path} (refresh token valid until "
        f"{_when(token.refresh_expires_at)})."
    )
    return lines


def company_name(settings: Settings) -> str | None:
    """The company's name from ``CompanyInfo`` (one API call)."""
    from collectctl_quickbooks.client import QBOClient

    client = QBOClient(settings)
    try:
        info = client.company_info()
    finally:
        client.close()
    name = info.get("CompanyName") or info.get("LegalName")
    return str(name) if name else None


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_lines(settings: Settings, now: float | None = None) -> list[str]:
    """What ``collectctl quickbooks status`` prints: realm, company, expiries — never tokens."""
    from collectctl.errors import ConfigError
    from collectctl_quickbooks.auth import TokenStore

    now = time.time() if now is None else now
    token = TokenStore(settings.token_path).load()
    if token is None and not settings.bootstrap_refresh_token:
        raise ConfigError(
            "QuickBooks is not connected (no token file in the profile)",
            hint="Run `collectctl quickbooks auth`.",
        )
    realm = settings.realm_id or (token.realm_id if token else None) or "unknown"
    lines = [f"environment: {settings.environment}", f"realm: {realm}"]
    if token is None:
        lines.append("token file: none yet (QUICKBOOKS_REFRESH_TOKEN will be used once)")
    else:
        left = token.expires_at - now
        state = f"in {int(left // 60)} min" if left > 0 else "expired (refreshed on next use)"
        lines.append(f"token file: {settings.token_path}")
        lines.append(f"access token expires: {_when(token.expires_at)} ({state})")
        lines.append(f"refresh token expires: {_when(token.refresh_expires_at)}")
    name = company_name(settings)
    lines.insert(2, f"company: {name or 'unknown'}")
    return lines


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``collectctl quickbooks auth|status``."""

    @cli.group(name="quickbooks")
    def quickbooks() -> None:
        """Connect collectctl to QuickBooks Online and check the connection."""

    @quickbooks.command(name="auth")
    @click.option(
        "--paste",
        is_flag=True,
        help="Headless: paste the redirect address instead of running a local listener.",
    )
    @click.option("--no-browser", is_flag=True, help="Do not try to open a browser.")
    @click.option(
        "--timeout",
        type=click.FloatRange(min=1),
        default=300,
        show_default=True,
        help="Seconds to wait for the redirect.",
    )
    def auth_command(paste: bool, no_browser: bool, timeout: float) -> None:
        """Connect a QuickBooks company (OAuth 2.0 authorization-code flow).

        Needs QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET. The redirect goes to
        QUICKBOOKS_REDIRECT_URI (default http://localhost:8765/callback), caught by a listener on
        127.0.0.1, or pasted back with --paste. The token is saved in the profile
        (quickbooks-token.json, mode 0600).
        """
        settings = _settings()
        for line in connect(settings, paste=paste, open_browser=not no_browser, timeout=timeout):
            click.echo(line)

    @quickbooks.command(name="status")
    def status_command() -> None:
        """Show the connected company, its realm id and when the tokens expire (never tokens)."""
        for line in status_lines(_settings()):
            click.echo(line)
