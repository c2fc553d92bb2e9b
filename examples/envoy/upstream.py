"""A loopback echo upstream for the demo: answers 200 with the request's
method, path and headers as JSON, so you can see what jwt-edge forwarded."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "envoy"))

import harness  # noqa: E402

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 18080
    server = harness.EchoServer(port)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
