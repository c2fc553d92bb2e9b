// Shared by the entries whose runtime hands the wasm over already compiled
// (a `WebAssembly.Module` from a wasm import: workerd.js, edge-light.js,
// deno.js). Instantiating a compiled module is synchronous and allowed where
// compiling from bytes is not (Workers, Vercel Edge), and needs no file read
// (Deno without --allow-read), so these entries are ready at import: no init
// step. Nothing here draws randomness (workerd refuses it outside a request);
// the core asks for entropy only inside the operations that need it.
// Signatures go to WebCrypto.
import * as glue from './jwt_edge_keys.js';
import { createApi } from './api.js';

/** The API over a wasm instance of `module` (a compiled `WebAssembly.Module`). */
export function instantiate(module) {
  // A brand check, not `instanceof`: Next.js's local edge sandbox (next start,
  // next dev) hands over a Module compiled in the host's realm.
  if (Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {
    throw new TypeError(`jwt-edge: jwt_edge_keys_bg.wasm was imported as ${Object.prototype.toString.call(module)}, not as a compiled WebAssembly.Module`);
  }
  glue.__wbg_finalize_init(new WebAssembly.Instance(module, glue.__wbg_get_imports()), module);
  const api = createApi(glue, {
    subtle: globalThis.crypto && globalThis.crypto.subtle,
    init: async () => {},
    isReady: () => true,
  });
  return api;
}
