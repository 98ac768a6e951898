"""Who is calling: a bearer token -> the Principal behind it and until when, or why not."""

from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread

from downline.core import db, tokens
from downline.core.book.scope import (
    PRINCIPAL,
    Principal,
    load_principal,
    principal_of,
    principal_parameters,
)
from downline.core.config import get_settings
from downline.schema.context import Unit


class AuthError(Exception):
    pass


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    until: datetime  # the token's exp


def _token(header: str | None) -> str:
    if not header:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def _verified(token: str) -> tokens.Identity:
    try:
        return tokens.verify(get_settings(), token)
    except tokens.InvalidToken as exc:
        raise AuthError(str(exc)) from exc


async def _identity(header: str | None) -> tokens.Identity:
    """Verified where it is called, but an identity provider's token in a worker thread: its
    keys may be fetched over the network (for up to 5 s), which would hold up every other
    request of the event loop (and a token naming an unknown key id fetches them again)."""
    token = _token(header)
    if tokens.fetches_keys(get_settings(), token):
        return await to_thread.run_sync(_verified, token)
    return _verified(token)


def _principal_alone(email: str) -> Principal | None:
    with db.session() as session:
        return load_principal(session, email)


async def authenticate(header: str | None, unit: Unit | None = None) -> SignedIn:
    """In `unit`, the HTTP request's database work, as its first statement; else (a WebSocket)
    with a session of its own."""
    identity = await _identity(header)
    if unit is None:
        principal = await to_thread.run_sync(_principal_alone, identity.email)
    else:
        row = await unit.first_row(PRINCIPAL, principal_parameters(identity.email))
        principal = principal_of(row)
    if principal is None:
        raise AuthError("the token's user no longer exists or has lost its agent or agency")
    return SignedIn(principal, identity.expires_at)
