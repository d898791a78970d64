//! Every rule of the studio's security model, over real HTTP: loopback by
//! default, the token on every route, Host and Origin checked, no route that
//! reads a path from disk, bounded uploads, and no request that stops it.

mod common;
use common::*;
use gar_studio::Limits;

#[test]
fn binds_loopback_by_default() {
    let s = start();
    assert!(s.addr().ip().is_loopback(), "{}", s.addr());
    assert!(s.url().starts_with("http://127.0.0.1:"));
    assert!(s.url().ends_with(&format!("/{TOKEN}/")));
    s.shutdown();
}

#[test]
fn every_route_needs_the_token() {
    let s = start();
    let r = render(&s, serde_json::json!({"sound": 1, "seed": 3}));
    let id = r["id"].as_u64().unwrap();
    let routes = [
        String::new(),
        "index.html".into(),
        "js/app.js".into(),
        "style.css".into(),
        "api/state".into(),
        "api/sounds/1".into(),
        "api/sounds/1/source.wav".into(),
        "api/renders".into(),
        format!("api/renders/{id}"),
        format!("api/renders/{id}/output.wav"),
        format!("api/renders/{id}/report.json"),
        format!("api/renders/{id}/params.toml"),
    ];
    let wrong = "0123456789abcdef0123456789abcdee";
    for route in &routes {
        assert_eq!(get(&s, route).status, 200, "with the token: /{route}");
        for path in [
            format!("/{route}"),
            format!("/{wrong}/{route}"),
            format!("/{}/{route}", &TOKEN[..31]),
            format!("/x/{TOKEN}/{route}"),
        ] {
            let r = request(&s, "GET", &path, None, &[], b"");
            assert_eq!(r.status, 403, "{path}");
            assert!(r.text().contains("token"), "{path}: {}", r.text());
        }
    }
    // POST routes too.
    for path in [
        "/api/render",
        &format!("/{wrong}/api/render"),
        "/api/sounds",
    ] {
        let r = request(
            &s,
            "POST",
            path,
            None,
            &[("Content-Type", "application/json")],
            br#"{"sound":1}"#,
        );
        assert_eq!(r.status, 403, "{path}");
    }
    s.shutdown();
}

#[test]
fn host_and_origin_are_checked() {
    let s = start();
    let port = s.addr().port();
    let path = format!("/{TOKEN}/api/state");
    // DNS rebinding: a hostile name that resolves to 127.0.0.1.
    for host in [
        format!("rebind.example:{port}"),
        format!("localhost.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
        format!("192.168.1.7:{port}"),
    ] {
        let r = request(&s, "GET", &path, Some(&host), &[], b"");
        assert_eq!(r.status, 403, "Host {host}");
        assert!(r.text().contains("Host"), "{}", r.text());
    }
    let r = request(&s, "GET", &path, Some("rebind.example"), &[], b"");
    assert_eq!(r.status, 403);
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        assert_eq!(
            request(&s, "GET", &path, Some(&host), &[], b"").status,
            200,
            "Host {host}"
        );
    }
    // Cross-origin requests, GET and POST.
    let body = br#"{"sound":1,"seed":3}"#;
    for origin in [
        "http://evil.example",
        "https://127.0.0.1",
        "null",
        &format!("http://rebind.example:{port}"),
        &format!("http://127.0.0.1:{port}/x"),
    ] {
        for (m, p) in [
            ("GET", path.clone()),
            ("POST", format!("/{TOKEN}/api/render")),
        ] {
            let r = request(
                &s,
                m,
                &p,
                None,
                &[("Origin", origin), ("Content-Type", "application/json")],
                body,
            );
            assert_eq!(r.status, 403, "{m} from {origin}");
            assert!(r.text().contains("may not use"), "{}", r.text());
        }
    }
    let same = format!("http://127.0.0.1:{port}");
    let r = request(
        &s,
        "POST",
        &format!("/{TOKEN}/api/render"),
        None,
        &[("Origin", &same), ("Content-Type", "application/json")],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(
        &s,
        "GET",
        &path,
        None,
        &[("Sec-Fetch-Site", "cross-site")],
        b"",
    );
    assert_eq!(r.status, 403);
    // A form post (no JSON type) cannot render either.
    let r = request(
        &s,
        "POST",
        &format!("/{TOKEN}/api/render"),
        None,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    );
    assert_eq!(r.status, 415);
    s.shutdown();
}

#[test]
fn no_route_reads_a_path_from_disk() {
    let s = start();
    let secret =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    for path in [
        "../Cargo.toml",
        "..%2fCargo.toml",
        "%2e%2e/%2e%2e/Cargo.toml",
        "assets/../Cargo.toml",
        "/etc/passwd",
        "js/../../Cargo.toml",
        "api/sounds?path=/etc/passwd",
        "api/renders/1/../../../../etc/passwd",
        "src/lib.rs",
        "Cargo.toml",
    ] {
        let r = request(&s, "GET", &format!("/{TOKEN}/{path}"), None, &[], b"");
        assert_ne!(r.status, 200, "{path}: {}", r.text());
        assert!(
            !r.text().contains("[package]") && !r.text().contains("root:"),
            "{path}"
        );
        assert!(!r.text().contains(&secret[..40]));
    }
    // Uploads carry bytes, never a path: a "file name" that is a path is
    // only a name.
    let r = request(
        &s,
        "POST",
        &format!("/{TOKEN}/api/sounds?name=/etc/passwd"),
        None,
        &[("Content-Type", "application/octet-stream")],
        b"not audio",
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().starts_with("{\"error\":\"passwd: "),
        "{}",
        r.text()
    );
    s.shutdown();
}

/// A 16-bit mono WAV of `frames` frames of a sine.
fn wav(frames: usize) -> Vec<u8> {
    let mut c = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    for i in 0..frames {
        w.write_sample(((i as f32 * 0.07).sin() * 12_000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    c.into_inner()
}

#[test]
fn uploads_are_bounded_and_decoded_like_the_cli() {
    let s = start_with(Limits {
        max_upload_bytes: 100_000,
        max_sounds: 2,
        ..Limits::default()
    });
    let up = |name: &str, body: &[u8]| {
        request(
            &s,
            "POST",
            &format!("/{TOKEN}/api/sounds?name={name}"),
            None,
            &[("Content-Type", "application/octet-stream")],
            body,
        )
    };
    // Too large: refused before decoding, with the limit in words.
    let r = up("big.wav", &wav(60_000));
    assert_eq!(r.status, 413);
    assert!(r.text().contains("limit of 97.7 KiB"), "{}", r.text());
    // Hostile bytes: the decoder's refusals, as the CLI words them.
    let r = up("noise.wav", &[0x5a; 5000]);
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("unrecognised or unsupported audio format"),
        "{}",
        r.text()
    );
    let mut truncated = wav(20_000);
    truncated.truncate(30);
    assert_eq!(up("cut.wav", &truncated).status, 422);
    let r = up("empty.wav", b"");
    assert_eq!(r.status, 422);
    assert!(r.text().contains("empty"), "{}", r.text());
    // Shorter than 50 ms.
    let r = up("short.wav", &wav(500));
    assert_eq!(r.status, 422);
    assert!(r.text().contains("at least 50 ms"), "{}", r.text());
    // A good one, then another: the second replaces the first upload (two
    // sounds at most, the command line's file stays).
    let a = up("a.wav", &wav(20_000));
    assert_eq!(a.status, 200, "{}", a.text());
    let b = up("b.wav", &wav(20_000));
    assert_eq!(b.status, 200);
    assert_eq!(b.json()["replaced"], serde_json::json!(["a.wav"]));
    let names: Vec<String> = get(&s, "api/state").json()["sounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["stereo_guit_em9_44k.flac", "b.wav"]);
    let id = b.json()["id"].as_u64().unwrap();
    let r = render(&s, serde_json::json!({"sound": id, "seed": 1}));
    assert_eq!(r["channels"], 1);
    s.shutdown();
}

#[test]
fn bad_requests_never_stop_it() {
    let s = start();
    let addr = s.addr();
    let garbage: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        [
            format!("GET /{TOKEN}/").into_bytes(),
            vec![0xff, 0xfe],
            format!(" HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(),
        ]
        .concat(),
        format!("POST /{TOKEN}/api/render HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 99999999999\r\n\r\n{{").into_bytes(),
        format!("GET /{TOKEN}/api/renders/99999999999999999999999/output.wav HTTP/1.1\r\nHost: {addr}\r\nRange: bytes=999999999999-1\r\n\r\n").into_bytes(),
        vec![b'A'; 70_000],
    ];
    for g in &garbage {
        let _ = raw_within(addr, g, 2);
    }
    let bodies = [
        "{",
        "[]",
        "null",
        r#"{"sound": "one"}"#,
        r#"{"sound": 1, "params": {"alpha": [1, 2]}}"#,
        r#"{"sound": 1, "params": {"nope": 1}}"#,
        r#"{"sound": 1, "params": {"seed": 1}}"#,
        r#"{"sound": 1, "preset": "loud"}"#,
        r#"{"sound": 1, "bits": "12"}"#,
        r#"{"sound": 1, "seed": -1}"#,
        r#"{"sound": 1, "params": {"duration_s": "1e300"}}"#,
        r#"{"sound": 1, "params": {"grain_ms": "1e-300"}}"#,
        r#"{"sound": 1, "params": {"alpha": "0:1, 0.5:1e308@exp, 1:1e-308"}}"#,
        r#"{"sound": 7}"#,
    ];
    for b in bodies {
        let r = request(
            &s,
            "POST",
            &format!("/{TOKEN}/api/render"),
            None,
            &[("Content-Type", "application/json")],
            b.as_bytes(),
        );
        assert!(
            (400..500).contains(&r.status) || r.status == 200,
            "{b}: {} {}",
            r.status,
            r.text()
        );
        assert!(r.json()["error"].is_string() || r.status == 200, "{b}");
    }
    for p in [
        "api/renders/x/output.wav",
        "api/renders/1/grain/99999.wav",
        "api/renders/1/plot.png?size=0x0",
        "api/renders/1/plot.png?size=99999999x9",
        "api/sounds/0",
        "api/nothing",
    ] {
        let r = get(&s, p);
        assert!((400..500).contains(&r.status), "{p}: {}", r.status);
    }
    // A panic inside a route is one 500, and the studio goes on.
    let r = get(&s, "api/debug-panic");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("keeps running"), "{}", r.text());
    assert_eq!(get(&s, "api/state").status, 200);
    render(&s, serde_json::json!({"sound": 1, "seed": 2}));
    s.shutdown();
}
