//! jwt-edge: JSON Web Tokens, JSON Web Keys and RFC 7523 assertions for the
//! browser and the edge.
//!
//! The crate is `#![no_std]` + `alloc` with the default `std` feature off, and
//! holds every piece of token and key logic; the npm package and the Envoy
//! filter only translate their host's types into these calls.
//!
//! - [`key`]: JWK, JWKS, PEM/DER/certificates, encrypted PKCS#8, thumbprints, generation.
//! - [`cert`]: X.509 inspection; self-signed certificates and CSRs (feature `certificates`).
//! - [`jws`]: compact JWS signing, unverified decoding, verification.
//! - [`policy`]: the verification policy and claim rules.
//! - [`assertion`]: RFC 7523 assertions, product presets, their verifier.
//! - [`dpop`]: DPoP (RFC 9449) proofs: checking them for a request, the
//!   token binding and replay; creating them.
//! - [`introspection`]: OAuth 2.0 token introspection (RFC 7662, RFC 9701
//!   JWT answers) as a resource server's client.
//! - [`lint`]: a claim linter for assertions people build by hand.
//! - [`crypto`]: the signature backend trait and the pure-Rust backend.
//!
//! # Limits
//!
//! Untrusted input is bounded before it can cost time or memory. Each limit
//! fails with its own [`ErrorCode`]; the value at the limit is accepted, one
//! more is refused.
//!
//! | input | limit | error code |
//! | --- | --- | --- |
//! | token (compact JWS) length | [`jws::DEFAULT_MAX_TOKEN_BYTES`] = 16384 bytes (per policy: [`VerifyPolicy::max_token_bytes`]) | `ERR_JWT_TOO_LARGE` |
//! | DPoP proof length | [`dpop::DEFAULT_MAX_PROOF_BYTES`] = 8192 bytes (per policy: [`dpop::DpopPolicy::max_proof_bytes`]) | `ERR_DPOP_INVALID_PROOF` |
//! | JSON nesting depth (header, payload, JWK, JWKS) | [`json::MAX_JSON_DEPTH`] = 32 levels | `ERR_JSON_TOO_DEEP` |
//! | JWKS document length ([`JwkSet::from_json`]) | [`key::jwks::MAX_JWKS_BYTES`] = 524288 bytes (512 KiB) | `ERR_JWKS_TOO_LARGE` |
//! | introspection answer length | [`introspection::MAX_RESPONSE_BYTES`] = 65536 bytes | `ERR_INTROSPECTION_TOO_LARGE` |
//! | keys in a JWKS | [`key::jwks::MAX_JWKS_KEYS`] = 100 | `ERR_JWKS_TOO_MANY_KEYS` |
//! | RSA modulus (JWK, PEM, DER, certificate) | [`key::MAX_RSA_BITS`] = 8192 bits | `ERR_JOSE_KEY_TOO_LARGE` |
//! | certificate subject to make | `cert::make::MAX_SUBJECT_BYTES` = 4096 bytes | `ERR_INVALID_ARGUMENT` |
//! | subject alternative names to make | `cert::make::MAX_SUBJECT_ALT_NAMES` = 1000 | `ERR_INVALID_ARGUMENT` |
//! | certificates in an inspected chain | [`cert::MAX_CHAIN_LENGTH`] = 16 | `ERR_INVALID_ARGUMENT` |
//! | PBKDF2 iterations of an encrypted key | [`key::encrypted::MAX_PBKDF2_ITERATIONS`] = 10,000,000 | `ERR_JOSE_NOT_SUPPORTED` |
//! | scrypt memory of an encrypted key | [`key::encrypted::MAX_SCRYPT_MEMORY_BYTES`] = 256 MiB | `ERR_JOSE_NOT_SUPPORTED` |

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod alg;
pub mod assertion;
mod b64;
#[cfg(feature = "arithmetic")]
pub mod cert;
pub mod crypto;
pub mod dpop;
pub mod error;
#[cfg(feature = "filter")]
pub mod filter;
pub mod gateway;
pub mod introspection;
#[cfg(feature = "js-tokens")]
mod js;
pub mod json;
pub mod jws;
pub mod key;
pub mod lint;
pub mod policy;

pub use alg::{Algorithm, KeyFamily};
pub use error::{ClaimReason, Error, ErrorCode, Result};
pub use jws::{decode_unverified, sign, DecodedJwt, SignOptions};
pub use key::jwk::Jwk;
pub use key::jwks::{JwkSet, KeySelector};
pub use key::pem::{PemFormat, PemKind};
pub use key::Key;
pub use policy::{verify, verify_jws, Keys, VerifiedJws, VerifiedJwt, VerifyPolicy};

/// Seconds since the Unix epoch from the system clock. Not available on
/// `wasm32-unknown-unknown`, which has no clock: pass the time from the host.
#[cfg(all(
    feature = "std",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
