"""Who is calling: a bearer token -> the Principal behind it and until when, or why not."""

from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread

from downline.core import db, tokens
from downline.core.book.scope import PRINCIPAL, Principal, principal_of, principal_parameters
from downline.core.config import get_settings
from downline.schema.context import Unit


class AuthError(Exception):
    pass


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    until: datetime  # the token's exp


def _identity(header: str | None) -> tokens.Identity:
    if not header:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    try:
        return tokens.verify(get_settings(), token.strip())
    except tokens.InvalidToken as exc:
        raise AuthError(str(exc)) from exc


def _signed_in(identity: tokens.Identity, row) -> SignedIn:
    principal = principal_of(row)
    if principal is None:
        raise AuthError("the token's user no longer exists or has lost its agent or agency")
    return SignedIn(principal, identity.expires_at)


def _row_alone(email: str):
    with db.session() as session:
        return session.execute(PRINCIPAL, principal_parameters(email)).first()


async def authenticate(header: str | None, unit: Unit | None = None) -> SignedIn:
    """In `unit`, the HTTP request's database work, as its first statement; else (a WebSocket)
    with a session of its own."""
    identity = _identity(header)
    if unit is None:
        row = await to_thread.run_sync(_row_alone, identity.email)
    else:
        row = await unit.first_row(PRINCIPAL, principal_parameters(identity.email))
    return _signed_in(identity, row)
