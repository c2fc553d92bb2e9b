// Shared by the entries whose runtime hands the wasm over already compiled
// (a `WebAssembly.Module` from a wasm import: workerd.js, edge-light.js,
// deno.js). Instantiating a compiled module is synchronous and allowed where
// compiling from bytes is not (Workers, Vercel Edge), and needs no file read
// (Deno without --allow-read), so these entries are ready at import: no init
// step. Nothing here draws randomness (workerd refuses it outside a request);
// the core asks for entropy only inside the operations that need it.
// Signatures go to WebCrypto.
import * as tokensGlue from './jwt_edge_tokens.js';
import * as keysGlue from './jwt_edge_keys.js';
import { createApi } from './api.js';

/** Instantiates `glue`'s wasm from `module` (a compiled `WebAssembly.Module`). */
function start(glue, module, file) {
  // A brand check, not `instanceof`: Next.js's local edge sandbox (next start,
  // next dev) hands over a Module compiled in the host's realm.
  if (Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {
    throw new TypeError(`jwt-edge: ${file} was imported as ${Object.prototype.toString.call(module)}, not as a compiled WebAssembly.Module`);
  }
  glue.__wbg_finalize_init(new WebAssembly.Instance(module, glue.__wbg_get_imports()), module);
  return glue;
}

/**
 * The API over the token module `tokens` (a compiled `WebAssembly.Module`),
 * instantiated now, and the key module `keys`: a compiled Module too (the
 * runtimes that forbid compiling at run time import both files), instantiated
 * on the first call that needs it, or a function resolving to one (Deno's
 * lazy import).
 */
export function instantiate(tokens, keys) {
  start(tokensGlue, tokens, 'jwt_edge_tokens_bg.wasm');
  const compiled = typeof keys !== 'function';
  const platform = {
    subtle: globalThis.crypto && globalThis.crypto.subtle,
    init: async () => {},
    isReady: () => true,
    loadKeys: compiled
      ? async () => start(keysGlue, keys, 'jwt_edge_keys_bg.wasm')
      : async () => start(keysGlue, await keys(), 'jwt_edge_keys_bg.wasm'),
  };
  if (compiled) platform.loadKeysSync = () => start(keysGlue, keys, 'jwt_edge_keys_bg.wasm');
  return createApi(tokensGlue, platform);
}
