// The one place the playground touches the npm package: the browser build in
// ./pkg (copied there by `make build-www`). Loading the token module is the
// single awaited call at start; the key module (conversions, generation,
// certificates) loads by itself on the first call that needs it, so those
// functions return Promises.
import init, * as jwtEdge from './pkg/web.js';

export const ready = () => init();

export const {
  jwkToPem,
  pemToJwk,
  jwkThumbprint,
  generateKeyPair,
  generateSecret,
  decodeJwt,
  signJwt,
  verifyJwt,
  verifyReport,
  buildAssertion,
  lintClaims,
  createCertificate,
  createCsr,
  inspectCertificate,
  keyMatchesCertificate,
  createDpopProof,
  dpopReport,
  JwtEdgeError,
} = jwtEdge;
