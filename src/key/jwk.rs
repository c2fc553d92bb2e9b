//! JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037).
//!
//! Parsing checks everything a key promises: sizes, curve membership, and
//! that private parameters belong to the public ones. Metadata members
//! (`kid`, `use`, `alg`, `key_ops`, `x5c`, `x5t#S256`, ...) and unknown
//! members survive a round trip.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

#[cfg(feature = "arithmetic")]
use elliptic_curve::sec1::ToEncodedPoint;
#[cfg(feature = "arithmetic")]
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use serde_json::{Map, Value};
#[cfg(feature = "arithmetic")]
use zeroize::Zeroizing;

use super::material::{required_str, Material};
use super::Key;
use crate::alg::Algorithm;
#[cfg(feature = "arithmetic")]
use crate::b64;
#[cfg(feature = "arithmetic")]
use crate::error::err;
use crate::error::{bail, ErrorCode, Result};

/// A JWK: a validated key plus its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    key: Key,
    /// `kid`: the key ID.
    pub kid: Option<String>,
    /// `use`: `sig` or `enc`.
    pub key_use: Option<String>,
    /// `alg`: the algorithm the key is meant for (kept as text: it may name
    /// an algorithm jwt-edge does not implement, such as `RSA-OAEP`).
    pub alg: Option<String>,
    /// `key_ops`.
    pub key_ops: Option<Vec<String>>,
    /// `x5c`: the certificate chain, standard base64 DER, leaf first.
    pub x5c: Option<Vec<String>>,
    /// `x5t`: SHA-1 certificate thumbprint.
    pub x5t: Option<String>,
    /// `x5t#S256`: SHA-256 certificate thumbprint.
    pub x5t_s256: Option<String>,
    /// `x5u`: certificate URL (never fetched).
    pub x5u: Option<String>,
    /// Every other member, in its original order.
    pub extra: Map<String, Value>,
}

/// Members that are part of the key material, per key type.
const RSA_MEMBERS: &[&str] = &["n", "e", "d", "p", "q", "dp", "dq", "qi", "oth"];
const EC_MEMBERS: &[&str] = &["crv", "x", "y", "d"];
const OKP_MEMBERS: &[&str] = &["crv", "x", "d"];
const OCT_MEMBERS: &[&str] = &["k"];
const META_MEMBERS: &[&str] = &[
    "kty", "kid", "use", "alg", "key_ops", "x5c", "x5t", "x5t#S256", "x5u",
];

impl Jwk {
    /// A JWK for `key` with no metadata.
    pub fn new(key: Key) -> Self {
        Self {
            key,
            kid: None,
            key_use: None,
            alg: None,
            key_ops: None,
            x5c: None,
            x5t: None,
            x5t_s256: None,
            x5u: None,
            extra: Map::new(),
        }
    }

    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Consumes the JWK, returning its key.
    pub fn into_key(self) -> Key {
        self.key
    }

    /// Parses a JWK from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = crate::json::parse(text, ErrorCode::JwkInvalid, "JWK")?;
        Self::from_value(&value)
    }

    /// Parses a JWK from a JSON value.
    pub fn from_value(value: &Value) -> Result<Self> {
        let Value::Object(members) = value else {
            bail!(JwkInvalid, "a JWK must be a JSON object");
        };
        let kty = required_str(members, "kty")?;
        let material = Material::from_jwk(kty, members)?;
        let key_members = match kty {
            "RSA" => RSA_MEMBERS,
            "EC" => EC_MEMBERS,
            "OKP" => OKP_MEMBERS,
            _ => OCT_MEMBERS,
        };
        #[cfg(feature = "arithmetic")]
        let key = Key::from_material(&material, ErrorCode::JwkInvalid)?;
        #[cfg(not(feature = "arithmetic"))]
        let key = Key::from_material(material, super::HostForm::Jwk);
        let mut jwk = Jwk::new(key);
        jwk.kid = optional_str(members, "kid")?;
        jwk.key_use = optional_str(members, "use")?;
        jwk.alg = optional_str(members, "alg")?;
        jwk.key_ops = optional_str_array(members, "key_ops")?;
        jwk.x5c = optional_str_array(members, "x5c")?;
        jwk.x5t = optional_str(members, "x5t")?;
        jwk.x5t_s256 = optional_str(members, "x5t#S256")?;
        jwk.x5u = optional_str(members, "x5u")?;
        jwk.extra = members
            .iter()
            .filter(|(name, _)| {
                !META_MEMBERS.contains(&name.as_str()) && !key_members.contains(&name.as_str())
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        jwk.check_consistency()?;
        Ok(jwk)
    }

    /// Checks the metadata against the key: `alg` fits the key type, `x5c`
    /// carries this very key, `key_ops` has no duplicates.
    fn check_consistency(&self) -> Result<()> {
        if let Some(alg) = &self.alg {
            if let Ok(alg) = Algorithm::from_name(alg) {
                if alg.key_family() != self.key.family() {
                    bail!(
                        JwkInvalid,
                        "JWK \"alg\" {alg} does not fit its key type {:?}",
                        self.key.family()
                    );
                }
            }
        }
        if let Some(ops) = &self.key_ops {
            for (i, op) in ops.iter().enumerate() {
                if ops[..i].contains(op) {
                    bail!(JwkInvalid, "JWK \"key_ops\" lists {op:?} twice");
                }
            }
        }
        if let Some(chain) = &self.x5c {
            self.check_x5c(chain)?;
        }
        Ok(())
    }

    /// `x5c` must carry this very key.
    #[cfg(feature = "arithmetic")]
    fn check_x5c(&self, chain: &[String]) -> Result<()> {
        let Some(leaf) = chain.first() else {
            bail!(JwkInvalid, "JWK \"x5c\" is empty");
        };
        let der = b64::decode_std(leaf, ErrorCode::JwkInvalid, "JWK \"x5c\" entry")?;
        let cert_key = super::pem::key_from_certificate_der(&der)
            .map_err(|e| err!(JwkInvalid, "JWK \"x5c\" leaf certificate: {}", e.message()))?;
        if cert_key != self.key.to_public()? {
            bail!(
                JwkInvalid,
                "JWK \"x5c\" leaf certificate holds a different key than the JWK"
            );
        }
        for cert in &chain[1..] {
            b64::decode_std(cert, ErrorCode::JwkInvalid, "JWK \"x5c\" entry")?;
        }
        Ok(())
    }

    /// Without arithmetic the certificate cannot be read: the keys module
    /// checks the chain.
    #[cfg(not(feature = "arithmetic"))]
    fn check_x5c(&self, _chain: &[String]) -> Result<()> {
        bail!(
            KeysModuleRequired,
            "checking that JWK \"x5c\" holds this key needs X.509 parsing"
        );
    }

    /// The JWK as a JSON object: `kty`, the key parameters, the metadata,
    /// then any other members.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        key_members(&self.key, &mut out);
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                out.insert(name.to_string(), Value::String(value.clone()));
            }
        };
        put("kid", &self.kid);
        put("use", &self.key_use);
        put("alg", &self.alg);
        if let Some(ops) = &self.key_ops {
            out.insert("key_ops".into(), string_array(ops));
        }
        if let Some(chain) = &self.x5c {
            out.insert("x5c".into(), string_array(chain));
        }
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                out.insert(name.to_string(), Value::String(value.clone()));
            }
        };
        put("x5t", &self.x5t);
        put("x5t#S256", &self.x5t_s256);
        put("x5u", &self.x5u);
        for (name, value) in &self.extra {
            out.insert(name.clone(), value.clone());
        }
        Value::Object(out)
    }

    /// The JWK as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The public JWK: same metadata, private parameters dropped. A secret
    /// has no public form and gives an error.
    pub fn to_public(&self) -> Result<Jwk> {
        let mut public = self.clone();
        public.key = self.key.to_public()?;
        Ok(public)
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub fn thumbprint(&self) -> String {
        super::thumbprint::sha256_thumbprint(&self.key)
    }

    /// Sets `kid` to the RFC 7638 thumbprint and returns the JWK.
    pub fn with_thumbprint_kid(mut self) -> Self {
        self.kid = Some(self.thumbprint());
        self
    }
}

fn string_array(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// Writes `kty` and the key parameters, in the order jose writes them.
#[cfg(not(feature = "arithmetic"))]
pub(crate) fn key_members(key: &Key, out: &mut Map<String, Value>) {
    key.material().write_members(out);
}

/// Writes `kty` and the key parameters, in the order jose writes them.
#[cfg(feature = "arithmetic")]
pub(crate) fn key_members(key: &Key, out: &mut Map<String, Value>) {
    out.insert("kty".into(), Value::String(key.kty().into()));
    match key {
        Key::RsaPublic(public) => {
            put(out, "n", &public.n().to_bytes_be());
            put(out, "e", &public.e().to_bytes_be());
        }
        Key::RsaPrivate(private) => {
            put(out, "n", &private.n().to_bytes_be());
            put(out, "e", &private.e().to_bytes_be());
            put(out, "d", &Zeroizing::new(private.d().to_bytes_be()));
            let primes = private.primes();
            put(out, "p", &Zeroizing::new(primes[0].to_bytes_be()));
            put(out, "q", &Zeroizing::new(primes[1].to_bytes_be()));
            if let (Some(dp), Some(dq), Some(qi)) =
                (private.dp(), private.dq(), private.crt_coefficient())
            {
                put(out, "dp", &Zeroizing::new(dp.to_bytes_be()));
                put(out, "dq", &Zeroizing::new(dq.to_bytes_be()));
                put(out, "qi", &Zeroizing::new(qi.to_bytes_be()));
            }
        }
        Key::P256Public(public) => {
            put_ec_point(out, "P-256", public.to_encoded_point(false).as_bytes());
        }
        Key::P256Private(private) => {
            let point = private.public_key().to_encoded_point(false);
            put_ec_point(out, "P-256", point.as_bytes());
            put(out, "d", &private.to_bytes());
        }
        Key::P384Public(public) => {
            put_ec_point(out, "P-384", public.to_encoded_point(false).as_bytes());
        }
        Key::P384Private(private) => {
            let point = private.public_key().to_encoded_point(false);
            put_ec_point(out, "P-384", point.as_bytes());
            put(out, "d", &private.to_bytes());
        }
        Key::Ed25519Public(public) => {
            out.insert("crv".into(), Value::String("Ed25519".into()));
            put(out, "x", public.as_bytes());
        }
        Key::Ed25519Private(private) => {
            out.insert("crv".into(), Value::String("Ed25519".into()));
            put(out, "x", private.verifying_key().as_bytes());
            put(out, "d", &Zeroizing::new(private.to_bytes())[..]);
        }
        Key::Secret(bytes) => put(out, "k", bytes),
    }
}

#[cfg(feature = "arithmetic")]
fn put(out: &mut Map<String, Value>, name: &str, bytes: &[u8]) {
    out.insert(name.into(), Value::String(b64::encode_url(bytes)));
}

#[cfg(feature = "arithmetic")]
fn put_ec_point(out: &mut Map<String, Value>, crv: &str, uncompressed: &[u8]) {
    // An uncompressed SEC1 point is 0x04 || x || y with x and y of equal length.
    let coordinates = &uncompressed[1..];
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    out.insert("crv".into(), Value::String(crv.into()));
    put(out, "x", x);
    put(out, "y", y);
}

fn optional_str(members: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match members.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => bail!(JwkInvalid, "JWK \"{name}\" must be a string"),
    }
}

fn optional_str_array(members: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>> {
    match members.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(value) => Ok(value.clone()),
                _ => bail!(JwkInvalid, "JWK \"{name}\" must be an array of strings"),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => bail!(JwkInvalid, "JWK \"{name}\" must be an array of strings"),
    }
}
