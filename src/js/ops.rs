//! The exported operations, synchronous: pure wasm, or a synchronous host
//! (Node's `crypto`) called back from inside the core.

use alloc::string::String;

use rand_core::{CryptoRng, RngCore};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::errors::{check_size, js, plain_object, JsResult};
use super::host::{check_entropy, HostProvider};
use super::keys::KeyRing;
use super::options;
#[cfg(feature = "arithmetic")]
use crate::alg::{Algorithm, KeyFamily};
use crate::assertion::{
    build_assertion_with, verify_assertion_with, Assertion, AssertionPolicy, Profile,
};
use crate::crypto::CryptoProvider;
use crate::error::{bail, ErrorCode, Result};
use crate::jws::{decode_unverified, sign_with};
#[cfg(feature = "arithmetic")]
use crate::key::generate::{generate, KeySpec};
use crate::key::jwk::Jwk;
#[cfg(feature = "arithmetic")]
use crate::key::pem::PemFormat;
use crate::lint::lint_claims;
use crate::policy::{verify_with, CheckStatus, VerifiedJwt, VerifyPolicy};

/// Seconds since the epoch from the wrapper's clock or `currentDate`.
pub fn seconds(now: f64) -> Result<i64> {
    if !now.is_finite() || now.abs() > 1e13 {
        bail!(
            InvalidArgument,
            "currentDate must be a valid date or a number of seconds since the epoch"
        );
    }
    Ok(libm_floor(now) as i64)
}

/// `f64::floor` without std's intrinsics (the crate is no_std).
fn libm_floor(value: f64) -> f64 {
    let truncated = value as i64 as f64;
    if truncated > value {
        truncated - 1.0
    } else {
        truncated
    }
}

fn parse_jwk(text: &str) -> Result<Jwk> {
    check_size(text, "the JWK")?;
    Jwk::from_json(text)
}

/// `{ header, payload }` as JSON text.
pub fn verified_json(verified: &VerifiedJwt) -> String {
    header_payload_json(&verified.header, &verified.payload)
}

/// `{ header, payload }` as JSON text.
fn header_payload_json(
    header: &serde_json::Map<String, serde_json::Value>,
    payload: &serde_json::Map<String, serde_json::Value>,
) -> String {
    // Serialised by reference: `json!` would deep-copy both maps first, and
    // its `unwrap` brings panic formatting into the WebAssembly modules.
    #[derive(Serialize)]
    struct Decoded<'a> {
        header: &'a serde_json::Map<String, serde_json::Value>,
        payload: &'a serde_json::Map<String, serde_json::Value>,
    }
    serde_json::to_string(&Decoded { header, payload }).unwrap_or_default() // unreachable: string-keyed JSON maps always serialise
}

/// The assertion and its token request as JSON text.
pub fn assertion_json(assertion: &Assertion) -> String {
    // By reference, as `header_payload_json`.
    #[derive(Serialize)]
    struct Built<'a> {
        assertion: &'a str,
        form: &'a str,
        curl: &'a str,
        endpoint: &'a str,
        claims: &'a serde_json::Map<String, serde_json::Value>,
    }
    serde_json::to_string(&Built {
        assertion: &assertion.assertion,
        form: &assertion.request.form,
        curl: &assertion.request.curl,
        endpoint: &assertion.request.endpoint,
        claims: &assertion.claims,
    })
    .unwrap_or_default() // unreachable: string-keyed JSON maps always serialise
}

/// An RNG replaying bytes drawn once, so that the two passes of an
/// asynchronous assertion build agree on the `jti`.
#[derive(Clone)]
pub struct FixedRng {
    bytes: [u8; 32],
    position: usize,
}

impl FixedRng {
    /// Fresh bytes from the randomness source.
    pub fn draw() -> Result<Self> {
        check_entropy()?;
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| {
            crate::error::Error::new(
                ErrorCode::RandomnessUnavailable,
                alloc::format!("the randomness source failed: {e}"),
            )
        })?;
        Ok(Self { bytes, position: 0 })
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut word = [0u8; 4];
        self.fill_bytes(&mut word);
        u32::from_le_bytes(word)
    }

    fn next_u64(&mut self) -> u64 {
        let mut word = [0u8; 8];
        self.fill_bytes(&mut word);
        u64::from_le_bytes(word)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            *byte = self.bytes[self.position % self.bytes.len()];
            self.position = self.position.wrapping_add(1);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> core::result::Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

/// Builds an assertion with `provider` (shared by both paths).
pub fn build_with(
    provider: &dyn CryptoProvider,
    request: &str,
    ring: &KeyRing,
    options: &str,
    now: i64,
    rng: &mut FixedRng,
) -> Result<Assertion> {
    let request = options::assertion_request(&options::object(request, "the assertion request")?)?;
    let sign = options::sign_options(&options::object(options, "the options")?, ring)?;
    let key = ring.signing_jwk()?.key();
    build_assertion_with(provider, &request, key, &sign, now, rng)
}

/// Signs a payload with `provider` (shared by both paths).
pub fn sign_payload(
    provider: &dyn CryptoProvider,
    ring: &KeyRing,
    payload: &str,
    options: &str,
) -> Result<String> {
    let payload = options::payload(payload)?;
    let sign = options::sign_options(&options::object(options, "the options")?, ring)?;
    sign_with(provider, &payload, ring.signing_jwk()?.key(), &sign)
}

/// The policy `verifyJwt` or `verifyAssertion` checks a token under,
/// built once from the options (and kept across the WebCrypto path's two
/// passes).
pub enum TokenPolicy {
    Jwt(VerifyPolicy),
    Assertion(AssertionPolicy),
}

impl TokenPolicy {
    pub fn from_options(options: &str, ring: &KeyRing, assertion: bool) -> Result<Self> {
        let map = options::object(options, "the options")?;
        Ok(if assertion {
            Self::Assertion(options::assertion_policy(&map, ring)?)
        } else {
            Self::Jwt(options::verify_policy(&map, ring)?)
        })
    }

    /// The signature and claim rules (an assertion's add its own on top).
    pub fn verify(&self) -> &VerifyPolicy {
        match self {
            Self::Jwt(policy) => policy,
            Self::Assertion(policy) => &policy.verify,
        }
    }

    /// Verifies `token` with `provider` (shared by both paths).
    pub fn check(
        &self,
        provider: &dyn CryptoProvider,
        ring: &KeyRing,
        token: &str,
        now: i64,
    ) -> Result<VerifiedJwt> {
        match self {
            Self::Jwt(policy) => verify_with(provider, token, ring.keys(), policy, now),
            Self::Assertion(policy) => {
                verify_assertion_with(provider, token, ring.keys(), policy, now, None)
            }
        }
    }
}

#[cfg(feature = "arithmetic")]
/// `jwkToPem(jwk, { format, passphrase })`: with a passphrase, a private
/// key as encrypted PKCS#8.
#[wasm_bindgen(js_name = jwkToPem)]
pub fn jwk_to_pem(
    jwk: &str,
    format: Option<String>,
    passphrase: Option<String>,
) -> JsResult<String> {
    js((|| {
        let jwk = parse_jwk(jwk)?;
        let format = format.as_deref().map(PemFormat::from_name).transpose()?;
        match passphrase {
            None => jwk.key().to_pem(format),
            Some(passphrase) => {
                if !matches!(format, None | Some(PemFormat::Pkcs8)) || !jwk.key().is_private() {
                    bail!(
                        InvalidArgument,
                        "a passphrase encrypts a private key as PKCS#8: use format \"pkcs8\""
                    );
                }
                jwk.key().to_encrypted_pem(passphrase.as_bytes())
            }
        }
    })())
}

#[cfg(feature = "arithmetic")]
/// `pemToJwk(pem, { kid, alg, use, passphrase })`.
#[wasm_bindgen(js_name = pemToJwk)]
pub fn pem_to_jwk(pem: &str, options: &str) -> JsResult<String> {
    js((|| {
        check_size(pem, "the PEM")?;
        let options = options::object(options, "the options")?;
        let mut jwk = match options::string(&options, "passphrase")? {
            Some(passphrase) => Jwk::from_pem_with_passphrase(pem, None, passphrase.as_bytes())?,
            None => Jwk::from_pem(pem, None)?,
        };
        jwk.key_use = options::string(&options, "use")?;
        if let Some(alg) = options::string(&options, "alg")? {
            jwk.key()
                .check_usable_with(Algorithm::from_name(&alg)?)
                .or_else(|e| {
                    // A weak key may still be converted; a wrong type may not.
                    if e.code() == ErrorCode::WeakKey {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
            jwk.alg = Some(alg);
        }
        match options::string(&options, "kid")?.as_deref() {
            Some("thumbprint") => jwk = jwk.with_thumbprint_kid(),
            Some(kid) => jwk.kid = Some(kid.into()),
            None => {}
        }
        Ok(jwk.to_json())
    })())
}

/// `jwkThumbprint(jwk)`: RFC 7638, SHA-256, base64url.
#[wasm_bindgen(js_name = jwkThumbprint)]
pub fn jwk_thumbprint(jwk: &str) -> JsResult<String> {
    js(parse_jwk(jwk).map(|jwk| jwk.thumbprint()))
}

#[cfg(feature = "arithmetic")]
fn key_pair_json(private: Jwk, alg: Algorithm, kid: Option<String>) -> Result<String> {
    let mut private = private;
    private.alg = Some(alg.name().into());
    match kid.as_deref() {
        Some("thumbprint") => private = private.with_thumbprint_kid(),
        Some(kid) => private.kid = Some(kid.into()),
        None => {}
    }
    let public = private.to_public()?;
    let pair =
        serde_json::json!({ "privateJwk": private.to_value(), "publicJwk": public.to_value() });
    Ok(alloc::string::ToString::to_string(&pair))
}

#[cfg(feature = "arithmetic")]
fn key_spec(alg: &str, modulus_length: Option<u32>) -> Result<(Algorithm, KeySpec)> {
    let alg = Algorithm::from_name(alg)?;
    if alg.is_symmetric() {
        bail!(
            InvalidArgument,
            "{alg} uses a shared secret, not a key pair: use a random secret of at least {} bytes",
            alg.min_secret_len()
        );
    }
    let spec = KeySpec::for_algorithm(alg, modulus_length.map(|bits| bits as usize))?;
    Ok((alg, spec))
}

#[cfg(feature = "arithmetic")]
/// `generateKeyPair(alg, { modulusLength, kid })` in wasm.
#[wasm_bindgen(js_name = generateKeyPair)]
pub fn generate_key_pair(
    alg: &str,
    modulus_length: Option<u32>,
    kid: Option<String>,
) -> JsResult<String> {
    js((|| {
        let (alg, spec) = key_spec(alg, modulus_length)?;
        check_entropy()?;
        key_pair_json(Jwk::new(generate(spec)?), alg, kid)
    })())
}

#[cfg(feature = "arithmetic")]
/// A key pair generated by the host (RSA through WebCrypto or Node, far
/// faster than wasm), checked by the core: the private JWK's key material
/// only is kept, and it must be what was asked for.
#[wasm_bindgen(js_name = importKeyPair)]
pub fn import_key_pair(
    alg: &str,
    modulus_length: Option<u32>,
    kid: Option<String>,
    jwk: &str,
) -> JsResult<String> {
    js((|| {
        let (alg, spec) = key_spec(alg, modulus_length)?;
        let key = parse_jwk(jwk)?.into_key();
        let fits = match spec {
            KeySpec::Rsa { bits } => {
                matches!(bits, 2048 | 3072 | 4096) && key.rsa_bits() == Some(bits)
            }
            _ => false,
        };
        if !fits || !key.is_private() || key.family() != KeyFamily::Rsa {
            bail!(
                InvalidArgument,
                "the host generated a key that does not match {alg} with {:?} bits",
                modulus_length.unwrap_or(2048)
            );
        }
        key_pair_json(Jwk::new(key), alg, kid)
    })())
}

/// `decodeJwt(token)`: header and payload, unverified.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: &str) -> JsResult<String> {
    js(decode_unverified(token)
        .map(|decoded| header_payload_json(&decoded.header, &decoded.payload)))
}

/// `signJwt`: `host` is the synchronous host, or undefined for pure wasm.
#[wasm_bindgen(js_name = signJwt)]
pub fn sign_jwt(ring: &KeyRing, payload: &str, options: &str, host: &JsValue) -> JsResult<String> {
    js(sign_payload(
        &HostProvider::new(host, ring),
        ring,
        payload,
        options,
    ))
}

/// `verifyJwt` (or `verifyAssertion` when `assertion`): `{ header, payload }`
/// as JSON text.
#[wasm_bindgen(js_name = verifyJwt)]
pub fn verify_jwt(
    ring: &KeyRing,
    token: &str,
    options: &str,
    now: f64,
    host: &JsValue,
    assertion: bool,
) -> JsResult<String> {
    js(seconds(now).and_then(|now| {
        TokenPolicy::from_options(options, ring, assertion)?
            .check(&HostProvider::new(host, ring), ring, token, now)
            .map(|verified| verified_json(&verified))
    }))
}

/// `buildAssertion`: `{ assertion, form, curl, endpoint, claims }` as JSON text.
#[wasm_bindgen(js_name = buildAssertion)]
pub fn build_assertion(
    request: &str,
    ring: &KeyRing,
    options: &str,
    now: f64,
    host: &JsValue,
) -> JsResult<String> {
    js((|| {
        let now = seconds(now)?;
        let mut rng = FixedRng::draw()?;
        let provider = HostProvider::new(host, ring);
        build_with(&provider, request, ring, options, now, &mut rng).map(|a| assertion_json(&a))
    })())
}

/// `lintClaims(payload, { profile })`: `[{ severity, claim, message }]`.
/// `now` (seconds) enables the checks against the clock.
#[wasm_bindgen(js_name = lintClaims)]
pub fn lint(payload: &str, profile: Option<String>, now: Option<f64>) -> JsResult<JsValue> {
    let findings = js((|| {
        check_size(payload, "the payload")?;
        let payload = crate::json::parse(payload, ErrorCode::InvalidArgument, "the payload")?;
        let profile = profile.as_deref().map(Profile::from_name).transpose()?;
        let now = now.map(seconds).transpose()?;
        Ok(lint_claims(&payload, profile, now))
    })())?;
    Ok(findings
        .iter()
        .map(|finding| {
            plain_object(&[
                ("severity", Some(finding.severity.as_str())),
                ("claim", Some(&finding.claim)),
                ("message", Some(&finding.message)),
            ])
        })
        .collect::<js_sys::Array>()
        .into())
}

/// `verifyReport(token, keyOrJwks, options)`: every check of
/// [`crate::policy::report`] as `[{ check, status, code?, message?, claim?,
/// reason? }]`, for people looking at why a token fails. Signatures are
/// checked in wasm: a report is for a person, not a hot path.
#[wasm_bindgen(js_name = verifyReport)]
pub fn verify_report(ring: &KeyRing, token: &str, options: &str, now: f64) -> JsResult<JsValue> {
    let outcomes = js((|| {
        check_size(token, "the token")?;
        let now = seconds(now)?;
        let policy = options::verify_policy(&options::object(options, "the options")?, ring)?;
        Ok(crate::policy::report(token, ring.keys(), &policy, now))
    })())?;
    check_objects(
        outcomes
            .iter()
            .map(|outcome| (outcome.check.name(), &outcome.status)),
    )
}

/// A report's outcomes, as named checks with their statuses, as the array
/// of `{ check, status, code?, message?, claim?, reason? }` objects
/// `verifyReport` and `dpopReport` return.
///
/// A check the tokens module could not make (`ERR_KEYS_MODULE_REQUIRED`,
/// say an ES256 signature in wasm) fails the whole call with that code, so
/// that the wrapper makes the report in the keys module: a report never
/// shows the internal code.
pub(super) fn check_objects<'a>(
    outcomes: impl Iterator<Item = (&'static str, &'a CheckStatus)> + Clone,
) -> JsResult<JsValue> {
    for (_, status) in outcomes.clone() {
        if let CheckStatus::Failed(error) = status {
            if error.code() == ErrorCode::KeysModuleRequired {
                return Err(super::errors::to_js(error.clone()));
            }
        }
    }
    Ok(outcomes
        .map(|(check, status)| {
            let (status, error) = match status {
                CheckStatus::Passed => ("passed", None),
                CheckStatus::Failed(error) => ("failed", Some(error)),
                _ => ("skipped", None),
            };
            plain_object(&[
                ("check", Some(check)),
                ("status", Some(status)),
                ("code", error.map(|e| e.code().as_str())),
                ("message", error.map(|e| e.message())),
                ("claim", error.and_then(|e| e.claim_name())),
                ("reason", error.and_then(|e| e.reason()).map(|r| r.as_str())),
            ])
        })
        .collect::<js_sys::Array>()
        .into())
}

#[cfg(feature = "arithmetic")]
/// `generateSecret(alg, { kid })`: a random HMAC secret as an `oct` JWK,
/// as long as the algorithm's hash output.
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret(alg: &str, kid: Option<String>) -> JsResult<String> {
    js((|| {
        let alg = Algorithm::from_name(alg)?;
        if !alg.is_symmetric() {
            bail!(
                InvalidArgument,
                "{alg} uses a key pair, not a shared secret: use generateKeyPair"
            );
        }
        check_entropy()?;
        let mut secret = Jwk::new(generate(KeySpec::for_algorithm(alg, None)?)?);
        secret.alg = Some(alg.name().into());
        match kid.as_deref() {
            Some("thumbprint") => secret = secret.with_thumbprint_kid(),
            Some(kid) => secret.kid = Some(kid.into()),
            None => {}
        }
        Ok(secret.to_json())
    })())
}
