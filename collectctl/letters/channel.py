"""What a channel is given and what it answers: the types of the ``register_channels`` hook.

A channel delivers one rendered letter somewhere (stdout, a directory, an SMTP server, a
print-and-mail service). It gets a :class:`RenderedLetter` (every format already rendered, the
Message-ID fixed at claim time) and a :class:`ChannelContext` (its settings, the environment for
secrets, the profile directory) and nothing of the ledger; it answers with a :class:`Delivery`.
Light module: no email, PDF or Jinja2 import, so plugins can import it at load time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

DeliveryStatus = Literal["sent", "failed", "uncertain"]


@dataclass(frozen=True, slots=True)
class RenderedLetter:
    """One letter, rendered. ``documents`` maps a format (``md``, ``txt``, ``html``, ``pdf``) to
    its bytes; ``format`` is the one the user asked for (what ``stdout``/``file`` write).
    ``ref`` is ``LTR-n`` (``None`` for a preview that was never claimed)."""

    ref: str | None
    kind: str  # letter|plan-agreement|handover
    stage: str
    language: str
    letter_date: date
    customer_id: str
    customer_name: str
    subject: str
    format: str
    documents: Mapping[str, bytes]
    message_id: str | None = None
    to: tuple[str, ...] = ()
    creditor_name: str = ""
    creditor_email: str | None = None
    file_stem: str = "letter"

    @property
    def body(self) -> bytes:
        """The document in the requested format."""
        return self.documents[self.format]


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel may know: its settings (``[smtp]`` for email, ``[channels.<name>]`` for
    others), the environment (secrets come from here), the profile directory, an output target
    given on the command line (``--output``), and where to write progress for people."""

    settings: Mapping[str, Any]
    environ: Mapping[str, str]
    profile_dir: Path
    output: str | None = None
    echo: Callable[[str], None] | None = None


@dataclass(frozen=True, slots=True)
class RecipientResult:
    address: str
    kind: str  # to|cc|bcc
    accepted: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A channel's answer. ``sent``: accepted (``at`` = acceptance, UTC ISO); ``failed``: nothing
    was delivered and a retry is safe; ``uncertain``: it may have been delivered (a timeout after
    DATA) and must not be retried automatically."""

    status: DeliveryStatus
    at: str | None = None
    path: str | None = None
    error: str | None = None
    recipients: tuple[RecipientResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    """A registered channel: ``send(letter, ctx) -> Delivery``. ``needs`` names the formats it
    uses besides the requested one (email: ``{"txt", "html", "pdf"}``)."""

    name: str
    send: Callable[[RenderedLetter, ChannelContext], Delivery]
    help: str = ""
    needs: frozenset[str] = field(default_factory=frozenset)
    settings_table: str | None = None  # config table; default ``channels.<name>``
    #: ``check(letter, ctx)``: why this letter cannot go at all (settings missing, no
    #: recipient), or None — asked before a letter is claimed, so such a send records nothing.
    #: ``letter.documents`` may be empty here and ``letter.ref`` is None.
    check: Callable[[RenderedLetter, ChannelContext], str | None] | None = None

    def settings_in(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """This channel's table of the profile's config (``settings_table``, default
        ``channels.<name>``; empty when the config has none)."""
        table: Any = config
        for part in (self.settings_table or f"channels.{self.name}").split("."):
            table = dict(table or {}).get(part) or {}
        return dict(table)
