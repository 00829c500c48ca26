"""The letter hooks, end to end through `collectctl letter`: a third-party channel and a
template pack need no core change."""

from __future__ import annotations

import json

import pytest
from letter_helpers import AS_OF

from collectctl import hookimpl
from collectctl.letters.channel import Channel, Delivery
from collectctl.letters.templates import TemplatePack

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


class PostChannel:
    """A print-and-mail service stand-in: keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list = []

    def send(self, letter, ctx):
        self.sent.append((letter, dict(ctx.settings)))
        return Delivery(status="sent", path="job-17")

    @hookimpl
    def register_channels(self, register):
        register(Channel("post", self.send, help="Print and mail.", needs=frozenset({"pdf"})))
        register(Channel("file", self.send, help="A clash with the built-in file channel."))


def test_hook_register_channels(cli, synced, register_plugin, collectctl_home):
    post = PostChannel()
    register_plugin(post, name="printmail")
    config = collectctl_home / "profiles" / "default" / "config.toml"
    config.write_text(config.read_text() + '[channels.post]\nurl = "https://print.example"\n')
    result = cli(
        "letter", "C1", "--as-of", AS_OF, "--stage", "final", "--send", "post", "--format", "txt"
    )
    assert result.exit_code == 0, result.stderr
    ((letter, settings),) = post.sent
    assert settings == {"url": "https://print.example"}
    assert letter.ref == "LTR-1"
    assert letter.documents["pdf"].startswith(b"%PDF")
    assert b"Final demand" in letter.body
    assert letter.message_id.startswith("<LTR-1.")
    shown = json.loads(cli("letter", "show", "LTR-1", "--format", "json").stdout)
    assert (shown["channel"], shown["status"], shown["output_path"]) == ("post", "sent", "job-17")
    # the built-in registered first wins a name clash, with a warning
    from collectctl.plugins.manager import channels, owner

    assert channels()["file"].help.startswith("Write the letter")
    assert owner("register_channels", "file") == "channels"


def test_hook_register_letter_templates(cli, synced, register_plugin, tmp_path):
    (tmp_path / "reminder.de.md.j2").write_text(
        '{% set subject = "Zahlungserinnerung " ~ letter.reference %}\n'
        "# Zahlungserinnerung\n\nSehr geehrte Damen und Herren von {{ customer.name }},\n\n"
        "{{ blocks.invoices }}\n\nOffen: **{{ totals.due }}**\n",
        encoding="utf-8",
    )

    class German:
        @hookimpl
        def register_letter_templates(self, register):
            register(TemplatePack("german", ("de",), tmp_path))

    register_plugin(German(), name="german-letters")
    result = cli(
        "letter",
        "C1",
        "--as-of",
        AS_OF,
        "--stage",
        "reminder",
        "--language",
        "de",
        "--format",
        "txt",
    )
    assert result.exit_code == 0, result.stderr
    assert "Zahlungserinnerung" in result.stdout
    assert "Sehr geehrte Damen und Herren von Łódź Trading" in result.stdout
    assert "Offen: GBP 3,200.00" in result.stdout
    check = cli("letter", "--check-templates")
    assert "ok   reminder.de: pack german:reminder.de.md.j2" in check.stdout
    assert "ok   firm.de: built-in:firm.en.md.j2 (falls back to English)" in check.stdout
