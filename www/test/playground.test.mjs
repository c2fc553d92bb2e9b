// End-to-end tests of the playground in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core). Run by `make test-www`
// against the built page in dist/www, served on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
const site = join(root, 'dist/www');
const shots = join(root, 'target/screenshots');
mkdirSync(shots, { recursive: true });

let server;
let origin;
let browser;
let page;
const foreignRequests = [];
const consoleErrors = [];
// The wasm files the page fetched, by name: all of them, and those before the first key conversion.
const wasmRequests = [];
let wasmAtStart;

before(async () => {
  server = spawn('python3', [join(root, 'www/serve.py'), site, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  origin = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 10_000);
    server.stdout.on('data', (chunk) => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(String(chunk));
      if (match) {
        clearTimeout(timer);
        resolvePort(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a new, empty profile directory.
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  page = await context.newPage();
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
    if (new URL(url).pathname.endsWith('.wasm')) wasmRequests.push(new URL(url).pathname.split('/').pop());
  });
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.goto(`${origin}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  wasmAtStart = [...wasmRequests];
});

after(async () => {
  await browser?.close();
  server?.kill();
});

const output = (title) => page.locator(`pre[data-output="${title}"]`);
const tab = async (name) => page.click(`#tab-${name}`);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

test('at start the page fetches only the token module; the key module comes with the first conversion', async () => {
  assert.deepEqual(wasmAtStart, ['jwt_edge_tokens_bg.wasm']);
});

test('a JWK converts to PEM and back to the same key', async () => {
  await tab('keys');
  await page.selectOption('#gen-alg', 'ES256');
  await page.click('#gen-button');
  await output('JWK (kid = RFC 7638 thumbprint)').waitFor();
  const jwk = JSON.parse(await output('JWK (kid = RFC 7638 thumbprint)').textContent());
  const thumbprint = await output('Thumbprint (SHA-256)').textContent();
  const pkcs8 = await output('PEM: PKCS#8 private key').textContent();
  const sec1 = await output('PEM: SEC1 EC private key').textContent();
  assert.match(pkcs8, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(sec1, /^-----BEGIN EC PRIVATE KEY-----\n/);
  assert.equal(await output('PEM: PKCS#1').count(), 0, 'no PKCS#1 for EC keys');
  await shot('keys');

  // Paste the PKCS#8 PEM back: same key, same thumbprint.
  await page.fill('#key-input', pkcs8);
  await page.waitForFunction((kid) => document.querySelector('pre[data-output="Thumbprint (SHA-256)"]')?.textContent === kid, thumbprint);
  const back = JSON.parse(await output('JWK (kid = RFC 7638 thumbprint)').textContent());
  assert.deepEqual({ ...back, kid: undefined }, { ...jwk, kid: undefined });
  assert.equal(back.d, jwk.d);

  // And the SPKI public key gives the public JWK with the same thumbprint.
  const spki = await output('PEM: SPKI public key').textContent();
  await page.fill('#key-input', spki);
  await page.waitForFunction(() => !document.querySelector('pre[data-output="PEM: PKCS#8 private key"]'));
  assert.equal(await output('Thumbprint (SHA-256)').textContent(), thumbprint);
});

test('an Ed25519 key builds an Okta assertion that verifies on the verify panel', async () => {
  await tab('keys');
  await page.selectOption('#gen-alg', 'EdDSA');
  await page.click('#gen-button');
  await page.waitForFunction(() => document.querySelector('#key-input').value.includes('"Ed25519"'));
  const privateJwk = await page.inputValue('#key-input');

  await tab('sign');
  await page.selectOption('#preset', 'okta');
  const claims = JSON.parse(await page.inputValue('#claims'));
  assert.equal(claims.iss, claims.sub, 'the Okta preset starts with iss = sub');
  await page.fill('#sign-key', privateJwk);
  await page.click('[data-helper="exp5m"]');
  await page.click('#sign-button');
  await output('Assertion').waitFor();
  const form = await output('Form body (application/x-www-form-urlencoded)').textContent();
  assert.match(form, /client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer/);
  assert.match(await output('curl').textContent(), /^curl -X POST 'https:\/\/your-org\.okta\.com\/oauth2\/v1\/token'/);
  await shot('sign');

  await page.click('#sign-to-verify');
  await page.fill('#opt-audience', claims.aud);
  await page.click('#verify-button');
  await page.locator('#checks li[data-check="result"]').waitFor();
  assert.equal(await page.locator('#checks li[data-check="result"]').getAttribute('class'), 'passed');
  assert.equal(await page.locator('#checks li[data-check="signature"]').getAttribute('class'), 'passed');
  assert.equal(await page.locator('#checks li[data-check="aud"]').getAttribute('class'), 'passed');
  assert.doesNotMatch(await page.inputValue('#verify-key'), /"d"/, 'verification uses the public key');
  await shot('verify');
});

test('an expired token shows the expiry check failing with its code', async () => {
  // Sign a token that expired an hour ago with a fresh HMAC secret.
  await tab('keys');
  await page.selectOption('#gen-alg', 'HS256');
  await page.click('#gen-button');
  await page.waitForFunction(() => document.querySelector('#key-input').value.includes('"oct"'));
  const secret = await page.inputValue('#key-input');
  await tab('sign');
  await page.selectOption('#preset', 'jwt');
  const t = Math.floor(Date.now() / 1000);
  await page.fill('#claims', JSON.stringify({ sub: 'old', iat: t - 7200, exp: t - 3600 }));
  await page.fill('#sign-key', secret);
  await page.click('#sign-button');
  await output('Token').waitFor();
  await page.click('#sign-to-verify');
  await page.locator('#claims-table tr[data-claim="exp"]').waitFor();
  assert.match(await page.locator('#claims-table tr[data-claim="exp"]').textContent(), /expired 1 h ago/);
  assert.match(await page.locator('#claims-table tr[data-claim="exp"]').textContent(), /UTC/);
  await page.click('#verify-button');
  const exp = page.locator('#checks li[data-check="exp"]');
  await exp.waitFor();
  assert.equal(await exp.getAttribute('class'), 'failed');
  assert.match(await exp.textContent(), /ERR_JWT_EXPIRED/);
  assert.equal(await page.locator('#checks li[data-check="signature"]').getAttribute('class'), 'passed');
  assert.equal(await page.locator('#checks li[data-check="result"]').getAttribute('class'), 'failed');
  await shot('verify-expired');
});

test('garbage in every input gives an inline error, never a blank page', async () => {
  const cases = [
    ['keys', '#key-input', '#key-input-error', null],
    ['sign', '#claims', '#claims-error', null],
    ['sign', '#sign-key', '#sign-key-error', '#sign-button'],
    ['verify', '#token', '#token-error', null],
    ['verify', '#verify-key', '#verify-key-error', '#verify-button'],
  ];
  const keyGarbage = ['garbage!!', '{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', '{"keys": 5}', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'];
  const garbageFor = {
    '#key-input': keyGarbage,
    '#claims': ['garbage!!', '[1, 2]', '{"exp":', '"just a string"'],
    '#sign-key': keyGarbage,
    '#token': ['garbage!!', 'a.b.c', '{"kty":"EC"}', 'e30.e30.'],
    '#verify-key': keyGarbage,
  };
  for (const [panel, input, error, trigger] of cases) {
    for (const garbage of garbageFor[input]) {
      await tab(panel);
      if (input === '#verify-key') await page.fill('#token', 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA');
      if (input === '#sign-key') await page.fill('#claims', '{"sub":"x"}');
      await page.fill(input, garbage);
      if (trigger) await page.click(trigger);
      const node = page.locator(error);
      await node.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
        throw new Error(`no inline error for ${JSON.stringify(garbage)} in ${input}`);
      });
      assert.ok((await node.textContent()).length > 5, `${input}: message shown`);
    }
  }
  await shot('errors');
  // The page is still alive and working after all of that.
  await tab('keys');
  await page.fill('#key-input', '');
  await page.selectOption('#gen-alg', 'EdDSA');
  await page.click('#gen-button');
  await output('Thumbprint (SHA-256)').waitFor();
});

// Made by `openssl ca -selfsign -startdate 20200101000000Z -enddate 20210101000000Z`.
const EXPIRED_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBOTCB3wICEAAwCgYIKoZIzj0EAwIwKDEXMBUGA1UEAwwOZXhwaXJlZCBpc3N1
ZXIxDTALBgNVBAoMBEFjbWUwHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMDAwMDAw
WjAoMRcwFQYDVQQDDA5leHBpcmVkIGlzc3VlcjENMAsGA1UECgwEQWNtZTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABJxloMo7UG5rAxozNBURJJRMMHFICW2zqo0r
CvhAFjXDygoVU7zFJ4t87REytVEYOluJydhREsm51+vSpWAcvXEwCgYIKoZIzj0E
AwIDSQAwRgIhAJzQ3F0d9TFN0Dx0ocEVPPBNMO9etov9Ze/6EcrB/NKMAiEA8pp3
n53dbzpx0VWJFEnc9cgK/se5odv501m1AIX2RG8=
-----END CERTIFICATE-----
`;

test('a certificate made for a generated P-256 key downloads and openssl reads its subject', async () => {
  await tab('keys');
  await page.selectOption('#gen-alg', 'ES256');
  await page.click('#gen-button');
  await output('PEM: SEC1 EC private key').waitFor();
  const subject = 'CN=playground issuer,O=Acme Test,C=DE';
  await page.fill('#cert-subject', subject);
  await page.fill('#cert-days', '30');
  await page.fill('#cert-sans', 'DNS:issuer.example.com URI:https://issuer.example.com/token');
  await page.click('#cert-button');
  await output('Certificate (PEM)').waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('button[aria-label="Download Certificate (PEM)"]'),
  ]);
  assert.equal(download.suggestedFilename(), 'certificate.pem');
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-www-'));
  const path = join(dir, 'certificate.pem');
  await download.saveAs(path);
  const openssl = (args) => execFileSync('openssl', args, { encoding: 'utf8', timeout: 10_000 });
  assert.equal(openssl(['x509', '-in', path, '-noout', '-subject', '-nameopt', 'RFC2253']).trim(), `subject=${subject}`);
  assert.match(openssl(['x509', '-in', path, '-noout', '-text']), /DNS:issuer\.example\.com/);
  openssl(['verify', '-CAfile', path, path]);
  // The DER download parses too.
  const [der] = await Promise.all([
    page.waitForEvent('download'),
    page.click('button[aria-label="Download Certificate (PEM) as certificate.cer"]'),
  ]);
  const derPath = join(dir, 'certificate.cer');
  await der.saveAs(derPath);
  assert.equal(openssl(['x509', '-inform', 'DER', '-in', derPath, '-noout', '-subject', '-nameopt', 'RFC2253']).trim(), `subject=${subject}`);
  // The CSR card signs a request openssl verifies.
  await page.click('#csr-button');
  const csrPath = join(dir, 'request.csr');
  writeFileSync(csrPath, await output('CSR (PEM)').textContent());
  openssl(['req', '-in', csrPath, '-verify', '-noout']);
  rmSync(dir, { recursive: true, force: true });
  await shot('certificate');

  // Pasting the made certificate shows it valid, and the key matches.
  const privateJwk = await page.inputValue('#key-input');
  const pem = await output('Certificate (PEM)').textContent();
  await page.fill('#key-input', pem);
  await page.waitForFunction(() => document.getElementById('cert-details').textContent.includes('playground issuer'));
  assert.equal(await page.textContent('#cert-validity'), 'valid now');
  await page.fill('#match-key', privateJwk);
  await page.waitForFunction(() => document.getElementById('match-result').textContent.includes('belongs'));
  assert.match(await page.textContent('#match-result'), /✓/);
});

test('a pasted expired certificate is shown as expired', async () => {
  await tab('keys');
  await page.fill('#key-input', EXPIRED_CERTIFICATE);
  await page.waitForFunction(() => document.getElementById('cert-details').textContent.includes('expired issuer'));
  assert.equal(await page.textContent('#cert-validity'), 'EXPIRED');
  assert.equal(await page.getAttribute('#cert-validity', 'class'), 'validity-expired');
  const color = await page.$eval('#cert-validity', (node) => getComputedStyle(node).color);
  assert.equal(color, 'rgb(197, 25, 45)', 'expired is shown in the error color');
  const details = await page.textContent('#cert-details');
  assert.match(details, /CN=expired issuer/);
  await shot('certificate-expired');
});

test('an encrypted private key asks for its passphrase; the WSO2 preset links to the certificate card', async () => {
  await tab('keys');
  const encrypted = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-aes-256-cbc', '-pass', 'pass:tab secret'],
    { encoding: 'utf8', timeout: 10_000 });
  await page.fill('#key-input', encrypted);
  await page.locator('#key-passphrase').waitFor({ state: 'visible' });
  await page.fill('#key-passphrase', 'wrong');
  await page.click('#passphrase-button');
  await page.waitForFunction(() => document.getElementById('key-input-error').textContent.includes('ERR_KEY_DECRYPTION_FAILED'));
  await page.fill('#key-passphrase', 'tab secret');
  await page.click('#passphrase-button');
  await output('PEM: PKCS#8 private key').waitFor();
  assert.ok(await page.isHidden('#key-input-error'));

  await tab('sign');
  await page.selectOption('#preset', 'wso2');
  assert.ok(await page.isVisible('#preset-cert-hint'));
  await page.click('#preset-cert-link');
  assert.ok(await page.isVisible('#cert-card'));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cert-subject');
  await tab('sign');
  await page.selectOption('#preset', 'okta');
  assert.ok(await page.isHidden('#preset-cert-hint'));
});

test('a share link carries the token and options, never a key', async () => {
  await tab('verify');
  await page.fill('#token', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA');
  await page.fill('#opt-issuer', 'https://idp.example');
  await page.fill('#verify-key', '{"kty":"oct","k":"c2VjcmV0"}');
  await page.click('#share-button');
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /token=eyJhbGciOiJFUzI1NiJ9/);
  assert.match(hash, /issuer=https/);
  assert.doesNotMatch(hash, /c2VjcmV0|kty/);
});

test('a DPoP proof made for a generated P-256 key checks out, and fails its htu check for another URL', async () => {
  await tab('keys');
  await page.fill('#key-input', '');
  await page.selectOption('#gen-alg', 'ES256');
  await page.click('#gen-button');
  await output('Thumbprint (SHA-256)').waitFor();
  const keysThumbprint = await output('Thumbprint (SHA-256)').textContent();

  // The tabs are reachable by keyboard: the arrow keys move to the DPoP tab.
  await tab('verify');
  await page.focus('#tab-verify');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-dpop', 'aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-dpop');
  assert.ok(await page.isVisible('#panel-dpop'));
  await page.click('#dpop-use-key');
  assert.match(await page.inputValue('#dpop-key'), /"crv": "P-256"/);
  const token = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  await page.selectOption('#dpop-htm', 'POST');
  await page.fill('#dpop-htu', 'https://api.example.com/orders');
  await page.fill('#dpop-token', token);
  await page.click('#dpop-make');
  await output('DPoP proof').waitFor();
  const proof = await output('DPoP proof').textContent();

  // What RFC 9449 asks of the proof, read and checked with Node's crypto.
  const [h, p, signature] = proof.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  assert.deepEqual([header.typ, header.alg, header.jwk.kty, header.jwk.crv, 'd' in header.jwk], ['dpop+jwt', 'ES256', 'EC', 'P-256', false]);
  assert.deepEqual([payload.htm, payload.htu], ['POST', 'https://api.example.com/orders']);
  assert.equal(payload.ath, createHash('sha256').update(token).digest('base64url'));
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60 && payload.jti.length >= 16);
  const publicKey = createPublicKey({ key: header.jwk, format: 'jwk' });
  assert.ok(verifySignature('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url')));
  // The jkt shown is the RFC 7638 thumbprint of the proof's key.
  const { crv, kty, x, y } = header.jwk;
  const jkt = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  assert.equal(await output("Key thumbprint (jkt, for the token's cnf.jkt)").textContent(), jkt);
  assert.equal(keysThumbprint, jkt, 'the Keys panel shows the same thumbprint');
  assert.equal(await output('Request headers').textContent(), `Authorization: DPoP ${token}\nDPoP: ${proof}`);

  // Checked against its own request: every check the request asks for passes.
  await page.click('#dpop-to-check');
  const result = page.locator('#dpop-checks li[data-check="result"]');
  await result.waitFor();
  assert.equal(await result.getAttribute('class'), 'passed');
  const statuses = await page.$$eval('#dpop-checks li[data-check]:not([data-check="result"])',
    (items) => Object.fromEntries(items.map((item) => [item.dataset.check, item.className])));
  assert.deepEqual(statuses, {
    format: 'passed', typ: 'passed', crit: 'passed', alg: 'passed', jwk: 'passed', signature: 'passed', payload: 'passed',
    jti: 'passed', htm: 'passed', htu: 'passed', iat: 'passed', nonce: 'skipped', ath: 'passed', jkt: 'passed',
  });
  assert.equal(await page.textContent('#dpop-proof-jkt'), `The proof's key thumbprint (jkt): ${jkt}`);
  await shot('dpop');

  // Against another URL: the htu check fails with its code, the rest still pass.
  await page.fill('#dpop-check-htu', 'https://api.example.com/payments');
  await page.click('#dpop-check');
  await page.waitForFunction(() => document.querySelector('#dpop-checks li[data-check="htu"]')?.className === 'failed');
  const htu = await page.textContent('#dpop-checks li[data-check="htu"]');
  assert.match(htu, /ERR_DPOP_INVALID_PROOF/);
  assert.match(htu, /payments/);
  assert.equal(await result.getAttribute('class'), 'failed');
  assert.equal(await page.locator('#dpop-checks li.failed[data-check]:not([data-check="result"])').count(), 1, 'only htu fails');
  await shot('dpop-wrong-url');

  // Inline errors: no key, a public key, garbage.
  await page.fill('#dpop-key', '');
  await page.click('#dpop-make');
  await page.locator('#dpop-key-error').waitFor({ state: 'visible' });
  await page.fill('#dpop-key', JSON.stringify(header.jwk));
  await page.click('#dpop-make');
  await page.waitForFunction(() => /ERR_INVALID_ARGUMENT.*private/.test(document.getElementById('dpop-key-error').textContent));
  await page.fill('#dpop-proof', 'garbage!!');
  await page.click('#dpop-check');
  await page.waitForFunction(() => document.querySelector('#dpop-checks li[data-check="format"]')?.className === 'failed');
});

test('the page stays on its own origin and phone-sized screens still fit', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['dpop', 'verify', 'sign', 'keys']) {
    await tab(name);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `horizontal overflow of ${overflow}px on a phone (${name})`);
    if (name === 'dpop') await shot('dpop-phone');
  }
  await shot('phone');
  // Every control is labelled.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('textarea, input, select')]
    .filter((el) => !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.id));
  assert.deepEqual(unlabelled, []);
  assert.deepEqual(foreignRequests, [], 'requests outside the page origin');
  // Every panel used: each module fetched once.
  assert.deepEqual([...wasmRequests].sort(), ['jwt_edge_keys_bg.wasm', 'jwt_edge_tokens_bg.wasm']);
  assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource.*favicon/.test(e)), []);
});
