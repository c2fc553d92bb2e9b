//! The asynchronous host path (WebCrypto): the core runs once to learn what
//! must be checked or signed, the wrapper awaits the host, and the core runs
//! again, its provider answering with the host's result for exactly that
//! algorithm, key, input and signature (anything else goes to wasm). The
//! whole policy (order of checks, key selection, claims) stays the core's.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::errors::{js, JsResult};
use super::host::WasmCrypto;
use super::keys::KeyRing;
use super::ops::{
    assertion_json, build_with, seconds, sign_payload, verified_json, FixedRng, TokenPolicy,
};
use crate::alg::Algorithm;
use crate::crypto::CryptoProvider;
use crate::error::{bail, Error, ErrorCode, Result};
use crate::jws::UntrustedJws;
use crate::key::Key;
use crate::policy::select_key;

/// Answers the core with the host's verdict on one recorded check.
struct Recorded<'a> {
    ring: &'a KeyRing,
    pending: &'a PendingVerify,
    valid: Option<bool>,
}

impl CryptoProvider for Recorded<'_> {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        let same = alg == self.pending.alg
            && self.ring.id_of(key) == Some(self.pending.key_id)
            && input == self.pending.input.as_slice()
            && signature == self.pending.signature.as_slice();
        match self.valid {
            Some(true) if same => Ok(()),
            Some(false) if same => Err(Error::new(
                ErrorCode::SignatureVerificationFailed,
                "signature verification failed",
            )),
            _ => WasmCrypto.verify(alg, key, input, signature),
        }
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        WasmCrypto.sign(alg, key, input)
    }
}

/// A token whose signature the host is to check.
#[wasm_bindgen]
pub struct PendingVerify {
    token: String,
    policy: TokenPolicy,
    alg: Algorithm,
    key_id: u32,
    input: Vec<u8>,
    signature: Vec<u8>,
}

/// Parses the token and selects its key under the policy: every check the
/// core makes before the signature.
#[wasm_bindgen(js_name = beginVerify)]
pub fn begin_verify(
    ring: &KeyRing,
    token: &str,
    options: &str,
    assertion: bool,
) -> JsResult<PendingVerify> {
    js((|| {
        let policy = TokenPolicy::from_options(options, ring, assertion)?;
        let jws = UntrustedJws::parse(token, policy.verify().max_token_bytes)?;
        let (alg, jwk) = select_key(&jws, ring.keys(), policy.verify())?;
        let Some(key_id) = ring.id_of(jwk.key()) else {
            bail!(
                InvalidArgument,
                "the selected key is not part of this key ring"
            );
        };
        let (input, signature) = (jws.signing_input().to_vec(), jws.signature().to_vec());
        Ok(PendingVerify {
            token: token.into(),
            policy,
            alg,
            key_id,
            input,
            signature,
        })
    })())
}

#[wasm_bindgen]
impl PendingVerify {
    /// The algorithm the signature must be checked with.
    #[wasm_bindgen(getter)]
    pub fn alg(&self) -> String {
        self.alg.name().into()
    }

    /// The ring id of the key that must check it.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The JWS signing input (`header.payload`).
    #[wasm_bindgen(getter, js_name = signingInput)]
    pub fn signing_input(&self) -> Vec<u8> {
        self.input.clone()
    }

    /// The decoded signature.
    #[wasm_bindgen(getter)]
    pub fn signature(&self) -> Vec<u8> {
        self.signature.clone()
    }

    /// Completes the verification at `now` with the host's verdict
    /// (`undefined`: check the signature in wasm): `{ header, payload }`.
    pub fn finish(&self, ring: &KeyRing, valid: Option<bool>, now: f64) -> JsResult<String> {
        let provider = Recorded {
            ring,
            pending: self,
            valid,
        };
        js(seconds(now).and_then(|now| {
            self.policy
                .check(&provider, ring, &self.token, now)
                .map(|verified| verified_json(&verified))
        }))
    }
}

/// Records what the core wants signed; the first pass's token is discarded.
struct Capture<'a> {
    ring: &'a KeyRing,
    seen: RefCell<Option<(Algorithm, u32, Vec<u8>)>>,
}

impl CryptoProvider for Capture<'_> {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        WasmCrypto.verify(alg, key, input, signature)
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        let Some(id) = self.ring.id_of(key) else {
            bail!(
                InvalidArgument,
                "the signing key is not part of this key ring"
            );
        };
        *self.seen.borrow_mut() = Some((alg, id, input.to_vec()));
        Ok(Vec::new())
    }
}

/// Answers the core's second pass with the host's signature.
struct Provided<'a> {
    ring: &'a KeyRing,
    pending: &'a PendingSign,
    signature: Option<Vec<u8>>,
}

impl CryptoProvider for Provided<'_> {
    fn verify(&self, alg: Algorithm, key: &Key, input: &[u8], signature: &[u8]) -> Result<()> {
        WasmCrypto.verify(alg, key, input, signature)
    }

    fn sign(&self, alg: Algorithm, key: &Key, input: &[u8]) -> Result<Vec<u8>> {
        let same = alg == self.pending.alg
            && self.ring.id_of(key) == Some(self.pending.key_id)
            && input == self.pending.input.as_slice();
        match &self.signature {
            Some(signature) if same => Ok(signature.clone()),
            _ => WasmCrypto.sign(alg, key, input),
        }
    }
}

enum SignJob {
    Jwt {
        payload: String,
        options: String,
    },
    Assertion {
        request: String,
        options: String,
        now: i64,
        rng: FixedRng,
    },
}

/// A token (or assertion) whose signature the host is to make.
#[wasm_bindgen]
pub struct PendingSign {
    job: SignJob,
    alg: Algorithm,
    key_id: u32,
    input: Vec<u8>,
}

impl PendingSign {
    fn run(&self, provider: &dyn CryptoProvider, ring: &KeyRing) -> Result<String> {
        match &self.job {
            SignJob::Jwt { payload, options } => sign_payload(provider, ring, payload, options),
            SignJob::Assertion {
                request,
                options,
                now,
                rng,
            } => build_with(provider, request, ring, options, *now, &mut rng.clone())
                .map(|assertion| assertion_json(&assertion)),
        }
    }

    fn begin(job: SignJob, ring: &KeyRing) -> Result<Self> {
        let capture = Capture {
            ring,
            seen: RefCell::new(None),
        };
        let mut pending = PendingSign {
            job,
            alg: Algorithm::Hs256,
            key_id: 0,
            input: Vec::new(),
        };
        pending.run(&capture, ring)?;
        let Some((alg, key_id, input)) = capture.seen.into_inner() else {
            bail!(InvalidArgument, "nothing was signed");
        };
        pending.alg = alg;
        pending.key_id = key_id;
        pending.input = input;
        Ok(pending)
    }
}

/// The first pass of `signJwt` for an asynchronous host.
#[wasm_bindgen(js_name = beginSign)]
pub fn begin_sign(ring: &KeyRing, payload: &str, options: &str) -> JsResult<PendingSign> {
    js(PendingSign::begin(
        SignJob::Jwt {
            payload: payload.into(),
            options: options.into(),
        },
        ring,
    ))
}

/// The first pass of `buildAssertion` for an asynchronous host.
#[wasm_bindgen(js_name = beginBuildAssertion)]
pub fn begin_build_assertion(
    request: &str,
    ring: &KeyRing,
    options: &str,
    now: f64,
) -> JsResult<PendingSign> {
    js((|| {
        let job = SignJob::Assertion {
            request: request.into(),
            options: options.into(),
            now: seconds(now)?,
            rng: FixedRng::draw()?,
        };
        PendingSign::begin(job, ring)
    })())
}

#[wasm_bindgen]
impl PendingSign {
    /// The algorithm to sign with.
    #[wasm_bindgen(getter)]
    pub fn alg(&self) -> String {
        self.alg.name().into()
    }

    /// The ring id of the signing key.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The bytes to sign.
    #[wasm_bindgen(getter, js_name = signingInput)]
    pub fn signing_input(&self) -> Vec<u8> {
        self.input.clone()
    }

    /// Completes with the host's signature (`undefined`: sign in wasm): the
    /// token, or the assertion's JSON.
    pub fn finish(&self, ring: &KeyRing, signature: Option<Vec<u8>>) -> JsResult<String> {
        let provider = Provided {
            ring,
            pending: self,
            signature,
        };
        js(self.run(&provider, ring))
    }
}
