//! The pure-Rust backend of the build without the `arithmetic` feature (the
//! npm package's tokens module): HMAC only. Asymmetric signatures are the
//! host's (WebCrypto, Node's crypto); asked for one, this backend answers
//! `ERR_KEYS_MODULE_REQUIRED` and the wrapper retries in the keys module,
//! whose backend does them all.

use alloc::vec::Vec;

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::CryptoProvider;
use crate::alg::Algorithm;
use crate::error::{Error, ErrorCode, Result};
use crate::key::Key;

/// HMAC in Rust; anything else needs the keys module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RustCrypto;

impl CryptoProvider for RustCrypto {
    fn verify(
        &self,
        alg: Algorithm,
        key: &Key,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let secret = secret(alg, key)?;
        // `verify_slice` compares in constant time.
        let valid = match alg {
            Algorithm::Hs256 => mac::<Hmac<Sha256>>(secret, signing_input).verify_slice(signature),
            Algorithm::Hs384 => mac::<Hmac<Sha384>>(secret, signing_input).verify_slice(signature),
            _ => mac::<Hmac<Sha512>>(secret, signing_input).verify_slice(signature),
        };
        valid.map_err(|_| {
            Error::new(
                ErrorCode::SignatureVerificationFailed,
                "signature verification failed",
            )
        })
    }

    fn sign(&self, alg: Algorithm, key: &Key, signing_input: &[u8]) -> Result<Vec<u8>> {
        if !key.can_sign() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "signing needs a private key or a secret, not a public key",
            ));
        }
        let secret = secret(alg, key)?;
        Ok(match alg {
            Algorithm::Hs256 => mac::<Hmac<Sha256>>(secret, signing_input)
                .finalize()
                .into_bytes()
                .to_vec(),
            Algorithm::Hs384 => mac::<Hmac<Sha384>>(secret, signing_input)
                .finalize()
                .into_bytes()
                .to_vec(),
            _ => mac::<Hmac<Sha512>>(secret, signing_input)
                .finalize()
                .into_bytes()
                .to_vec(),
        })
    }
}

/// The secret of an HMAC algorithm's key.
fn secret(alg: Algorithm, key: &Key) -> Result<&[u8]> {
    match (alg.is_symmetric(), key.secret_bytes()) {
        (true, Some(secret)) => Ok(secret),
        (true, None) => Err(Error::new(
            ErrorCode::KeyTypeMismatch,
            alloc::format!("the key does not fit {alg}"),
        )),
        (false, _) => Err(Error::new(
            ErrorCode::KeysModuleRequired,
            alloc::format!("{alg} signatures in wasm need the keys module"),
        )),
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], input: &[u8]) -> M {
    // HMAC takes keys of any length.
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(input);
    mac
}
