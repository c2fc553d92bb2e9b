// The RFC vectors (tests/vectors/*.json): every backend gives the same
// answer, and the expected one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { je, vectors, BACKENDS } from './helpers.mjs';

async function outcome(entry) {
  const key = entry.jwk ?? { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
  try {
    const algorithms = entry.alg && entry.alg !== 'none' ? [entry.alg] : undefined;
    const { header, payload } = await je.verifyJwt(entry.token, key, { algorithms, currentDate: entry.now ?? undefined });
    return { ok: true, header, payload };
  } catch (error) {
    assert.ok(error instanceof je.JwtEdgeError, `${entry.name}: ${error}`);
    return { ok: false, code: error.code };
  }
}

test('JWS vectors: all backends agree, and match the expectation', async () => {
  for (const entry of vectors('jws.json')) {
    const results = [];
    for (const backend of BACKENDS) {
      je.setCryptoBackend(backend);
      results.push(await outcome(entry));
    }
    je.setCryptoBackend('auto');
    for (const result of results.slice(1)) assert.deepEqual(result, results[0], `${entry.name}: backends differ`);
    const [result] = results;
    if (entry.expect === 'valid') {
      if (entry.payload === null) {
        assert.equal(result.code, 'ERR_JWT_INVALID', `${entry.name}: a non-JSON payload passes the signature, then fails as a JWT`);
      } else {
        assert.ok(result.ok, `${entry.name}: ${result.code}`);
        assert.deepEqual(result.payload, entry.payload);
      }
    } else {
      assert.equal(result.code, entry.expect, entry.name);
    }
  }
});

test('JWS vectors: deterministic algorithms sign identically on every backend', async () => {
  const entries = vectors('jws.json').filter((e) => e.deterministic && e.payload);
  assert.ok(entries.length >= 3);
  for (const entry of entries) {
    const tokens = [];
    for (const backend of BACKENDS) {
      je.setCryptoBackend(backend);
      tokens.push(await je.signJwt(entry.payload, entry.jwk, { alg: entry.alg }));
    }
    je.setCryptoBackend('auto');
    assert.equal(new Set(tokens).size, 1, `${entry.name}: ${tokens.join(' / ')}`);
    assert.ok(await je.verifyJwt(tokens[0], entry.jwk, { algorithms: [entry.alg], currentDate: entry.now ?? undefined }));
  }
});

test('JWK vectors: thumbprints, PEM round trips and errors', async () => {
  for (const entry of vectors('jwk.json')) {
    if (entry.expect !== 'valid') {
      assert.throws(() => je.jwkThumbprint(entry.jwk), { code: entry.expect }, entry.name);
      continue;
    }
    assert.equal(je.jwkThumbprint(entry.jwk), entry.thumbprint, entry.name);
    if (entry.jwk.kty === 'oct') continue;
    const pem = await je.jwkToPem(entry.jwk);
    const back = await je.pemToJwk(pem, { kid: 'thumbprint' });
    assert.equal(back.kid, entry.thumbprint, `${entry.name}: PEM round trip`);
  }
});
