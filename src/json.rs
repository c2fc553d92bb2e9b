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
///
/// Read as bytes, as [`parse_bytes`] reads: one instance of serde_json's
/// parser (a `from_str` one too would cost the WebAssembly modules some
/// 10 KB), with the same results and messages for text, which is UTF-8.
pub fn parse(text: &str, code: ErrorCode, what: &str) -> Result<Value> {
    parse_bytes(text.as_bytes(), code, what)
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

/// A decimal number (`12`, `1.5`, `.5`, `2.`, `1e3`, signed) as f64, read by
/// serde_json's number parser. `str::parse::<f64>` would bring core's exact
/// float parser and its 10 KB power-of-five table into the WebAssembly
/// modules for durations and a lint hint, which need no last-bit precision.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let (sign, digits) = match text.strip_prefix(['-', '+']) {
        Some(rest) => (&text[..1], rest),
        None => ("", text),
    };
    let (whole, rest) = digits.split_at(
        digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len()),
    );
    // JSON wants one leading digit, no superfluous zeros, and digits after
    // a point; Rust's grammar (which this keeps) allows all three.
    let has_fraction = rest
        .strip_prefix('.')
        .is_some_and(|fraction| fraction.starts_with(|c: char| c.is_ascii_digit()));
    if whole.is_empty() && !has_fraction {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let rest = match rest.strip_prefix('.') {
        Some(fraction) if fraction.starts_with(|c: char| c.is_ascii_digit()) => rest,
        // `2.` and `2.e3`: the point goes; anything else after it is no number.
        Some(fraction) if fraction.is_empty() || fraction.starts_with(['e', 'E']) => fraction,
        Some(_) => return None,
        None => rest,
    };
    let sign = if sign == "-" { "-" } else { "" };
    serde_json::from_slice::<f64>(alloc::format!("{sign}{whole}{rest}").as_bytes()).ok()
}

/// A number of seconds for a message: whole values without a fraction,
/// others as JSON writes them (without core's float formatting, which costs
/// the WebAssembly modules some 15 KB).
pub(crate) fn number_text(value: f64) -> alloc::string::String {
    use alloc::string::ToString;
    if value.is_finite() && value.abs() < 9.0e15 && value == (value as i64) as f64 {
        return (value as i64).to_string();
    }
    serde_json::Number::from_f64(value).map_or_else(|| "?".into(), |n| n.to_string())
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn parse_f64_reads_what_rust_reads() {
        for text in [
            "12", "1.5", ".5", "2.", "007", "0.25", "1e3", "-3", "+4", "1.5e2", "0",
        ] {
            assert_eq!(parse_f64(text), text.parse::<f64>().ok(), "{text}");
        }
        for text in ["", ".", "abc", "1..2", "1.5.", "--1", "1e", "e5", " 1"] {
            assert_eq!(parse_f64(text), None, "{text}");
        }
    }

    #[test]
    fn number_text_drops_a_whole_value_fraction() {
        assert_eq!(number_text(3600.0), "3600");
        assert_eq!(number_text(-2.0), "-2");
        assert_eq!(number_text(1.5), "1.5");
    }
}
