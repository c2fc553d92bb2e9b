//! The Envoy filter's configuration parsing: any text Envoy hands the
//! filter must give a configuration or a `ConfigError`, never a panic (a
//! panic kills the Wasm VM). An accepted configuration is then exercised by
//! matching a few requests against its rules.
#![no_main]

use jwt_edge::filter::config::Config;
use jwt_edge::filter::request::find_rule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    for (method, path) in [
        ("GET", "/"),
        ("POST", "/admin/x?y=1"),
        ("", ""),
        ("GET", "/health#frag"),
    ] {
        let _ = find_rule(&config, method, path);
    }
    let _ = config.has_remote();
});
