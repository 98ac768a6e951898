"""Bearer tokens: HS256 JWTs signed by downline's secret, or an external identity provider's
RS256/ES256 JWTs checked against its JWKS. `alg: none` and algorithm confusion are refused by
fixing the accepted algorithms per key kind, never reading them from the token."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Identity:
    email: str
    expires_at: datetime  # the token's exp: a long-lived connection must end then


def verify(settings: Settings, token: str) -> Identity:
    """Who a bearer token names and until when, or InvalidToken saying why."""
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
            return Identity(_email(claims["sub"], "sub"), _expiry(claims))
        if settings.jwks_url and header.get("alg") in IDP_ALGORITHMS:
            # The key itself (a PyJWK), not its bare key material: PyJWT then verifies with the
            # algorithm the key is bound to, so an ES256 header on an RSA key is refused rather
            # than handed to the wrong algorithm (which raised a TypeError: a 500).
            key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=IDP_ALGORITHMS,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                options={"require": ["exp"], "verify_aud": settings.jwt_audience is not None},
            )
            email = _email(claims.get(settings.jwt_email_claim), settings.jwt_email_claim)
            return Identity(email, _expiry(claims))
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is invalid") from exc
    raise InvalidToken("the token's algorithm is not accepted")


def _email(value: object, claim: str) -> str:
    """The claim naming the user, when it can: a string without NUL (no stored text holds one,
    and PostgreSQL refuses to compare with one: a 500 rather than a 401)."""
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidToken(f"the token has no usable '{claim}' claim")
    return value


def _expiry(claims: dict) -> datetime:
    """`exp` is required and checked by PyJWT, so here it is a number of seconds."""
    return datetime.fromtimestamp(claims["exp"], UTC)


@lru_cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, timeout=5)
