// Vercel Edge entry (the `edge-light` condition: Next.js middleware and edge
// routes): `?module` asks the bundler for a compiled `WebAssembly.Module`,
// the only form that runtime accepts (compiling bytes at run time is
// refused), so both modules are imported here; the key module is
// instantiated on the first call that needs it. Ready at import: call any
// function, no init step.
import tokens from './jwt_edge_tokens_bg.wasm?module';
import keys from './jwt_edge_keys_bg.wasm?module';
import { instantiate } from './sync.js';

const api = instantiate(tokens, keys);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
