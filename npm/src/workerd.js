// Cloudflare Workers entry (the `workerd` condition; wrangler and workerd
// resolve it): workerd compiles an imported .wasm file itself and hands over
// a `WebAssembly.Module`, the only way it runs wasm (compiling bytes at run
// time is refused). Ready at import: call any function, no init step.
import wasm from './jwt_edge_keys_bg.wasm';
import { instantiate } from './sync.js';

const api = instantiate(wasm);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
