"""OAuth: token file (atomic, 0600), refresh lock across processes, invalid_grant, auth flow."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import stat
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from collectctl_quickbooks import auth
from collectctl_quickbooks.auth import Token, TokenManager, TokenStore
from collectctl_quickbooks.settings import Settings, load_settings

from collectctl.errors import ConfigError, SourceError

TOKEN_URL = "https://oauth.test/tokens/bearer"
SECRET = "client-secret-XYZ"


def settings_for(tmp_path: Path, **over) -> Settings:
    values = dict(
        profile_dir=tmp_path,
        client_id="cid",
        client_secret=SECRET,
        realm_id="9130",
        token_url=TOKEN_URL,
        retry_base=0.01,
    )
    values.update(over)
    return Settings(**values)


def token(access="AT-1", refresh="RT-1", expires_in=3600.0) -> Token:
    return Token(access, refresh, time.time() + expires_in, None, "9130", "production")


def test_token_file_is_written_atomically_with_mode_0600(tmp_path):
    store = TokenStore(tmp_path / "quickbooks-token.json")
    store.save(token())
    store.save(token("AT-2", "RT-2"))
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    assert json.loads(store.path.read_text())["refresh_token"] == "RT-2"
    assert store.load().access_token == "AT-2"
    assert [p.name for p in tmp_path.iterdir()] == ["quickbooks-token.json"]  # no temp left


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "quickbooks-token.json")
    store.save(token())

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        store.save(token("AT-2", "RT-2"))
    monkeypatch.undo()
    assert store.load().refresh_token == "RT-1"
    assert [p.name for p in tmp_path.iterdir()] == ["quickbooks-token.json"]


def test_damaged_token_file_is_a_config_error(tmp_path):
    (tmp_path / "quickbooks-token.json").write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        TokenStore(tmp_path / "quickbooks-token.json").load()


@responses.activate
def test_rotated_refresh_token_is_saved_before_use(tmp_path):
    TokenStore(tmp_path / "quickbooks-token.json").save(token(expires_in=10))
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "AT-2",
            "refresh_token": "RT-2",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8640000,
        },
    )
    assert TokenManager(settings_for(tmp_path)).access_token() == "AT-2"
    body = parse_qs(responses.calls[0].request.body)
    assert body == {"grant_type": ["refresh_token"], "refresh_token": ["RT-1"]}
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    saved = TokenStore(tmp_path / "quickbooks-token.json").load()
    assert (saved.refresh_token, saved.realm_id) == ("RT-2", "9130")
    assert saved.refresh_expires_at > time.time() + 8_000_000


@responses.activate
def test_invalid_grant_tells_the_user_to_rerun_auth(tmp_path):
    TokenStore(tmp_path / "quickbooks-token.json").save(token(expires_in=10))
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with pytest.raises(SourceError) as err:
        TokenManager(settings_for(tmp_path)).access_token()
    assert "invalid_grant" in str(err.value)
    assert "collectctl quickbooks auth" in err.value.hint
    assert TokenStore(tmp_path / "quickbooks-token.json").load().refresh_token == "RT-1"


@responses.activate
def test_bootstrap_refresh_token_used_only_without_token_file(tmp_path):
    responses.post(
        TOKEN_URL, json={"access_token": "AT-B", "refresh_token": "RT-ROTATED", "expires_in": 3600}
    )
    s = settings_for(tmp_path, bootstrap_refresh_token="RT-ENV")
    assert TokenManager(s).access_token() == "AT-B"
    assert parse_qs(responses.calls[0].request.body)["refresh_token"] == ["RT-ENV"]
    saved = json.loads((tmp_path / "quickbooks-token.json").read_text())
    assert saved["refresh_token"] == "RT-ROTATED"
    assert saved["realm_id"] == "9130"
    # Later refreshes use the file, never the environment value again.
    path = tmp_path / "quickbooks-token.json"
    data = json.loads(path.read_text())
    data["expires_at"] = 0
    path.write_text(json.dumps(data))
    responses.post(
        TOKEN_URL, json={"access_token": "AT-C", "refresh_token": "RT-3", "expires_in": 3600}
    )
    assert TokenManager(s).access_token() == "AT-C"
    assert parse_qs(responses.calls[1].request.body)["refresh_token"] == ["RT-ROTATED"]


def test_not_connected_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not connected"):
        TokenManager(settings_for(tmp_path)).access_token()


def test_realm_mismatch_between_setting_and_token_file(tmp_path):
    TokenStore(tmp_path / "quickbooks-token.json").save(token())
    with pytest.raises(ConfigError, match="9130"):
        _ = TokenManager(settings_for(tmp_path, realm_id="555")).realm_id


# --- two processes refreshing at once ---------------------------------------------------------


class _TokenServer:
    """A tiny token endpoint on 127.0.0.1 that counts refreshes and is slow to answer."""

    def __init__(self) -> None:
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                outer.count += 1
                time.sleep(0.4)  # widen the race window
                if form.get("refresh_token") != ["RT-1"]:
                    body = json.dumps({"error": "invalid_grant"}).encode()
                    self.send_response(400)
                else:
                    body = json.dumps(
                        {
                            "access_token": f"AT-{outer.count + 1}",
                            "refresh_token": "RT-2",
                            "expires_in": 3600,
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _refresh_in_child(settings: Settings, start: float, out) -> None:
    while time.time() < start:
        time.sleep(0.001)
    try:
        out.put(TokenManager(settings).access_token())
    except Exception as exc:  # pragma: no cover - reported to the parent
        out.put(f"error: {exc}")


def test_two_processes_refreshing_at_once_send_exactly_one_refresh(tmp_path):
    server = _TokenServer()
    try:
        TokenStore(tmp_path / "quickbooks-token.json").save(token(expires_in=0))
        s = settings_for(tmp_path, token_url=server.url)
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        start = time.time() + 0.3
        procs = [ctx.Process(target=_refresh_in_child, args=(s, start, out)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(20)
        results = sorted(out.get(timeout=5) for _ in procs)
    finally:
        server.close()
    assert server.count == 1
    assert results == ["AT-2", "AT-2"]
    assert TokenStore(tmp_path / "quickbooks-token.json").load().refresh_token == "RT-2"


# --- authorization-code flow ------------------------------------------------------------------


def test_parse_redirect_checks_state_and_reads_realm():
    grant = auth.parse_redirect(
        "http://localhost:8765/callback?code=AB12&state=st8&realmId=4620816365", "st8"
    )
    assert (grant.code, grant.realm_id) == ("AB12", "4620816365")
    with pytest.raises(SourceError, match="state"):
        auth.parse_redirect("http://x/cb?code=AB12&state=evil&realmId=1", "st8")
    with pytest.raises(SourceError, match="access_denied"):
        auth.parse_redirect("http://x/cb?error=access_denied&state=st8", "st8")
    with pytest.raises(SourceError, match="realmId"):
        auth.parse_redirect("http://x/cb?code=AB12&state=st8", "st8")


def test_authorize_url_has_scope_state_and_redirect(tmp_path):
    url = auth.authorize_url(settings_for(tmp_path), "st8")
    q = parse_qs(urlparse(url).query)
    assert url.startswith("https://appcenter.intuit.com/connect/oauth2?")
    assert q["scope"] == ["com.intuit.quickbooks.accounting"]
    assert q["state"] == ["st8"]
    assert q["response_type"] == ["code"]
    assert q["redirect_uri"] == ["http://localhost:8765/callback"]


def test_settings_environment_hosts_and_overrides(tmp_path):
    s = load_settings({"QUICKBOOKS_ENVIRONMENT": "sandbox"}, {}, tmp_path)
    assert s.base_url == "https://sandbox-quickbooks.api.intuit.com"
    s = load_settings({}, {}, tmp_path)
    assert s.base_url == "https://quickbooks.api.intuit.com"
    s = load_settings(
        {
            "QUICKBOOKS_BASE_URL": "http://127.0.0.1:9/",
            "QUICKBOOKS_TOKEN_URL": "http://t/",
            "QUICKBOOKS_TIMEOUT": "2,5",
        },
        {"sources": {"quickbooks": {"realm_id": "77", "client_secret": "not-from-config"}}},
        tmp_path,
    )
    assert (s.base_url, s.token_url, s.realm_id) == ("http://127.0.0.1:9", "http://t/", "77")
    assert (s.connect_timeout, s.read_timeout) == (2.0, 5.0)
    assert s.client_secret is None  # secrets come from the environment only
    with pytest.raises(ConfigError, match="sandbox"):
        load_settings({"QUICKBOOKS_ENVIRONMENT": "staging"}, {}, tmp_path)


def _env(**extra) -> dict[str, str]:
    return {
        "QUICKBOOKS_CLIENT_ID": "cid",
        "QUICKBOOKS_CLIENT_SECRET": SECRET,
        "QUICKBOOKS_TOKEN_URL": TOKEN_URL,
        "QUICKBOOKS_BASE_URL": "https://qbo.test",
        **extra,
    }


def _mock_exchange_and_company() -> None:
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "AT-NEW",
            "refresh_token": "RT-NEW",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8640000,
        },
    )
    responses.get(
        "https://qbo.test/v3/company/4620816365/companyinfo/4620816365",
        json={"CompanyInfo": {"CompanyName": "Studio Lumen"}, "time": "t"},
    )


@responses.activate
def test_auth_paste_mode_saves_token_and_status_never_shows_it(cli, collectctl_home, monkeypatch):
    monkeypatch.setattr(auth, "new_state", lambda: "fixed-state")
    _mock_exchange_and_company()
    redirect = "http://localhost:8765/callback?code=C0DE&state=fixed-state&realmId=4620816365"
    result = cli("quickbooks", "auth", "--paste", input=redirect + "\n", env=_env())
    assert result.exit_code == 0, result.output
    assert "4620816365" in result.output
    assert "Studio Lumen" in result.output
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == ["C0DE"]
    path = collectctl_home / "profiles" / "default" / "quickbooks-token.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["realm_id"] == "4620816365"

    status = cli("quickbooks", "status", env=_env())
    assert status.exit_code == 0, status.output
    assert "realm: 4620816365" in status.output
    assert "company: Studio Lumen" in status.output
    assert "access token expires" in status.output
    for secret in ("AT-NEW", "RT-NEW", SECRET):  # (the pasted code is echoed by the runner)
        assert secret not in result.output
        assert secret not in status.output


@responses.activate
def test_auth_paste_with_wrong_state_fails_cleanly(cli, monkeypatch):
    monkeypatch.setattr(auth, "new_state", lambda: "fixed-state")
    redirect = "http://localhost:8765/callback?code=C0DE&state=other&realmId=1"
    result = cli("quickbooks", "auth", "--paste", input=redirect + "\n", env=_env())
    assert result.exit_code == 1
    assert "state does not match" in result.output
    assert "Traceback" not in result.output
    assert len(responses.calls) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@responses.activate
def test_auth_with_local_listener(cli, collectctl_home, monkeypatch):
    responses.add_passthru("http://127.0.0.1")
    _mock_exchange_and_company()
    port = _free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"

    def browser(url: str) -> bool:
        state = parse_qs(urlparse(url).query)["state"][0]

        def visit() -> None:
            target = f"{redirect_uri}?code=C0DE&state={state}&realmId=4620816365"
            for _ in range(100):
                try:
                    urllib.request.urlopen(target, timeout=2).read()
                    return
                except OSError:
                    time.sleep(0.05)

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    result = cli(
        "quickbooks", "auth", "--timeout", "20", env=_env(QUICKBOOKS_REDIRECT_URI=redirect_uri)
    )
    assert result.exit_code == 0, result.output
    assert (collectctl_home / "profiles" / "default" / "quickbooks-token.json").exists()


def test_status_without_connection_is_exit_1(cli):
    result = cli("quickbooks", "status", env=_env())
    assert result.exit_code == 1
    assert "quickbooks auth" in result.output


@responses.activate
def test_token_endpoint_rejecting_client_credentials(tmp_path):
    TokenStore(tmp_path / "quickbooks-token.json").save(token(expires_in=0))
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    with pytest.raises(ConfigError, match="invalid_client") as err:
        TokenManager(settings_for(tmp_path)).access_token()
    assert "QUICKBOOKS_CLIENT_SECRET" in err.value.hint
    assert SECRET not in str(err.value)
