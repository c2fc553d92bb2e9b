// The runtime-neutral suite: one set of checks that every runtime runs
// against `import * as lib from 'jwt-edge'` as that runtime resolves it
// (run-*.mjs and worker.mjs are the per-runtime runners, drive.mjs starts
// them). Globals only: no node: modules, no file system, no test framework.
import { FIXTURES } from './fixtures.js';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
const ALGORITHMS = [...ASYMMETRIC, 'HS256', 'HS384', 'HS512'];
const FAMILY = { RS: 'rsa', PS: 'rsa', ES256: 'p256', ES384: 'p384', EdDSA: 'ed25519' };
const family = (alg) => FIXTURES.keys[FAMILY[alg] ?? FAMILY[alg.slice(0, 2)]];
const JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'];

class Failure extends Error {}

function ok(value, message) {
  if (!value) throw new Failure(message);
}

function equal(actual, expected, message) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Failure(`${message}: expected ${b}, got ${a}`);
}

/** The JWK members that carry key material, in a fixed order (to compare two JWKs). */
function material(jwk) {
  return Object.fromEntries(JWK_MEMBERS.filter((name) => jwk[name] !== undefined).map((name) => [name, jwk[name]]));
}

/** base64url of a string's UTF-8 bytes, without any runtime's Buffer. */
function b64url(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function tamperSignature(token) {
  const last = token.length - 5; // inside the signature, away from base64url's padding bits
  return token.slice(0, last) + (token[last] === 'A' ? 'B' : 'A') + token.slice(last + 1);
}

function publicKeyOf(alg) {
  return alg.startsWith('HS') ? FIXTURES.secret : family(alg).publicJwk;
}

function privateKeyOf(alg) {
  return alg.startsWith('HS') ? FIXTURES.secret : family(alg).privateJwk;
}

/**
 * Runs every check. `expect`: { backend: the backend 'auto' must pick here,
 * backends: every backend this runtime offers }.
 */
export async function run(lib, expect) {
  const results = [];
  async function check(name, fn) {
    try {
      await fn();
      results.push({ name });
    } catch (error) {
      results.push({ name, error: error instanceof Failure ? error.message : `${error && error.code} ${error && error.stack}` });
    }
  }
  async function rejects(promiseOrFn, code, message) {
    let error;
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    } catch (caught) {
      error = caught;
    }
    ok(error !== undefined, `${message}: expected ${code}, nothing was thrown`);
    ok(error instanceof lib.JwtEdgeError && error instanceof Error, `${message}: not a JwtEdgeError: ${error}`);
    equal(error.code, code, message);
    return error;
  }
  async function eachBackend(fn) {
    for (const backend of expect.backends) {
      lib.setCryptoBackend(backend);
      try {
        await fn(backend);
      } finally {
        lib.setCryptoBackend('auto');
      }
    }
  }

  // First, before any asynchronous call: outside browsers there is no init step.
  await check('ready at import: a synchronous call works first, with no init', () => {
    equal(lib.decodeJwt(FIXTURES.tokens.ES256).payload, FIXTURES.claims, 'decodeJwt');
    equal(typeof lib.default, 'function', 'the default export (init) is still there for code written for browsers');
  });

  await check('crypto backend: the expected one by default, and each one this runtime has', () => {
    equal(lib.getCryptoBackend(), expect.backend, 'auto backend');
    const available = ['node', 'webcrypto', 'wasm'].filter((backend) => {
      try {
        lib.setCryptoBackend(backend);
        return true;
      } catch (error) {
        equal(error.code, 'ERR_JOSE_NOT_SUPPORTED', `setCryptoBackend(${backend})`);
        return false;
      } finally {
        lib.setCryptoBackend('auto');
      }
    });
    equal(available, expect.backends, 'available backends');
  });

  await check('pemToJwk: openssl PEMs give the JWKs Node crypto exports', async () => {
    for (const { name, pems, privateJwk, publicJwk } of Object.values(FIXTURES.keys)) {
      for (const [form, pem] of Object.entries(pems)) {
        const expected = form === 'spki' || form === 'pkcs1Public' ? publicJwk : privateJwk;
        equal(material(await lib.pemToJwk(pem)), material(expected), `${name} ${form}`);
      }
    }
  });

  await check('jwkToPem: the same PEM text openssl writes', async () => {
    for (const { name, pems, privateJwk, publicJwk } of Object.values(FIXTURES.keys)) {
      equal(await lib.jwkToPem(privateJwk), pems.pkcs8, `${name} private (PKCS#8)`);
      equal(await lib.jwkToPem(publicJwk), pems.spki, `${name} public (SPKI)`);
      if (pems.pkcs1) equal(await lib.jwkToPem(privateJwk, { format: 'pkcs1' }), pems.pkcs1, `${name} PKCS#1 private`);
      if (pems.pkcs1Public) equal(await lib.jwkToPem(publicJwk, { format: 'pkcs1' }), pems.pkcs1Public, `${name} PKCS#1 public`);
      if (pems.sec1) equal(await lib.jwkToPem(privateJwk, { format: 'sec1' }), pems.sec1, `${name} SEC1`);
    }
  });

  await check('jwkThumbprint: RFC 7638 example, and a private key has its public key\'s', () => {
    const rfc7638 = {
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    };
    equal(lib.jwkThumbprint(rfc7638), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', 'RFC 7638 §3.1');
    for (const { name, privateJwk, publicJwk } of Object.values(FIXTURES.keys)) {
      equal(lib.jwkThumbprint(privateJwk), lib.jwkThumbprint(publicJwk), name);
    }
  });

  await check('verifyJwt: tokens signed by Node crypto, every algorithm, every backend', async () => {
    await eachBackend(async (backend) => {
      for (const alg of ALGORITHMS) {
        const { header, payload } = await lib.verifyJwt(FIXTURES.tokens[alg], publicKeyOf(alg), {
          algorithms: [alg],
          issuer: FIXTURES.claims.iss,
          audience: 'api',
        });
        equal(payload, FIXTURES.claims, `${alg} payload (${backend})`);
        equal(header.alg, alg, `${alg} header (${backend})`);
      }
    });
  });

  await check('signJwt then verifyJwt: every algorithm, every backend, keys as JWK and PEM', async () => {
    await eachBackend(async (backend) => {
      for (const alg of ALGORITHMS) {
        const claims = { sub: `${alg}-${backend}`, n: 1 };
        const token = await lib.signJwt(claims, privateKeyOf(alg), { alg, kid: 'k' });
        equal((await lib.verifyJwt(token, publicKeyOf(alg), { algorithms: [alg] })).payload, claims, `${alg} (${backend})`);
        if (!alg.startsWith('HS')) {
          const fromPem = await lib.signJwt(claims, family(alg).pems.pkcs8, { alg });
          equal((await lib.verifyJwt(fromPem, family(alg).pems.spki, { algorithms: [alg] })).payload, claims, `${alg} PEM (${backend})`);
        }
      }
    });
  });

  await check('generateKeyPair and generateSecret (randomness inside a call)', async () => {
    for (const alg of ['RS256', 'ES256', 'ES384', 'EdDSA']) {
      const { privateJwk, publicJwk } = await lib.generateKeyPair(alg, { kid: 'thumbprint' });
      equal(publicJwk.kid, lib.jwkThumbprint(publicJwk), `${alg} kid`);
      const token = await lib.signJwt({ sub: alg }, privateJwk);
      equal((await lib.verifyJwt(token, publicJwk)).payload.sub, alg, alg);
    }
    const a = await lib.generateSecret('HS256');
    const b = await lib.generateSecret('HS256');
    ok(a.k !== b.k && a.k.length === 43, 'two different 256-bit secrets');
  });

  await check('tampered and refused tokens: stable error codes on every backend', async () => {
    const es = FIXTURES.tokens.ES256;
    const [header, payload, signature] = es.split('.');
    const key = publicKeyOf('ES256');
    await eachBackend(async (backend) => {
      for (const alg of ALGORITHMS) {
        await rejects(lib.verifyJwt(tamperSignature(FIXTURES.tokens[alg]), publicKeyOf(alg)), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', `${alg} signature (${backend})`);
      }
      const otherPayload = b64url(JSON.stringify({ ...FIXTURES.claims, sub: 'mallory' }));
      await rejects(lib.verifyJwt(`${header}.${otherPayload}.${signature}`, key), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', `payload (${backend})`);
      const none = `${b64url('{"alg":"none"}')}.${payload}.`;
      await rejects(lib.verifyJwt(none, key), 'ERR_JOSE_ALG_NOT_ALLOWED', `alg none (${backend})`);
      const hsWithPublicKey = `${b64url('{"alg":"HS256"}')}.${payload}.${signature}`;
      await rejects(lib.verifyJwt(hsWithPublicKey, key, { algorithms: ['HS256'] }), 'ERR_JOSE_KEY_TYPE_MISMATCH', `HS256 over an EC key (${backend})`);
      await rejects(lib.verifyJwt(es, publicKeyOf('RS256')), 'ERR_JOSE_ALG_NOT_ALLOWED', `ES256 token, RSA key (${backend})`);
      await rejects(lib.verifyJwt(es, key, { currentDate: new Date(4_102_444_801_000) }), 'ERR_JWT_EXPIRED', `expired (${backend})`);
      const error = await rejects(lib.verifyJwt(es, key, { issuer: 'https://other.example' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', `issuer (${backend})`);
      equal([error.claim, error.reason], ['iss', 'check_failed'], 'claim and reason');
      await rejects(lib.verifyJwt(`${header}.${payload}`, key), 'ERR_JWS_INVALID', `two segments (${backend})`);
    });
  });

  await check('JWKS: the key is chosen by kid and alg', async () => {
    const jwks = { keys: Object.entries(FIXTURES.keys).map(([kid, { publicJwk }]) => ({ ...publicJwk, kid })) };
    for (const alg of ASYMMETRIC) {
      const kid = FAMILY[alg] ?? FAMILY[alg.slice(0, 2)];
      equal((await lib.verifyJwt(FIXTURES.tokens[alg], jwks)).header.kid, kid, alg);
    }
    const unknownKid = await lib.signJwt({ sub: 'x' }, family('ES256').privateJwk, { kid: 'gone' });
    await rejects(lib.verifyJwt(unknownKid, jwks), 'ERR_JWKS_NO_MATCHING_KEY', 'unknown kid');
    const twins = { keys: [{ ...family('ES256').publicJwk }, { ...family('ES256').publicJwk }] };
    const noKid = await lib.signJwt({ sub: 'x' }, family('ES256').privateJwk);
    await rejects(lib.verifyJwt(noKid, twins), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'two candidates, no kid');
    await rejects(lib.verifyJwt(noKid, { keys: 'nope' }), 'ERR_JWKS_INVALID', 'keys not an array');
  });

  await check('assertions (RFC 7523): build, verify, and refuse', async () => {
    const audience = 'https://tenant.okta.com/oauth2/v1/token';
    await eachBackend(async (backend) => {
      const built = await lib.buildAssertion({ profile: 'okta', issuer: 'client-1', audience }, family('ES256').privateJwk);
      const { payload } = await lib.verifyAssertion(built.assertion, family('ES256').publicJwk, { audience });
      equal([payload.iss, payload.sub, payload.aud], ['client-1', 'client-1', audience], `claims (${backend})`);
      ok(typeof payload.jti === 'string' && payload.exp > payload.iat, `jti and lifetime (${backend})`);
      await rejects(lib.verifyAssertion(built.assertion, family('ES256').publicJwk, { audience: 'https://other/token' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', `audience (${backend})`);
    });
    await rejects(lib.buildAssertion({ profile: 'salesforce' }, family('ES256').privateJwk), 'ERR_INVALID_ARGUMENT', 'incomplete request');
  });

  await check('bad input: clear errors with stable codes, never a crash', async () => {
    await rejects(() => lib.verifyJwt(42, FIXTURES.secret), 'ERR_INVALID_ARGUMENT', 'token not a string');
    await rejects(() => lib.verifyJwt(FIXTURES.tokens.HS256, 42), 'ERR_INVALID_ARGUMENT', 'key not a key');
    await rejects(() => lib.decodeJwt('x'.repeat(10_000_000)), 'ERR_JWT_TOO_LARGE', 'a 10 MB token');
    await rejects(() => lib.decodeJwt('abc'), 'ERR_JWS_INVALID', 'not a JWS');
    await rejects(() => lib.pemToJwk('hello'), 'ERR_PEM_INVALID', 'not a PEM');
    await rejects(() => lib.pemToJwk('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), 'ERR_DER_INVALID', 'bad DER');
    await rejects(() => lib.jwkToPem({ kty: 'oct', k: 'AAAA' }), 'ERR_JOSE_NOT_SUPPORTED', 'secret as PEM');
    await rejects(() => lib.jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }), 'ERR_JWK_INVALID', 'short EC point');
    await rejects(lib.signJwt({}, 'short secret'), 'ERR_JOSE_WEAK_KEY', 'weak HMAC secret');
    await rejects(lib.signJwt('claims', FIXTURES.secret), 'ERR_INVALID_ARGUMENT', 'payload not an object');
    await rejects(lib.generateKeyPair('ES512'), 'ERR_JOSE_NOT_SUPPORTED', 'unsupported algorithm');
    await rejects(() => lib.setCryptoBackend('openssl'), 'ERR_INVALID_ARGUMENT', 'unknown backend');
    ok(lib.errorCodes().includes('ERR_WASM_NOT_INITIALIZED'), 'errorCodes lists every code');
  });

  return results;
}

/** Prints the failures and the closing `label: N passed, N failed` line; true when all passed. */
export function report(results, label, print = console.log) {
  const failed = results.filter((result) => result.error !== undefined);
  for (const result of results) print(`${result.error === undefined ? 'ok' : 'FAIL'} - ${result.name}${result.error ? `\n    ${result.error}` : ''}`);
  print(`${label}: ${results.length - failed.length} passed, ${failed.length} failed`);
  return failed.length === 0 && results.length > 0;
}
