// Browser and bundler entry (the `browser` and `default` conditions): the
// wasm is fetched next to this file. Asynchronous functions load it by
// themselves on first use; synchronous ones (jwkToPem, pemToJwk,
// jwkThumbprint, decodeJwt, lintClaims, errorCodes) need `await init()` (the
// default export) once before. Signatures go to WebCrypto where it exists, to
// wasm otherwise.
import * as glue from './jwt_edge_keys.js';
import initGlue from './jwt_edge_keys.js';
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

const api = createApi(glue, {
  subtle: globalThis.crypto && globalThis.crypto.subtle,
  init: load,
  isReady: () => ready,
});

const ensureReady = api.init;
/** Loads the wasm; pass a URL, Response, bytes or a compiled Module to load it from elsewhere. */
api.init = (input) => (input === undefined ? ensureReady() : load(input).then(ensureReady));

// npm/build.mjs writes every name of the API object here.
export const { /* API */ } = api;
export { JwtEdgeError };
export default api.init;
