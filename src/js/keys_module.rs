//! The tokens module's answer to the functions only the keys module has:
//! key conversion, generation and certificates need key arithmetic, X.509
//! or PBKDF2/AES, none of which this build carries. Each fails with the
//! internal `ERR_KEYS_MODULE_REQUIRED`; the npm wrapper then loads the keys
//! module once and makes the same call there, with the same arguments, so
//! these keep the keys module's signatures.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use super::errors::{to_js, JsResult};
use super::keys::KeyRing;
use crate::error::{Error, ErrorCode};

fn keys_module(function: &str) -> JsValue {
    to_js(Error::new(
        ErrorCode::KeysModuleRequired,
        alloc::format!("{function} needs the keys module"),
    ))
}

/// `jwkToPem`: a conversion, in the keys module.
#[wasm_bindgen(js_name = jwkToPem)]
pub fn jwk_to_pem(
    _jwk: &str,
    _format: Option<String>,
    _passphrase: Option<String>,
) -> JsResult<String> {
    Err(keys_module("jwkToPem"))
}

/// `pemToJwk`: a conversion, in the keys module.
#[wasm_bindgen(js_name = pemToJwk)]
pub fn pem_to_jwk(_pem: &str, _options: &str) -> JsResult<String> {
    Err(keys_module("pemToJwk"))
}

/// `generateKeyPair`: key generation, in the keys module.
#[wasm_bindgen(js_name = generateKeyPair)]
pub fn generate_key_pair(
    _alg: &str,
    _modulus_length: Option<u32>,
    _kid: Option<String>,
) -> JsResult<String> {
    Err(keys_module("generateKeyPair"))
}

/// `importKeyPair`: checking a host-generated key pair, in the keys module.
#[wasm_bindgen(js_name = importKeyPair)]
pub fn import_key_pair(
    _alg: &str,
    _modulus_length: Option<u32>,
    _kid: Option<String>,
    _jwk: &str,
) -> JsResult<String> {
    Err(keys_module("importKeyPair"))
}

/// `generateSecret`: key generation, in the keys module.
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret(_alg: &str, _kid: Option<String>) -> JsResult<String> {
    Err(keys_module("generateSecret"))
}

/// `createCertificate`: the X.509 builder, in the keys module.
#[wasm_bindgen(js_name = createCertificate)]
pub fn create_certificate_pem(
    _ring: &KeyRing,
    _options: &str,
    _not_before: f64,
) -> JsResult<String> {
    Err(keys_module("createCertificate"))
}

/// `createCsr`: the X.509 builder, in the keys module.
#[wasm_bindgen(js_name = createCsr)]
pub fn create_csr_pem(_ring: &KeyRing, _options: &str) -> JsResult<String> {
    Err(keys_module("createCsr"))
}

/// `inspectCertificate`: X.509, in the keys module.
#[wasm_bindgen(js_name = inspectCertificate)]
pub fn inspect_certificate(
    _pem: Option<String>,
    _der: Option<alloc::vec::Vec<u8>>,
    _now: f64,
) -> JsResult<JsValue> {
    Err(keys_module("inspectCertificate"))
}

/// `keyMatchesCertificate`: X.509, in the keys module.
#[wasm_bindgen(js_name = keyMatchesCertificate)]
pub fn key_matches_certificate(
    _ring: &KeyRing,
    _pem: Option<String>,
    _der: Option<alloc::vec::Vec<u8>>,
) -> JsResult<bool> {
    Err(keys_module("keyMatchesCertificate"))
}
