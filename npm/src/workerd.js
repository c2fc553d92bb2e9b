// Cloudflare Workers entry (the `workerd` condition; wrangler and workerd
// resolve it): workerd compiles an imported .wasm file itself and hands over
// a `WebAssembly.Module`, the only way it runs wasm (compiling bytes at run
// time is refused), so both modules are imported here; the key module is
// instantiated on the first call that needs it. Ready at import: call any
// function, no init step.
import tokens from './jwt_edge_tokens_bg.wasm';
import keys from './jwt_edge_keys_bg.wasm';
import { instantiate } from './sync.js';

const api = instantiate(tokens, keys);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
