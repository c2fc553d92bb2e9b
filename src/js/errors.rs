//! Core errors as plain JavaScript objects, and the face's input limits.

use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use crate::error::{Error, ErrorCode};

/// What every exported function returns.
pub type JsResult<T> = core::result::Result<T, JsValue>;

/// The longest JSON or PEM text the face accepts (keys, JWKS, payloads,
/// options). Real inputs are a few kilobytes; a larger one is refused before
/// any parsing so that hostile input costs nothing.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// A plain JavaScript object of string properties, in `members` order;
/// `None` leaves the property out. Built with `js_sys` directly: the objects
/// the face returns are flat, and serde-wasm-bindgen's serializer would cost
/// the tokens module several kilobytes for them.
pub fn plain_object(members: &[(&str, Option<&str>)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in members {
        if let Some(value) = value {
            // Setting a property of a fresh plain object cannot throw: it
            // has no setters and is not frozen.
            let _ =
                js_sys::Reflect::set(&object, &JsValue::from_str(name), &JsValue::from_str(value));
        }
    }
    object.into()
}

/// The `{ code, message, claim?, reason? }` object the wrapper turns into a
/// `JwtEdgeError`.
pub fn to_js(error: Error) -> JsValue {
    plain_object(&[
        ("code", Some(error.code().as_str())),
        ("message", Some(error.message())),
        ("claim", error.claim_name()),
        ("reason", error.reason().map(|reason| reason.as_str())),
    ])
}

/// Shorthand: core result to JavaScript result.
pub fn js<T>(result: crate::error::Result<T>) -> JsResult<T> {
    result.map_err(to_js)
}

/// Refuses text over [`MAX_INPUT_BYTES`] (or the token limit) with the code
/// the core uses for oversized input of that kind.
pub fn check_size(text: &str, what: &str) -> crate::error::Result<()> {
    check_length(text.len(), what)
}

fn check_length(len: usize, what: &str) -> crate::error::Result<()> {
    if len > MAX_INPUT_BYTES {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            alloc::format!("{what} is {len} bytes, more than the limit of {MAX_INPUT_BYTES}"),
        ));
    }
    Ok(())
}

/// The input limits, so that the wrapper can refuse a huge string before
/// copying it into wasm memory: `[maxInputBytes, maxTokenBytes]`.
#[wasm_bindgen(js_name = inputLimits)]
pub fn input_limits() -> Vec<u32> {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    alloc::vec![
        clamp(MAX_INPUT_BYTES),
        clamp(crate::jws::DEFAULT_MAX_TOKEN_BYTES)
    ]
}

/// The error for an input the wrapper found too long before copying it:
/// `ERR_JWT_TOO_LARGE` for a token, `ERR_INVALID_ARGUMENT` otherwise. The
/// length is in UTF-16 code units, a lower bound of its UTF-8 length.
#[wasm_bindgen(js_name = oversizedInput)]
pub fn oversized_input(what: &str, length: f64, token: bool) -> JsValue {
    // f64 -> usize saturates; a length is never negative or fractional.
    let len = length as usize;
    if token {
        let max = crate::jws::DEFAULT_MAX_TOKEN_BYTES;
        return to_js(Error::new(
            ErrorCode::TokenTooLarge,
            alloc::format!("the token is at least {len} bytes, more than the limit of {max}"),
        ));
    }
    match check_length(len, what) {
        Err(error) => to_js(error),
        Ok(()) => to_js(Error::new(
            ErrorCode::InvalidArgument,
            alloc::format!("{what} is too large"),
        )),
    }
}

/// Every error code of the core, for the wrapper's documentation and tests
/// (not the internal `ERR_KEYS_MODULE_REQUIRED`, which the wrapper handles).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<JsValue> {
    ErrorCode::ALL
        .iter()
        .filter(|code| **code != ErrorCode::KeysModuleRequired)
        .map(|code| JsValue::from_str(code.as_str()))
        .collect()
}
