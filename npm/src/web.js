// Browser and bundler entry (the `browser` and `default` conditions): the
// token module's wasm is fetched next to this file; asynchronous functions
// load it by themselves on first use, and synchronous ones (jwkThumbprint,
// decodeJwt, lintClaims, errorCodes) need `await init()` (the default export)
// once before. The key module (its glue and its wasm, a separate chunk for a
// bundler) is fetched only by the first call that needs it: a conversion,
// key generation, certificates, the wasm backend, or a key only it parses.
// Signatures go to WebCrypto where it exists, to wasm otherwise.
import * as glue from './jwt_edge_tokens.js';
import initGlue from './jwt_edge_tokens.js';
import { createApi, JwtEdgeError } from './api.js';

let ready = false;
let loading;

async function load(input) {
  if (ready) return;
  if (loading === undefined) {
    loading = initGlue(input === undefined ? undefined : { module_or_path: input }).then(() => {
      ready = true;
    });
    loading.catch(() => {
      loading = undefined;
    });
  }
  try {
    await loading;
  } catch (error) {
    throw new JwtEdgeError('ERR_WASM_NOT_INITIALIZED', `cannot load jwt-edge's wasm: ${error && error.message}`);
  }
}

/** The key module's glue, imported now, and its wasm instantiated (fetched beside the glue unless `input` says where). */
async function loadKeyModule(input) {
  const keys = await import('./jwt_edge_keys.js');
  await keys.default(input === undefined ? undefined : { module_or_path: input });
  return keys;
}

const api = createApi(glue, {
  subtle: globalThis.crypto && globalThis.crypto.subtle,
  init: load,
  isReady: () => ready,
  loadKeys: loadKeyModule,
});

const ensureReady = api.init;
/** Loads the wasm; pass a URL, Response, bytes or a compiled Module to load it from elsewhere. */
api.init = (input) => (input === undefined ? ensureReady() : load(input).then(ensureReady));

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError };
export default api.init;
