//! Helpers shared by the integration tests.
#![allow(dead_code)]

use jwt_edge::{ErrorCode, Jwk, Result};
use serde_json::Value;

/// Loads a JSON vector file from tests/vectors/.
pub fn vectors(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts that `result` failed with `code`, returning the error.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T>, code: ErrorCode) -> jwt_edge::Error {
    match result {
        Ok(value) => panic!("expected {code}, got Ok({value:?})"),
        Err(error) => {
            assert_eq!(error.code(), code, "wrong code: {error}");
            error
        }
    }
}

/// A JWK from JSON text, panicking on test-data mistakes.
pub fn jwk(json: &str) -> Jwk {
    Jwk::from_json(json).expect("test JWK")
}

/// Builds a compact JWS from raw header and payload JSON and signature
/// bytes: how an attacker crafts tokens no honest signer would make.
pub fn forge(header: &str, payload: &str, signature: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(payload.as_bytes()),
        Base64UrlUnpadded::encode_string(signature)
    )
}

/// Runs the openssl CLI with `args`, returning stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is installed by `make setup`");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A new private key from `openssl genpkey -algorithm ALGORITHM -pkeyopt
/// OPTION...`, as PKCS#8 PEM text.
#[allow(dead_code)] // not every test binary generates keys
pub fn genpkey(algorithm: &str, options: &[&str]) -> String {
    let mut args = vec!["genpkey", "-algorithm", algorithm];
    for option in options {
        args.extend(["-pkeyopt", option]);
    }
    String::from_utf8(openssl(&args)).expect("openssl writes PEM text")
}

/// A scratch directory removed when dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "jwt-edge-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).expect("scratch file")
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.join(name), text).expect("scratch file");
        self.path(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
