"""Who is calling: a bearer token -> the Principal behind it and until when, or why not."""

from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from sqlalchemy import Connection
from sqlmodel import Session

from downline.core import db, tokens
from downline.core.book.scope import Principal, load_principal
from downline.core.config import get_settings
from downline.schema.context import Unit


class AuthError(Exception):
    pass


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    until: datetime  # the token's exp


def _signed_in(session: Session | Connection, header: str | None) -> SignedIn:
    if not header:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    try:
        identity = tokens.verify(get_settings(), token.strip())
    except tokens.InvalidToken as exc:
        raise AuthError(str(exc)) from exc
    principal = load_principal(session, identity.email)
    if principal is None:
        raise AuthError("the token's user no longer exists or has lost its agent or agency")
    return SignedIn(principal, identity.expires_at)


def _signed_in_alone(header: str | None) -> SignedIn:
    with db.session() as session:
        return _signed_in(session, header)


async def authenticate(header: str | None, unit: Unit | None = None) -> SignedIn:
    """In `unit`, the HTTP request's database work, as its first statement; else (a WebSocket)
    with a session of its own."""
    if unit is None:
        return await to_thread.run_sync(_signed_in_alone, header)
    return await unit.run(_signed_in, header, first=True)
