//! RFC 7523 JWT assertions: building them for the products in the seed
//! documents, and checking them as a token endpoint would.
//!
//! Two uses of one token format:
//! - the **JWT bearer authorization grant** (section 2.1): `grant_type=
//!   urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>`, used by
//!   MuleSoft connected apps and WSO2 / Asgardeo trusted token issuers;
//! - **client authentication** (section 2.2): `client_assertion_type=
//!   urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=
//!   <jwt>`, which Okta calls `private_key_jwt`.

mod profile;
mod verify;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Number, Value};

pub use profile::{Grant, Profile, MULESOFT_TOKEN_ENDPOINT};
pub use verify::{
    verify_assertion, verify_assertion_with, AssertionPolicy, MemoryReplayCache, ReplayCache,
};

use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{bail, Result};
use crate::jws::{sign_with, SignOptions};
use crate::key::Key;

/// The `grant_type` of the JWT bearer authorization grant.
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The `client_assertion_type` of JWT client authentication.
pub const JWT_BEARER_CLIENT_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The default assertion lifetime: five minutes, as the products recommend.
pub const DEFAULT_LIFETIME_SECONDS: u64 = 300;

/// What to put in an assertion. Unset fields take the profile's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionRequest {
    /// The product preset or generic flow.
    pub profile: Profile,
    /// `iss`: for client authentication and MuleSoft, the client_id.
    pub issuer: Option<String>,
    /// `sub`: for client authentication, the client_id (defaults to `iss`);
    /// for MuleSoft, built from the `idp_id` and `user_name` claims if unset.
    pub subject: Option<String>,
    /// `aud`: the authorization server (usually its token endpoint).
    pub audience: Vec<String>,
    /// Where the form is POSTed; defaults to the profile's endpoint or `aud`.
    pub token_endpoint: Option<String>,
    /// Seconds from `iat` to `exp`.
    pub lifetime: u64,
    /// Adds `nbf` equal to `iat`.
    pub not_before: bool,
    /// `jti`; a random UUID v4 when unset.
    pub jti: Option<String>,
    /// `typ` header (`JWT` by default).
    pub typ: Option<String>,
    /// The `scope` form parameter, for grants that take one.
    pub scope: Option<String>,
    /// Further claims. They cannot override the registered claims above.
    pub claims: Map<String, Value>,
}

impl AssertionRequest {
    /// A request for `profile` with every optional field unset.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            issuer: None,
            subject: None,
            audience: Vec::new(),
            token_endpoint: None,
            lifetime: DEFAULT_LIFETIME_SECONDS,
            not_before: false,
            jti: None,
            typ: None,
            scope: None,
            claims: Map::new(),
        }
    }

    /// The claims set at `now`, with `jti` when none was given. Applies the
    /// profile's rules and fails with `ERR_INVALID_ARGUMENT` naming what is
    /// missing or contradictory.
    pub fn to_claims(&self, now: i64, jti: String) -> Result<Map<String, Value>> {
        let resolved = self.profile.resolve(self)?;
        if self.lifetime == 0 {
            bail!(InvalidArgument, "the assertion lifetime must be positive");
        }
        if let Some(max) = self.profile.max_lifetime() {
            if self.lifetime > max {
                bail!(
                    InvalidArgument,
                    "{} accepts assertions valid for at most {max} seconds, not {}",
                    self.profile.title(),
                    self.lifetime
                );
            }
        }
        let lifetime = i64::try_from(self.lifetime).unwrap_or(i64::MAX);
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(resolved.issuer));
        claims.insert("sub".into(), Value::String(resolved.subject));
        claims.insert(
            "aud".into(),
            match resolved.audience.as_slice() {
                [single] => Value::String(single.clone()),
                many => Value::Array(many.iter().cloned().map(Value::String).collect()),
            },
        );
        claims.insert("iat".into(), Value::Number(Number::from(now)));
        if self.not_before {
            claims.insert("nbf".into(), Value::Number(Number::from(now)));
        }
        claims.insert(
            "exp".into(),
            Value::Number(Number::from(now.saturating_add(lifetime))),
        );
        claims.insert("jti".into(), Value::String(self.jti.clone().unwrap_or(jti)));
        for (name, value) in &self.claims {
            if claims.contains_key(name) {
                bail!(
                    InvalidArgument,
                    "claim {name:?} is set by the assertion builder; use its own option"
                );
            }
            if self.profile.consumes_claim(name) {
                continue;
            }
            claims.insert(name.clone(), value.clone());
        }
        Ok(claims)
    }

    /// The token endpoint this request posts to.
    pub fn endpoint(&self) -> Result<String> {
        self.profile
            .resolve(self)
            .map(|resolved| resolved.token_endpoint)
    }

    /// The token request that presents `assertion`: the exact form body and
    /// a ready `curl` command.
    pub fn token_request(&self, assertion: &str) -> Result<TokenRequest> {
        let endpoint = self.endpoint()?;
        let mut form = form_urlencoded::Serializer::new(String::new());
        match self.profile.grant() {
            Grant::JwtBearer => {
                form.append_pair("grant_type", JWT_BEARER_GRANT_TYPE);
                if let Some(scope) = &self.scope {
                    form.append_pair("scope", scope);
                }
                form.append_pair("assertion", assertion);
            }
            Grant::ClientAssertion => {
                form.append_pair("grant_type", "client_credentials");
                if let Some(scope) = &self.scope {
                    form.append_pair("scope", scope);
                }
                form.append_pair("client_assertion_type", JWT_BEARER_CLIENT_ASSERTION_TYPE);
                form.append_pair("client_assertion", assertion);
            }
        }
        let form = form.finish();
        let mut curl = alloc::format!("curl -X POST {}", shell_quote(&endpoint));
        curl.push_str(" \\\n  -H 'Content-Type: application/x-www-form-urlencoded'");
        if self.profile.authenticates_client_with_secret() {
            // WSO2 and Asgardeo authenticate the client separately from the
            // assertion; the secret never enters jwt-edge.
            curl.push_str(" \\\n  -u \"$CLIENT_ID:$CLIENT_SECRET\"");
        }
        curl.push_str(" \\\n  --data ");
        curl.push_str(&shell_quote(&form));
        Ok(TokenRequest {
            endpoint,
            form,
            curl,
        })
    }
}

/// A token request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The token endpoint URL.
    pub endpoint: String,
    /// The `application/x-www-form-urlencoded` body.
    pub form: String,
    /// A `curl` command that sends it.
    pub curl: String,
}

/// A signed assertion and the request that presents it.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// The compact JWS.
    pub assertion: String,
    /// The claims it carries.
    pub claims: Map<String, Value>,
    /// The request to the token endpoint.
    pub request: TokenRequest,
}

/// Builds and signs an assertion at `now` with the pure-Rust backend.
/// `rng` supplies the `jti` when the request has none.
pub fn build_assertion<R: CryptoRng + RngCore>(
    request: &AssertionRequest,
    key: &Key,
    options: &SignOptions,
    now: i64,
    rng: &mut R,
) -> Result<Assertion> {
    build_assertion_with(&RustCrypto, request, key, options, now, rng)
}

/// Builds and signs an assertion with the given signature backend.
pub fn build_assertion_with<R: CryptoRng + RngCore>(
    provider: &dyn CryptoProvider,
    request: &AssertionRequest,
    key: &Key,
    options: &SignOptions,
    now: i64,
    rng: &mut R,
) -> Result<Assertion> {
    let claims = request.to_claims(now, random_uuid(rng))?;
    let mut options = options.clone();
    if options.typ.is_none() {
        options.typ = Some(request.typ.clone().unwrap_or_else(|| "JWT".to_string()));
    }
    let assertion = sign_with(provider, &claims, key, &options)?;
    let request = request.token_request(&assertion)?;
    Ok(Assertion {
        assertion,
        claims,
        request,
    })
}

/// A random UUID v4 (RFC 9562), the usual shape of a `jti`.
pub fn random_uuid<R: CryptoRng + RngCore>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&alloc::format!("{byte:02x}"));
    }
    out
}

/// Quotes a string for a POSIX shell: single quotes, with embedded single
/// quotes closed, escaped and reopened.
fn shell_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}
