//! PEM and DER: SPKI, PKCS#1, PKCS#8, SEC1 and X.509 certificates.
//!
//! Output is byte-identical to what `openssl` writes for the same key (LF
//! line endings, 64 columns, uncompressed EC points, PKCS#8 v1 for Ed25519).
//! Input is forgiving where people paste keys: CRLF, surrounding text,
//! re-wrapped or one-line bodies, several blocks in one paste.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

#[cfg(feature = "arithmetic")]
use const_oid::db::{rfc5912, rfc8410};
#[cfg(feature = "arithmetic")]
use const_oid::ObjectIdentifier;
#[cfg(feature = "arithmetic")]
use der::{Decode, Encode};
#[cfg(feature = "arithmetic")]
use elliptic_curve::sec1::ToEncodedPoint;
#[cfg(feature = "arithmetic")]
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
#[cfg(feature = "arithmetic")]
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
#[cfg(feature = "arithmetic")]
use zeroize::Zeroizing;

use super::jwk::Jwk;
use super::material::Material;
#[cfg(feature = "arithmetic")]
use super::material::{unsupported_algorithm, Curve};
use super::Key;
#[cfg(feature = "arithmetic")]
use super::{rsa_private_from_parts, rsa_public_from_parts};
use crate::b64;
use crate::error::{bail, err, Result};
#[cfg(feature = "arithmetic")]
use crate::error::{Error, ErrorCode};

/// A PEM/DER key encoding.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PemFormat {
    /// SubjectPublicKeyInfo, `PUBLIC KEY` (any public key).
    Spki,
    /// PKCS#1, `RSA PUBLIC KEY` or `RSA PRIVATE KEY` (RSA only).
    Pkcs1,
    /// PKCS#8, `PRIVATE KEY` (any private key).
    Pkcs8,
    /// SEC1, `EC PRIVATE KEY` (EC private keys only).
    Sec1,
}

impl PemFormat {
    /// Parses `spki`, `pkcs1`, `pkcs8` or `sec1`.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "spki" => Self::Spki,
            "pkcs1" => Self::Pkcs1,
            "pkcs8" => Self::Pkcs8,
            "sec1" => Self::Sec1,
            other => bail!(
                InvalidArgument,
                "unknown PEM format {other:?}: expected spki, pkcs1, pkcs8 or sec1"
            ),
        })
    }

    /// The format's name as accepted by [`PemFormat::from_name`].
    pub const fn name(self) -> &'static str {
        match self {
            Self::Spki => "spki",
            Self::Pkcs1 => "pkcs1",
            Self::Pkcs8 => "pkcs8",
            Self::Sec1 => "sec1",
        }
    }
}

/// Which block to take when a PEM document holds several.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PemKind {
    /// `PUBLIC KEY` or `RSA PUBLIC KEY`.
    PublicKey,
    /// `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`.
    PrivateKey,
    /// `CERTIFICATE` (a chain is taken whole, leaf first).
    Certificate,
}

/// A key decoded from PEM or DER, with the certificate chain it came in.
#[derive(Debug, Clone)]
pub struct DecodedKey {
    /// The key.
    pub key: Key,
    /// DER certificates, leaf first, when the key came from certificates.
    pub certificates: Vec<Vec<u8>>,
}

impl DecodedKey {
    /// The key as a JWK; from a certificate, `x5c` and `x5t#S256` are set.
    pub fn into_jwk(self) -> Jwk {
        let mut jwk = Jwk::new(self.key);
        if let Some(leaf) = self.certificates.first() {
            use sha2::Digest;
            jwk.x5t_s256 = Some(b64::encode_url(&sha2::Sha256::digest(leaf)));
            jwk.x5c = Some(
                self.certificates
                    .iter()
                    .map(|c| b64::encode_std(c))
                    .collect(),
            );
        }
        jwk
    }
}

#[cfg(feature = "arithmetic")]
impl Key {
    /// The DER encoding of this key in `format`. SPKI of a private key is
    /// its public key's SPKI.
    pub fn to_der(&self, format: PemFormat) -> Result<Zeroizing<Vec<u8>>> {
        if let Key::Secret(_) = self {
            bail!(
                NotSupported,
                "a symmetric secret has no PEM form; use its JWK (kty \"oct\")"
            );
        }
        match (format, self) {
            (PemFormat::Spki, key) => match key.to_public()? {
                Key::RsaPublic(public) => encoded(public.to_public_key_der()),
                Key::P256Public(public) => encoded(public.to_public_key_der()),
                Key::P384Public(public) => encoded(public.to_public_key_der()),
                Key::Ed25519Public(public) => encoded(public.to_public_key_der()),
                other => bail!(NotSupported, "no SPKI form for {other:?}"),
            },
            (PemFormat::Pkcs1, Key::RsaPublic(public)) => encoded(public.to_pkcs1_der()),
            (PemFormat::Pkcs1, Key::RsaPrivate(private)) => encoded(private.to_pkcs1_der()),
            (PemFormat::Pkcs1, _) => bail!(InvalidArgument, "PKCS#1 holds RSA keys only"),
            (PemFormat::Pkcs8, Key::RsaPrivate(private)) => encoded(private.to_pkcs8_der()),
            (PemFormat::Pkcs8, Key::P256Private(private)) => encoded(private.to_pkcs8_der()),
            (PemFormat::Pkcs8, Key::P384Private(private)) => encoded(private.to_pkcs8_der()),
            (PemFormat::Pkcs8, Key::Ed25519Private(private)) => {
                // OpenSSL writes PKCS#8 v1 (no embedded public key) for Ed25519.
                let pair = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: private.to_bytes(),
                    public_key: None,
                };
                encoded(pair.to_pkcs8_der())
            }
            (PemFormat::Pkcs8, _) => bail!(
                InvalidArgument,
                "PKCS#8 holds private keys; use SPKI for a public key"
            ),
            (PemFormat::Sec1, Key::P256Private(private)) => {
                let point = private.public_key().to_encoded_point(false);
                sec1_der(&private.to_bytes(), rfc5912::SECP_256_R_1, point.as_bytes())
            }
            (PemFormat::Sec1, Key::P384Private(private)) => {
                let point = private.public_key().to_encoded_point(false);
                sec1_der(&private.to_bytes(), rfc5912::SECP_384_R_1, point.as_bytes())
            }
            (PemFormat::Sec1, _) => bail!(InvalidArgument, "SEC1 holds EC private keys only"),
        }
    }

    /// The PEM encoding of this key. Without a format: SPKI for public keys,
    /// PKCS#8 for private ones.
    pub fn to_pem(&self, format: Option<PemFormat>) -> Result<String> {
        let format = format.unwrap_or(if self.is_private() {
            PemFormat::Pkcs8
        } else {
            PemFormat::Spki
        });
        let label = match (format, self.is_private()) {
            (PemFormat::Spki, _) => "PUBLIC KEY",
            (PemFormat::Pkcs1, false) => "RSA PUBLIC KEY",
            (PemFormat::Pkcs1, true) => "RSA PRIVATE KEY",
            (PemFormat::Pkcs8, _) => "PRIVATE KEY",
            (PemFormat::Sec1, _) => "EC PRIVATE KEY",
        };
        let der = self.to_der(format)?;
        Ok(encode_pem(label, &der))
    }
}

/// Encodes DER as a PEM block exactly as OpenSSL does.
pub fn encode_pem(label: &str, der: &[u8]) -> String {
    let block = pem::Pem::new(label, der.to_vec());
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

#[cfg(feature = "arithmetic")]
/// SEC1 `ECPrivateKey` with the named curve and the public key, as OpenSSL
/// writes it (RustCrypto's own SEC1 encoder leaves the curve out).
fn sec1_der(
    scalar: &[u8],
    curve: ObjectIdentifier,
    public_point: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let key = sec1::EcPrivateKey {
        private_key: scalar,
        parameters: Some(sec1::EcParameters::NamedCurve(curve)),
        public_key: Some(public_point),
    };
    encoded(key.to_der().map(Zeroizing::new))
}

#[cfg(feature = "arithmetic")]
/// Any DER document an encoder returns, copied into zeroizing memory.
fn encoded<D: DerDocument, E: core::fmt::Display>(
    result: core::result::Result<D, E>,
) -> Result<Zeroizing<Vec<u8>>> {
    result
        .map(|doc| Zeroizing::new(doc.der_bytes().to_vec()))
        .map_err(|e| err!(DerInvalid, "DER encoding failed: {e}"))
}

#[cfg(feature = "arithmetic")]
/// The two document types RustCrypto encoders return.
trait DerDocument {
    fn der_bytes(&self) -> &[u8];
}

#[cfg(feature = "arithmetic")]
impl DerDocument for der::Document {
    fn der_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

#[cfg(feature = "arithmetic")]
impl DerDocument for der::SecretDocument {
    fn der_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

#[cfg(feature = "arithmetic")]
impl DerDocument for Zeroizing<Vec<u8>> {
    fn der_bytes(&self) -> &[u8] {
        self
    }
}

/// The PEM labels jwt-edge reads, and what each holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockType {
    Spki,
    Pkcs1Public,
    Pkcs8,
    Pkcs1Private,
    Sec1,
    EncryptedPkcs8,
    Certificate,
}

impl BlockType {
    fn from_label(label: &str) -> Result<Option<Self>> {
        Ok(Some(match label {
            "PUBLIC KEY" => Self::Spki,
            "RSA PUBLIC KEY" => Self::Pkcs1Public,
            "PRIVATE KEY" => Self::Pkcs8,
            "RSA PRIVATE KEY" => Self::Pkcs1Private,
            "EC PRIVATE KEY" => Self::Sec1,
            "CERTIFICATE" | "X509 CERTIFICATE" => Self::Certificate,
            "ENCRYPTED PRIVATE KEY" => Self::EncryptedPkcs8,
            // `openssl ecparam -genkey` writes the curve before the key.
            _ => return Ok(None),
        }))
    }

    fn kind(self) -> PemKind {
        match self {
            Self::Spki | Self::Pkcs1Public => PemKind::PublicKey,
            Self::Pkcs8 | Self::Pkcs1Private | Self::Sec1 | Self::EncryptedPkcs8 => {
                PemKind::PrivateKey
            }
            Self::Certificate => PemKind::Certificate,
        }
    }
}

/// Decodes a key from PEM text. With several blocks, `want` chooses; a
/// certificate chain counts as one (its leaf holds the key). An encrypted
/// private key fails with `ERR_KEY_PASSPHRASE_REQUIRED`: see
/// [`decode_pem_with_passphrase`].
pub fn decode_pem(text: &str, want: Option<PemKind>) -> Result<DecodedKey> {
    decode_pem_with_passphrase(text, want, None)
}

/// [`decode_pem`], decrypting an `ENCRYPTED PRIVATE KEY` block with
/// `passphrase` (see [`super::encrypted`]). The passphrase is ignored for
/// unencrypted blocks.
pub fn decode_pem_with_passphrase(
    text: &str,
    want: Option<PemKind>,
    passphrase: Option<&[u8]>,
) -> Result<DecodedKey> {
    if !text.contains("-----BEGIN ") {
        bail!(
            PemInvalid,
            "no PEM block found (expected -----BEGIN ...-----)"
        );
    }
    let blocks = pem::parse_many(text).map_err(|e| err!(PemInvalid, "malformed PEM: {e}"))?;
    let mut usable = Vec::new();
    let mut labels = Vec::new();
    for block in &blocks {
        labels.push(block.tag().to_string());
        if block.headers().iter().next().is_some() {
            if block
                .headers()
                .get("Proc-Type")
                .is_some_and(|value| value.contains("ENCRYPTED"))
            {
                bail!(
                    NotSupported,
                    "{:?} is a legacy OpenSSL-encrypted PEM (Proc-Type: 4,ENCRYPTED), which is not \
                     supported: convert it to encrypted PKCS#8 with \
                     `openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-pkcs8.pem`",
                    block.tag()
                );
            }
            bail!(
                NotSupported,
                "PEM block {:?} has headers, which are not supported",
                block.tag()
            );
        }
        if let Some(kind) = BlockType::from_label(block.tag())? {
            usable.push((kind, block.contents()));
        }
    }
    if usable.is_empty() {
        bail!(
            PemInvalid,
            "no key or certificate PEM block found (found: {})",
            describe(&labels)
        );
    }
    // A key file with its certificate chain: the private key's JWK carries
    // the chain (x5c) when the leaf holds the same key.
    let chain: Vec<&[u8]> = usable
        .iter()
        .filter(|(kind, _)| *kind == BlockType::Certificate)
        .map(|(_, der)| *der)
        .collect();
    if let Some(want) = want {
        usable.retain(|(kind, _)| kind.kind() == want);
        if usable.is_empty() {
            bail!(
                PemInvalid,
                "no {} block found (found: {})",
                kind_label(want),
                describe(&labels)
            );
        }
    }
    let all_certificates = usable
        .iter()
        .all(|(kind, _)| *kind == BlockType::Certificate);
    if all_certificates {
        #[cfg(not(feature = "arithmetic"))]
        bail!(
            KeysModuleRequired,
            "the key of a certificate needs X.509 parsing"
        );
        #[cfg(feature = "arithmetic")]
        let leaf = key_from_certificate_der(usable[0].1)?;
        #[cfg(feature = "arithmetic")]
        return Ok(DecodedKey {
            key: leaf,
            certificates: usable.iter().map(|(_, der)| der.to_vec()).collect(),
        });
    }
    if usable.len() > 1 {
        bail!(
            PemAmbiguous,
            "the PEM holds several keys ({}); say which one to use (public, private or certificate)",
            describe(&labels)
        );
    }
    let (kind, der) = usable[0];
    if kind == BlockType::EncryptedPkcs8 {
        let Some(passphrase) = passphrase else {
            bail!(
                PassphraseRequired,
                "the private key is encrypted (ENCRYPTED PRIVATE KEY): give its passphrase"
            );
        };
        return decrypted(der, passphrase, &chain);
    }
    #[cfg(feature = "arithmetic")]
    return Ok(with_matching_chain(key_from_typed_der(kind, der)?, &chain));
    #[cfg(not(feature = "arithmetic"))]
    return with_matching_chain(key_from_typed_der(kind, der)?, &chain);
}

#[cfg(feature = "arithmetic")]
fn decrypted(der: &[u8], passphrase: &[u8], chain: &[&[u8]]) -> Result<DecodedKey> {
    let plain = super::encrypted::decrypt_pkcs8_der(der, passphrase)?;
    Ok(with_matching_chain(key_from_pkcs8_der(&plain)?, chain))
}

/// PBES2 needs PBKDF2 or scrypt and AES: the keys module decrypts.
#[cfg(not(feature = "arithmetic"))]
fn decrypted(_der: &[u8], _passphrase: &[u8], _chain: &[&[u8]]) -> Result<DecodedKey> {
    bail!(
        KeysModuleRequired,
        "decrypting an encrypted private key needs the keys module"
    );
}

/// Without arithmetic, whether a bundled certificate holds the key cannot
/// be checked: the keys module reads such a bundle.
#[cfg(not(feature = "arithmetic"))]
fn with_matching_chain(key: Key, chain: &[&[u8]]) -> Result<DecodedKey> {
    if !chain.is_empty() {
        bail!(
            KeysModuleRequired,
            "a key bundled with its certificate needs X.509 parsing"
        );
    }
    Ok(DecodedKey {
        key,
        certificates: Vec::new(),
    })
}

/// `key` with `chain` as its certificates if the chain's leaf holds the
/// key's public half (a private key bundled with its certificate).
#[cfg(feature = "arithmetic")]
fn with_matching_chain(key: Key, chain: &[&[u8]]) -> DecodedKey {
    let matches = key.is_private()
        && chain
            .first()
            .and_then(|leaf| key_from_certificate_der(leaf).ok())
            .zip(key.to_public().ok())
            .is_some_and(|(leaf, public)| leaf == public);
    DecodedKey {
        key,
        certificates: if matches {
            chain.iter().map(|der| der.to_vec()).collect()
        } else {
            Vec::new()
        },
    }
}

#[cfg(feature = "arithmetic")]
/// Decodes a key from DER of any supported structure, trying certificate,
/// SPKI, PKCS#8, PKCS#1 and SEC1 in turn.
pub fn decode_der(der: &[u8]) -> Result<DecodedKey> {
    match key_from_certificate_der(der) {
        Ok(key) => {
            return Ok(DecodedKey {
                key,
                certificates: alloc::vec![der.to_vec()],
            })
        }
        Err(e) if is_final(&e) => return Err(e),
        Err(_) => {}
    }
    let order = [
        BlockType::Spki,
        BlockType::Pkcs8,
        BlockType::Pkcs1Private,
        BlockType::Pkcs1Public,
        BlockType::Sec1,
    ];
    for kind in order {
        match key_from_typed_der(kind, der) {
            Ok(key) => {
                return Ok(DecodedKey {
                    key,
                    certificates: Vec::new(),
                })
            }
            // A structure that parsed but holds something unsupported (say a
            // P-521 SPKI) or too large (an RSA modulus over the limit) is the
            // answer to report.
            Err(e) if is_final(&e) => return Err(e),
            Err(_) => {}
        }
    }
    Err(err!(
        DerInvalid,
        "not a DER certificate, SPKI, PKCS#8, PKCS#1 or SEC1 key"
    ))
}

#[cfg(feature = "arithmetic")]
/// True for errors that [`decode_der`] reports as they are instead of trying
/// the next structure: the DER parsed, and what it holds is refused.
fn is_final(error: &Error) -> bool {
    matches!(
        error.code(),
        ErrorCode::NotSupported | ErrorCode::KeyTooLarge
    )
}

#[cfg(feature = "arithmetic")]
/// The public key of an X.509 certificate. The certificate's signature and
/// validity are not checked: the caller decides whether to trust it.
pub fn key_from_certificate_der(der: &[u8]) -> Result<Key> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid X.509 certificate: {e}"))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| err!(DerInvalid, "invalid certificate public key: {e}"))?;
    key_from_spki_der(&spki)
}

/// Without arithmetic: SPKI and PKCS#8, read structurally and handed to the
/// host as DER; the other structures need the keys module.
#[cfg(not(feature = "arithmetic"))]
fn key_from_typed_der(kind: BlockType, der: &[u8]) -> Result<Key> {
    use super::HostForm;
    match kind {
        BlockType::Spki => Material::from_spki_der(der)
            .map(|material| Key::from_material(material, HostForm::Spki(der.to_vec()))),
        BlockType::Pkcs8 => Material::from_pkcs8_der(der).map(|material| {
            let der = zeroize::Zeroizing::new(der.to_vec());
            Key::from_material(material, HostForm::Pkcs8(der))
        }),
        BlockType::EncryptedPkcs8 => bail!(
            PassphraseRequired,
            "the private key is encrypted: give its passphrase"
        ),
        _ => bail!(
            KeysModuleRequired,
            "PKCS#1, SEC1 and certificate keys need the keys module"
        ),
    }
}

/// Every structural check of [`Material`] before the arithmetic ones; what
/// this layer leaves to arithmetic (`ERR_KEYS_MODULE_REQUIRED`) goes on.
#[cfg(feature = "arithmetic")]
fn structural(checked: Result<Material>) -> Result<()> {
    match checked {
        Err(e) if e.code() != ErrorCode::KeysModuleRequired => Err(e),
        _ => Ok(()),
    }
}

#[cfg(feature = "arithmetic")]
fn key_from_typed_der(kind: BlockType, der: &[u8]) -> Result<Key> {
    match kind {
        BlockType::Spki => key_from_spki_der(der),
        BlockType::Pkcs1Public => {
            let public = pkcs1::RsaPublicKey::from_der(der)
                .map_err(|e| err!(DerInvalid, "invalid PKCS#1 RSA public key: {e}"))?;
            rsa_public_from_parts(public.modulus.as_bytes(), public.public_exponent.as_bytes())
        }
        BlockType::Pkcs8 => key_from_pkcs8_der(der),
        BlockType::Pkcs1Private => rsa_private_from_pkcs1(der),
        BlockType::Sec1 => key_from_sec1_der(der),
        BlockType::Certificate => key_from_certificate_der(der),
        BlockType::EncryptedPkcs8 => bail!(
            PassphraseRequired,
            "the private key is encrypted: give its passphrase"
        ),
    }
}

#[cfg(feature = "arithmetic")]
pub(crate) fn key_from_spki_der(der: &[u8]) -> Result<Key> {
    structural(Material::from_spki_der(der))?;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid SubjectPublicKeyInfo: {e}"))?;
    let oid = spki.algorithm.oid;
    let invalid = |e: spki::Error| err!(DerInvalid, "invalid public key: {e}");
    if oid == rfc5912::RSA_ENCRYPTION {
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| err!(DerInvalid, "RSA public key bit string is not byte-aligned"))?;
        let public = pkcs1::RsaPublicKey::from_der(bits)
            .map_err(|e| err!(DerInvalid, "invalid RSA public key: {e}"))?;
        return rsa_public_from_parts(public.modulus.as_bytes(), public.public_exponent.as_bytes());
    }
    if oid == rfc5912::ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters_oid()
            .map_err(|_| err!(DerInvalid, "EC public key without a named curve"))?;
        use pkcs8::DecodePublicKey;
        return match Curve::from_oid(curve)? {
            Curve::P256 => p256::PublicKey::from_public_key_der(der)
                .map(Key::P256Public)
                .map_err(invalid),
            Curve::P384 => p384::PublicKey::from_public_key_der(der)
                .map(Key::P384Public)
                .map_err(invalid),
        };
    }
    if oid == rfc8410::ID_ED_25519 {
        use pkcs8::DecodePublicKey;
        return ed25519_dalek::VerifyingKey::from_public_key_der(der)
            .map(Key::Ed25519Public)
            .map_err(invalid);
    }
    Err(unsupported_algorithm(oid))
}

#[cfg(feature = "arithmetic")]
fn key_from_pkcs8_der(der: &[u8]) -> Result<Key> {
    structural(Material::from_pkcs8_der(der))?;
    let info = pkcs8::PrivateKeyInfo::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid PKCS#8 private key: {e}"))?;
    let oid = info.algorithm.oid;
    let invalid = |e: pkcs8::Error| err!(DerInvalid, "invalid private key: {e}");
    if oid == rfc5912::RSA_ENCRYPTION {
        return rsa_private_from_pkcs1(info.private_key);
    }
    if oid == rfc5912::ID_EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| err!(DerInvalid, "EC private key without a named curve"))?;
        return match Curve::from_oid(curve)? {
            Curve::P256 => p256::SecretKey::from_pkcs8_der(der)
                .map(Key::P256Private)
                .map_err(invalid),
            Curve::P384 => p384::SecretKey::from_pkcs8_der(der)
                .map(Key::P384Private)
                .map_err(invalid),
        };
    }
    if oid == rfc8410::ID_ED_25519 {
        return ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(Key::Ed25519Private)
            .map_err(invalid);
    }
    Err(unsupported_algorithm(oid))
}

#[cfg(feature = "arithmetic")]
fn key_from_sec1_der(der: &[u8]) -> Result<Key> {
    structural(super::material::ec_from_sec1_der(der))?;
    let curve = super::material::sec1_curve(&super::material::sec1_from_der(der)?)?;
    let invalid = |e: elliptic_curve::Error| err!(DerInvalid, "invalid EC private key: {e}");
    match curve {
        Curve::P256 => p256::SecretKey::from_sec1_der(der)
            .map(Key::P256Private)
            .map_err(invalid),
        Curve::P384 => p384::SecretKey::from_sec1_der(der)
            .map(Key::P384Private)
            .map_err(invalid),
    }
}

#[cfg(feature = "arithmetic")]
fn rsa_private_from_pkcs1(der: &[u8]) -> Result<Key> {
    structural(Material::from_pkcs1_private_der(der))?;
    let private = pkcs1::RsaPrivateKey::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid PKCS#1 RSA private key: {e}"))?;
    if private.other_prime_infos.is_some() {
        bail!(NotSupported, "multi-prime RSA keys are not supported");
    }
    rsa_private_from_parts(
        private.modulus.as_bytes(),
        private.public_exponent.as_bytes(),
        private.private_exponent.as_bytes(),
        [private.prime1.as_bytes(), private.prime2.as_bytes()],
        Some([
            private.exponent1.as_bytes(),
            private.exponent2.as_bytes(),
            private.coefficient.as_bytes(),
        ]),
    )
}

fn describe(labels: &[String]) -> String {
    if labels.is_empty() {
        return "nothing".into();
    }
    labels.join(", ")
}

fn kind_label(kind: PemKind) -> &'static str {
    match kind {
        PemKind::PublicKey => "public key",
        PemKind::PrivateKey => "private key",
        PemKind::Certificate => "certificate",
    }
}

impl Jwk {
    /// Parses a PEM key or certificate into a JWK (see [`decode_pem`]).
    pub fn from_pem(text: &str, want: Option<PemKind>) -> Result<Jwk> {
        decode_pem(text, want).map(DecodedKey::into_jwk)
    }

    /// Parses a PEM key, decrypting an encrypted private key with
    /// `passphrase` (see [`decode_pem_with_passphrase`]).
    pub fn from_pem_with_passphrase(
        text: &str,
        want: Option<PemKind>,
        passphrase: &[u8],
    ) -> Result<Jwk> {
        decode_pem_with_passphrase(text, want, Some(passphrase)).map(DecodedKey::into_jwk)
    }

    /// Parses a DER key or certificate into a JWK (see [`decode_der`]).
    #[cfg(feature = "arithmetic")]
    pub fn from_der(der: &[u8]) -> Result<Jwk> {
        decode_der(der).map(DecodedKey::into_jwk)
    }
}
