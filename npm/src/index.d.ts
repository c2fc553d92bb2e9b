// Types of the jwt-edge npm package.

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JWS algorithms jwt-edge implements. */
export type Algorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'EdDSA';

/** Asymmetric algorithms: the ones `generateKeyPair` accepts. */
export type AsymmetricAlgorithm = Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>;

/** A JSON Web Key (RFC 7517). Key parameters are base64url strings. */
export interface Jwk {
  kty: 'RSA' | 'EC' | 'OKP' | 'oct' | (string & {});
  kid?: string;
  use?: string;
  alg?: string;
  key_ops?: string[];
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  k?: string;
  x5c?: string[];
  x5t?: string;
  'x5t#S256'?: string;
  x5u?: string;
  [member: string]: JsonValue | undefined;
}

/** A JSON Web Key Set. */
export interface Jwks {
  keys: Jwk[];
}

/** A signing key: a JWK object, JWK JSON text, a PEM private key, or an HMAC secret. */
export type SigningKey = Jwk | string | Uint8Array;

/** A verification key: a JWK, a JWK Set, a PEM key or certificate, or an HMAC secret. */
export type VerificationKey = Jwk | Jwks | string | Uint8Array;

/** Seconds, or text such as `"30s"`, `"30m"`, `"1h"`, `"2d"`. */
export type Duration = number | string;

/** A JWT's claims. */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: JsonValue | undefined;
}

/** A JWS protected header. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [parameter: string]: JsonValue | undefined;
}

/** A decoded or verified token. */
export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
}

/** PEM encodings. */
export type PemFormat = 'spki' | 'pkcs1' | 'pkcs8' | 'sec1';

export interface JwkToPemOptions {
  /** Default: SPKI for a public key, PKCS#8 for a private one. */
  format?: PemFormat;
  /** Encrypts a private key as `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2, PBKDF2-SHA256, AES-256-CBC). */
  passphrase?: string;
}

export interface PemToJwkOptions {
  /** The key ID, or `"thumbprint"` for the RFC 7638 thumbprint. */
  kid?: string;
  alg?: Algorithm;
  use?: 'sig' | 'enc' | (string & {});
  /** Decrypts an `ENCRYPTED PRIVATE KEY` (PBES2 with PBKDF2 or scrypt, AES-CBC). */
  passphrase?: string;
}

export interface GenerateKeyPairOptions {
  /** RSA modulus length: 2048 (default), 3072 or 4096. */
  modulusLength?: number;
  /** The key ID, or `"thumbprint"` for the RFC 7638 thumbprint. */
  kid?: string;
}

export interface KeyPair {
  privateJwk: Jwk;
  publicJwk: Jwk;
}

export interface SignOptions {
  /** Default: the JWK's `alg`, else HS256, RS256, ES256, ES384 or EdDSA by key type. */
  alg?: Algorithm;
  kid?: string;
  typ?: string;
  /** Further protected header parameters. */
  header?: { [parameter: string]: JsonValue };
}

export interface VerifyOptions {
  /** Accepted algorithms. Default: those the key(s) can verify (never HMAC with a public key). */
  algorithms?: Algorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  subject?: string;
  /** Expected `typ` header (compared without `application/`, case-insensitively). */
  typ?: string;
  /** Maximum age measured from `iat` (which then becomes required). */
  maxTokenAge?: Duration;
  /** Leeway for `exp`, `nbf` and `iat`. */
  clockTolerance?: Duration;
  /** The time to verify at. Default: now. */
  currentDate?: Date | number;
  requiredClaims?: string[];
  /** Scopes that must all be granted by `scope` or `scp`. */
  scopes?: string[] | string;
  /** `crit` header parameters this caller understands, as jose names them. */
  crit?: { [parameter: string]: boolean } | string[];
}

/** The assertion flows and products jwt-edge knows. */
export type AssertionProfile = 'jwt-bearer' | 'client-assertion' | 'mulesoft' | 'wso2' | 'asgardeo' | 'okta';

export interface AssertionRequest {
  profile: AssertionProfile;
  /** `iss`: for client authentication and MuleSoft, the client_id. */
  issuer?: string;
  /** `sub`: defaults to the issuer for client authentication. */
  subject?: string;
  /** `aud`: the authorization server, usually its token endpoint. */
  audience?: string | string[];
  /** Where the form is POSTed when `aud` is not that URL. */
  tokenEndpoint?: string;
  /** Default: 300 seconds. */
  lifetime?: Duration;
  /** Adds `nbf` equal to `iat`. */
  notBefore?: boolean;
  /** Default: a random UUID. */
  jti?: string;
  typ?: string;
  /** The `scope` form parameter. */
  scope?: string | string[];
  /** Further claims (MuleSoft's `idp_id` and `user_name` make its `sub`). */
  claims?: { [claim: string]: JsonValue };
  /** The time of issue. Default: now. */
  currentDate?: Date | number;
}

export interface AssertionSignOptions {
  alg?: Algorithm;
  kid?: string;
}

export interface BuiltAssertion {
  /** The signed JWT. */
  assertion: string;
  /** The `application/x-www-form-urlencoded` token request body. */
  form: string;
  /** A ready `curl` command sending it. */
  curl: string;
  /** The token endpoint. */
  endpoint: string;
  /** The claims the assertion carries. */
  claims: JwtPayload;
}

export interface VerifyAssertionOptions {
  /** This authorization server's identifier(s): required. */
  audience: string | string[];
  issuer?: string | string[];
  subject?: string;
  algorithms?: Algorithm[];
  maxTokenAge?: Duration;
  clockTolerance?: Duration;
  currentDate?: Date | number;
  /** Longest accepted `exp - iat`. Default: one hour. */
  maxLifetime?: Duration;
  /** Default: true. */
  requireJti?: boolean;
}

export interface LintOptions {
  profile?: AssertionProfile;
  /** The time the checks are relative to. Default: now. */
  currentDate?: Date | number;
}

export interface LintFinding {
  severity: 'error' | 'warning' | 'info';
  /** The claim concerned (or `payload`). */
  claim: string;
  message: string;
}

/** The stable error codes. */
export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_KEY_TYPE_MISMATCH'
  | 'ERR_JOSE_WEAK_KEY'
  | 'ERR_JOSE_KEY_TOO_LARGE'
  | 'ERR_JWK_INVALID'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'
  | 'ERR_PEM_INVALID'
  | 'ERR_PEM_AMBIGUOUS'
  | 'ERR_DER_INVALID'
  | 'ERR_JWS_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWS_CRIT_UNSUPPORTED'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JSON_TOO_DEEP'
  | 'ERR_RANDOMNESS_UNAVAILABLE'
  | 'ERR_JWKS_TOO_LARGE'
  | 'ERR_JWKS_TOO_MANY_KEYS'
  | 'ERR_DPOP_INVALID_PROOF'
  | 'ERR_DPOP_PROOF_REQUIRED'
  | 'ERR_DPOP_REPLAY'
  | 'ERR_DPOP_NONCE_REQUIRED'
  | 'ERR_DPOP_BINDING_MISMATCH'
  | 'ERR_KEY_DECRYPTION_FAILED'
  | 'ERR_KEY_PASSPHRASE_REQUIRED'
  | 'ERR_INTROSPECTION_UNAVAILABLE'
  | 'ERR_INTROSPECTION_TOO_LARGE'
  | 'ERR_INTROSPECTION_NOT_JSON'
  | 'ERR_INTROSPECTION_INVALID'
  | 'ERR_TOKEN_INACTIVE'
  | 'ERR_WASM_NOT_INITIALIZED';

/** Why a claim failed. */
export type ClaimReason = 'missing' | 'check_failed' | 'invalid';

/** Every failure of jwt-edge. */
export declare class JwtEdgeError extends Error {
  constructor(code: ErrorCode, message: string, claim?: string, reason?: ClaimReason);
  readonly name: 'JwtEdgeError';
  /** The stable code. */
  readonly code: ErrorCode;
  /** The claim concerned, for claim failures. */
  readonly claim?: string;
  /** Why the claim failed. */
  readonly reason?: ClaimReason;
}

/** Who computes signatures. */
export type CryptoBackend = 'node' | 'webcrypto' | 'wasm';

/** Where a browser loads a wasm module from: a URL, a Response, bytes or a compiled Module. */
export type WasmInput = string | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the token module (decode, verify, sign, assertions, lint, thumbprints, DPoP). Only the browser entry needs it,
 * and only before a synchronous function (asynchronous ones load the wasm by themselves); optionally from a URL,
 * Response, bytes or a compiled Module. Node, Bun, Deno, Workers and Vercel Edge load it at import, and there it does
 * nothing.
 */
export declare function init(input?: WasmInput): Promise<void>;
export default init;

/**
 * Loads the key module now (conversions, key generation, certificates, encrypted PKCS#8, the `wasm` backend, and keys
 * only it parses: PKCS#1, SEC1, certificates). It loads by itself, once, on the first call that needs it; call this to
 * load it ahead, or in a browser to load it from elsewhere than beside the package (`input`, ignored once it is
 * loaded). Rejects with ERR_WASM_NOT_INITIALIZED if it cannot be loaded; a later call tries again.
 */
export declare function loadKeys(input?: WasmInput): Promise<void>;

/** Chooses the signature backend; `'auto'` (the default) prefers Node's crypto, then WebCrypto, then wasm. */
export declare function setCryptoBackend(backend: CryptoBackend | 'auto'): void;
export declare function getCryptoBackend(): CryptoBackend;
/** Every error code the API can raise. */
export declare function errorCodes(): ErrorCode[];

/** A JWK as PEM. Returns a Promise (a breaking change, see the changelog): the key module loads on first use. */
export declare function jwkToPem(jwk: Jwk | string, options?: JwkToPemOptions): Promise<string>;
/** A PEM key (or a certificate's key) as a JWK. Returns a Promise (a breaking change, see the changelog): the key module loads on first use. */
export declare function pemToJwk(pem: string, options?: PemToJwkOptions): Promise<Jwk>;
export declare function jwkThumbprint(jwk: Jwk | string): string;
export declare function generateKeyPair(alg: AsymmetricAlgorithm, options?: GenerateKeyPairOptions): Promise<KeyPair>;
/** A random HMAC secret as an `oct` JWK, as long as the hash output. */
export declare function generateSecret(alg: 'HS256' | 'HS384' | 'HS512', options?: { kid?: string }): Promise<Jwk>;
export declare function decodeJwt(token: string): DecodedJwt;
export declare function signJwt(payload: JwtPayload, key: SigningKey, options?: SignOptions): Promise<string>;
export declare function verifyJwt(token: string, keyOrJwks: VerificationKey, options?: VerifyOptions): Promise<DecodedJwt>;
export declare function buildAssertion(
  request: AssertionRequest,
  key: SigningKey,
  options?: AssertionSignOptions,
): Promise<BuiltAssertion>;
export declare function verifyAssertion(
  assertion: string,
  keyOrJwks: VerificationKey,
  options: VerifyAssertionOptions,
): Promise<DecodedJwt>;
export declare function lintClaims(payload: JwtPayload, options?: LintOptions): LintFinding[];

/** One verification rule and how it went, from `verifyReport`. */
export interface CheckOutcome {
  check: 'format' | 'alg' | 'crit' | 'key' | 'signature' | 'payload' | 'typ' | 'required' | 'iss' | 'sub' | 'aud' | 'nbf' | 'exp' | 'iat' | 'scope';
  status: 'passed' | 'failed' | 'skipped';
  code?: ErrorCode;
  message?: string;
  claim?: string;
  reason?: ClaimReason;
}
/** Every check `verifyJwt` would make, each with its outcome; never stops at the first failure. */
export declare function verifyReport(token: string, keyOrJwks: VerificationKey, options?: VerifyOptions): Promise<CheckOutcome[]>;

// ---------------------------------------------------------------- DPoP ----
// RFC 9449. Declarations merge with VerifyOptions and DecodedJwt above.

/** What a DPoP proof is made for. */
export interface CreateDpopProofOptions {
  /** The request method (`htm`), e.g. `'GET'`. */
  htm: string;
  /** The request URI (`htu`); its query and fragment are left out. */
  htu: string;
  /** The access token sent with the request: adds `ath`. */
  accessToken?: string;
  /** The server's `DPoP-Nonce`. */
  nonce?: string;
  /** Default: the JWK's `alg`, else ES256 / ES384 / EdDSA / RS256 by key type. */
  alg?: 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';
  /** The proof's `iat`. Default: now. */
  currentDate?: Date | number;
}

/** What a resource server accepts and expects of a proof. */
export interface DpopCheckOptions {
  /** Accepted proof algorithms (asymmetric only). Default: all asymmetric ones. */
  algorithms?: AsymmetricAlgorithm[];
  /** How long after `iat` a proof is accepted. Default: 300 seconds. */
  maxAge?: Duration;
  /** Clock difference allowed both ways. Default: 5 seconds. */
  clockTolerance?: Duration;
  /** The current server nonce(s): the proof's `nonce` must be one (else ERR_DPOP_NONCE_REQUIRED). */
  nonce?: string | string[];
  /** The time to check at. Default: now. */
  currentDate?: Date | number;
}

export interface VerifyDpopProofOptions extends DpopCheckOptions {
  /** The request method. */
  htm: string;
  /** The request URI, as received (normalised before comparing; query ignored). */
  htu: string;
  /** The access token sent with the proof: `ath` must be its SHA-256. */
  accessToken?: string;
  /** The thumbprint the token is bound to (`cnf.jkt`, from the token or an introspection response). */
  jkt?: string;
}

/** `verifyJwt`'s `dpop` option: the request's proof, checked and bound to the token in the same call. */
export interface VerifyJwtDpopOptions extends Omit<DpopCheckOptions, 'currentDate'> {
  /** The `DPoP` header value, or every value when the header repeats (more than one is refused). */
  proof: string | string[];
  htm: string;
  htu: string;
}

/** A proof that passed every check. Record `payload.jti` to refuse replays (see createDpopReplayCache). */
export interface VerifiedDpopProof {
  header: JwtHeader & { typ: 'dpop+jwt'; jwk: Jwk };
  payload: JwtPayload & { jti: string; htm: string; htu: string; iat: number; ath?: string; nonce?: string };
  /** The RFC 7638 thumbprint of the proof's key. */
  jkt: string;
}

export interface VerifyOptions {
  /**
   * The DPoP proof of the request carrying the token. Without it a token
   * bound with `cnf.jkt` is refused (ERR_DPOP_PROOF_REQUIRED); `false` skips
   * DPoP entirely, for callers that check the binding elsewhere.
   */
  dpop?: VerifyJwtDpopOptions | false;
}

export interface DecodedJwt {
  /** The checked DPoP proof, when `verifyJwt` checked one. */
  dpop?: VerifiedDpopProof;
}

/** One process's replay memory for DPoP proofs. */
export interface DpopReplayCache {
  /** Throws ERR_DPOP_REPLAY if this proof (its `jti` for its key) was seen within its window, else remembers it. */
  check(proof: VerifiedDpopProof, currentDate?: Date | number): void;
  readonly size: number;
}

export declare function createDpopProof(privateKey: SigningKey, options: CreateDpopProofOptions): Promise<string>;
export declare function verifyDpopProof(proof: string, options: VerifyDpopProofOptions): Promise<VerifiedDpopProof>;
/** One DPoP proof rule and how it went, from `dpopReport`. */
export interface DpopCheckOutcome {
  check: 'format' | 'typ' | 'crit' | 'alg' | 'jwk' | 'signature' | 'payload' | 'jti' | 'htm' | 'htu' | 'iat' | 'nonce' | 'ath' | 'jkt';
  /** `skipped`: the request does not ask for it (no nonce, accessToken or jkt given), or what it needs failed. */
  status: 'passed' | 'failed' | 'skipped';
  code?: ErrorCode;
  message?: string;
  claim?: string;
  reason?: ClaimReason;
}
/** Every check `verifyDpopProof` makes, each with its outcome; the proof is valid when none failed. */
export declare function dpopReport(proof: string, options: VerifyDpopProofOptions): Promise<DpopCheckOutcome[]>;
/** Bounded (default 10000 live proofs, then it refuses), for a single process; use a shared store across processes. */
export declare function createDpopReplayCache(options?: { maxEntries?: number; maxAge?: number; clockTolerance?: number }): DpopReplayCache;
/** Options of `createCertificate`. */
export interface CertificateOptions {
  /** RFC 4514 subject (also the issuer), e.g. `"CN=acme token issuer,O=Acme,C=US"`. */
  subject: string;
  /** Validity in days from `notBefore`; default 365. */
  days?: number;
  /** Start of validity; default now. */
  notBefore?: Date | number;
  /** `DNS:host`, `URI:https://...`, `email:a@b`, `IP:192.0.2.1` (prefix optional). */
  subjectAltNames?: string[];
  /** RSA only: the signature hash (default SHA-256). */
  hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/** Options of `createCsr`. */
export interface CsrOptions {
  subject: string;
  subjectAltNames?: string[];
  hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/** One certificate as `inspectCertificate` describes it. */
export interface CertificateDetails {
  version: number;
  /** RFC 4514 string. */
  subject: string;
  issuer: string;
  /** Upper-case hex, as `openssl x509 -serial`. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  validNow: boolean;
  status: 'valid' | 'expired' | 'not_yet_valid';
  selfIssued: boolean;
  /** Self-issued and its own signature verifies. */
  selfSigned: boolean;
  /** `null` when the signature algorithm is not one jwt-edge checks. */
  selfSignatureValid: boolean | null;
  signatureAlgorithm: string;
  keyType: 'RSA' | 'RSA-PSS' | 'EC' | 'OKP' | (string & {});
  keyCurve: string | null;
  keyBits: number | null;
  /** Colon-separated upper-case hex. */
  fingerprintSha1: string;
  fingerprintSha256: string;
  /** base64url SHA-1 of the DER (the JWK `x5t`). */
  x5t: string;
  /** base64url SHA-256 of the DER (the JWK `x5t#S256`). */
  'x5t#S256': string;
  keyUsage: string[];
  isCa: boolean | null;
  /** `DNS:...`, `URI:...`, `email:...`, `IP:...`. */
  subjectAltNames: string[];
}

/** `inspectCertificate`'s answer: the leaf, and every certificate of the chain. */
export interface CertificateInspection extends CertificateDetails {
  chain: Array<CertificateDetails & { signedByNext: boolean | null }>;
}

// Certificates are the key module's: these four return Promises (a breaking change, see the changelog).
export declare function createCertificate(privateKey: SigningKey, options: CertificateOptions): Promise<string>;
export declare function createCsr(privateKey: SigningKey, options: CsrOptions): Promise<string>;
export declare function inspectCertificate(pemOrDer: string | Uint8Array | ArrayBuffer, options?: { currentDate?: Date | number }): Promise<CertificateInspection>;
export declare function keyMatchesCertificate(key: SigningKey, certificate: string | Uint8Array | ArrayBuffer): Promise<boolean>;
