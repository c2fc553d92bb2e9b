//! DPoP (RFC 9449) for the npm package: `createDpopProof`,
//! `verifyDpopProof`, `dpopReport`, and the binding check `verifyJwt` makes when given a
//! `dpop` option. Every rule is the core's ([`crate::dpop`]); this file only
//! reads the options. Replay tracking stays the caller's: results carry the
//! proof's `jti` and `iat`.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::errors::{check_size, js, JsResult};
use super::host::{HostProvider, WasmCrypto};
use super::keys::KeyRing;
use super::ops::{check_objects, seconds, FixedRng};
use super::options;
use crate::alg::Algorithm;
use crate::crypto::CryptoProvider;
use crate::dpop::{
    check_request_with, confirmation_jkt, create_proof_with_public, report_with, verify_proof_with,
    AuthScheme, DpopPolicy, DpopRequest, ProofExpectations, ProofParams, VerifiedProof,
};
use crate::error::{bail, Result};
use crate::error::{Error, ErrorCode};
use crate::key::jwk::Jwk;
use crate::key::Key;

#[wasm_bindgen]
extern "C" {
    /// A synchronous native verifier for keys that arrive with each proof
    /// (the wrapper's Node `crypto` adapter, caching imported keys by their
    /// JWK text). Answers 1 valid, 0 invalid, anything else (or a throw)
    /// "not here, use wasm".
    pub type ProofVerifier;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &ProofVerifier,
        alg: &str,
        jwk: &str,
        data: &[u8],
        signature: &[u8],
    ) -> core::result::Result<i32, JsValue>;
}

/// Checks proof signatures with the host's verifier when there is one,
/// in wasm otherwise.
struct ProofCrypto<'a> {
    host: Option<&'a ProofVerifier>,
}

impl<'a> ProofCrypto<'a> {
    fn new(host: &'a JsValue) -> Self {
        use wasm_bindgen::JsCast;
        let host = (!host.is_undefined() && !host.is_null())
            .then(|| host.unchecked_ref::<ProofVerifier>());
        Self { host }
    }
}

impl CryptoProvider for ProofCrypto<'_> {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        if let Some(host) = self.host {
            let jwk = Jwk::new(key.clone()).to_json();
            match host.verify(alg.name(), &jwk, input, signature) {
                Ok(1) => return Ok(()),
                Ok(0) => {
                    return Err(Error::new(
                        ErrorCode::SignatureVerificationFailed,
                        "signature verification failed",
                    ))
                }
                _ => {}
            }
        }
        WasmCrypto.verify(alg, key, input, signature)
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        WasmCrypto.sign(alg, key, input)
    }
}

/// `createDpopProof(privateKey, { htm, htu, accessToken, nonce, alg })`.
/// `host` is the synchronous host (Node's crypto) or undefined for wasm.
#[wasm_bindgen(js_name = createDpopProof)]
pub fn create_dpop_proof(
    ring: &KeyRing,
    options: &str,
    now: f64,
    host: &JsValue,
) -> JsResult<String> {
    js((|| {
        let map = options::object(options, "the options")?;
        let (htm, htu) = (required(&map, "htm")?, required(&map, "htu")?);
        let access_token = options::string(&map, "accessToken")?;
        let nonce = options::string(&map, "nonce")?;
        let jwk = ring.signing_jwk()?;
        let alg = match options::string(&map, "alg")? {
            Some(name) => Some(Algorithm::from_name(&name)?),
            // A JWK's own `alg` decides, then the key's usual algorithm.
            None => jwk
                .alg
                .as_deref()
                .and_then(|alg| Algorithm::from_name(alg).ok()),
        };
        let params = ProofParams {
            method: &htm,
            url: &htu,
            access_token: access_token.as_deref(),
            nonce: nonce.as_deref(),
            alg,
            iat: seconds(now)?,
        };
        let mut rng = FixedRng::draw()?;
        let provider = HostProvider::new(host, ring);
        let public = public_half(ring, jwk.key())?;
        create_proof_with_public(&provider, jwk.key(), &public, &params, &mut rng)
    })())
}

/// How many signing keys keep their public half ready.
const PUBLIC_HALVES: usize = 16;

std::thread_local! {
    /// Public halves of recent signing keys by ring id (ids are never
    /// reused, so an entry can never belong to another key): deriving one
    /// from an EC or Ed25519 private key costs more than Node's signature.
    static PUBLIC: core::cell::RefCell<Vec<(u32, Jwk)>> = const { core::cell::RefCell::new(Vec::new()) };
}

fn public_half(ring: &KeyRing, key: &Key) -> Result<Jwk> {
    let Some(id) = ring.id_of(key) else {
        return Ok(Jwk::new(key.to_public()?));
    };
    if let Some(jwk) = PUBLIC.with(|cache| {
        let cache = cache.borrow();
        cache
            .iter()
            .find(|(own, _)| *own == id)
            .map(|(_, jwk)| jwk.clone())
    }) {
        return Ok(jwk);
    }
    let jwk = Jwk::new(key.to_public()?);
    PUBLIC.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= PUBLIC_HALVES {
            cache.remove(0);
        }
        cache.push((id, jwk.clone()));
    });
    Ok(jwk)
}

/// `verifyDpopProof(proof, { htm, htu, accessToken, jkt, maxAge, nonce,
/// clockTolerance, algorithms })`: `{ header, payload, jkt }` as JSON text.
/// `host` is a [`ProofVerifier`] (Node) or undefined (wasm).
#[wasm_bindgen(js_name = verifyDpopProof)]
pub fn verify_dpop_proof(proof: &str, options: &str, now: f64, host: &JsValue) -> JsResult<String> {
    js((|| {
        check_size(proof, "the DPoP proof")?;
        let request = ProofRequest::from_options(options, now)?;
        let verified = request.with(|expect, policy| {
            verify_proof_with(&ProofCrypto::new(host), proof, expect, policy)
        })?;
        Ok(proof_json(&verified))
    })())
}

/// `dpopReport(proof, options)`, with `verifyDpopProof`'s options: every
/// check of [`crate::dpop::report_with`] as `[{ check, status, code?,
/// message?, claim?, reason? }]`, for people looking at why a proof fails.
#[wasm_bindgen(js_name = dpopReport)]
pub fn dpop_report(proof: &str, options: &str, now: f64, host: &JsValue) -> JsResult<JsValue> {
    let report = js((|| {
        check_size(proof, "the DPoP proof")?;
        let request = ProofRequest::from_options(options, now)?;
        Ok(request
            .with(|expect, policy| report_with(&ProofCrypto::new(host), proof, expect, policy)))
    })())?;
    check_objects(
        report
            .checks
            .iter()
            .map(|outcome| (outcome.check.name(), &outcome.status)),
    )
}

/// What `verifyDpopProof` and `dpopReport` check a proof against, read
/// from their options.
struct ProofRequest {
    policy: DpopPolicy,
    htm: String,
    htu: String,
    access_token: Option<String>,
    jkt: Option<String>,
    nonces: Vec<String>,
    now: i64,
}

impl ProofRequest {
    fn from_options(options: &str, now: f64) -> Result<Self> {
        let map = options::object(options, "the options")?;
        Ok(Self {
            policy: policy(&map)?,
            htm: required(&map, "htm")?,
            htu: required(&map, "htu")?,
            access_token: options::string(&map, "accessToken")?,
            jkt: options::string(&map, "jkt")?,
            nonces: nonces(&map)?,
            now: seconds(now)?,
        })
    }

    /// Runs `check` with the expectations borrowed from these options.
    fn with<T>(&self, check: impl FnOnce(&ProofExpectations<'_>, &DpopPolicy) -> T) -> T {
        let nonces: Vec<&str> = self.nonces.iter().map(String::as_str).collect();
        let expect = ProofExpectations {
            method: &self.htm,
            url: &self.htu,
            access_token: self.access_token.as_deref(),
            jkt: self.jkt.as_deref(),
            nonces: &nonces,
            now: self.now,
        };
        check(&expect, &self.policy)
    }
}

/// The DPoP decision of `verifyJwt` for a verified token: `cnf` is the
/// token's `cnf` claim as JSON (or empty), `dpop` the `dpop` option as JSON
/// (or empty when not given). Returns the checked proof as JSON, or `null`
/// when DPoP does not concern the token (unbound, no proof asked for).
#[wasm_bindgen(js_name = checkDpopBinding)]
pub fn check_dpop_binding(
    token: &str,
    cnf: &str,
    dpop: &str,
    now: f64,
    host: &JsValue,
) -> JsResult<String> {
    js((|| {
        let mut claims = Map::new();
        if !cnf.is_empty() {
            check_size(cnf, "the cnf claim")?;
            let value = crate::json::parse(cnf, crate::error::ErrorCode::JwtInvalid, "cnf")?;
            claims.insert("cnf".into(), value);
        }
        let token_jkt = confirmation_jkt(&claims)?;
        let given = !dpop.is_empty();
        let map = options::object(dpop, "option \"dpop\"")?;
        let policy = policy(&map)?;
        let proofs: Vec<String> = match map.get("proof") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(proof)) => alloc::vec![proof.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(proof) => Ok(proof.clone()),
                    _ => bail!(
                        InvalidArgument,
                        "option \"dpop.proof\" must be a string or an array of the DPoP header values"
                    ),
                })
                .collect::<Result<_>>()?,
            Some(_) => bail!(
                InvalidArgument,
                "option \"dpop.proof\" must be a string or an array of the DPoP header values"
            ),
        };
        for proof in &proofs {
            check_size(proof, "the DPoP proof")?;
        }
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let (htm, htu) = if given {
            (required(&map, "htm")?, required(&map, "htu")?)
        } else {
            (String::new(), String::new())
        };
        let nonces = nonces(&map)?;
        let nonces: Vec<&str> = nonces.iter().map(String::as_str).collect();
        let request = DpopRequest {
            // Giving the `dpop` option says the token came as `DPoP`.
            scheme: if given {
                AuthScheme::Dpop
            } else {
                AuthScheme::Bearer
            },
            access_token: token,
            token_jkt,
            proofs: &proofs,
            method: &htm,
            url: &htu,
            nonces: &nonces,
            now: seconds(now)?,
        };
        let verified = check_request_with(&ProofCrypto::new(host), &request, &policy, None)?;
        Ok(verified.map_or_else(|| String::from("null"), |proof| proof_json(&proof)))
    })())
}

/// The resource server's policy from the options: `maxAge`,
/// `clockTolerance`, `algorithms`.
fn policy(map: &Map<String, Value>) -> Result<DpopPolicy> {
    let mut policy = match map.get("algorithms") {
        None | Some(Value::Null) => DpopPolicy::default(),
        Some(Value::Array(items)) => {
            let algorithms = items
                .iter()
                .map(|item| match item {
                    Value::String(name) => Algorithm::from_name(name),
                    _ => bail!(
                        InvalidArgument,
                        "option \"algorithms\" must be an array of strings"
                    ),
                })
                .collect::<Result<Vec<_>>>()?;
            DpopPolicy::new(&algorithms)?
        }
        Some(_) => bail!(
            InvalidArgument,
            "option \"algorithms\" must be an array of strings"
        ),
    };
    if let Some(max_age) = options::duration(map, "maxAge")? {
        policy.max_age = max_age;
    }
    if let Some(tolerance) = options::duration(map, "clockTolerance")? {
        policy.clock_tolerance = tolerance;
    }
    Ok(policy)
}

/// `nonce`: the current server nonce, or several (while rotating).
fn nonces(map: &Map<String, Value>) -> Result<Vec<String>> {
    match map.get("nonce") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(nonce)) => Ok(alloc::vec![nonce.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(nonce) => Ok(nonce.clone()),
                _ => bail!(
                    InvalidArgument,
                    "option \"nonce\" must be a string or an array of strings"
                ),
            })
            .collect(),
        Some(_) => bail!(
            InvalidArgument,
            "option \"nonce\" must be a string or an array of strings"
        ),
    }
}

fn required(map: &Map<String, Value>, name: &str) -> Result<String> {
    match options::string(map, name)? {
        Some(value) => Ok(value),
        None => bail!(InvalidArgument, "option {name:?} is required"),
    }
}

/// `{ header, payload, jkt }` as JSON text.
fn proof_json(proof: &VerifiedProof) -> String {
    #[derive(Serialize)]
    struct Proof<'a> {
        header: &'a Map<String, Value>,
        payload: &'a Map<String, Value>,
        jkt: &'a str,
    }
    serde_json::to_string(&Proof {
        header: &proof.header,
        payload: &proof.claims,
        jkt: &proof.jkt,
    })
    .unwrap_or_default() // unreachable: string-keyed JSON maps always serialise
}
