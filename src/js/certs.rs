//! Certificates for the npm package: `createCertificate`, `createCsr`,
//! `inspectCertificate`, `keyMatchesCertificate`. The core does the work
//! ([`crate::cert`]); this face reads the options and shapes the answers.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::errors::{check_size, js, JsResult};
use super::keys::KeyRing;
use super::ops::seconds;
use super::options;
use crate::cert::make::{
    certificate_pem, create_certificate, create_csr, csr_pem, CertHash, CertificateOptions,
};
use crate::cert::{self, CertificateInfo, ChainLink};
use crate::error::{bail, Result};

/// The default validity of a made certificate, in days.
const DEFAULT_DAYS: u32 = 365;

fn subject_and_names(map: &Map<String, Value>) -> Result<(String, Vec<String>, Option<CertHash>)> {
    let Some(subject) = options::string(map, "subject")? else {
        bail!(
            InvalidArgument,
            "option \"subject\" is required, e.g. \"CN=acme token issuer,O=Acme,C=US\""
        );
    };
    let names = options::strings(map, "subjectAltNames")?;
    let hash = options::string(map, "hash")?
        .as_deref()
        .map(CertHash::from_name)
        .transpose()?;
    Ok((subject, names, hash))
}

/// `createCertificate(privateKey, { subject, days, notBefore, subjectAltNames, hash })`:
/// a self-signed certificate, PEM. `not_before` is seconds since the epoch
/// (the wrapper's clock unless the caller gave one).
#[wasm_bindgen(js_name = createCertificate)]
pub fn create_certificate_pem(ring: &KeyRing, options: &str, not_before: f64) -> JsResult<String> {
    js((|| {
        let map = options::object(options, "the options")?;
        let (subject, subject_alt_names, hash) = subject_and_names(&map)?;
        let days = match map.get("days").filter(|v| !v.is_null()) {
            None => DEFAULT_DAYS,
            Some(Value::Number(days)) => match days.as_u64().and_then(|d| u32::try_from(d).ok()) {
                Some(days) => days,
                None => bail!(
                    InvalidArgument,
                    "option \"days\" must be a positive integer"
                ),
            },
            Some(_) => bail!(InvalidArgument, "option \"days\" must be a number"),
        };
        let options = CertificateOptions {
            subject,
            not_before: seconds(not_before)?,
            days,
            subject_alt_names,
            hash,
        };
        let der = create_certificate(ring.signing_jwk()?.key(), &options)?;
        Ok(certificate_pem(&der))
    })())
}

/// `createCsr(privateKey, { subject, subjectAltNames, hash })`: PKCS#10, PEM.
#[wasm_bindgen(js_name = createCsr)]
pub fn create_csr_pem(ring: &KeyRing, options: &str) -> JsResult<String> {
    js((|| {
        let map = options::object(options, "the options")?;
        let (subject, names, hash) = subject_and_names(&map)?;
        let der = create_csr(ring.signing_jwk()?.key(), &subject, &names, hash)?;
        Ok(csr_pem(&der))
    })())
}

/// The certificates of a PEM text or of DER bytes (the wrapper passes one).
fn certificates(pem: Option<String>, der: Option<Vec<u8>>) -> Result<Vec<Vec<u8>>> {
    match (pem, der) {
        (Some(text), _) => {
            check_size(&text, "the certificate")?;
            cert::certificates_from_pem(&text)
        }
        (None, Some(der)) => {
            if der.len() > super::errors::MAX_INPUT_BYTES {
                bail!(
                    InvalidArgument,
                    "the certificate is {} bytes, far too long",
                    der.len()
                );
            }
            Ok(alloc::vec![der])
        }
        (None, None) => bail!(InvalidArgument, "no certificate given"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoObject<'a> {
    version: u8,
    subject: &'a str,
    issuer: &'a str,
    serial_number: &'a str,
    not_before: i64,
    not_after: i64,
    valid_now: bool,
    status: &'static str,
    self_issued: bool,
    self_signed: bool,
    self_signature_valid: Option<bool>,
    signature_algorithm: &'a str,
    key_type: &'a str,
    key_curve: Option<&'a str>,
    key_bits: Option<usize>,
    fingerprint_sha1: &'a str,
    fingerprint_sha256: &'a str,
    x5t: &'a str,
    #[serde(rename = "x5t#S256")]
    x5t_s256: &'a str,
    key_usage: &'a [String],
    is_ca: Option<bool>,
    subject_alt_names: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by_next: Option<Option<bool>>,
}

fn info_object(info: &CertificateInfo, signed_by_next: Option<Option<bool>>) -> InfoObject<'_> {
    InfoObject {
        version: info.version,
        subject: &info.subject,
        issuer: &info.issuer,
        serial_number: &info.serial_hex,
        not_before: info.not_before,
        not_after: info.not_after,
        valid_now: info.status == cert::ValidityStatus::Valid,
        status: info.status.as_str(),
        self_issued: info.self_issued,
        self_signed: info.is_self_signed(),
        self_signature_valid: info.self_signature_valid,
        signature_algorithm: &info.signature_algorithm,
        key_type: &info.key_type,
        key_curve: info.key_curve.as_deref(),
        key_bits: info.key_bits,
        fingerprint_sha1: &info.sha1_fingerprint,
        fingerprint_sha256: &info.sha256_fingerprint,
        x5t: &info.x5t,
        x5t_s256: &info.x5t_s256,
        key_usage: &info.key_usage,
        is_ca: info.is_ca,
        subject_alt_names: &info.subject_alt_names,
        signed_by_next,
    }
}

#[derive(Serialize)]
struct Inspection<'a> {
    #[serde(flatten)]
    leaf: InfoObject<'a>,
    chain: Vec<InfoObject<'a>>,
}

/// `inspectCertificate(pemOrDer)`: the leaf's fields, and `chain`, every
/// certificate in order with `signedByNext`. Times are seconds (the wrapper
/// makes Dates).
#[wasm_bindgen(js_name = inspectCertificate)]
pub fn inspect_certificate(
    pem: Option<String>,
    der: Option<Vec<u8>>,
    now: f64,
) -> JsResult<JsValue> {
    let links: Vec<ChainLink> = js(certificates(pem, der)
        .and_then(|ders| Ok((ders, seconds(now)?)))
        .and_then(|(ders, now)| cert::inspect_chain(&ders, now)))?;
    let Some(first) = links.first() else {
        return Err(super::errors::to_js(crate::error::err!(
            InvalidArgument,
            "no certificate given"
        )));
    };
    let inspection = Inspection {
        leaf: info_object(&first.certificate, None),
        chain: links
            .iter()
            .map(|link| info_object(&link.certificate, Some(link.signed_by_next)))
            .collect(),
    };
    inspection
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// `keyMatchesCertificate(key, cert)`: whether the key (private or public)
/// is the certificate's (the leaf's, for a chain).
#[wasm_bindgen(js_name = keyMatchesCertificate)]
pub fn key_matches_certificate(
    ring: &KeyRing,
    pem: Option<String>,
    der: Option<Vec<u8>>,
) -> JsResult<bool> {
    js((|| {
        let ders = certificates(pem, der)?;
        let key = ring.signing_jwk()?.key();
        cert::key_matches_certificate(key, &ders[0])
    })())
}
