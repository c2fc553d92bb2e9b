// The package in headless Chromium (Debian's, through playwright-core):
// imported from pkg/ with no bundler, and bundled by a Vite production
// build. Everything is served from 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
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

async function results(url) {
  const page = await context.newPage();
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

test('Chromium: pkg/ imported with <script type="module">, no bundler', async () => {
  const server = await serve(root.replace(/\/$/, ''));
  servers.push(server);
  // The page lives at /npm/test/browser; the package at /pkg.
  const base = `http://127.0.0.1:${server.address().port}`;
  const out = await results(`${base}/npm/test/browser/index.html`);
  assert.deepEqual(out, EXPECTED);
});

test('Vite production build, loaded in Chromium', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-vite-'));
  try {
    cpSync(join(here, 'browser', 'vite'), dir, { recursive: true });
    cpSync(join(here, 'browser', 'checks.js'), join(dir, 'checks.js'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(root, 'pkg'), join(dir, 'node_modules', 'jwt-edge'), 'dir');
    await build({ root: dir, logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'dist'), emptyOutDir: true } });
    const assets = readdirSync(join(dir, 'dist', 'assets'));
    assert.ok(assets.some((name) => name.endsWith('.wasm')), `the wasm is emitted as an asset: ${assets}`);
    const server = await serve(join(dir, 'dist'));
    servers.push(server);
    const out = await results(`http://127.0.0.1:${server.address().port}/index.html`);
    assert.deepEqual(out, EXPECTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
