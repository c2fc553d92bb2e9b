// The package in headless Chromium (Debian's, through playwright-core):
// imported from pkg/ with no bundler, and bundled by a Vite production
// build. Everything is served from 127.0.0.1. The network requests are
// recorded: a page that only verifies fetches the token module's wasm and
// never the key module; one that converts keys fetches the key module once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { root, here } from './helpers.mjs';
import { EXPECTED } from './browser/checks.js';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

function serve(base) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    const file = join(base, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(base) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let context;
let profile;
const servers = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'jwt-edge-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await context?.close();
  for (const server of servers) server.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The file names of every request a page made (query and hash dropped). */
function recordRequests(page) {
  const names = [];
  page.on('request', (request) => names.push(new URL(request.url()).pathname.split('/').pop()));
  return names;
}

const count = (names, test) => names.filter((name) => test.test(name)).length;

async function results(url, { input, requests = [] } = {}) {
  const page = await context.newPage();
  if (input !== undefined) await page.addInitScript((value) => { window.__input = value; }, input);
  page.on('request', (request) => requests.push(new URL(request.url()).pathname.split('/').pop()));
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('requestfailed', (request) => errors.push(`failed: ${request.url()}`));
  page.on('response', (response) => response.status() >= 400 && errors.push(`${response.status()}: ${response.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 60_000 }).catch((error) => {
    throw new Error(`${error.message}; page errors: ${errors.join('; ')}`);
  });
  const out = await page.evaluate(() => window.__results);
  await page.close();
  assert.deepEqual(errors, []);
  return out;
}

/** An ES256 token signed by Node's crypto and its public JWK: what the verify-only pages check. */
function signedToken() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ sub: 'verify-only', exp: Math.floor(Date.now() / 1000) + 600 })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return { token: `${input}.${signature}`, jwk: publicKey.export({ format: 'jwk' }) };
}

let rootServer;
async function rootBase() {
  if (rootServer === undefined) {
    rootServer = await serve(root.replace(/\/$/, ''));
    servers.push(rootServer);
  }
  return `http://127.0.0.1:${rootServer.address().port}`;
}

test('Chromium: pkg/ imported with <script type="module">, no bundler', async () => {
  // The page lives at /npm/test/browser; the package at /pkg.
  const requests = [];
  const out = await results(`${await rootBase()}/npm/test/browser/index.html`, { requests });
  assert.deepEqual(out, EXPECTED);
  // The checks convert keys many times: each module's wasm and glue fetched once.
  assert.deepEqual(requests.filter((name) => name.endsWith('.wasm')).sort(), ['jwt_edge_keys_bg.wasm', 'jwt_edge_tokens_bg.wasm']);
  assert.equal(count(requests, /^jwt_edge_keys\.js$/), 1);
});

test('Chromium, no bundler: a verify-only page fetches the token wasm only; converting several keys fetches the key wasm once', async () => {
  const { token, jwk } = signedToken();
  const page = await context.newPage();
  const requests = recordRequests(page);
  await page.goto(`${await rootBase()}/npm/test/browser/lazy.html`);
  const sub = await page.evaluate(async ({ token, jwk }) => {
    const lib = await import('/pkg/web.js');
    return (await lib.verifyJwt(token, jwk)).payload.sub;
  }, { token, jwk });
  assert.equal(sub, 'verify-only');
  assert.deepEqual(requests.filter((name) => name.endsWith('.wasm')), ['jwt_edge_tokens_bg.wasm']);
  assert.equal(count(requests, /^jwt_edge_keys/), 0, `the key module was fetched: ${requests.join(', ')}`);

  const converted = await page.evaluate(async ({ jwk }) => {
    const lib = await import('/pkg/web.js');
    // Several first calls at once, then more one after the other.
    const [spki, pair, secret] = await Promise.all([lib.jwkToPem(jwk), lib.generateKeyPair('ES256'), lib.generateSecret('HS256')]);
    const back = await lib.pemToJwk(spki);
    const pkcs8 = await lib.jwkToPem(pair.privateJwk);
    const again = await lib.pemToJwk(pkcs8);
    return [back.x === jwk.x, again.d === pair.privateJwk.d, secret.kty];
  }, { jwk });
  assert.deepEqual(converted, [true, true, 'oct']);
  await page.close();
  assert.equal(count(requests, /^jwt_edge_keys_bg\.wasm$/), 1, requests.join(', '));
  assert.equal(count(requests, /^jwt_edge_keys\.js$/), 1, requests.join(', '));
  assert.equal(count(requests, /^jwt_edge_tokens_bg\.wasm$/), 1, requests.join(', '));
});

test('Vite production build, loaded in Chromium', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-vite-'));
  try {
    cpSync(join(here, 'browser', 'vite'), dir, { recursive: true });
    cpSync(join(here, 'browser', 'checks.js'), join(dir, 'checks.js'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(root, 'pkg'), join(dir, 'node_modules', 'jwt-edge'), 'dir');
    await build({
      root: dir,
      logLevel: 'silent',
      configFile: false,
      build: { outDir: join(dir, 'dist'), emptyOutDir: true, rollupOptions: { input: { checks: join(dir, 'index.html'), verify: join(dir, 'verify.html') } } },
    });
    const assets = readdirSync(join(dir, 'dist', 'assets'));
    const wasm = assets.filter((name) => name.endsWith('.wasm'));
    assert.equal(wasm.length, 2, `both modules are emitted as assets: ${assets}`);
    const tokensWasm = wasm.find((name) => name.startsWith('jwt_edge_tokens_bg'));
    const keysWasm = wasm.find((name) => name.startsWith('jwt_edge_keys_bg'));
    assert.ok(tokensWasm && keysWasm, `asset names: ${wasm}`);
    const server = await serve(join(dir, 'dist'));
    servers.push(server);
    const base = `http://127.0.0.1:${server.address().port}`;
    const requests = [];
    const out = await results(`${base}/index.html`, { requests });
    assert.deepEqual(out, EXPECTED);
    assert.deepEqual(requests.filter((name) => name.endsWith('.wasm')).sort(), [keysWasm, tokensWasm].sort());
    // The verify-only page of the same build: the key module's wasm is never fetched.
    const verifyRequests = [];
    assert.deepEqual(await results(`${base}/verify.html`, { input: signedToken(), requests: verifyRequests }), { sub: 'verify-only' });
    assert.deepEqual(verifyRequests.filter((name) => name.endsWith('.wasm')), [tokensWasm]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
