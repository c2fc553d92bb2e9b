//! The `htu` comparison form of an HTTP URI (RFC 9449 section 4.3 step 9,
//! RFC 3986 section 6.2.2): scheme and host lower-cased, the default port
//! dropped, an empty path made `/`, percent-encodings upper-cased, query and
//! fragment removed. The path is otherwise compared exactly (no dot-segment
//! removal, no decoding): two paths a server could route differently never
//! compare equal.
//!
//! Only `http` and `https` URIs with a host are accepted, and no userinfo:
//! an `htu` names the resource a request is sent to, nothing else.

use alloc::string::String;

use crate::error::{bail, Result};

/// The normalised `htu` form of an absolute `http`/`https` URI. Fails with
/// `ERR_INVALID_ARGUMENT` when `uri` is not one; callers checking a proof
/// turn that into their own code.
pub fn normalize(uri: &str) -> Result<String> {
    let Some((scheme, rest)) = uri.split_once("://") else {
        bail!(InvalidArgument, "{uri:?} is not an absolute http(s) URI");
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => bail!(
            InvalidArgument,
            "the URI scheme {scheme:?} is not http or https"
        ),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let path_end = after.find(['?', '#']).unwrap_or(after.len());
    let path = &after[..path_end];
    let (host, port) = split_authority(authority)?;
    let mut out = String::with_capacity(uri.len());
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&host.to_ascii_lowercase());
    if let Some(port) = port.filter(|port| *port != default_port) {
        out.push(':');
        out.push_str(port);
    }
    if path.is_empty() {
        out.push('/');
    } else {
        push_path(&mut out, path)?;
    }
    Ok(out)
}

/// The request's `htu` from the parts a proxy sees: `:scheme`,
/// `:authority` and `:path` (which may carry a query; it is dropped).
pub fn from_parts(scheme: &str, authority: &str, path: &str) -> Result<String> {
    if !path.is_empty() && !path.starts_with('/') {
        bail!(
            InvalidArgument,
            "the request path {path:?} must start with /"
        );
    }
    normalize(&alloc::format!("{scheme}://{authority}{path}"))
}

/// The request's `htu` when the server sits behind another proxy: the
/// public base URL the clients use (for example `https://api.example.com`,
/// possibly with a path prefix) followed by the request's path.
pub fn from_base(public_base_url: &str, path: &str) -> Result<String> {
    if !path.is_empty() && !path.starts_with('/') {
        bail!(
            InvalidArgument,
            "the request path {path:?} must start with /"
        );
    }
    let base = normalize(public_base_url)?;
    if public_base_url.contains(['?', '#']) {
        bail!(
            InvalidArgument,
            "the public base URL {public_base_url:?} must not have a query or fragment"
        );
    }
    // The normalised base ends in `/` at least; the path brings its own.
    let base = base.trim_end_matches('/');
    normalize(&alloc::format!("{base}{path}"))
}

/// Splits `host[:port]` (an IPv6 literal in brackets allowed) and checks
/// the pieces: a non-empty host of URI characters, a numeric port.
fn split_authority(authority: &str) -> Result<(&str, Option<&str>)> {
    if authority.contains('@') {
        bail!(InvalidArgument, "an htu URI must not carry userinfo");
    }
    let (host, port) = if authority.starts_with('[') {
        let Some(close) = authority.find(']') else {
            bail!(
                InvalidArgument,
                "unterminated IPv6 literal in {authority:?}"
            );
        };
        let (host, rest) = authority.split_at(close + 1);
        match rest {
            "" => (host, None),
            _ => match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => bail!(
                    InvalidArgument,
                    "unexpected text after the host in {authority:?}"
                ),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=[]:".contains(&byte));
    if !host_ok {
        bail!(InvalidArgument, "{authority:?} is not a valid URI host");
    }
    // An empty port means the default (RFC 3986 section 6.2.3).
    let port = match port {
        None | Some("") => None,
        Some(port) => {
            let number: u16 = match port.parse() {
                Ok(number) if port.bytes().all(|byte| byte.is_ascii_digit()) => number,
                _ => bail!(InvalidArgument, "{port:?} is not a valid port"),
            };
            // Leading zeros say nothing: `:0443` is port 443.
            Some(&port[port.len() - digits(number)..])
        }
    };
    Ok((host, port))
}

fn digits(mut number: u16) -> usize {
    let mut count = 1;
    while number >= 10 {
        number /= 10;
        count += 1;
    }
    count
}

/// Copies a path, upper-casing the hex digits of percent-encodings (RFC
/// 3986 section 6.2.2.1) and refusing characters a URI cannot hold.
fn push_path(out: &mut String, path: &str) -> Result<()> {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(high), Some(low)) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                    out.push('%');
                    out.push(high.to_ascii_uppercase() as char);
                    out.push(low.to_ascii_uppercase() as char);
                    i += 3;
                    continue;
                }
                _ => bail!(
                    InvalidArgument,
                    "the path {path:?} has a malformed %-encoding"
                ),
            }
        }
        if !(byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte)) {
            bail!(
                InvalidArgument,
                "the path {path:?} has a character a URI must percent-encode"
            );
        }
        out.push(byte as char);
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_what_rfc_3986_calls_equivalent() {
        let same = [
            "https://api.example.com/a/b",
            "HTTPS://API.Example.COM/a/b",
            "https://api.example.com:443/a/b",
            "https://api.example.com:0443/a/b",
            "https://api.example.com:/a/b",
            "https://api.example.com/a/b?x=1",
            "https://api.example.com/a/b#frag",
            "https://api.example.com/a/b?x=1#frag",
        ];
        for uri in same {
            assert_eq!(
                normalize(uri).unwrap(),
                "https://api.example.com/a/b",
                "{uri}"
            );
        }
        assert_eq!(normalize("http://h:80").unwrap(), "http://h/");
        assert_eq!(normalize("http://h?q").unwrap(), "http://h/");
        assert_eq!(normalize("http://h:8080/x").unwrap(), "http://h:8080/x");
        assert_eq!(normalize("https://h:80/").unwrap(), "https://h:80/");
        assert_eq!(normalize("https://[::1]:443/p").unwrap(), "https://[::1]/p");
        assert_eq!(normalize("https://h/%7e%2f").unwrap(), "https://h/%7E%2F");
    }

    #[test]
    fn keeps_path_differences() {
        let base = normalize("https://h/a/b").unwrap();
        for other in [
            "https://h/A/b",
            "https://h/a/b/",
            "https://h/a/./b",
            "https://h/a//b",
        ] {
            assert_ne!(normalize(other).unwrap(), base, "{other}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_http_uri() {
        for uri in [
            "/relative",
            "api.example.com/x",
            "ftp://h/",
            "https:///x",
            "https://user@h/",
            "https://h:99999/",
            "https://h:+1/",
            "https://h/a b",
            "https://h/%zz",
            "https://h/\u{e9}",
            "https://[::1/",
        ] {
            assert!(normalize(uri).is_err(), "{uri}");
        }
    }

    #[test]
    fn builds_from_proxy_parts() {
        assert_eq!(
            from_parts("https", "API.example.com:443", "/v1/items?page=2").unwrap(),
            "https://api.example.com/v1/items"
        );
        assert_eq!(
            from_base("https://api.example.com/", "/v1/items?x").unwrap(),
            "https://api.example.com/v1/items"
        );
        assert_eq!(
            from_base("https://api.example.com/prefix", "/v1").unwrap(),
            "https://api.example.com/prefix/v1"
        );
        assert!(from_parts("https", "h", "v1").is_err());
        assert!(from_base("https://h/?q", "/v1").is_err());
    }
}
