//! A parsed key or key set held in wasm memory, so that JavaScript parses a
//! key once and reuses it (the wrapper caches rings by their text).

#[cfg(feature = "arithmetic")]
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::errors::{check_size, js, JsResult};
use crate::error::{bail, ErrorCode, Result};
use crate::key::jwk::Jwk;
use crate::key::jwks::JwkSet;
use crate::key::pem::PemKind;
use crate::key::Key;
use crate::policy::Keys;

/// Key ids handed to the host's key caches. They are never reused, so a
/// host cache can never map an id to another key.
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// A key (JWK, PEM key or certificate, HMAC secret) or a JWK Set.
#[wasm_bindgen]
pub struct KeyRing {
    set: JwkSet,
    ids: Vec<u32>,
    single: bool,
}

impl KeyRing {
    fn new(set: JwkSet, single: bool) -> Self {
        let ids = set
            .keys
            .iter()
            .map(|_| NEXT_ID.fetch_add(1, Ordering::Relaxed))
            .collect();
        Self { set, ids, single }
    }

    fn single(jwk: Jwk) -> Self {
        Self::new(JwkSet::single(jwk), true)
    }

    /// The keys in the form the core's verifier takes.
    pub(crate) fn keys(&self) -> Keys<'_> {
        match (self.single, self.set.keys.first()) {
            (true, Some(jwk)) => Keys::Single(jwk),
            _ => Keys::Set(&self.set),
        }
    }

    /// True for one key (a JWK, PEM or secret), false for a JWK Set.
    #[cfg(not(feature = "arithmetic"))]
    pub(crate) fn is_single(&self) -> bool {
        self.single
    }

    /// The set (for the default algorithm allowlist).
    pub(crate) fn set(&self) -> &JwkSet {
        &self.set
    }

    /// The one key that signs: a JWKS cannot.
    pub(crate) fn signing_jwk(&self) -> Result<&Jwk> {
        match (self.single, self.set.keys.first()) {
            (true, Some(jwk)) => Ok(jwk),
            _ => bail!(
                InvalidArgument,
                "a JWK Set cannot sign: pass the one key (a JWK, PEM or secret) to sign with"
            ),
        }
    }

    /// The host id of `key`, which must be one of this ring's keys (the
    /// core hands providers references into the ring).
    pub(crate) fn id_of(&self, key: &Key) -> Option<u32> {
        self.set
            .keys
            .iter()
            .position(|jwk| core::ptr::eq(jwk.key(), key))
            .and_then(|index| self.ids.get(index).copied())
    }

    /// The key with host id `id`.
    pub(crate) fn key_by_id(&self, id: u32) -> Option<&Key> {
        let index = self.ids.iter().position(|own| *own == id)?;
        self.set.keys.get(index).map(Jwk::key)
    }
}

/// How the text of a key argument is read.
fn parse_text(text: &str, signing: bool) -> Result<KeyRing> {
    check_size(text, "the key")?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if text.len() > crate::key::jwks::MAX_JWKS_BYTES && text.contains("\"keys\"") {
            // The JWKS parser applies its own size limit first.
            return JwkSet::from_json(text).map(|set| KeyRing::new(set, false));
        }
        let value = crate::json::parse(text, ErrorCode::JwkInvalid, "the key (JWK or JWKS JSON)")?;
        return from_value(&value, signing);
    }
    if text.contains("-----BEGIN ") {
        // A key file often holds the certificate too: to sign, take the key.
        let want = (signing && text.contains("PRIVATE KEY-----")).then_some(PemKind::PrivateKey);
        return Jwk::from_pem(text, want).map(KeyRing::single);
    }
    Key::secret(text.as_bytes()).map(|key| KeyRing::single(Jwk::new(key)))
}

fn from_value(value: &Value, signing: bool) -> Result<KeyRing> {
    match value {
        Value::Object(members) if members.contains_key("keys") => {
            let set = JwkSet::from_value(value)?;
            if signing {
                bail!(
                    InvalidArgument,
                    "a JWK Set cannot sign: pass the one key (a JWK, PEM or secret) to sign with"
                );
            }
            Ok(KeyRing::new(set, false))
        }
        _ => Jwk::from_value(value).map(KeyRing::single),
    }
}

#[wasm_bindgen]
impl KeyRing {
    /// A key from text: JWK or JWKS JSON, PEM (key or certificates), or
    /// else an HMAC secret (its UTF-8 bytes). `signing` picks the private
    /// key of a PEM bundle and refuses a JWKS.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str, signing: bool) -> JsResult<KeyRing> {
        js(parse_text(text, signing))
    }

    /// An HMAC secret from raw bytes.
    #[wasm_bindgen(js_name = fromSecret)]
    pub fn from_secret(bytes: &[u8]) -> JsResult<KeyRing> {
        js(check_size_bytes(bytes).and_then(|()| Key::secret(bytes)))
            .map(|key| KeyRing::single(Jwk::new(key)))
    }

    /// The host ids of the keys, in order.
    #[wasm_bindgen(getter)]
    pub fn ids(&self) -> Vec<u32> {
        self.ids.clone()
    }

    /// The key material of key `id` as JWK JSON (no metadata), for a host
    /// to import: the public key, or the private one if `private`. Only in
    /// the keys module; `hostImport` serves both.
    #[cfg(feature = "arithmetic")]
    #[wasm_bindgen(js_name = hostKey)]
    pub fn host_key(&self, id: u32, private: bool) -> Option<String> {
        let key = self.key_by_id(id)?;
        let key = if private || !key.is_private() {
            key.clone()
        } else {
            key.to_public().ok()?
        };
        Some(Jwk::new(key).to_json())
    }

    /// What a host imports key `id` from, to sign (`private`) or verify:
    /// `[format, data, publicJwk]` with format `jwk` (data: JWK JSON),
    /// `spki` or `pkcs8` (data: DER bytes); `publicJwk` (tokens module,
    /// private keys) is the public half the host must check the key against.
    #[wasm_bindgen(js_name = hostImport)]
    pub fn host_import(&self, id: u32, private: bool) -> Option<js_sys::Array> {
        let form = super::host::host_import(self.key_by_id(id)?, private)?;
        let public = form
            .public_jwk
            .map_or(JsValue::UNDEFINED, |jwk| JsValue::from_str(&jwk));
        Some(js_sys::Array::of4(
            &JsValue::from_str(form.format),
            &form.data,
            &public,
            &JsValue::from_bool(form.private),
        ))
    }

    /// The error for key `id` refused by the host's crypto as invalid (the
    /// WebCrypto path; see `host::refused`), or `undefined` when wasm is to
    /// decide.
    #[wasm_bindgen(js_name = refusedError)]
    pub fn refused_error(&self, id: u32) -> JsValue {
        match self
            .key_by_id(id)
            .map(|key| super::host::refused(self, key))
        {
            Some(Err(error)) => super::errors::to_js(error),
            _ => JsValue::UNDEFINED,
        }
    }
}

fn check_size_bytes(bytes: &[u8]) -> Result<()> {
    if bytes.len() > super::errors::MAX_INPUT_BYTES {
        bail!(
            InvalidArgument,
            "the secret is {} bytes, far too long",
            bytes.len()
        );
    }
    Ok(())
}
