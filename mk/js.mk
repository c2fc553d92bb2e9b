# The npm package `jwt-edge` (issue 3): the core compiled to wasm with
# wasm-bindgen, wrapped by npm/src, written to pkg/ by `make build-js`.
# Its own cargo target dir keeps its builds off the other faces' locks.
#
# Two modules from the one core (issue 14): `keys` (feature `js`: every
# function, key arithmetic, certificates, the pure-wasm backend) and `tokens`
# (feature `js-tokens` without the default `arithmetic`: tokens, JWK/JWKS,
# SPKI/PKCS#8, signatures by the host). A cdylib's file name carries no
# feature hash, so the tokens build has its own target dir inside target/js:
# in a shared one each build would overwrite, and relink, the other.

JS_TARGET_DIR := target/js
JS_BINDGEN_DIR := $(JS_TARGET_DIR)/bindgen
JS_RAW_WASM := $(JS_TARGET_DIR)/wasm32-unknown-unknown/release/jwt_edge.wasm
JS_TOKENS_TARGET_DIR := $(JS_TARGET_DIR)/tokens
JS_TOKENS_RAW_WASM := $(JS_TOKENS_TARGET_DIR)/wasm32-unknown-unknown/release/jwt_edge.wasm
JS_MODULES := jwt_edge_keys jwt_edge_tokens
JS_OPT_WASMS := $(JS_MODULES:%=$(JS_BINDGEN_DIR)/%_opt.wasm)
JS_PKG := pkg
# The wasm-bindgen CLI must be exactly the crate's version (pinned with `=`).
JS_WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = { version = "=\([^"]*\)".*/\1/p' Cargo.toml)
JS_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# Size over speed for the module: WebCrypto / Node crypto do the heavy math.
JS_PROFILE := CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_STRIP=debuginfo
JS_CARGO := CARGO_TARGET_DIR=$(JS_TARGET_DIR) $(JS_PROFILE) $(CARGO)
JS_TOKENS_CARGO := CARGO_TARGET_DIR=$(JS_TOKENS_TARGET_DIR) $(JS_PROFILE) $(CARGO)
# The npm `binaryen` package's wasm-opt (Debian's 108 breaks wasm-bindgen output).
JS_WASM_OPT := npm/node_modules/.bin/wasm-opt
JS_WASM_OPT_FLAGS := -Oz --strip-debug --strip-producers --enable-bulk-memory \
	--enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
	--enable-reference-types --enable-multivalue
JS_NPM_STAMP := npm/node_modules/.jwt-edge-installed

SETUP_TARGETS += setup-js
BUILD_TARGETS += build-js
TEST_TARGETS += test-js

.PHONY: setup-js build-js test-js lint-js bench-js js-pkg

setup-js: $(STAMPS)/rust $(JS_NPM_STAMP) $(STAMPS)/apt-js
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(JS_WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(JS_WASM_BINDGEN_VERSION) (a few minutes, once)"; \
		$(CARGO) install wasm-bindgen-cli --version $(JS_WASM_BINDGEN_VERSION); \
	fi

# package.json pins rollup (an "overrides" entry) to a release whose every
# platform binary the registry mirror holds, or `npm ci` refuses the lock.
$(JS_NPM_STAMP): npm/package.json npm/package-lock.json
	cd npm && npm ci --no-audit --no-fund
	@touch $@

# Headless Chromium for the browser tests (Debian's, driven by playwright-core).
$(STAMPS)/apt-js:
	@if ! command -v chromium >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi
	@mkdir -p $(STAMPS) && touch $@

# `cp -p` keeps cargo's timestamp: an unchanged module is not bound again.
build-js: setup-js
	$(JS_CARGO) rustc --lib --crate-type cdylib --release --target wasm32-unknown-unknown --features js
	cp -p $(JS_RAW_WASM) $(JS_TARGET_DIR)/jwt_edge_keys.wasm
	$(JS_TOKENS_CARGO) rustc --lib --crate-type cdylib --release --target wasm32-unknown-unknown \
		--no-default-features --features js-tokens,compact-hashes
	cp -p $(JS_TOKENS_RAW_WASM) $(JS_TARGET_DIR)/jwt_edge_tokens.wasm
	@$(MAKE) --no-print-directory js-pkg

js-pkg: $(JS_PKG)/package.json

# Kept: make would delete the bound modules as intermediates of the chain.
.SECONDARY: $(JS_MODULES:%=$(JS_BINDGEN_DIR)/%_bg.wasm)

$(JS_BINDGEN_DIR)/%_bg.wasm: $(JS_TARGET_DIR)/%.wasm
	wasm-bindgen --target web --no-typescript --out-dir $(JS_BINDGEN_DIR) --out-name $* $<

$(JS_BINDGEN_DIR)/%_opt.wasm: $(JS_BINDGEN_DIR)/%_bg.wasm
	$(JS_WASM_OPT) $(JS_WASM_OPT_FLAGS) $< -o $@

$(JS_PKG)/package.json: $(JS_OPT_WASMS) $(wildcard npm/src/*) npm/build.mjs npm/template/package.json npm/README.md Cargo.toml
	node npm/build.mjs $(JS_BINDGEN_DIR) $(JS_PKG) $(JS_VERSION)

lint-js:
	CARGO_TARGET_DIR=$(JS_TARGET_DIR) $(CARGO) clippy --all-targets --features js -- -D warnings
	CARGO_TARGET_DIR=$(JS_TARGET_DIR) $(CARGO) clippy --lib --features js --target wasm32-unknown-unknown -- -D warnings
	CARGO_TARGET_DIR=$(JS_TARGET_DIR) $(CARGO) clippy --lib --no-default-features --features js-tokens \
		--target wasm32-unknown-unknown -- -D warnings

test-js: build-js lint-js
	cd npm && node --test --test-concurrency=1 test/*.test.mjs
	cd npm && node_modules/.bin/tsc -p test/types

# Not a timed test: ops/sec of jwt-edge, jose and jsonwebtoken in one Node
# process, and each wasm module's size and the wasm a verify-only page
# downloads in Chromium (bench/sizes.mjs); then jwt-edge against jose in Node, Deno and
# Bun (the runtimes of mk/runtimes.mk), each pair in one process.
bench-js: build-js setup-runtimes
	cd npm && timeout 300 node bench/sizes.mjs
	cd npm && timeout 900 node bench/bench.mjs
	cd npm/test/runtimes && timeout 900 node drive.mjs --bench
