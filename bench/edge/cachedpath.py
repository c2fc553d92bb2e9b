"""The Envoy filter's cached path against the proxy-wasm floor (issue 15).

Envoy CPU per request (utime + stime of the Envoy process from
/proc/<pid>/stat, before and after each round) for the do-nothing
proxy-wasm filter (bench/edge/noop) and for one or more jwt-edge builds
answering a request whose token is already in the verified-token cache.
Every Envoy runs at once (`--concurrency 1`, pinned to one core with
taskset) and they are measured in alternating rounds, wrk pinned to the
other core; the figures are medians over the rounds with their spread,
and each jwt-edge build's excess over the floor is taken round by round
(the same round's noop figure) before the median.

Not a timed test: it prints figures and never fails on them.

    .venv/bin/python bench/edge/cachedpath.py --noop-wasm target/edge/noop_filter.wasm \
        --edge before=/tmp/before.wasm --edge after=dist/jwt_edge_filter.wasm --rounds 9
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402

ISSUER = "https://idp.bench"
AUDIENCE = "api://bench"


def edge_config(keys: str, scope: bool) -> dict:
    """bench/edge/bench.py's cached row: jwt_authn's schema, one provider,
    a claim header, the verified-token cache; `scope` adds a scope rule."""
    rule = {"match": {"prefix": "/"}, "requires": {"provider_name": "idp"}}
    if scope:
        rule["scopes"] = ["read"]
    return {
        "providers": {"idp": {
            "issuer": ISSUER,
            "audiences": [AUDIENCE],
            "local_jwks": {"inline_string": keys},
            "claim_to_headers": [{"header_name": "x-user", "claim_name": "sub"}],
            "jwt_cache_config": {"jwt_cache_size": 100},
        }},
        "rules": [rule],
    }


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wrk(core: str | None, port: int, token: str | None, seconds: float, connections: int) -> int:
    """Requests wrk completed; any refused request is an error."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    if token:
        command += ["-H", f"authorization: Bearer {token}"]
    command.append(f"http://127.0.0.1:{port}/")
    if core is not None:
        command = ["taskset", "-c", core] + command
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"refused requests: the token or configuration is wrong\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1))


def start(label: str, filters: list, token: str | None, core: str | None) -> harness.Envoy:
    listen, admin = harness.free_port(), harness.free_port()
    bootstrap = harness.bootstrap(listen, admin, filters, [],
                                  route={"direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    envoy = harness.Envoy(bootstrap, concurrency=1, log_level="error")
    if not envoy.wait_ready():
        raise RuntimeError(f"{label}: Envoy did not start:\n" + envoy.log())
    if core is not None:
        # Every thread, the worker included.
        subprocess.run(["taskset", "-a", "-p", "-c", core, str(envoy.proc.pid)], check=True,
                       capture_output=True)
    status, _, body = harness.request(listen, "/", {"authorization": f"Bearer {token}"} if token else {})
    if status != 200:
        raise RuntimeError(f"{label}: the first request answered {status}: {body[:200]!r}")
    return envoy


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--noop-wasm", type=Path, required=True, help="bench/edge/noop, built and stripped")
    parser.add_argument("--edge", action="append", default=[], metavar="LABEL=WASM",
                        help="a jwt-edge build to measure (repeatable); default dist/jwt_edge_filter.wasm")
    parser.add_argument("--alg", default="RS256", choices=["RS256", "ES256"])
    parser.add_argument("--scope", action="store_true", help="the rule also requires a scope")
    parser.add_argument("--floor", action="store_true", help="also measure jwt-edge with no token required")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per round and Envoy")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    harness.exit_on_sigterm()

    pinned = (os.cpu_count() or 1) >= 2
    envoy_core, wrk_core = ("0", "1") if pinned else (None, None)
    key = harness.SigningKey(args.alg, f"{args.alg.lower()}-bench")
    keys = harness.jwks(key)
    now = int(time.time())
    token = key.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-user", "scope": "read write",
                      "iat": now, "exp": now + 24 * 3600})
    builds = [entry.split("=", 1) for entry in args.edge] or [["jwt-edge", str(harness.WASM)]]
    # Every Envoy gets the same request, token included: the floor's too
    # (it ignores the token, but Envoy still reads its bytes).
    variants = [("noop", [harness.wasm_filter({}, args.noop_wasm)], token)]
    if args.floor:
        variants.append(("floor", [harness.wasm_filter({"rules": [{"match": {"prefix": "/"}}]},
                                                       Path(builds[0][1]))], token))
    for label, wasm in builds:
        variants.append((label, [harness.wasm_filter(edge_config(keys, args.scope), Path(wasm))], token))

    envoys = {}
    try:
        for label, filters, tok in variants:
            envoys[label] = start(label, filters, tok, envoy_core)
        for label, _, tok in variants:  # warm-up: V8 tiers the code up
            wrk(wrk_core, envoys[label].port, tok, 2, args.connections)
        per_request = {label: [] for label, _, _ in variants}
        for round_index in range(args.rounds):
            # Alternate the order too, so that no variant always runs first.
            order = variants if round_index % 2 == 0 else list(reversed(variants))
            for label, _, tok in order:
                envoy = envoys[label]
                before = cpu_ticks(envoy.proc.pid)
                total = wrk(wrk_core, envoy.port, tok, args.seconds, args.connections)
                ticks = cpu_ticks(envoy.proc.pid) - before
                per_request[label].append(ticks / os.sysconf("SC_CLK_TCK") * 1e6 / max(total, 1))
            print(f"round {round_index + 1}: " + "  ".join(
                f"{label} {values[-1]:.2f}" for label, values in per_request.items()), flush=True)
    finally:
        for envoy in envoys.values():
            envoy.close()

    print()
    print(f"Envoy CPU per request (us), {args.alg} token, cached; median (min, max) over {args.rounds} rounds "
          f"of {args.seconds:g} s, wrk 1 thread {args.connections} connections; "
          + ("Envoy pinned to core 0, wrk to core 1" if pinned else "not pinned (one core)"))
    noop = per_request["noop"]
    for label, values in per_request.items():
        line = f"  {label:<12} {spread(values)}"
        if label != "noop":
            line += f"   above noop: {spread([v - n for v, n in zip(values, noop)])}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
