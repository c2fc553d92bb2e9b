// `make bench-js`: the size of each wasm module of the package (raw and
// gzipped), and the bytes a page that only verifies a token downloads,
// measured in headless Chromium (Debian's, through playwright-core): the
// page imports pkg/web.js with no bundler and calls verifyJwt once; every
// response is recorded with its transferred (encoded) and decoded size. The
// server gzips as a CDN would (level 9, when the browser accepts it).
// A measurement, not a test: it asserts only that the page verified.
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateKeyPairSync, sign } from 'node:crypto';
import { chromium } from 'playwright-core';

const pkg = fileURLToPath(new URL('../../pkg/', import.meta.url));
const MODULES = ['tokens', 'keys'];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const gzip = (bytes) => gzipSync(bytes, { level: 9 });
const fmt = (n) => n.toLocaleString('en-US');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// A page that verifies the token the script hands it, and nothing else.
const PAGE = `<!doctype html><meta charset="utf-8"><title>verify only</title>
<script type="module">
  import { verifyJwt } from '/pkg/web.js';
  const { token, jwk } = window.__input;
  verifyJwt(token, jwk).then(({ payload }) => { window.__done = payload.sub; }, (e) => { window.__done = 'error ' + e.code; });
</script>`;

function serve() {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (path === '/verify.html') {
      response.writeHead(200, { 'content-type': TYPES['.html'] }).end(PAGE);
      return;
    }
    const file = join(pkg, path.replace(/^\/pkg\//, ''));
    if (!path.startsWith('/pkg/') || !file.startsWith(pkg) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    let body = readFileSync(file);
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
      body = gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    response.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function signedToken() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256' })}.${part({ sub: 'bench', exp: Math.floor(Date.now() / 1000) + 600 })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return { token: `${input}.${signature}`, jwk: publicKey.export({ format: 'jwk' }) };
}

console.log('| module | raw | gzipped (level 9) |');
console.log('| --- | ---: | ---: |');
for (const name of MODULES) {
  const bytes = readFileSync(join(pkg, `jwt_edge_${name}_bg.wasm`));
  const zipped = gzip(bytes).length;
  console.log(`| ${name} (pkg/jwt_edge_${name}_bg.wasm) | ${fmt(bytes.length)} B (${kb(bytes.length)}) | ${fmt(zipped)} B (${kb(zipped)}) |`);
}

const server = await serve();
const profile = mkdtempSync(join(tmpdir(), 'jwt-edge-bench-chromium-'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.addInitScript((input) => { window.__input = input; }, signedToken());
  const responses = [];
  page.on('requestfinished', (request) => responses.push(request));
  await page.goto(`http://127.0.0.1:${server.address().port}/verify.html`);
  await page.waitForFunction(() => window.__done !== undefined, null, { timeout: 60_000 });
  const done = await page.evaluate(() => window.__done);
  if (done !== 'bench') throw new Error(`the verify-only page did not verify: ${done}`);
  const rows = [];
  for (const request of responses) {
    const sizes = await request.sizes();
    const response = await request.response();
    const name = new URL(request.url()).pathname.split('/').pop();
    rows.push({ name, transferred: sizes.responseBodySize, decoded: (await response.body()).length });
  }
  const wasm = rows.filter((row) => row.name.endsWith('.wasm'));
  const sum = (list, key) => list.reduce((total, row) => total + row[key], 0);
  console.log(`\nA verify-only page in Chromium ${browser.version()} (pkg/web.js, no bundler, verifyJwt once; gzip from the server):\n`);
  console.log('| request | transferred (gzip) | decoded |');
  console.log('| --- | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.name} | ${fmt(row.transferred)} B | ${fmt(row.decoded)} B |`);
  console.log(`\nwasm downloaded by the verify-only page: ${wasm.map((row) => row.name).join(', ')}: ${fmt(sum(wasm, 'transferred'))} B gzipped (${kb(sum(wasm, 'transferred'))}), ${fmt(sum(wasm, 'decoded'))} B raw`);
  console.log(`everything it downloaded: ${fmt(sum(rows, 'transferred'))} B transferred, ${fmt(sum(rows, 'decoded'))} B decoded`);
  if (wasm.some((row) => row.name.startsWith('jwt_edge_keys'))) console.log('NOTE: the key module was fetched by a verify-only page');
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
