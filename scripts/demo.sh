#!/usr/bin/env bash
# make demo: the core on the seed flows, then the playground and Envoy with
# jwt-edge, side by side on loopback until Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo run --quiet --release --example seed_flows

if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
	echo "port 8080 is in use: stop what listens there first" >&2
	exit 1
fi
python3 www/serve.py dist/www 8080 >/dev/null &
playground=$!
trap 'kill "$playground" 2>/dev/null || true' EXIT

echo
echo "=== The playground ==="
echo
echo "Open http://127.0.0.1:8080/ : keys, assertions and tokens, nothing leaves the tab."

echo
echo "=== The edge: Envoy with the jwt-edge filter ==="
EDGE_PY=.venv/bin/python examples/envoy/demo.sh
