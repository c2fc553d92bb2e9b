//! Encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, RFC 5958 / PKCS#5 v2.1).
//!
//! Read: PBES2 with PBKDF2 (HMAC-SHA-224/256/384/512) or scrypt, and AES-CBC,
//! which is what `openssl pkcs8 -topk8 -v2 aes-256-cbc` and `-scrypt` write.
//! Written: PBES2, PBKDF2-HMAC-SHA256 with [`PBKDF2_ITERATIONS`] rounds,
//! AES-256-CBC. The key derivation parameters of a file are bounded before
//! any work is done: they come from the file, and a hostile file could ask
//! for hours of PBKDF2 or gigabytes of scrypt memory.

use alloc::vec::Vec;

use der::Decode;
use pkcs8::pkcs5::pbes2::Kdf;
use pkcs8::pkcs5::EncryptionScheme;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::pem::PemFormat;
use super::Key;
use crate::error::{bail, err, Result};

/// PBKDF2-HMAC-SHA256 rounds for keys jwt-edge encrypts (OWASP's 2023
/// figure for this hash).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 rounds a file may ask for.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The most memory a file's scrypt parameters may ask for (128 * r * N bytes).
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// Decrypts an `EncryptedPrivateKeyInfo`, returning the PKCS#8
/// `PrivateKeyInfo` DER inside. A wrong passphrase fails with
/// `ERR_KEY_DECRYPTION_FAILED`; a scheme other than PBES2 with PBKDF2 or
/// scrypt and AES-CBC with `ERR_JOSE_NOT_SUPPORTED`.
pub fn decrypt_pkcs8_der(der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(der)
        .map_err(|e| err!(DerInvalid, "invalid encrypted PKCS#8 private key: {e}"))?;
    check_scheme(&info.encryption_algorithm)?;
    let document = info.decrypt(passphrase).map_err(|_| {
        err!(
            KeyDecryptionFailed,
            "the private key did not decrypt: wrong passphrase?"
        )
    })?;
    let plain = Zeroizing::new(document.as_bytes().to_vec());
    // AES-CBC padding happens to be valid for about one wrong passphrase in
    // 256; the garbage inside is then not a PrivateKeyInfo.
    if pkcs8::PrivateKeyInfo::from_der(&plain).is_err() {
        bail!(
            KeyDecryptionFailed,
            "the private key did not decrypt: wrong passphrase?"
        );
    }
    Ok(plain)
}

fn check_scheme(scheme: &EncryptionScheme<'_>) -> Result<()> {
    let Some(pbes2) = scheme.pbes2() else {
        bail!(
            NotSupported,
            "the key is encrypted with PBES1 (an old DES/RC2 scheme); re-encrypt it with \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-pbes2.pem`"
        );
    };
    match &pbes2.kdf {
        Kdf::Pbkdf2(params) => {
            if params.iteration_count > MAX_PBKDF2_ITERATIONS {
                bail!(
                    NotSupported,
                    "the key asks for {} PBKDF2 iterations, more than the limit of {MAX_PBKDF2_ITERATIONS}",
                    params.iteration_count
                );
            }
        }
        Kdf::Scrypt(params) => {
            let memory = 128u64
                .saturating_mul(u64::from(params.block_size))
                .saturating_mul(params.cost_parameter);
            let work = memory.saturating_mul(u64::from(params.parallelization));
            if memory > MAX_SCRYPT_MEMORY_BYTES || work > 4 * MAX_SCRYPT_MEMORY_BYTES {
                bail!(
                    NotSupported,
                    "the key's scrypt parameters (N={}, r={}, p={}) need more than the limit of {} MiB",
                    params.cost_parameter,
                    params.block_size,
                    params.parallelization,
                    MAX_SCRYPT_MEMORY_BYTES / (1024 * 1024)
                );
            }
        }
        _ => bail!(NotSupported, "unsupported PBES2 key derivation function"),
    }
    Ok(())
}

impl Key {
    /// This private key as encrypted PKCS#8 DER (PBES2, PBKDF2-HMAC-SHA256,
    /// AES-256-CBC), with salt and IV from `rng`.
    pub fn to_encrypted_pkcs8_der_with_rng<R: CryptoRng + RngCore>(
        &self,
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        if passphrase.is_empty() {
            bail!(InvalidArgument, "the passphrase cannot be empty");
        }
        let plain = self.to_der(PemFormat::Pkcs8)?;
        let info = pkcs8::PrivateKeyInfo::from_der(&plain)
            .map_err(|e| err!(DerInvalid, "PKCS#8 encoding failed: {e}"))?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rng.try_fill_bytes(&mut salt)
            .and_then(|()| rng.try_fill_bytes(&mut iv))
            .map_err(|e| err!(RandomnessUnavailable, "randomness source failed: {e}"))?;
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
                .map_err(|e| err!(InvalidArgument, "PBES2 parameters: {e}"))?;
        let document = info
            .encrypt_with_params(params, passphrase)
            .map_err(|e| err!(DerInvalid, "encrypting the private key failed: {e}"))?;
        Ok(document.as_bytes().to_vec())
    }

    /// This private key as an `ENCRYPTED PRIVATE KEY` PEM block (see
    /// [`Key::to_encrypted_pkcs8_der_with_rng`]), with the system's randomness.
    #[cfg(feature = "std")]
    pub fn to_encrypted_pem(&self, passphrase: &[u8]) -> Result<alloc::string::String> {
        super::generate::ensure_os_randomness()?;
        let der = self.to_encrypted_pkcs8_der_with_rng(passphrase, &mut rand_core::OsRng)?;
        Ok(super::pem::encode_pem("ENCRYPTED PRIVATE KEY", &der))
    }
}
