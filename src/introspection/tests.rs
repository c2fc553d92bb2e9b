use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Map, Value};

use super::*;
use crate::key::generate::{generate, KeySpec};
use crate::key::jwk::Jwk;

const NOW: i64 = 1_700_000_000;

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn client(auth: ClientAuth) -> IntrospectionClient {
    IntrospectionClient {
        client_id: "0oa-inspector".into(),
        auth,
        format: ResponseFormat::Json,
    }
}

#[test]
fn basic_credentials_are_form_encoded_before_base64() {
    // RFC 6749 section 2.3.1's own example.
    assert_eq!(
        basic_credentials("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
        "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"
    );
    // A colon in the id and reserved characters in the secret survive.
    let header = basic_credentials("a b:c", "p@ss/+é");
    let decoded = crate::b64::decode_std(&header[6..], ErrorCode::InvalidArgument, "x").unwrap();
    assert_eq!(
        core::str::from_utf8(&decoded).unwrap(),
        "a+b%3Ac:p%40ss%2F%2B%C3%A9"
    );
}

#[test]
fn secret_basic_sends_the_secret_once_in_the_header() {
    let request = client(ClientAuth::SecretBasic {
        secret: "s3cret".into(),
    })
    .request("opaque-token", NOW, &mut rand_core::OsRng)
    .unwrap();
    let fields = form(&request.body);
    assert_eq!(field(&fields, "token"), Some("opaque-token"));
    assert_eq!(field(&fields, "token_type_hint"), Some("access_token"));
    assert_eq!(fields.len(), 2, "no credentials in the body: {fields:?}");
    let headers: Vec<_> = request.headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(headers, ["content-type", "accept", "authorization"]);
    assert_eq!(request.headers[0].1, "application/x-www-form-urlencoded");
    assert_eq!(request.headers[1].1, "application/json");
    assert_eq!(
        request.headers[2].1,
        basic_credentials("0oa-inspector", "s3cret")
    );
    assert!(!alloc::format!("{request:?}").contains("s3cret"));
}

#[test]
fn secret_post_sends_the_secret_once_in_the_body() {
    let auth = ClientAuth::SecretPost {
        secret: "s3 cret&x".into(),
    };
    assert!(!alloc::format!("{auth:?}").contains("s3 cret"));
    let request = client(auth)
        .request("tok", NOW, &mut rand_core::OsRng)
        .unwrap();
    let fields = form(&request.body);
    assert_eq!(field(&fields, "client_id"), Some("0oa-inspector"));
    assert_eq!(field(&fields, "client_secret"), Some("s3 cret&x"));
    assert!(request.headers.iter().all(|(n, _)| *n != "authorization"));
}

#[test]
fn private_key_jwt_signs_a_fresh_assertion_for_each_request() {
    let key = generate(KeySpec::P256).unwrap();
    let public = Jwk::new(key.clone()).to_public().unwrap();
    let mut introspector = client(ClientAuth::PrivateKeyJwt {
        key: alloc::boxed::Box::new(key),
        alg: Algorithm::Es256,
        kid: Some("k1".into()),
        audience: "https://as.test/introspect".into(),
    });
    introspector.format = ResponseFormat::Jwt;
    let mut jtis = Vec::new();
    for _ in 0..2 {
        let request = introspector
            .request("tok", NOW, &mut rand_core::OsRng)
            .unwrap();
        assert_eq!(request.headers[1].1, JWT_RESPONSE_MEDIA_TYPE);
        assert!(request.headers.iter().all(|(n, _)| *n != "authorization"));
        let fields = form(&request.body);
        assert_eq!(field(&fields, "client_id"), Some("0oa-inspector"));
        assert_eq!(
            field(&fields, "client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(field(&fields, "client_secret"), None);
        let assertion = field(&fields, "client_assertion").unwrap();
        let mut policy = VerifyPolicy::new(&[Algorithm::Es256]).unwrap();
        policy.audience = alloc::vec!["https://as.test/introspect".into()];
        policy.issuer = alloc::vec!["0oa-inspector".into()];
        let verified =
            crate::policy::verify(assertion, Keys::Single(&public), &policy, NOW).unwrap();
        assert_eq!(verified.payload["sub"], "0oa-inspector");
        assert_eq!(verified.header["kid"], "k1");
        assert_eq!(
            verified.payload["exp"].as_i64().unwrap() - verified.payload["iat"].as_i64().unwrap(),
            60
        );
        jtis.push(verified.payload["jti"].as_str().unwrap().to_string());
    }
    assert_ne!(jtis[0], jtis[1]);
}

fn expect() -> Expectations {
    Expectations {
        issuer: alloc::vec!["https://as.test".into()],
        audiences: alloc::vec!["api://default".into()],
        clock_tolerance: 0,
    }
}

fn active(extra: Value) -> Value {
    let mut base = json!({
        "active": true, "iss": "https://as.test", "aud": ["api://default", "other"],
        "sub": "alice", "client_id": "app-a", "username": "alice@acme", "scope": "read write",
        "exp": NOW + 300, "iat": NOW - 10, "cnf": {"jkt": "abc"}
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn parse(body: &Value) -> Result<Introspection> {
    parse_response(Some("200"), body.to_string().as_bytes(), &expect(), NOW)
}

fn code(result: Result<Introspection>) -> ErrorCode {
    result.unwrap_err().code()
}

#[test]
fn an_active_answer_keeps_its_claims() {
    let Introspection::Active(claims) = parse(&active(json!({}))).unwrap() else {
        panic!("active expected");
    };
    assert!(!claims.contains_key("active"));
    for name in ["iss", "sub", "client_id", "username", "scope", "cnf", "aud"] {
        assert!(claims.contains_key(name), "{name}");
    }
    assert_eq!(
        crate::policy::granted_scopes(&claims).unwrap(),
        ["read", "write"]
    );
    // A string audience is as good as an array.
    assert!(parse(&active(json!({"aud": "api://default"}))).is_ok());
}

#[test]
fn an_inactive_answer_is_inactive_whatever_else_it_says() {
    for body in [
        json!({"active": false}),
        json!({"active": false, "exp": "garbage", "iss": "https://evil"}),
    ] {
        assert_eq!(parse(&body).unwrap(), Introspection::Inactive);
    }
}

#[test]
fn active_must_be_the_json_boolean() {
    for body in [
        json!({"active": "true"}),
        json!({"active": 1}),
        json!({"active": null}),
        json!({"sub": "alice"}),
        json!({}),
    ] {
        assert_eq!(
            code(parse(&body)),
            ErrorCode::IntrospectionInvalid,
            "{body}"
        );
    }
    let missing = parse(&json!({"sub": "a"})).unwrap_err();
    let string = parse(&json!({"active": "true"})).unwrap_err();
    assert_ne!(missing.message(), string.message());
}

#[test]
fn members_of_the_wrong_type_are_refused() {
    for extra in [
        json!({"exp": "1700000300"}),
        json!({"iat": true}),
        json!({"nbf": [1]}),
        json!({"scope": ["read"]}),
        json!({"aud": 5}),
        json!({"aud": ["ok", 5]}),
        json!({"iss": 1}),
        json!({"sub": {}}),
        json!({"client_id": 3}),
        json!({"username": false}),
        json!({"cnf": "abc"}),
    ] {
        assert_eq!(
            code(parse(&active(extra.clone()))),
            ErrorCode::IntrospectionInvalid,
            "{extra}"
        );
    }
}

#[test]
fn unusable_bodies_and_statuses_have_their_own_codes() {
    let e = expect();
    assert_eq!(
        code(parse_response(Some("200"), b"<html>", &e, NOW)),
        ErrorCode::IntrospectionNotJson
    );
    assert_eq!(
        code(parse_response(Some("200"), b"[true]", &e, NOW)),
        ErrorCode::IntrospectionNotJson
    );
    assert_eq!(
        code(parse_response(Some("200"), b"", &e, NOW)),
        ErrorCode::IntrospectionNotJson
    );
    let deep = "[".repeat(200);
    assert_eq!(
        code(parse_response(Some("200"), deep.as_bytes(), &e, NOW)),
        ErrorCode::IntrospectionNotJson
    );
    let mut big = active(json!({})).to_string().into_bytes();
    big.truncate(big.len() - 1);
    big.extend(b",\"pad\":\"");
    big.resize(MAX_RESPONSE_BYTES + 10, b'x');
    big.extend(b"\"}");
    assert_eq!(
        code(parse_response(Some("200"), &big, &e, NOW)),
        ErrorCode::IntrospectionTooLarge
    );
    let body = active(json!({})).to_string();
    for status in [Some("500"), Some("401"), Some("302"), Some("abc"), None] {
        let error = parse_response(status, body.as_bytes(), &e, NOW).unwrap_err();
        assert_eq!(
            error.code(),
            ErrorCode::IntrospectionUnavailable,
            "{status:?}"
        );
    }
    assert!(parse_response(Some("401"), b"", &e, NOW)
        .unwrap_err()
        .message()
        .contains("client credentials"));
}

#[test]
fn issuer_audience_and_time_are_checked() {
    let claim_of = |result: Result<Introspection>| {
        let error = result.unwrap_err();
        (error.code(), error.claim_name().map(ToString::to_string))
    };
    assert_eq!(
        claim_of(parse(&active(json!({"iss": "https://evil"})))),
        (ErrorCode::ClaimValidationFailed, Some("iss".into()))
    );
    assert_eq!(
        claim_of(parse(&active(json!({"iss": null})))),
        (ErrorCode::ClaimValidationFailed, Some("iss".into()))
    );
    assert_eq!(
        claim_of(parse(&active(json!({"aud": "api://other"})))),
        (ErrorCode::ClaimValidationFailed, Some("aud".into()))
    );
    assert_eq!(
        claim_of(parse(&active(json!({"aud": null})))),
        (ErrorCode::ClaimValidationFailed, Some("aud".into()))
    );
    assert_eq!(
        claim_of(parse(&active(json!({"exp": NOW})))),
        (ErrorCode::JwtExpired, Some("exp".into()))
    );
    assert_eq!(
        claim_of(parse(&active(json!({"nbf": NOW + 60})))),
        (ErrorCode::ClaimValidationFailed, Some("nbf".into()))
    );
    // Nothing configured, nothing required.
    let body = json!({"active": true}).to_string();
    assert!(parse_response(Some("200"), body.as_bytes(), &Expectations::default(), NOW).is_ok());
}

struct Server {
    key: Key,
    keys: JwkSet,
}

fn server() -> Server {
    let key = generate(KeySpec::P256).unwrap();
    let mut public = Jwk::new(key.clone()).to_public().unwrap();
    public.kid = Some("as-1".into());
    Server {
        key,
        keys: JwkSet {
            keys: alloc::vec![public],
            skipped: Vec::new(),
        },
    }
}

fn jwt_answer(server: &Server, typ: &str, claims: Value) -> String {
    let Value::Object(claims) = claims else {
        panic!("object expected")
    };
    crate::jws::sign(
        &claims,
        &server.key,
        &SignOptions {
            alg: Some(Algorithm::Es256),
            kid: Some("as-1".into()),
            typ: Some(typ.into()),
            header: Map::new(),
        },
    )
    .unwrap()
}

#[test]
fn jwt_answers_are_verified_before_use() {
    let as_server = server();
    let check = JwtAnswerCheck {
        keys: &as_server.keys,
        issuer: "https://as.test",
        client_id: "0oa-inspector",
    };
    let good_claims = json!({
        "iss": "https://as.test", "aud": "0oa-inspector", "iat": NOW,
        "token_introspection": active(json!({}))
    });
    let parse_jwt = |body: &str| {
        parse_jwt_response(
            &crate::crypto::RustCrypto,
            Some("200"),
            body.as_bytes(),
            &check,
            &expect(),
            NOW,
        )
    };
    let good = jwt_answer(&as_server, "token-introspection+jwt", good_claims.clone());
    assert!(matches!(parse_jwt(&good), Ok(Introspection::Active(_))));
    let inactive = jwt_answer(
        &as_server,
        "token-introspection+jwt",
        json!({"iss": "https://as.test", "aud": "0oa-inspector", "iat": NOW,
               "token_introspection": {"active": false}}),
    );
    assert_eq!(parse_jwt(&inactive).unwrap(), Introspection::Inactive);
    let mut wrong = Vec::new();
    wrong.push(jwt_answer(&as_server, "JWT", good_claims.clone()));
    let mut other_aud = good_claims.clone();
    other_aud["aud"] = json!("someone-else");
    wrong.push(jwt_answer(&as_server, "token-introspection+jwt", other_aud));
    let mut other_iss = good_claims.clone();
    other_iss["iss"] = json!("https://evil");
    wrong.push(jwt_answer(&as_server, "token-introspection+jwt", other_iss));
    let mut no_iat = good_claims.clone();
    no_iat.as_object_mut().unwrap().remove("iat");
    wrong.push(jwt_answer(&as_server, "token-introspection+jwt", no_iat));
    let mut no_member = good_claims.clone();
    no_member
        .as_object_mut()
        .unwrap()
        .remove("token_introspection");
    wrong.push(jwt_answer(&as_server, "token-introspection+jwt", no_member));
    let mut string_active = good_claims.clone();
    string_active["token_introspection"]["active"] = json!("true");
    wrong.push(jwt_answer(
        &as_server,
        "token-introspection+jwt",
        string_active,
    ));
    wrong.push(jwt_answer(
        &server(),
        "token-introspection+jwt",
        good_claims,
    ));
    wrong.push(active(json!({})).to_string());
    for body in &wrong {
        assert_eq!(
            code(parse_jwt(body)),
            ErrorCode::IntrospectionInvalid,
            "{body}"
        );
    }
}

#[test]
fn cache_lifetimes() {
    let policy = CachePolicy {
        max_seconds: 300,
        cache_without_exp: false,
        negative_seconds: 0,
    };
    let with_exp =
        |exp: i64| Introspection::Active(json!({"exp": exp}).as_object().unwrap().clone());
    assert_eq!(cache_seconds(&with_exp(NOW + 60), &policy, NOW), 60);
    assert_eq!(cache_seconds(&with_exp(NOW + 3600), &policy, NOW), 300);
    assert_eq!(cache_seconds(&with_exp(NOW), &policy, NOW), 0);
    assert_eq!(cache_seconds(&with_exp(NOW - 5), &policy, NOW), 0);
    let no_exp = Introspection::Active(Map::new());
    assert_eq!(cache_seconds(&no_exp, &policy, NOW), 0);
    let explicit = CachePolicy {
        cache_without_exp: true,
        ..policy
    };
    assert_eq!(cache_seconds(&no_exp, &explicit, NOW), 300);
    assert_eq!(cache_seconds(&Introspection::Inactive, &policy, NOW), 0);
    let negative = CachePolicy {
        negative_seconds: 5,
        ..policy
    };
    assert_eq!(cache_seconds(&Introspection::Inactive, &negative, NOW), 5);
    let off = CachePolicy {
        max_seconds: 0,
        ..policy
    };
    assert_eq!(cache_seconds(&with_exp(NOW + 60), &off, NOW), 0);
}
