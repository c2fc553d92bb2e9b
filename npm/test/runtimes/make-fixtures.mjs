// Writes fixtures.js, the known keys and tokens of the runtime-neutral suite:
// PEMs made by the openssl CLI, their JWKs as Node's crypto exports them, and
// tokens signed by Node's crypto. Run once by hand (the output is committed,
// so every runtime reads the same bytes without a file system):
//   node npm/test/runtimes/make-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { createHmac, createPrivateKey, createPublicKey, sign, constants } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const openssl = (args, input) => execFileSync('openssl', args, { input, encoding: 'utf8' });
const b64url = (data) => Buffer.from(data).toString('base64url');

function keyFamily(name, genArgs, forms) {
  const pkcs8 = openssl(['genpkey', ...genArgs]);
  const spki = openssl(['pkey', '-pubout'], pkcs8);
  const pems = { pkcs8, spki };
  for (const [form, args] of Object.entries(forms)) pems[form] = openssl(args, pkcs8);
  return {
    name,
    pems,
    privateJwk: createPrivateKey(pkcs8).export({ format: 'jwk' }),
    publicJwk: createPublicKey(pkcs8).export({ format: 'jwk' }),
  };
}

const keys = {
  rsa: keyFamily('RSA 2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], {
    pkcs1: ['rsa', '-traditional'],
    pkcs1Public: ['rsa', '-RSAPublicKey_out'],
  }),
  p256: keyFamily('EC P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { sec1: ['ec'] }),
  p384: keyFamily('EC P-384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], { sec1: ['ec'] }),
  ed25519: keyFamily('Ed25519', ['-algorithm', 'ED25519'], {}),
};

const claims = { iss: 'https://issuer.example', sub: 'fixture', aud: 'api', iat: 1_700_000_000, exp: 4_102_444_800 };
const secret = b64url(Buffer.alloc(64, 7));
const SIGNERS = {
  RS256: ['rsa', 'sha256'], RS384: ['rsa', 'sha384'], RS512: ['rsa', 'sha512'],
  PS256: ['rsa', 'sha256', 'pss'], PS384: ['rsa', 'sha384', 'pss'], PS512: ['rsa', 'sha512', 'pss'],
  ES256: ['p256', 'sha256'], ES384: ['p384', 'sha384'], EdDSA: ['ed25519', null],
  HS256: [null, 'sha256'], HS384: [null, 'sha384'], HS512: [null, 'sha512'],
};
const tokens = {};
for (const [alg, [family, hash, pss]] of Object.entries(SIGNERS)) {
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', kid: family ?? 'hmac' }))}.${b64url(JSON.stringify(claims))}`;
  let signature;
  if (family === null) {
    signature = createHmac(hash, Buffer.from(secret, 'base64url')).update(input).digest();
  } else {
    const key = { key: createPrivateKey(keys[family].pems.pkcs8) };
    if (pss) Object.assign(key, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    if (family.startsWith('p')) key.dsaEncoding = 'ieee-p1363';
    signature = sign(hash, Buffer.from(input), key);
  }
  tokens[alg] = `${input}.${b64url(signature)}`;
}

const here = dirname(fileURLToPath(import.meta.url));
const body = JSON.stringify({ keys, secret: { kty: 'oct', k: secret }, claims, tokens }, null, 1);
writeFileSync(join(here, 'fixtures.js'),
  `// Made by make-fixtures.mjs (openssl PEMs, Node crypto JWKs and signatures). Do not edit.\nexport const FIXTURES = ${body};\n`);
