"""config.toml as typed sections: unknown keys and sections are errors naming the closest key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from collectctl.errors import ConfigError
from collectctl.settings import DEFAULTS, check_table, template, validate

FILE = Path("/p/config.toml")


def merged(text: str) -> dict:
    values = tomllib.loads(text)
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for k, v in values.items():
        out[k] = {**out[k], **v} if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def test_the_template_is_the_defaults():
    assert tomllib.loads(template()) == DEFAULTS
    settings = validate(merged(template()), FILE)
    assert settings.plans.grace_days == 5
    assert settings.smtp.sender == ""
    assert settings.core.default_terms_days == 30


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("default_term_days = 30\n", "unknown key default_term_days", "`default_terms_days`"),
        ("[plans]\ngrace_dys = 3\n", "unknown key plans.grace_dys", "`grace_days`"),
        ("[promise]\ngrace_days = 3\n", "unknown section [promise]", "`promises`"),
        ("[smtp]\nport = 0\n", "smtp.port: must be a whole number >= 1", "configuration.md"),
        ('[smtp]\nstarttls = "yes"\n', "smtp.starttls: must be true or false", "configuration"),
        ("[plans]\nmax_missed = true\n", "plans.max_missed: must be a whole number", "docs/"),
    ],
)
def test_bad_keys_name_the_file_the_key_and_the_closest_known(text, message, hint):
    with pytest.raises(ConfigError) as err:
        validate(merged(text), FILE)
    assert str(err.value).startswith(f"{FILE}: {message}")
    assert hint in (err.value.hint or "")


def test_a_source_table_is_checked_against_the_keys_the_source_declares():
    known = {"dir": "where", "date_format": "how"}
    check_table(FILE, "csv", {"dir": "x", "date_format": "%d"}, known)
    with pytest.raises(ConfigError) as err:
        check_table(FILE, "csv", {"date_fromat": "%d"}, known)
    assert str(err.value) == f"{FILE}: unknown key sources.csv.date_fromat"
    assert "Did you mean `date_format`?" in (err.value.hint or "")


def test_cli_exits_1_on_an_unknown_key(cli, collectctl_home):
    assert cli("profile", "create", "x").exit_code == 0
    config = collectctl_home / "profiles" / "x" / "config.toml"
    config.write_text(config.read_text().replace("default_terms_days", "default_term_days"))
    result = cli("-p", "x", "aging")
    assert result.exit_code == 1
    assert "unknown key default_term_days" in result.stderr
    assert "did you mean `default_terms_days`" in result.stderr.lower()


def test_a_config_toml_that_is_not_utf8_is_an_error_naming_file_and_line(cli, collectctl_home):
    assert cli("profile", "create", "x").exit_code == 0
    config = collectctl_home / "profiles" / "x" / "config.toml"
    config.write_bytes(b'currency = "EUR"\n# caf\xe9 in Latin-1\n')
    result = cli("-p", "x", "aging")
    assert result.exit_code == 1
    assert f"{config}:2: not UTF-8 text (byte 0xe9)" in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_config_toml_with_a_byte_order_mark_is_read(cli, collectctl_home):
    assert cli("profile", "create", "x").exit_code == 0
    config = collectctl_home / "profiles" / "x" / "config.toml"
    config.write_bytes(b'\xef\xbb\xbfcurrency = "EUR"\n')
    result = cli("-p", "x", "profile", "show", "x", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"EUR"' in result.stdout


def test_sync_refuses_a_misspelled_csv_key(cli, collectctl_home, tmp_path):
    (tmp_path / "customers.csv").write_text("id,name\nC1,Acme\n")
    (tmp_path / "invoices.csv").write_text(
        "id,customer_id,number,issue_date,due_date,currency,amount\n"
    )
    config = collectctl_home / "profiles" / "default" / "config.toml"
    assert cli("aging").exit_code == 0  # creates the default profile
    config.write_text(f'[sources.csv]\ndir = "{tmp_path}"\ndate_fromat = "%d/%m/%Y"\n')
    result = cli("sync", "csv")
    assert result.exit_code == 1
    # The csv plugin validates its own table (collectctl_csv.options.check_keys).
    assert "unknown key 'date_fromat'" in result.stderr
    assert "date_format" in result.stderr
