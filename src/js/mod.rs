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
//!
//! The same bindings build two modules (mk/js.mk): the keys module (feature
//! `js`: everything, with the `arithmetic` core) and the tokens module
//! (feature `js-tokens` alone: no key arithmetic, signatures by the host; what
//! it cannot do fails with the internal `ERR_KEYS_MODULE_REQUIRED`, see
//! [`keys_module`], and the wrapper retries in the keys module).

#[cfg(feature = "arithmetic")]
mod certs;
mod dpop;
mod errors;
mod host;
mod keys;
#[cfg(not(feature = "arithmetic"))]
mod keys_module;
mod ops;
mod options;
mod pending;
