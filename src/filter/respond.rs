//! What the filter sends back: RFC 6750 `WWW-Authenticate` challenges and
//! JSON bodies for denials, and the headers it hands the upstream.

use core::fmt;
use std::boxed::Box;
use std::string::{String, ToString};
use std::vec::Vec;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};

/// Why a request was denied: one metric each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// No token where one is required.
    Missing,
    /// The token is not valid (signature, structure, issuer, keys...).
    Invalid,
    /// The token is expired (or older than the maximum lifetime).
    Expired,
    /// The token is for another audience.
    Audience,
    /// A required scope is missing.
    Scope,
    /// A required claim value is missing.
    Claim,
    /// No rule matches the request.
    NoRule,
    /// A DPoP proof is missing, invalid, replayed, lacks the server nonce,
    /// or does not bind the token.
    Dpop,
    /// The authorization server says the token is not active.
    Inactive,
    /// The token could not be checked: the authorization server cannot be
    /// used now.
    Unavailable,
}

impl DenyReason {
    /// Every reason, for metric definitions.
    pub const ALL: [DenyReason; 10] = [
        Self::Missing,
        Self::Invalid,
        Self::Expired,
        Self::Audience,
        Self::Scope,
        Self::Claim,
        Self::NoRule,
        Self::Dpop,
        Self::Inactive,
        Self::Unavailable,
    ];

    /// The metric suffix.
    pub fn name(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Invalid => "invalid",
            Self::Expired => "expired",
            Self::Audience => "audience",
            Self::Scope => "scope",
            Self::Claim => "claim",
            Self::NoRule => "no_rule",
            Self::Dpop => "dpop",
            Self::Inactive => "inactive",
            Self::Unavailable => "unavailable",
        }
    }

    /// The reason for a token the core refused.
    pub fn of_token_error(error: &Error) -> Self {
        match (error.code(), error.claim_name()) {
            (ErrorCode::JwtExpired, _) => Self::Expired,
            (ErrorCode::ClaimValidationFailed, Some("aud")) => Self::Audience,
            _ => Self::Invalid,
        }
    }
}

/// Stable codes for denials the core has no code for.
pub mod codes {
    /// No token in any of the provider's locations.
    pub const TOKEN_MISSING: &str = "ERR_EDGE_TOKEN_MISSING";
    /// No rule matches the request.
    pub const NO_MATCHING_RULE: &str = "ERR_EDGE_NO_MATCHING_RULE";
    /// The provider's remote JWKS has never been fetched, or is too old.
    pub const JWKS_UNAVAILABLE: &str = "ERR_EDGE_JWKS_UNAVAILABLE";
    /// The filter has no configuration (never expected: Envoy refuses it).
    pub const NOT_CONFIGURED: &str = "ERR_EDGE_NOT_CONFIGURED";
}

/// A denial, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// 401 or 403.
    pub status: u32,
    /// For the metrics.
    pub reason: DenyReason,
    /// Human explanation.
    pub description: String,
    /// Stable error code (the core's, or one of [`codes`]).
    pub code: String,
    /// Scopes the rule requires (403 challenges name them).
    pub scopes: Vec<String>,
    /// Where the refused token was found, for the log line only: the
    /// response never says which of several tokens failed.
    pub place: Option<String>,
    /// A DPoP denial's challenge, instead of `Bearer`.
    pub dpop: Option<Box<DpopChallenge>>,
}

/// `WWW-Authenticate: DPoP algs="..."` (RFC 9449 section 7.1), and the
/// nonce to retry with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopChallenge {
    /// The accepted proof algorithms, space-separated.
    pub algs: String,
    /// A current server nonce for the `DPoP-Nonce` header.
    pub nonce: Option<String>,
}

impl Denial {
    /// 401 without a token.
    pub fn missing(description: impl Into<String>) -> Self {
        Self {
            status: 401,
            reason: DenyReason::Missing,
            description: description.into(),
            code: codes::TOKEN_MISSING.into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// 401 for a token the core refused.
    pub fn invalid(error: &Error) -> Self {
        Self {
            status: 401,
            reason: DenyReason::of_token_error(error),
            description: error.message().to_string(),
            code: error.code().as_str().into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// 401 for a token that could not be checked: the keys are unavailable.
    pub fn keys_unavailable(provider: &str) -> Self {
        Self {
            status: 401,
            reason: DenyReason::Invalid,
            description: std::format!("the keys of provider {provider:?} are not available"),
            code: codes::JWKS_UNAVAILABLE.into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// 401 for a token its authorization server calls inactive.
    pub fn inactive() -> Self {
        Self {
            status: 401,
            reason: DenyReason::Inactive,
            description: "the token is not active".into(),
            code: crate::error::ErrorCode::TokenInactive.as_str().into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// The configured status (503 by default) with `Retry-After`: the
    /// token could not be checked, through no fault of the client. Never
    /// a 401 (the token is not known to be bad) and never a pass.
    pub fn unavailable(status: u32) -> Self {
        Self {
            status,
            reason: DenyReason::Unavailable,
            description: "the token cannot be checked now: the authorization server is unavailable"
                .into(),
            code: crate::error::ErrorCode::IntrospectionUnavailable
                .as_str()
                .into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// 403 for a valid token lacking a scope or claim the rule requires.
    pub fn insufficient(error: &Error, scopes: &[String]) -> Self {
        let reason = if error.claim_name() == Some("scope") {
            DenyReason::Scope
        } else {
            DenyReason::Claim
        };
        Self {
            status: 403,
            reason,
            description: error.message().to_string(),
            code: error.code().as_str().into(),
            scopes: scopes.to_vec(),
            place: None,
            dpop: None,
        }
    }

    /// 403 when no rule matches.
    pub fn no_rule() -> Self {
        Self {
            status: 403,
            reason: DenyReason::NoRule,
            description: "no rule matches this request".into(),
            code: codes::NO_MATCHING_RULE.into(),
            scopes: Vec::new(),
            place: None,
            dpop: None,
        }
    }

    /// 401 for a DPoP failure (`ERR_DPOP_*`), challenging with the
    /// accepted proof algorithms and, when the proof lacked the server's
    /// nonce, handing out the current one.
    pub fn dpop(error: &Error, algs: String, nonce: Option<String>) -> Self {
        Self {
            status: 401,
            reason: DenyReason::Dpop,
            description: error.message().to_string(),
            code: error.code().as_str().into(),
            scopes: Vec::new(),
            place: None,
            dpop: Some(Box::new(DpopChallenge { algs, nonce })),
        }
    }

    /// The same denial, its log line naming where the token was found.
    pub fn at(mut self, place: impl fmt::Display) -> Self {
        self.place = Some(place.to_string());
        self
    }

    /// The OAuth error name of the body and challenge.
    pub fn error_name(&self) -> &'static str {
        if self.reason == DenyReason::Dpop {
            return match self.code.as_str() {
                "ERR_DPOP_NONCE_REQUIRED" => "use_dpop_nonce",
                "ERR_DPOP_INVALID_PROOF" | "ERR_DPOP_REPLAY" => "invalid_dpop_proof",
                _ => "invalid_token",
            };
        }
        match (self.status, self.reason) {
            (_, DenyReason::NoRule) => "access_denied",
            (_, DenyReason::Unavailable) => "temporarily_unavailable",
            (401, DenyReason::Missing) => "unauthorized",
            (401, _) => "invalid_token",
            _ => "insufficient_scope",
        }
    }

    /// The response headers: a `WWW-Authenticate` challenge (RFC 6750
    /// section 3) for token problems, and the JSON content type.
    pub fn headers(&self, authority: Option<&str>) -> Vec<(String, String)> {
        let mut headers = std::vec![("content-type".to_string(), "application/json".to_string())];
        if self.reason == DenyReason::NoRule {
            return headers;
        }
        if self.reason == DenyReason::Unavailable {
            headers.push(("retry-after".to_string(), RETRY_AFTER_SECONDS.to_string()));
            return headers;
        }
        let realm = quoted(&sanitize_realm(authority.unwrap_or("")));
        let mut challenge = match &self.dpop {
            Some(dpop) => std::format!("DPoP realm=\"{realm}\", algs=\"{}\"", quoted(&dpop.algs)),
            None => std::format!("Bearer realm=\"{realm}\""),
        };
        if self.reason != DenyReason::Missing {
            challenge.push_str(&std::format!(
                ", error=\"{}\", error_description=\"{}\"",
                self.error_name(),
                quoted(&self.description)
            ));
            if self.status == 403 && !self.scopes.is_empty() {
                challenge.push_str(&std::format!(
                    ", scope=\"{}\"",
                    quoted(&self.scopes.join(" "))
                ));
            }
        }
        headers.push(("www-authenticate".to_string(), challenge));
        if let Some(nonce) = self.dpop.as_ref().and_then(|dpop| dpop.nonce.as_ref()) {
            headers.push(("dpop-nonce".to_string(), nonce.clone()));
        }
        headers
    }

    /// The JSON body: `{"error", "error_description", "code"}`.
    pub fn body(&self) -> String {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.error_name().into()));
        body.insert(
            "error_description".into(),
            Value::String(self.description.clone()),
        );
        body.insert("code".into(), Value::String(self.code.clone()));
        Value::Object(body).to_string()
    }
}

/// `Retry-After` of an unavailable answer: long enough for a failed
/// authorization server not to be hammered, short for a blip.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// RFC 6750 attribute values allow %x20-21 / %x23-5B / %x5D-7E: no quote,
/// no backslash, no control or non-ASCII character. Those are replaced.
pub fn quoted(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

/// The realm is the request's authority, which the client controls: only
/// host-name characters survive.
fn sanitize_realm(authority: &str) -> String {
    authority
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
        .take(255)
        .collect()
}

/// A header value the filter may send upstream: printable ASCII and
/// non-ASCII text, no control characters (no header injection), bounded.
pub fn header_value_ok(value: &str) -> bool {
    value.len() <= 8192 && !value.chars().any(|c| c.is_control())
}

/// The header value for a claim (jwt_authn's `claim_to_headers`): strings
/// as they are, numbers and booleans as JSON, arrays as their scalar
/// elements joined with commas. Objects and null give no header; neither
/// does a value with control characters.
pub fn claim_header_value(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => parts.push(text.clone()),
                    Value::Number(_) | Value::Bool(_) => parts.push(item.to_string()),
                    _ => return None,
                }
            }
            parts.join(",")
        }
        Value::Object(_) | Value::Null => return None,
    };
    header_value_ok(&text).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn challenges() {
        let missing = Denial::missing("a bearer token is required");
        let headers = missing.headers(Some("api.example:8080"));
        assert_eq!(headers[1].1, "Bearer realm=\"api.example:8080\"");
        let expired = Denial::invalid(&Error::claim_with_code(
            ErrorCode::JwtExpired,
            "exp",
            crate::error::ClaimReason::CheckFailed,
            "\"exp\" claim timestamp check failed",
        ));
        assert_eq!(expired.reason, DenyReason::Expired);
        let headers = expired.headers(Some("evil\"\r\nx: y"));
        assert_eq!(
            headers[1].1,
            "Bearer realm=\"evilx:y\", error=\"invalid_token\", error_description=\"'exp' claim timestamp check failed\""
        );
        let body: Value = serde_json::from_str(&expired.body()).unwrap();
        assert_eq!(body["code"], "ERR_JWT_EXPIRED");
        assert_eq!(body["error"], "invalid_token");
        let scope = Denial::insufficient(
            &Error::claim(
                "scope",
                crate::error::ClaimReason::CheckFailed,
                "missing required scope(s): admin",
            ),
            &["admin".into(), "write".into()],
        );
        assert_eq!(scope.status, 403);
        assert!(scope.headers(None)[1]
            .1
            .ends_with("error=\"insufficient_scope\", error_description=\"missing required scope(s): admin\", scope=\"admin write\""));
        assert_eq!(Denial::no_rule().headers(None).len(), 1);
    }

    #[test]
    fn claim_values() {
        assert_eq!(claim_header_value(&json!("alice")), Some("alice".into()));
        assert_eq!(claim_header_value(&json!(42)), Some("42".into()));
        assert_eq!(claim_header_value(&json!(true)), Some("true".into()));
        assert_eq!(
            claim_header_value(&json!(["a", "b", 3])),
            Some("a,b,3".into())
        );
        assert_eq!(claim_header_value(&json!({"a": 1})), None);
        assert_eq!(claim_header_value(&json!(["a", {"b": 1}])), None);
        assert_eq!(claim_header_value(&json!("a\r\nx-admin: 1")), None);
        assert_eq!(claim_header_value(&json!("zoë")), Some("zoë".into()));
    }
}
