"""The authorization server the Envoy introspection and DPoP tests rely on.

Checks that tests/authz/server.mjs (oidc-provider) and tests/envoy/authz.py
(the Python client) do what those tests will assume, against each other:
tokens by every client authentication method, introspection and revocation,
JWT access tokens and JWT introspection answers verified against the JWKS,
DPoP binding to the Python key's RFC 7638 thumbprint, and the counter.
Run with `make test-authz`, or directly:

    .venv/bin/python tests/envoy/test_authz.py [-k pattern]
"""

from __future__ import annotations

import dataclasses
import sys
import time
import unittest

import authz
import harness
from authz import AuthorizationServer, AuthzError, ClientKey


class AuthorizationServerCase(unittest.TestCase):
    """One server for the class (starting one takes about a second)."""

    @classmethod
    def setUpClass(cls):
        cls.rsa_client_key = ClientKey("RS256")
        cls.server = AuthorizationServer(client_keys=[ClientKey("ES256"), cls.rsa_client_key])
        cls.addClassCleanup(cls.server.stop)

    def test_opaque_token_introspects_active_with_its_scope(self):
        token = self.server.token("basic", scope="read write")
        self.assertEqual(token.token_type, "Bearer")
        self.assertNotIn(".", token.access_token, "no resource: an opaque token, not a JWT")
        answer = self.server.introspect(token.access_token)
        self.assertIs(answer["active"], True)
        self.assertEqual(answer["scope"], "read write")
        self.assertEqual(answer["client_id"], "client-basic")
        self.assertEqual(answer["iss"], self.server.issuer)
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertLessEqual(abs(answer["exp"] - (int(time.time()) + 300)), 5)
        self.assertNotIn("cnf", answer)

    def test_every_client_auth_method_gets_tokens_and_introspects(self):
        for role in ("basic", "post", "private_key_jwt", "inspector"):
            with self.subTest(role=role):
                token = self.server.token(role, scope="admin")
                answer = self.server.introspect(token.access_token, client=role)
                self.assertIs(answer["active"], True)
                self.assertEqual(answer["client_id"], self.server.client(role).client_id)
                self.assertEqual(answer["scope"], "admin")

    def test_private_key_jwt_accepts_an_assertion_for_the_endpoint_or_issuer_and_refuses_a_foreign_key(self):
        client = self.server.client("private_key_jwt")
        token = self.server.token("basic").access_token
        for audience in (self.server.introspection_endpoint, self.server.issuer):
            for key in (self.server.client_keys[0], self.rsa_client_key):
                with self.subTest(audience=audience, alg=key.alg):
                    status, _, body = self._introspect_with_assertion(
                        client.client_id, authz.client_assertion(client.client_id, key, audience), token)
                    self.assertEqual(status, 200, body)
                    self.assertIn(b'"active":true', body)
        stranger = ClientKey("ES256", kid=self.server.client_keys[0].kid)
        status, _, body = self._introspect_with_assertion(
            client.client_id, authz.client_assertion(client.client_id, stranger, self.server.issuer), token)
        self.assertEqual(status, 401, body)
        self.assertIn(b"invalid_client", body)

    def test_private_key_jwt_endpoint_audience_is_matched_against_the_host_header(self):
        # A gateway that sends another Host (say its cluster name) must put
        # the issuer in `aud`, or send the endpoint's own host.
        client = self.server.client("private_key_jwt")
        token = self.server.token("basic").access_token
        for audience, status in ((self.server.introspection_endpoint, 401), (self.server.issuer, 200)):
            with self.subTest(audience=audience):
                answer = self._introspect_with_assertion(
                    client.client_id, authz.client_assertion(client.client_id, client.key, audience), token,
                    headers={"host": "authz-cluster"})
                self.assertEqual(answer[0], status, answer[2])

    def _introspect_with_assertion(self, client_id: str, assertion: str, token: str, headers: dict | None = None):
        return authz.http_call("POST", self.server.introspection_endpoint, headers=headers, form={
            "client_id": client_id, "token": token,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})

    def test_a_wrong_secret_is_refused_as_invalid_client(self):
        token = self.server.token("basic").access_token
        for role in ("inspector", "post"):
            client = self.server.client(role)
            wrong = dataclasses.replace(client, client_secret=client.client_secret + "x")
            with self.subTest(role=role), self.assertRaises(AuthzError) as caught:
                self.server.introspect(token, client=wrong)
            self.assertEqual((caught.exception.status, caught.exception.error), (401, "invalid_client"))

    def test_a_scope_the_server_does_not_know_is_dropped_not_granted(self):
        token = self.server.token("basic", scope="read delete")
        self.assertEqual(token.scope, "read")
        self.assertEqual(self.server.introspect(token.access_token)["scope"], "read")

    def test_revoked_and_unknown_tokens_introspect_inactive(self):
        token = self.server.token("post", scope="read").access_token
        self.assertIs(self.server.introspect(token)["active"], True)
        self.server.revoke(token)
        self.assertEqual(self.server.introspect(token), {"active": False})
        self.assertEqual(self.server.introspect("not-a-token-this-server-issued"), {"active": False})

    def test_jwt_access_token_for_the_resource_verifies_against_the_jwks(self):
        jwks = self.server.jwks()
        self.assertTrue(all("d" not in key for key in jwks["keys"]), "the JWKS is public")
        for resource, alg in ((authz.JWT_RESOURCE, "RS256"), (authz.JWT_ES256_RESOURCE, "ES256")):
            with self.subTest(resource=resource):
                token = self.server.token("basic", scope="read admin", resource=resource)
                header, claims = authz.verify_jwt(token.access_token, jwks, typ="at+jwt")
                self.assertEqual(header["alg"], alg)
                self.assertEqual(claims["aud"], resource)
                self.assertEqual(claims["iss"], self.server.issuer)
                self.assertEqual(claims["scope"], "read admin")
                self.assertEqual(claims["client_id"], "client-basic")
                self.assertEqual(claims["exp"] - claims["iat"], 300)
                tampered = token.access_token[:-4] + ("AAAA" if not token.access_token.endswith("AAAA") else "BBBB")
                with self.assertRaises(ValueError):
                    authz.verify_jwt(tampered, jwks)

    def test_jwt_access_tokens_cannot_be_introspected_or_revoked(self):
        # oidc-provider keeps no record of the JWTs it issues: a gateway that
        # introspects JWTs gets this error from it, never an answer.
        token = self.server.token("basic", scope="write", resource=authz.JWT_RESOURCE).access_token
        for call in (self.server.introspect, self.server.revoke):
            with self.subTest(call=call.__name__), self.assertRaises(AuthzError) as caught:
                call(token)
            self.assertEqual((caught.exception.status, caught.exception.error), (400, "unsupported_token_type"))

    def test_opaque_resource_token_carries_the_audience(self):
        token = self.server.token("basic", scope="write", resource=authz.OPAQUE_RESOURCE)
        self.assertNotIn(".", token.access_token)
        answer = self.server.introspect(token.access_token)
        self.assertEqual(answer["aud"], authz.OPAQUE_RESOURCE)
        self.assertEqual(answer["scope"], "write")

    def test_jwt_introspection_answer_is_signed_for_the_inspector(self):
        token = self.server.token("basic", scope="read").access_token
        answer = self.server.introspect(token, accept_jwt=True)
        header, claims = authz.verify_jwt(answer, self.server.jwks(), typ="token-introspection+jwt")
        self.assertEqual(claims["iss"], self.server.issuer)
        self.assertEqual(claims["aud"], "inspector")
        self.assertIsInstance(claims["iat"], int)
        self.assertIs(claims["token_introspection"]["active"], True)
        self.assertEqual(claims["token_introspection"]["scope"], "read")
        self.assertEqual(header["alg"], "ES256")

    def test_dpop_bound_tokens_carry_the_python_keys_thumbprint(self):
        key = ClientKey("ES256")
        thumbprint = key.thumbprint()
        # The RFC 7638 computation itself, on the RFC's own example key (section 3.1).
        self.assertEqual(authz.jwk_thumbprint({
            "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
                 "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicA"
                 "taSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XP"
                 "ksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        for resource in (None, authz.JWT_ES256_RESOURCE):
            with self.subTest(resource=resource):
                token = self.server.token("basic", scope="read", resource=resource, dpop_key=key)
                self.assertEqual(token.token_type, "DPoP")
                if resource:
                    _, claims = authz.verify_jwt(token.access_token, self.server.jwks())
                    self.assertEqual(claims["cnf"], {"jkt": thumbprint})
                else:
                    answer = self.server.introspect(token.access_token)
                    self.assertEqual((answer["cnf"], answer["token_type"]), ({"jkt": thumbprint}, "DPoP"))

    def test_a_dpop_proof_the_server_refuses(self):
        key = ClientKey("ES256")
        proof = authz.dpop_proof(key, "POST", self.server.token_endpoint, header={"typ": "JWT"})
        headers, form = self.server.client("basic").authenticate(self.server.token_endpoint)
        headers["dpop"] = proof
        form.update({"grant_type": "client_credentials", "scope": "read"})
        status, _, body = authz.http_call("POST", self.server.token_endpoint, form=form, headers=headers)
        self.assertEqual(status, 400, body)
        self.assertIn(b"invalid_dpop_proof", body)

    def test_the_counter_counts_introspection_calls_by_client(self):
        token = self.server.token("basic").access_token
        self.server.reset_counters()
        for _ in range(3):
            self.server.introspect(token)
        self.server.introspect(token, client="post")
        counters = self.server.counters()
        self.assertEqual(counters["introspection"], 4)
        self.assertEqual(counters["introspection_by_client"], {"inspector": 3, "client-post": 1})
        self.assertEqual(counters["token"], 0)
        self.server.reset_counters()
        self.assertEqual(self.server.introspection_count(), 0)

    def test_fail_status_makes_an_outage_that_keeps_the_tokens(self):
        token = self.server.token("basic").access_token
        self.server.reset_counters()
        self.server.settings(fail_status=503)
        try:
            with self.assertRaises(AuthzError) as caught:
                self.server.introspect(token)
            self.assertEqual(caught.exception.status, 503)
        finally:
            self.server.settings(fail_status=0)
        self.assertIs(self.server.introspect(token)["active"], True)
        self.assertEqual(self.server.introspection_count(), 2, "refused calls count too")
        with self.assertRaises(AuthzError):
            self.server.settings(fail_status=200)

    def test_introspection_delay_holds_each_answer(self):
        token = self.server.token("basic").access_token
        self.server.settings(introspection_delay_ms=300)
        try:
            started = time.monotonic()
            self.assertIs(self.server.introspect(token)["active"], True)
            self.assertGreaterEqual(time.monotonic() - started, 0.3)
        finally:
            self.server.settings(introspection_delay_ms=0)


class ShortLivedTokens(unittest.TestCase):
    """Expiry and the DPoP nonce round trip, on a server of their own."""

    def test_tokens_expire_after_the_configured_ttl(self):
        with AuthorizationServer(access_token_ttl=1) as server:
            token = server.token("basic", scope="read")
            self.assertEqual(token.expires_in, 1)
            self.assertIs(server.introspect(token.access_token)["active"], True)
            time.sleep(2.1)
            self.assertEqual(server.introspect(token.access_token), {"active": False})
            server.settings(access_token_ttl=120)
            self.assertEqual(server.token("basic").expires_in, 120)

    def test_dpop_nonce_is_required_and_the_client_retries_with_it(self):
        with AuthorizationServer(dpop_nonce=True) as server:
            key = ClientKey("ES256")
            server.reset_counters()
            token = server.token("post", scope="read", dpop_key=key)
            self.assertEqual(server.counters()["token"], 2, "first refused with use_dpop_nonce, then accepted")
            self.assertIsNotNone(server.dpop_nonce)
            self.assertEqual(server.introspect(token.access_token)["cnf"]["jkt"], key.thumbprint())
        self.assertFalse(server.running)


class Lifecycle(unittest.TestCase):
    def test_stop_is_an_outage_and_is_idempotent(self):
        server = AuthorizationServer()
        port = server.port
        server.stop()
        server.stop()
        self.assertFalse(server.running)
        with self.assertRaises(ConnectionRefusedError):
            authz.http_call("GET", f"http://127.0.0.1:{port}/jwks", timeout=2)

    def test_suspended_server_hangs_until_resumed(self):
        with AuthorizationServer() as server:
            server.suspend()
            try:
                with self.assertRaises(TimeoutError):
                    authz.http_call("GET", server.jwks_uri, timeout=0.5)
            finally:
                server.resume()
            self.assertIn("keys", server.jwks())

    def test_closing_stdin_stops_the_server(self):
        server = AuthorizationServer()
        try:
            server._proc.stdin.close()
            self.assertEqual(server._proc.wait(timeout=5), 0)
        finally:
            server.stop()


def main() -> int:
    harness.exit_on_sigterm()  # `timeout` ends the run with the servers stopped
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"authz: {passed} passed, {failed} failed")
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
