//! The structural form of a key: what a JWK, an SPKI or a PKCS#8 document
//! says, with every check that needs no arithmetic.
//!
//! Parse, don't validate, in two layers. This one reads the encodings with
//! the `spki`/`pkcs8`/`pkcs1`/`sec1` crates' structure types and checks
//! sizes: the RSA modulus length (from `n` without its leading zeros) against
//! [`super::MAX_RSA_BITS`], the public exponent odd and above 1, EC
//! coordinates and scalars of the curve's length, Ed25519 keys of 32 bytes,
//! a non-empty HMAC secret. Both builds run it. With the `arithmetic`
//! feature, [`super::Key`] is built on top of it and checks what only
//! arithmetic can (points on their curve, private halves matching public
//! ones, RSA primes and CRT values); without it (the npm package's tokens
//! module) the key goes to the host's crypto as it came (JWK members or the
//! DER), and the host's import checks that.
//!
//! Encodings this layer cannot read without arithmetic (a compressed EC
//! point, an Ed25519 or EC private key without its public key, whose public
//! half would have to be computed) fail with `ERR_KEYS_MODULE_REQUIRED`.

use alloc::vec::Vec;

use const_oid::db::{rfc5912, rfc8410};
use const_oid::ObjectIdentifier;
use der::Decode;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::MAX_RSA_BITS;
#[cfg(not(feature = "arithmetic"))]
use crate::alg::KeyFamily;
use crate::b64;
use crate::error::{bail, err, Error, ErrorCode, Result};

/// An EC curve jwt-edge supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The length of a coordinate and of a private scalar, in bytes.
    pub(crate) const fn size(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// The JWK `crv`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }

    pub(crate) fn from_oid(oid: ObjectIdentifier) -> Result<Self> {
        if oid == rfc5912::SECP_256_R_1 {
            Ok(Self::P256)
        } else if oid == rfc5912::SECP_384_R_1 {
            Ok(Self::P384)
        } else {
            Err(err!(
                NotSupported,
                "unsupported EC curve {} (P-256 and P-384 are supported)",
                oid_name(oid)
            ))
        }
    }
}

/// The private parts of an RSA key, big-endian as encoded.
#[derive(Clone)]
pub(crate) struct RsaPrivateParts {
    pub d: Zeroizing<Vec<u8>>,
    pub p: Zeroizing<Vec<u8>>,
    pub q: Zeroizing<Vec<u8>>,
    /// `dp`, `dq`, `qi` when the encoding carries them.
    pub crt: Option<[Zeroizing<Vec<u8>>; 3]>,
}

/// A key as its encoding describes it, structurally checked.
#[derive(Clone)]
pub(crate) enum Material {
    Rsa {
        /// The modulus, without leading zero bytes.
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<RsaPrivateParts>,
    },
    Ec {
        curve: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
        d: Option<Zeroizing<Vec<u8>>>,
    },
    Ed25519 {
        x: [u8; 32],
        d: Option<Zeroizing<[u8; 32]>>,
    },
    Secret(Zeroizing<Vec<u8>>),
}

impl Material {
    #[cfg(not(feature = "arithmetic"))]
    pub(crate) fn family(&self) -> KeyFamily {
        match self {
            Self::Rsa { .. } => KeyFamily::Rsa,
            Self::Ec {
                curve: Curve::P256, ..
            } => KeyFamily::P256,
            Self::Ec {
                curve: Curve::P384, ..
            } => KeyFamily::P384,
            Self::Ed25519 { .. } => KeyFamily::Ed25519,
            Self::Secret(_) => KeyFamily::Secret,
        }
    }

    #[cfg(not(feature = "arithmetic"))]
    /// True for private asymmetric keys.
    pub(crate) fn is_private(&self) -> bool {
        match self {
            Self::Rsa { private, .. } => private.is_some(),
            Self::Ec { d, .. } => d.is_some(),
            Self::Ed25519 { d, .. } => d.is_some(),
            Self::Secret(_) => false,
        }
    }

    #[cfg(not(feature = "arithmetic"))]
    /// The public half (itself if already public; a secret stays a secret).
    pub(crate) fn to_public(&self) -> Self {
        match self {
            Self::Rsa { n, e, .. } => Self::Rsa {
                n: n.clone(),
                e: e.clone(),
                private: None,
            },
            Self::Ec { curve, x, y, .. } => Self::Ec {
                curve: *curve,
                x: x.clone(),
                y: y.clone(),
                d: None,
            },
            Self::Ed25519 { x, .. } => Self::Ed25519 { x: *x, d: None },
            Self::Secret(k) => Self::Secret(k.clone()),
        }
    }

    #[cfg(not(feature = "arithmetic"))]
    /// The RSA modulus length in bits.
    pub(crate) fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Rsa { n, .. } => Some(bit_length(n)),
            _ => None,
        }
    }

    #[cfg(not(feature = "arithmetic"))]
    /// Writes `kty` and the key parameters as JWK members, in the order
    /// jose writes them.
    pub(crate) fn write_members(&self, out: &mut Map<alloc::string::String, Value>) {
        let put = |out: &mut Map<_, _>, name: &str, bytes: &[u8]| {
            out.insert(name.into(), Value::String(b64::encode_url(bytes)));
        };
        match self {
            Self::Rsa { n, e, private } => {
                out.insert("kty".into(), Value::String("RSA".into()));
                put(out, "n", n);
                put(out, "e", e);
                if let Some(private) = private {
                    put(out, "d", &private.d);
                    put(out, "p", &private.p);
                    put(out, "q", &private.q);
                    if let Some([dp, dq, qi]) = &private.crt {
                        put(out, "dp", dp);
                        put(out, "dq", dq);
                        put(out, "qi", qi);
                    }
                }
            }
            Self::Ec { curve, x, y, d } => {
                out.insert("kty".into(), Value::String("EC".into()));
                out.insert("crv".into(), Value::String(curve.name().into()));
                put(out, "x", x);
                put(out, "y", y);
                if let Some(d) = d {
                    put(out, "d", d);
                }
            }
            Self::Ed25519 { x, d } => {
                out.insert("kty".into(), Value::String("OKP".into()));
                out.insert("crv".into(), Value::String("Ed25519".into()));
                put(out, "x", x);
                if let Some(d) = d {
                    put(out, "d", &d[..]);
                }
            }
            Self::Secret(k) => {
                out.insert("kty".into(), Value::String("oct".into()));
                put(out, "k", k);
            }
        }
    }

    // ------------------------------------------------------------ JWK ----

    /// The key members of a JWK object whose `kty` is `kty`.
    pub(crate) fn from_jwk(kty: &str, members: &Map<alloc::string::String, Value>) -> Result<Self> {
        match kty {
            "RSA" => rsa_from_jwk(members),
            "EC" => ec_from_jwk(members),
            "OKP" => okp_from_jwk(members),
            "oct" => {
                let k = Zeroizing::new(required_bytes(members, "k")?);
                if k.is_empty() {
                    bail!(JwkInvalid, "oct JWK \"k\" is empty");
                }
                Ok(Self::Secret(k))
            }
            other => Err(Error::new(
                ErrorCode::NotSupported,
                alloc::format!("unsupported JWK kty {other:?}"),
            )),
        }
    }

    // ------------------------------------------------------------ DER ----

    /// A `SubjectPublicKeyInfo`.
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| err!(DerInvalid, "invalid SubjectPublicKeyInfo: {e}"))?;
        let oid = spki.algorithm.oid;
        let bits = spki.subject_public_key.as_bytes();
        if oid == rfc5912::RSA_ENCRYPTION {
            let bits = bits
                .ok_or_else(|| err!(DerInvalid, "RSA public key bit string is not byte-aligned"))?;
            let public = pkcs1::RsaPublicKey::from_der(bits)
                .map_err(|e| err!(DerInvalid, "invalid RSA public key: {e}"))?;
            return rsa_public(
                public.modulus.as_bytes(),
                public.public_exponent.as_bytes(),
                ErrorCode::DerInvalid,
            );
        }
        let bits = bits.ok_or_else(|| err!(DerInvalid, "invalid public key: not byte-aligned"))?;
        if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|_| err!(DerInvalid, "EC public key without a named curve"))?;
            let curve = Curve::from_oid(curve)?;
            let (x, y) = ec_point(curve, bits)?;
            return Ok(Self::Ec {
                curve,
                x,
                y,
                d: None,
            });
        }
        if oid == rfc8410::ID_ED_25519 {
            let x = bits
                .try_into()
                .map_err(|_| err!(DerInvalid, "invalid public key: Ed25519 keys are 32 bytes"))?;
            return Ok(Self::Ed25519 { x, d: None });
        }
        Err(unsupported_algorithm(oid))
    }

    /// A PKCS#8 `PrivateKeyInfo` (v1 or v2).
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| err!(DerInvalid, "invalid PKCS#8 private key: {e}"))?;
        let oid = info.algorithm.oid;
        if oid == rfc5912::RSA_ENCRYPTION {
            return Self::from_pkcs1_private_der(info.private_key);
        }
        if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| err!(DerInvalid, "EC private key without a named curve"))?;
            let curve = Curve::from_oid(curve)?;
            let inner = sec1::EcPrivateKey::from_der(info.private_key)
                .map_err(|e| err!(DerInvalid, "invalid private key: {e}"))?;
            if let Some(named) = inner.parameters.and_then(|p| p.named_curve()) {
                if Curve::from_oid(named)? != curve {
                    bail!(DerInvalid, "invalid private key: two different curves");
                }
            }
            return ec_private(curve, inner.private_key, inner.public_key);
        }
        if oid == rfc8410::ID_ED_25519 {
            // RFC 8410: the private key is an OCTET STRING holding the seed.
            let seed = der::asn1::OctetStringRef::from_der(info.private_key)
                .map_err(|e| err!(DerInvalid, "invalid private key: {e}"))?;
            let seed: [u8; 32] = seed.as_bytes().try_into().map_err(|_| {
                err!(
                    DerInvalid,
                    "invalid private key: Ed25519 seeds are 32 bytes"
                )
            })?;
            let Some(public) = info.public_key else {
                bail!(
                    KeysModuleRequired,
                    "an Ed25519 PKCS#8 key without its public key: deriving it needs curve arithmetic"
                );
            };
            let x = public
                .try_into()
                .map_err(|_| err!(DerInvalid, "invalid public key: Ed25519 keys are 32 bytes"))?;
            return Ok(Self::Ed25519 {
                x,
                d: Some(Zeroizing::new(seed)),
            });
        }
        Err(unsupported_algorithm(oid))
    }

    /// A PKCS#1 `RSAPrivateKey` (two primes).
    pub(crate) fn from_pkcs1_private_der(der: &[u8]) -> Result<Self> {
        let private = pkcs1::RsaPrivateKey::from_der(der)
            .map_err(|e| err!(DerInvalid, "invalid PKCS#1 RSA private key: {e}"))?;
        if private.other_prime_infos.is_some() {
            bail!(NotSupported, "multi-prime RSA keys are not supported");
        }
        let Self::Rsa { n, e, .. } = rsa_public(
            private.modulus.as_bytes(),
            private.public_exponent.as_bytes(),
            ErrorCode::DerInvalid,
        )?
        else {
            unreachable!("rsa_public returns an RSA key")
        };
        let secret = |bytes: &[u8]| Zeroizing::new(bytes.to_vec());
        Ok(Self::Rsa {
            n,
            e,
            private: Some(RsaPrivateParts {
                d: secret(private.private_exponent.as_bytes()),
                p: secret(private.prime1.as_bytes()),
                q: secret(private.prime2.as_bytes()),
                crt: Some([
                    secret(private.exponent1.as_bytes()),
                    secret(private.exponent2.as_bytes()),
                    secret(private.coefficient.as_bytes()),
                ]),
            }),
        })
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let bytes = strip_zeros(bytes);
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// An RSA public key's structural checks: the modulus within
/// [`MAX_RSA_BITS`] (`ERR_JOSE_KEY_TOO_LARGE`), the public exponent odd and
/// above 1 and at most 2^33 - 1 as RFC 8017 and the `rsa` crate require
/// (`code` otherwise).
fn rsa_public(n: &[u8], e: &[u8], code: ErrorCode) -> Result<Material> {
    let bits = bit_length(n);
    if bits > MAX_RSA_BITS {
        bail!(
            KeyTooLarge,
            "RSA modulus of {bits} bits exceeds the {MAX_RSA_BITS}-bit limit"
        );
    }
    let invalid = |what: &str| Error::new(code, alloc::format!("invalid RSA public key: {what}"));
    let n = strip_zeros(n);
    if n.last().is_none_or(|low| low & 1 == 0) {
        return Err(invalid("the modulus must be odd"));
    }
    let e = strip_zeros(e);
    if bit_length(e) > 33 {
        return Err(invalid("public exponent too large"));
    }
    if e.last().is_none_or(|low| low & 1 == 0) || e == [1] {
        return Err(invalid(
            "the public exponent must be odd and greater than 1",
        ));
    }
    Ok(Material::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
        private: None,
    })
}

/// An uncompressed SEC1 point's coordinates.
fn ec_point(curve: Curve, point: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let size = curve.size();
    match point.first() {
        Some(0x04) if point.len() == 1 + 2 * size => {
            let (x, y) = point[1..].split_at(size);
            Ok((x.to_vec(), y.to_vec()))
        }
        Some(0x02 | 0x03) if point.len() == 1 + size => Err(err!(
            KeysModuleRequired,
            "a compressed EC point: decompressing it needs curve arithmetic"
        )),
        _ => Err(err!(
            DerInvalid,
            "invalid public key: not a {} point",
            curve.name()
        )),
    }
}

/// An EC private key: the scalar of the curve's length and its public point.
fn ec_private(curve: Curve, scalar: &[u8], public: Option<&[u8]>) -> Result<Material> {
    if scalar.len() != curve.size() {
        bail!(
            DerInvalid,
            "invalid private key: a {} scalar is {} bytes",
            curve.name(),
            curve.size()
        );
    }
    let Some(public) = public else {
        bail!(
            KeysModuleRequired,
            "an EC private key without its public key: deriving it needs curve arithmetic"
        );
    };
    let (x, y) = ec_point(curve, public)?;
    Ok(Material::Ec {
        curve,
        x,
        y,
        d: Some(Zeroizing::new(scalar.to_vec())),
    })
}

/// A SEC1 `ECPrivateKey` structure, read without arithmetic.
#[cfg(feature = "arithmetic")]
pub(crate) fn sec1_from_der(der: &[u8]) -> Result<sec1::EcPrivateKey<'_>> {
    sec1::EcPrivateKey::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid SEC1 EC private key: {e}"))
}

/// The curve of a SEC1 key: its named curve or, without parameters, the
/// one its scalar's length fits.
#[cfg(feature = "arithmetic")]
pub(crate) fn sec1_curve(parsed: &sec1::EcPrivateKey<'_>) -> Result<Curve> {
    match parsed.parameters.and_then(|p| p.named_curve()) {
        Some(oid) => Curve::from_oid(oid),
        None => match parsed.private_key.len() {
            32 => Ok(Curve::P256),
            48 => Ok(Curve::P384),
            _ => bail!(DerInvalid, "SEC1 EC private key without a named curve"),
        },
    }
}

/// A SEC1 `ECPrivateKey` (`EC PRIVATE KEY`).
#[cfg(feature = "arithmetic")]
pub(crate) fn ec_from_sec1_der(der: &[u8]) -> Result<Material> {
    let parsed = sec1_from_der(der)?;
    ec_private(sec1_curve(&parsed)?, parsed.private_key, parsed.public_key)
}

fn rsa_from_jwk(members: &Map<alloc::string::String, Value>) -> Result<Material> {
    if members.contains_key("oth") {
        bail!(
            NotSupported,
            "multi-prime RSA keys (\"oth\") are not supported"
        );
    }
    let n = required_bytes(members, "n")?;
    let e = required_bytes(members, "e")?;
    let Material::Rsa { n, e, .. } = rsa_public(&n, &e, ErrorCode::JwkInvalid)? else {
        unreachable!("rsa_public returns an RSA key")
    };
    if !members.contains_key("d") {
        return Ok(Material::Rsa {
            n,
            e,
            private: None,
        });
    }
    let d = Zeroizing::new(required_bytes(members, "d")?);
    let p = Zeroizing::new(required_bytes(members, "p")?);
    let q = Zeroizing::new(required_bytes(members, "q")?);
    let crt = match ["dp", "dq", "qi"].map(|name| members.contains_key(name)) {
        // The host's crypto (OpenSSL, WebCrypto) imports an RSA private JWK
        // only with its CRT values, and computing them is bignum arithmetic.
        #[cfg(not(feature = "arithmetic"))]
        [false, false, false] => bail!(
            KeysModuleRequired,
            "an RSA private JWK without \"dp\", \"dq\" and \"qi\": computing them needs the keys module"
        ),
        #[cfg(feature = "arithmetic")]
        [false, false, false] => None,
        _ => Some([
            Zeroizing::new(required_bytes(members, "dp")?),
            Zeroizing::new(required_bytes(members, "dq")?),
            Zeroizing::new(required_bytes(members, "qi")?),
        ]),
    };
    Ok(Material::Rsa {
        n,
        e,
        private: Some(RsaPrivateParts { d, p, q, crt }),
    })
}

fn ec_from_jwk(members: &Map<alloc::string::String, Value>) -> Result<Material> {
    let crv = required_str(members, "crv")?;
    let curve = match crv {
        "P-256" => Curve::P256,
        "P-384" => Curve::P384,
        other => bail!(NotSupported, "unsupported EC curve {other:?}"),
    };
    let size = curve.size();
    let x = required_bytes(members, "x")?;
    let y = required_bytes(members, "y")?;
    if x.len() != size || y.len() != size {
        bail!(JwkInvalid, "EC {crv} coordinates must be {size} bytes each");
    }
    let d = match members.get("d") {
        None => None,
        Some(_) => {
            let d = Zeroizing::new(required_bytes(members, "d")?);
            if d.len() != size {
                bail!(JwkInvalid, "EC {crv} \"d\" must be {size} bytes");
            }
            Some(d)
        }
    };
    Ok(Material::Ec { curve, x, y, d })
}

fn okp_from_jwk(members: &Map<alloc::string::String, Value>) -> Result<Material> {
    let crv = required_str(members, "crv")?;
    if crv != "Ed25519" {
        bail!(NotSupported, "unsupported OKP curve {crv:?}");
    }
    let x: [u8; 32] = required_bytes(members, "x")?
        .try_into()
        .map_err(|_| err!(JwkInvalid, "Ed25519 \"x\" must be 32 bytes"))?;
    if !members.contains_key("d") {
        return Ok(Material::Ed25519 { x, d: None });
    }
    let d = Zeroizing::new(required_bytes(members, "d")?);
    let seed: [u8; 32] = d
        .as_slice()
        .try_into()
        .map_err(|_| err!(JwkInvalid, "Ed25519 \"d\" must be 32 bytes"))?;
    Ok(Material::Ed25519 {
        x,
        d: Some(Zeroizing::new(seed)),
    })
}

pub(crate) fn required_str<'a>(
    members: &'a Map<alloc::string::String, Value>,
    name: &str,
) -> Result<&'a str> {
    match members.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => bail!(JwkInvalid, "JWK \"{name}\" must be a string"),
        None => bail!(JwkInvalid, "JWK is missing \"{name}\""),
    }
}

fn required_bytes(members: &Map<alloc::string::String, Value>, name: &str) -> Result<Vec<u8>> {
    let text = required_str(members, name)?;
    b64::decode_url(
        text,
        ErrorCode::JwkInvalid,
        &alloc::format!("JWK \"{name}\""),
    )
}

pub(crate) fn unsupported_algorithm(oid: ObjectIdentifier) -> Error {
    err!(
        NotSupported,
        "unsupported key algorithm {} (RSA, EC P-256/P-384 and Ed25519 are supported)",
        oid_name(oid)
    )
}

/// A readable name for the algorithms and curves people most often bring
/// that jwt-edge does not support. A full OID name table would cost the
/// WebAssembly build tens of kilobytes for error messages alone.
pub(crate) fn oid_name(oid: ObjectIdentifier) -> alloc::string::String {
    const KNOWN: &[(&str, &str)] = &[
        ("1.3.132.0.35", "P-521 (secp521r1)"),
        ("1.3.132.0.10", "secp256k1"),
        ("1.3.101.110", "X25519"),
        ("1.3.101.111", "X448"),
        ("1.3.101.113", "Ed448"),
        ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
        ("1.2.840.10040.4.1", "DSA"),
        ("1.2.840.10046.2.1", "Diffie-Hellman"),
    ];
    use alloc::string::ToString;
    let dotted = oid.to_string();
    match KNOWN.iter().find(|(known, _)| *known == dotted) {
        Some((_, name)) => alloc::format!("{name} ({dotted})"),
        None => dotted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignore_leading_zeros() {
        assert_eq!(bit_length(&[0, 0, 0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn rsa_exponent_must_be_odd_and_above_one() {
        let n = [0xc3u8; 256];
        for bad in [&[1u8][..], &[0, 1], &[2], &[0x01, 0x00, 0x00], &[]] {
            let error = rsa_public(&n, bad, ErrorCode::JwkInvalid).err().unwrap();
            assert_eq!(error.code(), ErrorCode::JwkInvalid, "{bad:?}");
        }
        assert!(rsa_public(&n, &[1, 0, 1], ErrorCode::JwkInvalid).is_ok());
        assert!(rsa_public(&[0xc2; 256], &[3], ErrorCode::DerInvalid).is_err());
        let huge = [0xffu8; 1025];
        let error = rsa_public(&huge, &[3], ErrorCode::JwkInvalid)
            .err()
            .unwrap();
        assert_eq!(error.code(), ErrorCode::KeyTooLarge);
    }

    #[test]
    fn compressed_points_need_the_keys_module() {
        let mut point = alloc::vec![0x02u8];
        point.extend_from_slice(&[7u8; 32]);
        let error = ec_point(Curve::P256, &point).err().unwrap();
        assert_eq!(error.code(), ErrorCode::KeysModuleRequired);
        let error = ec_point(Curve::P256, &point[..20]).err().unwrap();
        assert_eq!(error.code(), ErrorCode::DerInvalid);
    }
}
