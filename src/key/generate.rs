//! Key generation.
//!
//! Randomness comes from the caller's RNG ([`generate_with_rng`]) or, with
//! the `std` feature, from the operating system through `getrandom`
//! ([`generate`]).

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::Key;
use crate::alg::{Algorithm, KeyFamily};
use crate::error::{bail, err, Result};

/// What kind of key to generate.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// RSA with a 2048, 3072 or 4096-bit modulus and e = 65537.
    Rsa {
        /// The modulus length.
        bits: usize,
    },
    /// EC P-256 (ES256).
    P256,
    /// EC P-384 (ES384).
    P384,
    /// Ed25519 (EdDSA).
    Ed25519,
    /// A random HMAC secret of `len` bytes (at least 32).
    Secret {
        /// The secret's length in bytes.
        len: usize,
    },
}

impl KeySpec {
    /// The key an algorithm needs: RSA of `modulus_bits` (2048 by default),
    /// the algorithm's curve, or a secret as long as its hash output.
    pub fn for_algorithm(alg: Algorithm, modulus_bits: Option<usize>) -> Result<Self> {
        if modulus_bits.is_some() && alg.key_family() != KeyFamily::Rsa {
            bail!(
                InvalidArgument,
                "modulusLength applies to RSA algorithms only, not {alg}"
            );
        }
        Ok(match alg.key_family() {
            KeyFamily::Rsa => KeySpec::Rsa {
                bits: modulus_bits.unwrap_or(2048),
            },
            KeyFamily::P256 => KeySpec::P256,
            KeyFamily::P384 => KeySpec::P384,
            KeyFamily::Ed25519 => KeySpec::Ed25519,
            KeyFamily::Secret => KeySpec::Secret {
                len: alg.min_secret_len(),
            },
        })
    }
}

/// Generates a key with the operating system's randomness.
#[cfg(feature = "std")]
pub fn generate(spec: KeySpec) -> Result<Key> {
    ensure_os_randomness()?;
    generate_with_rng(spec, &mut rand_core::OsRng)
}

/// Fails with `ERR_RANDOMNESS_UNAVAILABLE` when the operating system's
/// randomness cannot be read. `OsRng` panics on such a failure inside the
/// RSA crates, and in WebAssembly a panic poisons the module, so callers
/// about to use it probe first.
pub(crate) fn ensure_os_randomness() -> Result<()> {
    let mut probe = [0u8; 1];
    rand_core::OsRng.try_fill_bytes(&mut probe).map_err(|e| {
        err!(
            RandomnessUnavailable,
            "the system's randomness source failed: {e}"
        )
    })
}

/// Generates a key with the caller's cryptographically secure RNG.
pub fn generate_with_rng<R: CryptoRng + RngCore>(spec: KeySpec, rng: &mut R) -> Result<Key> {
    Ok(match spec {
        KeySpec::Rsa { bits } => {
            if !matches!(bits, 2048 | 3072 | 4096) {
                bail!(
                    InvalidArgument,
                    "RSA modulus length must be 2048, 3072 or 4096 bits, not {bits}"
                );
            }
            let key = rsa::RsaPrivateKey::new(rng, bits)
                .map_err(|e| err!(RandomnessUnavailable, "RSA key generation failed: {e}"))?;
            Key::RsaPrivate(key)
        }
        KeySpec::P256 => Key::P256Private(p256::SecretKey::random(rng)),
        KeySpec::P384 => Key::P384Private(p384::SecretKey::random(rng)),
        KeySpec::Ed25519 => Key::Ed25519Private(ed25519_dalek::SigningKey::generate(rng)),
        KeySpec::Secret { len } => {
            if !(super::MIN_SECRET_BYTES..=1024).contains(&len) {
                bail!(
                    InvalidArgument,
                    "HMAC secrets are generated with 32 to 1024 bytes, not {len}"
                );
            }
            let mut bytes = Zeroizing::new(alloc::vec![0u8; len]);
            rng.try_fill_bytes(&mut bytes)
                .map_err(|e| err!(RandomnessUnavailable, "randomness source failed: {e}"))?;
            Key::Secret(bytes)
        }
    })
}
