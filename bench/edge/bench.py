"""Edge benchmark: one Envoy build, the same tokens, wrk on loopback, one
Envoy worker thread. Requests per second and p99 latency for no filter,
Envoy's native jwt_authn and jwt-edge, with RS256 and ES256 tokens, with
and without a verified-token cache on both sides, jwt-edge enforcing DPoP
(a fresh ES256 proof per request, the token cached), and jwt-edge
introspecting opaque tokens (cached answer; a call per request to a
loopback stand-in server).

Not a timed test: it prints a table (and writes it as Markdown with
--markdown FILE) and never fails on the numbers.

    make bench-edge             # defaults: 10 s per row, 32 connections
    .venv/bin/python bench/edge/bench.py --duration 5 --connections 16
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402

ISSUER = "https://idp.bench"
AUDIENCE = "api://bench"


def shared_config(keys: str, cache: bool) -> dict:
    """The one configuration both filters get: jwt_authn's schema, which
    jwt-edge reads as it is, so every row asks both for the same work."""
    provider = {
        "issuer": ISSUER,
        "audiences": [AUDIENCE],
        "local_jwks": {"inline_string": keys},
        "claim_to_headers": [{"header_name": "x-user", "claim_name": "sub"}],
    }
    if cache:
        provider["jwt_cache_config"] = {"jwt_cache_size": 100}
    return {
        "providers": {"idp": provider},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}],
    }


def jwt_authn_filter(keys: str, cache: bool) -> dict:
    return {
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            **shared_config(keys, cache),
        },
    }


def jwt_edge_filter(keys: str, cache: bool) -> dict:
    return harness.wasm_filter(shared_config(keys, cache))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, token: str | None, duration: int, connections: int) -> tuple[float, float, int]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if token:
        command += ["-H", f"authorization: Bearer {token}"]
    command.append(f"http://127.0.0.1:{port}/")
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> tuple[float, float, int]:
    """(requests/s, p99 ms, requests) from wrk's report; refused requests
    mean a wrong token or configuration, never a figure."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} requests were refused: the token or config is wrong\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, float(p99.group(1)) * scale, total


# wrk sends each request with the next proof of a file: a DPoP proof is
# good for one request only.
DPOP_LUA = """
local proofs = {}
for line in io.lines(os.getenv("DPOP_PROOFS")) do proofs[#proofs + 1] = line end
local token = os.getenv("DPOP_TOKEN")
local i = 0
request = function()
  i = i + 1
  local proof = proofs[((i - 1) % #proofs) + 1]
  return wrk.format("GET", "/", {["authorization"] = "DPoP " .. token, ["dpop"] = proof})
end
"""


def wrk_dpop(port: int, token: str, client, duration: int, connections: int, workdir: Path):
    """wrk with a fresh DPoP proof per request (made beforehand: more than
    the run can send, so none is replayed)."""
    url = f"http://127.0.0.1:{port}/"
    proofs = workdir / "proofs.txt"
    with proofs.open("w") as out:
        for _ in range(duration * DPOP_PROOFS_PER_SECOND):
            out.write(client.dpop_proof("GET", url, token) + "\n")
    script = workdir / "dpop.lua"
    script.write_text(DPOP_LUA)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    env = dict(os.environ, DPOP_PROOFS=str(proofs), DPOP_TOKEN=token)
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=True, env=env).stdout
    return parse_wrk(out)


# More proofs per second of run than jwt-edge verifies on one core.
DPOP_PROOFS_PER_SECOND = 15000


def run_dpop_row(token: str, keys: str, client, args) -> tuple[float, float, float]:
    """jwt-edge with `dpop: required` and the token cached: the proof is the
    per-request work. (requests/s, p99 ms, Envoy CPU us per request)."""
    config = shared_config(keys, cache=True)
    config["providers"]["idp"]["dpop"] = {"mode": "required", "algorithms": ["ES256"]}
    listen, admin = harness.free_port(), harness.free_port()
    bootstrap = harness.bootstrap(listen, admin, [harness.wasm_filter(config)], [],
                                  route={"direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    envoy = harness.Envoy(bootstrap, concurrency=1, log_level="error")
    try:
        if not envoy.wait_ready():
            raise RuntimeError("Envoy did not start:\n" + envoy.log())
        proof = client.dpop_proof("GET", f"http://127.0.0.1:{listen}/", token)
        status, _, body = harness.request(listen, "/", {"authorization": f"DPoP {token}", "dpop": proof})
        if status != 200:
            raise RuntimeError(f"warm-up DPoP request answered {status}: {body[:200]!r}")
        workdir = Path(envoy.dir.name)
        wrk_dpop(listen, token, client, 2, args.connections, workdir)
        cpu_before = cpu_seconds(envoy.proc.pid)
        rps, p99, total = wrk_dpop(listen, token, client, args.duration, args.connections, workdir)
        cpu_us = (cpu_seconds(envoy.proc.pid) - cpu_before) * 1e6 / max(total, 1)
        return rps, p99, cpu_us
    finally:
        envoy.close()


# A new opaque token per request: every request is an introspection call.
FRESH_TOKEN_LUA = """
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/", {["authorization"] = "Bearer opaque-" .. i .. "-" .. os.time()})
end
"""


class StandInIntrospection:
    """A loopback introspection endpoint answering every token active, as
    fast as Python can: the uncached row measures the filter's call path."""

    def __init__(self):
        import http.server
        import threading

        body = json.dumps({"active": True, "scope": "read", "exp": int(time.time()) + 3600}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_introspection_row(cached: bool, args) -> tuple[float, float, float]:
    """jwt-edge with an introspection provider against the stand-in: one
    token (cached answers) or a new token per request (a call each)."""
    standin = StandInIntrospection()
    config = {
        "providers": {"as": {"introspection": {
            "cluster": "standin", "uri": f"http://127.0.0.1:{standin.port}/introspect", "timeout_ms": 2000,
            "client_id": "gw", "client_auth": {"method": "client_secret_basic", "client_secret": "bench"},
            "cache": {"max_seconds": 300, "max_entries": 100000},
        }}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "as"}, "scopes": ["read"]}],
    }
    listen, admin = harness.free_port(), harness.free_port()
    bootstrap = harness.bootstrap(listen, admin, [harness.wasm_filter(config)],
                                  [harness.static_cluster("standin", standin.port)],
                                  route={"direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    envoy = harness.Envoy(bootstrap, concurrency=1, log_level="error")
    try:
        if not envoy.wait_ready():
            raise RuntimeError("Envoy did not start:\n" + envoy.log())
        status, _, body = harness.request(listen, "/", {"authorization": "Bearer warm-up"})
        if status != 200:
            raise RuntimeError(f"warm-up request answered {status}: {body[:200]!r}")
        if cached:
            run = lambda seconds: wrk(listen, "one-opaque-token", seconds, args.connections)
        else:
            script = Path(envoy.dir.name) / "fresh.lua"
            script.write_text(FRESH_TOKEN_LUA)

            def run(seconds):
                command = ["wrk", "-t1", f"-c{args.connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                           f"http://127.0.0.1:{listen}/"]
                out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30,
                                     check=True).stdout
                return parse_wrk(out)
        run(2)
        cpu_before = cpu_seconds(envoy.proc.pid)
        rps, p99, total = run(args.duration)
        cpu_us = (cpu_seconds(envoy.proc.pid) - cpu_before) * 1e6 / max(total, 1)
        return rps, p99, cpu_us
    finally:
        envoy.close()
        standin.stop()


def run_row(filters: list, token: str | None, args) -> tuple[float, float, float]:
    """(requests/s, p99 ms, Envoy CPU microseconds per request)."""
    listen, admin = harness.free_port(), harness.free_port()
    config = harness.bootstrap(listen, admin, filters, [],
                               route={"direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    envoy = harness.Envoy(config, concurrency=1, log_level="error")
    try:
        if not envoy.wait_ready():
            raise RuntimeError("Envoy did not start:\n" + envoy.log())
        # Check the token passes, then warm up.
        status, _, body = harness.request(listen, "/", {"authorization": f"Bearer {token}"} if token else {})
        if status != 200:
            raise RuntimeError(f"warm-up request answered {status}: {body[:200]!r}")
        wrk(listen, token, 2, args.connections)
        cpu_before = cpu_seconds(envoy.proc.pid)
        rps, p99, total = wrk(listen, token, args.duration, args.connections)
        cpu_us = (cpu_seconds(envoy.proc.pid) - cpu_before) * 1e6 / max(total, 1)
        return rps, p99, cpu_us
    finally:
        envoy.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per row (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON here")
    parser.add_argument("--noop-wasm", type=Path,
                        help="a proxy-wasm filter that does nothing (bench/edge/noop), measured as a row")
    args = parser.parse_args()
    harness.exit_on_sigterm()
    if not shutil.which("wrk"):
        print("wrk is missing: make setup-bench-edge installs it (apt)", file=sys.stderr)
        return 2
    if not harness.WASM.exists():
        print(f"{harness.WASM} is missing: run make build-edge", file=sys.stderr)
        return 2

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-user", "iat": now, "exp": now + 24 * 3600}
    rows = []
    baseline = run_row([], None, args)
    rows.append(("no filter", "-", "-", baseline, None))
    print(f"{'no filter':<12} {baseline[0]:>10.0f} rps  p99 {baseline[1]:.2f} ms  {baseline[2]:.1f} us CPU/req",
          flush=True)
    if args.noop_wasm is not None:
        # What any proxy-wasm filter costs Envoy before it does anything.
        noop = run_row([harness.wasm_filter({}, args.noop_wasm)], None, args)
        rows.append(("proxy-wasm filter doing nothing", "-", "-", noop, None))
        print(f"{'noop wasm':<12} {noop[0]:>10.0f} rps  p99 {noop[1]:.2f} ms  {noop[2]:.1f} us CPU/req", flush=True)
    # jwt-edge with a rule that needs no token: the no-op's cost plus the
    # clock, the `:path` read and the rule match.
    floor = run_row([harness.wasm_filter({"rules": [{"match": {"prefix": "/"}}]})], None, args)
    rows.append(("jwt-edge, no token required (wasm floor)", "-", "-", floor, None))
    print(f"{'wasm floor':<12} {floor[0]:>10.0f} rps  p99 {floor[1]:.2f} ms  {floor[2]:.1f} us CPU/req", flush=True)
    for alg in ("RS256", "ES256"):
        key = harness.SigningKey(alg, f"{alg.lower()}-bench")
        keys = harness.jwks(key)
        token = key.sign(claims)
        for cache in (False, True):
            native = run_row([jwt_authn_filter(keys, cache)], token, args)
            edge = run_row([jwt_edge_filter(keys, cache)], token, args)
            label = "cache" if cache else "no cache"
            for name, numbers in (("jwt_authn", native), ("jwt-edge", edge)):
                print(f"{name:<12} {alg} {label:<8} {numbers[0]:>10.0f} rps  p99 {numbers[1]:.2f} ms  "
                      f"{numbers[2]:.1f} us CPU/req", flush=True)
            rows.append(("jwt_authn", alg, label, native, None))
            rows.append(("jwt-edge", alg, label, edge, edge[0] / native[0]))
        if alg == "ES256":
            # DPoP: the same token (cached) plus a fresh ES256 proof per
            # request; jwt_authn cannot check proofs, so no peer row.
            client = harness.SigningKey("ES256", "dpop-client")
            bound = key.sign(dict(claims, cnf={"jkt": client.thumbprint()}))
            dpop = run_dpop_row(bound, keys, client, args)
            print(f"{'jwt-edge':<12} ES256 DPoP   {dpop[0]:>10.0f} rps  p99 {dpop[1]:.2f} ms  "
                  f"{dpop[2]:.1f} us CPU/req", flush=True)
            rows.append(("jwt-edge, DPoP proof per request (ES256)", alg, "cache", dpop, None))

    for cached in (True, False):
        label = "cache" if cached else "no cache"
        numbers = run_introspection_row(cached, args)
        print(f"{'introspection':<12} {label:<8} {numbers[0]:>10.0f} rps  p99 {numbers[1]:.2f} ms  "
              f"{numbers[2]:.1f} us CPU/req", flush=True)
        name = ("jwt-edge, introspection (same token, cached answer)" if cached
                else "jwt-edge, introspection (a new token per request, loopback server)")
        rows.append((name, "-", label, numbers, None))

    header = ("| filter | alg | verified-token cache | requests/s | p99 (ms) | Envoy CPU per request (µs) "
              "| jwt-edge / jwt_authn (rps) |\n"
              "| --- | --- | --- | ---: | ---: | ---: | ---: |\n")
    lines = [
        f"| {name} | {alg} | {cache} | {rps:,.0f} | {p99:.2f} | {cpu:.1f} | {'' if ratio is None else f'{ratio:.2f}'} |"
        for name, alg, cache, (rps, p99, cpu), ratio in rows
    ]
    table = header + "\n".join(lines) + "\n"
    print()
    print(table)
    envoy_version = subprocess.run([harness.envoy_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    footer = (f"\nEnvoy: `{envoy_version.split('version: ')[-1]}`, `--concurrency 1`, direct_response route; "
              f"wrk 1 thread, {args.connections} connections, {args.duration} s per row after a 2 s warm-up; loopback.\n")
    print(footer)
    if args.markdown:
        args.markdown.write_text(table + footer)
    if args.json:
        args.json.write_text(json.dumps([
            {"filter": n, "alg": a, "cache": c, "rps": r, "p99_ms": p, "cpu_us_per_request": u, "ratio": q}
            for n, a, c, (r, p, u), q in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
