// Certificates and encrypted keys through the npm API, checked by Node's own
// crypto (X509Certificate, createPrivateKey) rather than by jwt-edge itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { je } from './helpers.mjs';

const SUBJECT = 'CN=acme token issuer,O=Acme,C=US';

test('createCertificate for every key type: Node verifies it and matches the key', async () => {
  for (const alg of ['RS256', 'ES256', 'ES384', 'EdDSA']) {
    const { privateJwk, publicJwk } = await je.generateKeyPair(alg);
    const notBefore = new Date('2025-01-01T00:00:00Z');
    const pem = await je.createCertificate(privateJwk, {
      subject: SUBJECT,
      days: 90,
      notBefore,
      subjectAltNames: ['DNS:issuer.example.com', 'URI:https://issuer.example.com/token', 'email:ops@example.com'],
    });
    const cert = new X509Certificate(pem);
    const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' });
    assert.ok(cert.verify(publicKey), `${alg}: self-signature verifies`);
    assert.ok(cert.checkPrivateKey(createPrivateKey({ key: privateJwk, format: 'jwk' })), `${alg}: private key matches`);
    assert.equal(cert.subject, 'C=US\nO=Acme\nCN=acme token issuer');
    assert.equal(cert.issuer, cert.subject);
    assert.equal(new Date(cert.validTo).toISOString(), '2025-04-01T00:00:00.000Z');
    assert.equal(cert.ca, false);
    assert.match(cert.subjectAltName, /DNS:issuer\.example\.com/);
    assert.match(cert.subjectAltName, /email:ops@example\.com/);

    const info = await je.inspectCertificate(pem, { currentDate: new Date('2025-02-01T00:00:00Z') });
    assert.equal(info.fingerprintSha256, cert.fingerprint256);
    assert.equal(info.fingerprintSha1, cert.fingerprint);
    assert.equal(info.serialNumber, cert.serialNumber);
    assert.equal(info.subject, SUBJECT);
    assert.equal(info.status, 'valid');
    assert.equal(info.validNow, true);
    assert.equal(info.selfSigned, true);
    assert.deepEqual(info.keyUsage, ['digitalSignature']);
    assert.equal(info.notAfter.getTime(), new Date(cert.validTo).getTime());
    assert.equal(info.chain.length, 1);
    assert.equal(info.chain[0].signedByNext, null);
    assert.equal((await je.inspectCertificate(pem, { currentDate: new Date('2026-01-01T00:00:00Z') })).status, 'expired');
    // DER bytes work as well as PEM.
    assert.equal((await je.inspectCertificate(new Uint8Array(cert.raw))).fingerprintSha256, cert.fingerprint256);

    assert.equal(await je.keyMatchesCertificate(privateJwk, pem), true);
    assert.equal(await je.keyMatchesCertificate(publicJwk, pem), true);
    const other = await je.generateKeyPair(alg);
    assert.equal(await je.keyMatchesCertificate(other.privateJwk, pem), false);

    // The certificate's JWK carries x5c and x5t#S256.
    const jwk = await je.pemToJwk(pem);
    assert.equal(jwk['x5t#S256'], info['x5t#S256']);
    assert.deepEqual(jwk.x5c, [Buffer.from(cert.raw).toString('base64')]);
  }
});

test('createCertificate: RSA hash, options and errors', async () => {
  const { privateJwk, publicJwk } = await je.generateKeyPair('RS256');
  const pem = await je.createCertificate(privateJwk, { subject: 'CN=rsa', hash: 'SHA-512' });
  assert.equal((await je.inspectCertificate(pem)).signatureAlgorithm, 'sha512WithRSAEncryption');
  const days = (new Date(new X509Certificate(pem).validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 364 && days <= 365, `365 days by default: ${days}`);
  await assert.rejects(() => je.createCertificate(publicJwk, { subject: 'CN=x' }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(() => je.createCertificate(privateJwk, {}), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(() => je.createCertificate(privateJwk, { subject: 'CN=x', days: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(() => je.createCertificate(privateJwk, { subject: 'CN=x', hash: 'MD5' }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(() => je.createCertificate(privateJwk, { subject: 'CN=' + 'a'.repeat(1 << 20) }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(
    () => je.createCertificate(privateJwk, { subject: 'CN=x', subjectAltNames: Array.from({ length: 10_000 }, (_, i) => `h${i}.example`) }),
    { code: 'ERR_INVALID_ARGUMENT' },
  );
  const secret = await je.generateSecret('HS256');
  await assert.rejects(() => je.createCertificate(secret, { subject: 'CN=x' }), { code: 'ERR_JOSE_NOT_SUPPORTED' });
  await assert.rejects(() => je.inspectCertificate(pem.slice(0, 200) + '\n-----END CERTIFICATE-----\n'), { code: /ERR_(PEM|DER)_INVALID/ });
  await assert.rejects(() => je.inspectCertificate(new Uint8Array([0x30, 0x82, 0x01])), { code: 'ERR_DER_INVALID' });
  await assert.rejects(() => je.inspectCertificate(42), { code: 'ERR_INVALID_ARGUMENT' });
});

test('createCsr: a PKCS#10 request with the subject', async () => {
  const { privateJwk } = await je.generateKeyPair('ES256');
  const csr = await je.createCsr(privateJwk, { subject: SUBJECT, subjectAltNames: ['issuer.example.com'] });
  assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  await assert.rejects(() => je.createCsr(privateJwk, { subject: 'not a name' }), { code: 'ERR_INVALID_ARGUMENT' });
});

test('encrypted PKCS#8: Node reads ours, we read Node\'s, wrong passphrase has its own code', async () => {
  const { privateJwk } = await je.generateKeyPair('ES256');
  const encrypted = await je.jwkToPem(privateJwk, { format: 'pkcs8', passphrase: 'correct horse' });
  assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  const nodeKey = createPrivateKey({ key: encrypted, passphrase: 'correct horse' });
  assert.equal(nodeKey.export({ format: 'jwk' }).d, privateJwk.d);
  assert.throws(() => createPrivateKey({ key: encrypted, passphrase: 'wrong' }));

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const nodePem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' });
  const jwk = await je.pemToJwk(nodePem, { passphrase: 'pw' });
  assert.equal(jwk.d, privateKey.export({ format: 'jwk' }).d);
  await assert.rejects(() => je.pemToJwk(nodePem, { passphrase: 'nope' }), { code: 'ERR_KEY_DECRYPTION_FAILED' });
  await assert.rejects(() => je.pemToJwk(nodePem), { code: 'ERR_KEY_PASSPHRASE_REQUIRED' });
  await assert.rejects(() => je.jwkToPem(privateJwk, { format: 'sec1', passphrase: 'x' }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.ok(je.errorCodes().includes('ERR_KEY_DECRYPTION_FAILED'));

  // Legacy OpenSSL encryption: refused with the conversion command.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const legacy = rsa.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'pw' });
  assert.match(legacy, /Proc-Type: 4,ENCRYPTED/);
  await assert.rejects(() => je.pemToJwk(legacy, { passphrase: 'pw' }), (error) => error.code === 'ERR_JOSE_NOT_SUPPORTED' && /openssl pkcs8 -topk8/.test(error.message));
});
