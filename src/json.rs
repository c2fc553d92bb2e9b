//! JSON parsing with the limits every untrusted document gets.

use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};

/// The deepest nesting of arrays and objects accepted in any JSON input.
/// Real JWTs, JWKs and JWKS nest three or four levels; the bound keeps
/// hostile input from costing stack or time.
pub const MAX_JSON_DEPTH: usize = 32;

/// A JSON value's kind, for messages ("a string", "an object"...).
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses untrusted JSON text, reporting malformed input with `code`.
pub fn parse(text: &str, code: ErrorCode, what: &str) -> Result<Value> {
    check_depth(text.as_bytes(), what)?;
    serde_json::from_str(text)
        .map_err(|e| Error::new(code, alloc::format!("{what} is not valid JSON: {e}")))
}

/// Parses untrusted JSON bytes (a decoded JWS segment), which must be UTF-8.
pub fn parse_bytes(bytes: &[u8], code: ErrorCode, what: &str) -> Result<Value> {
    check_depth(bytes, what)?;
    serde_json::from_slice(bytes)
        .map_err(|e| Error::new(code, alloc::format!("{what} is not valid JSON: {e}")))
}

/// Rejects documents nesting deeper than [`MAX_JSON_DEPTH`] before the
/// parser sees them. Brackets inside strings do not count.
fn check_depth(bytes: &[u8], what: &str) -> Result<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::new(
                        ErrorCode::JsonTooDeep,
                        alloc::format!("{what} nests deeper than {MAX_JSON_DEPTH} levels"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}
