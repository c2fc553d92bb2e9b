// Browser and bundler entry: `await init()` once (the default export) loads
// the wasm; asynchronous functions also load it on first use. Signatures go
// to WebCrypto where it exists, to wasm otherwise.
import * as glue from './jwt_edge.js';
import initGlue from './jwt_edge.js';
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

/** Loads the wasm; pass a URL, Response or bytes to load it from elsewhere. */
export default function init(input) {
  return input === undefined ? api.init() : load(input).then(() => api.init());
}

export const {
  setCryptoBackend,
  getCryptoBackend,
  errorCodes,
  jwkToPem,
  pemToJwk,
  jwkThumbprint,
  generateKeyPair,
  generateSecret,
  decodeJwt,
  signJwt,
  verifyJwt,
  buildAssertion,
  verifyAssertion,
  verifyReport,
  lintClaims,
  createCertificate,
  createCsr,
  inspectCertificate,
  keyMatchesCertificate,
} = api;

export { init, JwtEdgeError };
