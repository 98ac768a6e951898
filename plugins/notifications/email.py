"""email: the built-in `downline_export_ready` plugin. It tells the requester, by email, that the
export is ready, with the signed download link and when that link expires (docs/domain.md).

The email is multipart/alternative (plain text, then HTML, everything in the HTML escaped) and
holds no personal data: the export type, its row count, the file name, the link, the expiry. It
never includes parameters or cells of the export, nor the recipient's address in the body.

Delivery, by settings:

- ``DOWNLINE_SMTP_URL`` unset: the message is written to
  ``$DOWNLINE_VAR_DIR/outbox/<finished at, UTC, YYYYMMDDTHHMMSSZ>-<export id>.eml``, atomically
  (a temporary name in the same folder, then ``os.replace``), so a reader never sees half a file.
- ``smtp://host[:port]``: plain SMTP, port 25 by default.
- ``smtps://host[:port]``: SMTP over TLS from the first byte (``SMTP_SSL``), port 465 by default.
- ``smtp://host:587?starttls=true``: plain SMTP upgraded with STARTTLS before anything else is
  said (``starttls`` accepts true/1/yes/on). TLS certificates are verified against the system's
  trust store, in both TLS modes.
- ``user:password@`` before the host (percent-encoded where needed, e.g. ``%40`` for ``@``):
  log in with them after the (optional) STARTTLS.

Every socket operation with the SMTP server times out after `SMTP_TIMEOUT` seconds, so a server
that accepts the connection and then says nothing cannot hang a worker. Any delivery failure is
raised; core logs it and the export still succeeds (`notify_export_ready`).
"""

import html
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from downline.plugins import get_settings, hookimpl, private_dir

SMTP_TIMEOUT = 10.0  # seconds, per socket operation
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send, from DOWNLINE_SMTP_URL."""

    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None


@hookimpl
def downline_export_ready(export: Any, link: Any, recipient: str) -> None:
    """Email `recipient` that `export` is ready at `link` (a `Link`: url and expires_at)."""
    settings = get_settings()
    message = build_message(export, link, recipient, settings.mail_from, settings.download_link_ttl)
    if settings.smtp_url:
        send(message, parse_smtp_url(settings.smtp_url), settings.mail_from, recipient)
    else:
        write_outbox(message, Path(settings.var_dir) / "outbox", export)


def build_message(
    export: Any, link: Any, recipient: str, sender: str, ttl_seconds: int
) -> EmailMessage:
    """The email for one finished export. `link` is a `Link`; a bare URL string is accepted too
    (then the expiry is counted from now)."""
    url = str(getattr(link, "url", link))
    expires_at = _utc(getattr(link, "expires_at", None)) or _now() + timedelta(seconds=ttl_seconds)
    what = str(export.type).replace("_", " ")
    expiry = (
        f"This link expires at {_human(expires_at)} (in {_duration(ttl_seconds)}). "
        "After that, download it again from your export history."
    )
    facts = [("Export", what), ("Rows", _rows(export.row_count))]
    name = _file_name(export)
    if name:
        facts.append(("File", name))

    message = EmailMessage()
    message["Subject"] = f"Your {what} export is ready"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(_now())
    message["Message-ID"] = make_msgid("export", domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"

    text_facts = "\n".join(f"{label}: {value}" for label, value in facts)
    message.set_content(
        f"Your {what} export is ready.\n\n{text_facts}\n\nDownload it:\n{url}\n\n{expiry}\n"
    )

    e = html.escape
    html_facts = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#555">{e(label)}</td><td>{e(value)}</td></tr>'
        for label, value in facts
    )
    message.add_alternative(
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"></head>'
        '<body style="font-family:sans-serif;font-size:15px;color:#222">\n'
        f"<p>Your {e(what)} export is ready.</p>\n"
        f"<table>{html_facts}</table>\n"
        f'<p><a href="{e(url)}" style="display:inline-block;padding:8px 16px;background:#1a56db;'
        'color:#fff;text-decoration:none;border-radius:4px">Download the file</a></p>\n'
        f'<p style="font-size:13px;color:#555">Or copy this address: {e(url)}</p>\n'
        f"<p>{e(expiry)}</p>\n"
        "</body></html>\n",
        subtype="html",
    )
    return message


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://[user:password@]host[:port][?starttls=true]` or `smtps://...` (module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"DOWNLINE_SMTP_URL must start with smtp:// or smtps://, not {scheme!r}")
    if not parts.hostname:
        raise ValueError("DOWNLINE_SMTP_URL names no host")
    query = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "").strip().lower() in TRUE
    if starttls and scheme == "smtps":
        raise ValueError("DOWNLINE_SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[scheme],
        ssl=scheme == "smtps",
        starttls=starttls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def send(message: EmailMessage, target: SmtpTarget, sender: str, recipient: str) -> None:
    """Deliver over SMTP; raises on any failure (refused connection, timeout, rejection)."""
    if target.ssl:
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
    with client:
        if target.starttls:
            client.starttls(context=ssl.create_default_context())
        if target.user:
            client.login(target.user, target.password or "")
        client.send_message(message, from_addr=sender, to_addrs=[recipient])


def write_outbox(message: EmailMessage, outbox: Path, export: Any) -> Path:
    """Write the message as `<outbox>/<timestamp>-<export id>.eml`, atomically."""
    private_dir(outbox)  # mkstemp makes the message itself 0600
    stamp = (_utc(getattr(export, "finished_at", None)) or _now()).strftime("%Y%m%dT%H%M%SZ")
    path = outbox / f"{stamp}-{export.id}.eml"
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive value (SQLite may return one) is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _human(moment: datetime) -> str:
    """`Tuesday 3 March 2026, 14:05 UTC` (minutes truncated: never later than the real expiry)."""
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} UTC"


def _duration(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _rows(count: int | None) -> str:
    if count is None:
        return "unknown"
    return f"{count:,}"


def _file_name(export: Any) -> str | None:
    """The export file name `<type>-<yyyy-mm-dd>-<export id>.csv` (core's `file_name`, which a
    plugin cannot import)."""
    requested = getattr(export, "requested_at", None)
    if requested is None:
        return None
    return f"{export.type}-{requested.date().isoformat()}-{export.id}.csv"


def _domain(address: str) -> str:
    """The sender's domain, for Message-ID (make_msgid's default asks DNS for this host's name)."""
    domain = address.rpartition("@")[2].strip().strip(">")
    return domain or "localhost"
