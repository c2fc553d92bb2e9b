// Assembles the npm package in ../pkg from the wasm-bindgen output, the
// optimised wasm and the sources in ./src. Run by `make build-js`:
//   node npm/build.mjs <bindgen-dir> <wasm-file> <out-dir> <version>
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [bindgen, wasmFile, out, version] = process.argv.slice(2);
if (!bindgen || !wasmFile || !out || !version) {
  console.error('usage: node build.mjs <bindgen-dir> <wasm-file> <out-dir> <version>');
  process.exit(2);
}

/** ESM to CommonJS for the two ESM files shipped in both forms (the wasm-bindgen glue and api.js). */
function toCommonJs(source, file) {
  const names = new Map();
  const lines = source.split('\n').flatMap((line) => {
    let match = line.match(/^export (async function|function|class) ([A-Za-z_$][\w$]*)/);
    if (match) {
      names.set(match[2], match[2]);
      return [line.slice('export '.length)];
    }
    match = line.match(/^export \{([^}]*)\};?\s*$/);
    if (match) {
      for (const part of match[1].split(',')) {
        const [local, exported = local] = part.trim().split(/\s+as\s+/);
        if (local) names.set(exported.trim(), local.trim());
      }
      return [];
    }
    if (/^\s*(import|export)\b/.test(line) && !/^\s*import\(/.test(line)) {
      throw new Error(`${file}: cannot convert this line to CommonJS: ${line}`);
    }
    return [line.replaceAll('import.meta.url', "require('node:url').pathToFileURL(__filename)")];
  });
  if (names.size === 0) throw new Error(`${file}: no exports found`);
  const exports = [...names].map(([exported, local]) => `  ${JSON.stringify(exported)}: ${local},`).join('\n');
  return `'use strict';\n${lines.join('\n')}\nmodule.exports = {\n${exports}\n};\n`;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const glue = readFileSync(join(bindgen, 'jwt_edge.js'), 'utf8');
writeFileSync(join(out, 'jwt_edge.js'), glue);
writeFileSync(join(out, 'jwt_edge.cjs'), toCommonJs(glue, 'jwt_edge.js'));
const api = readFileSync(join(here, 'src', 'api.js'), 'utf8');
writeFileSync(join(out, 'api.js'), api);
writeFileSync(join(out, 'api.cjs'), toCommonJs(api, 'api.js'));
for (const file of ['node.cjs', 'node.mjs', 'web.js']) copyFileSync(join(here, 'src', file), join(out, file));
copyFileSync(wasmFile, join(out, 'jwt_edge_bg.wasm'));
const types = readFileSync(join(here, 'src', 'index.d.ts'), 'utf8');
writeFileSync(join(out, 'index.d.ts'), types);
writeFileSync(join(out, 'index.d.cts'), types);
copyFileSync(join(here, 'README.md'), join(out, 'README.md'));

const manifest = JSON.parse(readFileSync(join(here, 'template', 'package.json'), 'utf8'));
manifest.version = version;
writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`jwt-edge ${version} written to ${out}`);
