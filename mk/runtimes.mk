# The npm package in every JavaScript runtime it supports (issue 10): Node 20
# (the system's) and 22, Deno, Bun, Cloudflare Workers (wrangler + workerd,
# with and without nodejs_compat), Vercel Edge (the edge-light build in
# workerd, and a real Next.js app's middleware). One runtime-neutral suite
# (npm/test/runtimes/suite.js), a small runner per runtime, started by
# npm/test/runtimes/drive.mjs. The runtimes are npm packages pinned in
# npm/runtimes/package-lock.json; their binaries are optional platform
# dependencies, called from node_modules directly (install scripts skipped:
# with the platform package present they have nothing to do, and without it
# they would download from a fixed public URL).

RUNTIMES_DIR := npm/runtimes
RUNTIMES_STAMP := $(RUNTIMES_DIR)/node_modules/.jwt-edge-installed
# A subset for development: `make test-runtimes RUNTIMES="deno bun"`.
RUNTIMES ?=

SETUP_TARGETS += setup-runtimes
TEST_TARGETS += test-runtimes

.PHONY: setup-runtimes test-runtimes

setup-runtimes: $(RUNTIMES_STAMP)

$(RUNTIMES_STAMP): $(RUNTIMES_DIR)/package.json $(RUNTIMES_DIR)/package-lock.json
	cd $(RUNTIMES_DIR) && timeout 1200 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

test-runtimes: build-js setup-runtimes
	cd npm/test/runtimes && timeout 1500 node drive.mjs $(RUNTIMES)
