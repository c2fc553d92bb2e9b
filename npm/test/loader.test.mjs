// The two-module loader (issue 14): the token module at start, the key module
// on the first call that needs it. Two layers:
// - api.js's loader over the real bindings, with a token module that keeps
//   to the token module's contract (only its exports; ERR_KEYS_MODULE_REQUIRED
//   for what only the key module handles) and a counted, breakable key loader:
//   loaded once, one load for concurrent callers, retried after a failure,
//   re-runs in the key module, state shared across the two;
// - the package as Node loads it, in fresh processes, with file reads
//   recorded: a verify-only program never reads the key module's wasm, and
//   one that converts several keys reads it exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import nodeCrypto from 'node:crypto';
import { pkgDir, now } from './helpers.mjs';

const pkgUrl = (file) => pathToFileURL(join(pkgDir, file)).href;
const { createApi, JwtEdgeError } = await import(pkgUrl('api.js'));
const realTokens = await import(pkgUrl('jwt_edge_tokens.js'));
const realKeys = await import(pkgUrl('jwt_edge_keys.js'));
realTokens.initSync({ module: readFileSync(join(pkgDir, 'jwt_edge_tokens_bg.wasm')) });

const KEYS_REQUIRED = 'ERR_KEYS_MODULE_REQUIRED';
const keysRequired = () => ({ code: KEYS_REQUIRED, message: 'needs the key module' });
/** PEM kinds only the key module parses (PKCS#1, SEC1, certificates, encrypted PKCS#8). */
const KEYS_ONLY_PEM = /-----BEGIN (RSA (PUBLIC|PRIVATE) KEY|EC PRIVATE KEY|CERTIFICATE|ENCRYPTED PRIVATE KEY)-----/;
/** A JWK the stand-in token module sends to the key module for a thumbprint (as a compressed point would be). */
const KEYS_ONLY_THUMBPRINT = '"kid":"keys-only"';

/**
 * The token module's contract over the real bindings: only the token
 * module's exports, ERR_KEYS_MODULE_REQUIRED for keys only the key module
 * parses and for signatures only wasm computes (no host), and reports whose
 * signature check it cannot make. `calls` counts what reached it.
 */
function tokenModule() {
  const calls = { fromText: 0, verifyJwt: 0, keysOnlyText: 0 };
  const needsKeysForSignature = (host) => host === undefined || host === null;
  const module = {
    KeyRing: {
      fromText(text, signing) {
        calls.fromText++;
        if (KEYS_ONLY_PEM.test(text)) {
          calls.keysOnlyText++;
          throw keysRequired();
        }
        return realTokens.KeyRing.fromText(text, signing);
      },
      fromSecret: (bytes) => realTokens.KeyRing.fromSecret(bytes),
    },
    verifyJwt(ring, token, options, now, host, assertion) {
      calls.verifyJwt++;
      if (needsKeysForSignature(host) && !/^eyJhbGciOiJIUz/.test(token)) throw keysRequired();
      return realTokens.verifyJwt(ring, token, options, now, host, assertion);
    },
    beginVerify: (...args) => realTokens.beginVerify(...args),
    signJwt(ring, payload, options, host) {
      if (needsKeysForSignature(host)) throw keysRequired();
      return realTokens.signJwt(ring, payload, options, host);
    },
    beginSign: (...args) => realTokens.beginSign(...args),
    buildAssertion: (...args) => realTokens.buildAssertion(...args),
    beginBuildAssertion: (...args) => realTokens.beginBuildAssertion(...args),
    verifyReport: (ring, token, options, now) => {
      const report = realTokens.verifyReport(ring, token, options, now);
      return report.map((outcome) => (outcome.check === 'signature' ? { check: 'signature', status: 'failed', code: KEYS_REQUIRED, message: 'x' } : outcome));
    },
    lintClaims: (...args) => realTokens.lintClaims(...args),
    jwkThumbprint(jwk) {
      if (jwk.includes(KEYS_ONLY_THUMBPRINT)) throw keysRequired();
      return realTokens.jwkThumbprint(jwk);
    },
    decodeJwt: (token) => realTokens.decodeJwt(token),
    errorCodes: () => [...realTokens.errorCodes(), KEYS_REQUIRED],
    inputLimits: () => realTokens.inputLimits(),
    oversizedInput: (...args) => realTokens.oversizedInput(...args),
    checkDpopBinding(token, cnf, dpop, now, host) {
      if (dpop !== '' && needsKeysForSignature(host)) throw keysRequired();
      return realTokens.checkDpopBinding(token, cnf, dpop, now, host);
    },
    createDpopProof(ring, options, now, host) {
      if (needsKeysForSignature(host)) throw keysRequired();
      return realTokens.createDpopProof(ring, options, now, host);
    },
    verifyDpopProof(proof, options, now, host) {
      if (needsKeysForSignature(host)) throw keysRequired();
      return realTokens.verifyDpopProof(proof, options, now, host);
    },
    dpopReport: (...args) => realTokens.dpopReport(...args),
  };
  return { module, calls };
}

/**
 * An API over the stand-in token module and the real key module, whose
 * loader counts its loads, can be told to fail, and resolves only when
 * `release()` is called if `gate` is set (to hold concurrent callers in one
 * load).
 */
function harness({ sync = false, subtle = false, failures = 0, gate = false } = {}) {
  const tokens = tokenModule();
  const state = { loads: 0, syncLoads: 0, failures };
  let release;
  const gateOpen = gate ? new Promise((resolve) => { release = resolve; }) : Promise.resolve();
  const platform = {
    nodeCrypto: subtle ? undefined : nodeCrypto,
    subtle: globalThis.crypto.subtle,
    init: async () => {},
    isReady: () => true,
    async loadKeys() {
      state.loads++;
      await gateOpen;
      if (state.failures > 0) {
        state.failures--;
        throw new Error('network down');
      }
      realKeys.initSync({ module: readFileSync(join(pkgDir, 'jwt_edge_keys_bg.wasm')) });
      return realKeys;
    },
  };
  if (sync) {
    platform.loadKeysSync = () => {
      state.syncLoads++;
      realKeys.initSync({ module: readFileSync(join(pkgDir, 'jwt_edge_keys_bg.wasm')) });
      return realKeys;
    };
  }
  return { api: createApi(tokens.module, platform), state, calls: tokens.calls, release: () => release() };
}

const claims = () => ({ iss: 'https://issuer.example', sub: 'alice', aud: 'api', iat: now(), exp: now() + 600 });
const es256 = nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const es256Jwk = { private: es256.privateKey.export({ format: 'jwk' }), public: es256.publicKey.export({ format: 'jwk' }) };
const rsa = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPkcs1 = { private: rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }), public: rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }) };

async function rejectsWithCode(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof JwtEdgeError, `a JwtEdgeError, not ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('a token-only program never loads the key module', async () => {
  for (const subtle of [false, true]) {
    const { api, state } = harness({ subtle });
    const secret = 'a-secret-of-at-least-thirty-two-bytes!!';
    for (const key of [es256Jwk, { private: secret, public: secret }]) {
      const token = await api.signJwt(claims(), key.private);
      assert.equal((await api.verifyJwt(token, key.public, { audience: 'api' })).payload.sub, 'alice');
      if (typeof key.public === 'object') assert.equal((await api.verifyJwt(token, { keys: [{ ...key.public, kid: 'k' }] })).payload.sub, 'alice');
      assert.equal(api.decodeJwt(token).payload.sub, 'alice');
    }
    const built = await api.buildAssertion({ profile: 'okta', issuer: 'c', audience: 'https://o.example/token' }, es256Jwk.private);
    assert.equal((await api.verifyAssertion(built.assertion, es256Jwk.public, { audience: 'https://o.example/token' })).payload.iss, 'c');
    assert.equal(typeof api.jwkThumbprint(es256Jwk.public), 'string');
    assert.ok(Array.isArray(api.lintClaims({ exp: '1' })));
    await rejectsWithCode(api.verifyJwt('a.b.c', es256Jwk.public), 'ERR_JWS_INVALID');
    assert.equal(state.loads, 0, `the key module was loaded (${subtle ? 'webcrypto' : 'node'})`);
  }
});

test('the key module loads once, one load shared by concurrent first calls', async () => {
  const { api, state, release } = harness({ gate: true });
  const calls = [
    api.jwkToPem(es256Jwk.public),
    api.jwkToPem(es256Jwk.private, { format: 'sec1' }),
    api.pemToJwk(rsaPkcs1.public),
    api.generateKeyPair('EdDSA'),
    api.generateSecret('HS256'),
    api.loadKeys(),
  ];
  // Every caller waits on the one load in flight.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(state.loads, 1);
  release();
  const [spki, sec1, rsaJwk, pair, secret] = await Promise.all(calls);
  assert.match(spki, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.match(sec1, /^-----BEGIN EC PRIVATE KEY-----\n/);
  assert.equal(rsaJwk.n, rsa.publicKey.export({ format: 'jwk' }).n);
  assert.equal(pair.publicJwk.kty, 'OKP');
  assert.equal(secret.kty, 'oct');
  await api.createCertificate(pair.privateJwk, { subject: 'CN=x' });
  assert.equal((await api.pemToJwk(await api.jwkToPem(es256Jwk.private))).d, es256Jwk.private.d);
  assert.equal(state.loads, 1, 'loaded again');
});

test('a failed load gives ERR_WASM_NOT_INITIALIZED to every waiting caller; a later call loads again', async () => {
  const { api, state, release } = harness({ failures: 1, gate: true });
  const first = [api.jwkToPem(es256Jwk.public), api.pemToJwk(rsaPkcs1.public), api.loadKeys()];
  release();
  for (const call of first) await rejectsWithCode(call, 'ERR_WASM_NOT_INITIALIZED');
  assert.equal(state.loads, 1);
  // Token work goes on meanwhile.
  const token = await api.signJwt(claims(), es256Jwk.private);
  assert.equal((await api.verifyJwt(token, es256Jwk.public)).payload.sub, 'alice');
  assert.match(await api.jwkToPem(es256Jwk.public), /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(state.loads, 2);
  await api.pemToJwk(rsaPkcs1.private);
  assert.equal(state.loads, 2);
});

test('ERR_KEYS_MODULE_REQUIRED: re-run once in the key module, never shown, and remembered per key', async () => {
  const { api, state, calls } = harness();
  const token = await api.signJwt(claims(), rsaPkcs1.private, { alg: 'RS256' });
  assert.equal(state.loads, 1);
  for (let i = 0; i < 3; i++) {
    assert.equal((await api.verifyJwt(token, rsaPkcs1.public)).payload.sub, 'alice');
    assert.equal((await api.verifyJwt(token, rsaPkcs1.public, { dpop: false })).payload.sub, 'alice');
  }
  // The token module saw each PKCS#1 key once: the refusal is remembered.
  assert.equal(calls.keysOnlyText, 2);
  // Errors keep their codes when the call is re-run.
  const other = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'pkcs1' });
  await rejectsWithCode(api.verifyJwt(token, other), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  await rejectsWithCode(api.verifyJwt(token, rsaPkcs1.public, { audience: 'other' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  await rejectsWithCode(api.verifyJwt(token, '-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n'), 'ERR_DER_INVALID');
  // Reports: the token module's "cannot" outcome is replaced by the key module's answer.
  const report = await api.verifyReport(token, JSON.parse(JSON.stringify(rsa.publicKey.export({ format: 'jwk' }))));
  assert.equal(report.find((outcome) => outcome.check === 'signature').status, 'passed');
  assert.ok(report.every((outcome) => outcome.code !== KEYS_REQUIRED));
  assert.ok(!api.errorCodes().includes(KEYS_REQUIRED), 'errorCodes lists a code users never see');
  assert.equal(state.loads, 1);
});

test("setCryptoBackend('wasm') loads the key module, and wasm-backend calls run there", async () => {
  const { api, state, calls } = harness();
  api.setCryptoBackend('wasm');
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(state.loads, 1, 'loading started by setCryptoBackend');
  const token = await api.signJwt(claims(), es256Jwk.private);
  assert.equal((await api.verifyJwt(token, es256Jwk.public)).payload.sub, 'alice');
  assert.equal(calls.verifyJwt, 0, 'the token module was asked for a wasm signature');
  api.setCryptoBackend('auto');
  assert.equal((await api.verifyJwt(token, es256Jwk.public)).payload.sub, 'alice');
  assert.equal(calls.verifyJwt, 1);
  assert.equal(state.loads, 1);
});

test('synchronous functions: the key module where it is loaded or loads synchronously, else ERR_WASM_NOT_INITIALIZED', async () => {
  const jwk = { ...es256Jwk.public, kid: 'keys-only' };
  const expected = realTokens.jwkThumbprint(JSON.stringify(jwk));
  const lazy = harness();
  assert.throws(() => lazy.api.jwkThumbprint(jwk), (error) => error.code === 'ERR_WASM_NOT_INITIALIZED' && /loadKeys/.test(error.message));
  await lazy.api.loadKeys();
  assert.equal(lazy.api.jwkThumbprint(jwk), expected);
  const sync = harness({ sync: true });
  assert.equal(sync.api.jwkThumbprint(jwk), expected);
  assert.equal(sync.state.syncLoads, 1);
  assert.equal(sync.api.jwkThumbprint(jwk), expected);
  await sync.api.jwkToPem(es256Jwk.public);
  assert.equal(sync.state.syncLoads + sync.state.loads, 1, 'one load in all');
});

test('DPoP across the two modules: a replay cache refuses a proof seen before, whichever module checked it', async () => {
  const { api, state } = harness({ subtle: true });
  const client = await api.generateKeyPair('ES256');
  const asKey = await api.generateKeyPair('ES256');
  const jkt = api.jwkThumbprint(client.publicJwk);
  const token = await api.signJwt({ ...claims(), cnf: { jkt } }, asKey.privateJwk);
  const htu = 'https://api.example/items';
  const cache = api.createDpopReplayCache();
  // WebCrypto backend: proofs are checked in wasm, so by the key module.
  const proof = await api.createDpopProof(client.privateJwk, { htm: 'GET', htu, accessToken: token });
  const checked = await api.verifyDpopProof(proof, { htm: 'GET', htu, accessToken: token, jkt });
  cache.check(checked);
  const viaToken = await api.verifyJwt(token, asKey.publicJwk, { dpop: { proof, htm: 'GET', htu } });
  assert.equal(viaToken.dpop.jkt, jkt);
  assert.throws(() => cache.check(viaToken.dpop), { code: 'ERR_DPOP_REPLAY' });
  // The same cache with a proof checked on the Node backend by the token module.
  const onNode = harness();
  const fresh = await onNode.api.createDpopProof(client.privateJwk, { htm: 'GET', htu });
  const checkedOnNode = await onNode.api.verifyDpopProof(fresh, { htm: 'GET', htu });
  assert.equal(onNode.state.loads, 0);
  cache.check(checkedOnNode);
  assert.throws(() => cache.check(checkedOnNode), { code: 'ERR_DPOP_REPLAY' });
  assert.equal(cache.size, 2);
  assert.equal(state.loads, 1);
});

/** Runs `body` in a fresh Node process with jwt-edge required from pkg/, printing the .wasm files it read. */
function readsIn(body) {
  const script = `
const fs = require('node:fs');
const path = require('node:path');
const reads = [];
const record = (file) => { if (String(file).endsWith('.wasm')) reads.push(path.basename(String(file))); };
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) { record(file); return readFileSync.call(this, file, ...rest); };
const readFile = fs.promises.readFile;
fs.promises.readFile = function (file, ...rest) { record(file); return readFile.call(this, file, ...rest); };
const lib = require(${JSON.stringify(join(pkgDir, 'node.cjs'))});
(async () => {
${body}
  console.log(JSON.stringify(reads));
})().catch((error) => { console.error(error); process.exit(1); });
`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

test('Node, the package itself: verify-only reads the token wasm only; several conversions read the key wasm once', () => {
  const verifyOnly = readsIn(`
  const jwk = ${JSON.stringify(es256Jwk.public)};
  const { createPrivateKey, sign } = require('node:crypto');
  const header = Buffer.from('{"alg":"ES256"}').toString('base64url');
  const payload = Buffer.from('{"sub":"alice"}').toString('base64url');
  const key = createPrivateKey({ key: ${JSON.stringify(es256Jwk.private)}, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(header + '.' + payload), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const result = await lib.verifyJwt(header + '.' + payload + '.' + signature, jwk);
  if (result.payload.sub !== 'alice' || lib.decodeJwt(header + '.' + payload + '.' + signature).payload.sub !== 'alice') throw new Error('verify');
  `);
  assert.deepEqual(verifyOnly, ['jwt_edge_tokens_bg.wasm']);
  const converts = readsIn(`
  const jwk = ${JSON.stringify(es256Jwk.private)};
  const pems = await Promise.all([lib.jwkToPem(jwk), lib.jwkToPem(jwk, { format: 'sec1' }), lib.pemToJwk(${JSON.stringify(rsaPkcs1.public)})]);
  await lib.pemToJwk(pems[0]);
  await lib.pemToJwk(pems[1]);
  await lib.generateKeyPair('ES256');
  `);
  assert.deepEqual(converts, ['jwt_edge_tokens_bg.wasm', 'jwt_edge_keys_bg.wasm']);
});
