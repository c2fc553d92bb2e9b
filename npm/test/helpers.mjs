// Shared by the tests: the built package (../../pkg), jose, and fixtures.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as jwtEdge from '../../pkg/node.mjs';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const pkgDir = join(root, 'pkg');
export const require = createRequire(import.meta.url);
export const je = jwtEdge;

export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
export const ASYMMETRIC = ALGORITHMS.filter((alg) => !alg.startsWith('HS'));
export const BACKENDS = ['node', 'webcrypto', 'wasm'];

export function vectors(name) {
  return JSON.parse(readFileSync(join(root, 'tests', 'vectors', name), 'utf8'));
}

export function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** A random HMAC secret as long as the hash, as an oct JWK. */
export function secretJwk(alg) {
  const bytes = { HS256: 32, HS384: 48, HS512: 64 }[alg];
  const raw = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(raw);
  return { raw, jwk: { kty: 'oct', k: b64url(raw) } };
}

/** Runs `fn` with each crypto backend, restoring 'auto' after. */
export async function eachBackend(fn) {
  for (const backend of BACKENDS) {
    je.setCryptoBackend(backend);
    try {
      await fn(backend);
    } finally {
      je.setCryptoBackend('auto');
    }
  }
}

/** Asserts that `promiseOrFn` fails with a JwtEdgeError of `code` (and claim/reason when given). */
export async function rejectsWith(assert, promiseOrFn, code, extra = {}) {
  let error;
  try {
    const result = typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn;
    await result;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected ${code}, but nothing was thrown`);
  assert.ok(error instanceof je.JwtEdgeError, `expected a JwtEdgeError, got ${error && error.constructor && error.constructor.name}: ${error && error.message}`);
  assert.ok(error instanceof Error);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  for (const [name, value] of Object.entries(extra)) assert.equal(error[name], value, `${name} of ${error.message}`);
  return error;
}

export const now = () => Math.floor(Date.now() / 1000);
