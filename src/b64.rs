//! base64url (RFC 4648 section 5, unpadded) and standard base64, via base64ct.

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

/// Encodes bytes as padded standard base64 (the `x5c` encoding).
pub fn encode_std(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// Decodes padded standard base64 (the `x5c` encoding).
pub fn decode_std(text: &str, code: ErrorCode, what: &str) -> Result<Vec<u8>> {
    Base64::decode_vec(text)
        .map_err(|_| Error::new(code, alloc::format!("{what} is not valid base64")))
}
