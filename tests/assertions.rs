//! RFC 7523 assertions: the product presets, the token request, the
//! verifier a token endpoint runs, and the claim linter.

mod common;

use common::expect_code;
use jwt_edge::assertion::{
    build_assertion, verify_assertion, AssertionPolicy, AssertionRequest, MemoryReplayCache,
    Profile, MULESOFT_TOKEN_ENDPOINT,
};
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::lint::{lint_claims, lint_key, Severity};
use jwt_edge::policy::Keys;
use jwt_edge::{Algorithm, ClaimReason, ErrorCode, Jwk, Key, SignOptions, VerifyPolicy};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;
const OKTA_TOKEN_URL: &str = "https://example.okta.com/oauth2/v1/token";

fn rng() -> rand_core::OsRng {
    rand_core::OsRng
}

fn form_pairs(form: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect()
}

fn okta_request() -> AssertionRequest {
    let mut request = AssertionRequest::new(Profile::Okta);
    request.issuer = Some("0oa1client".into());
    request.audience = vec![OKTA_TOKEN_URL.into()];
    request.scope = Some("okta.clients.register okta.clients.read".into());
    request
}

#[test]
fn okta_private_key_jwt() {
    let key = Jwk::new(generate(KeySpec::Ed25519).unwrap()).with_thumbprint_kid();
    let options = SignOptions {
        kid: key.kid.clone(),
        ..SignOptions::default()
    };
    let built = build_assertion(&okta_request(), key.key(), &options, NOW, &mut rng()).unwrap();
    let claims = &built.claims;
    assert_eq!(claims["iss"], json!("0oa1client"));
    assert_eq!(claims["sub"], json!("0oa1client"));
    assert_eq!(claims["aud"], json!(OKTA_TOKEN_URL));
    assert_eq!(claims["iat"], json!(NOW));
    assert_eq!(claims["exp"], json!(NOW + 300));
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 36, "UUID jti: {jti}");
    assert_eq!(&jti[14..15], "4", "UUID v4: {jti}");

    assert_eq!(built.request.endpoint, OKTA_TOKEN_URL);
    assert_eq!(
        form_pairs(&built.request.form),
        vec![
            ("grant_type".into(), "client_credentials".into()),
            (
                "scope".into(),
                "okta.clients.register okta.clients.read".into()
            ),
            (
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()
            ),
            ("client_assertion".into(), built.assertion.clone()),
        ]
    );
    assert!(built
        .request
        .curl
        .starts_with(&format!("curl -X POST '{OKTA_TOKEN_URL}'")));
    assert!(built.request.curl.contains(&built.request.form));

    // The token endpoint's view: verify the assertion.
    let mut policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    policy.audience = vec![OKTA_TOKEN_URL.into()];
    policy.issuer = vec!["0oa1client".into()];
    let policy = AssertionPolicy::new(policy);
    let public = key.to_public().unwrap();
    let mut replay = MemoryReplayCache::new(16);
    let verified = verify_assertion(
        &built.assertion,
        Keys::Single(&public),
        &policy,
        NOW + 1,
        Some(&mut replay),
    )
    .unwrap();
    assert_eq!(verified.header["typ"], json!("JWT"));
    assert_eq!(verified.kid, key.kid);
    // The same assertion a second time is a replay.
    let error = expect_code(
        verify_assertion(
            &built.assertion,
            Keys::Single(&public),
            &policy,
            NOW + 2,
            Some(&mut replay),
        ),
        ErrorCode::ClaimValidationFailed,
    );
    assert_eq!(error.claim_name(), Some("jti"));

    // Okta refuses assertions living longer than an hour; so does the builder.
    let mut long = okta_request();
    long.lifetime = 3601;
    expect_code(
        build_assertion(&long, key.key(), &options, NOW, &mut rng()),
        ErrorCode::InvalidArgument,
    );
    let mut mismatched = okta_request();
    mismatched.subject = Some("someone-else".into());
    expect_code(
        build_assertion(&mismatched, key.key(), &options, NOW, &mut rng()),
        ErrorCode::InvalidArgument,
    );
}

#[test]
fn mulesoft_connected_app_jwt_bearer() {
    let key = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let mut request = AssertionRequest::new(Profile::MuleSoft);
    request.issuer = Some("connected-app-client-id".into());
    request.claims.insert("idp_id".into(), json!("okta-idp"));
    request.claims.insert("user_name".into(), json!("jdoe"));
    request
        .claims
        .insert("department".into(), json!("integration"));
    let built = build_assertion(&request, &key, &SignOptions::default(), NOW, &mut rng()).unwrap();
    assert_eq!(built.claims["iss"], json!("connected-app-client-id"));
    assert_eq!(built.claims["aud"], json!(MULESOFT_TOKEN_ENDPOINT));
    let sub = built.claims["sub"].as_str().unwrap();
    assert!(sub.contains("|okta-idp|jdoe"), "{sub}");
    assert_eq!(built.claims["department"], json!("integration"));
    assert!(!built.claims.contains_key("idp_id"), "idp_id goes into sub");
    assert_eq!(
        form_pairs(&built.request.form),
        vec![
            (
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
            ),
            ("assertion".into(), built.assertion.clone()),
        ]
    );
    assert!(built.request.curl.contains(MULESOFT_TOKEN_ENDPOINT));
    assert!(lint_claims(
        &Value::Object(built.claims.clone()),
        Some(Profile::MuleSoft),
        Some(NOW)
    )
    .iter()
    .all(|finding| finding.severity != Severity::Error));

    let mut missing_user = AssertionRequest::new(Profile::MuleSoft);
    missing_user.issuer = Some("id".into());
    let error = expect_code(
        build_assertion(
            &missing_user,
            &key,
            &SignOptions::default(),
            NOW,
            &mut rng(),
        ),
        ErrorCode::InvalidArgument,
    );
    assert!(error.message().contains("idp_id"));
}

#[test]
fn wso2_and_asgardeo_trusted_token_issuer() {
    let key = generate(KeySpec::P256).unwrap();
    for (profile, audience) in [
        (
            Profile::Asgardeo,
            "https://api.asgardeo.io/t/acme/oauth2/token",
        ),
        (Profile::Wso2, "https://localhost:9443/oauth2/token"),
    ] {
        let mut request = AssertionRequest::new(profile);
        request.issuer = Some("https://third-party-token-issuers.io/oauth2/token".into());
        request.subject = Some("alice@acme".into());
        request.audience = vec![audience.into()];
        let built =
            build_assertion(&request, &key, &SignOptions::default(), NOW, &mut rng()).unwrap();
        assert_eq!(built.request.endpoint, audience);
        assert!(
            built
                .request
                .curl
                .contains("-u \"$CLIENT_ID:$CLIENT_SECRET\""),
            "{profile:?}"
        );
        assert!(built.claims.contains_key("jti"));

        // The trusted-issuer check: iat within the 30-minute validity period.
        let mut policy = VerifyPolicy::new(&[Algorithm::Es256]).unwrap();
        policy.audience = vec![audience.into()];
        policy.max_token_age = profile.iat_validity();
        let policy = AssertionPolicy::new(policy);
        let public = Jwk::new(key.to_public().unwrap());
        verify_assertion(
            &built.assertion,
            Keys::Single(&public),
            &policy,
            NOW + 60,
            None,
        )
        .unwrap();
        // 31 minutes later the assertion is expired anyway; with a long
        // lifetime the iat rule is what stops it.
        let mut long = request.clone();
        long.lifetime = 3 * 3600;
        let built = build_assertion(&long, &key, &SignOptions::default(), NOW, &mut rng()).unwrap();
        let mut policy = policy.clone();
        policy.max_lifetime = 4 * 3600;
        let error = expect_code(
            verify_assertion(
                &built.assertion,
                Keys::Single(&public),
                &policy,
                NOW + 31 * 60,
                None,
            ),
            ErrorCode::JwtExpired,
        );
        assert_eq!(error.claim_name(), Some("iat"));
    }
    // An alias audience needs an explicit token endpoint.
    let mut alias = AssertionRequest::new(Profile::Wso2);
    alias.issuer = Some("iss".into());
    alias.subject = Some("sub".into());
    alias.audience = vec!["my-alias".into()];
    expect_code(alias.endpoint(), ErrorCode::InvalidArgument);
    alias.token_endpoint = Some("https://is.example/oauth2/token".into());
    assert_eq!(alias.endpoint().unwrap(), "https://is.example/oauth2/token");
}

#[test]
fn assertion_verifier_applies_rfc7523_section_3() {
    let key = Key::secret(&[9u8; 32]).unwrap();
    let verifier_key = Jwk::new(key.clone());
    let mut policy = VerifyPolicy::new(&[Algorithm::Hs256]).unwrap();
    policy.audience = vec!["https://as.example/token".into()];
    let policy = AssertionPolicy::new(policy);
    let sign = |claims: Value| {
        jwt_edge::sign(claims.as_object().unwrap(), &key, &SignOptions::default()).unwrap()
    };
    let base = json!({ "iss": "client", "sub": "client", "aud": "https://as.example/token", "exp": NOW + 60, "iat": NOW, "jti": "1" });
    verify_assertion(
        &sign(base.clone()),
        Keys::Single(&verifier_key),
        &policy,
        NOW,
        None,
    )
    .unwrap();
    for claim in ["iss", "sub", "aud", "exp", "jti"] {
        let mut claims = base.clone();
        claims.as_object_mut().unwrap().remove(claim);
        let error = expect_code(
            verify_assertion(
                &sign(claims),
                Keys::Single(&verifier_key),
                &policy,
                NOW,
                None,
            ),
            ErrorCode::ClaimValidationFailed,
        );
        assert_eq!(
            (error.claim_name(), error.reason()),
            (Some(claim), Some(ClaimReason::Missing))
        );
    }
    let mut long = base.clone();
    long["exp"] = json!(NOW + 7200);
    let error = expect_code(
        verify_assertion(&sign(long), Keys::Single(&verifier_key), &policy, NOW, None),
        ErrorCode::ClaimValidationFailed,
    );
    assert_eq!(error.claim_name(), Some("exp"));
    let mut other_aud = base;
    other_aud["aud"] = json!("https://elsewhere.example/token");
    let error = verify_assertion(
        &sign(other_aud),
        Keys::Single(&verifier_key),
        &policy,
        NOW,
        None,
    )
    .unwrap_err();
    assert_eq!(error.claim_name(), Some("aud"));
    // A verifier that does not know its own audience is a configuration error.
    let blind = AssertionPolicy::new(VerifyPolicy::new(&[Algorithm::Hs256]).unwrap());
    expect_code(
        verify_assertion("a.b.c", Keys::Single(&verifier_key), &blind, NOW, None),
        ErrorCode::InvalidArgument,
    );
}

#[test]
fn replay_cache_is_bounded_and_fails_closed() {
    use jwt_edge::assertion::ReplayCache;
    let mut cache = MemoryReplayCache::new(2);
    assert!(cache.remember("a", NOW + 10, NOW));
    assert!(cache.remember("b", NOW + 20, NOW));
    assert!(!cache.remember("a", NOW + 10, NOW), "replay");
    assert!(
        !cache.remember("c", NOW + 30, NOW),
        "full of live entries: refuse"
    );
    assert!(
        cache.remember("c", NOW + 30, NOW + 15),
        "a expired: room again"
    );
    assert_eq!(cache.len(), 2);
}

#[test]
fn linter_finds_what_token_endpoints_reject() {
    let findings =
        |claims: Value, profile: Option<Profile>| lint_claims(&claims, profile, Some(NOW));
    let has = |found: &[jwt_edge::lint::Finding], claim: &str, severity: Severity| {
        found
            .iter()
            .any(|f| f.claim == claim && f.severity == severity)
    };
    let clean = json!({ "iss": "c", "sub": "c", "aud": OKTA_TOKEN_URL, "iat": NOW, "exp": NOW + 300, "jti": "x" });
    assert!(
        findings(clean.clone(), Some(Profile::Okta)).is_empty(),
        "{:?}",
        findings(clean, Some(Profile::Okta))
    );

    let f = findings(json!({ "exp": "1700000300", "iat": NOW * 1000 }), None);
    assert!(
        has(&f, "exp", Severity::Error) && has(&f, "iat", Severity::Error),
        "{f:?}"
    );
    assert!(f.iter().any(|f| f.message.contains("milliseconds")));
    assert!(f.iter().any(|f| f.message.contains("drop the quotes")));

    let f = findings(
        json!({ "iss": "c", "sub": "c", "aud": [OKTA_TOKEN_URL, "x"], "iat": NOW, "exp": NOW + 7200 }),
        Some(Profile::Okta),
    );
    assert!(has(&f, "aud", Severity::Warning), "{f:?}");
    assert!(has(&f, "exp", Severity::Error), "{f:?}");
    assert!(has(&f, "jti", Severity::Error), "{f:?}");

    let f = findings(json!({ "iat": NOW, "exp": NOW + 40 * 24 * 3600 }), None);
    assert!(
        has(&f, "exp", Severity::Warning) && has(&f, "jti", Severity::Warning),
        "{f:?}"
    );
    let f = findings(
        json!({ "iss": "a", "sub": "b", "aud": "x", "exp": NOW + 60, "jti": "j" }),
        Some(Profile::ClientAssertion),
    );
    assert!(has(&f, "sub", Severity::Error), "{f:?}");
    let f = findings(
        json!({ "iss": "a", "sub": "b", "aud": "x", "exp": NOW + 60, "iat": NOW - 3600, "jti": "j" }),
        Some(Profile::Wso2),
    );
    assert!(has(&f, "iat", Severity::Error), "{f:?}");
    let f = findings(
        json!({ "iss": "a", "sub": "jdoe", "aud": "x", "exp": NOW + 60 }),
        Some(Profile::MuleSoft),
    );
    assert!(
        has(&f, "sub", Severity::Warning) && has(&f, "aud", Severity::Warning),
        "{f:?}"
    );
    assert!(has(&findings(json!([1]), None), "payload", Severity::Error));

    let weak = lint_key(&Key::secret(&[1; 16]).unwrap(), Some(Algorithm::Hs256));
    assert_eq!(weak[0].severity, Severity::Error);
    assert!(lint_key(&generate(KeySpec::Ed25519).unwrap(), None).is_empty());
}

#[test]
fn profiles_parse_by_name() {
    for profile in Profile::ALL {
        assert_eq!(Profile::from_name(profile.name()).unwrap(), *profile);
    }
    expect_code(Profile::from_name("salesforce"), ErrorCode::InvalidArgument);
}

/// A local test server (WSO2 or Keycloak on localhost) speaks plain http:
/// the token endpoint is taken from an http:// audience, and the linter
/// warns without refusing.
#[test]
fn http_token_endpoint_of_a_local_server_is_accepted_with_a_warning() {
    let key = generate(KeySpec::P256).unwrap();
    let endpoint = "http://127.0.0.1:8080/oauth2/token";
    let mut request = AssertionRequest::new(Profile::Wso2);
    request.issuer = Some("https://third-party-token-issuers.io/oauth2/token".into());
    request.subject = Some("admin".into());
    request.audience = vec![endpoint.into()];
    let built = build_assertion(&request, &key, &SignOptions::default(), NOW, &mut rng()).unwrap();
    assert_eq!(built.request.endpoint, endpoint);
    assert_eq!(built.claims["aud"], json!(endpoint));
    let findings = lint_claims(
        &Value::Object(built.claims.clone()),
        Some(Profile::Wso2),
        Some(NOW),
    );
    let http = findings
        .iter()
        .find(|finding| finding.claim == "aud" && finding.message.contains("http"))
        .expect("a warning about the plain http audience");
    assert_eq!(http.severity, Severity::Warning);
    assert!(findings.iter().all(|f| f.severity != Severity::Error));
}

/// MuleSoft consumes idp_id and user_name into sub: an explicit subject that
/// contradicts them, or one of the two alone, is refused instead of dropped.
#[test]
fn mulesoft_subject_contradicting_its_claims_is_refused() {
    let key = generate(KeySpec::P256).unwrap();
    let build = |subject: Option<&str>, claims: &[(&str, &str)]| {
        let mut request = AssertionRequest::new(Profile::MuleSoft);
        request.issuer = Some("connected-app-client-id".into());
        request.subject = subject.map(Into::into);
        for (name, value) in claims {
            request.claims.insert((*name).into(), json!(value));
        }
        build_assertion(&request, &key, &SignOptions::default(), NOW, &mut rng())
    };
    let both = [("idp_id", "okta-idp"), ("user_name", "jdoe")];
    let error = expect_code(
        build(Some("1|other-idp|someone"), &both),
        ErrorCode::InvalidArgument,
    );
    assert!(error.message().contains("contradicts"), "{error}");
    assert!(error.message().contains("1|okta-idp|jdoe"), "{error}");
    // The same subject, given twice, is fine.
    let agreeing = build(Some("1|okta-idp|jdoe"), &both).unwrap();
    assert_eq!(agreeing.claims["sub"], json!("1|okta-idp|jdoe"));
    // One of the pair alone would be dropped: refused.
    let error = expect_code(
        build(Some("1|okta-idp|jdoe"), &[("idp_id", "okta-idp")]),
        ErrorCode::InvalidArgument,
    );
    assert!(error.message().contains("user_name"), "{error}");
    // A subject alone still works.
    let plain = build(Some("1|okta-idp|jdoe"), &[]).unwrap();
    assert_eq!(plain.claims["sub"], json!("1|okta-idp|jdoe"));
}
