// Deno entry (the `deno` condition): a source-phase import gives the compiled
// `WebAssembly.Module` without reading the file through the permission
// system, so `deno run` needs no --allow-read. Ready at import: call any
// function, no init step. (Bun takes the Node entry: it has no source-phase
// wasm import.)
import source wasm from './jwt_edge_keys_bg.wasm';
import { instantiate } from './sync.js';

const api = instantiate(wasm);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
