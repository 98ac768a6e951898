"""The built-in email plugin (plugins/notifications/email.py), called as core calls it: a real
`Export` row object and a real signed `Link` from `downline.core.exports.links.mint`. Mail lands in the
outbox folder, or on a real SMTP server (aiosmtpd on 127.0.0.1); a server that is down or mute
makes the hook raise, and core's `notify_export_ready` logs that without failing anything."""

import email.policy
import logging
import re
import smtplib
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from downline.core import plugins
from downline.core.config import get_settings
from downline.core.exports.links import Link, mint
from downline.core.models import Export
from downline.plugins.notifications import email as email_plugin

RECIPIENT = "eve@t.test"
SENDER = "exports@downline.example"
PUBLIC_URL = "https://downline.example"
FINISHED = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def settings(monkeypatch, tmp_path) -> Iterator[None]:
    """Settings from a clean environment (outbox mode, no third-party plugins); the cached
    settings and plugin manager are dropped before and after each test."""
    monkeypatch.setenv("DOWNLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DOWNLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("DOWNLINE_MAIL_FROM", SENDER)
    monkeypatch.setenv("DOWNLINE_LOAD_PLUGINS", "false")
    for name in ("DOWNLINE_SMTP_URL", "DOWNLINE_DOWNLOAD_LINK_TTL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    plugins.installed.cache_clear()
    yield
    get_settings.cache_clear()
    plugins.installed.cache_clear()


def finished_export(**values) -> Export:
    fields = {
        "type": "clients",
        "scope": "AGENT",
        "params": {"submittedFrom": "2026-03-01"},
        "requester_email": RECIPIENT,
        "status": "SUCCEEDED",
        "rows_written": 1234,
        "row_count": 1234,
        "byte_size": 456789,
        "requested_at": FINISHED - timedelta(seconds=30),
        "finished_at": FINISHED,
    } | values
    return Export(**fields)


def expiry_sentence(link: Link) -> str:
    at = link.expires_at.astimezone(UTC)
    return (
        f"This link expires at {at:%A} {at.day} {at:%B %Y, %H:%M} UTC (in 1 hour). "
        "After that, download it again from your export history."
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative message, decoded."""
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collect:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collect, int]]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_the_plugin_is_built_in_and_registered():
    assert email_plugin.__name__ in plugins.DEFAULT_PLUGINS
    names = [i.plugin_name for i in plugins.installed().hook.downline_export_ready.get_hookimpls()]
    assert names == ["downline.plugins.notifications.email"]


def test_without_smtp_the_email_lands_in_the_outbox(tmp_path):
    export = finished_export()
    link = mint(get_settings(), export.id, RECIPIENT)

    email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)

    outbox = tmp_path / "var" / "outbox"
    files = sorted(p.name for p in outbox.iterdir())
    assert files == [f"20260302T100005Z-{export.id}.eml"]  # no temporary file left behind
    message = parse((outbox / files[0]).read_bytes())
    assert message["To"] == RECIPIENT
    assert message["From"] == SENDER
    assert message["Subject"] == "Your clients export is ready"
    assert message["Message-ID"] and message["Date"]
    text, html = parts(message)
    assert link.url.startswith(f"{PUBLIC_URL}/exports/{export.id}/download?token=")
    for body in (text, html):
        assert link.url in body
        assert f"clients-2026-03-02-{export.id}.csv" in body
        assert expiry_sentence(link) in body
        # No personal data: not the requester's address, not the export's parameters.
        assert RECIPIENT not in body and "submittedFrom" not in body
    assert "Rows: 1,234" in text.splitlines() and ">Rows</td><td>1,234</td>" in html
    assert f'href="{link.url}"' in html


def test_a_real_smtp_server_receives_one_message(monkeypatch, smtp_server):
    handler, port = smtp_server
    monkeypatch.setenv("DOWNLINE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    export = finished_export(type="client_follow_ups", row_count=1)
    link = mint(get_settings(), export.id, RECIPIENT)

    email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == [RECIPIENT]
    message = parse(envelope.content)
    assert message["To"] == RECIPIENT
    assert message["Subject"] == "Your client follow ups export is ready"
    text, html = parts(message)
    for body in (text, html):
        assert link.url in body and expiry_sentence(link) in body
    assert "Rows: 1" in text.splitlines() and ">Rows</td><td>1</td>" in html
    assert not (get_settings().var_dir / "outbox").exists()  # SMTP set: nothing in the outbox


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_login_with_user_and_password_from_the_url(monkeypatch):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:w/rd")

    handler, port = Collect(), free_port()
    # Plain-text AUTH is allowed here only because it is a loopback test server.
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        monkeypatch.setenv("DOWNLINE_SMTP_URL", f"smtp://mailer:p%40ss%3Aw%2Frd@127.0.0.1:{port}")
        get_settings.cache_clear()
        export = finished_export()
        link = mint(get_settings(), export.id, RECIPIENT)
        email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)
    finally:
        controller.stop()
    assert logins == [("mailer", "p@ss:w/rd")]
    assert [e.rcpt_tos for e in handler.envelopes] == [[RECIPIENT]]


def test_smtp_down_raises_and_core_logs_it_without_failing(monkeypatch, caplog):
    monkeypatch.setenv("DOWNLINE_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    get_settings.cache_clear()
    export = finished_export()
    link = mint(get_settings(), export.id, RECIPIENT)

    with pytest.raises(OSError):
        email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)

    # Through core, with the installed plugin manager: logged, not raised, and the other
    # implementations are still called.
    plugins.installed.cache_clear()
    seen = []

    class Recorder:
        @plugins.hookimpl
        def downline_export_ready(self, export, link, recipient):
            seen.append((export.id, link.url, recipient))

    plugins.installed().register(Recorder(), name="recorder")
    with caplog.at_level(logging.ERROR, logger="downline.core.plugins"):
        plugins.notify_export_ready(export, link, RECIPIENT)
    plugins.installed.cache_clear()

    assert seen == [(export.id, link.url, RECIPIENT)]
    failures = [r for r in caplog.records if r.name == "downline.core.plugins"]
    assert len(failures) == 1
    assert failures[0].getMessage() == (
        f"notification plugin downline.plugins.notifications.email failed for export {export.id}"
    )
    assert failures[0].exc_info and issubclass(failures[0].exc_info[0], OSError)


def test_a_mute_smtp_server_times_out_instead_of_hanging(monkeypatch):
    assert email_plugin.SMTP_TIMEOUT == 10  # the real bound; shortened below to keep tests fast
    monkeypatch.setattr(email_plugin, "SMTP_TIMEOUT", 0.5)
    with socket.socket() as mute:  # accepts connections (backlog) and never says a word
        mute.bind(("127.0.0.1", 0))
        mute.listen(1)
        monkeypatch.setenv("DOWNLINE_SMTP_URL", f"smtp://127.0.0.1:{mute.getsockname()[1]}")
        get_settings.cache_clear()
        export = finished_export()
        link = mint(get_settings(), export.id, RECIPIENT)
        started = time.monotonic()
        # smtplib reports the timeout while reading the greeting as a disconnection.
        with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected), match="timed out"):
            email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)
    assert time.monotonic() - started < 5


def test_the_html_part_escapes_what_it_shows(tmp_path):
    recipient = "o&malley+exports@t.test"
    url = f"{PUBLIC_URL}/exports/x/download?token=a<b>&next=\"q\"&c='1'"
    export = finished_export(type="clients<b>&co")
    link = Link(url, FINISHED + timedelta(hours=1))

    email_plugin.downline_export_ready(export=export, link=link, recipient=recipient)

    (path,) = (tmp_path / "var" / "outbox").iterdir()
    message = parse(path.read_bytes())
    assert message["To"] == recipient
    assert message["Subject"] == "Your clients<b>&co export is ready"
    text, html = parts(message)
    escaped_url = f"{PUBLIC_URL}/exports/x/download?token=a&lt;b&gt;&amp;next=&quot;q&quot;&amp;c=&#x27;1&#x27;"
    assert f'href="{escaped_url}"' in html
    assert f"copy this address: {escaped_url}" in html
    assert "Your clients&lt;b&gt;&amp;co export is ready." in html
    assert "<b>" not in html and "a<b" not in html and "&next" not in html
    # Only the HTML is escaped: the plain text shows the link as it is.
    assert url in text and "Your clients<b>&co export is ready." in text
    assert "This link expires at Monday 2 March 2026, 11:00 UTC (in 1 hour)." in text
    assert "malley" not in text and "malley" not in html  # the recipient is never in the body


def test_smtp_url_forms():
    parse_url = email_plugin.parse_smtp_url
    assert parse_url("smtp://mail.test") == email_plugin.SmtpTarget("mail.test", 25)
    assert parse_url("smtps://u:p%40w@mail.test") == email_plugin.SmtpTarget(
        "mail.test", 465, ssl=True, user="u", password="p@w"
    )
    assert parse_url("smtp://mail.test:587?starttls=true") == email_plugin.SmtpTarget(
        "mail.test", 587, starttls=True
    )
    assert not parse_url("smtp://mail.test:2525?starttls=false").starttls
    for bad, why in (
        ("http://mail.test", "smtp:// or smtps://"),
        ("smtp://:25", "no host"),
        ("smtps://mail.test?starttls=1", "TLS already"),
    ):
        with pytest.raises(ValueError, match=re.escape(why)):
            parse_url(bad)


def test_the_ttl_is_spelled_out(monkeypatch):
    monkeypatch.setenv("DOWNLINE_DOWNLOAD_LINK_TTL", "1800")
    get_settings.cache_clear()
    export = finished_export()
    link = mint(get_settings(), export.id, RECIPIENT)
    email_plugin.downline_export_ready(export=export, link=link, recipient=RECIPIENT)
    (path,) = (get_settings().var_dir / "outbox").iterdir()
    text, _ = parts(parse(path.read_bytes()))
    assert "(in 30 minutes)" in text
