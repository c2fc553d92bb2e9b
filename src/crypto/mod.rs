//! Signature backends.
//!
//! Every signature made or checked by jwt-edge goes through
//! [`CryptoProvider`], so a host can bring native crypto (WebCrypto in a
//! browser, Envoy's `verify_signature` at the edge) while the pure-Rust
//! [`RustCrypto`] backend stays the default and is always available.
//!
//! A provider is only ever called with a key that fits the algorithm and is
//! strong enough: [`crate::Key::check_usable_with`] runs first.

#[cfg(feature = "arithmetic")]
mod es384;
#[cfg(not(feature = "arithmetic"))]
mod hmac_only;
#[cfg(feature = "arithmetic")]
mod rust_crypto;

use alloc::vec::Vec;

#[cfg(feature = "arithmetic")]
pub use es384::{Es384, Es384Signature};
#[cfg(not(feature = "arithmetic"))]
pub use hmac_only::RustCrypto;
#[cfg(feature = "arithmetic")]
pub use rust_crypto::RustCrypto;

use crate::alg::Algorithm;
use crate::error::Result;
use crate::key::Key;

/// Computes and checks JWS signatures.
pub trait CryptoProvider {
    /// Checks `signature` over `signing_input` (`header.payload`).
    /// Fails with `ERR_JWS_SIGNATURE_VERIFICATION_FAILED` on a mismatch.
    fn verify(
        &self,
        alg: Algorithm,
        key: &Key,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<()>;

    /// Signs `signing_input`, returning the raw JWS signature bytes
    /// (r || s for ECDSA).
    fn sign(&self, alg: Algorithm, key: &Key, signing_input: &[u8]) -> Result<Vec<u8>>;
}
