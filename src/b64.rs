//! base64url (RFC 4648 section 5, unpadded) and standard base64.
//!
//! Key material (JWK members, secrets) goes through base64ct, whose decoder
//! runs in constant time. Token segments are public bytes, so they take
//! `base64`'s table decoder, several times faster, with the same strictness.

use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};

use crate::error::{Error, ErrorCode, Result};

/// Encodes bytes as unpadded base64url, as JOSE requires.
pub fn encode_url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url strictly (no padding, no whitespace, canonical
/// trailing bits). `what` names the field for the error message.
pub fn decode_url(text: &str, code: ErrorCode, what: &str) -> Result<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text)
        .map_err(|_| Error::new(code, alloc::format!("{what} is not valid base64url")))
}

/// [`decode_url`] for public data (a token's header, payload and
/// signature): no padding, canonical trailing bits, not constant time.
pub fn decode_url_public(text: &str, code: ErrorCode, what: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::new(code, alloc::format!("{what} is not valid base64url")))
}

/// Encodes bytes as padded standard base64 (the `x5c` encoding).
pub fn encode_std(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

#[cfg(feature = "arithmetic")]
/// Decodes padded standard base64 (the `x5c` encoding).
pub fn decode_std(text: &str, code: ErrorCode, what: &str) -> Result<Vec<u8>> {
    Base64::decode_vec(text)
        .map_err(|_| Error::new(code, alloc::format!("{what} is not valid base64")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both decoders accept and refuse the same texts: the fast one is not
    /// more lenient (padding, trailing bits, alphabet, whitespace).
    #[test]
    fn public_decoder_is_as_strict_as_the_constant_time_one() {
        let cases = [
            "", "QQ", "QUI", "QUJD", "QR", "QUJ", "QQ==", "QQ=", "Q", "QUJDR", "a+b/", "a-b_",
            "QU JD", "QUJD\n", "_-_-", "____", "AAAA", "AA", "AAE", "AAF", "AQ", "AR",
        ];
        for case in cases {
            let slow = decode_url(case, ErrorCode::JwsInvalid, "x").ok();
            let fast = decode_url_public(case, ErrorCode::JwsInvalid, "x").ok();
            assert_eq!(slow, fast, "{case:?}");
        }
    }
}
