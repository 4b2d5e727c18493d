//! Origins as the gateway reads them: `scheme://host[:port]`, normalized, or `null`.
//!
//! The syntax of a browser origin, shared by the config (each entry of
//! `gateway.controlUi.allowedOrigins` must parse, see [`super::validate`]) and by the web
//! layer's origin policy (`web::origin`), which decides which pages may call the gateway.

use std::fmt;
use std::net::Ipv6Addr;

/// `http` or `https` (the only schemes whose pages can call the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A normalized origin: lowercase scheme and host, the port always explicit (80/443 filled in),
/// IPv6 hosts in brackets; or the opaque `null` origin of sandboxed frames and `file://` pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Null,
    Site {
        scheme: Scheme,
        host: String,
        port: u16,
    },
}

/// Why a text is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OriginError {
    #[error("{0:?} is not an origin: it needs a scheme, e.g. \"https://pincer.example.com\"")]
    NoScheme(String),
    #[error("{0:?} is not an origin: only http and https pages can call the gateway")]
    Scheme(String),
    #[error("{0:?} is not an origin: an origin is scheme://host[:port], without path, query, fragment or user")]
    Extra(String),
    #[error("{0:?} is not an origin: the host is missing or invalid")]
    Host(String),
    #[error("{0:?} is not an origin: the port must be a number from 1 to 65535")]
    Port(String),
}

impl Origin {
    /// Parses an `Origin` header value or a config entry; a single trailing `/` is tolerated.
    pub(crate) fn parse(text: &str) -> Result<Origin, OriginError> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("null") {
            return Ok(Origin::Null);
        }
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return Err(OriginError::NoScheme(text.to_string()));
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(OriginError::Scheme(text.to_string())),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@', '\\']) || authority.contains(char::is_whitespace)
        {
            return Err(OriginError::Extra(text.to_string()));
        }
        let (host, port) = split_authority(authority).ok_or(OriginError::Host(text.to_string()))?;
        let port = match port {
            None => scheme.default_port(),
            Some(digits) => match digits.parse::<u16>() {
                Ok(port) if port > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => port,
                _ => return Err(OriginError::Port(text.to_string())),
            },
        };
        Ok(Origin::Site { scheme, host, port })
    }

    /// The host of a site origin.
    pub(crate) fn host(&self) -> Option<&str> {
        match self {
            Origin::Null => None,
            Origin::Site { host, .. } => Some(host),
        }
    }
}

impl fmt::Display for Origin {
    /// The serialized origin (default ports omitted), as browsers send it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Null => f.write_str("null"),
            Origin::Site { scheme, host, port } if *port == scheme.default_port() => {
                write!(f, "{}://{host}", scheme.as_str())
            }
            Origin::Site { scheme, host, port } => write!(f, "{}://{host}:{port}", scheme.as_str()),
        }
    }
}

/// Splits `host[:port]` (IPv6 in brackets), lowercasing and checking the host; `None` when the
/// host is empty or has characters no host name has.
pub(crate) fn split_authority(authority: &str) -> Option<(String, Option<&str>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        (host.to_ascii_lowercase(), port)
    };
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let valid = !name.is_empty()
        && host.len() <= 253
        && (host.starts_with('[')
            || name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    valid.then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(scheme: Scheme, host: &str, port: u16) -> Origin {
        Origin::Site {
            scheme,
            host: host.to_string(),
            port,
        }
    }

    #[test]
    fn origins_are_normalized() {
        use Scheme::*;
        for (text, expected) in [
            (
                "https://Pincer.Example.COM",
                site(Https, "pincer.example.com", 443),
            ),
            (
                "HTTPS://pincer.example.com:443",
                site(Https, "pincer.example.com", 443),
            ),
            (
                "https://pincer.example.com/",
                site(Https, "pincer.example.com", 443),
            ),
            ("http://127.0.0.1:18789", site(Http, "127.0.0.1", 18789)),
            ("http://localhost:80", site(Http, "localhost", 80)),
            ("http://LOCALHOST", site(Http, "localhost", 80)),
            ("http://[::1]:18789", site(Http, "[::1]", 18789)),
            ("http://[FE80::1]", site(Http, "[fe80::1]", 80)),
            ("null", Origin::Null),
            ("NULL", Origin::Null),
        ] {
            assert_eq!(Origin::parse(text), Ok(expected), "{text}");
        }
        assert_eq!(
            Origin::parse("https://pincer.example.com:443/").map(|o| o.to_string()),
            Ok("https://pincer.example.com".to_string())
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080").map(|o| o.to_string()),
            Ok("http://127.0.0.1:8080".to_string())
        );
    }

    #[test]
    fn what_is_not_an_origin_is_refused_with_the_reason() {
        for (text, kind) in [
            ("pincer.example.com", "scheme"),
            ("ftp://pincer.example.com", "http and https"),
            ("file:///etc/passwd", "http and https"),
            ("https://pincer.example.com/ui", "without path"),
            ("https://pincer.example.com?x=1", "without path"),
            ("https://user@pincer.example.com", "without path"),
            ("https://pincer.example.com//", "without path"),
            ("https://", "host"),
            ("https://:8080", "host"),
            ("https://exa mple.com", "without path"),
            ("https://evil.com%2f", "host"),
            ("http://[::1", "host"),
            ("http://[not-ip]:80", "host"),
            ("http://localhost:0", "port"),
            ("http://localhost:65536", "port"),
            ("http://localhost:+80", "port"),
            ("http://localhost:", "port"),
            ("", "scheme"),
        ] {
            let error = Origin::parse(text).expect_err(text).to_string();
            assert!(error.contains(kind), "{text}: {error}");
        }
    }
}
