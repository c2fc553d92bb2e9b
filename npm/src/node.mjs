// Node and Bun `import` entry: the same instance as `require('jwt-edge')`, so
// that one JwtEdgeError class and one key cache serve both module systems.
import api from './node.cjs';

// npm/build.mjs writes every name of the API object here.
export const { /* API */ JwtEdgeError } = api;
export default api.init;
