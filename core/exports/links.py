"""Signed, expiring download links: the token names the export and its requester, is signed with
downline's secret, and expires after DOWNLOAD_LINK_TTL seconds. It is checked against the
requester's scope again whenever it is used (server/downloads.py).

A link's address is DOWNLINE_PUBLIC_URL when set. Unset, it is the address the request came to,
as its client saw it: an API answer's own request, or, for the emailed link, the request that
asked for the export (kept on the export), so the link reaches the server that was reached."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from downline.core.config import Settings
from downline.core.models import utcnow

SALT = "downline.export-download"
# `downline serve`'s default address: the base of a link when neither DOWNLINE_PUBLIC_URL nor a
# request's address is known (an export requested by `downline export`, or before one was kept).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class LinkExpired(Exception):
    def __init__(self, export_id: str | None, email: str | None) -> None:
        super().__init__("the link has expired")
        self.export_id = export_id
        self.email = email


class LinkInvalid(Exception):
    pass


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def _base_url(settings: Settings, request_base_url: str | None) -> str:
    """Where links point: DOWNLINE_PUBLIC_URL wins; else the address the request came to."""
    return (settings.public_url or request_base_url or DEFAULT_BASE_URL).rstrip("/")


def mint(
    settings: Settings, export_id: str, email: str, request_base_url: str | None = None
) -> Link:
    token = _serializer(settings).dumps({"export": export_id, "user": email})
    base = _base_url(settings, request_base_url)
    url = f"{base}/exports/{export_id}/download?token={token}"
    return Link(url, utcnow() + timedelta(seconds=settings.download_link_ttl))


def verify(settings: Settings, token: str) -> tuple[str, str]:
    """(export id, requester email) of a valid token; LinkExpired or LinkInvalid otherwise."""
    serializer = _serializer(settings)
    try:
        payload = serializer.loads(token, max_age=settings.download_link_ttl)
    except SignatureExpired as exc:
        # The signature was good, so the payload can be trusted to say whose link it was.
        claims = serializer.load_payload(exc.payload) if exc.payload else {}
        raise LinkExpired(claims.get("export"), claims.get("user")) from exc
    except BadSignature as exc:
        raise LinkInvalid("the link is not valid") from exc
    if not isinstance(payload, dict) or not {"export", "user"} <= payload.keys():
        raise LinkInvalid("the link is not valid")
    return str(payload["export"]), str(payload["user"])
