//! gar studio against the real `gar` binary: a render through the studio's
//! HTTP API, downloaded, equals byte for byte what `gar render` writes when
//! given the command line the studio shows for it.

mod common;

use common::gar_process;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

const TOKEN: &str = "feedfacefeedfacefeedfacefeedface";

fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let req = format!(
        "{method} /{TOKEN}/{path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&buf[9..12]).parse().unwrap();
    (status, buf[end + 4..].to_vec())
}

#[test]
fn studio_renders_equal_the_command_line_it_shows() {
    let input =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/stereo_guit_em9_44k.flac");
    let studio = gar_studio::Studio::start(gar_studio::Config {
        sounds: vec![gar_studio::SoundInput::File(input)],
        token: Some(TOKEN.into()),
        ..gar_studio::Config::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        r#"{"preset": "cloud", "params": {"alpha": "4.93"}}"#,
        r#"{"preset": "crystallize", "params": {"alpha": "0:1, 0.3:2, 1:40@exp", "floor_db": "-6..3"}}"#,
        r#"{"preset": "self-remix", "params": {"diversity": "90..5", "recency": "0.8..0.2"}, "bits": "16"}"#,
        r#"{"preset": "shimmer", "params": {"spread": "0..1", "channels": "mono", "pitch_st": "-3"}, "bits": "32f"}"#,
        r#"{"preset": "motif-extract", "params": {"channels": "independent", "normalize": "loudness", "lufs": "-20"}}"#,
        r#"{"preset": "onset-harvest", "params": {"score": "rms:0.6,centroid:0.4", "duration_s": "4.5", "wet": "70", "dc_block": "off"}}"#,
    ];
    for (k, case) in cases.iter().enumerate() {
        let mut req: serde_json::Value = serde_json::from_str(case).unwrap();
        req["sound"] = 1.into();
        req["seed"] = (1000 + k as u64).into();
        let (st, body) = http(studio.addr(), "POST", "api/render", &req.to_string());
        assert_eq!(st, 200, "{case}: {}", String::from_utf8_lossy(&body));
        let r: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let (st, wav) = http(
            studio.addr(),
            "GET",
            &format!("api/renders/{}/output.wav?download=1", r["id"]),
            "",
        );
        assert_eq!(st, 200);
        let cmd = r["command"].as_str().unwrap();
        let mut words = shlex::split(cmd).expect("the command line is shell words");
        assert_eq!(&words[..2], ["gar", "render"], "{cmd}");
        let o = words.iter().position(|w| w == "-o").unwrap();
        let out = dir.path().join(format!("cli{k}.wav"));
        words[o + 1] = out.display().to_string();
        let status = gar_process(&[])
            .args(&words[1..])
            .arg("--quiet")
            .status()
            .unwrap();
        assert!(status.success(), "{cmd}");
        let cli = std::fs::read(&out).unwrap();
        assert!(cli.len() > 10_000, "{cmd}");
        assert!(
            cli == wav,
            "{cmd}: the studio's WAV ({} bytes) differs from gar render's ({} bytes)",
            wav.len(),
            cli.len()
        );
    }
    studio.shutdown();
}
