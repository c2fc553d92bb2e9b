// Interop with jose, both ways, for every algorithm and every backend; PEM
// output against jose and the openssl CLI; thumbprints against jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { je, ALGORITHMS, ASYMMETRIC, eachBackend, secretJwk, now } from './helpers.mjs';

const keys = {};
for (const alg of ALGORITHMS) {
  if (alg.startsWith('HS')) {
    const { raw, jwk } = secretJwk(alg);
    keys[alg] = { signing: jwk, verifying: jwk, jose: raw };
  } else {
    const { privateJwk, publicJwk } = await je.generateKeyPair(alg, { kid: 'thumbprint' });
    keys[alg] = { signing: privateJwk, verifying: publicJwk, jose: await jose.importJWK(publicJwk, alg), josePrivate: await jose.importJWK(privateJwk, alg) };
  }
}

test('what jwt-edge signs, jose verifies (every algorithm, every backend)', async () => {
  await eachBackend(async (backend) => {
    for (const alg of ALGORITHMS) {
      const claims = { sub: `${alg}-${backend}`, iat: now(), exp: now() + 60 };
      const token = await je.signJwt(claims, keys[alg].signing, { alg, typ: 'JWT' });
      const { payload, protectedHeader } = await jose.jwtVerify(token, keys[alg].jose, { algorithms: [alg] });
      assert.deepEqual(payload, claims, `${alg} ${backend}`);
      assert.equal(protectedHeader.alg, alg);
    }
  });
});

test('what jose signs, jwt-edge verifies (every algorithm, every backend)', async () => {
  await eachBackend(async (backend) => {
    for (const alg of ALGORITHMS) {
      const claims = { sub: `${alg}-${backend}`, iat: now(), exp: now() + 60 };
      const key = alg.startsWith('HS') ? keys[alg].jose : keys[alg].josePrivate;
      const token = await new jose.SignJWT(claims).setProtectedHeader({ alg, kid: keys[alg].verifying.kid }).sign(key);
      const { payload } = await je.verifyJwt(token, { keys: [keys[alg].verifying] }, { algorithms: [alg] });
      assert.deepEqual(payload, claims, `${alg} ${backend}`);
      const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      await assert.rejects(je.verifyJwt(tampered, keys[alg].verifying, { algorithms: [alg] }), (error) =>
        ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWS_INVALID'].includes(error.code));
    }
  });
});

test('jwkToPem equals jose exportSPKI/exportPKCS8 and openssl; thumbprints equal jose', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-pem-'));
  try {
    for (const alg of ['RS256', 'ES256', 'ES384', 'EdDSA']) {
      const { privateJwk, publicJwk } = keys[alg] ? { privateJwk: keys[alg].signing, publicJwk: keys[alg].verifying } : {};
      const extractable = await jose.importJWK(privateJwk, alg, { extractable: true });
      const publicKey = await jose.importJWK(publicJwk, alg, { extractable: true });
      const pkcs8 = await je.jwkToPem(privateJwk);
      const spki = await je.jwkToPem(publicJwk);
      assert.equal(pkcs8, `${(await jose.exportPKCS8(extractable)).trim()}\n`, `${alg} PKCS#8 = jose`);
      assert.equal(spki, `${(await jose.exportSPKI(publicKey)).trim()}\n`, `${alg} SPKI = jose`);
      const file = join(dir, `${alg}.pem`);
      writeFileSync(file, pkcs8);
      assert.equal(execFileSync('openssl', ['pkey', '-in', file, '-pubout'], { encoding: 'utf8' }), spki, `${alg} SPKI = openssl`);
      assert.equal(execFileSync('openssl', ['pkey', '-in', file], { encoding: 'utf8' }), pkcs8, `${alg} PKCS#8 = openssl`);
      if (alg === 'RS256') {
        const pkcs1 = execFileSync('openssl', ['rsa', '-in', file, '-traditional'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        assert.equal(await je.jwkToPem(privateJwk, { format: 'pkcs1' }), pkcs1, 'PKCS#1 = openssl');
      }
      assert.equal(je.jwkThumbprint(publicJwk), await jose.calculateJwkThumbprint(publicJwk), `${alg} thumbprint = jose`);
      assert.equal(je.jwkThumbprint(privateJwk), await jose.calculateJwkThumbprint(privateJwk));
      assert.deepEqual(await je.pemToJwk(pkcs8), Object.fromEntries(Object.entries(privateJwk).filter(([k]) => !['kid', 'alg'].includes(k))));
    }
    const oct = keys.HS256.signing;
    assert.equal(je.jwkThumbprint(oct), await jose.calculateJwkThumbprint(oct));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificates: pemToJwk takes the key and the chain, and verifies with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-cert-'));
  try {
    const key = join(dir, 'key.pem');
    writeFileSync(key, await je.jwkToPem(keys.ES256.signing));
    const cert = execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-subj', '/CN=jwt-edge', '-days', '2'], { encoding: 'utf8' });
    const jwk = await je.pemToJwk(cert, { kid: 'thumbprint' });
    assert.equal(jwk.x, keys.ES256.verifying.x);
    assert.equal(jwk.x5c.length, 1);
    assert.equal(jwk.kid, keys.ES256.verifying.kid);
    const token = await je.signJwt({ sub: 'cert' }, `${await je.jwkToPem(keys.ES256.signing)}${cert}`);
    assert.equal((await je.verifyJwt(token, cert)).payload.sub, 'cert');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys generated by jose work in jwt-edge', async () => {
  for (const alg of ASYMMETRIC) {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    const privateJwk = await jose.exportJWK(pair.privateKey);
    const token = await je.signJwt({ sub: alg }, privateJwk, { alg });
    assert.equal((await jose.jwtVerify(token, pair.publicKey)).payload.sub, alg);
    assert.equal(await je.jwkToPem(privateJwk), `${(await jose.exportPKCS8(pair.privateKey)).trim()}\n`);
  }
});
