"""Deterministic work per request of a proxy-wasm filter (issue 15).

Envoy CPU figures on a shared 2-core machine move by several microseconds
from round to round; this counts instead. The filter module runs in
wasmtime with fuel metering (about one unit per wasm instruction) under a
small stand-in for Envoy's proxy-wasm host, and each request's fuel, host
calls and calls into the VM (memory allocations for returned values
included) are counted exactly. It measures the module's own work; what a
host call costs Envoy is bench/edge/cachedpath.py's to measure.

Needs the `wasmtime` Python package (`make setup-bench-edge` installs it into .venv);
by hand, e.g.
    python3 -m venv /tmp/wt && /tmp/wt/bin/pip install wasmtime==50.0.1
    PYTHONPATH=/tmp/wt/lib/python3.11/site-packages .venv/bin/python bench/edge/wasmcount.py \
        --wasm base=/tmp/base.wasm --wasm now=dist/jwt_edge_filter.wasm --noop target/edge/noop_filter.wasm

Not a test: it prints figures, and fails only when the filter does not let
the cached request through.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
from collections import Counter
from pathlib import Path

import wasmtime

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402
from cachedpath import AUDIENCE, ISSUER, edge_config  # noqa: E402  (one cached-row configuration)

OK, NOT_FOUND = 0, 1
PLUGIN_CONFIGURATION = 7
REQUEST_HEADERS = 0
ROOT_ID = 1
# proxy-wasm actions
CONTINUE = 0


class Host:
    """The proxy-wasm ABI calls the filters make, answered like Envoy
    answers them for one request at a time (no shared data, no foreign
    functions: the filter verifies signatures itself)."""

    def __init__(self, wasm: Path, configuration: str):
        config = wasmtime.Config()
        config.consume_fuel = True
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        self.store.set_fuel(1 << 62)
        module = wasmtime.Module.from_file(self.engine, str(wasm))
        self.configuration = configuration.encode()
        self.headers: list[tuple[bytes, bytes]] = []
        self.calls: Counter = Counter()
        # (call, fuel left when it was made): where a request's work goes.
        self.trace: list[tuple[str, int]] = []
        self.set_headers: dict = {}
        self.removed: list = []
        self.local_response = None
        self.metric_ids = 0
        imports = []
        for item in module.imports:
            imports.append(wasmtime.Func(self.store, item.type, self._handler(item.module, item.name),
                                         access_caller=True))
        self.instance = wasmtime.Instance(self.store, module, imports)
        exports = self.instance.exports(self.store)
        self.memory = exports["memory"]
        self.export = exports
        if "_initialize" in exports:
            exports["_initialize"](self.store)

    # ------------------------------------------------------------ memory

    def read(self, ptr: int, size: int) -> bytes:
        return bytes(self.memory.read(self.store, ptr, ptr + size))

    def write(self, ptr: int, data: bytes):
        self.memory.write(self.store, data, ptr)

    def give(self, data: bytes, ptr_ptr: int, size_ptr: int):
        """Hands `data` to the module as Envoy does: memory it allocates."""
        self.calls["(vm) proxy_on_memory_allocate"] += 1
        self.trace.append(("(vm) proxy_on_memory_allocate", self.store.get_fuel()))
        ptr = self.export["proxy_on_memory_allocate"](self.store, len(data))
        self.write(ptr, data)
        self.write(ptr_ptr, struct.pack("<I", ptr))
        self.write(size_ptr, struct.pack("<I", len(data)))

    # ------------------------------------------------------------- calls

    def _handler(self, module: str, name: str):
        method = getattr(self, name, None)

        def handler(caller, *args):
            self.calls[name] += 1
            label = name
            if name == "proxy_log":
                label += " " + self.read(args[1], args[2]).decode(errors="replace")[:24]
            self.trace.append((label, self.store.get_fuel()))
            if method is None:
                return OK if module == "env" else 0
            return method(*args)

        return handler

    def proxy_log(self, level, ptr, size):
        if level >= 3 or os.environ.get("WASMCOUNT_LOG"):  # warn and above
            print(f"    log {level}: {self.read(ptr, size).decode(errors='replace')}", file=sys.stderr)
        return OK

    def proxy_get_buffer_bytes(self, kind, start, max_size, ptr_ptr, size_ptr):
        if kind != PLUGIN_CONFIGURATION:
            return NOT_FOUND
        # usize::MAX arrives as -1 (wasm i32s are signed here).
        start, max_size = start & 0xFFFFFFFF, max_size & 0xFFFFFFFF
        self.give(self.configuration[start:start + max_size], ptr_ptr, size_ptr)
        return OK

    def proxy_get_header_map_value(self, kind, key_ptr, key_size, ptr_ptr, size_ptr):
        key = self.read(key_ptr, key_size)
        for name, value in self.headers:
            if name == key:
                self.give(value, ptr_ptr, size_ptr)
                return OK
        return NOT_FOUND

    def proxy_get_header_map_pairs(self, kind, ptr_ptr, size_ptr):
        out = struct.pack("<I", len(self.headers))
        for name, value in self.headers:
            out += struct.pack("<II", len(name), len(value))
        for name, value in self.headers:
            out += name + b"\0" + value + b"\0"
        self.give(out, ptr_ptr, size_ptr)
        return OK

    def proxy_replace_header_map_value(self, kind, key_ptr, key_size, value_ptr, value_size):
        self.set_headers[self.read(key_ptr, key_size)] = self.read(value_ptr, value_size)
        return OK

    proxy_add_header_map_value = proxy_replace_header_map_value

    def proxy_remove_header_map_value(self, kind, key_ptr, key_size):
        self.removed.append(self.read(key_ptr, key_size))
        return OK

    def proxy_send_local_response(self, status, *rest):
        self.local_response = status
        return OK

    def proxy_get_current_time_nanoseconds(self, ptr):
        self.write(ptr, struct.pack("<Q", time.time_ns()))
        return OK

    def proxy_define_metric(self, kind, name_ptr, name_size, id_ptr):
        self.metric_ids += 1
        self.write(id_ptr, struct.pack("<I", self.metric_ids))
        return OK

    def proxy_get_shared_data(self, *args):
        return NOT_FOUND

    def proxy_call_foreign_function(self, *args):
        return NOT_FOUND

    def proxy_get_property(self, *args):
        return NOT_FOUND

    def random_get(self, ptr, size):
        self.write(ptr, os.urandom(size))
        return 0

    def environ_sizes_get(self, count_ptr, size_ptr):
        self.write(count_ptr, struct.pack("<I", 0))
        self.write(size_ptr, struct.pack("<I", 0))
        return 0

    def fd_write(self, fd, iovs, count, written_ptr):
        total = 0
        for i in range(count):
            _, size = struct.unpack("<II", self.read(iovs + 8 * i, 8))
            total += size
        self.write(written_ptr, struct.pack("<I", total))
        return 0

    def proc_exit(self, code):
        raise RuntimeError(f"the module exited ({code})")

    # ---------------------------------------------------------- lifecycle

    def start(self):
        self.export["proxy_on_context_create"](self.store, ROOT_ID, 0)
        if not self.export["proxy_on_vm_start"](self.store, ROOT_ID, 0):
            raise RuntimeError("vm start refused")
        if not self.export["proxy_on_configure"](self.store, ROOT_ID, len(self.configuration)):
            raise RuntimeError("configuration refused")

    def request(self, context_id: int, headers: list[tuple[str, str]]) -> tuple[int, Counter, int]:
        """One request as Envoy runs it through a filter: (fuel, calls, action)."""
        self.headers = [(n.encode(), v.encode()) for n, v in headers]
        self.calls = Counter()
        self.trace = []
        self.set_headers, self.removed, self.local_response = {}, [], None
        before = self.store.get_fuel()
        for name, call in (("proxy_on_context_create", lambda: (context_id, ROOT_ID)),
                           ("proxy_on_request_headers", lambda: (context_id, len(headers), 1)),
                           ("proxy_on_delete", lambda: (context_id,))):
            self.calls[f"(vm) {name}"] += 1
            self.trace.append((f"(vm) {name}", self.store.get_fuel()))
            result = self.export[name](self.store, *call())
            if name == "proxy_on_request_headers":
                action = result
            self.trace.append((f"(vm) {name} returns", self.store.get_fuel()))
        return before - self.store.get_fuel(), self.calls, action


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wasm", action="append", default=[], metavar="LABEL=WASM", required=True)
    parser.add_argument("--noop", type=Path, help="bench/edge/noop, built and stripped")
    parser.add_argument("--alg", default="RS256", choices=["RS256", "ES256"])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--trace", action="store_true",
                        help="also print the fuel spent between the last request's calls")
    args = parser.parse_args()

    key = harness.SigningKey(args.alg, f"{args.alg.lower()}-bench")
    now = int(time.time())
    token = key.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-user", "iat": now, "exp": now + 3600})
    # What wrk sends, as Envoy's header map holds it by then.
    headers = [(":authority", "127.0.0.1:10000"), (":path", "/"), (":method", "GET"), (":scheme", "http"),
               ("authorization", f"Bearer {token}"), ("x-forwarded-proto", "http"),
               ("x-request-id", "8d2f4a3c-5a1b-4d36-9a8e-2f1e7c0b9d11")]
    builds = [entry.split("=", 1) for entry in args.wasm]
    if args.noop:
        builds.insert(0, ["noop", str(args.noop)])
    print(f"{args.alg} token ({len(token)} bytes), cached; per request after {args.requests} requests "
          f"(the first verifies and fills the cache)")
    for label, wasm in builds:
        host = Host(Path(wasm), "{}" if label == "noop" else json.dumps(edge_config(harness.jwks(key), scope=False)))
        host.start()
        fuel = []
        for i in range(args.requests):
            used, calls, action = host.request(100 + i, headers)
            if action != CONTINUE or host.local_response is not None:
                raise RuntimeError(f"{label}: request {i} not let through (local response {host.local_response})")
            fuel.append(used)
        first, steady = fuel[0], fuel[-1]
        host_calls = sum(n for name, n in calls.items() if not name.startswith("(vm)"))
        vm_calls = sum(n for name, n in calls.items() if name.startswith("(vm)"))
        print(f"  {label:<10} {steady:>9,} fuel/request (first {first:,}); "
              f"{host_calls} host calls, {vm_calls} VM entries: "
              + ", ".join(f"{name} {n}" for name, n in sorted(calls.items())))
        if args.trace:
            for (name, left), (_, next_left) in zip(host.trace, host.trace[1:]):
                print(f"  {'':<10} {left - next_left:>7,} after {name}")
        if host.set_headers:
            print(f"  {'':<10} set {sorted(k.decode() for k in host.set_headers)}, removed "
                  f"{sorted(k.decode() for k in host.removed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
