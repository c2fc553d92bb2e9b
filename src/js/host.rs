//! Signature providers for the JavaScript hosts.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::keys::KeyRing;
use crate::alg::{Algorithm, KeyFamily};
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{Error, ErrorCode, Result};
#[cfg(feature = "arithmetic")]
use crate::key::jwk::Jwk;
use crate::key::Key;

#[wasm_bindgen]
extern "C" {
    /// A synchronous native crypto host (the wrapper's Node `crypto`
    /// adapter). Answers: 1 valid, 0 invalid, 2 key not imported yet,
    /// anything else (or a throw) "not supported here, use wasm".
    pub type Host;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &Host,
        alg: &str,
        id: u32,
        data: &[u8],
        signature: &[u8],
    ) -> core::result::Result<i32, JsValue>;

    /// The signature bytes, or a number with the meaning above.
    #[wasm_bindgen(method, catch)]
    fn sign(this: &Host, alg: &str, id: u32, data: &[u8])
        -> core::result::Result<JsValue, JsValue>;

    /// Imports key `id` from `data` in `format` (`jwk`: JWK JSON text;
    /// `spki`, `pkcs8`: DER bytes) for `alg`. With `public_jwk` (a private
    /// key of the tokens module) the host imports that public half too and
    /// checks that the two belong together. True: imported; false: the host
    /// refused the key as invalid; anything else: not supported here.
    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Host,
        id: u32,
        format: &str,
        data: &JsValue,
        private: bool,
        alg: &str,
        public_jwk: Option<String>,
    ) -> core::result::Result<JsValue, JsValue>;
}

const VALID: i32 = 1;
const INVALID: i32 = 0;
const NEEDS_KEY: i32 = 2;

/// Checks that the randomness source works, so that a backend that panics
/// when it fails (RustCrypto's RSA blinding and PSS salts, key generation)
/// is never reached without one.
pub fn check_entropy() -> Result<()> {
    let mut probe = [0u8; 16];
    getrandom::getrandom(&mut probe).map_err(|e| {
        Error::new(
            ErrorCode::RandomnessUnavailable,
            alloc::format!("the randomness source (crypto.getRandomValues) failed: {e}"),
        )
    })
}

/// Pure wasm: the core's RustCrypto backend, with the randomness checked
/// first where RustCrypto needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmCrypto;

impl CryptoProvider for WasmCrypto {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        RustCrypto.verify(alg, key, input, signature)
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        if alg.key_family() == KeyFamily::Rsa {
            check_entropy()?;
        }
        RustCrypto.sign(alg, key, input)
    }
}

/// The synchronous host: keys of `ring` are imported into the host once and
/// named by their ring id; whatever the host cannot do falls back to wasm.
pub struct HostProvider<'a> {
    pub host: Option<&'a Host>,
    pub ring: &'a KeyRing,
}

impl<'a> HostProvider<'a> {
    /// `host` is `undefined`/`null` for pure wasm.
    pub fn new(host: &'a JsValue, ring: &'a KeyRing) -> Self {
        let host = (!host.is_undefined() && !host.is_null()).then(|| host.unchecked_ref::<Host>());
        Self { host, ring }
    }

    /// Imports `key` into the host under `id`; `Err` when the host refused
    /// it as invalid and that is the answer (the tokens module).
    fn import(
        &self,
        host: &Host,
        id: u32,
        key: &Key,
        private: bool,
        alg: Algorithm,
    ) -> Result<bool> {
        let Some(form) = host_import(key, private) else {
            return Ok(false);
        };
        match host.import_key(
            id,
            form.format,
            &form.data,
            form.private,
            alg.name(),
            form.public_jwk,
        ) {
            Ok(answer) if answer.as_bool() == Some(true) => Ok(true),
            Ok(answer) if answer.as_bool() == Some(false) => {
                refused(self.ring, key).map(|()| false)
            }
            _ => Ok(false),
        }
    }
}

/// What the host imports a key from.
pub struct HostImport {
    /// `jwk`, `spki` or `pkcs8`.
    pub format: &'static str,
    /// JWK JSON text, or DER bytes.
    pub data: JsValue,
    /// Whether `data` is a private key.
    pub private: bool,
    /// For a private key the host must check against its public half.
    pub public_jwk: Option<String>,
}

/// The keys module: the validated key as JWK JSON, the private key to sign,
/// its public half to verify.
#[cfg(feature = "arithmetic")]
pub fn host_import(key: &Key, private: bool) -> Option<HostImport> {
    let material = if private {
        key.clone()
    } else {
        key.to_public().ok()?
    };
    Some(HostImport {
        format: "jwk",
        data: JsValue::from_str(&Jwk::new(material).to_json()),
        private,
        public_jwk: None,
    })
}

/// The tokens module: the key as it came (JWK members or DER). A private
/// key is always imported whole, with its public half to check it against,
/// even to verify: the host's import is where the two are found to match.
#[cfg(not(feature = "arithmetic"))]
pub fn host_import(key: &Key, _private: bool) -> Option<HostImport> {
    use crate::key::HostForm;
    let public_jwk = if key.is_private() {
        Some(key.to_public().ok()?.jwk_members_json())
    } else {
        None
    };
    let (format, data) = match key.host_form() {
        HostForm::Spki(der) => ("spki", js_sys::Uint8Array::from(der.as_slice()).into()),
        HostForm::Pkcs8(der) => ("pkcs8", js_sys::Uint8Array::from(der.as_slice()).into()),
        _ => ("jwk", JsValue::from_str(&key.jwk_members_json())),
    };
    Some(HostImport {
        format,
        data,
        private: key.is_private(),
        public_jwk,
    })
}

/// The answer when the host refused `key` as invalid. The keys module
/// checked the key itself, so it lets wasm decide (`Ok`). The tokens module
/// answers with the code the keys module gives that key at parse time
/// (`ERR_JWK_INVALID` for a JWK, `ERR_DER_INVALID` for PEM/DER); for a key
/// of a JWK Set, which the keys module would skip, it hands over to the
/// keys module.
#[cfg(feature = "arithmetic")]
pub fn refused(_ring: &KeyRing, _key: &Key) -> Result<()> {
    Ok(())
}

/// See the `arithmetic` variant.
#[cfg(not(feature = "arithmetic"))]
pub fn refused(ring: &KeyRing, key: &Key) -> Result<()> {
    use crate::key::HostForm;
    if !ring.is_single() {
        return Err(Error::new(
            ErrorCode::KeysModuleRequired,
            "the host's crypto refused a key of the JWK Set: the keys module says why",
        ));
    }
    let (code, what) = match key.host_form() {
        HostForm::Jwk => (ErrorCode::JwkInvalid, "JWK"),
        _ => (ErrorCode::DerInvalid, "key"),
    };
    Err(Error::new(
        code,
        alloc::format!(
            "invalid {what}: the key is not a valid {} key (a point off its curve, or a private part that does not match the public one)",
            key.kty()
        ),
    ))
}

impl CryptoProvider for HostProvider<'_> {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        if let (Some(host), Some(id)) = (self.host, self.ring.id_of(key)) {
            for attempt in 0..2 {
                match host.verify(alg.name(), id, input, signature) {
                    Ok(VALID) => return Ok(()),
                    Ok(INVALID) => {
                        return Err(Error::new(
                            ErrorCode::SignatureVerificationFailed,
                            "signature verification failed",
                        ))
                    }
                    Ok(NEEDS_KEY) if attempt == 0 && self.import(host, id, key, false, alg)? => {}
                    _ => break,
                }
            }
        }
        WasmCrypto.verify(alg, key, input, signature)
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        if let (Some(host), Some(id)) = (self.host, self.ring.id_of(key)) {
            if key.can_sign() {
                for attempt in 0..2 {
                    match host.sign(alg.name(), id, input) {
                        Ok(value) if value.is_instance_of::<js_sys::Uint8Array>() => {
                            return Ok(js_sys::Uint8Array::unchecked_from_js(value).to_vec());
                        }
                        Ok(value)
                            if value.as_f64() == Some(f64::from(NEEDS_KEY))
                                && attempt == 0
                                && self.import(host, id, key, true, alg)? => {}
                        _ => break,
                    }
                }
            }
        }
        WasmCrypto.sign(alg, key, input)
    }
}
