// `make bench-js`: signJwt and verifyJwt operations per second of jwt-edge,
// jose and jsonwebtoken, measured in this one Node process (rounds
// interleaved, median of the rounds). The wasm modules' sizes and what a
// verify-only page downloads: bench/sizes.mjs. A benchmark, not a test: it
// asserts nothing.
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import * as je from '../../pkg/node.mjs';
import { compare, ROUNDS, ROUND_MS } from './measure.mjs';

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256'];

async function setup(alg) {
  const claims = { iss: 'https://issuer.example', sub: 'alice', aud: 'api', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 };
  if (alg === 'HS256') {
    const secret = 'a-benchmark-secret-of-at-least-32-bytes!!';
    const raw = new TextEncoder().encode(secret);
    return { claims, edgeSign: secret, edgeVerify: secret, joseSign: raw, joseVerify: raw, jwtSign: secret, jwtVerify: secret };
  }
  const { privateJwk, publicJwk } = await je.generateKeyPair(alg);
  return {
    claims,
    edgeSign: privateJwk,
    edgeVerify: publicJwk,
    joseSign: await jose.importJWK(privateJwk, alg),
    joseVerify: await jose.importJWK(publicJwk, alg),
    jwtSign: alg === 'EdDSA' ? null : createPrivateKey({ key: privateJwk, format: 'jwk' }),
    jwtVerify: alg === 'EdDSA' ? null : createPublicKey({ key: publicJwk, format: 'jwk' }),
  };
}

const rows = [];
for (const alg of ALGORITHMS) {
  const k = await setup(alg);
  const token = await new jose.SignJWT(k.claims).setProtectedHeader({ alg }).sign(k.joseSign);
  const verifyOptions = { algorithms: [alg], issuer: 'https://issuer.example', audience: 'api' };
  const verify = {
    'jwt-edge': () => je.verifyJwt(token, k.edgeVerify, verifyOptions),
    jose: () => jose.jwtVerify(token, k.joseVerify, verifyOptions),
  };
  const sign = {
    'jwt-edge': () => je.signJwt(k.claims, k.edgeSign, { alg }),
    jose: () => new jose.SignJWT(k.claims).setProtectedHeader({ alg }).sign(k.joseSign),
  };
  if (k.jwtSign) {
    verify.jsonwebtoken = () => jsonwebtoken.verify(token, k.jwtVerify, verifyOptions);
    sign.jsonwebtoken = () => jsonwebtoken.sign(k.claims, k.jwtSign, { algorithm: alg });
  }
  // Sanity: every contender accepts the token before it is timed.
  for (const fn of Object.values(verify)) await fn();
  for (const [operation, contenders] of [['verifyJwt', verify], ['signJwt', sign]]) {
    const result = await compare(contenders);
    rows.push({ operation, alg, ...result });
    process.stderr.write(`${operation} ${alg} done\n`);
  }
}

const fmt = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
console.log(`jwt-edge vs jose ${JSON.parse(readFileSync(new URL('../node_modules/jose/package.json', import.meta.url))).version} vs jsonwebtoken ${JSON.parse(readFileSync(new URL('../node_modules/jsonwebtoken/package.json', import.meta.url))).version}, Node ${process.version}, backend ${je.getCryptoBackend()}; median of ${ROUNDS} rounds of ${ROUND_MS} ms, ops/sec\n`);
console.log('| operation | alg | jwt-edge | jose | jsonwebtoken | jwt-edge / jose |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(`| ${row.operation} | ${row.alg} | ${fmt(row['jwt-edge'])} | ${fmt(row.jose)} | ${fmt(row.jsonwebtoken)} | ${(row['jwt-edge'] / row.jose).toFixed(2)}x |`);
}

// DPoP (RFC 9449), ES256 client key and ES256 access token. `dpop` only
// creates proofs and oauth4webapi only checks them together with the token
// (validateJwtAccessToken), so each row names who has the operation.
{
  const dpop = await import('dpop');
  const oauth = await import('oauth4webapi');
  const version = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))).version;
  const htu = 'https://api.example.com/v1/items';
  const as = { issuer: 'https://as.example.com', jwks_uri: 'https://as.example.com/jwks' };
  const asKey = await je.generateKeyPair('ES256', { kid: 'as' });
  const client = await dpop.generateKeyPair('ES256', { extractable: true });
  const clientJwk = await crypto.subtle.exportKey('jwk', client.privateKey);
  delete clientJwk.key_ops;
  delete clientJwk.ext;
  const jkt = await dpop.calculateThumbprint(client.publicKey);
  const t = Math.floor(Date.now() / 1000);
  const token = await je.signJwt(
    { iss: as.issuer, aud: 'api', sub: 'alice', client_id: 'app', jti: 'at-1', iat: t, exp: t + 3600, cnf: { jkt } },
    asKey.privateJwk,
    { typ: 'at+jwt' },
  );
  const proof = await je.createDpopProof(clientJwk, { htm: 'GET', htu, accessToken: token });
  const options = { [oauth.customFetch]: async () => new Response(JSON.stringify({ keys: [asKey.publicJwk] }), { headers: { 'content-type': 'application/json' } }) };
  const request = new Request(htu, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  const dpopRows = [
    ['createDpopProof', {
      'jwt-edge': () => je.createDpopProof(clientJwk, { htm: 'GET', htu, accessToken: token }),
      [`dpop ${version('dpop')}`]: () => dpop.generateProof(client, htu, 'GET', undefined, token),
    }],
    ['verifyDpopProof', {
      'jwt-edge': () => je.verifyDpopProof(proof, { htm: 'GET', htu, accessToken: token, jkt }),
    }],
    ['verifyJwt + DPoP proof', {
      'jwt-edge': () => je.verifyJwt(token, asKey.publicJwk, { audience: 'api', dpop: { proof, htm: 'GET', htu } }),
      [`oauth4webapi ${version('oauth4webapi')}`]: () => oauth.validateJwtAccessToken(as, request, 'api', options),
    }],
  ];
  console.log('\nDPoP, ES256 key and ES256 token, ops/sec (n/a: the library has no such operation)\n');
  console.log('| operation | jwt-edge | other | other ops/sec |');
  console.log('| --- | ---: | --- | ---: |');
  for (const [operation, contenders] of dpopRows) {
    for (const fn of Object.values(contenders)) await fn(); // each accepts before it is timed
    const result = await compare(contenders);
    const [other] = Object.keys(result).filter((name) => name !== 'jwt-edge');
    console.log(`| ${operation} | ${fmt(result['jwt-edge'])} | ${other ?? 'n/a'} | ${fmt(other && result[other])} |`);
  }
}
