"""Bearer tokens: HS256 JWTs signed by downline's secret, or an external identity provider's
RS256/ES256 JWTs checked against its JWKS. `alg: none` and algorithm confusion are refused by
fixing the accepted algorithms per key kind, never reading them from the token."""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from downline.core.config import Settings

LOCAL_ALGORITHMS = ["HS256"]
IDP_ALGORITHMS = ["RS256", "ES256"]


class InvalidToken(Exception):
    pass


def mint(settings: Settings, email: str, ttl: int | None = None) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": email.strip().lower(),
        "iat": now,
        "exp": now + timedelta(seconds=ttl if ttl is not None else settings.token_ttl),
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def email_from(settings: Settings, token: str) -> str:
    """The user's email from a bearer token, or InvalidToken saying why."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is not a JWT") from exc
    try:
        if header.get("alg") in LOCAL_ALGORITHMS:
            claims = jwt.decode(
                token,
                settings.secret_key,
                algorithms=LOCAL_ALGORITHMS,
                options={"require": ["exp", "sub"]},
            )
            return str(claims["sub"])
        if settings.jwks_url and header.get("alg") in IDP_ALGORITHMS:
            key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=IDP_ALGORITHMS,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                options={"require": ["exp"], "verify_aud": settings.jwt_audience is not None},
            )
            email = claims.get(settings.jwt_email_claim)
            if not isinstance(email, str):
                raise InvalidToken(f"the token has no '{settings.jwt_email_claim}' claim")
            return email
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is invalid") from exc
    raise InvalidToken("the token's algorithm is not accepted")


@lru_cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, timeout=5)
