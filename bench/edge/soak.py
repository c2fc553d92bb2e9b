"""Edge soak: jwt-edge in Envoy under steady mixed load while its JWKS
server rotates keys and goes down.

Envoy (`--concurrency 2`) runs the filter with a remote JWKS fetched
through a cluster from a loopback server this script runs. Every 30 s the
server publishes a new key (alternately RS256 and ES256) and removes the
one before the previous: the document always holds the newest two. Every
90 s it goes down for 20 s (from 75 s on: every outage holds a rotation),
alternately refusing connections and answering 503. Meanwhile an asyncio
load generator keeps a fixed number of keep-alive connections busy with a
fixed mix: valid tokens of both published keys, expired, wrong audience,
bad signature, missing scope, garbage, and tokens of the key removed last.
Every request is judged by what it carried and when it was sent:

- an invalid token (expired, wrong audience, bad signature, missing
  scope, garbage) allowed is a wrong decision, always;
- a valid token denied is a wrong decision, except in the windows the
  filter documents: before the first fetch of a JWKS carrying the token's
  key (a key published during an outage: until the first fetch after it;
  a key published while the server is up: until the unknown-`kid` refetch
  or, when a refetch was granted less than 30 s before, the background
  refresh at 80 % of cache_duration_seconds);
- a token of a just-removed key may pass until the filter's first fetch
  after the removal (keys are cached for cache_duration_seconds, and kept
  while the server is down); allowed after that, it is a wrong decision.

"The first fetch" is the JWKS server's own record of when it answered,
plus a margin (SLACK_S) for the answer to reach every worker.

Printed and written to --markdown (and --json): the decisions per class,
the windows' counts, Envoy's RSS at start (after the warm-up), middle and
end, requests/s per 10 s, the filter's metrics from Envoy's admin /stats.
Exit status 1 on a wrong decision, Envoy dying (or panicking), or RSS
growing 10 % or more from start to end.

    make soak-edge                      # 300 s
    make soak-edge SOAK_SECONDS=120
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import http.server
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402

ISSUER = "https://idp.soak"
AUDIENCE = "api://soak"
SCOPE = "read"
ROTATE_EVERY_S = 30
OUTAGE_EVERY_S = 90
OUTAGE_FIRST_S = 75
OUTAGE_LENGTH_S = 20
# The filter's remote JWKS settings: refreshed in the background at 80 %
# (8 s), retried 1 s after a failed fetch, keys kept 10 durations (100 s,
# longer than an outage) while the server is down.
CACHE_DURATION_S = 10
FETCH_TIMEOUT_MS = 1000
# From the JWKS server's answer to every worker using it: the fetching
# worker installs it on the answer, the other on its next 100 ms tick.
SLACK_S = 1.0
WARM_UP_S = 10
BUCKET_S = 10
SLOT_S = 0.05
TOKENS_PER_KIND = 16

# The mix: (class, weight). Valid tokens of the newest and the previous key.
MIX = [("valid_newest", 4), ("valid_previous", 4), ("expired", 1), ("wrong_audience", 1),
       ("bad_signature", 1), ("missing_scope", 1), ("garbage", 1), ("removed_key", 1)]
INVALID = ("expired", "wrong_audience", "bad_signature", "missing_scope", "garbage")


# ----------------------------------------------------------------- keys ----


def tampered(token: str) -> str:
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    return f"{head}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1:]}"


@dataclass
class Key:
    """A signing key with its tokens, and its life at the JWKS server
    (seconds since the load started)."""

    signing: harness.SigningKey
    published_at: float
    removed_at: float | None = None
    tokens: dict[str, list[str]] = field(default_factory=dict)

    @property
    def kid(self) -> str:
        return self.signing.kid

    def mint(self, seq: int):
        """Tokens for every class, valid ones good for two hours."""
        now = int(time.time())

        def claims(**extra):
            base = {"iss": ISSUER, "aud": AUDIENCE, "scope": f"{SCOPE} write", "iat": now - 5, "exp": now + 7200}
            base.update(extra)
            return base

        sign = self.signing.sign
        self.tokens = {
            "valid": [sign(claims(sub=f"user-{seq}-{i}", jti=f"{self.kid}-{i}")) for i in range(TOKENS_PER_KIND)],
            "expired": [sign(claims(sub=f"old-{i}", iat=now - 7200, exp=now - 3600)) for i in range(4)],
            "wrong_audience": [sign(claims(sub=f"aud-{i}", aud="api://elsewhere")) for i in range(4)],
            "bad_signature": [tampered(sign(claims(sub=f"sig-{i}"))) for i in range(4)],
            "missing_scope": [sign(claims(sub=f"scope-{i}", scope="write")) for i in range(4)],
        }


GARBAGE = ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "....", "e30.e30.e30",
           harness.b64u(os.urandom(48)) + "." + harness.b64u(os.urandom(48)) + "." + harness.b64u(os.urandom(64))]


class KeyRing:
    """The script's rotation: what the JWKS server publishes and what the
    load signs with."""

    def __init__(self, clock):
        self.clock = clock
        self.seq = 0
        self.keys: list[Key] = []
        self.lock = threading.Lock()
        for _ in range(2):
            self.add()

    def add(self):
        self.seq += 1
        alg = "RS256" if self.seq % 2 else "ES256"
        key = Key(harness.SigningKey(alg, f"soak-{self.seq}-{alg.lower()}"), published_at=self.clock())
        key.mint(self.seq)
        with self.lock:
            self.keys.append(key)

    def rotate(self):
        """A new key; the one before the previous leaves the document."""
        self.add()
        with self.lock:
            published = [k for k in self.keys if k.removed_at is None]
            for key in published[:-2]:
                key.removed_at = self.clock()

    def published(self) -> list[Key]:
        with self.lock:
            return [k for k in self.keys if k.removed_at is None]

    def last_removed(self) -> Key | None:
        with self.lock:
            removed = [k for k in self.keys if k.removed_at is not None]
        return removed[-1] if removed else None

    def document(self) -> bytes:
        return harness.jwks(*(k.signing for k in self.published())).encode()


# ---------------------------------------------------------- JWKS server ----


class JwksServer:
    """The JWKS at /keys on a fixed loopback port, with outages: `down`
    closes the socket (connections refused) or answers 503. Records every
    good answer: (time, kids)."""

    def __init__(self, ring: KeyRing, clock):
        self.ring = ring
        self.clock = clock
        self.port = harness.free_port()
        self.mode = "up"
        self.answers: list[tuple[float, frozenset[str]]] = []
        self.failures = Counter()
        self.httpd = None
        self.start()

    def start(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.close_connection = True
                if server.mode == "503":
                    server.failures["503"] += 1
                    body, status = b'{"error":"down"}', 503
                else:
                    body, status = server.ring.document(), 200
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(body)
                if status == 200:
                    kids = frozenset(key["kid"] for key in json.loads(body)["keys"])
                    server.answers.append((server.clock(), kids))

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.mode = "up"

    def down(self, mode: str):
        if mode == "refused":
            self.stop()
        self.mode = mode

    def up(self):
        if self.httpd is None:
            self.start()
        self.mode = "up"

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def first_answer(self, since: float, with_kid: str | None = None, without_kid: str | None = None):
        """The time of the first good answer at or after `since` carrying
        (or lacking) a kid; None if there was none."""
        for at, kids in self.answers:
            if at < since:
                continue
            if with_kid is not None and with_kid not in kids:
                continue
            if without_kid is not None and without_kid in kids:
                continue
            return at
        return None


# ----------------------------------------------------------------- load ----


@dataclass
class Tally:
    """Outcomes per (class, kid, send slot, status), judged at the end."""

    outcomes: Counter = field(default_factory=Counter)
    completed: Counter = field(default_factory=Counter)  # per 10 s bucket
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


class Load:
    def __init__(self, port: int, ring: KeyRing, clock, connections: int):
        self.port = port
        self.ring = ring
        self.clock = clock
        self.connections = connections
        self.tally = Tally()
        self.stopping = False
        schedule = [name for name, weight in MIX for _ in range(weight)]
        random.Random(15).shuffle(schedule)
        self.schedule = schedule

    def pick(self, index: int) -> tuple[str, str, str | None]:
        """(class, kid or "-", token) for the index-th request."""
        kind = self.schedule[index % len(self.schedule)]
        rng_index = index // len(self.schedule)
        published = self.ring.published()
        newest, previous = published[-1], published[-2]
        if kind == "valid_newest":
            key = newest
        elif kind == "valid_previous":
            key = previous
        elif kind == "removed_key":
            key = self.ring.last_removed()
            if key is None:  # nothing removed yet: a valid token instead
                kind, key = "valid_previous", previous
        elif kind == "garbage":
            return kind, "-", GARBAGE[rng_index % len(GARBAGE)]
        else:
            key = newest if rng_index % 2 else previous
            tokens = key.tokens[kind]
            return kind, key.kid, tokens[rng_index % len(tokens)]
        tokens = key.tokens["valid"]
        return kind, key.kid, tokens[rng_index % len(tokens)]

    async def connection(self, worker: int):
        index = worker
        reader = writer = None
        while not self.stopping:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError as error:
                    self.tally.errors[f"connect: {type(error).__name__}"] += 1
                    await asyncio.sleep(0.1)
                    continue
            kind, kid, token = self.pick(index)
            index += self.connections
            request = (f"GET /soak HTTP/1.1\r\nhost: api.soak\r\nx-soak-class: {kind}\r\n"
                       f"authorization: Bearer {token}\r\n\r\n").encode()
            sent = self.clock()
            try:
                writer.write(request)
                status, close = await asyncio.wait_for(read_response(reader), timeout=10)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
                self.tally.errors[f"request: {type(error).__name__}"] += 1
                writer.close()
                reader = writer = None
                continue
            done = self.clock()
            self.tally.outcomes[(kind, kid, int(sent / SLOT_S), status)] += 1
            self.tally.completed[int(done / BUCKET_S)] += 1
            if index % 97 == 0:
                self.tally.latencies.append(done - sent)
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of one HTTP/1.1 response (its body read), and whether the
    server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection", "").lower() == "close"


# --------------------------------------------------------------- envoy ----


def filter_config(jwks_port: int) -> dict:
    return {
        "providers": {"idp": {
            "issuer": ISSUER,
            "audiences": [AUDIENCE],
            "remote_jwks": {"cluster": "jwks", "uri": f"http://127.0.0.1:{jwks_port}/keys",
                            "cache_duration_seconds": CACHE_DURATION_S, "timeout_ms": FETCH_TIMEOUT_MS},
            "claim_to_headers": [{"header_name": "x-user", "claim_name": "sub"}],
            "jwt_cache_config": {"jwt_cache_size": 1000},
        }},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}, "scopes": [SCOPE]}],
    }


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def admin_get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


# --------------------------------------------------------------- judge ----


def outage_windows(seconds: float) -> list[tuple[float, float, str]]:
    windows, start, n = [], OUTAGE_FIRST_S, 0
    while start < seconds:
        windows.append((start, start + OUTAGE_LENGTH_S, "refused" if n % 2 == 0 else "503"))
        start += OUTAGE_EVERY_S
        n += 1
    return windows


def judge(tally: Tally, ring: KeyRing, server: JwksServer, outages: list) -> dict:
    """Every outcome against the rules in the module's docstring."""
    keys = {k.kid: k for k in ring.keys}
    per_class = defaultdict(Counter)
    wrong = Counter()
    windows = Counter()
    examples = []
    for (kind, kid, slot, status), count in tally.outcomes.items():
        sent = slot * SLOT_S
        allowed = 200 <= status < 300
        per_class[kind][status] += count
        if kind in INVALID:
            if allowed:
                wrong[f"{kind} allowed"] += count
                examples.append((kind, kid, round(sent, 2), status))
            continue
        key = keys[kid]
        if kind == "removed_key":
            if allowed:
                gone = server.first_answer(key.removed_at, without_kid=kid)
                if gone is not None and sent >= gone + SLACK_S:
                    wrong["removed key allowed after a fetch without it"] += count
                    examples.append((kind, kid, round(sent, 2), status))
                else:
                    windows["removed key allowed before the next fetch"] += count
            continue
        # A valid token.
        if allowed:
            continue
        fetched = server.first_answer(key.published_at, with_kid=kid)
        if fetched is not None and sent >= fetched + SLACK_S:
            wrong[f"valid token denied ({status})"] += count
            examples.append((kind, kid, round(sent, 2), status))
            continue
        until = fetched if fetched is not None else float("inf")
        if any(start < until and end > key.published_at for start, end, _ in outages):
            windows["valid token denied: new key, before the first fetch after an outage"] += count
        else:
            windows["valid token denied: new key, before its first fetch (refetch or refresh)"] += count
    return {"per_class": per_class, "wrong": wrong, "windows": windows, "examples": sorted(examples)[:20]}


def check_judge():
    """The judge on made-up outcomes, before any figure rests on it: each
    kind of wrong decision must be counted as wrong, each window as a
    window (a judge that never fails would make the soak pass anything)."""
    now = [0.0]
    ring = KeyRing(lambda: now[0])
    server = JwksServer.__new__(JwksServer)  # its record only, no socket
    server.answers = [(0.5, frozenset(k.kid for k in ring.keys))]
    now[0] = 30.0
    ring.rotate()
    server.answers.append((30.2, frozenset(k.kid for k in ring.published())))
    new, removed = ring.keys[-1].kid, ring.keys[0].kid
    tally = Tally()
    for kind, kid, sent, status, count in [
        ("expired", new, 40.0, 200, 1),             # wrong, always
        ("valid_newest", new, 30.1, 401, 2),         # window: before its first fetch
        ("valid_newest", new, 32.0, 401, 3),         # wrong: fetched 1.8 s before
        ("removed_key", removed, 30.5, 200, 4),      # window: within the slack
        ("removed_key", removed, 35.0, 200, 5),      # wrong: fetched without it
        ("missing_scope", new, 35.0, 403, 6),        # right
    ]:
        tally.outcomes[(kind, kid, int(sent / SLOT_S), status)] += count
    verdicts = judge(tally, ring, server, [])
    expected_wrong = {"expired allowed": 1, "valid token denied (401)": 3,
                      "removed key allowed after a fetch without it": 5}
    expected_windows = {"valid token denied: new key, before its first fetch (refetch or refresh)": 2,
                        "removed key allowed before the next fetch": 4}
    if dict(verdicts["wrong"]) != expected_wrong or dict(verdicts["windows"]) != expected_windows:
        raise RuntimeError(f"the judge is wrong: {dict(verdicts['wrong'])} {dict(verdicts['windows'])}")


# ---------------------------------------------------------------- main ----


async def soak(args) -> dict:
    t0 = time.monotonic()

    def clock() -> float:
        return time.monotonic() - t0

    ring = KeyRing(clock)
    server = JwksServer(ring, clock)
    listen, admin = harness.free_port(), harness.free_port()
    bootstrap = harness.bootstrap(listen, admin, [harness.wasm_filter(filter_config(server.port))],
                                  [harness.static_cluster("jwks", server.port)],
                                  route={"direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    envoy = harness.Envoy(bootstrap, concurrency=2, log_level="warn")
    result: dict = {"seconds": args.seconds, "connections": args.connections}
    try:
        if not envoy.wait_ready():
            raise RuntimeError("Envoy did not start:\n" + envoy.log())
        pid = envoy.proc.pid
        load = Load(listen, ring, clock, args.connections)
        outages = outage_windows(args.seconds)
        events: list[tuple[float, str]] = []
        rss: list[tuple[float, int]] = [(clock(), rss_kib(pid))]

        async def timeline():
            """Rotations, outages and RSS samples on schedule."""
            plan = [(t, "rotate") for t in range(ROTATE_EVERY_S, int(args.seconds), ROTATE_EVERY_S)]
            for start, end, mode in outages:
                plan += [(start, f"down:{mode}"), (end, "up")]
            plan += [(t, "rss") for t in range(BUCKET_S, int(args.seconds) + 1, BUCKET_S)]
            for at, action in sorted(plan, key=lambda p: (p[0], p[1] != "rss")):
                await asyncio.sleep(max(0.0, at - clock()))
                if action == "rotate":
                    await asyncio.to_thread(ring.rotate)
                    events.append((clock(), f"rotate: publish {ring.keys[-1].kid}, remove "
                                            f"{ring.last_removed().kid if ring.last_removed() else '-'}"))
                elif action.startswith("down:"):
                    await asyncio.to_thread(server.down, action.split(":", 1)[1])
                    events.append((clock(), f"JWKS server down ({action.split(':', 1)[1]})"))
                elif action == "up":
                    await asyncio.to_thread(server.up)
                    events.append((clock(), "JWKS server up"))
                elif envoy.proc.poll() is None:
                    rss.append((clock(), rss_kib(pid)))

        workers = [asyncio.create_task(load.connection(i)) for i in range(args.connections)]
        plan = asyncio.create_task(timeline())
        await asyncio.sleep(max(0.0, args.seconds - clock()))
        load.stopping = True
        await asyncio.wait(workers, timeout=15)
        plan.cancel()
        end = clock()

        alive = envoy.proc.poll() is None
        ready = alive and admin_get(admin, "/ready")[0] == 200
        stats = {}
        if alive:
            _, text = admin_get(admin, "/stats?filter=jwt_edge")
            for line in text.splitlines():
                name, _, value = line.partition(": ")
                if value.strip().lstrip("-").isdigit():
                    stats[name] = int(value)
            rss.append((end, rss_kib(pid)))
        log = envoy.log()
        panics = [line for line in log.splitlines() if "panicked" in line or "wasm trap" in line.lower()]
        verdicts = judge(load.tally, ring, server, outages)

        # RSS: start after the warm-up, middle, end.
        after_warm_up = [s for s in rss if s[0] >= WARM_UP_S - 0.5] or rss
        start_rss = after_warm_up[0]
        middle_rss = min(after_warm_up, key=lambda s: abs(s[0] - (start_rss[0] + rss[-1][0]) / 2))
        end_rss = rss[-1]
        growth = (end_rss[1] - start_rss[1]) / start_rss[1]

        buckets = [(b * BUCKET_S, load.tally.completed.get(b, 0) / BUCKET_S)
                   for b in range(int(end // BUCKET_S))]
        rates = [rate for _, rate in buckets]
        median_rate = statistics.median(rates) if rates else 0.0
        # The buckets overlapping the 20 s after an outage's end.
        after_outage = [rate for at, rate in buckets
                        if any(at + BUCKET_S > e and at < e + 2 * BUCKET_S for _, e, _ in outages if e < end)]
        worst_after_outage = min(after_outage) if after_outage else None

        result.update({
            "elapsed_s": round(end, 1), "alive": alive, "ready": ready, "panics": panics[:5],
            "requests": sum(load.tally.completed.values()), "errors": dict(load.tally.errors),
            "per_class": {k: dict(v) for k, v in verdicts["per_class"].items()},
            "wrong": dict(verdicts["wrong"]), "windows": dict(verdicts["windows"]),
            "wrong_examples": verdicts["examples"],
            "rss_kib": {"start": start_rss, "middle": middle_rss, "end": end_rss, "samples": rss,
                        "growth": growth},
            "rps_per_10s": buckets, "median_rps": median_rate, "worst_rps_after_outage": worst_after_outage,
            "latency_ms_p50_p99": quantiles(load.tally.latencies),
            "stats": stats, "events": events, "outages": outages,
            "jwks_answers": len(server.answers), "jwks_503": server.failures["503"],
            "keys": [{"kid": k.kid, "published_at": round(k.published_at, 1),
                      "removed_at": None if k.removed_at is None else round(k.removed_at, 1),
                      "first_fetched_at": server.first_answer(k.published_at, with_kid=k.kid)}
                     for k in ring.keys],
        })
        return result
    finally:
        envoy.close()
        server.stop()


def quantiles(samples: list[float]) -> tuple[float, float] | None:
    if len(samples) < 2:
        return None
    ordered = sorted(samples)
    return (ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000)


def report(result: dict) -> tuple[str, list[str]]:
    """The Markdown report and the list of failures."""
    failures = []
    if result["wrong"]:
        failures.append(f"{sum(result['wrong'].values())} wrong decisions")
    if not result["alive"] or not result["ready"]:
        failures.append("Envoy died" if not result["alive"] else "Envoy stopped answering /ready")
    if result["panics"]:
        failures.append("the filter panicked or trapped")
    growth = result["rss_kib"]["growth"]
    if growth >= 0.10:
        failures.append(f"RSS grew {growth:.1%}")
    lines = [f"Soak: {result['elapsed_s']:.0f} s, {result['requests']:,} requests "
             f"({result['requests'] / max(result['elapsed_s'], 1):,.0f}/s) over {result['connections']} "
             f"connections, Envoy `--concurrency 2`; result: **{'FAIL: ' + '; '.join(failures) if failures else 'PASS'}**",
             ""]
    lines += ["| class | requests | allowed (2xx) | denied | statuses |", "| --- | ---: | ---: | ---: | --- |"]
    for kind, _ in MIX:
        statuses = result["per_class"].get(kind, {})
        total = sum(statuses.values())
        allowed = sum(c for s, c in statuses.items() if 200 <= s < 300)
        lines.append(f"| {kind} | {total:,} | {allowed:,} | {total - allowed:,} | "
                     + ", ".join(f"{s}: {c:,}" for s, c in sorted(statuses.items())) + " |")
    lines += ["", f"Wrong decisions: **{sum(result['wrong'].values())}**"
              + (" (" + ", ".join(f"{k}: {v}" for k, v in result["wrong"].items()) + ")" if result["wrong"] else ""),
              "", "Documented windows (not wrong):"]
    for name in ("valid token denied: new key, before the first fetch after an outage",
                 "valid token denied: new key, before its first fetch (refetch or refresh)",
                 "removed key allowed before the next fetch"):
        lines.append(f"- {name}: {result['windows'].get(name, 0):,}")
    rss = result["rss_kib"]
    lines += ["", f"Envoy alive at the end: {'yes' if result['alive'] else 'NO'}; RSS (after {WARM_UP_S} s of "
              f"warm-up) {rss['start'][1] / 1024:.1f} MiB at {rss['start'][0]:.0f} s, {rss['middle'][1] / 1024:.1f} "
              f"MiB at {rss['middle'][0]:.0f} s, {rss['end'][1] / 1024:.1f} MiB at {rss['end'][0]:.0f} s: "
              f"{growth:+.1%} (limit +10 %)."]
    lat = result["latency_ms_p50_p99"]
    lines += ["", f"Requests/s per {BUCKET_S} s: " + ", ".join(f"{at:.0f}s {rate:,.0f}" for at, rate in
                                                            result["rps_per_10s"]),
              f"(median {result['median_rps']:,.0f}/s"
              + (f"; lowest in the 20 s after an outage {result['worst_rps_after_outage']:,.0f}/s, "
                 f"{result['worst_rps_after_outage'] / max(result['median_rps'], 1):.0%} of the median"
                 if result["worst_rps_after_outage"] is not None else "; no full bucket after an outage")
              + (f"; latency p50 {lat[0]:.1f} ms, p99 {lat[1]:.1f} ms" if lat else "") + ")"]
    if result["errors"]:
        lines += ["", "Load generator errors: " + ", ".join(f"{k}: {v}" for k, v in result["errors"].items())]
    lines += ["", "Timeline:"]
    lines += [f"- {at:6.1f} s {what}" for at, what in result["events"]]
    lines += ["", "Keys (s since start; first fetched: the JWKS server's first answer carrying it):"]
    lines += [f"- {k['kid']}: published {k['published_at']}, removed {k['removed_at']}, first fetched "
              f"{'-' if k['first_fetched_at'] is None else round(k['first_fetched_at'], 1)}" for k in result["keys"]]
    lines += ["", f"JWKS server: {result['jwks_answers']} good answers, {result['jwks_503']} answered 503.", "",
              "Filter metrics (Envoy admin `/stats?filter=jwt_edge`, non-zero):", "", "```"]
    lines += [f"{name}: {value}" for name, value in sorted(result["stats"].items()) if value]
    lines += ["```"]
    if result["wrong_examples"]:
        lines += ["", "First wrong decisions (class, kid, sent at s, status): "
                  + "; ".join(map(str, result["wrong_examples"]))]
    return "\n".join(lines) + "\n", failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300, help="how long the load runs (default 300)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--markdown", type=Path, help="write the report here")
    parser.add_argument("--json", type=Path, help="write the raw result here")
    args = parser.parse_args()
    harness.exit_on_sigterm()
    if args.seconds < 20:
        parser.error("--seconds must be at least 20 (the warm-up is 10 s)")
    if not harness.WASM.exists():
        print(f"{harness.WASM} is missing: run make build-edge", file=sys.stderr)
        return 2
    check_judge()
    print(f"soak: {args.seconds:g} s; keys rotate every {ROTATE_EVERY_S} s, the JWKS server is down "
          f"{OUTAGE_LENGTH_S} s every {OUTAGE_EVERY_S} s from {OUTAGE_FIRST_S} s", flush=True)
    result = asyncio.run(soak(args))
    text, failures = report(result)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"`make soak-edge SOAK_SECONDS={args.seconds:g}`\n\n" + text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result["per_class"] = {k: {str(s): c for s, c in v.items()} for k, v in result["per_class"].items()}
        args.json.write_text(json.dumps(result, indent=1, default=list))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
