// The package as installed: the exports map through `import` and `require`
// in Node, the files it lists, and the package.json fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkgDir } from './helpers.mjs';

const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

test('package.json: exports map, sideEffects, files present', () => {
  assert.equal(manifest.name, 'jwt-edge');
  assert.equal(manifest.sideEffects, false);
  assert.ok(manifest.exports['.'].node.import);
  assert.ok(manifest.exports['.'].node.require);
  assert.equal(manifest.exports['.'].default, './web.js');
  for (const file of manifest.files) assert.ok(existsSync(join(pkgDir, file)), `${file} is in pkg/`);
});

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-edge-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(pkgDir, join(dir, 'node_modules', 'jwt-edge'), 'dir');
  return dir;
}

const script = (load) => `
${load}
const { generateKeyPair, signJwt, verifyJwt, decodeJwt, JwtEdgeError } = lib;
(async () => {
  const { privateJwk, publicJwk } = await generateKeyPair('EdDSA');
  const token = await signJwt({ sub: 'consumer' }, privateJwk);
  const { payload } = await verifyJwt(token, publicJwk);
  let code;
  try { decodeJwt('nope'); } catch (e) { code = e instanceof JwtEdgeError && e.code; }
  console.log(JSON.stringify({ sub: payload.sub, code, backend: lib.getCryptoBackend(), init: typeof (lib.default ?? lib.init) }));
})();
`;

test('Node: require("jwt-edge") and import("jwt-edge") both work, from a fresh process', () => {
  const dir = project();
  try {
    writeFileSync(join(dir, 'a.cjs'), script("const lib = require('jwt-edge');"));
    writeFileSync(join(dir, 'b.mjs'), script("import * as lib from 'jwt-edge';"));
    for (const file of ['a.cjs', 'b.mjs']) {
      const out = JSON.parse(execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }));
      assert.deepEqual(out, { sub: 'consumer', code: 'ERR_JWS_INVALID', backend: 'node', init: 'function' }, file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('index.d.ts: no `any` in a public signature', () => {
  const types = readFileSync(join(pkgDir, 'index.d.ts'), 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(types, /\bany\b/);
  assert.equal(readFileSync(join(pkgDir, 'index.d.cts'), 'utf8'), readFileSync(join(pkgDir, 'index.d.ts'), 'utf8'));
});
