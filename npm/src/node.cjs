'use strict';
// Node entry (require, and import through node.mjs): the wasm is loaded
// synchronously at require time, and signatures go to Node's crypto.
const fs = require('node:fs');
const path = require('node:path');
const nodeCrypto = require('node:crypto');
const glue = require('./jwt_edge_keys.cjs');
const { createApi, JwtEdgeError } = require('./api.cjs');

glue.initSync({ module: fs.readFileSync(path.join(__dirname, 'jwt_edge_keys_bg.wasm')) });

const api = createApi(glue, {
  nodeCrypto,
  subtle: globalThis.crypto && globalThis.crypto.subtle,
  init: async () => {},
  isReady: () => true,
});

module.exports = { ...api, JwtEdgeError, default: api.init };
