// The two modules agree (issue 14): every JWS, JWK and DPoP vector
// (tests/vectors) gives the same answer from the token module alone (the Node
// and WebCrypto backends; the key module cannot be loaded, so a call it
// would have to answer fails instead of being re-run) and from the key module
// alone (the Node, WebCrypto and pure-wasm backends). The token module must
// answer every JWS vector itself: they are JWKs, which it takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import nodeCrypto from 'node:crypto';
import { pkgDir, vectors } from './helpers.mjs';

const pkgUrl = (file) => pathToFileURL(join(pkgDir, file)).href;
const { createApi } = await import(pkgUrl('api.js'));

/** An API over one module only, instantiated in this process. */
async function only(name, canLoadKeys) {
  const glue = await import(pkgUrl(`jwt_edge_${name}.js`));
  glue.initSync({ module: readFileSync(join(pkgDir, `jwt_edge_${name}_bg.wasm`)) });
  return createApi(glue, {
    nodeCrypto,
    subtle: globalThis.crypto.subtle,
    init: async () => {},
    isReady: () => true,
    loadKeys: async () => {
      if (!canLoadKeys) throw new Error('the key module is not loaded in this test');
      return glue;
    },
  });
}

const tokensOnly = await only('tokens', false);
const keysOnly = await only('keys', true);
const DEFERRED = 'ERR_WASM_NOT_INITIALIZED';

async function outcome(api, backend, entry) {
  api.setCryptoBackend(backend);
  const key = entry.jwk ?? { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
  try {
    const algorithms = entry.alg && entry.alg !== 'none' ? [entry.alg] : undefined;
    const { header, payload } = await api.verifyJwt(entry.token, key, { algorithms, currentDate: entry.now ?? undefined });
    return { ok: true, header, payload };
  } catch (error) {
    assert.equal(error.name, 'JwtEdgeError', `${entry.name}: ${error}`);
    return { ok: false, code: error.code };
  } finally {
    api.setCryptoBackend('auto');
  }
}

test('JWS vectors: the token module (node, webcrypto) and the key module (node, webcrypto, wasm) give one answer', async () => {
  for (const entry of vectors('jws.json')) {
    const reference = await outcome(keysOnly, 'wasm', entry);
    for (const backend of ['node', 'webcrypto']) {
      assert.deepEqual(await outcome(keysOnly, backend, entry), reference, `${entry.name}: key module, ${backend}`);
      const tokens = await outcome(tokensOnly, backend, entry);
      assert.notEqual(tokens.code, DEFERRED, `${entry.name}: the token module sent a JWK to the key module (${backend})`);
      assert.deepEqual(tokens, reference, `${entry.name}: token module, ${backend}`);
    }
  }
});

test('JWS vectors: deterministic signatures are the same from both modules', async () => {
  const entries = vectors('jws.json').filter((entry) => entry.deterministic && entry.payload);
  assert.ok(entries.length >= 3);
  for (const entry of entries) {
    keysOnly.setCryptoBackend('wasm');
    const reference = await keysOnly.signJwt(entry.payload, entry.jwk, { alg: entry.alg });
    keysOnly.setCryptoBackend('auto');
    for (const backend of ['node', 'webcrypto']) {
      tokensOnly.setCryptoBackend(backend);
      assert.equal(await tokensOnly.signJwt(entry.payload, entry.jwk, { alg: entry.alg }), reference, `${entry.name} (${backend})`);
      tokensOnly.setCryptoBackend('auto');
    }
  }
});

test('JWK vectors: thumbprints and refusals agree wherever the token module answers', () => {
  let answered = 0;
  for (const entry of vectors('jwk.json')) {
    const answer = (api) => {
      try {
        return { thumbprint: api.jwkThumbprint(entry.jwk) };
      } catch (error) {
        return { code: error.code };
      }
    };
    const reference = answer(keysOnly);
    const tokens = answer(tokensOnly);
    if (tokens.code === DEFERRED) continue;
    answered++;
    assert.deepEqual(tokens, reference, entry.name);
  }
  assert.ok(answered > 0, 'the token module answered no JWK vector');
});

test('DPoP vectors: the token module (node) and the key module (node, wasm) give one answer, the expected one', async () => {
  const { vectors: entries } = JSON.parse(readFileSync(join(pkgDir, '..', 'tests', 'vectors', 'dpop.json'), 'utf8'));
  assert.ok(entries.length > 0);
  const check = async (api, backend, entry) => {
    const { now, method, url, access_token: accessToken, jkt, nonces } = entry.request;
    api.setCryptoBackend(backend);
    try {
      const checked = await api.verifyDpopProof(entry.proof, { htm: method, htu: url, accessToken, jkt, nonce: nonces, currentDate: now });
      return { ok: true, jkt: checked.jkt, jti: checked.payload.jti };
    } catch (error) {
      assert.equal(error.name, 'JwtEdgeError', `${entry.name}: ${error}`);
      return { ok: false, code: error.code, claim: error.claim ?? null };
    } finally {
      api.setCryptoBackend('auto');
    }
  };
  for (const entry of entries) {
    const reference = await check(keysOnly, 'wasm', entry);
    if (entry.expect === 'valid') assert.ok(reference.ok, `${entry.name}: ${reference.code}`);
    else assert.deepEqual([reference.code, reference.claim], [entry.expect, entry.claim], entry.name);
    assert.deepEqual(await check(keysOnly, 'node', entry), reference, `${entry.name}: key module, node`);
    const tokens = await check(tokensOnly, 'node', entry);
    assert.notEqual(tokens.code, DEFERRED, `${entry.name}: the token module sent a proof to the key module on the node backend`);
    assert.deepEqual(tokens, reference, `${entry.name}: token module, node`);
  }
});
