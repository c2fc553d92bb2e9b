// DPoP (RFC 9449), interop both ways: proofs made by panva's `dpop` verify
// in jwt-edge, and proofs jwt-edge makes pass oauth4webapi's resource-server
// validation (validateJwtAccessToken). Plus verifyJwt's one-call binding,
// the codes every refusal carries, and the replay helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as dpop from 'dpop';
import * as oauth from 'oauth4webapi';
import { je, eachBackend, now, rejectsWith } from './helpers.mjs';

const URL_ = 'https://api.example.com/v1/items';
const AS = { issuer: 'https://as.example.com', jwks_uri: 'https://as.example.com/jwks' };
const asKey = await je.generateKeyPair('ES256', { kid: 'as-1' });
const clientKeys = {};
for (const alg of ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']) {
  clientKeys[alg] = await je.generateKeyPair(alg);
}

/** An RFC 9068 access token from the AS, bound to `jkt` when given. */
async function accessToken(jkt, extra = {}) {
  const t = now();
  const claims = { iss: AS.issuer, aud: 'https://api.example.com', sub: 'alice', client_id: 'app', jti: `at-${Math.random()}`, iat: t, exp: t + 300, ...extra };
  if (jkt !== undefined) claims.cnf = { jkt };
  return je.signJwt(claims, asKey.privateJwk, { typ: 'at+jwt' });
}

const sha256 = (text) => createHash('sha256').update(text).digest('base64url');

test("proofs made by panva's dpop verify in jwt-edge (ES256, Ed25519, RS256, PS256, every backend)", async () => {
  await eachBackend(async () => {
  for (const alg of ['ES256', 'Ed25519', 'RS256', 'PS256']) {
    const pair = await dpop.generateKeyPair(alg);
    const jkt = await dpop.calculateThumbprint(pair.publicKey);
    const token = await accessToken(jkt);
    const proof = await dpop.generateProof(pair, `${URL_}?page=2`, 'GET', 'nonce-1', token);
    const checked = await je.verifyDpopProof(proof, { htm: 'GET', htu: URL_, accessToken: token, jkt, nonce: ['nonce-0', 'nonce-1'] });
    assert.equal(checked.jkt, jkt, alg);
    assert.equal(checked.header.typ, 'dpop+jwt');
    assert.equal(checked.payload.ath, sha256(token));
    // And through verifyJwt in one call, with the token.
    const verified = await je.verifyJwt(token, asKey.publicJwk, { dpop: { proof, htm: 'GET', htu: URL_, nonce: 'nonce-1' } });
    assert.equal(verified.dpop.jkt, jkt);
    assert.equal(verified.payload.sub, 'alice');
    // The same proof for another method or another token is refused.
    await rejectsWith(assert, je.verifyDpopProof(proof, { htm: 'POST', htu: URL_ }), 'ERR_DPOP_INVALID_PROOF');
    await rejectsWith(assert, je.verifyDpopProof(proof, { htm: 'GET', htu: URL_, accessToken: `${token}x` }), 'ERR_DPOP_INVALID_PROOF');
    // A forged signature, whoever checks it.
    const [h, p, sig] = proof.split('.');
    const forged = `${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    await rejectsWith(assert, je.verifyDpopProof(forged, { htm: 'GET', htu: URL_ }), 'ERR_DPOP_INVALID_PROOF');
  }
  });
});

test('proofs made by jwt-edge pass oauth4webapi validateJwtAccessToken (every algorithm, every backend)', async () => {
  const options = {
    [oauth.customFetch]: async (url) => {
      assert.equal(url, AS.jwks_uri);
      return new Response(JSON.stringify({ keys: [asKey.publicJwk] }), { headers: { 'content-type': 'application/json' } });
    },
  };
  await eachBackend(async (backend) => {
    for (const [alg, pair] of Object.entries(clientKeys)) {
      const jkt = je.jwkThumbprint(pair.publicJwk);
      const token = await accessToken(jkt);
      const proof = await je.createDpopProof(pair.privateJwk, { htm: 'POST', htu: `${URL_}?q=1`, accessToken: token, alg });
      const request = (url) => new Request(url, { method: 'POST', headers: { authorization: `DPoP ${token}`, dpop: proof } });
      const claims = await oauth.validateJwtAccessToken(AS, request(`${URL_}?q=1`), 'https://api.example.com', options);
      assert.equal(claims.cnf.jkt, jkt, `${alg} ${backend}`);
      // What RFC 9449 section 4.2 says a proof holds.
      const { header, payload } = je.decodeJwt(proof);
      assert.deepEqual(Object.keys(header).sort(), ['alg', 'jwk', 'typ']);
      assert.equal(header.alg, alg);
      assert.equal(header.jwk.d, undefined);
      assert.deepEqual(Object.keys(payload).sort(), ['ath', 'htm', 'htu', 'iat', 'jti']);
      assert.equal(payload.htu, URL_);
      assert.equal(payload.ath, sha256(token));
      assert.ok(Math.abs(payload.iat - now()) <= 2);
      // oauth4webapi refuses it for another URL: its check is real.
      await assert.rejects(oauth.validateJwtAccessToken(AS, request(`${URL_}/other`), 'https://api.example.com', options), /htu mismatch/);
    }
  });
});

test('verifyJwt enforces the binding: downgrade, missing proof, wrong key, two headers', async () => {
  const pair = clientKeys.ES256;
  const jkt = je.jwkThumbprint(pair.publicJwk);
  const token = await accessToken(jkt);
  const proof = await je.createDpopProof(pair.privateJwk, { htm: 'GET', htu: URL_, accessToken: token });
  const dpopOption = { proof, htm: 'GET', htu: URL_ };
  const ok = await je.verifyJwt(token, asKey.publicJwk, { dpop: dpopOption });
  assert.equal(ok.dpop.payload.htm, 'GET');

  // A bound token verified as a plain Bearer token: refused.
  await rejectsWith(assert, je.verifyJwt(token, asKey.publicJwk), 'ERR_DPOP_PROOF_REQUIRED');
  await rejectsWith(assert, je.verifyJwt(token, asKey.publicJwk, { dpop: { htm: 'GET', htu: URL_ } }), 'ERR_DPOP_PROOF_REQUIRED');
  // ...unless the caller says the binding is checked elsewhere.
  assert.equal((await je.verifyJwt(token, asKey.publicJwk, { dpop: false })).dpop, undefined);

  // A proof by another key.
  const other = await je.createDpopProof(clientKeys.EdDSA.privateJwk, { htm: 'GET', htu: URL_, accessToken: token });
  await rejectsWith(assert, je.verifyJwt(token, asKey.publicJwk, { dpop: { ...dpopOption, proof: other } }), 'ERR_DPOP_BINDING_MISMATCH');
  // An unbound token sent with a proof cannot be bound by it.
  const unbound = await accessToken(undefined);
  await rejectsWith(assert, je.verifyJwt(unbound, asKey.publicJwk, { dpop: dpopOption }), 'ERR_DPOP_BINDING_MISMATCH');
  assert.equal((await je.verifyJwt(unbound, asKey.publicJwk)).dpop, undefined);
  // Two DPoP headers.
  await rejectsWith(assert, je.verifyJwt(token, asKey.publicJwk, { dpop: { ...dpopOption, proof: [proof, proof] } }), 'ERR_DPOP_INVALID_PROOF');
  // A malformed cnf is an invalid token, never a skipped binding.
  const oddCnf = await accessToken(undefined, { cnf: { jkt: 42 } });
  await rejectsWith(assert, je.verifyJwt(oddCnf, asKey.publicJwk), 'ERR_JWT_INVALID');
});

test('every refusal names its rule', async () => {
  const pair = clientKeys.ES256;
  const t = now();
  const proof = await je.createDpopProof(pair.privateJwk, { htm: 'GET', htu: URL_, nonce: 'n1', currentDate: t });
  const base = { htm: 'GET', htu: URL_, currentDate: t };
  const refuse = async (options, code, claim) => {
    const error = await je.verifyDpopProof(proof, options).then(() => null, (e) => e);
    assert.ok(error instanceof je.JwtEdgeError, `${JSON.stringify(options)}: ${error}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.claim, claim, error.message);
  };
  await je.verifyDpopProof(proof, { ...base, htu: 'HTTPS://API.example.com:443/v1/items?x=1' });
  await refuse({ ...base, htm: 'POST' }, 'ERR_DPOP_INVALID_PROOF', 'htm');
  await refuse({ ...base, htu: 'https://api.example.com:8443/v1/items' }, 'ERR_DPOP_INVALID_PROOF', 'htu');
  await refuse({ ...base, currentDate: t + 306 }, 'ERR_DPOP_INVALID_PROOF', 'iat');
  await refuse({ ...base, currentDate: t + 61, maxAge: '1m', clockTolerance: 0 }, 'ERR_DPOP_INVALID_PROOF', 'iat');
  await refuse({ ...base, currentDate: t - 60 }, 'ERR_DPOP_INVALID_PROOF', 'iat');
  await refuse({ ...base, accessToken: 'tok' }, 'ERR_DPOP_INVALID_PROOF', 'ath');
  await refuse({ ...base, nonce: 'n2' }, 'ERR_DPOP_NONCE_REQUIRED', 'nonce');
  await refuse({ ...base, algorithms: ['EdDSA'] }, 'ERR_DPOP_INVALID_PROOF', 'alg');
  await refuse({ ...base, jkt: je.jwkThumbprint(clientKeys.EdDSA.publicJwk) }, 'ERR_DPOP_BINDING_MISMATCH', undefined);

  // Crafted proofs: alg none, a private jwk, wrong typ.
  const [h, p] = proof.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const forge = (changes) => `${Buffer.from(JSON.stringify({ ...header, ...changes })).toString('base64url')}.${p}.`;
  for (const [changes, claim] of [[{ alg: 'none' }, 'alg'], [{ alg: 'HS256' }, 'alg'], [{ typ: 'JWT' }, 'typ'], [{ jwk: pair.privateJwk }, 'jwk'], [{ jwk: undefined }, 'jwk']]) {
    const error = await je.verifyDpopProof(forge(changes), base).then(() => null, (e) => e);
    assert.equal(error?.code, 'ERR_DPOP_INVALID_PROOF', JSON.stringify(changes));
    assert.equal(error.claim, claim, error.message);
  }
  await rejectsWith(assert, je.verifyDpopProof(`${h}.${p}.AAAA`, base), 'ERR_DPOP_INVALID_PROOF');
  await rejectsWith(assert, je.verifyDpopProof('x'.repeat(20000), base), 'ERR_DPOP_INVALID_PROOF');
  await rejectsWith(assert, je.verifyDpopProof(proof, { htu: URL_ }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, je.createDpopProof(pair.publicJwk, { htm: 'GET', htu: URL_ }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, je.createDpopProof(pair.privateJwk, { htm: 'GET', htu: 'not a url' }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, je.createDpopProof(pair.privateJwk, { htm: 'GET', htu: URL_, alg: 'HS256' }), 'ERR_INVALID_ARGUMENT');
});

test('the replay helper refuses a proof seen within its window, and forgets it after', async () => {
  const pair = clientKeys.ES256;
  const t = now();
  const cache = je.createDpopReplayCache({ maxEntries: 2 });
  const make = () => je.createDpopProof(pair.privateJwk, { htm: 'GET', htu: URL_, currentDate: t });
  const checked = await je.verifyDpopProof(await make(), { htm: 'GET', htu: URL_, currentDate: t });
  cache.check(checked, t);
  assert.throws(() => cache.check(checked, t + 10), { code: 'ERR_DPOP_REPLAY' });
  assert.throws(() => cache.check(checked, t + 305), { code: 'ERR_DPOP_REPLAY' });
  cache.check(await je.verifyDpopProof(await make(), { htm: 'GET', htu: URL_, currentDate: t }), t);
  // Full of live proofs: fails closed rather than forgetting one.
  const third = await je.verifyDpopProof(await make(), { htm: 'GET', htu: URL_, currentDate: t });
  assert.throws(() => cache.check(third, t + 1), { code: 'ERR_DPOP_REPLAY' });
  // Once the window has passed, entries go and the slot is reused.
  cache.check(third, t + 306);
  assert.equal(cache.size, 1);
});

test("dpopReport lists every check of a proof; its verdict is verifyDpopProof's (every backend)", async () => {
  const names = ['format', 'typ', 'crit', 'alg', 'jwk', 'signature', 'payload', 'jti', 'htm', 'htu', 'iat', 'nonce', 'ath', 'jkt'];
  const byName = (report) => Object.fromEntries(report.map((outcome) => [outcome.check, outcome]));
  const verdict = (report) => !report.some((o) => o.status === 'failed') && byName(report).signature.status === 'passed';
  await eachBackend(async (backend) => {
    // Made by panva's dpop, so the report is not checking its own output.
    const pair = await dpop.generateKeyPair('ES256');
    const jkt = await dpop.calculateThumbprint(pair.publicKey);
    const token = await accessToken(jkt);
    const proof = await dpop.generateProof(pair, 'https://api.example.com/orders', 'POST', undefined, token);
    const base = { htm: 'POST', htu: 'https://api.example.com/orders', accessToken: token, jkt };
    const good = await je.dpopReport(proof, base);
    assert.deepEqual(good.map((o) => o.check), names, backend);
    assert.deepEqual(good.filter((o) => o.status !== 'passed').map((o) => [o.check, o.status]), [['nonce', 'skipped']], backend);
    assert.ok(verdict(good));
    await je.verifyDpopProof(proof, base);

    // Several faults at once: each is reported with its own code, and
    // verifyDpopProof refuses with one of them.
    const cases = [
      [{ htu: 'https://api.example.com/other' }, { htu: 'ERR_DPOP_INVALID_PROOF' }],
      [{ htm: 'GET', jkt: je.jwkThumbprint(clientKeys.EdDSA.publicJwk) }, { htm: 'ERR_DPOP_INVALID_PROOF', jkt: 'ERR_DPOP_BINDING_MISMATCH' }],
      [{ accessToken: `${token}x`, nonce: 'n-1', currentDate: now() + 3600 }, { ath: 'ERR_DPOP_INVALID_PROOF', nonce: 'ERR_DPOP_NONCE_REQUIRED', iat: 'ERR_DPOP_INVALID_PROOF' }],
      [{ algorithms: ['EdDSA'] }, { alg: 'ERR_DPOP_INVALID_PROOF' }],
    ];
    for (const [change, failures] of cases) {
      const options = { ...base, ...change };
      const report = await je.dpopReport(proof, options);
      const failed = Object.fromEntries(report.filter((o) => o.status === 'failed').map((o) => [o.check, o.code]));
      assert.deepEqual(failed, failures, `${backend} ${JSON.stringify(change)}`);
      for (const outcome of report.filter((o) => o.status === 'failed')) {
        assert.ok(outcome.message.length > 10, outcome.check);
      }
      const error = await je.verifyDpopProof(proof, options).then(() => null, (e) => e);
      assert.ok(error && Object.values(failures).includes(error.code), `${JSON.stringify(change)}: ${error?.message}`);
      assert.ok(report.some((o) => o.status === 'failed' && o.code === error.code && o.message === error.message),
        `the report carries verifyDpopProof's error: ${error.message}`);
    }
    // alg not allowed: the signature cannot be checked, the claims still are.
    const narrowed = byName(await je.dpopReport(proof, { ...base, algorithms: ['EdDSA'] }));
    assert.deepEqual([narrowed.signature.status, narrowed.htu.status, narrowed.ath.status], ['skipped', 'passed', 'passed']);
  });

  // A forged signature fails that check alone.
  const proof = await je.createDpopProof(clientKeys.ES256.privateJwk, { htm: 'GET', htu: URL_ });
  const [h, p] = proof.split('.');
  const forged = byName(await je.dpopReport(`${h}.${p}.${'A'.repeat(86)}`, { htm: 'GET', htu: URL_ }));
  assert.deepEqual([forged.signature.status, forged.signature.code], ['failed', 'ERR_DPOP_INVALID_PROOF']);
  assert.equal(forged.htu.status, 'passed');
  // Not a JWS: format fails, nothing else can run.
  const garbage = await je.dpopReport('not a proof', { htm: 'GET', htu: URL_ });
  assert.deepEqual(garbage[0].code, 'ERR_DPOP_INVALID_PROOF');
  assert.deepEqual(garbage.slice(1).map((o) => o.status), Array(names.length - 1).fill('skipped'));
  // Bad arguments throw, as verifyDpopProof does.
  await rejectsWith(assert, je.dpopReport(proof, { htu: URL_ }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, je.dpopReport(42, { htm: 'GET', htu: URL_ }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(assert, je.dpopReport(proof, { htm: 'GET', htu: URL_, algorithms: ['HS256'] }), 'ERR_INVALID_ARGUMENT');
});
