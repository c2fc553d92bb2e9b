//! Self-signed certificates and PKCS#10 certificate signing requests from
//! any private key, with x509-cert's builder (feature `certificates`).
//!
//! The certificate is the one an identity provider asks for when it
//! registers a token issuer by certificate (WSO2 / Asgardeo "Use PEM
//! certificate", a Salesforce connected app): an end-entity certificate,
//! `basicConstraints CA:FALSE`, `keyUsage digitalSignature`, a subject key
//! identifier, optional subject alternative names, and a random positive
//! serial of 127 bits.

use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;
use core::time::Duration;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString};
use der::Encode;
use rand_core::{CryptoRng, RngCore};
use sha2::Digest;
use signature::{Keypair, RandomizedSigner, SignatureEncoding, Signer};
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey};
use x509_cert::builder::{Builder, CertificateBuilder, Profile, RequestBuilder};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::error::{bail, err, Result};
use crate::key::pem::PemFormat;
use crate::key::Key;

/// The longest subject string accepted.
pub const MAX_SUBJECT_BYTES: usize = 4096;
/// The most subject alternative names in one certificate or request.
pub const MAX_SUBJECT_ALT_NAMES: usize = 1000;
/// The longest single subject alternative name.
pub const MAX_SUBJECT_ALT_NAME_BYTES: usize = 2048;
/// The longest validity period, in days (100 years).
pub const MAX_DAYS: u32 = 36_525;

/// The hash an RSA key signs a certificate with. EC keys use their curve's
/// hash (SHA-256 for P-256, SHA-384 for P-384); Ed25519 has none to choose.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl CertHash {
    /// Parses `SHA-256`, `SHA-384` or `SHA-512` (also `sha256`, ...).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA256" => Self::Sha256,
            "SHA384" => Self::Sha384,
            "SHA512" => Self::Sha512,
            _ => bail!(
                InvalidArgument,
                "unknown hash {name:?}: expected SHA-256, SHA-384 or SHA-512"
            ),
        })
    }
}

/// What goes into a self-signed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateOptions {
    /// The subject (and issuer) as an RFC 4514 string: `CN=acme token issuer,O=Acme,C=US`.
    pub subject: String,
    /// Not before, seconds since the Unix epoch (hosts without a clock pass theirs).
    pub not_before: i64,
    /// Validity in days from `not_before` (1 to [`MAX_DAYS`]).
    pub days: u32,
    /// Subject alternative names: `DNS:name`, `URI:https://...`, `email:a@b`,
    /// `IP:192.0.2.1`; without a prefix an address with `@` is an email, one
    /// with `://` a URI, anything else a DNS name.
    pub subject_alt_names: Vec<String>,
    /// The RSA signature hash (SHA-256 when `None`); refused for other keys
    /// unless it is their own.
    pub hash: Option<CertHash>,
}

/// A self-signed certificate for `key` (a private key), DER, with the
/// serial's randomness from `rng`.
pub fn create_certificate_with_rng<R: CryptoRng + RngCore>(
    key: &Key,
    options: &CertificateOptions,
    rng: &mut R,
) -> Result<Vec<u8>> {
    let signer = KeySigner::new(key, options.hash)?;
    let subject = parse_subject(&options.subject)?;
    let names = parse_subject_alt_names(&options.subject_alt_names)?;
    let validity = validity(options.not_before, options.days)?;
    let serial = random_serial(rng)?;
    let spki = spki::SubjectPublicKeyInfoOwned::try_from(signer.spki.as_slice())
        .map_err(|e| err!(DerInvalid, "invalid public key: {e}"))?;
    let key_id = subject_key_identifier(&spki)?;

    let build = |e: x509_cert::builder::Error| err!(InvalidArgument, "certificate: {e}");
    let mut builder = CertificateBuilder::new(
        Profile::Manual { issuer: None },
        serial,
        validity,
        subject,
        spki,
        &signer,
    )
    .map_err(build)?;
    builder
        .add_extension(&BasicConstraints {
            ca: false,
            path_len_constraint: None,
        })
        .map_err(build)?;
    builder
        .add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
        .map_err(build)?;
    builder.add_extension(&key_id).map_err(build)?;
    if !names.is_empty() {
        builder
            .add_extension(&SubjectAltName(names))
            .map_err(build)?;
    }
    let tbs = builder
        .finalize()
        .map_err(|e| err!(InvalidArgument, "certificate: {e}"))?;
    let signature = signer.sign(&tbs, rng)?;
    let certificate = builder.assemble(signature).map_err(build)?;
    certificate
        .to_der()
        .map_err(|e| err!(InvalidArgument, "certificate encoding: {e}"))
}

/// [`create_certificate_with_rng`] with the system's randomness.
pub fn create_certificate(key: &Key, options: &CertificateOptions) -> Result<Vec<u8>> {
    crate::key::generate::ensure_os_randomness()?;
    create_certificate_with_rng(key, options, &mut rand_core::OsRng)
}

/// A PKCS#10 certificate signing request for `key` (a private key), DER:
/// the subject, and in its extension request the subject alternative names
/// and `keyUsage digitalSignature`. Signed with the key's default hash
/// (SHA-256 for RSA) unless `hash` says otherwise.
pub fn create_csr(
    key: &Key,
    subject: &str,
    subject_alt_names: &[String],
    hash: Option<CertHash>,
) -> Result<Vec<u8>> {
    crate::key::generate::ensure_os_randomness()?;
    let signer = KeySigner::new(key, hash)?;
    let subject = parse_subject(subject)?;
    let names = parse_subject_alt_names(subject_alt_names)?;
    let build = |e: x509_cert::builder::Error| err!(InvalidArgument, "certificate request: {e}");
    let mut builder = RequestBuilder::new(subject, &signer).map_err(build)?;
    builder
        .add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
        .map_err(build)?;
    if !names.is_empty() {
        builder
            .add_extension(&SubjectAltName(names))
            .map_err(build)?;
    }
    let info = builder
        .finalize()
        .map_err(|e| err!(InvalidArgument, "certificate request: {e}"))?;
    let signature = signer.sign(&info, &mut rand_core::OsRng)?;
    let request = builder.assemble(signature).map_err(build)?;
    request
        .to_der()
        .map_err(|e| err!(InvalidArgument, "certificate request encoding: {e}"))
}

/// A DER certificate as a `CERTIFICATE` PEM block.
pub fn certificate_pem(der: &[u8]) -> String {
    crate::key::pem::encode_pem("CERTIFICATE", der)
}

/// A DER request as a `CERTIFICATE REQUEST` PEM block.
pub fn csr_pem(der: &[u8]) -> String {
    crate::key::pem::encode_pem("CERTIFICATE REQUEST", der)
}

fn parse_subject(subject: &str) -> Result<Name> {
    if subject.len() > MAX_SUBJECT_BYTES {
        bail!(
            InvalidArgument,
            "the subject is {} bytes, more than the limit of {MAX_SUBJECT_BYTES}",
            subject.len()
        );
    }
    if subject.trim().is_empty() {
        bail!(
            InvalidArgument,
            "the subject is empty: give one such as \"CN=acme token issuer,O=Acme,C=US\""
        );
    }
    Name::from_str(subject).map_err(|e| {
        err!(
            InvalidArgument,
            "the subject {subject:?} is not an RFC 4514 name such as \"CN=acme token issuer,O=Acme,C=US\": {e}"
        )
    })
}

fn parse_subject_alt_names(names: &[String]) -> Result<Vec<GeneralName>> {
    if names.len() > MAX_SUBJECT_ALT_NAMES {
        bail!(
            InvalidArgument,
            "{} subject alternative names, more than the limit of {MAX_SUBJECT_ALT_NAMES}",
            names.len()
        );
    }
    names
        .iter()
        .map(|name| parse_subject_alt_name(name))
        .collect()
}

fn parse_subject_alt_name(text: &str) -> Result<GeneralName> {
    if text.len() > MAX_SUBJECT_ALT_NAME_BYTES {
        bail!(
            InvalidArgument,
            "a subject alternative name is {} bytes, more than the limit of {MAX_SUBJECT_ALT_NAME_BYTES}",
            text.len()
        );
    }
    let text = text.trim();
    let (kind, value) = match text.split_once(':') {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("DNS") => ("DNS", rest),
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("URI") => ("URI", rest),
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("email") => ("email", rest),
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("IP") => ("IP", rest),
        _ if text.contains("://") => ("URI", text),
        _ if text.contains('@') => ("email", text),
        _ => ("DNS", text),
    };
    if value.is_empty() || value.contains(char::is_whitespace) {
        bail!(
            InvalidArgument,
            "the subject alternative name {text:?} is empty or holds spaces"
        );
    }
    if kind == "IP" {
        let address = core::net::IpAddr::from_str(value)
            .map_err(|_| err!(InvalidArgument, "{value:?} is not an IP address"))?;
        let octets = match address {
            core::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            core::net::IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        return OctetString::new(octets)
            .map(GeneralName::IpAddress)
            .map_err(|e| err!(InvalidArgument, "IP address: {e}"));
    }
    let ia5 = Ia5String::new(value).map_err(|_| {
        err!(
            InvalidArgument,
            "the subject alternative name {text:?} must be ASCII (IDNs in their xn-- form)"
        )
    })?;
    Ok(match kind {
        "URI" => GeneralName::UniformResourceIdentifier(ia5),
        "email" => GeneralName::Rfc822Name(ia5),
        _ => GeneralName::DnsName(ia5),
    })
}

fn validity(not_before: i64, days: u32) -> Result<Validity> {
    if !(1..=MAX_DAYS).contains(&days) {
        bail!(
            InvalidArgument,
            "days must be between 1 and {MAX_DAYS}, not {days}"
        );
    }
    let start = u64::try_from(not_before)
        .map_err(|_| err!(InvalidArgument, "notBefore cannot be before 1970"))?;
    let end = start + u64::from(days) * 86_400;
    let time = |secs: u64| {
        GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
            .map(Time::GeneralTime)
            .map_err(|_| err!(InvalidArgument, "the validity period must end before 9999"))
    };
    Ok(Validity {
        not_before: time(start)?,
        not_after: time(end)?,
    })
}

/// 16 random bytes, top bit clear (positive) and the next one set (no
/// leading zero to strip): a 127-bit serial, well over RFC 5280's 64 bits of
/// entropy advice.
fn random_serial<R: CryptoRng + RngCore>(rng: &mut R) -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    rng.try_fill_bytes(&mut bytes)
        .map_err(|e| err!(RandomnessUnavailable, "randomness source failed: {e}"))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|e| err!(InvalidArgument, "serial number: {e}"))
}

/// RFC 5280 section 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
fn subject_key_identifier(spki: &spki::SubjectPublicKeyInfoOwned) -> Result<SubjectKeyIdentifier> {
    let digest = sha1::Sha1::digest(spki.subject_public_key.raw_bytes());
    OctetString::new(digest.to_vec())
        .map(SubjectKeyIdentifier)
        .map_err(|e| err!(InvalidArgument, "subject key identifier: {e}"))
}

/// The builder's view of a jwt-edge private key: its SPKI and signature
/// algorithm, and signing of the to-be-signed bytes.
struct KeySigner<'k> {
    key: &'k Key,
    hash: CertHash,
    spki: Vec<u8>,
}

impl<'k> KeySigner<'k> {
    fn new(key: &'k Key, hash: Option<CertHash>) -> Result<Self> {
        let own_hash = match key {
            Key::RsaPrivate(_) => hash.unwrap_or(CertHash::Sha256),
            Key::P256Private(_) => CertHash::Sha256,
            Key::P384Private(_) => CertHash::Sha384,
            Key::Ed25519Private(_) => CertHash::Sha512,
            Key::Secret(_) => bail!(
                NotSupported,
                "an HMAC secret has no certificate: certificates hold public keys (RSA, EC, Ed25519)"
            ),
            _ => bail!(
                InvalidArgument,
                "a certificate or CSR is signed with the private key, and this is a public key"
            ),
        };
        if let (Some(asked), false) = (hash, matches!(key, Key::RsaPrivate(_))) {
            if asked != own_hash || matches!(key, Key::Ed25519Private(_)) {
                bail!(
                    InvalidArgument,
                    "the hash applies to RSA keys; this {} key signs with its own",
                    key.kty()
                );
            }
        }
        if let Some(bits) = key.rsa_bits() {
            if bits < crate::key::MIN_RSA_BITS {
                bail!(
                    WeakKey,
                    "RSA key of {bits} bits is too short: at least {} bits are required",
                    crate::key::MIN_RSA_BITS
                );
            }
        }
        let spki = key.to_der(PemFormat::Spki)?.to_vec();
        Ok(Self {
            key,
            hash: own_hash,
            spki,
        })
    }

    /// Signs with the key's algorithm; RSA signatures are blinded with `rng`.
    fn sign<R: CryptoRng + RngCore>(&self, message: &[u8], rng: &mut R) -> Result<BitString> {
        let failed = |e: signature::Error| err!(InvalidArgument, "signing failed: {e}");
        let bytes: Vec<u8> = match (self.key, self.hash) {
            (Key::RsaPrivate(private), CertHash::Sha256) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private.clone())
                    .try_sign_with_rng(rng, message)
                    .map_err(failed)?
                    .to_vec()
            }
            (Key::RsaPrivate(private), CertHash::Sha384) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(private.clone())
                    .try_sign_with_rng(rng, message)
                    .map_err(failed)?
                    .to_vec()
            }
            (Key::RsaPrivate(private), CertHash::Sha512) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private.clone())
                    .try_sign_with_rng(rng, message)
                    .map_err(failed)?
                    .to_vec()
            }
            (Key::P256Private(secret), _) => {
                let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(secret)
                    .try_sign(message)
                    .map_err(failed)?;
                signature.to_der().as_bytes().to_vec()
            }
            (Key::P384Private(secret), _) => {
                let signature: p384::ecdsa::Signature = p384::ecdsa::SigningKey::from(secret)
                    .try_sign(message)
                    .map_err(failed)?;
                signature.to_der().as_bytes().to_vec()
            }
            (Key::Ed25519Private(signing), _) => signing.sign(message).to_bytes().to_vec(),
            _ => bail!(InvalidArgument, "this key cannot sign a certificate"),
        };
        BitString::from_bytes(&bytes).map_err(|e| err!(InvalidArgument, "signature: {e}"))
    }
}

/// The SPKI the builder reads through [`Keypair`].
#[derive(Clone)]
struct SpkiDer(Vec<u8>);

impl EncodePublicKey for SpkiDer {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        der::Document::try_from(self.0.as_slice()).map_err(spki::Error::from)
    }
}

impl Keypair for KeySigner<'_> {
    type VerifyingKey = SpkiDer;

    fn verifying_key(&self) -> SpkiDer {
        SpkiDer(self.spki.clone())
    }
}

impl DynSignatureAlgorithmIdentifier for KeySigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        use const_oid::db::{rfc5912, rfc8410};
        let (oid, null_parameters) = match (self.key, self.hash) {
            (Key::RsaPrivate(_), CertHash::Sha256) => (rfc5912::SHA_256_WITH_RSA_ENCRYPTION, true),
            (Key::RsaPrivate(_), CertHash::Sha384) => (rfc5912::SHA_384_WITH_RSA_ENCRYPTION, true),
            (Key::RsaPrivate(_), CertHash::Sha512) => (rfc5912::SHA_512_WITH_RSA_ENCRYPTION, true),
            (Key::P256Private(_), _) => (rfc5912::ECDSA_WITH_SHA_256, false),
            (Key::P384Private(_), _) => (rfc5912::ECDSA_WITH_SHA_384, false),
            _ => (rfc8410::ID_ED_25519, false),
        };
        Ok(AlgorithmIdentifierOwned {
            oid,
            // RFC 4055: RSA PKCS#1 v1.5 identifiers carry NULL parameters;
            // RFC 5758 / RFC 8410: ECDSA and Ed25519 ones carry none.
            parameters: null_parameters.then(der::asn1::Any::null),
        })
    }
}
