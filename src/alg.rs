//! JWS algorithms and the key family each one demands.
//!
//! The algorithm is always chosen by the verifier's policy; a token's `alg`
//! header only selects among the algorithms the policy allows.

use core::fmt;

use crate::error::{Error, ErrorCode, Result};

/// A JWS algorithm supported by jwt-edge (RFC 7518, RFC 8037).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// EdDSA on Ed25519 (RFC 8037).
    EdDsa,
}

/// The kind of key an algorithm needs: the binding that stops RS256/HS256
/// confusion and curve substitution.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A symmetric secret (`kty: oct`).
    Secret,
    /// An RSA key (`kty: RSA`).
    Rsa,
    /// An EC key on P-256.
    P256,
    /// An EC key on P-384.
    P384,
    /// An OKP key on Ed25519.
    Ed25519,
}

impl Algorithm {
    /// Every supported algorithm, strongest families first within each kind.
    pub const ALL: &'static [Algorithm] = &[
        Self::Hs256,
        Self::Hs384,
        Self::Hs512,
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::EdDsa,
    ];

    /// Every asymmetric algorithm: the default allowlist when a verifier is
    /// given public keys, so that a public key can never act as an HMAC secret.
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::EdDsa,
    ];

    /// The `alg` header value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Parses an `alg` value, case-sensitively as RFC 7515 requires.
    ///
    /// `none` in any casing is refused with `ERR_JOSE_ALG_NOT_ALLOWED`: an
    /// unsecured JWS is never acceptable. Known but unsupported algorithms
    /// (ES512, ES256K, ...) give `ERR_JOSE_NOT_SUPPORTED`.
    pub fn from_name(name: &str) -> Result<Self> {
        if let Some(alg) = Self::ALL.iter().find(|alg| alg.name() == name) {
            return Ok(*alg);
        }
        if name.eq_ignore_ascii_case("none") {
            return Err(Error::new(
                ErrorCode::AlgNotAllowed,
                "alg \"none\" (unsecured JWS) is never accepted",
            ));
        }
        Err(Error::new(
            ErrorCode::NotSupported,
            alloc::format!("unsupported JWS algorithm {name:?}"),
        ))
    }

    /// The key family this algorithm requires.
    pub const fn key_family(self) -> KeyFamily {
        match self {
            Self::Hs256 | Self::Hs384 | Self::Hs512 => KeyFamily::Secret,
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => {
                KeyFamily::Rsa
            }
            Self::Es256 => KeyFamily::P256,
            Self::Es384 => KeyFamily::P384,
            Self::EdDsa => KeyFamily::Ed25519,
        }
    }

    /// True for the HMAC algorithms.
    pub const fn is_symmetric(self) -> bool {
        matches!(self.key_family(), KeyFamily::Secret)
    }

    /// The minimum HMAC secret length in bytes: the hash output size
    /// (RFC 7518 section 3.2). Zero for asymmetric algorithms.
    pub const fn min_secret_len(self) -> usize {
        match self {
            Self::Hs256 => 32,
            Self::Hs384 => 48,
            Self::Hs512 => 64,
            _ => 0,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s)
    }
}

impl KeyFamily {
    /// The algorithms that can use a key of this family.
    pub fn algorithms(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .iter()
            .copied()
            .filter(move |alg| alg.key_family() == self)
    }

    /// The algorithm a key of this family signs with when none is named:
    /// HS256, RS256, ES256, ES384 or EdDSA.
    pub const fn default_algorithm(self) -> Algorithm {
        match self {
            Self::Secret => Algorithm::Hs256,
            Self::Rsa => Algorithm::Rs256,
            Self::P256 => Algorithm::Es256,
            Self::P384 => Algorithm::Es384,
            Self::Ed25519 => Algorithm::EdDsa,
        }
    }
}
