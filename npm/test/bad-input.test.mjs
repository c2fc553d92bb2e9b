// Garbage, wrong types, huge and deeply nested input: always a JwtEdgeError,
// quickly, and the module keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { je, eachBackend } from './helpers.mjs';

const pair = await je.generateKeyPair('ES256');
const good = await je.signJwt({ sub: 'still fine' }, pair.privateJwk);

async function stillWorks() {
  assert.equal((await je.verifyJwt(good, pair.publicJwk)).payload.sub, 'still fine');
  assert.equal(je.decodeJwt(good).payload.sub, 'still fine');
}

async function fails(what, fn) {
  const started = performance.now();
  let error;
  try {
    await fn();
  } catch (caught) {
    error = caught;
  }
  const elapsed = performance.now() - started;
  assert.ok(error instanceof je.JwtEdgeError, `${what}: expected a JwtEdgeError, got ${error}`);
  assert.match(error.code, /^ERR_[A-Z_]+$/, what);
  assert.ok(elapsed < 2000, `${what} took ${elapsed} ms`);
  return error;
}

const WRONG = [undefined, null, 0, 42n, true, Symbol('s'), () => {}, [], [1, 2], new Date(0), NaN, {}, { kty: 1 }, 'garbage', '', '{', '{"kty":"RSA"}'];

test('wrong argument types give JwtEdgeError, never a crash', async () => {
  for (const bad of WRONG) {
    const label = typeof bad === 'symbol' ? 'symbol' : typeof bad === 'function' ? 'function' : typeof bad === 'bigint' ? 'bigint' : JSON.stringify(bad);
    await fails(`jwkToPem(${label})`, () => je.jwkToPem(bad));
    await fails(`jwkThumbprint(${label})`, () => je.jwkThumbprint(bad));
    await fails(`decodeJwt(${label})`, () => je.decodeJwt(bad));
    await fails(`verifyJwt(${label})`, () => je.verifyJwt(bad, pair.publicJwk));
    await fails(`verifyJwt(token, ${label})`, () => je.verifyJwt(good, bad));
    await fails(`signJwt(${label}, key)`, () => je.signJwt(typeof bad === 'object' && bad !== null && !Array.isArray(bad) && !(bad instanceof Date) ? { n: 42n } : bad, pair.privateJwk));
    await fails(`signJwt({}, ${label})`, () => je.signJwt({}, bad));
    await fails(`generateKeyPair(${label})`, () => je.generateKeyPair(bad));
    await fails(`verifyAssertion(token, key, ${label})`, () => je.verifyAssertion(good, pair.publicJwk, bad));
    await fails(`buildAssertion(${label})`, () => je.buildAssertion(bad, pair.privateJwk));
    if (bad !== undefined && bad !== null && typeof bad !== 'object') {
      await fails(`verifyJwt options ${label}`, () => je.verifyJwt(good, pair.publicJwk, bad));
      await fails(`lintClaims options ${label}`, () => je.lintClaims({}, bad));
    }
    if (typeof bad !== 'string') await fails(`pemToJwk(${label})`, () => je.pemToJwk(bad));
  }
  await fails('setCryptoBackend', () => je.setCryptoBackend('gpu'));
  await fails('options.audience type', () => je.verifyJwt(good, pair.publicJwk, { audience: { a: 1 } }));
  await fails('options.clockTolerance negative', () => je.verifyJwt(good, pair.publicJwk, { clockTolerance: -5 }));
  await fails('options.currentDate invalid Date', () => je.verifyJwt(good, pair.publicJwk, { currentDate: new Date('nope') }));
  await fails('header not an object', () => je.signJwt({}, pair.privateJwk, { header: 'x' }));
  await fails('cyclic payload', () => {
    const cyclic = {};
    cyclic.self = cyclic;
    return je.signJwt(cyclic, pair.privateJwk);
  });
  await stillWorks();
});

test('garbage tokens on every backend', async () => {
  const garbage = ['a.b.c', '...', 'e30.e30.', 'e30.e30.e30', `${'x'.repeat(100)}.${'y'.repeat(100)}.z`, 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAAA',
    'eyJhbGciOjF9.e30.AA', 'eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2V9.e30.AA', '\u0000\u0001.\uffff.\ud800', good.replace('.', '..'), `${good}.`, good.toUpperCase()];
  await eachBackend(async (backend) => {
    for (const token of garbage) {
      await fails(`${backend} verify ${token.slice(0, 30)}`, () => je.verifyJwt(token, pair.publicJwk));
      await fails(`${backend} decode ${token.slice(0, 30)}`, () => je.decodeJwt(token));
    }
    await stillWorks();
  });
});

test('a 10 MB string fails fast everywhere', async () => {
  const huge = 'A'.repeat(10 * 1024 * 1024);
  assert.equal((await fails('verifyJwt(10 MB)', () => je.verifyJwt(huge, pair.publicJwk))).code, 'ERR_JWT_TOO_LARGE');
  assert.equal((await fails('decodeJwt(10 MB)', () => je.decodeJwt(huge))).code, 'ERR_JWT_TOO_LARGE');
  await fails('verifyJwt(token, 10 MB key)', () => je.verifyJwt(good, huge));
  await fails('jwkToPem(10 MB)', () => je.jwkToPem(huge));
  await fails('pemToJwk(10 MB)', () => je.pemToJwk(huge));
  await fails('jwkThumbprint(10 MB)', () => je.jwkThumbprint(huge));
  await fails('signJwt(10 MB payload)', () => je.signJwt({ big: huge }, pair.privateJwk));
  await fails('lintClaims(10 MB)', () => je.lintClaims({ big: huge }));
  await fails('generateKeyPair(10 MB)', () => je.generateKeyPair(huge));
  // Multi-byte text whose UTF-16 length is under the limit but UTF-8 is not.
  await fails('signJwt(900k euro signs)', () => je.signJwt({ big: '\u20ac'.repeat(900_000) }, pair.privateJwk));
  await fails('verify with 10 MB JWKS', () => je.verifyJwt(good, { keys: [pair.publicJwk], pad: huge }));
  await stillWorks();
});

test('deeply nested JSON fails fast', async () => {
  const deepText = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  let deep = {};
  for (let i = 0; i < 100; i++) deep = { deep };
  let deeper = {};
  for (let i = 0; i < 20_000; i++) deeper = { deeper };
  assert.equal((await fails('jwkToPem(deep text)', () => je.jwkToPem(`{"a":${deepText}}`))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('signJwt(deep payload)', () => je.signJwt({ deep }, pair.privateJwk))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('signJwt(deeper payload)', () => je.signJwt({ deeper }, pair.privateJwk))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('signJwt(deep header)', () => je.signJwt({}, pair.privateJwk, { header: { deep } }))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('verify(deep JWKS)', () => je.verifyJwt(good, { keys: [deep] }))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('lintClaims(deep)', () => je.lintClaims({ deep }))).code, 'ERR_JSON_TOO_DEEP');
  assert.equal((await fails('verify options (deep)', () => je.verifyJwt(good, pair.publicJwk, { audience: [deep] }))).code, 'ERR_JSON_TOO_DEEP');
  const b64 = Buffer.from(`{"alg":"ES256","x":${deepText}}`).toString('base64url');
  await fails('token with deep header', () => je.decodeJwt(`${b64.slice(0, 15000)}.e30.AA`));
  const deepHeader = Buffer.from(`{"alg":"ES256","x":${'['.repeat(40)}${']'.repeat(40)}}`).toString('base64url');
  assert.equal((await fails('token with a 40-deep header', () => je.verifyJwt(`${deepHeader}.e30.AA`, pair.publicJwk))).code, 'ERR_JSON_TOO_DEEP');
  await stillWorks();
});

test('random bytes never crash the module', async () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.{}[]":,=+/ \n-----BEGIN PUBLIC KEY';
  for (let i = 0; i < 400; i++) {
    let text = '';
    const length = random() % 300;
    for (let j = 0; j < length; j++) text += alphabet[random() % alphabet.length];
    for (const fn of [() => je.decodeJwt(text), () => je.pemToJwk(text), () => je.jwkThumbprint(text), () => je.verifyJwt(text, pair.publicJwk), () => je.verifyJwt(good, text)]) {
      try {
        await fn();
      } catch (error) {
        assert.ok(error instanceof je.JwtEdgeError, `${text}: ${error}`);
      }
    }
  }
  await stillWorks();
});
