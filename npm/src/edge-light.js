// Vercel Edge entry (the `edge-light` condition: Next.js middleware and edge
// routes): `?module` asks the bundler for a compiled `WebAssembly.Module`,
// the only form that runtime accepts (compiling bytes at run time is
// refused). Ready at import: call any function, no init step.
import wasm from './jwt_edge_keys_bg.wasm?module';
import { instantiate } from './sync.js';

const api = instantiate(wasm);

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError } from './api.js';
export default api.init;
