// Deno: the key module as a compiled `WebAssembly.Module`, imported by
// deno.js on the first call that needs it (a source-phase import: no file
// read, so no --allow-read).
import source keys from './jwt_edge_keys_bg.wasm';

export default keys;
