//! A claim linter for assertions and tokens people build by hand.
//!
//! Verification answers yes or no; the linter explains what a token endpoint
//! will dislike before the request is sent: string or millisecond
//! timestamps, lifetimes a product refuses, a missing `jti`, an `aud` array
//! where one value is expected, weak keys.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::assertion::Profile;
use crate::key::{Key, MIN_RSA_BITS};

/// How serious a finding is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The token will be rejected.
    Error,
    /// The token may be rejected, or is risky.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// One finding: its severity, the claim it concerns (or `key`/`payload`),
/// and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// The claim concerned.
    pub claim: String,
    /// The explanation.
    pub message: String,
}

/// Timestamps above this are milliseconds (it is the year 5138 in seconds).
const MILLISECONDS_THRESHOLD: f64 = 100_000_000_000.0;
/// A lifetime beyond a day is far too long for an assertion or access token.
const LONG_LIFETIME: f64 = 24.0 * 3600.0;

/// Lints a claims set. `profile` adds the product's rules; `now` enables
/// the checks relative to the current time.
pub fn lint_claims(payload: &Value, profile: Option<Profile>, now: Option<i64>) -> Vec<Finding> {
    let mut findings = Findings::default();
    let Value::Object(claims) = payload else {
        findings.push(
            Severity::Error,
            "payload",
            "the payload must be a JSON object",
        );
        return findings.0;
    };
    let iat = time_claim(claims, "iat", &mut findings);
    let nbf = time_claim(claims, "nbf", &mut findings);
    let exp = time_claim(claims, "exp", &mut findings);
    let now = now.map(|now| now as f64);

    match exp {
        None if !claims.contains_key("exp") => {
            let severity = if profile.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            };
            findings.push(severity, "exp", "no \"exp\": the token never expires");
        }
        None => {}
        Some(exp) => {
            let start = iat.or(now);
            if let Some(start) = start {
                let lifetime = exp - start;
                if lifetime <= 0.0 {
                    findings.push(
                        Severity::Error,
                        "exp",
                        "\"exp\" is not after \"iat\": the token is born expired",
                    );
                } else if let Some(max) = profile.and_then(Profile::max_lifetime) {
                    if lifetime > max as f64 {
                        findings.push(
                            Severity::Error,
                            "exp",
                            alloc::format!(
                                "{} s lifetime: {} accepts at most {max} s",
                                crate::json::number_text(lifetime),
                                title(profile)
                            ),
                        );
                    }
                } else if lifetime > LONG_LIFETIME {
                    findings.push(
                        Severity::Warning,
                        "exp",
                        alloc::format!(
                            "\"exp\" is {} hours after issue: far in the future for a bearer token",
                            // Rounded to the nearest hour (the lifetime is positive here).
                            crate::json::number_text(((lifetime + 1800.0) / 3600.0) as i64 as f64)
                        ),
                    );
                }
            }
            if now.is_some_and(|now| exp <= now) {
                findings.push(Severity::Warning, "exp", "the token is already expired");
            }
        }
    }
    if let (Some(iat), Some(now)) = (iat, now) {
        if iat > now + 60.0 {
            findings.push(
                Severity::Warning,
                "iat",
                "\"iat\" is in the future: clocks out of sync?",
            );
        }
        if let Some(validity) = profile.and_then(Profile::iat_validity) {
            if now - iat > validity as f64 {
                findings.push(
                    Severity::Error,
                    "iat",
                    alloc::format!(
                        "\"iat\" is older than the {} min iat validity period of {}",
                        validity / 60,
                        title(profile)
                    ),
                );
            }
        }
    }
    if let (Some(nbf), Some(exp)) = (nbf, exp) {
        if nbf >= exp {
            findings.push(
                Severity::Error,
                "nbf",
                "\"nbf\" is not before \"exp\": the token is never valid",
            );
        }
    }
    if !claims.contains_key("jti") {
        let severity = if profile.is_some_and(Profile::requires_jti) {
            Severity::Error
        } else {
            Severity::Warning
        };
        findings.push(
            severity,
            "jti",
            "no \"jti\": the token endpoint cannot detect replays",
        );
    }
    lint_registered_strings(claims, profile, &mut findings);
    findings.0
}

/// Lints a key for use with `alg` (or the key's usual algorithm).
pub fn lint_key(key: &Key, alg: Option<Algorithm>) -> Vec<Finding> {
    let mut findings = Findings::default();
    let alg = alg.unwrap_or(key.family().default_algorithm());
    if let Err(error) = key.check_usable_with(alg) {
        findings.push(Severity::Error, "key", String::from(error.message()));
    } else if key.rsa_bits().is_some_and(|bits| bits < 3072) && key.rsa_bits() >= Some(MIN_RSA_BITS)
    {
        findings.push(
            Severity::Info,
            "key",
            "RSA-2048 is the minimum; ES256 or EdDSA give smaller, faster tokens",
        );
    }
    findings.0
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, severity: Severity, claim: &str, message: impl Into<String>) {
        self.0.push(Finding {
            severity,
            claim: claim.into(),
            message: message.into(),
        });
    }
}

fn title(profile: Option<Profile>) -> &'static str {
    profile.map_or("the token endpoint", Profile::title)
}

/// A NumericDate claim's value, with findings for the usual mistakes.
fn time_claim(claims: &Map<String, Value>, claim: &str, findings: &mut Findings) -> Option<f64> {
    match claims.get(claim)? {
        Value::Number(number) => {
            let value = number.as_f64()?;
            if value > MILLISECONDS_THRESHOLD {
                findings.push(
                    Severity::Error,
                    claim,
                    alloc::format!("\"{claim}\" looks like milliseconds; NumericDate is seconds since the epoch"),
                );
                return None;
            }
            if value < 0.0 {
                findings.push(
                    Severity::Error,
                    claim,
                    alloc::format!("\"{claim}\" is negative"),
                );
                return None;
            }
            Some(value)
        }
        Value::String(text) => {
            let hint = if crate::json::parse_f64(text).is_some() {
                " (drop the quotes)"
            } else {
                ""
            };
            findings.push(
                Severity::Error,
                claim,
                alloc::format!(
                    "\"{claim}\" is a string; it must be a number of seconds since the epoch{hint}"
                ),
            );
            None
        }
        _ => {
            findings.push(
                Severity::Error,
                claim,
                alloc::format!("\"{claim}\" must be a number"),
            );
            None
        }
    }
}

fn lint_registered_strings(
    claims: &Map<String, Value>,
    profile: Option<Profile>,
    findings: &mut Findings,
) {
    for claim in ["iss", "sub"] {
        match claims.get(claim) {
            None if profile.is_some() => {
                findings.push(
                    Severity::Error,
                    claim,
                    alloc::format!("\"{claim}\" is required by {}", title(profile)),
                );
            }
            Some(Value::String(_)) | None => {}
            Some(_) => findings.push(
                Severity::Error,
                claim,
                alloc::format!("\"{claim}\" must be a string"),
            ),
        }
    }
    match claims.get("aud") {
        None if profile.is_some() => {
            findings.push(
                Severity::Error,
                "aud",
                alloc::format!("\"aud\" is required by {}", title(profile)),
            );
        }
        Some(Value::Array(items)) if profile.is_some_and(Profile::expects_single_audience) => {
            findings.push(
                Severity::Warning,
                "aud",
                alloc::format!(
                    "\"aud\" is an array of {}; {} expects a single string",
                    items.len(),
                    title(profile)
                ),
            );
        }
        Some(Value::String(_)) | Some(Value::Array(_)) | None => {}
        Some(_) => findings.push(
            Severity::Error,
            "aud",
            "\"aud\" must be a string or an array of strings",
        ),
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => alloc::vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some(plain) = audiences.iter().find(|aud| aud.starts_with("http://")) {
        findings.push(
            Severity::Warning,
            "aud",
            alloc::format!(
                "\"aud\" {plain:?} is plain http: fine for a local test server, but production token endpoints are https"
            ),
        );
    }
    let iss = claims.get("iss").and_then(Value::as_str);
    let sub = claims.get("sub").and_then(Value::as_str);
    match profile {
        Some(Profile::Okta | Profile::ClientAssertion)
            if iss.is_some() && sub.is_some() && iss != sub =>
        {
            findings.push(
                Severity::Error,
                "sub",
                alloc::format!(
                    "{} requires \"sub\" to equal \"iss\" (the client_id)",
                    title(profile)
                ),
            );
        }
        Some(Profile::MuleSoft) => {
            if sub.is_some_and(|sub| sub.split('|').filter(|field| !field.is_empty()).count() < 3) {
                findings.push(
                    Severity::Warning,
                    "sub",
                    "MuleSoft expects \"sub\" as {version}|{idp_id}|{user_name}[|...]: the identity provider ID and username identify the user",
                );
            }
            let aud = claims.get("aud").and_then(Value::as_str);
            if aud.is_some_and(|aud| aud != crate::assertion::MULESOFT_TOKEN_ENDPOINT) {
                findings.push(
                    Severity::Warning,
                    "aud",
                    alloc::format!(
                        "MuleSoft expects \"aud\" to be {}",
                        crate::assertion::MULESOFT_TOKEN_ENDPOINT
                    ),
                );
            }
        }
        _ => {}
    }
}
