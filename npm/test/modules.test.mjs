// The package as installed: the exports map through `import` and `require`
// in Node, the files it lists, and the package.json fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const require = createRequire(join(pkgDir, 'package.json'));

const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

test('package.json: an entry per runtime, runtime conditions first, sideEffects, files present', () => {
  assert.equal(manifest.name, 'jwt-edge');
  const entries = manifest.exports['.'];
  assert.deepEqual(Object.keys(entries), ['workerd', 'edge-light', 'deno', 'bun', 'node', 'types', 'browser', 'default']);
  assert.equal(entries.workerd.default, './workerd.js');
  assert.equal(entries['edge-light'].default, './edge-light.js');
  assert.equal(entries.deno.default, './deno.js');
  assert.deepEqual(entries.bun, entries.node);
  assert.equal(entries.node.import.default, './node.mjs');
  assert.equal(entries.node.require.default, './node.cjs');
  assert.equal(entries.default, './web.js');
  // Both modules, as files and as `?module` imports (what edge-light.js imports).
  for (const name of ['tokens', 'keys']) {
    assert.equal(manifest.exports[`./jwt_edge_${name}_bg.wasm`], `./jwt_edge_${name}_bg.wasm`);
    assert.equal(manifest.exports[`./jwt_edge_${name}_bg.wasm?module`], `./jwt_edge_${name}_bg.wasm?module`);
  }
  // The entries that instantiate the wasm when imported are kept by bundlers.
  assert.deepEqual(manifest.sideEffects, ['./node.cjs', './node.mjs', './workerd.js', './edge-light.js', './deno.js']);
  for (const file of manifest.files) assert.ok(existsSync(join(pkgDir, file)), `${file} is in pkg/`);
});

test('every entry exports the same names: the whole API, JwtEdgeError and the default init', async () => {
  const api = await import(join(pkgDir, 'node.mjs'));
  const names = Object.keys(api).sort();
  assert.ok(names.includes('verifyJwt') && names.includes('JwtEdgeError') && names.includes('default') && names.includes('init'));
  for (const entry of ['web.js', 'workerd.js', 'edge-light.js', 'deno.js']) {
    const source = readFileSync(join(pkgDir, entry), 'utf8');
    const exported = [...source.matchAll(/^export const \{([^}]*)\} = api;$/gm)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean));
    const others = [...source.matchAll(/^export (?:\{ (\w+) \}|default)/gm)].map((m) => m[1] ?? 'default');
    assert.deepEqual([...exported, ...others].sort(), names, entry);
  }
  const required = require('./node.cjs');
  assert.deepEqual(Object.keys(required).sort(), names, 'node.cjs');
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
