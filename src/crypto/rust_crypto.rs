//! The pure-Rust backend: jwt-compact's algorithms over RustCrypto keys.

use alloc::vec::Vec;

use jwt_compact::alg::{Ed25519, Es256, Hs256, Hs256Key, Hs384, Hs384Key, Hs512, Hs512Key, Rsa};
use jwt_compact::{Algorithm as JwsAlgorithm, AlgorithmSignature};

use super::{CryptoProvider, Es384};
use crate::alg::Algorithm;
use crate::error::{Error, ErrorCode, Result};
use crate::key::Key;

/// Pure-Rust signatures (RustCrypto through jwt-compact). Works on every
/// target, bare metal included.
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
        let valid = match (alg, key) {
            (Algorithm::Hs256, Key::Secret(secret)) => {
                check(&Hs256, &Hs256Key::new(secret), signing_input, signature)
            }
            (Algorithm::Hs384, Key::Secret(secret)) => {
                check(&Hs384, &Hs384Key::new(secret), signing_input, signature)
            }
            (Algorithm::Hs512, Key::Secret(secret)) => {
                check(&Hs512, &Hs512Key::new(secret), signing_input, signature)
            }
            (alg, Key::RsaPublic(public)) => {
                check(&rsa_alg(alg)?, public, signing_input, signature)
            }
            (alg, Key::RsaPrivate(private)) => check(
                &rsa_alg(alg)?,
                &private.to_public_key(),
                signing_input,
                signature,
            ),
            (Algorithm::Es256, Key::P256Public(public)) => {
                check(&Es256, &public.into(), signing_input, signature)
            }
            (Algorithm::Es256, Key::P256Private(private)) => check(
                &Es256,
                &private.public_key().into(),
                signing_input,
                signature,
            ),
            (Algorithm::Es384, Key::P384Public(public)) => {
                check(&Es384, &public.into(), signing_input, signature)
            }
            (Algorithm::Es384, Key::P384Private(private)) => check(
                &Es384,
                &private.public_key().into(),
                signing_input,
                signature,
            ),
            (Algorithm::EdDsa, Key::Ed25519Public(public)) => {
                check(&Ed25519, public, signing_input, signature)
            }
            (Algorithm::EdDsa, Key::Ed25519Private(private)) => {
                check(&Ed25519, &private.verifying_key(), signing_input, signature)
            }
            _ => return Err(mismatch(alg)),
        };
        if valid {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::SignatureVerificationFailed,
                "signature verification failed",
            ))
        }
    }

    fn sign(&self, alg: Algorithm, key: &Key, signing_input: &[u8]) -> Result<Vec<u8>> {
        Ok(match (alg, key) {
            (Algorithm::Hs256, Key::Secret(secret)) => {
                make(&Hs256, &Hs256Key::new(secret), signing_input)
            }
            (Algorithm::Hs384, Key::Secret(secret)) => {
                make(&Hs384, &Hs384Key::new(secret), signing_input)
            }
            (Algorithm::Hs512, Key::Secret(secret)) => {
                make(&Hs512, &Hs512Key::new(secret), signing_input)
            }
            (alg, Key::RsaPrivate(private)) => {
                // jwt-compact blinds RSA signing with `OsRng`, which panics
                // rather than failing when randomness is unavailable.
                crate::key::generate::ensure_os_randomness()?;
                make(&rsa_alg(alg)?, private, signing_input)
            }
            (Algorithm::Es256, Key::P256Private(private)) => {
                make(&Es256, &private.into(), signing_input)
            }
            (Algorithm::Es384, Key::P384Private(private)) => {
                make(&Es384, &private.into(), signing_input)
            }
            (Algorithm::EdDsa, Key::Ed25519Private(private)) => {
                make(&Ed25519, private, signing_input)
            }
            (_, key) if !key.can_sign() => {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "signing needs a private key or a secret, not a public key",
                ))
            }
            _ => return Err(mismatch(alg)),
        })
    }
}

fn check<A: JwsAlgorithm>(
    alg: &A,
    key: &A::VerifyingKey,
    signing_input: &[u8],
    signature: &[u8],
) -> bool {
    if A::Signature::LENGTH.is_some_and(|len| len.get() != signature.len()) {
        return false;
    }
    match A::Signature::try_from_slice(signature) {
        Ok(signature) => alg.verify_signature(&signature, key, signing_input),
        Err(_) => false,
    }
}

fn make<A: JwsAlgorithm>(alg: &A, key: &A::SigningKey, signing_input: &[u8]) -> Vec<u8> {
    alg.sign(key, signing_input).as_bytes().into_owned()
}

fn rsa_alg(alg: Algorithm) -> Result<Rsa> {
    Ok(match alg {
        Algorithm::Rs256 => Rsa::rs256(),
        Algorithm::Rs384 => Rsa::rs384(),
        Algorithm::Rs512 => Rsa::rs512(),
        Algorithm::Ps256 => Rsa::ps256(),
        Algorithm::Ps384 => Rsa::ps384(),
        Algorithm::Ps512 => Rsa::ps512(),
        other => return Err(mismatch(other)),
    })
}

fn mismatch(alg: Algorithm) -> Error {
    Error::new(
        ErrorCode::KeyTypeMismatch,
        alloc::format!("the key does not fit {alg}"),
    )
}
