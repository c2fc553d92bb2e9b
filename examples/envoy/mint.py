"""Prints curl commands with tokens signed by the demo key (demo-key.pem,
whose public half is the inline JWKS of envoy.yaml). Demo only."""

import base64
import json
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

HERE = Path(__file__).resolve().parent
KEY = serialization.load_pem_private_key((HERE / "demo-key.pem").read_bytes(), password=None)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(**claims) -> str:
    now = int(time.time())
    body = {"iss": "https://idp.example/oauth2/default", "aud": "api://default", "sub": "alice",
            "iat": now, "exp": now + 3600, "scope": "read admin", "tier": "gold",
            "realm_access": {"roles": ["viewer", "editor"]}}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    head = {"alg": "RS256", "typ": "JWT", "kid": "demo-1"}
    signing_input = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(body).encode())
    signature = KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64u(signature)


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:10000"
    now = int(time.time())
    good = token()
    cases = [
        ("no token needed", f"curl -si {base}/health"),
        ("a good token: 200, the upstream echoes x-user, x-tier, x-roles, x-jwt-payload",
         f"curl -si {base}/api/orders -H 'authorization: Bearer {good}'"),
        ("no token: 401 with a Bearer challenge", f"curl -si {base}/api/orders"),
        ("expired: 401 invalid_token, ERR_JWT_EXPIRED",
         f"curl -si {base}/api/orders -H 'authorization: Bearer {token(iat=now - 7200, exp=now - 3600)}'"),
        ("wrong audience: 401",
         f"curl -si {base}/api/orders -H 'authorization: Bearer {token(aud='api://other')}'"),
        ("admin route, good token: 200", f"curl -si -X POST {base}/admin/users -H 'authorization: Bearer {good}'"),
        ("admin route, missing scope: 403 insufficient_scope",
         f"curl -si -X POST {base}/admin/users -H 'authorization: Bearer {token(scope='read')}'"),
        ("admin route, tier bronze: 403",
         f"curl -si -X POST {base}/admin/users -H 'authorization: Bearer {token(tier='bronze')}'"),
        ("no rule matches: 403", f"curl -si {base}/elsewhere"),
        ("the filter's counters", "curl -s 'http://127.0.0.1:9901/stats?filter=jwt_edge'"),
    ]
    for title, command in cases:
        print(f"# {title}\n{command}\n")


if __name__ == "__main__":
    main()
