// Writes tests/vectors/dpop.json: DPoP proofs made by panva's `dpop`
// package (an independent implementation) with a fixed clock, the keys that
// signed them, and the request each must (or must not) verify against.
// The Rust harness tests/dpop.rs checks every entry in the core.
//
//   cd npm && node scripts/dpop-vectors.mjs
//
// Re-running makes new keys and signatures (ECDSA, PSS and the keys are
// random), so the file changes completely; the entries keep their meaning.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as dpop from 'dpop';

const require = createRequire(import.meta.url);
const version = require('dpop/package.json').version;

const IAT = 1767225600; // 2026-01-01T00:00:00Z
const HTU = 'https://server.example.com/token';
const ACCESS_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const NONCE = 'eyJ7S_zG.eyJH0-Z.HX4w-7v';

const realNow = Date.now;
async function proofAt(keypair, htu, htm, nonce, accessToken) {
  Date.now = () => IAT * 1000;
  try {
    return await dpop.generateProof(keypair, htu, htm, nonce, accessToken);
  } finally {
    Date.now = realNow;
  }
}

const algorithms = ['ES256', 'Ed25519', 'RS256', 'PS256'];
const keys = {};
const vectors = [];
for (const alg of algorithms) {
  const keypair = await dpop.generateKeyPair(alg, { extractable: true });
  const privateJwk = await crypto.subtle.exportKey('jwk', keypair.privateKey);
  for (const name of ['key_ops', 'ext', 'alg']) delete privateJwk[name];
  const jkt = await dpop.calculateThumbprint(keypair.publicKey);
  const other = await dpop.generateKeyPair('ES256');
  const otherJkt = await dpop.calculateThumbprint(other.publicKey);

  const plain = await proofAt(keypair, HTU, 'POST');
  const bound = await proofAt(keypair, 'https://resource.example.org/protectedresource', 'GET', NONCE, ACCESS_TOKEN);
  keys[alg] = { private_jwk: privateJwk, jkt };
  const add = (name, proof, request, expect, claim) =>
    vectors.push({ name: `${alg} ${name}`, key: alg, iat: IAT, proof, request: { now: IAT, ...request }, expect, claim: claim ?? null });

  add('token request proof', plain, { method: 'POST', url: HTU }, 'valid');
  add('htu compared after normalisation (case, default port, query)', plain,
    { method: 'POST', url: 'HTTPS://Server.Example.COM:443/token?grant_type=x#f' }, 'valid');
  add('proof at the edge of the 300 s window', plain, { method: 'POST', url: HTU, now: IAT + 300 }, 'valid');
  add('wrong method', plain, { method: 'GET', url: HTU }, 'ERR_DPOP_INVALID_PROOF', 'htm');
  add('wrong path', plain, { method: 'POST', url: 'https://server.example.com/Token' }, 'ERR_DPOP_INVALID_PROOF', 'htu');
  add('wrong port', plain, { method: 'POST', url: 'https://server.example.com:8443/token' }, 'ERR_DPOP_INVALID_PROOF', 'htu');
  add('stale', plain, { method: 'POST', url: HTU, now: IAT + 400 }, 'ERR_DPOP_INVALID_PROOF', 'iat');
  add('from the future', plain, { method: 'POST', url: HTU, now: IAT - 120 }, 'ERR_DPOP_INVALID_PROOF', 'iat');
  add('no ath for an access token', plain, { method: 'POST', url: HTU, access_token: ACCESS_TOKEN }, 'ERR_DPOP_INVALID_PROOF', 'ath');

  const resource = { method: 'GET', url: 'https://resource.example.org/protectedresource', access_token: ACCESS_TOKEN, jkt, nonces: [NONCE] };
  add('resource request bound to the token, with nonce', bound, resource, 'valid');
  add('ath of another token', bound, { ...resource, access_token: `${ACCESS_TOKEN}x` }, 'ERR_DPOP_INVALID_PROOF', 'ath');
  add('token bound to another key', bound, { ...resource, jkt: otherJkt }, 'ERR_DPOP_BINDING_MISMATCH');
  add('nonce no longer current', bound, { ...resource, nonces: ['a-newer-nonce'] }, 'ERR_DPOP_NONCE_REQUIRED', 'nonce');
  add('nonce required, proof has none', plain, { method: 'POST', url: HTU, nonces: [NONCE] }, 'ERR_DPOP_NONCE_REQUIRED', 'nonce');
  const [h, p, s] = bound.split('.');
  const flipped = s[10] === 'A' ? 'B' : 'A';
  add('tampered signature', `${h}.${p}.${s.slice(0, 10)}${flipped}${s.slice(11)}`, resource, 'ERR_DPOP_INVALID_PROOF');
}

const out = new URL('../../tests/vectors/dpop.json', import.meta.url);
writeFileSync(out, `${JSON.stringify({ generator: `dpop ${version} (npm), npm/scripts/dpop-vectors.mjs`, keys, vectors }, null, 2)}\n`);
console.log(`${vectors.length} vectors written to ${out.pathname}`);
