"""Fixtures for the letters tests: synced books and a creditor in config.toml."""

from __future__ import annotations

import pytest
from letter_helpers import BOOKS, CREDITOR, set_config


@pytest.fixture
def synced(cli, books, collectctl_home):
    books.load(BOOKS)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    set_config(collectctl_home, CREDITOR)
    return books


class Inbox:
    """An aiosmtpd handler that keeps every message and can refuse or stall on cue."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse_rcpt: set[str] = set()
        self.mail_reply: str | None = None
        self.data_delay = 0.0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse_rcpt:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio
        from email import message_from_bytes, policy

        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self.messages.append(
            (envelope.rcpt_tos[:], message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"


def _free_port() -> int:
    # aiosmtpd's Controller(port=0) self-tests port 0 and fails (aio-libs/aiosmtpd#276):
    # take a free port first.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():
    """Start an SMTP server on 127.0.0.1 in a thread: ``(inbox, port, start)``; ``start(**kw)``
    passes aiosmtpd SMTP options (authenticator, tls_context, require_starttls, ...)."""
    from aiosmtpd.controller import Controller

    controllers = []
    inbox = Inbox()
    port = _free_port()

    def start(**kwargs):
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return controller

    yield inbox, port, start
    for c in controllers:
        c.stop()
