"""A small OpenID Connect provider served over real HTTP on the loopback, for the tests.

It implements the authorization code flow as the regional IdP does: ``/authorize`` sends
the browser back with a code, ``/token`` answers with an RS256-signed ID token (carrying
the nonce of the request), ``/userinfo`` with the claims, ``/jwks`` with the public key,
and ``/logout`` records the RP-initiated logout. The keys are made per provider.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class FakeProvider:
    client_id: str = "kardborre-test"
    client_secret: str = "s3cret-for-tests"
    claims: dict = field(default_factory=dict)
    id_token_extra: dict = field(default_factory=dict)
    audience: str | None = None  # defaults to client_id
    sign_with_other_key: bool = False
    requests: list = field(default_factory=list)
    codes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def issuer(self):
        return self.base

    def settings(self) -> dict:
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.base}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.base}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.base}/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.base}/jwks",
            "OIDC_OP_LOGOUT_ENDPOINT": f"{self.base}/logout",
            "OIDC_OP_ISSUER": self.issuer,
        }

    def id_token(self, *, nonce, sub):
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience or self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "acr": "http://id.elegnamnden.se/loa/1.0/loa3",
            **self.id_token_extra,
        }
        key = self.other_key if self.sign_with_other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                provider.requests.append(("GET", url.path, query))
                if url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path == "/jwks":
                    self._json(200, provider.jwks())
                elif url.path == "/userinfo":
                    if self.headers.get("Authorization") != "Bearer access-" + provider.kid:
                        self._json(401, {"error": "invalid_token"})
                    else:
                        self._json(200, provider.claims)
                elif url.path == "/logout":
                    self._json(200, {"logged_out": True})
                else:
                    self._json(404, {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.requests.append(("POST", self.path, form))
                request = provider.codes.pop(form.get("code"), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    self.path != "/token"
                    or request is None
                    or form.get("client_id") != provider.client_id
                    or form.get("client_secret") != provider.client_secret
                    or form.get("redirect_uri") != request["redirect_uri"]
                    or challenge != request.get("code_challenge")
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(
                    200,
                    {
                        "access_token": "access-" + provider.kid,
                        "token_type": "Bearer",
                        "id_token": provider.id_token(
                            nonce=request.get("nonce"), sub=provider.claims.get("sub", "")
                        ),
                    },
                )

        return Handler
