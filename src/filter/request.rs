//! The request as the filter sees it, rule matching and token extraction.
//! Host-independent: the proxy glue implements [`Request`] over Envoy's
//! header map, the tests over a list of pairs.

use std::string::{String, ToString};

use super::config::{Config, Location, Matcher, PathMatch, Provider, Rule};

/// Read access to the request headers (pseudo-headers included:
/// `:path`, `:method`, `:authority`). Names are lower-case.
pub trait Request {
    /// The value of a header, if present.
    fn header(&self, name: &str) -> Option<String>;
}

/// The request path without query string or fragment.
pub fn path_only(path: &str) -> &str {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    &path[..end]
}

/// True if `matcher` applies to `method` and `path` (query removed).
pub fn matches(matcher: &Matcher, method: &str, path: &str) -> bool {
    let path = path_only(path);
    let path_ok = match &matcher.path {
        PathMatch::Prefix(prefix) => path.starts_with(prefix.as_str()),
        PathMatch::Exact(exact) => path == exact,
    };
    path_ok
        && (matcher.methods.is_empty()
            || matcher
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method)))
}

/// The first rule matching the request, with its index.
pub fn find_rule<'c>(config: &'c Config, method: &str, path: &str) -> Option<(usize, &'c Rule)> {
    config
        .rules
        .iter()
        .enumerate()
        .find(|(_, rule)| matches(&rule.matcher, method, path))
}

/// A token found in the request, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundToken<'c> {
    /// The token text (prefix removed, trimmed).
    pub token: String,
    /// The header it came from, if it came from a header.
    pub header: Option<&'c str>,
}

/// Looks for `provider`'s token in its locations, in order. A header without
/// the expected prefix, or an empty value, counts as no token there.
pub fn find_token<'c>(provider: &'c Provider, request: &dyn Request) -> Option<FoundToken<'c>> {
    for location in &provider.locations {
        let found = match location {
            Location::Header { name, prefix } => request
                .header(name)
                .and_then(|value| token_after_prefix(value, prefix))
                .map(|token| FoundToken {
                    token,
                    header: Some(name.as_str()),
                }),
            Location::Param(param) => request
                .header(":path")
                .and_then(|path| query_param(&path, param))
                .map(|token| FoundToken {
                    token,
                    header: None,
                }),
            Location::Cookie(cookie) => request
                .header("cookie")
                .and_then(|cookies| cookie_value(&cookies, cookie))
                .map(|token| FoundToken {
                    token,
                    header: None,
                }),
        };
        if let Some(found) = found.filter(|found| !found.token.is_empty()) {
            return Some(found);
        }
    }
    None
}

/// The token in a header value (see [`strip_prefix_ignore_case`]), reusing
/// the value's buffer when nothing surrounds the token.
fn token_after_prefix(value: String, prefix: &str) -> Option<String> {
    let token = strip_prefix_ignore_case(&value, prefix)?;
    if token.len() + prefix.len() == value.len() {
        let mut value = value;
        value.drain(..prefix.len());
        return Some(value);
    }
    Some(token.to_string())
}

/// `value` after `prefix` (ASCII case-insensitive: RFC 9110 auth schemes
/// are), trimmed. `None` if the value does not start with the prefix.
pub fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let value = value.trim_start();
    let head = value.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    value.get(prefix.len()..).map(str::trim)
}

/// The first value of query parameter `name` in a request path.
pub fn query_param(path: &str, name: &str) -> Option<String> {
    let start = path.find('?')? + 1;
    let query = &path[start..];
    let query = &query[..query.find('#').unwrap_or(query.len())];
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"').to_string())
    })
}
