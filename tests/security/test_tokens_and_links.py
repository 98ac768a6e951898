"""Bearer tokens and download links: forged, confused, tampered, expired and replayed, over HTTP
and over the WebSocket handshake.

Proven elsewhere, and not repeated here:
- no token, a non-bearer scheme, a non-JWT and a bare `alg: none` token are 401:
  tests/server/test_auth.py::test_missing_or_bad_token_is_401_with_a_json_error
- an expired token is 401 saying so, over HTTP: tests/server/test_auth.py::test_expired_token_is_refused
- a deleted user's token is 401: tests/server/test_auth.py::test_a_deleted_user_loses_access_at_once
- a link whose signature was edited, a link used on another export's path and an empty link are
  403: tests/core/exports/test_export_lifecycle.py::test_tampered_and_foreign_links_are_403
- a deleted user's link is 403: tests/core/exports/test_export_lifecycle.py::
  test_link_of_a_deleted_user_is_403
Here: every variant of `alg` confusion (with and without an identity provider), payload and header
tampering, the same over WebSocket, a link replayed past its expiry, links whose payload was
swapped or which were signed validly for the wrong user, and the two signers never standing in
for each other.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt
import pytest

from downline.core.config import get_settings

QUERY = "{ viewer { email } }"
EVE = "eve@t.test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hand_signed(header: dict, claims: dict, secret: bytes) -> str:
    """A JWT signed with HMAC-SHA256 whatever its header says (PyJWT refuses to build the
    classic confusions, so they are built by hand)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(**extra) -> dict:
    now = datetime.now(UTC)
    base = {
        "sub": EVE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    return {k: v for k, v in (base | extra).items() if v is not None}


def http_status(api, token: str) -> tuple[int, dict]:
    response = api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, response.json()


def ws_accepted(ws_connect, api, token: str) -> bool:
    context, _ws, answer = ws_connect(api.client, f"Bearer {token}")
    context.__exit__(None, None, None)
    return isinstance(answer, dict) and answer.get("type") == "connection_ack"


def refusals(api, ws_connect, forged: dict[str, str]) -> dict[str, str]:
    """Each forged token that was NOT refused with a JSON 401 UNAUTHENTICATED over HTTP and a
    refused WebSocket handshake, with what happened instead."""
    wrong = {}
    for name, token in forged.items():
        status, body = http_status(api, token)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        if status != 401 or codes != ["UNAUTHENTICATED"] or "data" in body:
            wrong[name] = f"HTTP {status} {body}"
        elif ws_accepted(ws_connect, api, token):
            wrong[name] = "WebSocket connection_init accepted"
    return wrong


# ---- downline's own tokens (HS256, no identity provider configured)


def test_forged_and_tampered_local_tokens_are_refused_over_http_and_websocket(
    api, book, ws_connect
):
    secret = get_settings().secret_key.encode()
    genuine = api.token(EVE)
    assert http_status(api, genuine)[0] == 200 and ws_accepted(ws_connect, api, genuine)
    head, body, signature = genuine.split(".")
    admin_claims = claims(sub="admin@top.test")

    forged = {
        **{
            f"alg {alg!r}, no signature": f"{segment({'alg': alg, 'typ': 'JWT'})}.{body}."
            for alg in ("none", "None", "NONE", "nOnE")
        },
        "alg none keeping the real signature": f"{segment({'alg': 'none'})}.{body}.{signature}",
        "HS384 with the real secret": jwt.encode(claims(), secret, algorithm="HS384"),
        "HS512 with the real secret": jwt.encode(claims(), secret, algorithm="HS512"),
        "RS256 header, HMAC with the real secret": hand_signed(
            {"alg": "RS256", "typ": "JWT"}, claims(), secret
        ),
        "ES256 header, HMAC with the real secret": hand_signed(
            {"alg": "ES256", "typ": "JWT"}, claims(), secret
        ),
        "HS256 with another key": jwt.encode(claims(), "x" * 48, algorithm="HS256"),
        "payload swapped for an admin's": f"{head}.{segment(admin_claims)}.{signature}",
        "payload with a later expiry": f"{head}.{segment(claims(exp=2**33))}.{signature}",
        "header given a kid": f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': 'x'})}.{body}."
        + signature,
        "signature stripped": f"{head}.{body}.",
        "signature of another token": f"{head}.{body}.{api.token('dan@t.test').split('.')[2]}",
        "expired five seconds ago": jwt.encode(
            claims(exp=int(time.time()) - 5), secret, algorithm="HS256"
        ),
        "no exp": jwt.encode(claims(exp=None), secret, algorithm="HS256"),
        "no sub": jwt.encode(claims(sub=None), secret, algorithm="HS256"),
        "not valid before next hour": jwt.encode(
            claims(nbf=int(time.time()) + 3600), secret, algorithm="HS256"
        ),
        "sub of no user": jwt.encode(claims(sub="nobody@t.test"), secret, algorithm="HS256"),
        "sub a list": hand_signed({"alg": "HS256", "typ": "JWT"}, claims(sub=[EVE]), secret),
        "sub holding a NUL": jwt.encode(claims(sub=EVE + "\x00"), secret, algorithm="HS256"),
    }
    assert refusals(api, ws_connect, forged) == {}


# ---- an identity provider's tokens (RS256/ES256 from its JWKS)


@dataclass
class IdentityProvider:
    url: str  # its JWKS document
    attacker_url: str  # a JWKS document holding the attacker's key
    key: object  # RSA private key, kid "idp-rsa"
    ec_key: object  # EC P-256 private key, kid "idp-ec"
    attacker: object  # an RSA private key the provider never published
    issuer: str = "https://idp.test/"
    audience: str = "downline"

    def token(self, key=None, algorithm="RS256", kid="idp-rsa", headers=None, **extra) -> str:
        body = {"email": EVE, "iss": self.issuer, "aud": self.audience} | claims(sub="u-1")
        body = {k: v for k, v in (body | extra).items() if v is not None}
        return jwt.encode(
            body, key or self.key, algorithm=algorithm, headers={"kid": kid} | (headers or {})
        )

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@pytest.fixture(scope="module")
def identity_provider():
    """A real JWKS endpoint on loopback (what DOWNLINE_JWKS_URL points at in production)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(algorithm, public, kid):
        return json.loads(algorithm.to_jwk(public)) | {"kid": kid, "use": "sig"}

    documents = {
        "/jwks.json": {
            "keys": [
                jwk(RSAAlgorithm, key.public_key(), "idp-rsa"),
                jwk(ECAlgorithm, ec_key.public_key(), "idp-ec"),
            ]
        },
        "/attacker.json": {"keys": [jwk(RSAAlgorithm, attacker.public_key(), "idp-rsa")]},
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path.startswith("/slow/jwks.json"):  # a provider slow to answer
                time.sleep(SLOW_PROVIDER_SECONDS)
                self.path = "/jwks.json"
            document = documents.get(self.path)
            body = json.dumps(document).encode()
            self.send_response(200 if document else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield IdentityProvider(f"{base}/jwks.json", f"{base}/attacker.json", key, ec_key, attacker)
    finally:
        server.shutdown()
        server.server_close()


SLOW_PROVIDER_SECONDS = 2.0


@pytest.fixture
def trusting(identity_provider, monkeypatch) -> IdentityProvider:
    """The app trusts the identity provider (issuer, audience, JWKS) besides its own tokens."""
    monkeypatch.setenv("DOWNLINE_JWKS_URL", identity_provider.url)
    monkeypatch.setenv("DOWNLINE_JWT_ISSUER", identity_provider.issuer)
    monkeypatch.setenv("DOWNLINE_JWT_AUDIENCE", identity_provider.audience)
    get_settings.cache_clear()
    return identity_provider


def test_an_identity_provider_slow_to_give_its_keys_holds_up_no_other_request(
    api, book, trusting, monkeypatch
):
    """Its keys are fetched in a worker thread, never on the event loop every request shares
    (a token naming a key id not yet seen fetches them again: anyone could make it wait)."""
    idp = trusting
    # An address of its own: the keys are not cached yet in this process.
    slow_url = idp.url.replace("/jwks.json", f"/slow/jwks.json?{uuid.uuid4().hex}")
    monkeypatch.setenv("DOWNLINE_JWKS_URL", slow_url)
    get_settings.cache_clear()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(http_status, api, idp.token())
        time.sleep(0.3)  # its keys are being fetched
        started = time.monotonic()
        assert http_status(api, api.token(EVE)) == (200, {"data": {"viewer": {"email": EVE}}})
        answered_in = time.monotonic() - started
        assert waiting.result(timeout=30) == (200, {"data": {"viewer": {"email": EVE}}})
    assert answered_in < SLOW_PROVIDER_SECONDS / 2, answered_in


def test_identity_provider_tokens_are_checked_and_never_confused(api, book, trusting, ws_connect):
    idp = trusting
    # The controls: the provider's genuine RS256 and ES256 tokens, and downline's own, get in.
    for genuine in (idp.token(), idp.token(idp.ec_key, "ES256", "idp-ec"), api.token(EVE)):
        status, body = http_status(api, genuine)
        assert (status, body) == (200, {"data": {"viewer": {"email": EVE}}})
        assert ws_accepted(ws_connect, api, genuine)

    pem = idp.public_pem()
    own = idp.token(idp.attacker, kid="attacker-own")
    forged = {
        "HS256 keyed with the provider's public key": hand_signed(
            {"alg": "HS256", "typ": "JWT"}, claims(), pem
        ),
        "RS256 header, HMAC keyed with the provider's public key": hand_signed(
            {"alg": "RS256", "typ": "JWT", "kid": "idp-rsa"},
            {"email": EVE, "iss": idp.issuer, "aud": idp.audience} | claims(),
            pem,
        ),
        "ES256 header under the RSA key's kid": idp.token(idp.ec_key, "ES256", "idp-rsa"),
        "RS256 header under the EC key's kid": idp.token(kid="idp-ec"),
        "PS256 (not an accepted algorithm)": idp.token(algorithm="PS256"),
        "alg none under the provider's kid": (
            f"{segment({'alg': 'none', 'kid': 'idp-rsa'})}."
            f"{segment({'email': EVE, 'iss': idp.issuer, 'aud': idp.audience} | claims())}."
        ),
        "signed by a key the provider never published": idp.token(idp.attacker),
        "carrying its own key (jwk header)": idp.token(
            idp.attacker,
            kid="attacker-own",
            headers={
                "jwk": json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp.attacker.public_key()))
            },
        ),
        "pointing at the attacker's key set (jku header)": idp.token(
            idp.attacker, headers={"jku": idp.attacker_url}
        ),
        "an unknown kid": own,
        "expired": idp.token(exp=int(time.time()) - 5),
        "for another audience": idp.token(aud="someone-else"),
        "from another issuer": idp.token(iss="https://evil.test/"),
        "without an email claim": idp.token(email=None),
        "email of no user": idp.token(email="nobody@t.test"),
        "email a list": idp.token(email=[EVE]),
        "email holding a NUL": idp.token(email=EVE + "\x00"),
    }
    assert refusals(api, ws_connect, forged) == {}


# ---- download links


def download(api, url: str):
    parts = urlsplit(url)
    return api.client.get(f"{parts.path}?{parts.query}")


def swapped(token: str, payload: dict) -> str:
    """The link token with its payload replaced and its timestamp and signature kept."""
    _, stamp, signature = token.split(".")
    return f"{segment(payload)}.{stamp}.{signature}"


def no_file_in(response) -> bool:
    """True when the answer carries none of the CSV (the book's application ids are APP-…)."""
    return "APP-" not in response.text and not response.headers.get("content-type", "").startswith(
        "text/csv"
    )


def test_a_link_replayed_after_it_expires_is_410_and_audited(
    api, book, finished_export, monkeypatch
):
    export = finished_export(api, EVE, "clients")
    monkeypatch.setenv("DOWNLINE_DOWNLOAD_LINK_TTL", "2")
    get_settings.cache_clear()
    # A fresh link as the API hands it out, valid for 2 s: it works now...
    link = "query($id: ID!) { export(id: $id) { downloadUrl } }"
    url = api.gql(link, {"id": export["id"]}, as_=EVE)["export"]["downloadUrl"]
    minted_by = int(time.time())  # links are stamped in whole seconds, at or before this one
    assert download(api, url).status_code == 200
    # ...and replayed once it is more than 2 s old, no more.
    time.sleep(max(0.0, minted_by + 3 - time.time()) + 0.05)
    replayed = download(api, url)
    assert replayed.status_code == 410 and "export history" in replayed.text
    assert no_file_in(replayed)
    # An expired link is only "expired" when its signature is good: tampered, it is 403.
    token = url.partition("token=")[2]
    other = swapped(token, {"export": export["id"], "user": "admin@top.test"})
    tampered = download(api, url.replace(token, other))
    assert tampered.status_code == 403 and no_file_in(tampered)

    events = api.gql(
        "{ auditEvents { edges { node { action outcome actorEmail exportId } } } }", as_=EVE
    )["auditEvents"]["edges"]
    assert {
        "action": "download_refused",
        "outcome": "expired",
        "actorEmail": EVE,
        "exportId": export["id"],
    } in [e["node"] for e in events]


def test_a_link_serves_only_its_own_export_to_its_own_requester(api, book, finished_export):
    """Tampered (payload swapped, signed with another key or for another purpose, a NUL in the
    path) or genuinely signed by the server's own key but for someone other than the requester
    (even the requester's own agency admin), a link is 403 and carries none of the file."""
    from itsdangerous import URLSafeTimedSerializer

    from downline.core.exports import links

    mine = finished_export(api, EVE, "clients")
    theirs = finished_export(api, "dan@t.test", "clients")
    url = mine["downloadUrl"]
    token = url.partition("token=")[2]
    assert download(api, url).status_code == 200  # the controls: each owner's link works
    assert download(api, theirs["downloadUrl"]).status_code == 200

    settings = get_settings()
    payload = {"export": mine["id"], "user": EVE}
    forged = {
        "payload naming dan's export": swapped(token, {"export": theirs["id"], "user": EVE}),
        "payload naming another user": swapped(token, payload | {"user": "dan@t.test"}),
        "payload naming her admin": swapped(token, payload | {"user": "admin@top.test"}),
        "signed with another secret": URLSafeTimedSerializer("x" * 48, salt=links.SALT).dumps(
            payload
        ),
        "signed with the secret for another purpose": URLSafeTimedSerializer(
            settings.secret_key, salt="another-purpose"
        ).dumps(payload),
        "signed with the secret and no salt": URLSafeTimedSerializer(settings.secret_key).dumps(
            payload
        ),
        "a bearer token instead": api.token(EVE),
        "payload only": token.split(".")[0],
    }
    urls = {name: url.replace(token, other) for name, other in forged.items()}
    urls |= {
        "export id holding a NUL": url.replace(mine["id"], mine["id"] + "%00"),
        "export id a NUL": url.replace(mine["id"], "%00"),
        # Signed by the server's own key, for the wrong user or on the wrong path:
        "eve's export, minted for dan": links.mint(settings, mine["id"], "dan@t.test").url,
        "eve's export, minted for her agency's admin": links.mint(
            settings, mine["id"], "admin@east.test"
        ).url,
        "eve's export, minted for the top admin": links.mint(
            settings, mine["id"], "admin@top.test"
        ).url,
        "dan's export, minted for eve": links.mint(settings, theirs["id"], EVE).url,
        "dan's path, eve's genuine link": url.replace(mine["id"], theirs["id"], 1),
    }
    wrong = {}
    for name, other_url in urls.items():
        response = download(api, other_url)
        if response.status_code != 403 or not no_file_in(response):
            wrong[name] = (response.status_code, response.text[:200])
    assert wrong == {}

    # The two signers never stand in for each other: a link's token is no bearer token.
    status, body = http_status(api, token)
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
