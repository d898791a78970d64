//! The rules every request passes before any route sees it (a local server is
//! still a server):
//!
//! - **Host**: `localhost` or an IP address, with the studio's port (and a
//!   loopback address when the studio listens on loopback). A DNS name that a
//!   hostile page rebinds to 127.0.0.1 is refused, so the page cannot read
//!   the studio's answers (DNS rebinding).
//! - **Token**: the first path segment is the session's random token (128
//!   bits from the OS), compared in constant time. Every route, the page and
//!   its scripts included, lives under `/<token>/`, so relative URLs carry it.
//! - **Origin**: a request that names an origin (browsers do for `fetch` and
//!   form posts) must come from the studio's own origin; `Sec-Fetch-Site:
//!   cross-site` is refused too.
//!
//! Each failure is a 403 with a sentence saying which rule.

use std::net::{IpAddr, SocketAddr};

/// A fresh token: 128 random bits as 32 hex digits.
pub fn new_token() -> Result<String, String> {
    let a = getrandom::u64().map_err(|e| e.to_string())?;
    let b = getrandom::u64().map_err(|e| e.to_string())?;
    Ok(format!("{a:016x}{b:016x}"))
}

/// The checks of one studio.
#[derive(Debug)]
pub struct Guard {
    token: String,
    addr: SocketAddr,
}

/// Why a request was refused (the 403's text).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Host(String),
    Origin(String),
    Token,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Host(h) => write!(
                f,
                "forbidden: Host '{h}' is not this studio's address (open the URL gar studio printed)"
            ),
            Refusal::Origin(o) => write!(
                f,
                "forbidden: a page from '{o}' may not use this studio (cross-origin request)"
            ),
            Refusal::Token => f.write_str(
                "forbidden: the URL lacks this session's token (open the URL gar studio printed)",
            ),
        }
    }
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Guard {
    pub fn new(token: &str, addr: SocketAddr) -> Guard {
        Guard {
            token: token.to_string(),
            addr,
        }
    }

    /// Whether `host` (`name:port` as a Host header or an origin writes it)
    /// names this studio.
    pub fn host_ok(&self, host: &str) -> bool {
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse::<u16>().ok() != Some(self.addr.port()) {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let loopback_only = self.addr.ip().is_loopback();
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) if loopback_only => ip.is_loopback(),
            Ok(ip) => self.addr.ip().is_unspecified() || ip == self.addr.ip() || ip.is_loopback(),
            Err(_) => false,
        }
    }

    /// Checks a request: its Host, Origin and Sec-Fetch-Site headers and its
    /// path. Returns the path after the token (without its leading `/`).
    pub fn check<'a>(
        &self,
        host: Option<&str>,
        origin: Option<&str>,
        fetch_site: Option<&str>,
        path: &'a str,
    ) -> Result<&'a str, Refusal> {
        let host = host.unwrap_or("");
        if !self.host_ok(host) {
            return Err(Refusal::Host(host.to_string()));
        }
        let rest = path
            .strip_prefix('/')
            .and_then(|p| {
                let (tok, rest) = p.split_once('/').unwrap_or((p, ""));
                same(tok.as_bytes(), self.token.as_bytes()).then_some(rest)
            })
            .ok_or(Refusal::Token)?;
        if let Some(o) = origin {
            let ok = o
                .strip_prefix("http://")
                .is_some_and(|h| !h.contains('/') && self.host_ok(h));
            if !ok {
                return Err(Refusal::Origin(o.to_string()));
            }
        }
        if fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
            return Err(Refusal::Origin("a cross-site page".into()));
        }
        Ok(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new("abc123", "127.0.0.1:8000".parse().unwrap())
    }

    #[test]
    fn hosts() {
        let g = guard();
        for ok in [
            "127.0.0.1:8000",
            "localhost:8000",
            "[::1]:8000",
            "127.1.2.3:8000",
        ] {
            assert!(g.host_ok(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "127.0.0.1:8001",
            "127.0.0.1",
            "192.168.1.5:8000",
            "",
            "localhost.evil.example:8000",
        ] {
            assert!(!g.host_ok(bad), "{bad}");
        }
        let open = Guard::new("t", "0.0.0.0:9000".parse().unwrap());
        assert!(open.host_ok("192.168.1.5:9000"));
        assert!(!open.host_ok("rebind.example:9000"));
    }

    #[test]
    fn tokens_and_origins() {
        let g = guard();
        let h = Some("127.0.0.1:8000");
        assert_eq!(g.check(h, None, None, "/abc123/api/x"), Ok("api/x"));
        assert_eq!(g.check(h, None, None, "/abc123"), Ok(""));
        assert_eq!(g.check(h, None, None, "/abc12/api"), Err(Refusal::Token));
        assert_eq!(g.check(h, None, None, "/abc1234/"), Err(Refusal::Token));
        assert_eq!(g.check(h, None, None, "/"), Err(Refusal::Token));
        assert_eq!(g.check(h, None, None, "/api/abc123/"), Err(Refusal::Token));
        assert!(
            g.check(
                h,
                Some("http://127.0.0.1:8000"),
                Some("same-origin"),
                "/abc123/"
            )
            .is_ok()
        );
        assert!(matches!(
            g.check(h, Some("http://evil.example"), None, "/abc123/"),
            Err(Refusal::Origin(_))
        ));
        assert!(matches!(
            g.check(h, Some("null"), None, "/abc123/"),
            Err(Refusal::Origin(_))
        ));
        assert!(matches!(
            g.check(h, None, Some("cross-site"), "/abc123/"),
            Err(Refusal::Origin(_))
        ));
        assert!(matches!(
            g.check(Some("evil.example:8000"), None, None, "/abc123/"),
            Err(Refusal::Host(_))
        ));
    }

    #[test]
    fn tokens_are_random() {
        let a = new_token().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_token().unwrap());
    }
}
