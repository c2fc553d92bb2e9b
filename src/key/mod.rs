//! Keys: the parsed, validated form every other module works with, and its
//! encodings (JWK, JWKS, PEM/DER, thumbprints) and generation.
//!
//! Two layers ([`material`]): every key is first read structurally (sizes,
//! exponent, coordinate lengths), in every build. With the `arithmetic`
//! feature (on by default) a [`Key`] is only ever built from input that has
//! then been fully checked: RSA components consistent, EC points on their
//! curve, private halves matching their public halves, so everything
//! downstream can trust it. Without it (the npm package's tokens module) a
//! [`Key`] holds the structurally checked material and the form the host's
//! crypto imports it from, and that import checks the rest.

#[cfg(feature = "arithmetic")]
pub mod encrypted;
#[cfg(feature = "arithmetic")]
pub mod generate;
pub mod jwk;
pub mod jwks;
pub(crate) mod material;
pub mod pem;
pub mod thumbprint;

#[cfg(not(feature = "arithmetic"))]
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

#[cfg(feature = "arithmetic")]
use rsa::traits::PublicKeyParts;
#[cfg(feature = "arithmetic")]
use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

use crate::alg::{Algorithm, KeyFamily};
use crate::error::{bail, Error, ErrorCode, Result};
use material::Material;

/// The smallest RSA modulus accepted for signing or verifying (RFC 7518 section 3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted anywhere: bigger keys cost too much to
/// process and are a denial-of-service lever.
pub const MAX_RSA_BITS: usize = 8192;
/// The smallest HMAC secret accepted anywhere, whatever the algorithm.
pub const MIN_SECRET_BYTES: usize = 32;

/// A validated cryptographic key, public or private.
#[cfg(feature = "arithmetic")]
#[non_exhaustive]
#[derive(Clone)]
pub enum Key {
    /// An RSA public key.
    RsaPublic(RsaPublicKey),
    /// An RSA private key (two primes).
    RsaPrivate(RsaPrivateKey),
    /// An EC P-256 public key.
    P256Public(p256::PublicKey),
    /// An EC P-256 private key.
    P256Private(p256::SecretKey),
    /// An EC P-384 public key.
    P384Public(p384::PublicKey),
    /// An EC P-384 private key.
    P384Private(p384::SecretKey),
    /// An Ed25519 public key.
    Ed25519Public(ed25519_dalek::VerifyingKey),
    /// An Ed25519 private key.
    Ed25519Private(ed25519_dalek::SigningKey),
    /// An HMAC secret (`kty: oct`).
    Secret(Zeroizing<Vec<u8>>),
}

/// A structurally checked key (the build without the `arithmetic` feature):
/// its material, and the form the host's crypto imports it from.
#[cfg(not(feature = "arithmetic"))]
#[derive(Clone)]
pub struct Key {
    material: Material,
    host: HostForm,
}

/// How the host's crypto imports a key of the build without arithmetic:
/// from the JWK members it came as, or from the DER it came as (after PEM
/// decoding), so that the host checks exactly what it was given.
#[cfg(not(feature = "arithmetic"))]
#[non_exhaustive]
#[derive(Clone)]
pub enum HostForm {
    /// JWK JSON of the key members ([`Key::jwk_members_json`]).
    Jwk,
    /// A `SubjectPublicKeyInfo`.
    Spki(Vec<u8>),
    /// A PKCS#8 `PrivateKeyInfo`.
    Pkcs8(Zeroizing<Vec<u8>>),
}

#[cfg(not(feature = "arithmetic"))]
impl Key {
    /// A symmetric secret from raw bytes. Rejects an empty secret; the length
    /// rule of each HMAC algorithm is applied when the key is used.
    pub fn secret(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            bail!(InvalidArgument, "an HMAC secret cannot be empty");
        }
        Ok(Self::from_material(
            Material::Secret(Zeroizing::new(bytes.to_vec())),
            HostForm::Jwk,
        ))
    }

    pub(crate) fn from_material(material: Material, host: HostForm) -> Self {
        Self { material, host }
    }

    pub(crate) fn material(&self) -> &Material {
        &self.material
    }

    /// The form the host imports this key from.
    pub fn host_form(&self) -> &HostForm {
        &self.host
    }

    /// The key members (`kty` and the key parameters, no metadata) as JWK
    /// JSON, for a host to import.
    pub fn jwk_members_json(&self) -> alloc::string::String {
        let mut members = serde_json::Map::new();
        self.material.write_members(&mut members);
        serde_json::Value::Object(members).to_string()
    }

    /// The key family, which decides the algorithms the key may be used with.
    pub fn family(&self) -> KeyFamily {
        self.material.family()
    }

    /// True for private asymmetric keys and for secrets: keys that can sign.
    pub fn can_sign(&self) -> bool {
        self.is_private() || matches!(self.material, Material::Secret(_))
    }

    /// True for private asymmetric keys (not for secrets).
    pub fn is_private(&self) -> bool {
        self.material.is_private()
    }

    /// The public half of an asymmetric key (itself if already public).
    /// A secret has no public half.
    pub fn to_public(&self) -> Result<Key> {
        if let Material::Secret(_) = self.material {
            bail!(
                InvalidArgument,
                "a symmetric secret has no public key to export"
            );
        }
        if !self.is_private() {
            return Ok(self.clone());
        }
        // The structural layer only keeps keys whose public half it read.
        Ok(Self::from_material(
            self.material.to_public(),
            HostForm::Jwk,
        ))
    }

    /// The RSA modulus size in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        self.material.rsa_bits()
    }

    /// The secret's length in bytes, for HMAC secrets.
    pub fn secret_len(&self) -> Option<usize> {
        self.secret_bytes().map(<[u8]>::len)
    }

    /// The HMAC secret, for HMAC secrets.
    pub(crate) fn secret_bytes(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Secret(bytes) => Some(bytes),
            _ => None,
        }
    }
}

#[cfg(not(feature = "arithmetic"))]
impl fmt::Debug for Key {
    // Never prints key material: a Debug of a private key ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Key");
        out.field("family", &self.family())
            .field("private", &self.is_private());
        if let Some(bits) = self.rsa_bits() {
            out.field("bits", &bits);
        }
        if let Some(len) = self.secret_len() {
            out.field("len", &len);
        }
        out.finish_non_exhaustive()
    }
}

#[cfg(not(feature = "arithmetic"))]
impl PartialEq for Key {
    /// The same key material (secrets compared in constant time).
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        let mut a = serde_json::Map::new();
        let mut b = serde_json::Map::new();
        self.material.write_members(&mut a);
        other.material.write_members(&mut b);
        let a = serde_json::Value::Object(a).to_string();
        let b = serde_json::Value::Object(b).to_string();
        a.as_bytes().ct_eq(b.as_bytes()).into()
    }
}

#[cfg(not(feature = "arithmetic"))]
impl Eq for Key {}

impl Key {
    /// The JWK `kty` of this key: `RSA`, `EC`, `OKP` or `oct`.
    pub fn kty(&self) -> &'static str {
        match self.family() {
            KeyFamily::Rsa => "RSA",
            KeyFamily::P256 | KeyFamily::P384 => "EC",
            KeyFamily::Ed25519 => "OKP",
            KeyFamily::Secret => "oct",
        }
    }

    /// Checks that this key may be used with `alg`: right family (no
    /// RS256/HS256 confusion, no curve substitution) and strong enough.
    pub fn check_usable_with(&self, alg: Algorithm) -> Result<()> {
        if self.family() != alg.key_family() {
            return Err(Error::new(
                ErrorCode::KeyTypeMismatch,
                alloc::format!(
                    "{alg} needs {} key, but the key is {}",
                    family_label(alg.key_family()),
                    family_label(self.family())
                ),
            ));
        }
        self.check_strength(alg)
    }

    /// Rejects RSA keys under 2048 bits and HMAC secrets shorter than the
    /// hash output of `alg` (RFC 7518 sections 3.2 and 3.3).
    pub fn check_strength(&self, alg: Algorithm) -> Result<()> {
        if let Some(bits) = self.rsa_bits() {
            if bits < MIN_RSA_BITS {
                bail!(
                    WeakKey,
                    "RSA key of {bits} bits is too short: at least {MIN_RSA_BITS} bits are required"
                );
            }
        }
        if let Some(len) = self.secret_len() {
            let min = alg.min_secret_len().max(MIN_SECRET_BYTES);
            if len < min {
                bail!(
                    WeakKey,
                    "HMAC secret of {len} bytes is too short for {alg}: at least {min} bytes are required"
                );
            }
        }
        Ok(())
    }
}

#[cfg(feature = "arithmetic")]
impl Key {
    /// A symmetric secret from raw bytes. Rejects an empty secret; the length
    /// rule of each HMAC algorithm is applied when the key is used.
    pub fn secret(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            bail!(InvalidArgument, "an HMAC secret cannot be empty");
        }
        Ok(Self::Secret(Zeroizing::new(bytes.to_vec())))
    }

    /// The validated key on top of structurally checked `material`: what
    /// only arithmetic can check fails with `code` (`ERR_JWK_INVALID` for a
    /// JWK, `ERR_DER_INVALID` for DER).
    pub(crate) fn from_material(material: &Material, code: ErrorCode) -> Result<Self> {
        let fail = |message: alloc::string::String| Error::new(code, message);
        Ok(match material {
            Material::Rsa {
                n,
                e,
                private: None,
            } => rsa_public_from_parts(n, e)?,
            Material::Rsa {
                n,
                e,
                private: Some(private),
            } => rsa_private_from_parts(
                n,
                e,
                &private.d,
                [&private.p, &private.q],
                private
                    .crt
                    .as_ref()
                    .map(|[dp, dq, qi]| [&dp[..], &dq[..], &qi[..]]),
            )?,
            Material::Ec { curve, x, y, d } => {
                let crv = curve.name();
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                let not_on_curve = || fail(alloc::format!("EC point (x, y) is not on {crv}"));
                let mismatch = || fail("EC \"d\" does not match the public point (x, y)".into());
                let bad_scalar = || {
                    fail(alloc::format!(
                        "EC \"d\" is not a valid {crv} private scalar"
                    ))
                };
                match (curve, d) {
                    (material::Curve::P256, None) => Key::P256Public(
                        p256::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?,
                    ),
                    (material::Curve::P256, Some(d)) => {
                        let public =
                            p256::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?;
                        let private = p256::SecretKey::from_slice(d).map_err(|_| bad_scalar())?;
                        if private.public_key() != public {
                            return Err(mismatch());
                        }
                        Key::P256Private(private)
                    }
                    (material::Curve::P384, None) => Key::P384Public(
                        p384::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?,
                    ),
                    (material::Curve::P384, Some(d)) => {
                        let public =
                            p384::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?;
                        let private = p384::SecretKey::from_slice(d).map_err(|_| bad_scalar())?;
                        if private.public_key() != public {
                            return Err(mismatch());
                        }
                        Key::P384Private(private)
                    }
                }
            }
            Material::Ed25519 { x, d } => {
                let public = ed25519_dalek::VerifyingKey::from_bytes(x)
                    .map_err(|_| fail("Ed25519 \"x\" is not a valid public key".into()))?;
                match d {
                    None => Key::Ed25519Public(public),
                    Some(seed) => {
                        let private = ed25519_dalek::SigningKey::from_bytes(seed);
                        if private.verifying_key() != public {
                            return Err(fail("Ed25519 \"d\" does not match \"x\"".into()));
                        }
                        Key::Ed25519Private(private)
                    }
                }
            }
            Material::Secret(k) => Key::Secret(k.clone()),
        })
    }

    /// The key family, which decides the algorithms the key may be used with.
    pub fn family(&self) -> KeyFamily {
        match self {
            Self::RsaPublic(_) | Self::RsaPrivate(_) => KeyFamily::Rsa,
            Self::P256Public(_) | Self::P256Private(_) => KeyFamily::P256,
            Self::P384Public(_) | Self::P384Private(_) => KeyFamily::P384,
            Self::Ed25519Public(_) | Self::Ed25519Private(_) => KeyFamily::Ed25519,
            Self::Secret(_) => KeyFamily::Secret,
        }
    }

    /// True for private asymmetric keys and for secrets: keys that can sign.
    pub fn can_sign(&self) -> bool {
        matches!(
            self,
            Self::RsaPrivate(_)
                | Self::P256Private(_)
                | Self::P384Private(_)
                | Self::Ed25519Private(_)
                | Self::Secret(_)
        )
    }

    /// True for private asymmetric keys (not for secrets).
    pub fn is_private(&self) -> bool {
        self.can_sign() && !matches!(self, Self::Secret(_))
    }

    /// The public half of an asymmetric key (itself if already public).
    /// A secret has no public half.
    pub fn to_public(&self) -> Result<Key> {
        Ok(match self {
            Self::RsaPrivate(key) => Self::RsaPublic(key.to_public_key()),
            Self::P256Private(key) => Self::P256Public(key.public_key()),
            Self::P384Private(key) => Self::P384Public(key.public_key()),
            Self::Ed25519Private(key) => Self::Ed25519Public(key.verifying_key()),
            Self::Secret(_) => bail!(
                InvalidArgument,
                "a symmetric secret has no public key to export"
            ),
            public => public.clone(),
        })
    }

    /// The RSA modulus size in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::RsaPublic(key) => Some(key.n().bits()),
            Self::RsaPrivate(key) => Some(key.n().bits()),
            _ => None,
        }
    }

    /// The secret's length in bytes, for HMAC secrets.
    pub fn secret_len(&self) -> Option<usize> {
        match self {
            Self::Secret(bytes) => Some(bytes.len()),
            _ => None,
        }
    }
}

fn family_label(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Secret => "a symmetric (oct)",
        KeyFamily::Rsa => "an RSA",
        KeyFamily::P256 => "an EC P-256",
        KeyFamily::P384 => "an EC P-384",
        KeyFamily::Ed25519 => "an OKP Ed25519",
    }
}

#[cfg(feature = "arithmetic")]
impl fmt::Debug for Key {
    // Never prints key material: a Debug of a private key ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::RsaPublic(_) => "RsaPublic",
            Self::RsaPrivate(_) => "RsaPrivate",
            Self::P256Public(_) => "P256Public",
            Self::P256Private(_) => "P256Private",
            Self::P384Public(_) => "P384Public",
            Self::P384Private(_) => "P384Private",
            Self::Ed25519Public(_) => "Ed25519Public",
            Self::Ed25519Private(_) => "Ed25519Private",
            Self::Secret(_) => "Secret",
        };
        let mut out = f.debug_struct(kind);
        if let Some(bits) = self.rsa_bits() {
            out.field("bits", &bits);
        }
        if let Some(len) = self.secret_len() {
            out.field("len", &len);
        }
        out.finish_non_exhaustive()
    }
}

#[cfg(feature = "arithmetic")]
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        match (self, other) {
            (Self::RsaPublic(a), Self::RsaPublic(b)) => a == b,
            (Self::RsaPrivate(a), Self::RsaPrivate(b)) => a == b,
            (Self::P256Public(a), Self::P256Public(b)) => a == b,
            (Self::P256Private(a), Self::P256Private(b)) => a == b,
            (Self::P384Public(a), Self::P384Public(b)) => a == b,
            (Self::P384Private(a), Self::P384Private(b)) => a == b,
            (Self::Ed25519Public(a), Self::Ed25519Public(b)) => a == b,
            (Self::Ed25519Private(a), Self::Ed25519Private(b)) => {
                a.to_bytes().ct_eq(&b.to_bytes()).into()
            }
            (Self::Secret(a), Self::Secret(b)) => a.as_slice().ct_eq(b.as_slice()).into(),
            _ => false,
        }
    }
}

#[cfg(feature = "arithmetic")]
impl Eq for Key {}

/// An RSA public key from big-endian components, within the size bounds.
#[cfg(feature = "arithmetic")]
pub(crate) fn rsa_public_from_parts(n: &[u8], e: &[u8]) -> Result<Key> {
    let n = rsa::BigUint::from_bytes_be(n);
    check_modulus_size(&n)?;
    let e = rsa::BigUint::from_bytes_be(e);
    RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
        .map(Key::RsaPublic)
        .map_err(|e| {
            Error::new(
                ErrorCode::JwkInvalid,
                alloc::format!("invalid RSA public key: {e}"),
            )
        })
}

/// An RSA private key from big-endian components. The key is validated
/// (primes multiply to n, d inverts e) and CRT parameters, when given, must
/// agree with it: a signer using wrong ones would leak the key.
#[cfg(feature = "arithmetic")]
pub(crate) fn rsa_private_from_parts(
    n: &[u8],
    e: &[u8],
    d: &[u8],
    primes: [&[u8]; 2],
    crt: Option<[&[u8]; 3]>,
) -> Result<Key> {
    use rsa::traits::PrivateKeyParts;
    let uint = |bytes: &[u8]| rsa::BigUint::from_bytes_be(bytes);
    let n = uint(n);
    check_modulus_size(&n)?;
    let invalid = |what: &str| {
        Error::new(
            ErrorCode::JwkInvalid,
            alloc::format!("invalid RSA private key: {what}"),
        )
    };
    let private = RsaPrivateKey::from_components(
        n,
        uint(e),
        uint(d),
        alloc::vec![uint(primes[0]), uint(primes[1])],
    )
    .map_err(|e| invalid(&alloc::format!("{e}")))?;
    if let Some([dp, dq, qi]) = crt {
        let expected = (private.dp(), private.dq(), private.crt_coefficient());
        if expected.0 != Some(&uint(dp))
            || expected.1 != Some(&uint(dq))
            || expected.2 != Some(uint(qi))
        {
            return Err(invalid("CRT parameters (dp, dq, qi) do not match the key"));
        }
    }
    Ok(Key::RsaPrivate(private))
}

#[cfg(feature = "arithmetic")]
fn check_modulus_size(n: &rsa::BigUint) -> Result<()> {
    if n.bits() > MAX_RSA_BITS {
        bail!(
            KeyTooLarge,
            "RSA modulus of {} bits exceeds the {MAX_RSA_BITS}-bit limit",
            n.bits()
        );
    }
    Ok(())
}
