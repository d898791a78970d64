//! A studio on the committed recording, and a tiny HTTP/1.1 client. The
//! client is hand-written (a few lines over `TcpStream`) because the tests
//! must send exactly the Host and Origin headers a hostile page would, which
//! client crates set for you.
#![allow(dead_code)]

use gar_studio::{Config, Limits, SoundInput, Studio};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub fn recording() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/stereo_guit_em9_44k.flac")
}

pub fn start_with(limits: Limits) -> Studio {
    Studio::start(Config {
        sounds: vec![SoundInput::File(recording())],
        limits,
        token: Some(TOKEN.into()),
        ..Config::default()
    })
    .expect("the studio starts")
}

pub fn start() -> Studio {
    start_with(Limits::default())
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads one answer (by its Content-Length, or its
/// chunks, or to the end of the connection).
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<Response> {
    raw_within(addr, bytes, 60)
}

/// [`raw`], giving up after `secs` seconds without an answer.
pub fn raw_within(addr: SocketAddr, bytes: &[u8], secs: u64) -> Option<Response> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(secs)))
        .ok()?;
    s.write_all(bytes).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1 << 16];
    let end = loop {
        if let Some(e) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break e;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .collect();
    let find = |k: &str| {
        headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let mut body = buf[end + 4..].to_vec();
    let mut more = |body: &mut Vec<u8>, s: &mut TcpStream| -> bool {
        match s.read(&mut chunk) {
            Ok(n) if n > 0 => {
                body.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    };
    if let Some(n) = find("Content-Length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < n && more(&mut body, &mut s) {}
        body.truncate(n);
    } else if find("Transfer-Encoding").is_some_and(|v| v.contains("chunked")) {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let line_end = loop {
                if let Some(p) = body[at..].windows(2).position(|w| w == b"\r\n") {
                    break at + p;
                }
                if !more(&mut body, &mut s) {
                    return None;
                }
            };
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&body[at..line_end])
                    .split(';')
                    .next()?
                    .trim(),
                16,
            )
            .ok()?;
            if size == 0 {
                break;
            }
            let start = line_end + 2;
            while body.len() < start + size + 2 {
                if !more(&mut body, &mut s) {
                    return None;
                }
            }
            out.extend_from_slice(&body[start..start + size]);
            at = start + size + 2;
        }
        body = out;
    } else {
        while more(&mut body, &mut s) {}
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

/// A request with the given Host (the studio's own when `None`) and extra
/// headers.
pub fn request(
    studio: &Studio,
    method: &str,
    path: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let host = host.map_or_else(|| studio.addr().to_string(), str::to_string);
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        r += &format!("{k}: {v}\r\n");
    }
    r += &format!("Content-Length: {}\r\n\r\n", body.len());
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    raw(studio.addr(), &bytes).expect("an answer")
}

pub fn get(studio: &Studio, path: &str) -> Response {
    request(studio, "GET", &format!("/{TOKEN}/{path}"), None, &[], b"")
}

pub fn post_json(studio: &Studio, path: &str, v: &serde_json::Value) -> Response {
    request(
        studio,
        "POST",
        &format!("/{TOKEN}/{path}"),
        None,
        &[("Content-Type", "application/json")],
        v.to_string().as_bytes(),
    )
}

/// Renders through the API; panics unless 200.
pub fn render(studio: &Studio, v: serde_json::Value) -> serde_json::Value {
    let r = post_json(studio, "api/render", &v);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}
