// `make bench-js`, second part: verifyJwt and signJwt of jwt-edge against
// jose, both imported in the same runtime process, for Node, Deno and Bun
// (npm/test/runtimes/drive.mjs runs this file in each, from a project where
// `jwt-edge` is the packed package). Rounds interleaved, median of the
// rounds, ops/sec. A benchmark, not a test: it asserts nothing.
import * as je from 'jwt-edge';
import * as jose from 'jose';
import { FIXTURES } from './fixtures.js';
import { compare, ROUNDS, ROUND_MS } from './measure.mjs';

const FAMILY = { RS256: 'rsa', PS256: 'rsa', ES256: 'p256', ES384: 'p384', EdDSA: 'ed25519' };

const runtime = globalThis.Deno ? `Deno ${Deno.version.deno}` : globalThis.Bun ? `Bun ${Bun.version}` : `Node ${process.version}`;

const claims = { iss: 'https://issuer.example', sub: 'alice', aud: 'api', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 };
const rows = [];
for (const alg of [...Object.keys(FAMILY), 'HS256']) {
  const keys = alg === 'HS256'
    ? { privateJwk: FIXTURES.secret, publicJwk: FIXTURES.secret }
    : FIXTURES.keys[FAMILY[alg]];
  const joseSign = await jose.importJWK({ ...keys.privateJwk, alg }, alg);
  const joseVerify = await jose.importJWK({ ...keys.publicJwk, alg }, alg);
  const token = await new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(joseSign);
  const options = { algorithms: [alg], issuer: 'https://issuer.example', audience: 'api' };
  const verify = {
    'jwt-edge': () => je.verifyJwt(token, keys.publicJwk, options),
    jose: () => jose.jwtVerify(token, joseVerify, options),
  };
  const sign = {
    'jwt-edge': () => je.signJwt(claims, keys.privateJwk, { alg }),
    jose: () => new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(joseSign),
  };
  for (const fn of Object.values(verify)) await fn();
  for (const [operation, contenders] of [['verifyJwt', verify], ['signJwt', sign]]) rows.push({ operation, alg, ...(await compare(contenders)) });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`jwt-edge vs jose, ${runtime}, jwt-edge backend ${je.getCryptoBackend()}; median of ${ROUNDS} rounds of ${ROUND_MS} ms, ops/sec\n`);
console.log('| operation | alg | jwt-edge | jose | jwt-edge / jose |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const row of rows) console.log(`| ${row.operation} | ${row.alg} | ${fmt(row['jwt-edge'])} | ${fmt(row.jose)} | ${(row['jwt-edge'] / row.jose).toFixed(2)}x |`);
