//! `gar studio`: starts the web studio (gar-studio) on the named files, or on
//! the built-in demo sound, and serves until interrupted.

use crate::Failure;
use anyhow::anyhow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

pub fn studio_command(
    files: &[PathBuf],
    port: u16,
    open: bool,
    listen: Option<IpAddr>,
) -> Result<(), Failure> {
    let sounds = if files.is_empty() {
        vec![gar_studio::SoundInput::Bytes {
            name: "demo_tabla_glass.flac".into(),
            ext: "flac".into(),
            bytes: crate::demo::DEMO_FLAC,
        }]
    } else {
        files
            .iter()
            .map(|f| gar_studio::SoundInput::File(f.clone()))
            .collect()
    };
    let ip = listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let config = gar_studio::Config {
        listen: SocketAddr::new(ip, port),
        sounds,
        ..gar_studio::Config::default()
    };
    let studio = gar_studio::Studio::start(config).map_err(|e| anyhow!(e))?;
    let addr = studio.addr();
    if !addr.ip().is_loopback() {
        eprintln!("gar: warning: {}", listen_warning(addr));
    }
    let url = studio.url();
    println!("gar studio: {url}");
    if addr.ip().is_unspecified() {
        println!(
            "(from another machine: http://THIS-MACHINE'S-ADDRESS:{}/{}/)",
            addr.port(),
            studio.token()
        );
    }
    println!("(open it in a browser; Ctrl-C stops the studio)");
    if open && let Err(e) = open::that_detached(&url) {
        eprintln!("gar: warning: --open: cannot start a browser ({e}); open the URL yourself");
    }
    studio.wait();
    Ok(())
}

/// The warning for a studio listening beyond loopback, with the address it
/// actually listens on (the port drawn when `--port 0`).
fn listen_warning(addr: SocketAddr) -> String {
    let every = if addr.ip().is_unspecified() {
        " (every network interface)"
    } else {
        ""
    };
    format!(
        "listening on {addr}{every}: the studio is reachable from other machines; anyone \
         who has the URL (with its token) can use it, over plain HTTP"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_names_the_address_listened_on() {
        let a: SocketAddr = "0.0.0.0:4321".parse().unwrap();
        let w = listen_warning(a);
        assert!(
            w.starts_with("listening on 0.0.0.0:4321 (every network interface):"),
            "{w}"
        );
        let b: SocketAddr = "192.168.1.5:80".parse().unwrap();
        assert!(listen_warning(b).starts_with("listening on 192.168.1.5:80: "));
    }
}
