//! Envoy's `verify_signature` foreign function (BoringSSL's
//! `EVP_DigestVerify`, native speed) as a [`CryptoProvider`].
//!
//! Envoy takes a protobuf `VerifySignatureArguments { hash_function = 1;
//! public_key = 2 (DER SPKI); signature = 3; text = 4 }` and answers
//! `VerifySignatureResult { result = 1; error = 2 }`. The few bytes of
//! protobuf are written and read here; what goes in them (digest name,
//! SPKI, DER ECDSA signature) comes from the core. Algorithms BoringSSL
//! cannot check with default parameters (PSS, EdDSA, HMAC) and any host
//! failure fall back to the core's pure-Rust backend.

use core::cell::{Cell, RefCell};
use std::rc::Rc;
use std::vec::Vec;

use crate::alg::Algorithm;
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway;
use crate::key::pem::PemFormat;
use crate::key::Key;

/// How the host call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostAnswer {
    /// The host checked the signature: valid or not.
    Checked(bool),
    /// The host has no such function (not Envoy, or too old).
    Unavailable,
    /// The host refused the arguments (e.g. a key it cannot import).
    Refused,
}

/// Calls the host's `verify_signature` with the encoded arguments.
pub trait ForeignCall {
    /// Runs the call.
    fn verify_signature(&self, arguments: &[u8]) -> HostAnswer;
}

/// DER SubjectPublicKeyInfo of the keys in use, so that each is encoded
/// once rather than per request. An entry is found by the key's address
/// and then compared with the key itself, so a reused address can never
/// yield another key's SPKI.
#[derive(Default)]
pub struct SpkiCache {
    entries: Vec<(usize, Key, Rc<Vec<u8>>)>,
}

/// Keys kept at most; more (a huge JWKS, many rotations) start it afresh.
const MAX_SPKI_ENTRIES: usize = 256;

impl SpkiCache {
    fn get(&mut self, key: &Key) -> Result<Rc<Vec<u8>>> {
        let address = key as *const Key as usize;
        if let Some((_, _, der)) = self
            .entries
            .iter()
            .find(|(at, cached, _)| *at == address && cached == key)
        {
            return Ok(Rc::clone(der));
        }
        let der = Rc::new(key.to_der(PemFormat::Spki)?.to_vec());
        if self.entries.len() >= MAX_SPKI_ENTRIES {
            self.entries.clear();
        }
        self.entries.push((address, key.clone(), Rc::clone(&der)));
        Ok(der)
    }

    /// Forgets every key (the key set changed).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A [`CryptoProvider`] that verifies through the host when it can.
pub struct NativeCrypto<'a> {
    host: &'a dyn ForeignCall,
    available: &'a Cell<bool>,
    spki: &'a RefCell<SpkiCache>,
}

impl<'a> NativeCrypto<'a> {
    /// `available` is cleared the first time the host lacks the function,
    /// so later requests go straight to the pure-Rust backend.
    pub fn new(
        host: &'a dyn ForeignCall,
        available: &'a Cell<bool>,
        spki: &'a RefCell<SpkiCache>,
    ) -> Self {
        Self {
            host,
            available,
            spki,
        }
    }
}

impl CryptoProvider for NativeCrypto<'_> {
    fn verify(
        &self,
        alg: Algorithm,
        key: &Key,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let Some(digest) = gateway::evp_digest_name(alg).filter(|_| self.available.get()) else {
            return RustCrypto.verify(alg, key, signing_input, signature);
        };
        let spki = match self.spki.try_borrow_mut() {
            Ok(mut cache) => cache.get(key)?,
            Err(_) => Rc::new(key.to_der(PemFormat::Spki)?.to_vec()),
        };
        let der_signature;
        let signature_bytes: &[u8] = match alg {
            Algorithm::Es256 | Algorithm::Es384 => {
                der_signature = gateway::ecdsa_signature_der(alg, signature)?;
                &der_signature
            }
            _ => signature,
        };
        let arguments = encode_arguments(digest, &spki, signature_bytes, signing_input);
        match self.host.verify_signature(&arguments) {
            HostAnswer::Checked(true) => Ok(()),
            HostAnswer::Checked(false) => Err(Error::new(
                ErrorCode::SignatureVerificationFailed,
                "signature verification failed",
            )),
            HostAnswer::Unavailable => {
                self.available.set(false);
                RustCrypto.verify(alg, key, signing_input, signature)
            }
            HostAnswer::Refused => RustCrypto.verify(alg, key, signing_input, signature),
        }
    }

    fn sign(&self, alg: Algorithm, key: &Key, signing_input: &[u8]) -> Result<Vec<u8>> {
        RustCrypto.sign(alg, key, signing_input)
    }
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn push_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push((field << 3) | 2);
    push_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `VerifySignatureArguments` in protobuf wire format.
pub fn encode_arguments(hash: &str, spki: &[u8], signature: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hash.len() + spki.len() + signature.len() + text.len() + 16);
    push_bytes(&mut out, 1, hash.as_bytes());
    push_bytes(&mut out, 2, spki);
    push_bytes(&mut out, 3, signature);
    push_bytes(&mut out, 4, text);
    out
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Reads `VerifySignatureResult.result` (field 1). Anything malformed is
/// `false`: the signature only counts as valid when the host says so.
pub fn decode_result(bytes: &[u8]) -> bool {
    let mut at = 0;
    let mut result = false;
    while at < bytes.len() {
        let Some(tag) = read_varint(bytes, &mut at) else {
            return false;
        };
        match (tag >> 3, tag & 7) {
            (field, 0) => {
                let Some(value) = read_varint(bytes, &mut at) else {
                    return false;
                };
                if field == 1 {
                    result = value == 1;
                }
            }
            (_, 2) => {
                let Some(len) = read_varint(bytes, &mut at) else {
                    return false;
                };
                let Some(end) = usize::try_from(len)
                    .ok()
                    .and_then(|len| at.checked_add(len))
                else {
                    return false;
                };
                if end > bytes.len() {
                    return false;
                }
                at = end;
            }
            _ => return false,
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format() {
        let encoded = encode_arguments("sha256", &[1, 2], &[3], &[0u8; 200]);
        assert_eq!(
            &encoded[..8],
            &[0x0a, 6, b's', b'h', b'a', b'2', b'5', b'6']
        );
        assert_eq!(&encoded[8..12], &[0x12, 2, 1, 2]);
        assert_eq!(&encoded[12..15], &[0x1a, 1, 3]);
        assert_eq!(&encoded[15..18], &[0x22, 0xc8, 0x01]);
        assert!(decode_result(&[0x08, 0x01, 0x12, 0x00]));
        assert!(!decode_result(&[0x12, 0x03, b'b', b'a', b'd']));
        assert!(!decode_result(&[0x08, 0x00]));
        assert!(!decode_result(&[0x08]));
        assert!(!decode_result(&[0x12, 0x09, 0x01]));
        assert!(!decode_result(&[]));
    }

    struct Fake(HostAnswer);
    impl ForeignCall for Fake {
        fn verify_signature(&self, _: &[u8]) -> HostAnswer {
            self.0
        }
    }

    #[test]
    fn falls_back_and_trusts_host_answers() {
        use crate::key::generate::{generate, KeySpec};
        let private = generate(KeySpec::for_algorithm(Algorithm::Es256, None).unwrap()).unwrap();
        let public = private.to_public().unwrap();
        let signature = RustCrypto.sign(Algorithm::Es256, &private, b"a.b").unwrap();
        let available = Cell::new(true);
        let spki = RefCell::new(SpkiCache::default());
        let no = Fake(HostAnswer::Checked(false));
        assert!(NativeCrypto::new(&no, &available, &spki)
            .verify(Algorithm::Es256, &public, b"a.b", &signature)
            .is_err());
        let missing = Fake(HostAnswer::Unavailable);
        assert!(NativeCrypto::new(&missing, &available, &spki)
            .verify(Algorithm::Es256, &public, b"a.b", &signature)
            .is_ok());
        assert!(!available.get());
        // Unavailable now: the pure-Rust backend decides, and refuses a forgery.
        let yes = Fake(HostAnswer::Checked(true));
        assert_eq!(spki.borrow().entries.len(), 1);
        assert!(NativeCrypto::new(&yes, &available, &spki)
            .verify(Algorithm::Es256, &public, b"a.c", &signature)
            .is_err());
    }
}
