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
}

export interface PemToJwkOptions {
  /** The key ID, or `"thumbprint"` for the RFC 7638 thumbprint. */
  kid?: string;
  alg?: Algorithm;
  use?: 'sig' | 'enc' | (string & {});
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

/**
 * Loads the wasm. Only the browser entry needs it, and only before a synchronous function (asynchronous ones load the
 * wasm by themselves); optionally from a URL, Response, bytes or a compiled Module. Node, Bun, Deno, Workers and Vercel
 * Edge load the wasm at import, and there it does nothing.
 */
export declare function init(input?: string | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
export default init;

/** Chooses the signature backend; `'auto'` (the default) prefers Node's crypto, then WebCrypto, then wasm. */
export declare function setCryptoBackend(backend: CryptoBackend | 'auto'): void;
export declare function getCryptoBackend(): CryptoBackend;
/** Every error code the API can raise. */
export declare function errorCodes(): ErrorCode[];

export declare function jwkToPem(jwk: Jwk | string, options?: JwkToPemOptions): string;
export declare function pemToJwk(pem: string, options?: PemToJwkOptions): Jwk;
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
