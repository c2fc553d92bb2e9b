// Runs in the browser page (served by browser.test.mjs) against whatever
// module it is given: the package itself, or a Vite bundle of it.
export async function runChecks(lib) {
  const results = {};
  try {
    lib.decodeJwt('x.y.z');
  } catch (error) {
    results.beforeInit = error instanceof lib.JwtEdgeError && error.code;
  }
  await lib.default();
  results.backendAuto = lib.getCryptoBackend();
  for (const backend of ['webcrypto', 'wasm']) {
    lib.setCryptoBackend(backend);
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) {
      const { privateJwk, publicJwk } = await lib.generateKeyPair(alg, { kid: 'thumbprint' });
      const token = await lib.signJwt({ sub: `${alg}-${backend}` }, privateJwk);
      const { payload } = await lib.verifyJwt(token, { keys: [publicJwk] });
      results[`${alg}-${backend}`] = payload.sub;
    }
    const hs = await lib.signJwt({ sub: 'hs' }, 'a'.repeat(48), { alg: 'HS384' });
    results[`HS384-${backend}`] = (await lib.verifyJwt(hs, 'a'.repeat(48))).payload.sub;
  }
  lib.setCryptoBackend('auto');
  const pair = await lib.generateKeyPair('ES256');
  results.pem = (await lib.jwkToPem(pair.publicJwk)).split('\n')[0];
  results.thumbprintRoundTrip = lib.jwkThumbprint(await lib.pemToJwk(await lib.jwkToPem(pair.privateJwk))) === lib.jwkThumbprint(pair.publicJwk);
  try {
    lib.decodeJwt('x'.repeat(10_000_000));
  } catch (error) {
    results.hugeError = error instanceof lib.JwtEdgeError && error.code;
  }
  try {
    await lib.verifyJwt(await lib.signJwt({ exp: 1 }, pair.privateJwk), pair.publicJwk);
  } catch (error) {
    results.expired = `${error.code}:${error.claim}:${error.reason}`;
  }
  const built = await lib.buildAssertion({ profile: 'okta', issuer: 'client', audience: 'https://o.okta.com/oauth2/v1/token' }, pair.privateJwk);
  results.assertion = (await lib.verifyAssertion(built.assertion, pair.publicJwk, { audience: 'https://o.okta.com/oauth2/v1/token' })).payload.iss;
  results.lint = lib.lintClaims({ exp: '1' }).map((f) => f.claim).join(',');
  return results;
}

export const EXPECTED = {
  beforeInit: 'ERR_WASM_NOT_INITIALIZED',
  backendAuto: 'webcrypto',
  'RS256-webcrypto': 'RS256-webcrypto', 'PS256-webcrypto': 'PS256-webcrypto', 'ES256-webcrypto': 'ES256-webcrypto',
  'ES384-webcrypto': 'ES384-webcrypto', 'EdDSA-webcrypto': 'EdDSA-webcrypto', 'HS384-webcrypto': 'hs',
  'RS256-wasm': 'RS256-wasm', 'PS256-wasm': 'PS256-wasm', 'ES256-wasm': 'ES256-wasm',
  'ES384-wasm': 'ES384-wasm', 'EdDSA-wasm': 'EdDSA-wasm', 'HS384-wasm': 'hs',
  pem: '-----BEGIN PUBLIC KEY-----',
  thumbprintRoundTrip: true,
  hugeError: 'ERR_JWT_TOO_LARGE',
  expired: 'ERR_JWT_EXPIRED:exp:check_failed',
  assertion: 'client',
  lint: 'exp,jti',
};
