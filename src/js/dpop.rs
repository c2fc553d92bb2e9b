//! DPoP (RFC 9449) for the npm package: `createDpopProof`,
//! `verifyDpopProof`, and the binding check `verifyJwt` makes when given a
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
use super::ops::{seconds, FixedRng};
use super::options;
use crate::alg::Algorithm;
use crate::dpop::{
    check_request_with, confirmation_jkt, create_proof_with, verify_proof_with, AuthScheme,
    DpopPolicy, DpopRequest, ProofExpectations, ProofParams, VerifiedProof,
};
use crate::error::{bail, Result};

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
        create_proof_with(&provider, jwk.key(), &params, &mut rng)
    })())
}

/// `verifyDpopProof(proof, { htm, htu, accessToken, jkt, maxAge, nonce,
/// clockTolerance, algorithms })`: `{ header, payload, jkt }` as JSON text.
/// The proof's key is its own, so its signature is checked in wasm.
#[wasm_bindgen(js_name = verifyDpopProof)]
pub fn verify_dpop_proof(proof: &str, options: &str, now: f64) -> JsResult<String> {
    js((|| {
        check_size(proof, "the DPoP proof")?;
        let map = options::object(options, "the options")?;
        let policy = policy(&map)?;
        let (htm, htu) = (required(&map, "htm")?, required(&map, "htu")?);
        let access_token = options::string(&map, "accessToken")?;
        let jkt = options::string(&map, "jkt")?;
        let nonces = nonces(&map)?;
        let nonces: Vec<&str> = nonces.iter().map(String::as_str).collect();
        let expect = ProofExpectations {
            method: &htm,
            url: &htu,
            access_token: access_token.as_deref(),
            jkt: jkt.as_deref(),
            nonces: &nonces,
            now: seconds(now)?,
        };
        let verified = verify_proof_with(&WasmCrypto, proof, &expect, &policy)?;
        Ok(proof_json(&verified))
    })())
}

/// The DPoP decision of `verifyJwt` for a verified token: `cnf` is the
/// token's `cnf` claim as JSON (or empty), `dpop` the `dpop` option as JSON
/// (or empty when not given). Returns the checked proof as JSON, or `null`
/// when DPoP does not concern the token (unbound, no proof asked for).
#[wasm_bindgen(js_name = checkDpopBinding)]
pub fn check_dpop_binding(token: &str, cnf: &str, dpop: &str, now: f64) -> JsResult<String> {
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
        let verified = check_request_with(&WasmCrypto, &request, &policy, None)?;
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
