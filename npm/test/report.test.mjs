// verifyReport (every check with its outcome) and generateSecret: what the
// playground's verify panel and key generator call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { je, rejectsWith, now } from './helpers.mjs';

test('generateSecret: oct JWKs as long as the hash, usable at once', async () => {
  for (const [alg, bytes] of [['HS256', 32], ['HS384', 48], ['HS512', 64]]) {
    const secret = await je.generateSecret(alg, { kid: 'thumbprint' });
    assert.equal(secret.kty, 'oct');
    assert.equal(secret.alg, alg);
    assert.equal(Buffer.from(secret.k, 'base64url').length, bytes);
    assert.equal(secret.kid, je.jwkThumbprint(secret));
    const token = await je.signJwt({ sub: 'x' }, secret);
    assert.equal(je.decodeJwt(token).header.alg, alg);
    assert.deepEqual((await je.verifyJwt(token, secret)).payload, { sub: 'x' });
  }
  const a = await je.generateSecret('HS256');
  const b = await je.generateSecret('HS256');
  assert.notEqual(a.k, b.k);
  await rejectsWith(assert, () => je.generateSecret('ES256'), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, () => je.generateSecret('none'), 'ERR_JOSE_ALG_NOT_ALLOWED');
  await rejectsWith(assert, () => je.generateSecret(42), 'ERR_INVALID_ARGUMENT');
});

test('verifyReport lists every check and does not stop at the first failure', async () => {
  const { privateJwk, publicJwk } = await je.generateKeyPair('EdDSA');
  const t = now();
  const token = await je.signJwt({ iss: 'https://idp.example', aud: 'other', exp: t - 10, scope: 'read' }, privateJwk);
  const report = await je.verifyReport(token, publicJwk, {
    issuer: 'https://idp.example', audience: 'api', scopes: ['read'], currentDate: t,
  });
  const status = Object.fromEntries(report.map((check) => [check.check, check]));
  assert.equal(status.signature.status, 'passed');
  assert.equal(status.iss.status, 'passed');
  assert.equal(status.scope.status, 'passed');
  assert.equal(status.sub.status, 'skipped');
  assert.deepEqual([status.aud.status, status.aud.code, status.aud.claim, status.aud.reason],
    ['failed', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud', 'check_failed']);
  assert.deepEqual([status.exp.status, status.exp.code], ['failed', 'ERR_JWT_EXPIRED']);
  // verifyJwt agrees that the token is invalid.
  await rejectsWith(assert, () => je.verifyJwt(token, publicJwk, { audience: 'api', currentDate: t }), 'ERR_JWT_CLAIM_VALIDATION_FAILED');

  // An ES256 key: by default only ES256 is allowed, so alg fails first.
  const other = await je.generateKeyPair('ES256');
  const byDefault = await je.verifyReport(token, other.publicJwk, { currentDate: t });
  const first = Object.fromEntries(byDefault.map((check) => [check.check, check]));
  assert.deepEqual([first.alg.status, first.alg.code], ['failed', 'ERR_JOSE_ALG_NOT_ALLOWED']);
  assert.deepEqual([first.key.status, first.signature.status], ['skipped', 'skipped']);
  // With both allowed, the key check fails on the type mismatch; claims still run.
  const wrongKey = await je.verifyReport(token, other.publicJwk, { algorithms: ['EdDSA', 'ES256'], currentDate: t });
  const byName = Object.fromEntries(wrongKey.map((check) => [check.check, check]));
  assert.deepEqual([byName.key.status, byName.key.code], ['failed', 'ERR_JOSE_KEY_TYPE_MISMATCH']);
  assert.equal(byName.signature.status, 'skipped');
  assert.equal(byName.exp.status, 'failed');

  // Garbage stops at the format check; bad arguments throw as everywhere else.
  const garbage = await je.verifyReport('not a token', publicJwk, {});
  assert.deepEqual(garbage.map((check) => [check.check, check.status, check.code]), [['format', 'failed', 'ERR_JWS_INVALID']]);
  await rejectsWith(assert, () => je.verifyReport(token, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'), 'ERR_DER_INVALID');
  await rejectsWith(assert, () => je.verifyReport(42, publicJwk), 'ERR_INVALID_ARGUMENT');
});
