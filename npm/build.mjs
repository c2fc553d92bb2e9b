// Assembles the npm package in ../pkg from the wasm-bindgen output of the
// two modules (MODULES: jwt_edge_<name>.js and the optimised
// jwt_edge_<name>_opt.wasm in <bindgen-dir>) and the sources in ./src. Run by
// `make build-js`:
//   node npm/build.mjs <bindgen-dir> <out-dir> <version>
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [bindgen, out, version] = process.argv.slice(2);
if (!bindgen || !out || !version) {
  console.error('usage: node build.mjs <bindgen-dir> <out-dir> <version>');
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

/**
 * The public names: the members of the object createApi builds (api.js is
 * the single list). Every ESM entry has one `export const { ... } = api;`
 * line whose list is the marker comment API, filled here, so a function added
 * to api.js is exported by every entry.
 */
async function apiNames() {
  const { createApi } = await import(pathToFileURL(join(here, 'src', 'api.js')).href);
  const names = Object.keys(createApi({}, { init: async () => {}, isReady: () => false }));
  if (!names.includes('verifyJwt')) throw new Error(`api.js: unexpected API names ${names.join(', ')}`);
  return names;
}

function fillExports(source, file, names) {
  const marker = '/* API */';
  if (source.split(marker).length !== 2) throw new Error(`${file}: expected exactly one ${marker} export list`);
  return source.replace(/ ?\/\* API \*\/ ?/, `\n${names.map((name) => `  ${name},\n`).join('')}  `);
}

// One entry per runtime (see the exports map in template/package.json).
const ESM_ENTRIES = ['web.js', 'node.mjs', 'workerd.js', 'edge-light.js', 'deno.js'];
// Copied as they are: the loaders the entries share or import later.
const HELPERS = ['node.cjs', 'sync.js', 'deno-keys.js'];
// The token module (loaded at start) and the key module (loaded on demand).
const MODULES = ['tokens', 'keys'];

const names = await apiNames();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// sync.js instantiates a compiled Module itself (initSync's `instanceof`
// fails for a Module from another realm, as in Next.js's local edge sandbox,
// and would then compile it as bytes): it needs the glue's imports and
// finaliser, which wasm-bindgen (pinned exactly) keeps private.
const GLUE_INTERNALS = ['__wbg_get_imports', '__wbg_finalize_init'];
for (const name of MODULES) {
  const file = `jwt_edge_${name}.js`;
  let glue = readFileSync(join(bindgen, file), 'utf8');
  for (const internal of GLUE_INTERNALS) {
    if (!new RegExp(`^function ${internal}\\(`, 'm').test(glue)) throw new Error(`wasm-bindgen glue ${file}: no function ${internal}`);
  }
  glue += `\n// Added by npm/build.mjs for sync.js.\nexport { ${GLUE_INTERNALS.join(', ')} };\n`;
  writeFileSync(join(out, file), glue);
  writeFileSync(join(out, `jwt_edge_${name}.cjs`), toCommonJs(glue, file));
  copyFileSync(join(bindgen, `jwt_edge_${name}_opt.wasm`), join(out, `jwt_edge_${name}_bg.wasm`));
}
const api = readFileSync(join(here, 'src', 'api.js'), 'utf8');
writeFileSync(join(out, 'api.js'), api);
writeFileSync(join(out, 'api.cjs'), toCommonJs(api, 'api.js'));
for (const file of ESM_ENTRIES) {
  writeFileSync(join(out, file), fillExports(readFileSync(join(here, 'src', file), 'utf8'), file, names));
}
for (const file of HELPERS) copyFileSync(join(here, 'src', file), join(out, file));
const types = readFileSync(join(here, 'src', 'index.d.ts'), 'utf8');
writeFileSync(join(out, 'index.d.ts'), types);
writeFileSync(join(out, 'index.d.cts'), types);
copyFileSync(join(here, 'README.md'), join(out, 'README.md'));

const manifest = JSON.parse(readFileSync(join(here, 'template', 'package.json'), 'utf8'));
manifest.version = version;
const shipped = new Set([...manifest.files, ...ESM_ENTRIES, ...HELPERS]);
if (shipped.size !== manifest.files.length) throw new Error('template/package.json: "files" must list every entry');
writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`jwt-edge ${version} written to ${out}`);
