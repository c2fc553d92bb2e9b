// Type-checked by `tsc -p npm/test/types` (make test-js): uses every
// function of the public API with its documented types.
import init, {
  buildAssertion,
  decodeJwt,
  errorCodes,
  generateKeyPair,
  generateSecret,
  getCryptoBackend,
  jwkThumbprint,
  jwkToPem,
  JwtEdgeError,
  lintClaims,
  pemToJwk,
  setCryptoBackend,
  signJwt,
  verifyAssertion,
  verifyJwt,
  verifyReport,
  createCertificate,
  createCsr,
  inspectCertificate,
  keyMatchesCertificate,
  loadKeys,
} from 'jwt-edge';
import type { CertificateInspection } from 'jwt-edge';
import type { BuiltAssertion, CheckOutcome, CryptoBackend, DecodedJwt, ErrorCode, Jwk, Jwks, KeyPair, LintFinding } from 'jwt-edge';

export async function everything(): Promise<void> {
  await init();
  setCryptoBackend('auto');
  const backend: CryptoBackend = getCryptoBackend();
  const codes: ErrorCode[] = errorCodes();
  const pair: KeyPair = await generateKeyPair('ES256', { kid: 'thumbprint' });
  const rsa: KeyPair = await generateKeyPair('PS256', { modulusLength: 3072 });
  await loadKeys();
  await loadKeys(new URL('https://cdn.example/jwt_edge_keys_bg.wasm'));
  const pem: string = await jwkToPem(pair.privateJwk, { format: 'sec1' });
  const jwk: Jwk = await pemToJwk(pem, { kid: 'thumbprint', alg: 'ES256', use: 'sig' });
  const thumbprint: string = jwkThumbprint(jwk);
  const token: string = await signJwt({ sub: 'alice', exp: 1, custom: { nested: [1, 'two', null] } }, pair.privateJwk, {
    alg: 'ES256',
    kid: thumbprint,
    typ: 'JWT',
    header: { x5t: 'abc' },
  });
  const decoded: DecodedJwt = decodeJwt(token);
  const alg: string = decoded.header.alg;
  const jwks: Jwks = { keys: [pair.publicJwk, rsa.publicJwk] };
  const verified: DecodedJwt = await verifyJwt(token, jwks, {
    algorithms: ['ES256', 'PS256'],
    issuer: ['a', 'b'],
    audience: 'api',
    subject: 'alice',
    typ: 'JWT',
    maxTokenAge: '1h',
    clockTolerance: 30,
    currentDate: new Date(),
    requiredClaims: ['exp'],
    scopes: ['read'],
    crit: { b64: true },
  });
  const sub: string | undefined = verified.payload.sub;
  await verifyJwt(token, new TextEncoder().encode('secret'), { currentDate: 1_700_000_000 });
  const built: BuiltAssertion = await buildAssertion(
    { profile: 'okta', issuer: 'client', audience: 'https://o.okta.com/oauth2/v1/token', lifetime: '5m', jti: 'j', claims: { x: 1 } },
    pem,
    { alg: 'ES256', kid: 'k' },
  );
  const form: string = built.form;
  const curl: string = built.curl;
  await verifyAssertion(built.assertion, jwks, { audience: 'https://o.okta.com/oauth2/v1/token', issuer: 'client', maxTokenAge: 600, clockTolerance: '1m', currentDate: new Date() });
  const secret: Jwk = await generateSecret('HS384', { kid: 'thumbprint' });
  const report: CheckOutcome[] = await verifyReport(token, jwks, { audience: 'api', currentDate: 1_700_000_000 });
  const failed: boolean = report.some((check) => check.status === 'failed' && check.code === 'ERR_JWT_EXPIRED');
  void [secret, failed];
  const findings: LintFinding[] = lintClaims({ iat: 1 }, { profile: 'mulesoft' });
  const severity: 'error' | 'warning' | 'info' | undefined = findings[0]?.severity;
  try {
    decodeJwt('x');
  } catch (error) {
    if (error instanceof JwtEdgeError) {
      const code: ErrorCode = error.code;
      const claim: string | undefined = error.claim;
      const reason: 'missing' | 'check_failed' | 'invalid' | undefined = error.reason;
      void [code, claim, reason];
    }
  }
  void [backend, codes, alg, sub, form, curl, severity];
}

// @ts-expect-error HS256 has no key pair.
void generateKeyPair('HS256');
// @ts-expect-error verifyAssertion needs its audience.
void verifyAssertion('t', { keys: [] }, {});
// @ts-expect-error an unknown PEM format.
void jwkToPem({ kty: 'EC' }, { format: 'der' });

// Certificates: made, inspected, matched; encrypted PKCS#8.
export async function certificates(privateJwk: Jwk): Promise<void> {
  const pem: string = await createCertificate(privateJwk, { subject: 'CN=acme', days: 30, subjectAltNames: ['DNS:a.example'], hash: 'SHA-384' });
  const csr: string = await createCsr(privateJwk, { subject: 'CN=acme' });
  const info: CertificateInspection = await inspectCertificate(pem);
  const expires: Date = info.notAfter;
  const thumbprint: string = info['x5t#S256'];
  const signed: boolean | null = info.chain[0].signedByNext;
  const matches: boolean = await keyMatchesCertificate(privateJwk, pem);
  const encrypted: string = await jwkToPem(privateJwk, { format: 'pkcs8', passphrase: 'secret' });
  const back: Jwk = await pemToJwk(encrypted, { passphrase: 'secret' });
  void [csr, expires, thumbprint, signed, matches, back];
}
// @ts-expect-error the subject is required.
void createCertificate({ kty: 'EC' }, { days: 3 });
// @ts-expect-error conversions return Promises now: no string without await.
export const notAwaited: string = jwkToPem({ kty: 'EC' });
