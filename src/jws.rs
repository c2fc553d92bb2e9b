//! Compact JWS: parsing, unverified decoding and signing.
//!
//! Verification lives in [`crate::policy`], because a signature is only
//! ever checked under an explicit policy.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::b64;
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{bail, err, Error, ErrorCode, Result};
use crate::key::Key;

/// The default bound on a token's length. Access tokens and assertions are
/// a few kilobytes; anything far larger is an attack or a mistake.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A compact JWS split and decoded, nothing verified yet.
#[derive(Debug, Clone)]
pub struct UntrustedJws<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    alg: String,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> UntrustedJws<'a> {
    /// Splits and decodes a compact JWS of at most `max_bytes` bytes.
    /// The header must be a JSON object with a string `alg`.
    pub fn parse(token: &'a str, max_bytes: usize) -> Result<Self> {
        if token.len() > max_bytes {
            bail!(
                TokenTooLarge,
                "the token is {} bytes, more than the limit of {max_bytes}",
                token.len()
            );
        }
        let token = token.trim();
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            bail!(
                JwsInvalid,
                "a compact JWS has three base64url segments separated by dots (found {})",
                token.split('.').count()
            );
        };
        let signing_input = &token[..header.len() + 1 + payload.len()];
        let header_bytes = b64::decode_url_public(header, ErrorCode::JwsInvalid, "the JWS header")?;
        let Value::Object(header_json) =
            crate::json::parse_bytes(&header_bytes, ErrorCode::JwsInvalid, "the JWS header")?
        else {
            bail!(JwsInvalid, "the JWS header must be a JSON object");
        };
        let alg = match header_json.get("alg") {
            Some(Value::String(alg)) => alg.clone(),
            Some(_) => bail!(JwsInvalid, "the JWS header \"alg\" must be a string"),
            None => bail!(JwsInvalid, "the JWS header has no \"alg\""),
        };
        if header_json
            .get("b64")
            .is_some_and(|b64| b64 != &Value::Bool(true))
        {
            bail!(
                NotSupported,
                "unencoded payloads (RFC 7797 \"b64\": false) are not supported"
            );
        }
        let payload = b64::decode_url_public(payload, ErrorCode::JwsInvalid, "the JWS payload")?;
        let signature =
            b64::decode_url_public(signature, ErrorCode::JwsInvalid, "the JWS signature")?;
        Ok(Self {
            signing_input,
            header: header_json,
            alg,
            payload,
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The header's `alg`, as written (not yet checked against any policy).
    pub fn alg(&self) -> &str {
        &self.alg
    }

    /// The header's `kid`, if it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// `base64url(header) || '.' || base64url(payload)`: what the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The payload as a JWT claims set (a JSON object).
    pub fn claims(&self) -> Result<Map<String, Value>> {
        match crate::json::parse_bytes(&self.payload, ErrorCode::JwtInvalid, "the JWT payload")? {
            Value::Object(claims) => Ok(claims),
            _ => bail!(JwtInvalid, "the JWT payload must be a JSON object"),
        }
    }
}

/// A token's header and payload, decoded without any verification.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claims.
    pub payload: Map<String, Value>,
}

/// Decodes a JWT **without verifying it**: for display and debugging only.
/// Nothing in the result may be trusted.
pub fn decode_unverified(token: &str) -> Result<DecodedJwt> {
    let jws = UntrustedJws::parse(token, DEFAULT_MAX_TOKEN_BYTES)?;
    Ok(DecodedJwt {
        payload: jws.claims()?,
        header: jws.header,
    })
}

/// Options for [`sign`], named as jose names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignOptions {
    /// The algorithm; by default the key family's usual one (HS256, RS256,
    /// ES256, ES384, EdDSA). Callers holding a JWK pass its `alg` here.
    pub alg: Option<Algorithm>,
    /// `kid` header parameter.
    pub kid: Option<String>,
    /// `typ` header parameter (e.g. `JWT`, `at+jwt`).
    pub typ: Option<String>,
    /// Further protected header parameters.
    pub header: Map<String, Value>,
}

/// Signs a claims set into a compact JWS with the pure-Rust backend.
pub fn sign(payload: &Map<String, Value>, key: &Key, options: &SignOptions) -> Result<String> {
    sign_with(&RustCrypto, payload, key, options)
}

/// Signs a claims set into a compact JWS with the given backend.
pub fn sign_with(
    provider: &dyn CryptoProvider,
    payload: &Map<String, Value>,
    key: &Key,
    options: &SignOptions,
) -> Result<String> {
    let alg = options.alg.unwrap_or(key.family().default_algorithm());
    if !key.can_sign() {
        bail!(
            InvalidArgument,
            "signing needs a private key or a secret, not a public key"
        );
    }
    key.check_usable_with(alg)?;
    let header = signing_header(alg, options)?;
    let mut token = String::new();
    token.push_str(&b64::encode_url(
        &serde_json::to_vec(&header).map_err(json_error)?,
    ));
    token.push('.');
    token.push_str(&b64::encode_url(
        &serde_json::to_vec(payload).map_err(json_error)?,
    ));
    let signature = provider.sign(alg, key, token.as_bytes())?;
    token.push('.');
    token.push_str(&b64::encode_url(&signature));
    Ok(token)
}

fn signing_header(alg: Algorithm, options: &SignOptions) -> Result<Map<String, Value>> {
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(alg.name().into()));
    if let Some(typ) = &options.typ {
        header.insert("typ".into(), Value::String(typ.clone()));
    }
    if let Some(kid) = &options.kid {
        header.insert("kid".into(), Value::String(kid.clone()));
    }
    for (name, value) in &options.header {
        match name.as_str() {
            "alg" if value.as_str() != Some(alg.name()) => bail!(
                InvalidArgument,
                "header \"alg\" {value} contradicts the signing algorithm {alg}"
            ),
            "crit" | "b64" => bail!(
                InvalidArgument,
                "header {name:?} is not supported when signing"
            ),
            _ => {
                header.insert(name.clone(), value.clone());
            }
        }
    }
    Ok(header)
}

fn json_error(e: serde_json::Error) -> Error {
    err!(InvalidArgument, "cannot serialise JSON: {e}")
}
