//! `make demo` (core part): the flows of the seed documents, done locally.
//!
//! 1. MuleSoft: a JWK from the token provider becomes the PEM public key the
//!    connected app wants; an assertion for the JWT bearer grant is built
//!    with the private key and checked the way Anypoint would.
//! 2. Okta: a `private_key_jwt` client assertion, with the form body and curl.
//! 3. An access token enforced with scopes, as the API gateway would.
//! 4. WSO2 Identity Server / Asgardeo: the token issuer's key gets the
//!    self-signed certificate the trusted token issuer is registered with
//!    ("Use PEM certificate"), and an assertion signed with the key is
//!    checked against that certificate.

use jwt_edge::assertion::{
    build_assertion, verify_assertion, AssertionPolicy, AssertionRequest, Profile,
    MULESOFT_TOKEN_ENDPOINT,
};
use jwt_edge::cert::inspect_certificate;
use jwt_edge::cert::make::{certificate_pem, create_certificate, CertificateOptions};
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::lint::lint_claims;
use jwt_edge::policy::Keys;
use jwt_edge::{now_unix, sign, verify, Algorithm, Jwk, JwkSet, SignOptions, VerifyPolicy};
use serde_json::{json, Value};

fn main() -> Result<(), jwt_edge::Error> {
    let now = now_unix();
    let mut rng = rand_core::OsRng;

    heading("1. MuleSoft connected app (JWT bearer grant)");
    let private = Jwk::new(generate(KeySpec::Rsa { bits: 2048 })?).with_thumbprint_kid();
    let public = private.to_public()?;
    println!(
        "JWK from the token provider:\n{}\n",
        pretty(&public.to_value())
    );
    println!(
        "PEM public key for the connected app:\n{}",
        public.key().to_pem(None)?
    );
    let mut request = AssertionRequest::new(Profile::MuleSoft);
    request.issuer = Some("a1b2c3-connected-app-client-id".into());
    request
        .claims
        .insert("idp_id".into(), json!("okta-federated-idp"));
    request.claims.insert("user_name".into(), json!("jdoe"));
    let options = SignOptions {
        kid: private.kid.clone(),
        ..SignOptions::default()
    };
    let mulesoft = build_assertion(&request, private.key(), &options, now, &mut rng)?;
    println!(
        "claims: {}",
        pretty(&Value::Object(mulesoft.claims.clone()))
    );
    println!("\n{}\n", mulesoft.request.curl);
    let mut anypoint = VerifyPolicy::new(&[Algorithm::Rs256])?;
    anypoint.audience = vec![MULESOFT_TOKEN_ENDPOINT.into()];
    anypoint.issuer = vec!["a1b2c3-connected-app-client-id".into()];
    let verified = verify_assertion(
        &mulesoft.assertion,
        Keys::Single(&Jwk::from_pem(&public.key().to_pem(None)?, None)?),
        &AssertionPolicy::new(anypoint),
        now,
        None,
    )?;
    println!(
        "verified with the PEM the connected app holds: sub = {}",
        verified.payload["sub"]
    );

    heading("2. Okta private_key_jwt (client authentication)");
    let okta_key = Jwk::new(generate(KeySpec::P256)?).with_thumbprint_kid();
    let mut request = AssertionRequest::new(Profile::Okta);
    request.issuer = Some("0oa8manager".into());
    request.audience = vec!["https://example.okta.com/oauth2/v1/token".into()];
    request.scope = Some("okta.clients.register okta.clients.read".into());
    let options = SignOptions {
        kid: okta_key.kid.clone(),
        ..SignOptions::default()
    };
    let okta = build_assertion(&request, okta_key.key(), &options, now, &mut rng)?;
    println!("form body: {}\n", okta.request.form);
    println!("{}\n", okta.request.curl);
    let findings = lint_claims(
        &Value::Object(okta.claims.clone()),
        Some(Profile::Okta),
        Some(now),
    );
    println!("linter findings: {}", findings.len());
    let jwks = JwkSet::single(okta_key.to_public()?);
    let mut okta_policy = VerifyPolicy::new(&VerifyPolicy::algorithms_for(&jwks))?;
    okta_policy.audience = request.audience.clone();
    let verified = verify_assertion(
        &okta.assertion,
        Keys::Set(&jwks),
        &AssertionPolicy::new(okta_policy),
        now,
        None,
    )?;
    println!(
        "verified against the app's JWKS: kid = {}",
        verified.kid.unwrap_or_default()
    );

    heading("3. Access token enforcement with scopes (401 vs 403)");
    let issuer = Jwk::new(generate(KeySpec::Ed25519)?).with_thumbprint_kid();
    let access = json!({ "iss": "https://example.okta.com/oauth2/default", "aud": "api://default",
                         "sub": "app", "scp": ["custom_scope"], "iat": now, "exp": now + 300 });
    let Value::Object(access) = access else {
        unreachable!("a JSON object literal")
    };
    let options = SignOptions {
        kid: issuer.kid.clone(),
        typ: Some("at+jwt".into()),
        ..SignOptions::default()
    };
    let token = sign(&access, issuer.key(), &options)?;
    let keys = JwkSet::single(issuer.to_public()?);
    let mut gateway = VerifyPolicy::new(&[Algorithm::EdDsa])?;
    gateway.issuer = vec!["https://example.okta.com/oauth2/default".into()];
    gateway.audience = vec!["api://default".into()];
    gateway.typ = Some("at+jwt".into());
    gateway.scopes = vec!["custom_scope".into()];
    println!(
        "scope custom_scope: {}",
        outcome(verify(&token, Keys::Set(&keys), &gateway, now).map(|_| ()))
    );
    gateway.scopes = vec!["admin".into()];
    println!(
        "scope admin:        {}",
        outcome(verify(&token, Keys::Set(&keys), &gateway, now).map(|_| ()))
    );
    println!(
        "an hour later:      {}",
        outcome(verify(&token, Keys::Set(&keys), &gateway, now + 3600).map(|_| ()))
    );

    wso2_trusted_token_issuer(now, &mut rng)
}

/// The certificate step of the WSO2 / Asgardeo flow, then the assertion.
fn wso2_trusted_token_issuer(now: i64, rng: &mut rand_core::OsRng) -> Result<(), jwt_edge::Error> {
    heading("4. WSO2 / Asgardeo trusted token issuer (certificate, then JWT bearer grant)");
    let issuer_key = generate(KeySpec::P256)?;
    let options = CertificateOptions {
        subject: "CN=acme token issuer,O=Acme,C=US".into(),
        not_before: now,
        days: 365,
        subject_alt_names: vec!["URI:https://third-party-token-issuers.io/oauth2/token".into()],
        hash: None,
    };
    let der = create_certificate(&issuer_key, &options)?;
    let pem = certificate_pem(&der);
    let info = inspect_certificate(&der, now)?;
    println!("Connections → Trusted Token Issuer → Certificates → Use PEM certificate, paste:\n");
    println!("{pem}");
    println!(
        "subject {} | {} until unix {} | SHA-256 {}",
        info.subject,
        info.status.as_str(),
        info.not_after,
        info.sha256_fingerprint
    );
    println!("(the same with openssl: openssl req -x509 -new -key key.pem -subj '/C=US/O=Acme/CN=acme token issuer' -days 365)");

    let mut request = AssertionRequest::new(Profile::Wso2);
    request.issuer = Some("https://third-party-token-issuers.io/oauth2/token".into());
    request.subject = Some("alice".into());
    request.audience = vec!["https://localhost:9443/oauth2/token".into()];
    let built = build_assertion(&request, &issuer_key, &SignOptions::default(), now, rng)?;
    println!("\n{}\n", built.request.curl);
    // WSO2 verifies with the key of the certificate it was given.
    let registered = Jwk::from_pem(&pem, None)?;
    let mut policy = VerifyPolicy::new(&[Algorithm::Es256])?;
    policy.audience = request.audience.clone();
    verify_assertion(
        &built.assertion,
        Keys::Single(&registered),
        &AssertionPolicy::new(policy),
        now,
        None,
    )?;
    println!("verified with the registered certificate's key: the token endpoint accepts it");
    Ok(())
}

fn heading(title: &str) {
    println!("\n=== {title} ===\n");
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn outcome(result: jwt_edge::Result<()>) -> String {
    match result {
        Ok(()) => "200 allowed".into(),
        Err(e)
            if e.code() == jwt_edge::ErrorCode::ClaimValidationFailed
                && e.claim_name() == Some("scope") =>
        {
            format!("403 insufficient_scope ({e})")
        }
        Err(e) => format!("401 invalid_token ({e})"),
    }
}
