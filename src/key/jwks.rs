//! JWK Sets (RFC 7517 section 5) and key selection.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use super::jwk::Jwk;
use crate::alg::Algorithm;
use crate::error::{bail, Error, ErrorCode, Result};

/// The most keys a JWKS may hold (`ERR_JWKS_TOO_MANY_KEYS` beyond). Real
/// sets hold a handful; the bound stops a hostile or broken JWKS endpoint
/// from costing unbounded parsing time.
pub const MAX_JWKS_KEYS: usize = 100;

/// The longest JWKS document [`JwkSet::from_json`] reads, in bytes
/// (`ERR_JWKS_TOO_LARGE` beyond), checked before any parsing. 512 KiB holds
/// [`MAX_JWKS_KEYS`] RSA-8192 keys each with a certificate chain in `x5c`;
/// real sets are a few kilobytes.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;

/// A parsed JWK Set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JwkSet {
    /// The usable keys, in document order.
    pub keys: Vec<Jwk>,
    /// Keys that were skipped because they could not be used here
    /// (unsupported `kty` or curve, malformed), with the reason.
    pub skipped: Vec<SkippedKey>,
}

/// A JWKS entry that was not loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedKey {
    /// Its position in the `keys` array.
    pub index: usize,
    /// Its `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub error: Error,
}

/// What a key must be to match. `None` fields match anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeySelector<'a> {
    /// The token's `kid`: a key with another (or no) `kid` does not match.
    pub kid: Option<&'a str>,
    /// The algorithm: the key's type must fit it, and the key's own `alg`,
    /// if any, must name it.
    pub alg: Option<Algorithm>,
    /// The intended use (`sig`): a key with another `use` does not match.
    pub key_use: Option<&'a str>,
    /// The JWK `kty` (`RSA`, `EC`, `OKP`, `oct`).
    pub kty: Option<&'a str>,
}

impl JwkSet {
    /// Parses a JWKS document. Entries that cannot be used here are skipped
    /// (as Envoy's jwt_authn and jose do) and listed in [`JwkSet::skipped`];
    /// a document that is not a JWKS at all is an error.
    ///
    /// Limits: at most [`MAX_JWKS_BYTES`] bytes (`ERR_JWKS_TOO_LARGE`), at
    /// most [`MAX_JWKS_KEYS`] entries (`ERR_JWKS_TOO_MANY_KEYS`), JSON nested
    /// at most [`crate::json::MAX_JSON_DEPTH`] deep (`ERR_JSON_TOO_DEEP`).
    pub fn from_json(text: &str) -> Result<Self> {
        if text.len() > MAX_JWKS_BYTES {
            bail!(
                JwksTooLarge,
                "the JWKS is {} bytes, more than the limit of {MAX_JWKS_BYTES}",
                text.len()
            );
        }
        let value = crate::json::parse(text, ErrorCode::JwksInvalid, "JWKS")?;
        Self::from_value(&value)
    }

    /// Parses a JWKS from a JSON value. The key count limit applies
    /// ([`MAX_JWKS_KEYS`], `ERR_JWKS_TOO_MANY_KEYS`); the byte limit cannot,
    /// the text being already parsed: hosts reading untrusted JWKS text call
    /// [`JwkSet::from_json`].
    pub fn from_value(value: &Value) -> Result<Self> {
        let Some(Value::Array(entries)) = value.get("keys") else {
            bail!(
                JwksInvalid,
                "a JWKS must be an object with a \"keys\" array"
            );
        };
        if entries.len() > MAX_JWKS_KEYS {
            bail!(
                JwksTooManyKeys,
                "the JWKS holds {} keys, more than the limit of {MAX_JWKS_KEYS}",
                entries.len()
            );
        }
        let mut set = JwkSet::default();
        for (index, entry) in entries.iter().enumerate() {
            match Jwk::from_value(entry) {
                Ok(jwk) => set.keys.push(jwk),
                // Without arithmetic a key this build cannot read is not a
                // key to skip: the keys module reads the whole set instead.
                Err(error) if error.code() == ErrorCode::KeysModuleRequired => return Err(error),
                Err(error) => set.skipped.push(SkippedKey {
                    index,
                    kid: entry.get("kid").and_then(Value::as_str).map(String::from),
                    error,
                }),
            }
        }
        Ok(set)
    }

    /// A set of one key.
    pub fn single(jwk: Jwk) -> Self {
        JwkSet {
            keys: alloc::vec![jwk],
            skipped: Vec::new(),
        }
    }

    /// The set as a JWKS JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::json!({ "keys": self.keys.iter().map(Jwk::to_value).collect::<Vec<_>>() })
    }

    /// The keys matching `selector`.
    pub fn matching<'s>(&'s self, selector: &'s KeySelector<'_>) -> impl Iterator<Item = &'s Jwk> {
        self.keys.iter().filter(move |jwk| selector.matches(jwk))
    }

    /// The one key matching `selector`: `ERR_JWKS_NO_MATCHING_KEY` if none
    /// does, `ERR_JWKS_MULTIPLE_MATCHING_KEYS` if several do.
    pub fn select(&self, selector: &KeySelector<'_>) -> Result<&Jwk> {
        let mut matching = self.keys.iter().filter(|jwk| selector.matches(jwk));
        let Some(first) = matching.next() else {
            return Err(Error::new(
                ErrorCode::JwksNoMatchingKey,
                alloc::format!("no key in the JWKS matches {}", selector.describe()),
            ));
        };
        if matching.next().is_some() {
            return Err(Error::new(
                ErrorCode::JwksMultipleMatchingKeys,
                alloc::format!(
                    "several keys in the JWKS match {}; give the token a \"kid\"",
                    selector.describe()
                ),
            ));
        }
        Ok(first)
    }
}

impl KeySelector<'_> {
    /// True if `jwk` satisfies every condition of the selector.
    pub fn matches(&self, jwk: &Jwk) -> bool {
        if let Some(kid) = self.kid {
            if jwk.kid.as_deref() != Some(kid) {
                return false;
            }
        }
        if let Some(alg) = self.alg {
            if jwk.key().family() != alg.key_family() {
                return false;
            }
            if jwk.alg.as_deref().is_some_and(|own| own != alg.name()) {
                return false;
            }
        }
        if let Some(key_use) = self.key_use {
            if jwk.key_use.as_deref().is_some_and(|own| own != key_use) {
                return false;
            }
        }
        if self.kty.is_some_and(|kty| kty != jwk.key().kty()) {
            return false;
        }
        true
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(kid) = self.kid {
            parts.push(alloc::format!("kid {kid:?}"));
        }
        if let Some(alg) = self.alg {
            parts.push(alloc::format!("alg {alg}"));
        }
        if let Some(key_use) = self.key_use {
            parts.push(alloc::format!("use {key_use:?}"));
        }
        if let Some(kty) = self.kty {
            parts.push(alloc::format!("kty {kty:?}"));
        }
        if parts.is_empty() {
            return "the request".into();
        }
        parts.join(", ")
    }
}
