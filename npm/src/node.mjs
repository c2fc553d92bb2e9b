// Node `import` entry: the same instance as `require('jwt-edge')`, so that
// one JwtEdgeError class and one key cache serve both module systems.
import api from './node.cjs';

export const {
  init,
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
  JwtEdgeError,
} = api;

export default init;
