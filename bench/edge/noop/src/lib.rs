//! The cheapest proxy-wasm HTTP filter: every request continues at once.
//!
//! `make bench-edge` runs it beside jwt-edge, built and stripped of unused
//! exports the same way, to show what being a proxy-wasm filter costs Envoy
//! per request before any work is done: the floor under jwt-edge's rows.

#![forbid(unsafe_code)]

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(NoopRoot) });
}}

struct NoopRoot;

impl Context for NoopRoot {}

impl RootContext for NoopRoot {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Noop))
    }
}

/// Every callback keeps the SDK's default: continue.
struct Noop;

impl Context for Noop {}

impl HttpContext for Noop {}
