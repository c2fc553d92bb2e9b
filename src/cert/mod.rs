//! X.509 certificates: inspection (this module, `no_std`) and, with the
//! `certificates` feature, making self-signed certificates and CSRs
//! ([`make`]).
//!
//! Inspection reports what a person registering a certificate with an
//! identity provider needs to see: names, serial, validity against a given
//! time, the key, SHA-1 / SHA-256 fingerprints (`x5t` / `x5t#S256`), key
//! usage, subject alternative names, whether the certificate's own
//! signature verifies, and for a chain whether each certificate is signed by
//! the next. Nothing here decides trust.

#[cfg(feature = "certificates")]
pub mod make;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use const_oid::db::{rfc5280, rfc5912, rfc8410};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::Digest;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::Certificate;

use crate::b64;
use crate::error::{bail, err, Result};
use crate::key::Key;

/// The most certificates an inspected chain may hold.
pub const MAX_CHAIN_LENGTH: usize = 16;

/// Where a certificate's validity period stands at a given time.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityStatus {
    /// `not_before <= now <= not_after`.
    Valid,
    /// `now < not_before`.
    NotYetValid,
    /// `now > not_after`.
    Expired,
}

impl ValidityStatus {
    /// `valid`, `not_yet_valid` or `expired`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
        }
    }
}

/// What a certificate says, and what checking its own signature found.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// X.509 version (1 or 3 in practice).
    pub version: u8,
    /// The subject as an RFC 4514 string (`CN=...,O=...,C=..`).
    pub subject: String,
    /// The issuer as an RFC 4514 string.
    pub issuer: String,
    /// The serial number in upper-case hex, as `openssl x509 -serial` prints it.
    pub serial_hex: String,
    /// Not before, seconds since the Unix epoch.
    pub not_before: i64,
    /// Not after, seconds since the Unix epoch.
    pub not_after: i64,
    /// The validity status at the time given to [`inspect_certificate`].
    pub status: ValidityStatus,
    /// The signature algorithm's name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...).
    pub signature_algorithm: String,
    /// The subject is the issuer.
    pub self_issued: bool,
    /// Whether the certificate's signature verifies with its own public
    /// key; `None` when the algorithm is one jwt-edge does not check (SHA-1
    /// RSA, DSA, ...).
    pub self_signature_valid: Option<bool>,
    /// The public key: `RSA`, `RSA-PSS`, `EC`, `OKP`, or the algorithm's OID.
    pub key_type: String,
    /// The curve of an EC or OKP key (`P-256`, `P-384`, `Ed25519`).
    pub key_curve: Option<String>,
    /// The key size in bits (RSA modulus, curve size).
    pub key_bits: Option<usize>,
    /// SHA-1 fingerprint, colon-separated upper-case hex.
    pub sha1_fingerprint: String,
    /// SHA-256 fingerprint, colon-separated upper-case hex.
    pub sha256_fingerprint: String,
    /// `x5t`: base64url SHA-1 of the DER.
    pub x5t: String,
    /// `x5t#S256`: base64url SHA-256 of the DER.
    pub x5t_s256: String,
    /// Key usage bits by their RFC 5280 names (`digitalSignature`, ...); empty without the extension.
    pub key_usage: Vec<String>,
    /// Basic constraints `cA`, when the extension is present.
    pub is_ca: Option<bool>,
    /// Subject alternative names as `DNS:...`, `URI:...`, `email:...`, `IP:...`.
    pub subject_alt_names: Vec<String>,
}

impl CertificateInfo {
    /// Issued by itself and its own signature verifies.
    pub fn is_self_signed(&self) -> bool {
        self.self_issued && self.self_signature_valid == Some(true)
    }
}

/// One certificate of a chain and whether the next one signed it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// The certificate.
    pub certificate: CertificateInfo,
    /// Whether the next certificate's key verifies this one's signature;
    /// `None` for the last certificate, or an algorithm not checked.
    pub signed_by_next: Option<bool>,
}

/// Inspects one DER certificate at time `now` (seconds since the epoch).
pub fn inspect_certificate(der: &[u8], now: i64) -> Result<CertificateInfo> {
    let cert = parse(der)?;
    info_of(&cert, der, now)
}

/// Inspects a chain, leaf first, as in a PEM bundle or a JWK's `x5c`.
pub fn inspect_chain(ders: &[Vec<u8>], now: i64) -> Result<Vec<ChainLink>> {
    if ders.is_empty() {
        bail!(InvalidArgument, "no certificate to inspect");
    }
    if ders.len() > MAX_CHAIN_LENGTH {
        bail!(
            InvalidArgument,
            "the chain holds {} certificates, more than the limit of {MAX_CHAIN_LENGTH}",
            ders.len()
        );
    }
    let certs = ders
        .iter()
        .map(|der| parse(der))
        .collect::<Result<Vec<_>>>()?;
    let mut links = Vec::with_capacity(certs.len());
    for (index, (cert, der)) in certs.iter().zip(ders).enumerate() {
        let signed_by_next = certs
            .get(index + 1)
            .and_then(|issuer| signed_by(cert, &issuer.tbs_certificate.subject_public_key_info));
        links.push(ChainLink {
            certificate: info_of(cert, der, now)?,
            signed_by_next,
        });
    }
    Ok(links)
}

/// The DER certificates of a PEM text (every `CERTIFICATE` block, in order).
pub fn certificates_from_pem(text: &str) -> Result<Vec<Vec<u8>>> {
    if !text.contains("-----BEGIN ") {
        bail!(
            PemInvalid,
            "no PEM block found (expected -----BEGIN CERTIFICATE-----)"
        );
    }
    let blocks = pem::parse_many(text).map_err(|e| err!(PemInvalid, "malformed PEM: {e}"))?;
    let certs: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|block| matches!(block.tag(), "CERTIFICATE" | "X509 CERTIFICATE"))
        .map(pem::Pem::into_contents)
        .collect();
    if certs.is_empty() {
        bail!(PemInvalid, "no CERTIFICATE block found");
    }
    Ok(certs)
}

/// Whether `key` (private or public) is the key of certificate `der`.
pub fn key_matches_certificate(key: &Key, der: &[u8]) -> Result<bool> {
    let cert = parse(der)?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let public = key.to_public()?;
    Ok(match (public_key_of(spki)?, &public) {
        (CertKey::Rsa { key: cert_key, .. }, Key::RsaPublic(own)) => &cert_key == own,
        (CertKey::Key(cert_key), own) => &cert_key == own,
        _ => false,
    })
}

fn parse(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der).map_err(|e| err!(DerInvalid, "invalid X.509 certificate: {e}"))
}

fn info_of(cert: &Certificate, der: &[u8], now: i64) -> Result<CertificateInfo> {
    let tbs = &cert.tbs_certificate;
    let not_before = unix_seconds(&tbs.validity.not_before);
    let not_after = unix_seconds(&tbs.validity.not_after);
    let status = if now < not_before {
        ValidityStatus::NotYetValid
    } else if now > not_after {
        ValidityStatus::Expired
    } else {
        ValidityStatus::Valid
    };
    let (key_type, key_curve, key_bits) = describe_key(&tbs.subject_public_key_info);
    let sha1 = sha1::Sha1::digest(der);
    let sha256 = sha2::Sha256::digest(der);
    let mut info = CertificateInfo {
        version: match tbs.version {
            x509_cert::Version::V1 => 1,
            x509_cert::Version::V2 => 2,
            x509_cert::Version::V3 => 3,
        },
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial_hex: serial_hex(tbs.serial_number.as_bytes()),
        not_before,
        not_after,
        status,
        signature_algorithm: algorithm_name(cert.signature_algorithm.oid),
        self_issued: tbs.subject == tbs.issuer,
        self_signature_valid: signed_by(cert, &tbs.subject_public_key_info),
        key_type,
        key_curve,
        key_bits,
        sha1_fingerprint: colon_hex(&sha1),
        sha256_fingerprint: colon_hex(&sha256),
        x5t: b64::encode_url(&sha1),
        x5t_s256: b64::encode_url(&sha256),
        key_usage: Vec::new(),
        is_ca: None,
        subject_alt_names: Vec::new(),
    };
    for extension in tbs.extensions.iter().flatten() {
        let value = extension.extn_value.as_bytes();
        let bad = |what: &str, e: der::Error| err!(DerInvalid, "invalid {what} extension: {e}");
        if extension.extn_id == rfc5280::ID_CE_KEY_USAGE {
            let usage = KeyUsage::from_der(value).map_err(|e| bad("key usage", e))?;
            info.key_usage = KEY_USAGE_NAMES
                .iter()
                .filter(|(flag, _)| usage.0.contains(*flag))
                .map(|(_, name)| (*name).to_string())
                .collect();
        } else if extension.extn_id == rfc5280::ID_CE_BASIC_CONSTRAINTS {
            let constraints =
                BasicConstraints::from_der(value).map_err(|e| bad("basic constraints", e))?;
            info.is_ca = Some(constraints.ca);
        } else if extension.extn_id == rfc5280::ID_CE_SUBJECT_ALT_NAME {
            let names =
                SubjectAltName::from_der(value).map_err(|e| bad("subject alternative name", e))?;
            info.subject_alt_names = names.0.iter().map(general_name).collect();
        }
    }
    Ok(info)
}

const KEY_USAGE_NAMES: &[(KeyUsages, &str)] = &[
    (KeyUsages::DigitalSignature, "digitalSignature"),
    (KeyUsages::NonRepudiation, "nonRepudiation"),
    (KeyUsages::KeyEncipherment, "keyEncipherment"),
    (KeyUsages::DataEncipherment, "dataEncipherment"),
    (KeyUsages::KeyAgreement, "keyAgreement"),
    (KeyUsages::KeyCertSign, "keyCertSign"),
    (KeyUsages::CRLSign, "cRLSign"),
    (KeyUsages::EncipherOnly, "encipherOnly"),
    (KeyUsages::DecipherOnly, "decipherOnly"),
];

fn general_name(name: &GeneralName) -> String {
    match name {
        GeneralName::DnsName(dns) => alloc::format!("DNS:{}", dns.as_str()),
        GeneralName::Rfc822Name(email) => alloc::format!("email:{}", email.as_str()),
        GeneralName::UniformResourceIdentifier(uri) => alloc::format!("URI:{}", uri.as_str()),
        GeneralName::IpAddress(bytes) => match bytes.as_bytes() {
            [a, b, c, d] => alloc::format!("IP:{}", core::net::Ipv4Addr::new(*a, *b, *c, *d)),
            octets => match <[u8; 16]>::try_from(octets) {
                Ok(v6) => alloc::format!("IP:{}", core::net::Ipv6Addr::from(v6)),
                Err(_) => alloc::format!("IP:<{} bytes>", octets.len()),
            },
        },
        GeneralName::DirectoryName(dn) => alloc::format!("DirName:{dn}"),
        GeneralName::RegisteredId(oid) => alloc::format!("RID:{oid}"),
        GeneralName::OtherName(other) => alloc::format!("othername:{}", other.type_id),
        GeneralName::EdiPartyName(_) => "EdiPartyName".to_string(),
    }
}

fn unix_seconds(time: &x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// The serial's magnitude in hex, without the sign byte DER adds.
fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits: String = bytes[start..]
        .iter()
        .map(|b| alloc::format!("{b:02X}"))
        .collect();
    if digits.is_empty() {
        "00".into()
    } else {
        digits
    }
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| alloc::format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate's public key: an RSA key (possibly RSA-PSS, which [`Key`]
/// does not model) or any other key jwt-edge knows. Short-lived (one per
/// check), so the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum CertKey {
    Rsa { key: rsa::RsaPublicKey, pss: bool },
    Key(Key),
}

const RSASSA_PSS: ObjectIdentifier = rfc5912::ID_RSASSA_PSS;

fn public_key_of(spki: &spki::SubjectPublicKeyInfoOwned) -> Result<CertKey> {
    let oid = spki.algorithm.oid;
    if oid == rfc5912::RSA_ENCRYPTION || oid == RSASSA_PSS {
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| err!(DerInvalid, "RSA public key bit string is not byte-aligned"))?;
        let public = pkcs1::RsaPublicKey::from_der(bits)
            .map_err(|e| err!(DerInvalid, "invalid RSA public key: {e}"))?;
        let key = crate::key::rsa_public_from_parts(
            public.modulus.as_bytes(),
            public.public_exponent.as_bytes(),
        )?;
        let Key::RsaPublic(key) = key else {
            bail!(DerInvalid, "invalid RSA public key");
        };
        return Ok(CertKey::Rsa {
            key,
            pss: oid == RSASSA_PSS,
        });
    }
    let der = spki
        .to_der()
        .map_err(|e| err!(DerInvalid, "invalid certificate public key: {e}"))?;
    crate::key::pem::key_from_spki_der(&der).map(CertKey::Key)
}

fn describe_key(spki: &spki::SubjectPublicKeyInfoOwned) -> (String, Option<String>, Option<usize>) {
    use rsa::traits::PublicKeyParts;
    match public_key_of(spki) {
        Ok(CertKey::Rsa { key, pss }) => (
            if pss { "RSA-PSS" } else { "RSA" }.into(),
            None,
            Some(key.n().bits()),
        ),
        Ok(CertKey::Key(key)) => {
            let (curve, bits) = match &key {
                Key::P256Public(_) => ("P-256", 256),
                Key::P384Public(_) => ("P-384", 384),
                _ => ("Ed25519", 256),
            };
            (key.kty().into(), Some(curve.into()), Some(bits))
        }
        Err(_) => (spki.algorithm.oid.to_string(), None, None),
    }
}

/// Whether `cert`'s signature verifies with `issuer`'s key; `None` when the
/// signature algorithm or the key is one jwt-edge does not check.
fn signed_by(cert: &Certificate, issuer: &spki::SubjectPublicKeyInfoOwned) -> Option<bool> {
    let key = public_key_of(issuer).ok()?;
    let message = cert.tbs_certificate.to_der().ok()?;
    let signature = cert.signature.as_bytes()?;
    verify_signature(&cert.signature_algorithm, &key, &message, signature)
}

fn verify_signature(
    algorithm: &spki::AlgorithmIdentifierOwned,
    key: &CertKey,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    use ecdsa::signature::hazmat::PrehashVerifier;
    let oid = algorithm.oid;
    let rsa_pkcs1 = |scheme: rsa::Pkcs1v15Sign, digest: &[u8]| match key {
        CertKey::Rsa { key, pss: false } => Some(key.verify(scheme, digest, signature).is_ok()),
        _ => Some(false),
    };
    if oid == rfc5912::SHA_256_WITH_RSA_ENCRYPTION {
        return rsa_pkcs1(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(message),
        );
    }
    if oid == rfc5912::SHA_384_WITH_RSA_ENCRYPTION {
        return rsa_pkcs1(
            rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            &sha2::Sha384::digest(message),
        );
    }
    if oid == rfc5912::SHA_512_WITH_RSA_ENCRYPTION {
        return rsa_pkcs1(
            rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            &sha2::Sha512::digest(message),
        );
    }
    if oid == RSASSA_PSS {
        let CertKey::Rsa { key, .. } = key else {
            return Some(false);
        };
        let params = algorithm.parameters.as_ref()?.to_der().ok()?;
        let params = pkcs1::RsaPssParams::from_der(&params).ok()?;
        let salt = usize::from(params.salt_len);
        let hash = params.hash.oid;
        let ok = if hash == rfc5912::ID_SHA_256 {
            let digest = sha2::Sha256::digest(message);
            key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
                &digest,
                signature,
            )
        } else if hash == rfc5912::ID_SHA_384 {
            let digest = sha2::Sha384::digest(message);
            key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha384>(salt),
                &digest,
                signature,
            )
        } else if hash == rfc5912::ID_SHA_512 {
            let digest = sha2::Sha512::digest(message);
            key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha512>(salt),
                &digest,
                signature,
            )
        } else {
            return None;
        };
        return Some(ok.is_ok());
    }
    let ecdsa_digest: Option<Vec<u8>> = if oid == rfc5912::ECDSA_WITH_SHA_256 {
        Some(sha2::Sha256::digest(message).to_vec())
    } else if oid == rfc5912::ECDSA_WITH_SHA_384 {
        Some(sha2::Sha384::digest(message).to_vec())
    } else if oid == rfc5912::ECDSA_WITH_SHA_512 {
        Some(sha2::Sha512::digest(message).to_vec())
    } else {
        None
    };
    if let Some(digest) = ecdsa_digest {
        return Some(match key {
            CertKey::Key(Key::P256Public(public)) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| {
                    p256::ecdsa::VerifyingKey::from(public)
                        .verify_prehash(&digest, &sig)
                        .is_ok()
                }),
            CertKey::Key(Key::P384Public(public)) => p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| {
                    p384::ecdsa::VerifyingKey::from(public)
                        .verify_prehash(&digest, &sig)
                        .is_ok()
                }),
            _ => false,
        });
    }
    if oid == rfc8410::ID_ED_25519 {
        return Some(match key {
            CertKey::Key(Key::Ed25519Public(public)) => {
                ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|sig| public.verify_strict(message, &sig).is_ok())
            }
            _ => false,
        });
    }
    None
}

/// Readable names for the signature algorithms people meet, as openssl
/// prints them; other algorithms by OID.
fn algorithm_name(oid: ObjectIdentifier) -> String {
    const NAMES: &[(ObjectIdentifier, &str)] = &[
        (rfc5912::SHA_1_WITH_RSA_ENCRYPTION, "sha1WithRSAEncryption"),
        (
            rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            "sha256WithRSAEncryption",
        ),
        (
            rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            "sha384WithRSAEncryption",
        ),
        (
            rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
            "sha512WithRSAEncryption",
        ),
        (RSASSA_PSS, "rsassaPss"),
        (rfc5912::ECDSA_WITH_SHA_256, "ecdsa-with-SHA256"),
        (rfc5912::ECDSA_WITH_SHA_384, "ecdsa-with-SHA384"),
        (rfc5912::ECDSA_WITH_SHA_512, "ecdsa-with-SHA512"),
        (rfc8410::ID_ED_25519, "ED25519"),
    ];
    NAMES
        .iter()
        .find(|(known, _)| *known == oid)
        .map(|(_, name)| (*name).to_string())
        .unwrap_or_else(|| oid.to_string())
}
