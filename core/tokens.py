"""Bearer tokens: HS256 JWTs signed by downline's secret, or an external identity provider's
RS256/ES256 JWTs checked against its JWKS. `alg: none` and algorithm confusion are refused by
fixing the accepted algorithms per key kind, never reading them from the token."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from threading import Lock

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
    known = _verified_local(settings.secret_key, token)
    if known is not None:
        if known.expires_at <= datetime.now(UTC):
            raise InvalidToken("the token has expired")
        return known
    identity = _verify(settings, token)
    if jwt.get_unverified_header(token).get("alg") in LOCAL_ALGORITHMS:
        _verified_local.remember(settings.secret_key, token, identity)
    return identity


def fetches_keys(settings: Settings, token: str) -> bool:
    """Whether verifying `token` may fetch the identity provider's keys over the network (an
    RS256/ES256 token while DOWNLINE_JWKS_URL is set; a token naming a key id the cached set
    lacks makes PyJWT fetch the set again): its caller keeps that off an event loop."""
    if not settings.jwks_url:
        return False
    try:
        return jwt.get_unverified_header(token).get("alg") in IDP_ALGORITHMS
    except jwt.PyJWTError:
        return False


class _Verified:
    """Local tokens whose signature and claims were checked already, by secret and token (a
    client sends its token with every request; checking it cost a request 50 us). Only what
    cannot change is kept: a token's expiry is looked at again at every use, and the user behind
    it is loaded again by every request."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: OrderedDict[tuple[str, str], Identity] = OrderedDict()
        self.lock = Lock()

    def __call__(self, secret: str, token: str) -> Identity | None:
        with self.lock:
            identity = self.found.get((secret, token))
            if identity is not None:
                self.found.move_to_end((secret, token))
            return identity

    def remember(self, secret: str, token: str, identity: Identity) -> None:
        with self.lock:
            self.found[(secret, token)] = identity
            while len(self.found) > self.size:
                self.found.popitem(last=False)


_verified_local = _Verified(4096)


def _verify(settings: Settings, token: str) -> Identity:
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
