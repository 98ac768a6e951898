"""Who is calling: a bearer token -> the Principal behind it, or why not."""

from anyio import to_thread

from downline.core import db, tokens
from downline.core.book.scope import Principal, load_principal
from downline.core.config import get_settings


class AuthError(Exception):
    pass


def _principal_for(header: str | None) -> Principal:
    if not header:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    try:
        email = tokens.email_from(get_settings(), token.strip())
    except tokens.InvalidToken as exc:
        raise AuthError(str(exc)) from exc
    with db.session() as session:
        principal = load_principal(session, email)
    if principal is None:
        raise AuthError("the token's user no longer exists or has lost its agent or agency")
    return principal


async def authenticate(header: str | None) -> Principal:
    return await to_thread.run_sync(_principal_for, header)
