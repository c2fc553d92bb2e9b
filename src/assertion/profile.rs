//! The product presets: which claims each token endpoint requires.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use super::AssertionRequest;
use crate::error::{bail, err, Result};

/// The assertion flows and products jwt-edge knows.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// RFC 7523 section 2.1, generic: `iss`, `sub` and `aud` as given.
    JwtBearer,
    /// RFC 7523 section 2.2, generic: `iss` = `sub` = the client_id.
    ClientAssertion,
    /// MuleSoft Anypoint connected app acting on behalf of a user.
    MuleSoft,
    /// WSO2 Identity Server trusted token issuer.
    Wso2,
    /// Asgardeo trusted token issuer.
    Asgardeo,
    /// Okta `private_key_jwt` client authentication.
    Okta,
}

/// The two ways an assertion is presented to a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=...`
    JwtBearer,
    /// `client_assertion_type=...jwt-bearer&client_assertion=...`
    ClientAssertion,
}

/// The MuleSoft Anypoint token endpoint, also the `aud` it expects.
pub const MULESOFT_TOKEN_ENDPOINT: &str =
    "https://anypoint.mulesoft.com/accounts/api/v2/oauth2/token";

/// The claims a request resolves to under its profile.
pub(super) struct Resolved {
    pub issuer: String,
    pub subject: String,
    pub audience: Vec<String>,
    pub token_endpoint: String,
}

impl Profile {
    /// Every profile.
    pub const ALL: &'static [Profile] = &[
        Self::JwtBearer,
        Self::ClientAssertion,
        Self::MuleSoft,
        Self::Wso2,
        Self::Asgardeo,
        Self::Okta,
    ];

    /// Parses `jwt-bearer`, `client-assertion`, `mulesoft`, `wso2`,
    /// `asgardeo` or `okta`.
    pub fn from_name(name: &str) -> Result<Self> {
        match Self::ALL.iter().find(|profile| profile.name() == name) {
            Some(profile) => Ok(*profile),
            None => bail!(
                InvalidArgument,
                "unknown profile {name:?}: expected jwt-bearer, client-assertion, mulesoft, wso2, asgardeo or okta"
            ),
        }
    }

    /// The profile's name as accepted by [`Profile::from_name`].
    pub const fn name(self) -> &'static str {
        match self {
            Self::JwtBearer => "jwt-bearer",
            Self::ClientAssertion => "client-assertion",
            Self::MuleSoft => "mulesoft",
            Self::Wso2 => "wso2",
            Self::Asgardeo => "asgardeo",
            Self::Okta => "okta",
        }
    }

    /// A human title for messages.
    pub const fn title(self) -> &'static str {
        match self {
            Self::JwtBearer => "the JWT bearer grant",
            Self::ClientAssertion => "JWT client authentication",
            Self::MuleSoft => "MuleSoft Anypoint",
            Self::Wso2 => "WSO2 Identity Server",
            Self::Asgardeo => "Asgardeo",
            Self::Okta => "Okta private_key_jwt",
        }
    }

    /// How the assertion is presented.
    pub const fn grant(self) -> Grant {
        match self {
            Self::ClientAssertion | Self::Okta => Grant::ClientAssertion,
            Self::JwtBearer | Self::MuleSoft | Self::Wso2 | Self::Asgardeo => Grant::JwtBearer,
        }
    }

    /// The longest lifetime the product accepts, where it documents one
    /// (Okta: one hour).
    pub const fn max_lifetime(self) -> Option<u64> {
        match self {
            Self::Okta => Some(3600),
            _ => None,
        }
    }

    /// The `iat` validity period the product applies, where it has one
    /// (WSO2 and Asgardeo: 30 minutes by default).
    pub const fn iat_validity(self) -> Option<u64> {
        match self {
            Self::Wso2 | Self::Asgardeo => Some(30 * 60),
            _ => None,
        }
    }

    /// True when the product requires a `jti`.
    pub const fn requires_jti(self) -> bool {
        matches!(
            self,
            Self::Okta | Self::Wso2 | Self::Asgardeo | Self::ClientAssertion
        )
    }

    /// True when the product expects a single `aud` string.
    pub const fn expects_single_audience(self) -> bool {
        !matches!(self, Self::JwtBearer)
    }

    /// True when the token request also carries client credentials
    /// (HTTP Basic), as WSO2 and Asgardeo require.
    pub const fn authenticates_client_with_secret(self) -> bool {
        matches!(self, Self::Wso2 | Self::Asgardeo)
    }

    /// Claims the profile turns into others rather than copying (MuleSoft's
    /// `idp_id` and `user_name` become `sub`).
    pub(super) fn consumes_claim(self, name: &str) -> bool {
        matches!(self, Self::MuleSoft) && matches!(name, "idp_id" | "user_name")
    }

    pub(super) fn resolve(self, request: &AssertionRequest) -> Result<Resolved> {
        let issuer = request.issuer.clone();
        let mut audience = request.audience.clone();
        let subject = match self {
            Self::JwtBearer | Self::Wso2 | Self::Asgardeo => request.subject.clone(),
            Self::ClientAssertion | Self::Okta => {
                if let (Some(iss), Some(sub)) = (&request.issuer, &request.subject) {
                    if iss != sub {
                        bail!(
                            InvalidArgument,
                            "{} requires sub to equal iss (both the client_id)",
                            self.title()
                        );
                    }
                }
                request.subject.clone().or_else(|| request.issuer.clone())
            }
            Self::MuleSoft => Some(mulesoft_subject(request)?),
        };
        if self == Self::MuleSoft && audience.is_empty() {
            audience.push(MULESOFT_TOKEN_ENDPOINT.into());
        }
        let Some(issuer) = issuer.filter(|iss| !iss.is_empty()) else {
            bail!(
                InvalidArgument,
                "{} requires an issuer ({})",
                self.title(),
                self.issuer_hint()
            );
        };
        let Some(subject) = subject.filter(|sub| !sub.is_empty()) else {
            bail!(InvalidArgument, "{} requires a subject", self.title());
        };
        if audience.is_empty() || audience.iter().any(String::is_empty) {
            bail!(
                InvalidArgument,
                "{} requires an audience ({})",
                self.title(),
                self.audience_hint()
            );
        }
        if self.expects_single_audience() && audience.len() > 1 {
            bail!(
                InvalidArgument,
                "{} expects exactly one audience",
                self.title()
            );
        }
        let token_endpoint = match (&request.token_endpoint, self) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Self::MuleSoft) => MULESOFT_TOKEN_ENDPOINT.into(),
            // A local test server (Keycloak, WSO2 on localhost) is plain
            // http; the linter warns about http for production endpoints.
            (None, _) => match audience
                .iter()
                .find(|aud| aud.starts_with("https://") || aud.starts_with("http://"))
            {
                Some(aud) => aud.clone(),
                None => bail!(
                    InvalidArgument,
                    "the audience is not a URL (an alias?): give the token endpoint"
                ),
            },
        };
        Ok(Resolved {
            issuer,
            subject,
            audience,
            token_endpoint,
        })
    }

    fn issuer_hint(self) -> &'static str {
        match self {
            Self::MuleSoft => "the connected app's client_id",
            Self::Okta | Self::ClientAssertion => "the client_id",
            Self::Wso2 | Self::Asgardeo => "the issuer registered for the trusted token issuer",
            Self::JwtBearer => "who signs the assertion",
        }
    }

    fn audience_hint(self) -> &'static str {
        match self {
            Self::Okta => "the org token URL, https://{yourOrg}.okta.com/oauth2/v1/token",
            Self::Asgardeo => {
                "the organization's token endpoint, https://api.asgardeo.io/t/{org}/oauth2/token, or the configured alias"
            }
            Self::Wso2 => "the token endpoint, {base_url}/oauth2/token, or the configured alias",
            _ => "the token endpoint",
        }
    }
}

/// MuleSoft identifies the user by the pair (identity provider ID, username),
/// written into `sub` as `{version}|{idp_id}|{user_name}`; the remaining
/// documented fields (names, email, groups) are optional and left out.
///
/// The claims are consumed (they do not appear in the assertion), so they
/// must never be dropped unseen: with an explicit subject they must agree
/// with it, and one without the other is refused.
fn mulesoft_subject(request: &AssertionRequest) -> Result<String> {
    let field = |name: &str| match request.claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) if !value.is_empty() => Ok(Some(value.as_str())),
        Some(_) => Err(err!(
            InvalidArgument,
            "MuleSoft's {name} claim must be a non-empty string"
        )),
    };
    let from_claims = match (field("idp_id")?, field("user_name")?) {
        (Some(idp_id), Some(user_name)) => Some(alloc::format!("1|{idp_id}|{user_name}")),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => bail!(
            InvalidArgument,
            "MuleSoft identifies the user by both idp_id and user_name: give both claims, or neither and a subject"
        ),
    };
    match (&request.subject, from_claims) {
        (Some(subject), Some(built)) if *subject != built => bail!(
            InvalidArgument,
            "the subject {subject:?} contradicts the idp_id and user_name claims, which make sub {built:?}: give one or the other"
        ),
        (Some(subject), _) => Ok(subject.clone()),
        (None, Some(built)) => Ok(built),
        (None, None) => bail!(
            InvalidArgument,
            "MuleSoft needs the user: give a subject, or the idp_id and user_name claims"
        ),
    }
}
