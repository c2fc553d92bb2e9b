# jwt-edge: one core, three faces. `make demo` and `make test` are the two
# commands a newcomer needs; everything they depend on is installed here,
# idempotently (a stamp or a version check skips work already done).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
STAMPS := target/.stamps
RUST_TARGETS := wasm32-unknown-unknown wasm32-wasip1 thumbv7em-none-eabihf

# Faces append to these in their mk/*.mk.
SETUP_TARGETS := setup-core
BUILD_TARGETS := build-core
TEST_TARGETS := test-core

.PHONY: help setup build test demo bench lint fmt clean \
        setup-core build-core test-core lint-core demo-core

help:
	@echo "make demo   - build everything and show jwt-edge at work"
	@echo "make test   - every test (core, npm package, Envoy filter, playground)"
	@echo "make bench  - core benchmarks (bench-js, bench-edge for the faces)"

-include mk/*.mk

setup: $(SETUP_TARGETS)
build: setup $(BUILD_TARGETS)
test: setup $(TEST_TARGETS)
# The seed flows in the core, then the playground and Envoy side by side.
demo: build
	scripts/demo.sh

# ---------------------------------------------------------------- core ----

setup-core: $(STAMPS)/rust $(STAMPS)/apt-core

$(STAMPS)/rust:
	rustup component add clippy rustfmt
	rustup target add $(RUST_TARGETS)
	@mkdir -p $(STAMPS) && touch $@

# openssl is the reference the PEM tests compare against.
$(STAMPS)/apt-core:
	@if ! command -v openssl >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; \
	fi
	@mkdir -p $(STAMPS) && touch $@

build-core:
	$(CARGO) build --release

lint-core:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --no-default-features --lib -- -D warnings
	# The core with key arithmetic and without std, and without arithmetic
	# but with std (the npm package's tokens module; see mk/js.mk).
	$(CARGO) clippy --no-default-features --features arithmetic --lib -- -D warnings
	$(CARGO) clippy --no-default-features --features std --lib -- -D warnings

test-core: lint-core
	$(CARGO) test
	# The core's unit tests without key arithmetic (the structural key layer).
	$(CARGO) test --lib --no-default-features --features std
	# no_std stays true: the core builds for bare metal without std.
	$(CARGO) build --lib --no-default-features --features arithmetic --target thumbv7em-none-eabihf

demo-core:
	$(CARGO) run --quiet --release --example seed_flows

bench: setup
	$(CARGO) run --release --quiet -p jwt-edge-bench

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
