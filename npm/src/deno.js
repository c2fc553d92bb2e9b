// Deno entry (the `deno` condition): a source-phase import gives the compiled
// `WebAssembly.Module` without reading the file through the permission
// system, so `deno run` needs no --allow-read. The token module is imported
// so, ready at import: call any function, no init step. The key module is
// imported the same way by deno-keys.js, itself imported on the first call
// that needs it. (Bun takes the Node entry: it has no source-phase wasm
// import.)
import source tokens from './jwt_edge_tokens_bg.wasm';
import { instantiate } from './sync.js';

const api = instantiate(tokens, async () => (await import('./deno-keys.js')).default);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
