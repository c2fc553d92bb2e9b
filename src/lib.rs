//! jwt-edge: JSON Web Tokens, JSON Web Keys and RFC 7523 assertions for the
//! browser and the edge.
//!
//! The crate is `#![no_std]` + `alloc` with the default `std` feature off, and
//! holds every piece of token and key logic; the npm package and the Envoy
//! filter only translate their host's types into these calls.
//!
//! - [`key`]: JWK, JWKS, PEM/DER/certificates, thumbprints, generation.
//! - [`jws`]: compact JWS signing, unverified decoding, verification.
//! - [`policy`]: the verification policy and claim rules.
//! - [`assertion`]: RFC 7523 assertions, product presets, their verifier.
//! - [`lint`]: a claim linter for assertions people build by hand.
//! - [`crypto`]: the signature backend trait and the pure-Rust backend.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod alg;
pub mod assertion;
mod b64;
pub mod crypto;
pub mod error;
#[cfg(feature = "filter")]
mod filter;
pub mod gateway;
#[cfg(feature = "js")]
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

/// Seconds since the Unix epoch from the system clock.
#[cfg(feature = "std")]
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
