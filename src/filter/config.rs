//! The filter configuration: JSON with Envoy jwt_authn's field names, parsed
//! once per worker by the root context into an immutable [`Config`].
//!
//! Every mistake is refused with a message that starts with the path of the
//! offending field (`providers.okta.remote_jwks.timeout_ms: ...`), so the
//! Envoy log line says what to fix.

use std::boxed::Box;
use std::string::{String, ToString};
use std::vec::Vec;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::dpop::DpopPolicy;
use crate::error::ErrorCode;
use crate::introspection::{CachePolicy, ClientAuth, IntrospectionClient, ResponseFormat};
use crate::key::jwk::Jwk;
use crate::key::jwks::JwkSet;
use crate::policy::VerifyPolicy;

/// Default clock skew, as jwt_authn's.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;
/// Default remote JWKS cache duration (jwt_authn: 5 minutes).
pub const DEFAULT_CACHE_DURATION_SECONDS: u64 = 300;
/// Default remote JWKS fetch timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;
/// jwt_authn's default verified-token cache size when the cache is enabled.
pub const DEFAULT_JWT_CACHE_SIZE: usize = 100;
/// The largest verified-token cache accepted per provider.
pub const MAX_JWT_CACHE_SIZE: usize = 10_000;
/// The longest DPoP proof age accepted in `dpop.max_age_seconds`: the
/// replay store must remember every `jti` that long.
pub const MAX_DPOP_AGE_SECONDS: u64 = 3600;
/// Default `introspection.cache.max_seconds`.
pub const DEFAULT_INTROSPECTION_CACHE_SECONDS: u64 = 300;
/// Default `introspection.cache.max_entries`.
pub const DEFAULT_INTROSPECTION_MAX_ENTRIES: usize = 10_000;
/// The largest `introspection.cache.max_entries`.
pub const MAX_INTROSPECTION_ENTRIES: usize = 100_000;
/// The longest `cache.max_seconds`, `cache.negative_seconds` and
/// `stale_if_error_seconds` (a day).
pub const MAX_INTROSPECTION_SECONDS: u64 = 86_400;

/// A configuration error: the field path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn error(path: &str, message: impl core::fmt::Display) -> ConfigError {
    ConfigError(std::format!("{path}: {message}"))
}

// ------------------------------------------------------------ raw JSON ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    providers: Map<String, Value>,
    #[serde(default)]
    rules: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    issuer: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
    algorithms: Option<Vec<String>>,
    local_jwks: Option<RawDataSource>,
    pem_certificate: Option<String>,
    remote_jwks: Option<RawRemoteJwks>,
    from_headers: Option<Vec<RawHeader>>,
    from_params: Option<Vec<String>>,
    from_cookies: Option<Vec<String>>,
    #[serde(default)]
    forward: bool,
    forward_payload_header: Option<String>,
    #[serde(default)]
    claim_to_headers: Vec<RawClaimToHeader>,
    clock_skew_seconds: Option<u64>,
    max_lifetime_seconds: Option<u64>,
    typ: Option<String>,
    jwt_cache_config: Option<RawCacheConfig>,
    dpop: Option<RawDpop>,
    introspection: Option<RawIntrospection>,
    #[serde(default)]
    introspect_jwt: bool,
}

/// `introspection` (ours: jwt_authn cannot introspect).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntrospection {
    cluster: String,
    uri: String,
    timeout_ms: Option<u64>,
    client_id: String,
    client_auth: RawClientAuth,
    cache: Option<RawIntrospectionCache>,
    stale_if_error_seconds: Option<u64>,
    on_unavailable_status: Option<u32>,
    accept: Option<String>,
    jwks: Option<Value>,
}

/// `introspection.client_auth`. The secret and key are read as JSON values
/// so that a value of the wrong type is never echoed in an error message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClientAuth {
    method: String,
    client_secret: Option<Value>,
    private_key: Option<Value>,
    audience: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntrospectionCache {
    max_seconds: Option<u64>,
    negative_seconds: Option<u64>,
    max_entries: Option<usize>,
}

/// `dpop` (ours: jwt_authn has no DPoP).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDpop {
    mode: Option<String>,
    max_age_seconds: Option<u64>,
    #[serde(default)]
    nonce: bool,
    public_base_url: Option<String>,
    algorithms: Option<Vec<String>>,
    #[serde(default)]
    forward_proof: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataSource {
    inline_string: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemoteJwks {
    cluster: String,
    uri: String,
    cache_duration_seconds: Option<u64>,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    #[serde(default)]
    value_prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaimToHeader {
    header_name: String,
    claim_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCacheConfig {
    jwt_cache_size: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "match")]
    matcher: RawMatch,
    requires: Option<Value>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    claims: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    prefix: Option<String>,
    path: Option<String>,
    #[serde(default)]
    methods: Vec<String>,
}

// ------------------------------------------------------------ compiled ----

/// The parsed, checked configuration shared (read-only) by every request.
#[derive(Debug)]
pub struct Config {
    /// Providers in configuration order.
    pub providers: Vec<Provider>,
    /// Rules in configuration order: the first match wins.
    pub rules: Vec<Rule>,
    /// Every header the filter writes upstream (claim headers, payload
    /// headers): removed from every incoming request so a client can never
    /// forge them.
    pub output_headers: Vec<String>,
    /// Some rule names methods (otherwise `:method` is never read).
    pub uses_methods: bool,
}

/// One token issuer.
#[derive(Debug)]
pub struct Provider {
    /// Its name in `providers`.
    pub name: String,
    /// What its tokens must satisfy.
    pub policy: VerifyPolicy,
    /// Where its keys come from.
    pub keys: KeySource,
    /// Where its tokens are looked for, in order.
    pub locations: Vec<Location>,
    /// Keep the token header for the upstream.
    pub forward: bool,
    /// Header carrying the base64url payload upstream.
    pub forward_payload_header: Option<String>,
    /// (header, claim path) pairs copied upstream.
    pub claim_to_headers: Vec<(String, String)>,
    /// Verified-token cache capacity; 0 disables the cache.
    pub cache_size: usize,
    /// DPoP (RFC 9449) enforcement; `None`: `mode` `disabled`.
    pub dpop: Option<DpopConfig>,
    /// Token introspection (RFC 7662): the provider's only check
    /// ([`KeySource::Introspection`]), or with `introspect_jwt` a second
    /// one after the JWT verified, for revocation.
    pub introspection: Option<Box<IntrospectionConfig>>,
}

/// A provider's `introspection` settings.
#[derive(Debug)]
pub struct IntrospectionConfig {
    /// Envoy cluster the call goes through.
    pub cluster: String,
    /// The endpoint URI as configured.
    pub uri: String,
    /// `:authority` of the call.
    pub authority: String,
    /// `:path` of the call.
    pub path: String,
    /// Call timeout, and how long requests wait for an answer.
    pub timeout_ms: u64,
    /// Our client id, authentication (its `Debug` hides the secret) and
    /// answer format.
    pub client: IntrospectionClient,
    /// The authorization server's keys for RFC 9701 answers (`accept: jwt`).
    pub jwt_keys: Option<JwkSet>,
    /// How long answers are reused.
    pub cache: CachePolicy,
    /// Cached answers kept (across all workers).
    pub max_entries: usize,
    /// How long a cached active answer keeps serving once the server
    /// fails (0: never).
    pub stale_if_error_seconds: u64,
    /// The status sent when the server cannot be used.
    pub on_unavailable_status: u32,
}

/// A provider's `dpop` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopConfig {
    /// What a proof must satisfy; `required` is `mode: required`.
    pub policy: DpopPolicy,
    /// Proofs must carry a current server nonce (`use_dpop_nonce`).
    pub nonce: bool,
    /// The URL clients use when Envoy sits behind another proxy: `htu` is
    /// this plus `:path` instead of `:scheme`, `:authority` and `:path`.
    pub public_base_url: Option<String>,
    /// Keep the `DPoP` header for the upstream.
    pub forward_proof: bool,
}

/// A provider's keys.
#[derive(Debug)]
pub enum KeySource {
    /// An inline JWKS (`local_jwks`).
    Set(JwkSet),
    /// One key from a PEM certificate or public key (`pem_certificate`):
    /// used whatever `kid` the token names.
    Single(Box<Jwk>),
    /// Fetched from a cluster (`remote_jwks`).
    Remote(RemoteJwks),
    /// None: the tokens are opaque here and the provider's `introspection`
    /// endpoint judges them.
    Introspection,
}

/// `remote_jwks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteJwks {
    /// Envoy cluster the request goes through.
    pub cluster: String,
    /// The URI as configured.
    pub uri: String,
    /// `:authority` of the request.
    pub authority: String,
    /// `:path` of the request.
    pub path: String,
    /// How long fetched keys are fresh.
    pub cache_duration_seconds: u64,
    /// Fetch timeout, and how long requests wait for keys.
    pub timeout_ms: u64,
}

/// Where a token is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A request header (lower-case name) whose value starts with `prefix`
    /// (compared case-insensitively). `Authorization` with the `DPoP `
    /// prefix is added for DPoP providers that read `Bearer ` tokens there.
    Header {
        /// Lower-case header name.
        name: String,
        /// Value prefix such as `Bearer `.
        prefix: String,
    },
    /// A query parameter.
    Param(String),
    /// A cookie.
    Cookie(String),
}

/// A route rule.
#[derive(Debug)]
pub struct Rule {
    /// Which requests it applies to.
    pub matcher: Matcher,
    /// The token requirement; `None`: no token needed.
    pub requires: Option<Requirement>,
    /// Scopes that must all be granted.
    pub scopes: Vec<String>,
    /// Claim path and accepted values.
    pub claims: Vec<(String, Vec<Value>)>,
    /// The providers whose token locations the rule reads (indices,
    /// ascending): those its requirement names, or every provider for
    /// `allow_missing` and `allow_missing_or_failed`. Every token found in
    /// one of their locations must verify, not just one of them.
    pub providers: Vec<usize>,
}

/// `match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// Path prefix or exact path.
    pub path: PathMatch,
    /// Upper-case methods; empty: any.
    pub methods: Vec<String>,
}

/// How a rule's path is compared with the request path (query removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// `prefix`.
    Prefix(String),
    /// `path`: exact.
    Exact(String),
}

/// `requires`, as in jwt_authn's JwtRequirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// A valid token of this provider (index into `providers`).
    Provider(usize),
    /// Any of these.
    Any(Vec<Requirement>),
    /// All of these.
    All(Vec<Requirement>),
    /// No token is fine; a present token must be valid.
    AllowMissing,
    /// Always passes; valid tokens still get their headers.
    AllowMissingOrFailed,
}

impl Requirement {
    /// The providers this requirement reads tokens for (ascending, unique),
    /// out of `count` configured ones.
    fn providers(&self, count: usize) -> Vec<usize> {
        let mut used = Vec::new();
        self.collect_providers(count, &mut used);
        used.sort_unstable();
        used.dedup();
        used
    }

    fn collect_providers(&self, count: usize, used: &mut Vec<usize>) {
        match self {
            Self::Provider(index) => used.push(*index),
            Self::Any(list) | Self::All(list) => list
                .iter()
                .for_each(|item| item.collect_providers(count, used)),
            Self::AllowMissing | Self::AllowMissingOrFailed => used.extend(0..count),
        }
    }
}

impl Config {
    /// Parses and checks the configuration JSON.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        // The core's parser applies the depth limit every untrusted document gets.
        let value = crate::json::parse(text, ErrorCode::InvalidArgument, "the configuration")
            .map_err(|e| error("configuration", e.message()))?;
        if !value.is_object() {
            return Err(error("configuration", "must be a JSON object"));
        }
        let raw: RawConfig = typed(value, "")?;
        if raw.providers.is_empty() && raw.rules.iter().any(|rule| rule.get("requires").is_some()) {
            return Err(error(
                "providers",
                "rules require tokens but no provider is configured",
            ));
        }
        let mut providers = Vec::with_capacity(raw.providers.len());
        for (name, value) in raw.providers {
            let path = std::format!("providers.{name}");
            let raw: RawProvider = typed(value, &path)?;
            providers.push(compile_provider(name, raw, &path)?);
        }
        if raw.rules.is_empty() {
            return Err(error(
                "rules",
                "at least one rule is needed (a request matching no rule is denied)",
            ));
        }
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (index, value) in raw.rules.into_iter().enumerate() {
            let path = std::format!("rules[{index}]");
            let raw: RawRule = typed(value, &path)?;
            rules.push(compile_rule(raw, &providers, &path)?);
        }
        let mut output_headers: Vec<String> = providers
            .iter()
            .flat_map(|p| {
                p.claim_to_headers
                    .iter()
                    .map(|(header, _)| header.clone())
                    .chain(p.forward_payload_header.clone())
            })
            .collect();
        output_headers.sort();
        output_headers.dedup();
        let uses_methods = rules.iter().any(|rule| !rule.matcher.methods.is_empty());
        Ok(Config {
            providers,
            rules,
            output_headers,
            uses_methods,
        })
    }

    /// True if some provider fetches its keys.
    pub fn has_remote(&self) -> bool {
        self.providers
            .iter()
            .any(|p| matches!(p.keys, KeySource::Remote(_)))
    }

    /// True if some provider introspects tokens.
    pub fn has_introspection(&self) -> bool {
        self.providers.iter().any(|p| p.introspection.is_some())
    }

    /// True if some provider asks DPoP proofs for server nonces.
    pub fn uses_dpop_nonces(&self) -> bool {
        self.providers
            .iter()
            .any(|p| p.dpop.as_ref().is_some_and(|dpop| dpop.nonce))
    }
}

/// Deserialises `value`, reporting errors with their full field path.
fn typed<T: for<'de> Deserialize<'de>>(value: Value, prefix: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") => "configuration".to_string(),
            (true, _) => inner,
            (false, ".") => prefix.to_string(),
            (false, _) => std::format!("{prefix}.{inner}"),
        };
        error(&path, e.into_inner())
    })
}

fn compile_provider(name: String, raw: RawProvider, path: &str) -> Result<Provider, ConfigError> {
    if name.is_empty() {
        return Err(error("providers", "a provider name cannot be empty"));
    }
    let sources = [
        raw.local_jwks.is_some(),
        raw.pem_certificate.is_some(),
        raw.remote_jwks.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    let introspection = match raw.introspection {
        Some(raw_introspection) => Some(Box::new(compile_introspection(
            raw_introspection,
            raw.issuer.as_deref(),
            &std::format!("{path}.introspection"),
        )?)),
        None => None,
    };
    if raw.introspect_jwt && introspection.is_none() {
        return Err(error(
            &std::format!("{path}.introspect_jwt"),
            "needs an \"introspection\" block saying where to introspect",
        ));
    }
    if introspection.is_some() && sources > 0 && !raw.introspect_jwt {
        return Err(error(
            &std::format!("{path}.introspection"),
            "a provider with keys introspects its JWTs only with \"introspect_jwt\": true",
        ));
    }
    if introspection.is_some() && sources == 0 && raw.introspect_jwt {
        return Err(error(
            &std::format!("{path}.introspect_jwt"),
            "needs a key source to verify the JWTs with (an introspection-only provider introspects every token)",
        ));
    }
    if introspection.is_some() && sources == 0 {
        // Opaque tokens: the JWT settings have nothing to apply to.
        for (set, field) in [
            (raw.algorithms.is_some(), "algorithms"),
            (raw.typ.is_some(), "typ"),
            (raw.max_lifetime_seconds.is_some(), "max_lifetime_seconds"),
            (raw.jwt_cache_config.is_some(), "jwt_cache_config"),
            (
                raw.forward_payload_header.is_some(),
                "forward_payload_header",
            ),
        ] {
            if set {
                return Err(error(
                    &std::format!("{path}.{field}"),
                    "does not apply to an introspection provider (its tokens are opaque)",
                ));
            }
        }
    } else if sources != 1 {
        return Err(error(
            path,
            "a provider needs exactly one key source: local_jwks, pem_certificate or remote_jwks (or an introspection block)",
        ));
    }
    let keys = if sources == 0 {
        KeySource::Introspection
    } else if let Some(local) = raw.local_jwks {
        let set = JwkSet::from_json(&local.inline_string)
            .map_err(|e| error(&std::format!("{path}.local_jwks.inline_string"), e))?;
        if set.keys.is_empty() {
            return Err(error(
                &std::format!("{path}.local_jwks.inline_string"),
                "the JWKS holds no usable key",
            ));
        }
        KeySource::Set(set)
    } else if let Some(pem) = raw.pem_certificate {
        let jwk = Jwk::from_pem(&pem, None)
            .map_err(|e| error(&std::format!("{path}.pem_certificate"), e))?;
        if jwk.key().can_sign() {
            return Err(error(
                &std::format!("{path}.pem_certificate"),
                "holds a private key or secret: give the certificate or public key",
            ));
        }
        KeySource::Single(Box::new(jwk))
    } else if let Some(remote) = raw.remote_jwks {
        KeySource::Remote(compile_remote(remote, &std::format!("{path}.remote_jwks"))?)
    } else {
        return Err(error(path, "a provider needs a key source"));
    };
    let algorithms = match raw.algorithms {
        Some(names) => {
            if names.is_empty() {
                return Err(error(&std::format!("{path}.algorithms"), "is empty"));
            }
            let mut algorithms = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let alg = Algorithm::from_name(name)
                    .map_err(|e| error(&std::format!("{path}.algorithms[{i}]"), e))?;
                algorithms.push(alg);
            }
            algorithms
        }
        None => match &keys {
            KeySource::Set(set) => VerifyPolicy::algorithms_for(set),
            KeySource::Single(jwk) => jwk.key().family().algorithms().collect(),
            KeySource::Remote(_) | KeySource::Introspection => Algorithm::ASYMMETRIC.to_vec(),
        },
    };
    if matches!(keys, KeySource::Remote(_)) && algorithms.iter().any(|alg| alg.is_symmetric()) {
        return Err(error(
            &std::format!("{path}.algorithms"),
            "HMAC algorithms cannot be used with a remote (public) JWKS",
        ));
    }
    let mut policy =
        VerifyPolicy::new(&algorithms).map_err(|e| error(&std::format!("{path}.algorithms"), e))?;
    if let Some(issuer) = raw.issuer {
        if issuer.is_empty() {
            return Err(error(&std::format!("{path}.issuer"), "is empty"));
        }
        policy.issuer = std::vec![issuer];
    }
    policy.audience = raw.audiences;
    policy.typ = raw.typ;
    policy.max_token_age = raw.max_lifetime_seconds;
    policy.clock_tolerance = raw.clock_skew_seconds.unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS);
    let mut locations = Vec::new();
    for (i, header) in raw.from_headers.unwrap_or_default().into_iter().enumerate() {
        let name = header_name(&header.name, &std::format!("{path}.from_headers[{i}].name"))?;
        locations.push(Location::Header {
            name,
            prefix: header.value_prefix,
        });
    }
    for (i, param) in raw.from_params.unwrap_or_default().into_iter().enumerate() {
        if param.is_empty() {
            return Err(error(&std::format!("{path}.from_params[{i}]"), "is empty"));
        }
        locations.push(Location::Param(param));
    }
    for (i, cookie) in raw.from_cookies.unwrap_or_default().into_iter().enumerate() {
        if cookie.is_empty() || !cookie.bytes().all(is_token_char) {
            return Err(error(
                &std::format!("{path}.from_cookies[{i}]"),
                "is not a cookie name",
            ));
        }
        locations.push(Location::Cookie(cookie));
    }
    if locations.is_empty() {
        // jwt_authn's defaults.
        locations.push(Location::Header {
            name: "authorization".into(),
            prefix: "Bearer ".into(),
        });
        locations.push(Location::Param("access_token".into()));
    }
    let dpop = match raw.dpop {
        Some(raw_dpop) => compile_dpop(
            raw_dpop,
            policy.clock_tolerance,
            &std::format!("{path}.dpop"),
        )?,
        None => None,
    };
    if dpop.is_some() {
        // A DPoP-bound token comes as `Authorization: DPoP <token>` wherever
        // the provider reads `Authorization: Bearer <token>`.
        let reads_bearer = locations.iter().any(|location| {
            matches!(location, Location::Header { name, prefix }
                if name == "authorization" && prefix.trim().eq_ignore_ascii_case("Bearer"))
        });
        if reads_bearer {
            locations.push(Location::Header {
                name: "authorization".into(),
                prefix: "DPoP ".into(),
            });
        }
    }
    let forward_payload_header = match raw.forward_payload_header {
        Some(name) => Some(output_header(
            &name,
            &std::format!("{path}.forward_payload_header"),
        )?),
        None => None,
    };
    let mut claim_to_headers = Vec::new();
    for (i, entry) in raw.claim_to_headers.into_iter().enumerate() {
        let header = output_header(
            &entry.header_name,
            &std::format!("{path}.claim_to_headers[{i}].header_name"),
        )?;
        if entry.claim_name.is_empty() {
            return Err(error(
                &std::format!("{path}.claim_to_headers[{i}].claim_name"),
                "is empty",
            ));
        }
        claim_to_headers.push((header, entry.claim_name));
    }
    let cache_size = match raw.jwt_cache_config {
        None => 0,
        Some(cache) => {
            let size = cache.jwt_cache_size.unwrap_or(DEFAULT_JWT_CACHE_SIZE);
            if size > MAX_JWT_CACHE_SIZE {
                return Err(error(
                    &std::format!("{path}.jwt_cache_config.jwt_cache_size"),
                    std::format!("at most {MAX_JWT_CACHE_SIZE}"),
                ));
            }
            size
        }
    };
    Ok(Provider {
        name,
        policy,
        keys,
        locations,
        forward: raw.forward,
        forward_payload_header,
        dpop,
        claim_to_headers,
        cache_size,
        introspection,
    })
}

fn compile_introspection(
    raw: RawIntrospection,
    issuer: Option<&str>,
    path: &str,
) -> Result<IntrospectionConfig, ConfigError> {
    let at = |field: &str| std::format!("{path}.{field}");
    if raw.cluster.is_empty() {
        return Err(error(&at("cluster"), "is empty"));
    }
    let (authority, request_path) =
        split_uri(&raw.uri).ok_or_else(|| error(&at("uri"), "must be an absolute http(s) URI"))?;
    let timeout_ms = raw.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 || timeout_ms > 60_000 {
        return Err(error(&at("timeout_ms"), "must be between 1 and 60000"));
    }
    if raw.client_id.is_empty() {
        return Err(error(&at("client_id"), "is empty"));
    }
    let auth = compile_client_auth(raw.client_auth, &raw.uri, &at("client_auth"))?;
    let (format, jwt_keys) = match raw.accept.as_deref().unwrap_or("json") {
        "json" => {
            if raw.jwks.is_some() {
                return Err(error(&at("jwks"), "is only used with \"accept\": \"jwt\""));
            }
            (ResponseFormat::Json, None)
        }
        "jwt" => {
            let text = match raw.jwks {
                Some(Value::String(text)) => text,
                Some(object @ Value::Object(_)) => object.to_string(),
                Some(_) => return Err(error(&at("jwks"), "must be a JWKS (object or string)")),
                None => return Err(error(
                    &at("jwks"),
                    "\"accept\": \"jwt\" needs the authorization server's JWKS to verify answers",
                )),
            };
            let set = JwkSet::from_json(&text).map_err(|e| error(&at("jwks"), e))?;
            if set.keys.is_empty() || set.keys.iter().any(|jwk| jwk.key().can_sign()) {
                return Err(error(
                    &at("jwks"),
                    "must hold the server's public keys (and nothing private)",
                ));
            }
            if issuer.is_none() {
                return Err(error(
                    &at("accept"),
                    "\"jwt\" answers are checked against the provider's \"issuer\": set it",
                ));
            }
            (ResponseFormat::Jwt, Some(set))
        }
        _ => return Err(error(&at("accept"), "must be \"json\" or \"jwt\"")),
    };
    let (max_seconds, cache_without_exp, negative_seconds, max_entries) = match raw.cache {
        Some(cache) => (
            cache.max_seconds,
            cache.max_seconds.is_some(),
            cache.negative_seconds,
            cache.max_entries,
        ),
        None => (None, false, None, None),
    };
    let max_seconds = max_seconds.unwrap_or(DEFAULT_INTROSPECTION_CACHE_SECONDS);
    let negative_seconds = negative_seconds.unwrap_or(0);
    for (value, field) in [
        (max_seconds, "cache.max_seconds"),
        (negative_seconds, "cache.negative_seconds"),
        (
            raw.stale_if_error_seconds.unwrap_or(0),
            "stale_if_error_seconds",
        ),
    ] {
        if value > MAX_INTROSPECTION_SECONDS {
            return Err(error(
                &at(field),
                std::format!("must be at most {MAX_INTROSPECTION_SECONDS}"),
            ));
        }
    }
    let max_entries = max_entries.unwrap_or(DEFAULT_INTROSPECTION_MAX_ENTRIES);
    if max_entries == 0 || max_entries > MAX_INTROSPECTION_ENTRIES {
        return Err(error(
            &at("cache.max_entries"),
            std::format!("must be between 1 and {MAX_INTROSPECTION_ENTRIES}"),
        ));
    }
    let on_unavailable_status = raw.on_unavailable_status.unwrap_or(503);
    if !(on_unavailable_status == 429 || (500..=599).contains(&on_unavailable_status)) {
        return Err(error(
            &at("on_unavailable_status"),
            "must be 429 or a 5xx status: the token is not at fault",
        ));
    }
    Ok(IntrospectionConfig {
        cluster: raw.cluster,
        uri: raw.uri,
        authority,
        path: request_path,
        timeout_ms,
        client: IntrospectionClient {
            client_id: raw.client_id,
            auth,
            format,
        },
        jwt_keys,
        cache: CachePolicy {
            max_seconds,
            cache_without_exp,
            negative_seconds,
        },
        max_entries,
        stale_if_error_seconds: raw.stale_if_error_seconds.unwrap_or(0),
        on_unavailable_status,
    })
}

/// `client_auth`: one method and exactly the fields it uses. Messages
/// never repeat a secret or key.
fn compile_client_auth(
    raw: RawClientAuth,
    uri: &str,
    path: &str,
) -> Result<ClientAuth, ConfigError> {
    let at = |field: &str| std::format!("{path}.{field}");
    let secret = |raw: Option<Value>| match raw {
        Some(Value::String(secret)) if !secret.is_empty() => Ok(secret),
        Some(_) => Err(error(&at("client_secret"), "must be a non-empty string")),
        None => Err(error(&at("client_secret"), "is required by this method")),
    };
    let only = |present: bool, field: &str| {
        if present {
            Err(error(
                &at(field),
                std::format!("is not used by client_auth.method {:?}", raw.method),
            ))
        } else {
            Ok(())
        }
    };
    match raw.method.as_str() {
        "client_secret_basic" | "client_secret_post" => {
            only(raw.private_key.is_some(), "private_key")?;
            only(raw.audience.is_some(), "audience")?;
            let secret = secret(raw.client_secret)?;
            Ok(if raw.method == "client_secret_basic" {
                ClientAuth::SecretBasic { secret }
            } else {
                ClientAuth::SecretPost { secret }
            })
        }
        "private_key_jwt" => {
            only(raw.client_secret.is_some(), "client_secret")?;
            let key_path = at("private_key");
            let jwk = match raw.private_key {
                Some(Value::String(pem)) => Jwk::from_pem(&pem, None),
                Some(object @ Value::Object(_)) => Jwk::from_value(&object),
                Some(_) => return Err(error(&key_path, "must be a JWK object or a PEM string")),
                None => return Err(error(&key_path, "is required by private_key_jwt")),
            }
            .map_err(|e| error(&key_path, std::format!("{}: unusable key", e.code())))?;
            if !jwk.key().can_sign() || jwk.key().family() == crate::alg::KeyFamily::Secret {
                return Err(error(&key_path, "must be an asymmetric private key"));
            }
            let alg = match jwk.alg.as_deref() {
                Some(name) => Algorithm::from_name(name).map_err(|e| error(&key_path, e))?,
                None => jwk.key().family().default_algorithm(),
            };
            jwk.key()
                .check_usable_with(alg)
                .map_err(|e| error(&key_path, e))?;
            let audience = match raw.audience {
                Some(audience) if audience.is_empty() => {
                    return Err(error(&at("audience"), "is empty"))
                }
                Some(audience) => audience,
                None => uri.to_string(),
            };
            Ok(ClientAuth::PrivateKeyJwt {
                kid: jwk.kid.clone(),
                key: Box::new(jwk.into_key()),
                alg,
                audience,
            })
        }
        _ => Err(error(
            &at("method"),
            "must be \"client_secret_basic\", \"client_secret_post\" or \"private_key_jwt\"",
        )),
    }
}

fn compile_remote(raw: RawRemoteJwks, path: &str) -> Result<RemoteJwks, ConfigError> {
    if raw.cluster.is_empty() {
        return Err(error(&std::format!("{path}.cluster"), "is empty"));
    }
    let (authority, request_path) = split_uri(&raw.uri).ok_or_else(|| {
        error(
            &std::format!("{path}.uri"),
            "must be an absolute http(s) URI",
        )
    })?;
    let cache_duration_seconds = raw
        .cache_duration_seconds
        .unwrap_or(DEFAULT_CACHE_DURATION_SECONDS);
    if cache_duration_seconds == 0 || cache_duration_seconds > 7 * 24 * 3600 {
        return Err(error(
            &std::format!("{path}.cache_duration_seconds"),
            "must be between 1 and 604800",
        ));
    }
    let timeout_ms = raw.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 || timeout_ms > 60_000 {
        return Err(error(
            &std::format!("{path}.timeout_ms"),
            "must be between 1 and 60000",
        ));
    }
    Ok(RemoteJwks {
        cluster: raw.cluster,
        uri: raw.uri,
        authority,
        path: request_path,
        cache_duration_seconds,
        timeout_ms,
    })
}

/// `https://host:port/path?q` → (`host:port`, `/path?q`).
fn split_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    if authority.is_empty() || !authority.bytes().all(|b| b.is_ascii_graphic() && b != b'@') {
        return None;
    }
    let path = if path.starts_with('?') {
        std::format!("/{path}")
    } else {
        path.to_string()
    };
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some((authority.to_string(), path))
}

/// `dpop`: `None` for `mode: disabled`.
fn compile_dpop(
    raw: RawDpop,
    clock_tolerance: u64,
    path: &str,
) -> Result<Option<DpopConfig>, ConfigError> {
    let required = match raw.mode.as_deref().unwrap_or("optional") {
        "disabled" => return Ok(None),
        "optional" => false,
        "required" => true,
        _ => {
            return Err(error(
                &std::format!("{path}.mode"),
                "must be \"disabled\", \"optional\" or \"required\"",
            ))
        }
    };
    let mut policy = match raw.algorithms {
        Some(names) => {
            let mut algorithms = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let alg = Algorithm::from_name(name)
                    .map_err(|e| error(&std::format!("{path}.algorithms[{i}]"), e))?;
                algorithms.push(alg);
            }
            DpopPolicy::new(&algorithms)
                .map_err(|e| error(&std::format!("{path}.algorithms"), e))?
        }
        None => DpopPolicy::default(),
    };
    policy.required = required;
    policy.clock_tolerance = clock_tolerance;
    if let Some(max_age) = raw.max_age_seconds {
        if max_age == 0 || max_age > MAX_DPOP_AGE_SECONDS {
            return Err(error(
                &std::format!("{path}.max_age_seconds"),
                std::format!("must be 1 to {MAX_DPOP_AGE_SECONDS}"),
            ));
        }
        policy.max_age = max_age;
    }
    if let Some(base) = &raw.public_base_url {
        crate::dpop::htu::from_base(base, "/")
            .map_err(|e| error(&std::format!("{path}.public_base_url"), e))?;
    }
    Ok(Some(DpopConfig {
        policy,
        nonce: raw.nonce,
        public_base_url: raw.public_base_url,
        forward_proof: raw.forward_proof,
    }))
}

fn compile_rule(raw: RawRule, providers: &[Provider], path: &str) -> Result<Rule, ConfigError> {
    let path_match = match (raw.matcher.prefix, raw.matcher.path) {
        (Some(prefix), None) if prefix.starts_with('/') => PathMatch::Prefix(prefix),
        (None, Some(exact)) if exact.starts_with('/') => PathMatch::Exact(exact),
        (Some(_), None) => {
            return Err(error(
                &std::format!("{path}.match.prefix"),
                "must start with '/'",
            ))
        }
        (None, Some(_)) => {
            return Err(error(
                &std::format!("{path}.match.path"),
                "must start with '/'",
            ))
        }
        _ => {
            return Err(error(
                &std::format!("{path}.match"),
                "needs exactly one of prefix or path",
            ))
        }
    };
    let mut methods = Vec::with_capacity(raw.matcher.methods.len());
    for (i, method) in raw.matcher.methods.iter().enumerate() {
        if method.is_empty() || !method.bytes().all(is_token_char) {
            return Err(error(
                &std::format!("{path}.match.methods[{i}]"),
                "is not an HTTP method",
            ));
        }
        methods.push(method.to_ascii_uppercase());
    }
    let requires = match raw.requires {
        None => None,
        Some(value) => Some(compile_requirement(
            &value,
            providers,
            &std::format!("{path}.requires"),
            0,
        )?),
    };
    let mut claims = Vec::with_capacity(raw.claims.len());
    for (name, accepted) in raw.claims {
        let claim_path = std::format!("{path}.claims.{name}");
        let values = match accepted {
            Value::Array(values) if !values.is_empty() => values,
            _ => {
                return Err(error(
                    &claim_path,
                    "must be a non-empty array of accepted values",
                ))
            }
        };
        if values
            .iter()
            .any(|v| v.is_array() || v.is_object() || v.is_null())
        {
            return Err(error(
                &claim_path,
                "accepted values are strings, numbers or booleans",
            ));
        }
        if name.is_empty() {
            return Err(error(&claim_path, "a claim name cannot be empty"));
        }
        claims.push((name, values));
    }
    if raw
        .scopes
        .iter()
        .any(|scope| scope.is_empty() || scope.contains(' '))
    {
        return Err(error(
            &std::format!("{path}.scopes"),
            "scopes are non-empty and contain no spaces",
        ));
    }
    if (!raw.scopes.is_empty() || !claims.is_empty()) && requires.is_none() {
        return Err(error(
            path,
            "scopes and claims need a \"requires\" naming the token",
        ));
    }
    Ok(Rule {
        matcher: Matcher {
            path: path_match,
            methods,
        },
        providers: requires
            .as_ref()
            .map_or_else(Vec::new, |r| r.providers(providers.len())),
        requires,
        scopes: raw.scopes,
        claims,
    })
}

const MAX_REQUIREMENT_DEPTH: usize = 8;

fn compile_requirement(
    value: &Value,
    providers: &[Provider],
    path: &str,
    depth: usize,
) -> Result<Requirement, ConfigError> {
    if depth > MAX_REQUIREMENT_DEPTH {
        return Err(error(path, "requirements nest too deeply"));
    }
    let Some(object) = value.as_object() else {
        return Err(error(
            path,
            "must be an object such as {\"provider_name\": \"...\"}",
        ));
    };
    let mut entries = object.iter();
    let (Some((kind, inner)), None) = (entries.next(), entries.next()) else {
        return Err(error(
            path,
            "needs exactly one of provider_name, requires_any, requires_all, allow_missing, allow_missing_or_failed",
        ));
    };
    let inner_path = std::format!("{path}.{kind}");
    match kind.as_str() {
        "provider_name" => {
            let name = inner
                .as_str()
                .ok_or_else(|| error(&inner_path, "must be a provider name (string)"))?;
            let index = providers
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| {
                    error(&inner_path, std::format!("names unknown provider {name:?}"))
                })?;
            Ok(Requirement::Provider(index))
        }
        "requires_any" | "requires_all" => {
            // Both our list form and jwt_authn's {"requirements": [...]}.
            let list = match inner {
                Value::Array(list) => list,
                Value::Object(map) if map.len() == 1 => match map.get("requirements") {
                    Some(Value::Array(list)) => list,
                    _ => return Err(error(&inner_path, "must be a list of requirements")),
                },
                _ => return Err(error(&inner_path, "must be a list of requirements")),
            };
            if list.is_empty() {
                return Err(error(&inner_path, "is empty"));
            }
            let mut compiled = Vec::with_capacity(list.len());
            for (i, item) in list.iter().enumerate() {
                compiled.push(compile_requirement(
                    item,
                    providers,
                    &std::format!("{inner_path}[{i}]"),
                    depth + 1,
                )?);
            }
            Ok(if kind == "requires_any" {
                Requirement::Any(compiled)
            } else {
                Requirement::All(compiled)
            })
        }
        "allow_missing" | "allow_missing_or_failed" => {
            let enabled = match inner {
                Value::Bool(enabled) => *enabled,
                Value::Object(map) if map.is_empty() => true,
                _ => return Err(error(&inner_path, "must be {} or true")),
            };
            if !enabled {
                return Err(error(&inner_path, "false is not meaningful: remove it"));
            }
            if providers.is_empty() {
                return Err(error(&inner_path, "needs at least one provider"));
            }
            Ok(if kind == "allow_missing" {
                Requirement::AllowMissing
            } else {
                Requirement::AllowMissingOrFailed
            })
        }
        other => Err(error(
            &inner_path,
            std::format!("unknown requirement {other:?}"),
        )),
    }
}

/// RFC 9110 token characters (header names, methods, cookie names).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn header_name(name: &str, path: &str) -> Result<String, ConfigError> {
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(error(path, std::format!("{name:?} is not a header name")));
    }
    Ok(name.to_ascii_lowercase())
}

fn output_header(name: &str, path: &str) -> Result<String, ConfigError> {
    let name = header_name(name, path)?;
    const RESERVED: &[&str] = &[
        "authorization",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "cookie",
        "te",
        "upgrade",
    ];
    if RESERVED.contains(&name.as_str()) {
        return Err(error(path, std::format!("{name:?} cannot carry claims")));
    }
    Ok(name)
}
