// A page that only verifies a token (given by the test in window.__input):
// a bundler must not make it fetch the key module.
import { verifyJwt } from 'jwt-edge';

const { token, jwk } = window.__input;
verifyJwt(token, jwk).then(
  ({ payload }) => { window.__results = { sub: payload.sub }; },
  (e) => { window.__results = { error: `${e && e.code} ${e && e.message}` }; },
);
