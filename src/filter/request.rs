//! The request as the filter sees it, rule matching and token extraction.
//! Host-independent: the proxy glue implements [`Request`] over Envoy's
//! header map, the tests over a list of pairs.

use core::fmt;
use std::borrow::Cow;
use std::string::{String, ToString};
use std::vec::Vec;

use super::config::{Config, Location, Matcher, PathMatch, Rule};
use crate::dpop::AuthScheme;

/// Read access to the request headers (pseudo-headers included:
/// `:path`, `:method`, `:authority`). Names are lower-case.
pub trait Request {
    /// The value of a header, if present.
    fn header(&self, name: &str) -> Option<String>;

    /// Every value of a header that may be sent more than once, in order.
    /// The default suits hosts that join repeated headers into one value.
    fn header_values(&self, name: &str) -> Vec<String> {
        self.header(name).into_iter().collect()
    }
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

/// Where a token was found: what a denial's log line names, and what
/// `forward: false` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'c> {
    /// A request header (lower-case name) and the prefix the token
    /// followed (`Bearer `, `DPoP `...).
    Header(&'c str, &'c str),
    /// A query parameter of `:path`.
    Param(&'c str),
    /// A cookie of the `cookie` header.
    Cookie(&'c str),
}

impl Place<'_> {
    /// The `Authorization` scheme the token came with: `DPoP` only after a
    /// `DPoP ` prefix; a query parameter or cookie is a bearer token.
    pub fn scheme(&self) -> AuthScheme {
        match self {
            Self::Header(_, prefix) if prefix.trim().eq_ignore_ascii_case("DPoP") => {
                AuthScheme::Dpop
            }
            _ => AuthScheme::Bearer,
        }
    }
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name, _) => write!(f, "header {name:?}"),
            Self::Param(name) => write!(f, "query parameter {name:?}"),
            Self::Cookie(name) => write!(f, "cookie {name:?}"),
        }
    }
}

/// One distinct token of the request: the same text found in several
/// places is one token, checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'c> {
    /// The token text (prefix removed, trimmed, never empty).
    pub token: String,
    /// Every place it was found, in the order the locations were read.
    pub places: Vec<Place<'c>>,
    /// The providers (indices, ascending) that read one of those places.
    pub providers: Vec<usize>,
}

/// Every token in every location of `providers` (indices into
/// `config.providers`), deduplicated by text. `path` is the request's
/// `:path`. An empty value, or a header without the location's prefix,
/// is no token there; a location that repeats (a header sent twice, a
/// parameter or cookie named twice) yields each of its values, so that
/// no second value can slip past to an upstream that reads it.
pub fn collect_tokens<'c>(
    config: &'c Config,
    providers: &[usize],
    request: &dyn Request,
    path: &str,
) -> Vec<Candidate<'c>> {
    let mut found: Vec<Candidate<'c>> = Vec::new();
    let mut cookies: Option<Vec<String>> = None;
    for &index in providers {
        let Some(provider) = config.providers.get(index) else {
            continue;
        };
        for location in &provider.locations {
            match location {
                Location::Header { name, prefix } => {
                    for value in request.header_values(name) {
                        if let Some(token) = token_after_prefix(value, prefix) {
                            add(&mut found, token, Place::Header(name, prefix), index);
                        }
                    }
                }
                Location::Param(param) => {
                    for (_, key, value) in query_pairs(path) {
                        if key == param.as_str() {
                            add(&mut found, value.into_owned(), Place::Param(param), index);
                        }
                    }
                }
                Location::Cookie(cookie) => {
                    let headers = cookies.get_or_insert_with(|| request.header_values("cookie"));
                    for header in headers.iter() {
                        for (key, value) in cookie_pairs(header) {
                            if key == cookie.as_str() {
                                add(
                                    &mut found,
                                    unquote(value).to_string(),
                                    Place::Cookie(cookie),
                                    index,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    found
}

/// Records `token` at `place` for `provider`, merging it with the same text
/// found before.
fn add<'c>(found: &mut Vec<Candidate<'c>>, token: String, place: Place<'c>, provider: usize) {
    if token.is_empty() {
        return;
    }
    match found.iter_mut().find(|candidate| candidate.token == token) {
        Some(candidate) => {
            if !candidate.places.contains(&place) {
                candidate.places.push(place);
            }
            if !candidate.providers.contains(&provider) {
                candidate.providers.push(provider);
                candidate.providers.sort_unstable();
            }
        }
        None => found.push(Candidate {
            token,
            places: std::vec![place],
            providers: std::vec![provider],
        }),
    }
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

// ------------------------------------------------------------- query ----

/// The query of a request path (after `?`, before any `#`), and where it
/// starts and ends in `path`.
fn query_span(path: &str) -> Option<(usize, usize)> {
    let start = path.find('?')? + 1;
    let end = path[start..]
        .find('#')
        .map_or(path.len(), |end| start + end);
    Some((start, end))
}

/// The query's parameters: (raw segment, decoded name, decoded value).
/// Segments are split at `&` and at `;` (some servers still take `;` as a
/// separator: a token behind one must not go unseen).
pub fn query_pairs(path: &str) -> impl Iterator<Item = (&str, Cow<'_, str>, Cow<'_, str>)> {
    let query = query_span(path).map_or("", |(start, end)| &path[start..end]);
    query
        .split(['&', ';'])
        .filter(|segment| !segment.is_empty())
        .filter_map(|segment| {
            form_urlencoded::parse(segment.as_bytes())
                .next()
                .map(|(key, value)| (segment, key, value))
        })
}

/// The first value of query parameter `name` in a request path.
pub fn query_param(path: &str, name: &str) -> Option<String> {
    query_pairs(path)
        .find(|(_, key, _)| key == name)
        .map(|(_, _, value)| value.into_owned())
}

/// `path` without the parameters `(name, token)` names (compared decoded),
/// every other byte kept as it was; `None` if none is there. A query left
/// empty loses its `?`.
pub fn path_without(path: &str, remove: &[(&str, &str)]) -> Option<String> {
    let (start, end) = query_span(path)?;
    let query = &path[start..end];
    let drop = |segment: &str| {
        form_urlencoded::parse(segment.as_bytes())
            .next()
            .is_some_and(|(key, value)| {
                remove
                    .iter()
                    .any(|(name, token)| key == *name && value == *token)
            })
    };
    // A kept segment keeps the separator before it, except the first one
    // kept, which needs none.
    let mut kept = String::with_capacity(query.len());
    let mut dropped = false;
    let mut first = true;
    for (separator, segment) in segments(query) {
        if !segment.is_empty() && drop(segment) {
            dropped = true;
            continue;
        }
        if !first {
            kept.push_str(separator);
        }
        kept.push_str(segment);
        first = false;
    }
    if !dropped {
        return None;
    }
    let mut rewritten = String::with_capacity(path.len());
    rewritten.push_str(&path[..start - 1]);
    if !kept.is_empty() {
        rewritten.push('?');
        rewritten.push_str(&kept);
    }
    rewritten.push_str(&path[end..]);
    Some(rewritten)
}

/// The query's segments, each with the separator before it (`""` for the
/// first).
fn segments(query: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = Some(query);
    let mut separator = "";
    core::iter::from_fn(move || {
        let text = rest?;
        let before = separator;
        match text.find(['&', ';']) {
            Some(at) => {
                separator = &text[at..=at];
                rest = Some(&text[at + 1..]);
                Some((before, &text[..at]))
            }
            None => {
                rest = None;
                Some((before, text))
            }
        }
    })
}

// ----------------------------------------------------------- cookies ----

/// The `name=value` pairs of a `cookie` header value, names trimmed.
fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').filter_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        Some((key.trim(), value.trim()))
    })
}

/// A cookie value without its optional double quotes (RFC 6265 4.1.1).
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    cookie_pairs(header)
        .find(|(key, _)| *key == name)
        .map(|(_, value)| unquote(value).to_string())
}

/// The `cookie` header without the cookies `(name, token)` names, the other
/// pairs kept as sent (joined with `; `); `None` if none is there. Several
/// `cookie` values (HTTP/2 may split them) become one. `Some("")` means no
/// cookie is left: remove the header.
pub fn cookie_without(headers: &[String], remove: &[(&str, &str)]) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    let mut dropped = false;
    for header in headers {
        for pair in header.split(';') {
            let trimmed = pair.trim();
            let removed = trimmed.split_once('=').is_some_and(|(key, value)| {
                remove
                    .iter()
                    .any(|(name, token)| key.trim() == *name && unquote(value.trim()) == *token)
            });
            if removed {
                dropped = true;
            } else if !trimmed.is_empty() {
                kept.push(trimmed);
            }
        }
    }
    dropped.then(|| kept.join("; "))
}
