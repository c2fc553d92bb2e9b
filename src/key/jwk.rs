//! JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037).
//!
//! Parsing checks everything a key promises: sizes, curve membership, and
//! that private parameters belong to the public ones. Metadata members
//! (`kid`, `use`, `alg`, `key_ops`, `x5c`, `x5t#S256`, ...) and unknown
//! members survive a round trip.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use elliptic_curve::sec1::ToEncodedPoint;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{rsa_private_from_parts, rsa_public_from_parts, Key};
use crate::alg::Algorithm;
use crate::b64;
use crate::error::{bail, err, Error, ErrorCode, Result};

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
        let (key, key_members) = match kty {
            "RSA" => (parse_rsa(members)?, RSA_MEMBERS),
            "EC" => (parse_ec(members)?, EC_MEMBERS),
            "OKP" => (parse_okp(members)?, OKP_MEMBERS),
            "oct" => (parse_oct(members)?, OCT_MEMBERS),
            other => {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    alloc::format!("unsupported JWK kty {other:?}"),
                ))
            }
        };
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
        }
        Ok(())
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

fn put(out: &mut Map<String, Value>, name: &str, bytes: &[u8]) {
    out.insert(name.into(), Value::String(b64::encode_url(bytes)));
}

fn put_ec_point(out: &mut Map<String, Value>, crv: &str, uncompressed: &[u8]) {
    // An uncompressed SEC1 point is 0x04 || x || y with x and y of equal length.
    let coordinates = &uncompressed[1..];
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    out.insert("crv".into(), Value::String(crv.into()));
    put(out, "x", x);
    put(out, "y", y);
}

fn parse_rsa(members: &Map<String, Value>) -> Result<Key> {
    if members.contains_key("oth") {
        bail!(
            NotSupported,
            "multi-prime RSA keys (\"oth\") are not supported"
        );
    }
    let n = required_bytes(members, "n")?;
    let e = required_bytes(members, "e")?;
    if !members.contains_key("d") {
        return rsa_public_from_parts(&n, &e);
    }
    let d = Zeroizing::new(required_bytes(members, "d")?);
    let p = Zeroizing::new(required_bytes(members, "p")?);
    let q = Zeroizing::new(required_bytes(members, "q")?);
    let crt = ["dp", "dq", "qi"]
        .iter()
        .map(|name| members.get(*name).map(|_| required_bytes(members, name)))
        .collect::<Option<Result<Vec<_>>>>()
        .transpose()?
        .map(Zeroizing::new);
    let crt_refs = crt
        .as_ref()
        .map(|parts| [&parts[0][..], &parts[1][..], &parts[2][..]]);
    rsa_private_from_parts(&n, &e, &d, [&p, &q], crt_refs)
}

fn parse_ec(members: &Map<String, Value>) -> Result<Key> {
    let crv = required_str(members, "crv")?;
    let size = match crv {
        "P-256" => 32,
        "P-384" => 48,
        other => bail!(NotSupported, "unsupported EC curve {other:?}"),
    };
    let x = required_bytes(members, "x")?;
    let y = required_bytes(members, "y")?;
    if x.len() != size || y.len() != size {
        bail!(JwkInvalid, "EC {crv} coordinates must be {size} bytes each");
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let d = match members.get("d") {
        None => None,
        Some(_) => {
            let d = Zeroizing::new(required_bytes(members, "d")?);
            if d.len() != size {
                bail!(JwkInvalid, "EC {crv} \"d\" must be {size} bytes");
            }
            Some(d)
        }
    };
    let not_on_curve = || err!(JwkInvalid, "EC point (x, y) is not on {crv}");
    let mismatch = || {
        err!(
            JwkInvalid,
            "EC \"d\" does not match the public point (x, y)"
        )
    };
    let bad_scalar = || err!(JwkInvalid, "EC \"d\" is not a valid {crv} private scalar");
    Ok(match (size, d) {
        (32, None) => {
            Key::P256Public(p256::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?)
        }
        (32, Some(d)) => {
            let public = p256::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?;
            let private = p256::SecretKey::from_slice(&d).map_err(|_| bad_scalar())?;
            if private.public_key() != public {
                return Err(mismatch());
            }
            Key::P256Private(private)
        }
        (_, None) => {
            Key::P384Public(p384::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?)
        }
        (_, Some(d)) => {
            let public = p384::PublicKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?;
            let private = p384::SecretKey::from_slice(&d).map_err(|_| bad_scalar())?;
            if private.public_key() != public {
                return Err(mismatch());
            }
            Key::P384Private(private)
        }
    })
}

fn parse_okp(members: &Map<String, Value>) -> Result<Key> {
    let crv = required_str(members, "crv")?;
    if crv != "Ed25519" {
        bail!(NotSupported, "unsupported OKP curve {crv:?}");
    }
    let x: [u8; 32] = required_bytes(members, "x")?
        .try_into()
        .map_err(|_| err!(JwkInvalid, "Ed25519 \"x\" must be 32 bytes"))?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&x)
        .map_err(|_| err!(JwkInvalid, "Ed25519 \"x\" is not a valid public key"))?;
    if !members.contains_key("d") {
        return Ok(Key::Ed25519Public(public));
    }
    let d = Zeroizing::new(required_bytes(members, "d")?);
    let seed: &[u8; 32] = d
        .as_slice()
        .try_into()
        .map_err(|_| err!(JwkInvalid, "Ed25519 \"d\" must be 32 bytes"))?;
    let private = ed25519_dalek::SigningKey::from_bytes(seed);
    if private.verifying_key() != public {
        bail!(JwkInvalid, "Ed25519 \"d\" does not match \"x\"");
    }
    Ok(Key::Ed25519Private(private))
}

fn parse_oct(members: &Map<String, Value>) -> Result<Key> {
    let k = Zeroizing::new(required_bytes(members, "k")?);
    if k.is_empty() {
        bail!(JwkInvalid, "oct JWK \"k\" is empty");
    }
    Ok(Key::Secret(k))
}

fn required_str<'a>(members: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    match members.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => bail!(JwkInvalid, "JWK \"{name}\" must be a string"),
        None => bail!(JwkInvalid, "JWK is missing \"{name}\""),
    }
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

fn required_bytes(members: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    let text = required_str(members, name)?;
    b64::decode_url(
        text,
        ErrorCode::JwkInvalid,
        &alloc::format!("JWK \"{name}\""),
    )
}
