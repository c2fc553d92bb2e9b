//! The npm package's face: wasm-bindgen exports that translate JavaScript
//! values into core calls and the results back.
//!
//! No token or key logic lives here. The JavaScript wrapper (`npm/src`)
//! hands over JSON text and strings; these functions parse them with the
//! core's depth-limited parser, call the core, and return JSON text or small
//! plain objects. Every failure becomes a plain `{ code, message, claim,
//! reason }` object that the wrapper rethrows as a `JwtEdgeError`; nothing
//! here panics on any input (a panic would poison the wasm instance).
//!
//! Signatures go through the core's [`crate::crypto::CryptoProvider`]:
//! - pure wasm ([`host::WasmCrypto`], the RustCrypto backend);
//! - a synchronous host such as Node's `crypto` ([`host::HostProvider`]),
//!   called back from inside the core's own `verify_with` / `sign_with`;
//! - an asynchronous host such as WebCrypto: [`pending`] runs the core once
//!   to learn what must be signed or checked, the wrapper awaits the host,
//!   and the core runs again with the host's answer.

mod certs;
mod dpop;
mod errors;
mod host;
mod keys;
mod ops;
mod options;
mod pending;
