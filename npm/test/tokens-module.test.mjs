// The tokens module (pkg/jwt_edge_tokens*, no key arithmetic) against the
// keys module (pkg/jwt_edge_keys*, everything): loaded directly, each under
// the same wrapper (api.js), they give the same answers, and the tokens
// module hands what it cannot do to the keys module with the internal
// ERR_KEYS_MODULE_REQUIRED (the loader catches it and retries there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pkgDir, vectors, b64url, BACKENDS, ASYMMETRIC } from './helpers.mjs';
import { createApi, JwtEdgeError } from '../../pkg/api.js';
import * as tokensGlue from '../../pkg/jwt_edge_tokens.js';
import * as keysGlue from '../../pkg/jwt_edge_keys.js';

const REQUIRED = 'ERR_KEYS_MODULE_REQUIRED';
const wasmBytes = (module) => readFileSync(join(pkgDir, `${module}_bg.wasm`));
tokensGlue.initSync({ module: wasmBytes('jwt_edge_tokens') });
keysGlue.initSync({ module: wasmBytes('jwt_edge_keys') });
const platform = { nodeCrypto, subtle: globalThis.crypto.subtle, init: async () => {}, isReady: () => true };
// The tokens module alone: where the loader would fetch the keys module,
// this platform refuses, so the test sees each place the tokens module
// hands over (reported below as ERR_KEYS_MODULE_REQUIRED).
const HANDED_OVER = 'the tokens module handed this call over';
const refuse = () => {
  throw new Error(HANDED_OVER);
};
const tokens = createApi(tokensGlue, { ...platform, loadKeys: refuse, loadKeysSync: refuse });
// The keys module is its own key module (the wasm backend runs there).
const keys = createApi(keysGlue, { ...platform, loadKeys: () => keysGlue, loadKeysSync: () => keysGlue });

/** The code of `error`, with a hand-over reported as ERR_KEYS_MODULE_REQUIRED. */
function codeOf(error) {
  if (error.code === 'ERR_WASM_NOT_INITIALIZED' && error.message.includes(HANDED_OVER)) return REQUIRED;
  return error.code;
}

/** `{ ok, value }` or `{ ok: false, code }`. */
async function run(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    assert.ok(error instanceof JwtEdgeError, `not a JwtEdgeError: ${error?.stack ?? error}`);
    return { ok: false, code: codeOf(error) };
  }
}

/** Runs `fn(api)` against both modules with `backend`. */
async function both(backend, fn) {
  tokens.setCryptoBackend(backend);
  keys.setCryptoBackend(backend);
  try {
    return [await run(() => fn(tokens)), await run(() => fn(keys))];
  } finally {
    tokens.setCryptoBackend('auto');
    keys.setCryptoBackend('auto');
  }
}

/**
 * The tokens module answers as the keys module does; in pure wasm an
 * asymmetric signature is the keys module's (ERR_KEYS_MODULE_REQUIRED).
 */
function agree(name, backend, [fromTokens, fromKeys], asymmetric) {
  if (backend === 'wasm' && fromTokens.code === REQUIRED) return; // the loader runs the wasm backend in the keys module
  assert.deepEqual(fromTokens, fromKeys, `${name} (${backend})`);
}

test('the tokens module is the smaller one, and both list the same public error codes', () => {
  const size = (module) => gzipSync(wasmBytes(module), { level: 9 }).length;
  const [small, large] = [size('jwt_edge_tokens'), size('jwt_edge_keys')];
  console.log(`tokens ${small} bytes gzipped, keys ${large}`);
  assert.ok(small < large / 2, `tokens ${small} vs keys ${large}`);
  assert.deepEqual(tokens.errorCodes(), keys.errorCodes());
  assert.ok(!tokens.errorCodes().includes(REQUIRED), 'the internal code is not a public one');
});

test('JWS vectors: the same verdicts and codes on every backend', async () => {
  for (const entry of vectors('jws.json')) {
    const key = entry.jwk ?? { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const algorithms = entry.alg && entry.alg !== 'none' ? [entry.alg] : undefined;
    const asymmetric = ASYMMETRIC.includes(entry.alg);
    for (const backend of BACKENDS) {
      const results = await both(backend, (api) => api.verifyJwt(entry.token, key, { algorithms, currentDate: entry.now ?? undefined }));
      agree(entry.name, backend, results, asymmetric);
    }
  }
});

test('JWS vectors: deterministic signatures are identical, and each module verifies the other', async () => {
  for (const entry of vectors('jws.json').filter((e) => e.deterministic && e.payload)) {
    for (const backend of BACKENDS) {
      const [fromTokens, fromKeys] = await both(backend, (api) => api.signJwt(entry.payload, entry.jwk, { alg: entry.alg }));
      agree(entry.name, backend, [fromTokens, fromKeys], ASYMMETRIC.includes(entry.alg));
    }
  }
});

test('JWK vectors: the same thumbprints and errors', () => {
  for (const entry of vectors('jwk.json')) {
    const [a, b] = [tokens, keys].map((api) => {
      try {
        return api.jwkThumbprint(entry.jwk);
      } catch (error) {
        return codeOf(error);
      }
    });
    assert.equal(b, entry.expect === 'valid' ? entry.thumbprint : entry.expect, entry.name);
    // Whether x5c holds the key needs X.509: the keys module checks it.
    assert.equal(a, entry.jwk.x5c === undefined ? b : REQUIRED, entry.name);
  }
});

// Keys as Node makes them, in the forms people paste.
const PEMS = Object.fromEntries(ASYMMETRIC.map((alg) => {
  const [type, options] = alg.startsWith('ES')
    ? ['ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' }]
    : alg === 'EdDSA' ? ['ed25519', {}] : ['rsa', { modulusLength: 2048 }];
  const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync(type, options);
  const pem = (key, kind) => key.export({ format: 'pem', type: kind });
  return [alg, {
    spki: pem(publicKey, 'spki'),
    pkcs8: pem(privateKey, 'pkcs8'),
    other: type === 'rsa' ? pem(privateKey, 'pkcs1') : type === 'ec' ? pem(privateKey, 'sec1') : undefined,
    jwk: privateKey.export({ format: 'jwk' }),
  }];
}));

test('SPKI and PKCS#8 PEM go to the host as DER: tokens signs, keys verifies, and back', async () => {
  const payload = { sub: 'pem', iat: 1700000000 };
  for (const alg of ASYMMETRIC) {
    const { spki, pkcs8 } = PEMS[alg];
    for (const backend of ['node', 'webcrypto']) {
      tokens.setCryptoBackend(backend);
      try {
        const signed = await run(() => tokens.signJwt(payload, pkcs8, { alg }));
        if (alg === 'EdDSA' && !signed.ok) {
          // OpenSSL writes Ed25519 PKCS#8 without the public key, which
          // only arithmetic can derive.
          assert.equal(signed.code, REQUIRED, `${alg} ${backend}`);
          continue;
        }
        assert.ok(signed.ok, `${alg} ${backend}: ${signed.code}`);
        assert.equal((await keys.verifyJwt(signed.value, spki, { algorithms: [alg] })).payload.sub, 'pem');
        const fromKeys = await keys.signJwt(payload, pkcs8, { alg });
        assert.equal((await tokens.verifyJwt(fromKeys, spki, { algorithms: [alg] })).payload.sub, 'pem', `${alg} ${backend}`);
        // A private key verifies too (its public half, checked against it).
        assert.equal((await tokens.verifyJwt(fromKeys, pkcs8, { algorithms: [alg] })).payload.sub, 'pem', `${alg} ${backend}`);
      } finally {
        tokens.setCryptoBackend('auto');
      }
    }
  }
});

test('PKCS#1, SEC1, certificates, encrypted keys and conversions need the keys module', async () => {
  const token = await keys.signJwt({ sub: 'x' }, PEMS.ES256.jwk, { alg: 'ES256' });
  for (const alg of ['RS256', 'ES256', 'ES384']) {
    const { other } = PEMS[alg];
    const result = await run(() => tokens.verifyJwt(token, other, { algorithms: [alg] }));
    assert.equal(result.code, REQUIRED, `${alg} ${other.split('\n')[0]}`);
  }
  const certificate = await keys.createCertificate(PEMS.ES256.pkcs8, { subject: 'CN=tokens module', currentDate: 1700000000 });
  assert.equal((await run(() => tokens.verifyJwt(token, certificate))).code, REQUIRED);
  const withChain = { ...(await keys.pemToJwk(certificate)), alg: 'ES256' };
  assert.equal((await run(() => tokens.verifyJwt(token, withChain))).code, REQUIRED, 'a JWK with x5c');
  assert.equal((await run(() => tokens.verifyJwt(token, { keys: [withChain] }))).code, REQUIRED, 'a JWKS with x5c');
  // Without a passphrase both say so; with one, the keys module decrypts.
  // An RSA private JWK without its CRT values: the hosts need them.
  const { dp, dq, qi, ...noCrt } = PEMS.RS256.jwk;
  assert.ok((await keys.signJwt({}, noCrt, { alg: 'RS256' })).length > 0);
  assert.equal((await run(() => tokens.signJwt({}, noCrt, { alg: 'RS256' }))).code, REQUIRED);
  const encrypted = await keys.jwkToPem(PEMS.ES256.jwk, { passphrase: 'secret' });
  const unlocked = await Promise.all([tokens, keys].map((api) => run(() => api.signJwt({}, encrypted))));
  assert.deepEqual(unlocked[0], unlocked[1]);
  assert.equal(unlocked[0].code, 'ERR_KEY_PASSPHRASE_REQUIRED');
  assert.equal((await run(() => tokens.pemToJwk(encrypted, { passphrase: 'secret' }))).code, REQUIRED);
  const compressed = nodeCrypto.createPublicKey(PEMS.ES256.spki).export({ format: 'der', type: 'spki' });
  const point = nodeCrypto.ECDH.convertKey(compressed.subarray(compressed.length - 65), 'prime256v1', undefined, undefined, 'compressed');
  const compressedSpki = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), point]);
  const compressedPem = `-----BEGIN PUBLIC KEY-----\n${compressedSpki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  assert.ok((await keys.verifyJwt(token, compressedPem)).payload, 'the keys module decompresses the point');
  assert.equal((await run(() => tokens.verifyJwt(token, compressedPem))).code, REQUIRED);
  for (const call of [
    () => tokens.jwkToPem(PEMS.ES256.jwk),
    () => tokens.pemToJwk(PEMS.ES256.spki),
    () => tokens.generateKeyPair('ES256'),
    () => tokens.generateSecret('HS256'),
    () => tokens.createCsr(PEMS.ES256.pkcs8, { subject: 'CN=x' }),
    () => tokens.inspectCertificate(certificate),
  ]) {
    assert.equal((await run(call)).code, REQUIRED, String(call));
  }
  tokens.setCryptoBackend('wasm');
  try {
    assert.equal((await run(() => tokens.verifyJwt(token, PEMS.ES256.spki))).code, REQUIRED, 'the pure-wasm backend');
  } finally {
    tokens.setCryptoBackend('auto');
  }
});

/** `jwk` with member `name` replaced by the same member of another key. */
function swapped(jwk, other, name) {
  return { ...jwk, [name]: other[name] };
}

test('bad keys: the host import fails with the code the keys module gives at parse time', async () => {
  // A token that is fine up to its signature: the keys module refuses the
  // key when it parses it, the tokens module when the host imports it.
  const tokenFor = Object.fromEntries(await Promise.all(['ES256', 'EdDSA', 'RS256'].map(async (alg) => [alg, await keys.signJwt({ sub: 'x' }, PEMS[alg].jwk, { alg })])));
  const ec = PEMS.ES256.jwk;
  const otherEc = nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const ed = PEMS.EdDSA.jwk;
  const otherEd = nodeCrypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const rsa = PEMS.RS256.jwk;
  const otherRsa = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const offCurve = { kty: 'EC', crv: 'P-256', x: ec.x, y: b64url(Buffer.from(ec.y, 'base64url').map((byte, i) => (i === 31 ? byte ^ 1 : byte))) };
  const cases = [
    ['EC point off the curve', offCurve, 'ES256'],
    ['EC d of another key', swapped(ec, otherEc, 'd'), 'ES256'],
    ['Ed25519 d of another key', swapped(ed, otherEd, 'd'), 'EdDSA'],
    ['RSA d of another key', swapped(rsa, otherRsa, 'd'), 'RS256'],
    ['RSA even exponent', { kty: 'RSA', n: rsa.n, e: 'AQAA' }, 'RS256'],
  ];
  for (const [name, jwk, alg] of cases) {
    for (const backend of ['node', 'webcrypto']) {
      const verdicts = await both(backend, (api) => api.verifyJwt(tokenFor[alg], jwk, { algorithms: [alg] }));
      assert.equal(verdicts[1].code, 'ERR_JWK_INVALID', `${name}: keys module`);
      assert.deepEqual(verdicts[0], verdicts[1], `${name} (${backend}): verify`);
      if (jwk.d === undefined) continue;
      const signed = await both(backend, (api) => api.signJwt({ sub: 'x' }, jwk, { alg }));
      assert.deepEqual(signed[0], signed[1], `${name} (${backend}): sign`);
    }
    // In a set the keys module skips the key; the tokens module cannot tell
    // why the host refused it and hands the set over.
    const inSet = await both('node', (api) => api.verifyJwt(tokenFor[alg], { keys: [jwk] }, { algorithms: [alg] }));
    assert.ok([REQUIRED, inSet[1].code].includes(inSet[0].code), `${name} in a JWKS: ${inSet[0].code}`);
  }
  // An SPKI point off its curve: ERR_DER_INVALID from both.
  const der = nodeCrypto.createPublicKey(PEMS.ES256.spki).export({ format: 'der', type: 'spki' });
  der[der.length - 1] ^= 1;
  const badSpki = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  for (const backend of ['node', 'webcrypto']) {
    const verdicts = await both(backend, (api) => api.verifyJwt(tokenFor.ES256, badSpki, { algorithms: ['ES256'] }));
    assert.equal(verdicts[1].code, 'ERR_DER_INVALID');
    assert.deepEqual(verdicts[0], verdicts[1], `SPKI off the curve (${backend})`);
  }
});

test('decode, lint, reports, assertions and DPoP run in the tokens module', async () => {
  const { jwk } = PEMS.ES256;
  const token = await tokens.signJwt({ sub: 's', iat: 1700000000, exp: 1700000300 }, jwk, { alg: 'ES256' });
  assert.deepEqual(tokens.decodeJwt(token), keys.decodeJwt(token));
  const payload = { iss: 'c', sub: 'c', aud: 'https://x', iat: 1700000000, exp: 1700090000 };
  assert.deepEqual(tokens.lintClaims(payload, { profile: 'okta' }), keys.lintClaims(payload, { profile: 'okta' }));
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const options = { currentDate: 1700000100 };
  // A report checks signatures in wasm: HMAC here, the rest in the keys module.
  assert.equal((await run(() => tokens.verifyReport(token, publicJwk, options))).code, REQUIRED);
  const secret = { kty: 'oct', k: b64url(new Uint8Array(32).fill(7)) };
  const hs = await tokens.signJwt({ sub: 's', exp: 1700000300 }, secret);
  assert.deepEqual(await tokens.verifyReport(hs, secret, options), await keys.verifyReport(hs, secret, options));
  assert.deepEqual(await tokens.verifyReport(token, secret, options), await keys.verifyReport(token, secret, options));
  const request = { profile: 'okta', issuer: 'client', audience: 'https://idp.example/token', currentDate: 1700000000 };
  const assertion = await tokens.buildAssertion(request, jwk, { alg: 'ES256' });
  const checked = await keys.verifyAssertion(assertion.assertion, publicJwk, { issuer: 'client', audience: 'https://idp.example/token', currentDate: 1700000010 });
  assert.equal(checked.payload.iss, 'client');
  const proof = await tokens.createDpopProof(jwk, { htm: 'GET', htu: 'https://api.example/x', currentDate: 1700000000 });
  const dpop = { htm: 'GET', htu: 'https://api.example/x', currentDate: 1700000001 };
  const [a, b] = [await tokens.verifyDpopProof(proof, dpop), await keys.verifyDpopProof(proof, dpop)];
  assert.deepEqual(a, b);
});
