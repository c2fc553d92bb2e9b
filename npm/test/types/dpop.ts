// Type-checked by `tsc -p npm/test/types` (make test-js): the DPoP API with
// its documented types.
import {
  createDpopProof,
  createDpopReplayCache,
  dpopReport,
  generateKeyPair,
  verifyDpopProof,
  verifyJwt,
} from 'jwt-edge';
import type { DecodedJwt, DpopCheckOutcome, DpopReplayCache, ErrorCode, KeyPair, VerifiedDpopProof } from 'jwt-edge';

export async function dpopEverything(token: string, jwks: { keys: [] }): Promise<void> {
  const pair: KeyPair = await generateKeyPair('ES256');
  const proof: string = await createDpopProof(pair.privateJwk, {
    htm: 'GET',
    htu: 'https://api.example.com/items',
    accessToken: token,
    nonce: 'n',
    alg: 'ES256',
    currentDate: new Date(),
  });
  const checked: VerifiedDpopProof = await verifyDpopProof(proof, {
    htm: 'GET',
    htu: 'https://api.example.com/items',
    accessToken: token,
    jkt: 'abc',
    maxAge: '5m',
    nonce: ['n', 'm'],
    clockTolerance: 5,
    currentDate: 1767225600,
    algorithms: ['ES256', 'EdDSA'],
  });
  const report: DpopCheckOutcome[] = await dpopReport(proof, { htm: 'GET', htu: 'https://api.example.com/items', accessToken: token });
  const failed: ErrorCode | undefined = report.find((outcome) => outcome.status === 'failed')?.code;
  const jti: string = checked.payload.jti;
  const jkt: string = checked.jkt;
  const cache: DpopReplayCache = createDpopReplayCache({ maxEntries: 100 });
  cache.check(checked);
  const size: number = cache.size;
  const verified: DecodedJwt = await verifyJwt(token, jwks, {
    audience: 'https://api.example.com',
    dpop: { proof: [proof], htm: 'GET', htu: 'https://api.example.com/items', maxAge: 300 },
  });
  const bound: string | undefined = verified.dpop?.jkt;
  await verifyJwt(token, jwks, { dpop: false });
  const codes: ErrorCode[] = ['ERR_DPOP_INVALID_PROOF', 'ERR_DPOP_PROOF_REQUIRED', 'ERR_DPOP_REPLAY', 'ERR_DPOP_NONCE_REQUIRED', 'ERR_DPOP_BINDING_MISMATCH'];
  void [jti, jkt, size, bound, codes, failed];
}
