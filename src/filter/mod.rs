//! The Envoy HTTP filter (proxy-wasm, `wasm32-wasip1`): bearer-token
//! enforcement with jwt_authn-compatible configuration.
//!
//! Token and key work is the core's (`policy::verify_with`, `gateway`);
//! this module holds the proxy glue ([`glue`], wasm only), the
//! configuration, rule matching, header building, the verified-token cache
//! and the remote-JWKS bookkeeping, all testable natively
//! (`cargo test --features filter`).

// The glue, which uses most of these items, only exists on wasm.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod cache;
pub mod config;
pub mod dpop_state;
pub mod introspect_state;
pub mod native;
pub mod pipeline;
pub mod remote;
pub mod request;
pub mod respond;

#[cfg(target_arch = "wasm32")]
mod callouts;
#[cfg(target_arch = "wasm32")]
mod glue;

#[cfg(test)]
mod tests;
