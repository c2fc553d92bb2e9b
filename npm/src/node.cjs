'use strict';
// Node entry (require, and import through node.mjs): the token module is
// loaded synchronously at require time, the key module on the first call
// that needs it, and signatures go to Node's crypto.
const fs = require('node:fs');
const path = require('node:path');
const nodeCrypto = require('node:crypto');
const tokens = require('./jwt_edge_tokens.cjs');
const { createApi, JwtEdgeError } = require('./api.cjs');

const KEYS_WASM = path.join(__dirname, 'jwt_edge_keys_bg.wasm');

tokens.initSync({ module: fs.readFileSync(path.join(__dirname, 'jwt_edge_tokens_bg.wasm')) });

const api = createApi(tokens, {
  nodeCrypto,
  subtle: globalThis.crypto && globalThis.crypto.subtle,
  init: async () => {},
  isReady: () => true,
  // Read and compiled off the main thread; instantiated (quick) by the glue.
  // The glue keeps its first instance, should loadKeysSync have won the race.
  async loadKeys() {
    const module = await WebAssembly.compile(await fs.promises.readFile(KEYS_WASM));
    const keys = require('./jwt_edge_keys.cjs');
    keys.initSync({ module });
    return keys;
  },
  // For a synchronous function (decodeJwt, jwkThumbprint, lintClaims) given
  // an input only the key module handles, before anything loaded it.
  loadKeysSync() {
    const keys = require('./jwt_edge_keys.cjs');
    keys.initSync({ module: fs.readFileSync(KEYS_WASM) });
    return keys;
  },
});

module.exports = { ...api, JwtEdgeError, default: api.init };
