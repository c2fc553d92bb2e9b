//! Signature providers for the JavaScript hosts.

use alloc::vec::Vec;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::keys::KeyRing;
use crate::alg::{Algorithm, KeyFamily};
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{Error, ErrorCode, Result};
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

    /// Imports key `id` from JWK JSON; true on success.
    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Host,
        id: u32,
        jwk: &str,
        private: bool,
    ) -> core::result::Result<bool, JsValue>;
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

    fn import(&self, host: &Host, id: u32, key: &Key, private: bool) -> bool {
        let material = if private {
            Ok(key.clone())
        } else {
            key.to_public()
        };
        match material {
            Ok(material) => matches!(
                host.import_key(id, &Jwk::new(material).to_json(), private),
                Ok(true)
            ),
            Err(_) => false,
        }
    }
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
                    Ok(NEEDS_KEY) if attempt == 0 && self.import(host, id, key, false) => {}
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
                                && self.import(host, id, key, true) => {}
                        _ => break,
                    }
                }
            }
        }
        WasmCrypto.sign(alg, key, input)
    }
}
