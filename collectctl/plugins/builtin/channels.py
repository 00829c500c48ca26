"""Built-in letter channels: ``stdout``, ``file`` (a directory) and ``email`` (SMTP).

Registered through ``register_channels`` like any third-party channel. ``email`` sends a text
body with an HTML alternative and the PDF attached; an SMTP refusal before DATA is ``failed``
(nothing delivered, retryable), a timeout or lost connection after DATA is ``uncertain`` (the
server may have accepted it: never retried automatically). The password comes from
``COLLECTCTL_SMTP_PASSWORD`` (environment or ``.env``) and is never printed or stored.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectctl.letters.channel import (
    Channel,
    ChannelContext,
    Delivery,
    DeliveryStatus,
    RecipientResult,
    RenderedLetter,
)
from collectctl.plugins.hookspecs import hookimpl

PASSWORD_VARIABLE = "COLLECTCTL_SMTP_PASSWORD"
EXTENSIONS = {"md": "md", "txt": "txt", "html": "html", "pdf": "pdf"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- stdout ------------------------------------------------------------------------------------


def send_stdout(letter: RenderedLetter, ctx: ChannelContext) -> Delivery:
    """Write the document to standard output (a PDF never to a terminal)."""
    stream = sys.stdout
    if letter.format == "pdf" and stream.isatty():
        return Delivery(
            status="failed",
            error="refusing to write a PDF to a terminal: "
            "redirect stdout to a file or use --send file",
        )
    stream.flush()
    stream.buffer.write(letter.body)
    stream.buffer.flush()
    return Delivery(status="sent", at=_now(), path="-")


# -- file --------------------------------------------------------------------------------------


def letters_dir(ctx: ChannelContext) -> Path:
    """``--output DIR``, else ``[channels.file] dir``, else ``<profile>/letters``."""
    target = ctx.output or str(ctx.settings.get("dir") or "")
    return Path(target).expanduser() if target else ctx.profile_dir / "letters"


def write_exclusive(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, never replacing a file and never through a
    symlink: a temporary file opened with O_EXCL|O_NOFOLLOW, then hard-linked into place (which
    fails if the name exists, symlink or not)."""
    directory = path.parent
    if directory.is_symlink():
        raise OSError(f"{directory} is a symbolic link; refusing to write through it")
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def send_file(letter: RenderedLetter, ctx: ChannelContext) -> Delivery:
    """Write the document into the letters directory under a safe, unique name."""
    path = letters_dir(ctx) / f"{letter.file_stem}.{EXTENSIONS[letter.format]}"
    try:
        write_exclusive(path, letter.body)
    except FileExistsError:
        return Delivery(status="failed", error=f"{path} already exists; not overwritten")
    except OSError as exc:
        return Delivery(status="failed", error=f"cannot write {path}: {exc.strerror or exc}")
    if ctx.echo:
        ctx.echo(f"wrote {path}")
    return Delivery(status="sent", at=_now(), path=str(path))


# -- email -------------------------------------------------------------------------------------


def build_message(letter: RenderedLetter, settings: Mapping[str, Any]) -> Any:
    """The EmailMessage: text body, HTML alternative, PDF attached, headers for a letter."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime, getaddresses

    msg = EmailMessage()
    sender = str(settings.get("from") or letter.creditor_email or "")
    if not sender:
        raise ValueError("[smtp] from is empty (and [creditor] email too)")
    msg["From"] = Address(display_name=letter.creditor_name, addr_spec=sender.strip())
    msg["To"] = [Address(display_name=n, addr_spec=a) for n, a in getaddresses(list(letter.to))]
    reply_to = str(settings.get("reply_to") or letter.creditor_email or "")
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = letter.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    if letter.message_id:
        msg["Message-ID"] = letter.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(letter.documents["txt"].decode("utf-8"))
    if "html" in letter.documents:
        msg.add_alternative(letter.documents["html"].decode("utf-8"), subtype="html")
    if "pdf" in letter.documents:
        msg.add_attachment(
            letter.documents["pdf"],
            maintype="application",
            subtype="pdf",
            filename=f"{letter.file_stem}.pdf",
        )
    return msg


def _recipients(letter: RenderedLetter, settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    from email.utils import getaddresses

    out = [(addr, "to") for _, addr in getaddresses(list(letter.to)) if addr]
    bcc = settings.get("bcc") or ""
    for _, addr in getaddresses([bcc] if isinstance(bcc, str) else list(bcc)):
        if addr:
            out.append((addr, "bcc"))
    return out


def check_email(letter: RenderedLetter, ctx: ChannelContext) -> str | None:
    """Why ``letter`` cannot be emailed at all (no ``[smtp] host``, no address), or None."""
    if not str(ctx.settings.get("host") or ""):
        return "[smtp] host is not set in config.toml"
    if not letter.to:
        return (
            f"{letter.customer_name} has no email address "
            "(set one with `collectctl account set ID --email ...`)"
        )
    return None


def send_email(letter: RenderedLetter, ctx: ChannelContext) -> Delivery:
    """Send over SMTP (``[smtp]``: host, port, security, username, from, reply_to, bcc, timeout)."""
    import smtplib
    import ssl

    settings = ctx.settings
    problem = check_email(letter, ctx)
    if problem:
        return Delivery(status="failed", error=problem)
    host = str(settings.get("host"))
    security = str(settings.get("security") or "starttls")
    if settings.get("starttls") is False and security == "starttls":
        security = "none"  # the old `starttls = false` setting
    if security not in ("starttls", "tls", "none"):
        return Delivery(
            status="failed",
            error=f'[smtp] security = {security!r}: use "starttls", "tls" or "none"',
        )
    try:
        port = int(settings.get("port") or (465 if security == "tls" else 587))
        timeout = float(settings.get("timeout") or 30)
    except (TypeError, ValueError):
        return Delivery(status="failed", error="[smtp] port and timeout must be numbers")
    try:
        msg = build_message(letter, settings)
    except (ValueError, TypeError) as exc:
        return Delivery(status="failed", error=f"cannot build the message: {exc}")
    rcpts = _recipients(letter, settings)
    context = _tls_context(settings)
    phase = "connect"
    results: list[RecipientResult] = []
    try:
        smtp: smtplib.SMTP
        if security == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            username = str(settings.get("username") or "")
            if username:
                smtp.login(username, ctx.environ.get(PASSWORD_VARIABLE, ""))
            phase = "mail"
            from_addr = str(msg["From"].addresses[0].addr_spec)
            code, reply = smtp.mail(from_addr)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, from_addr)
            accepted = []
            for addr, kind in rcpts:
                code, reply = smtp.rcpt(addr)
                ok = code in (250, 251)
                results.append(
                    RecipientResult(
                        addr, kind, ok, None if ok else f"{code} {reply.decode(errors='replace')}"
                    )
                )
                if ok:
                    accepted.append(addr)
            if not any(r.accepted and r.kind == "to" for r in results):
                smtp.rset()
                return Delivery(
                    status="failed",
                    error="every recipient was refused: "
                    + "; ".join(f"{r.address}: {r.error}" for r in results if not r.accepted),
                    recipients=tuple(results),
                )
            phase = "data"
            # smtplib sends bytes as they are: the message must already use CRLF line ends.
            code, reply = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            at = _now()
            phase = "quit"
        return Delivery(status="sent", at=at, recipients=tuple(results))
    except smtplib.SMTPAuthenticationError as exc:
        return Delivery(
            status="failed",
            error=f"SMTP login refused ({exc.smtp_code}); check "
            f"[smtp] username and {PASSWORD_VARIABLE}",
            recipients=tuple(results),
        )
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return Delivery(
            status="failed",
            error=f"SMTP {phase} refused: {exc.smtp_code} {text}",
            recipients=tuple(results),
        )
    except (
        smtplib.SMTPServerDisconnected,
        TimeoutError,
        OSError,
        smtplib.SMTPException,
        ssl.SSLError,
    ) as exc:
        if phase == "quit":
            return Delivery(status="sent", at=_now(), recipients=tuple(results))
        status: DeliveryStatus = "uncertain" if phase == "data" else "failed"
        what = "after DATA: the server may have accepted it" if status == "uncertain" else phase
        return Delivery(
            status=status,
            error=f"SMTP {what}: {type(exc).__name__}: {exc}",
            recipients=tuple(results),
        )


def _tls_context(settings: Mapping[str, Any]) -> Any:
    import ssl

    context = ssl.create_default_context()
    cafile = settings.get("cafile")
    if cafile:
        context.load_verify_locations(cafile=str(cafile))
    return context


BUILTIN_CHANNELS: tuple[Channel, ...] = (
    Channel("stdout", send_stdout, help="Print the letter on standard output."),
    Channel(
        "file",
        send_file,
        help="Write the letter into a directory (--output DIR, "
        "[channels.file] dir, default <profile>/letters).",
    ),
    Channel(
        "email",
        send_email,
        help="Send by SMTP ([smtp]): text, HTML and the PDF attached.",
        needs=frozenset({"txt", "html", "pdf"}),
        settings_table="smtp",
        check=check_email,
    ),
)


@hookimpl
def register_channels(register: Callable[[Channel], None]) -> None:
    """The built-in channels."""
    for channel in BUILTIN_CHANNELS:
        register(channel)
