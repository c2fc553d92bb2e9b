//! The one error type of jwt-edge.
//!
//! Every failure carries a stable [`ErrorCode`] (named as panva/jose names the
//! same case where jose has it), a human message, and for claim failures the
//! claim concerned and why it failed. Hosts map the code to their own world:
//! a `JwtEdgeError.code` in JavaScript, a 401/403 and a metric at the edge.

use alloc::string::{String, ToString};
use core::fmt;

/// Stable, machine-readable error codes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument or option is malformed (wrong type, out of range, missing).
    InvalidArgument,
    /// The algorithm, key type or curve is valid JOSE but not supported here.
    NotSupported,
    /// The token's `alg` is not in the verifier's allowlist (or is `none`).
    AlgNotAllowed,
    /// The key's type or curve does not fit the algorithm.
    KeyTypeMismatch,
    /// The key is too weak: RSA under 2048 bits, an HMAC secret shorter than the hash.
    WeakKey,
    /// The key is too large to be processed safely (an RSA modulus over
    /// [`crate::key::MAX_RSA_BITS`] = 8192 bits).
    KeyTooLarge,
    /// A JWK is malformed.
    JwkInvalid,
    /// A JWK Set is malformed.
    JwksInvalid,
    /// No key of the set matches the token.
    JwksNoMatchingKey,
    /// Several keys of the set match the token and none can be preferred.
    JwksMultipleMatchingKeys,
    /// A PEM document has no usable block or a malformed one.
    PemInvalid,
    /// A PEM document has several candidate blocks and none was asked for.
    PemAmbiguous,
    /// DER content (a key or certificate structure) is malformed.
    DerInvalid,
    /// The JWS is structurally invalid (segments, base64url, header JSON).
    JwsInvalid,
    /// The signature does not verify with the selected key.
    SignatureVerificationFailed,
    /// The JWS header names a critical extension this verifier does not understand.
    CritUnsupported,
    /// The JWT payload is not a JSON object, or a claim has the wrong JSON type.
    JwtInvalid,
    /// The token is expired (`now >= exp - tolerance`).
    JwtExpired,
    /// A claim failed validation; see [`Error::claim`] and [`Error::reason`].
    ClaimValidationFailed,
    /// The token exceeds the verifier's size limit
    /// ([`crate::jws::DEFAULT_MAX_TOKEN_BYTES`] unless the policy says otherwise).
    TokenTooLarge,
    /// JSON nests deeper than the verifier allows ([`crate::json::MAX_JSON_DEPTH`]).
    JsonTooDeep,
    /// The randomness source failed.
    RandomnessUnavailable,
    /// A JWKS document is longer than [`crate::key::jwks::MAX_JWKS_BYTES`].
    JwksTooLarge,
    /// A JWKS holds more keys than [`crate::key::jwks::MAX_JWKS_KEYS`].
    JwksTooManyKeys,
    /// A DPoP proof (RFC 9449) is malformed or fails one of its rules;
    /// [`Error::claim_name`] names the header member or claim concerned.
    DpopInvalidProof,
    /// A DPoP proof is needed and there is none: the token is DPoP-bound
    /// (`cnf.jkt`) or DPoP is required, and the request has no proof or uses
    /// the `Bearer` scheme (RFC 9449 section 7.2: no downgrade).
    DpopProofRequired,
    /// The DPoP proof's `jti` was already used within the replay window.
    DpopReplay,
    /// The server wants a DPoP nonce and the proof has none or an old one
    /// (RFC 9449 section 8: answer `use_dpop_nonce` with a fresh nonce).
    DpopNonceRequired,
    /// The proof's key is not the one the access token is bound to
    /// (`cnf.jkt`), or the token is not bound to any key.
    DpopBindingMismatch,
    /// An encrypted private key did not decrypt: wrong passphrase (or a
    /// corrupted file).
    KeyDecryptionFailed,
    /// The private key is encrypted and no passphrase was given.
    PassphraseRequired,
    /// The introspection endpoint could not be used: a non-2xx answer, a
    /// failed or timed-out call. The token is not at fault.
    IntrospectionUnavailable,
    /// An introspection answer is longer than
    /// [`crate::introspection::MAX_RESPONSE_BYTES`].
    IntrospectionTooLarge,
    /// An introspection answer is not a JSON object.
    IntrospectionNotJson,
    /// An introspection answer breaks RFC 7662 (`active` missing or not a
    /// boolean, a member of the wrong type) or, as an RFC 9701 JWT, does not
    /// verify.
    IntrospectionInvalid,
    /// The authorization server says the token is not active (expired,
    /// revoked, unknown).
    TokenInactive,
    /// Internal: the npm package's tokens module (built without the
    /// `arithmetic` feature) cannot do this (a PKCS#1, SEC1 or certificate
    /// key, a compressed EC point, an encrypted key, a conversion, key
    /// generation, a signature in wasm). The npm wrapper loads the keys
    /// module and retries the call there; it never surfaces to users.
    KeysModuleRequired,
}

impl ErrorCode {
    /// The stable string form, e.g. `ERR_JWT_EXPIRED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "ERR_INVALID_ARGUMENT",
            Self::NotSupported => "ERR_JOSE_NOT_SUPPORTED",
            Self::AlgNotAllowed => "ERR_JOSE_ALG_NOT_ALLOWED",
            Self::KeyTypeMismatch => "ERR_JOSE_KEY_TYPE_MISMATCH",
            Self::WeakKey => "ERR_JOSE_WEAK_KEY",
            Self::KeyTooLarge => "ERR_JOSE_KEY_TOO_LARGE",
            Self::JwkInvalid => "ERR_JWK_INVALID",
            Self::JwksInvalid => "ERR_JWKS_INVALID",
            Self::JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Self::JwksMultipleMatchingKeys => "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
            Self::PemInvalid => "ERR_PEM_INVALID",
            Self::PemAmbiguous => "ERR_PEM_AMBIGUOUS",
            Self::DerInvalid => "ERR_DER_INVALID",
            Self::JwsInvalid => "ERR_JWS_INVALID",
            Self::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Self::CritUnsupported => "ERR_JWS_CRIT_UNSUPPORTED",
            Self::JwtInvalid => "ERR_JWT_INVALID",
            Self::JwtExpired => "ERR_JWT_EXPIRED",
            Self::ClaimValidationFailed => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Self::TokenTooLarge => "ERR_JWT_TOO_LARGE",
            Self::JsonTooDeep => "ERR_JSON_TOO_DEEP",
            Self::RandomnessUnavailable => "ERR_RANDOMNESS_UNAVAILABLE",
            Self::JwksTooLarge => "ERR_JWKS_TOO_LARGE",
            Self::JwksTooManyKeys => "ERR_JWKS_TOO_MANY_KEYS",
            Self::DpopInvalidProof => "ERR_DPOP_INVALID_PROOF",
            Self::DpopProofRequired => "ERR_DPOP_PROOF_REQUIRED",
            Self::DpopReplay => "ERR_DPOP_REPLAY",
            Self::DpopNonceRequired => "ERR_DPOP_NONCE_REQUIRED",
            Self::DpopBindingMismatch => "ERR_DPOP_BINDING_MISMATCH",
            Self::KeyDecryptionFailed => "ERR_KEY_DECRYPTION_FAILED",
            Self::PassphraseRequired => "ERR_KEY_PASSPHRASE_REQUIRED",
            Self::IntrospectionUnavailable => "ERR_INTROSPECTION_UNAVAILABLE",
            Self::IntrospectionTooLarge => "ERR_INTROSPECTION_TOO_LARGE",
            Self::IntrospectionNotJson => "ERR_INTROSPECTION_NOT_JSON",
            Self::IntrospectionInvalid => "ERR_INTROSPECTION_INVALID",
            Self::TokenInactive => "ERR_TOKEN_INACTIVE",
            Self::KeysModuleRequired => "ERR_KEYS_MODULE_REQUIRED",
        }
    }

    /// Every code, for hosts that document or test them all.
    pub const ALL: &'static [ErrorCode] = &[
        Self::InvalidArgument,
        Self::NotSupported,
        Self::AlgNotAllowed,
        Self::KeyTypeMismatch,
        Self::WeakKey,
        Self::KeyTooLarge,
        Self::JwkInvalid,
        Self::JwksInvalid,
        Self::JwksNoMatchingKey,
        Self::JwksMultipleMatchingKeys,
        Self::PemInvalid,
        Self::PemAmbiguous,
        Self::DerInvalid,
        Self::JwsInvalid,
        Self::SignatureVerificationFailed,
        Self::CritUnsupported,
        Self::JwtInvalid,
        Self::JwtExpired,
        Self::ClaimValidationFailed,
        Self::TokenTooLarge,
        Self::JsonTooDeep,
        Self::RandomnessUnavailable,
        Self::JwksTooLarge,
        Self::JwksTooManyKeys,
        Self::DpopInvalidProof,
        Self::DpopProofRequired,
        Self::DpopReplay,
        Self::DpopNonceRequired,
        Self::DpopBindingMismatch,
        Self::KeyDecryptionFailed,
        Self::PassphraseRequired,
        Self::IntrospectionUnavailable,
        Self::IntrospectionTooLarge,
        Self::IntrospectionNotJson,
        Self::IntrospectionInvalid,
        Self::TokenInactive,
        Self::KeysModuleRequired,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a claim failed, as jose's `JWTClaimValidationFailed.reason`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimReason {
    /// A required claim is absent.
    Missing,
    /// The claim is present but does not satisfy the policy.
    CheckFailed,
    /// The claim has the wrong JSON type (e.g. a string `exp`).
    Invalid,
}

impl ClaimReason {
    /// The stable string form: `missing`, `check_failed` or `invalid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::CheckFailed => "check_failed",
            Self::Invalid => "invalid",
        }
    }
}

/// A jwt-edge failure: a stable code, a message, and the claim concerned if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    claim: Option<String>,
    reason: Option<ClaimReason>,
}

impl Error {
    /// An error with a code and a human message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            claim: None,
            reason: None,
        }
    }

    /// A claim validation failure (`ERR_JWT_CLAIM_VALIDATION_FAILED`).
    pub fn claim(claim: &str, reason: ClaimReason, message: impl Into<String>) -> Self {
        Self::claim_with_code(ErrorCode::ClaimValidationFailed, claim, reason, message)
    }

    /// A failure concerning one claim, with a code other than the generic one
    /// (`ERR_JWT_EXPIRED` for `exp`, `ERR_JWT_INVALID` for a mistyped claim).
    pub fn claim_with_code(
        code: ErrorCode,
        claim: &str,
        reason: ClaimReason,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            claim: Some(claim.to_string()),
            reason: Some(reason),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human message (without the code).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The claim this error concerns, if any.
    pub fn claim_name(&self) -> Option<&str> {
        self.claim.as_deref()
    }

    /// Why the claim failed, if this error concerns a claim.
    pub fn reason(&self) -> Option<ClaimReason> {
        self.reason
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

macro_rules! bail {
    ($code:ident, $($arg:tt)+) => {
        return Err($crate::error::Error::new(
            $crate::error::ErrorCode::$code,
            alloc::format!($($arg)+),
        ))
    };
}
pub(crate) use bail;

macro_rules! err {
    ($code:ident, $($arg:tt)+) => {
        $crate::error::Error::new($crate::error::ErrorCode::$code, alloc::format!($($arg)+))
    };
}
pub(crate) use err;
