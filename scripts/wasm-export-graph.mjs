// Prints the graph binaryen's `wasm-metadce` takes to keep every export of
// a module except the named ones (and whatever only they reach):
//
//     node scripts/wasm-export-graph.mjs MODULE.wasm NAME... > graph.json
//
// Used by `make build-edge`. The export list comes from the engine itself
// (WebAssembly.Module.exports), so no wasm parsing happens here.
import { readFileSync } from 'node:fs';

const [path, ...dropped] = process.argv.slice(2);
if (path === undefined) {
  console.error('usage: wasm-export-graph.mjs MODULE.wasm NAME...');
  process.exit(2);
}
const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path)));
const kept = exports.filter(({ name }) => !dropped.includes(name));
const node = (name) => `export:${name}`;
const graph = [
  { name: 'host', root: true, reaches: kept.map(({ name }) => node(name)) },
  ...kept.map(({ name }) => ({ name: node(name), export: name })),
];
process.stdout.write(`${JSON.stringify(graph, null, 1)}\n`);
