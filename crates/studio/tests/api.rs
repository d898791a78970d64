//! The API's answers with known right answers: typed parameter errors name
//! their parameter, the analysis is reused exactly when the analysis
//! parameters are unchanged, the memory limits hold and say so, range
//! requests give the same bytes as the whole file, superseded renders, the
//! output asked for by key before the answer, renders into reused buffers.

mod common;
use common::*;
use gar_studio::Limits;
use serde_json::json;

#[test]
fn state_lists_the_table_and_the_presets() {
    let s = start();
    let st = get(&s, "api/state").json();
    let ids: Vec<&str> = st["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let table: Vec<&str> = gar_core::table::PARAMS.iter().map(|p| p.id).collect();
    assert_eq!(ids, table);
    assert_eq!(
        st["presets"].as_array().unwrap().len(),
        gar_core::Preset::ALL.len()
    );
    let cloud = st["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "cloud")
        .unwrap();
    assert_eq!(cloud["values"]["grain_ms"], "600");
    assert_eq!(cloud["values"]["score"], "mixed");
    assert_eq!(st["sounds"][0]["channels"], 2);
    s.shutdown();
}

#[test]
fn parameter_errors_name_the_parameter() {
    let s = start();
    for (params, param, words) in [
        (json!({"alpha": "abc"}), "alpha", "expected"),
        (json!({"grain_ms": "-3"}), "grain_ms", "must be > 0"),
        (
            json!({"alpha": "2", "diversity": "30"}),
            "diversity",
            "cannot be given together",
        ),
        (
            json!({"floor_db": "0:1, 0.5:2@wobble"}),
            "floor_db",
            "wobble",
        ),
        (json!({"channels": "both"}), "channels", "expected linked"),
        (json!({"duration_s": "100000"}), "duration_s", ""),
        (
            json!({"duration_s": "20000"}),
            "duration_s",
            "use `gar render`",
        ),
    ] {
        let r = post_json(
            &s,
            "api/render",
            &json!({"sound": 1, "seed": 1, "params": params}),
        );
        assert_eq!(r.status, 400, "{params}: {}", r.text());
        let v = r.json();
        assert_eq!(v["param"], param, "{params}: {v}");
        assert!(
            v["error"].as_str().unwrap().contains(words),
            "{params}: {v}"
        );
    }
    s.shutdown();
}

#[test]
fn the_analysis_is_reused_when_only_later_stages_change() {
    let s = start();
    let r = |params: serde_json::Value| {
        render(
            &s,
            json!({"sound": 1, "seed": 4, "preset": "crystallize", "params": params}),
        )["reused_analysis"]
            .as_bool()
            .unwrap()
    };
    assert!(!r(json!({})), "the first render analyses");
    for p in [
        json!({"alpha": "30"}),
        json!({"floor_db": "-2"}),
        json!({"recency": "0.9"}),
        json!({"wet": "40"}),
        json!({"pitch_st": "3"}),
        json!({"spread": "0.5"}),
        json!({"time_jitter_ms": "1"}),
        json!({"peak_db": "-6"}),
        json!({"alpha": "1..30@exp"}),
    ] {
        assert!(r(p.clone()), "{p} re-plans only");
    }
    assert!(!r(json!({"grain_ms": "80"})), "grain re-analyses");
    assert!(!r(json!({"score": "onset"})), "score re-analyses");
    s.shutdown();
}

#[test]
fn history_and_audio_stay_within_their_limits() {
    // About 3.5 MB of output per render (10 s stereo at 4 bytes a sample).
    let s = start_with(Limits {
        max_renders: 3,
        max_audio_bytes: 8 << 20,
        ..Limits::default()
    });
    let mut ids = Vec::new();
    let mut first = Vec::new();
    for seed in 1..=5u64 {
        let r = render(
            &s,
            json!({"sound": 1, "seed": seed, "params": {"alpha": "3"}}),
        );
        ids.push(r["id"].as_u64().unwrap());
        if seed == 3 {
            first = get(&s, &format!("api/renders/{}/output.wav", ids[2])).body;
        }
        assert!(s.state.store.audio_bytes() <= 8 << 20, "audio budget");
    }
    let list = get(&s, "api/renders").json();
    let kept: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(kept, ids[2..], "the last three renders");
    let gone = get(&s, &format!("api/renders/{}/output.wav", ids[0]));
    assert_eq!(gone.status, 404);
    assert!(gone.text().contains("keeps the last 3"), "{}", gone.text());
    // The oldest kept render lost its audio to the budget; asked for, it is
    // rendered again, bit for bit.
    let again = get(&s, &format!("api/renders/{}/output.wav", ids[2])).body;
    assert!(again.len() > 1_000_000);
    assert_eq!(again, first);
    s.shutdown();
}

#[test]
fn ranges_are_the_bytes_of_the_whole_file() {
    let s = start();
    let r = render(&s, json!({"sound": 1, "seed": 9, "preset": "shimmer"}));
    let path = format!("/{TOKEN}/api/renders/{}/output.wav", r["id"]);
    let whole = get(&s, &path[TOKEN.len() + 2..]).body;
    let n = whole.len();
    for (range, a, b) in [
        ("bytes=0-99", 0, 100),
        ("bytes=44-", 44, n),
        ("bytes=1000-250000", 1000, 250_001),
        ("bytes=-7", n - 7, n),
        (&format!("bytes={}-{}", n - 10, n + 100), n - 10, n),
    ] {
        let p = request(&s, "GET", &path, None, &[("Range", range)], b"");
        assert_eq!(p.status, 206, "{range}");
        assert_eq!(p.body, whole[a..b], "{range}");
        assert_eq!(
            p.header("Content-Range").unwrap(),
            format!("bytes {a}-{}/{n}", b - 1)
        );
    }
    s.shutdown();
}

#[test]
fn a_newer_render_supersedes_a_waiting_one() {
    let store = gar_studio::store::Store::new(Limits::default());
    let a = store.ticket("main");
    assert!(store.current("main", a));
    let b = store.ticket("main");
    assert!(!store.current("main", a), "a waits behind b: superseded");
    assert!(store.current("main", b));
    let c = store.ticket("other");
    assert!(
        store.current("other", c) && store.current("main", b),
        "lanes are separate"
    );
}

#[test]
fn a_newer_render_stops_a_running_one() {
    use gar_studio::render::{self, Request};
    use gar_studio::store::{Origin, Store};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let store = Store::new(Limits::default());
    let d = gar_studio::source::decode_file(&recording(), &store.limits).unwrap();
    let (sound, _) = store.add_sound("rec".into(), d, Origin::Upload).unwrap();
    let id = sound.id;
    let req = || Request {
        sound: id,
        preset: "self-remix".into(),
        params: serde_json::Map::new(),
        seed: 7,
        bits: "24".into(),
        lane: None,
        key: None,
    };
    // The render asks before each block; a newer change arrives after two.
    let asked = AtomicUsize::new(0);
    let stop = || asked.fetch_add(1, Ordering::Relaxed) >= 2;
    let resolved = render::resolve(&req()).unwrap();
    let e = match store.render_new(sound.clone(), req(), resolved, &stop) {
        Err(e) => e,
        Ok(_) => panic!("a superseded render was kept"),
    };
    assert_eq!(e.status, 409);
    assert!(e.error.contains("superseded"), "{}", e.error);
    assert!(
        store.renders().is_empty(),
        "a stopped render is not in the history"
    );
    // Never stopped, the same request renders and is kept.
    let resolved = render::resolve(&req()).unwrap();
    let r = store.render_new(sound, req(), resolved, &|| false).unwrap();
    assert_eq!(store.renders().len(), 1);
    assert_eq!(store.renders()[0].id, r.id);
}

#[test]
fn grains_pictures_and_files() {
    let s = start();
    let r = render(
        &s,
        json!({"sound": 1, "seed": 5, "preset": "motif-extract"}),
    );
    let id = r["id"].as_u64().unwrap();
    let g = get(&s, &format!("api/renders/{id}/grain/3.wav"));
    assert_eq!(g.status, 200);
    let grain_len = r["view"]["grain_s"].as_f64().unwrap() * 44_100.0;
    let frames = (g.body.len() - 44) / 8; // two channels of 32-bit float (header 44 bytes or more)
    assert!(
        (frames as f64 - grain_len).abs() < 40.0,
        "{frames} vs {grain_len}"
    );
    let png = get(&s, &format!("api/renders/{id}/plot.png?size=800x500"));
    assert_eq!(png.status, 200);
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    let svg = get(&s, &format!("api/renders/{id}/plot.svg"));
    assert!(svg.text().starts_with("<svg") || svg.text().starts_with("<?xml"));
    let toml = get(&s, &format!("api/renders/{id}/params.toml")).text();
    assert!(
        toml.contains("preset = \"motif-extract\"") && toml.contains("seed = 5"),
        "{toml}"
    );
    let report = get(&s, &format!("api/renders/{id}/report.json?download=1"));
    assert!(
        report
            .header("Content-Disposition")
            .unwrap()
            .contains("attachment")
    );
    assert_eq!(report.json()["seed"], 5);
    s.shutdown();
}

#[test]
fn the_output_asked_for_by_key_before_the_render_is_the_renders_wav() {
    let s = std::sync::Arc::new(start());
    // The player's request first: it waits for the render asked for with its key.
    let waiting = {
        let s = s.clone();
        std::thread::spawn(move || get(&s, "api/keys/k-1_A/output.wav"))
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let r = render(
        &s,
        json!({"sound": 1, "seed": 5, "preset": "cloud", "key": "k-1_A"}),
    );
    let early = waiting.join().unwrap();
    assert_eq!(early.status, 200, "{}", early.text());
    assert_eq!(early.header("Content-Type"), Some("audio/wav"));
    let by_id = get(&s, &format!("api/renders/{}/output.wav", r["id"]));
    assert!(by_id.body.len() > 1_000_000);
    assert_eq!(early.body, by_id.body, "the same file");
    // Asked for after the render: the same, ranges too.
    let later = get(&s, "api/keys/k-1_A/output.wav");
    assert_eq!(later.body, by_id.body);
    let path = format!("/{TOKEN}/api/keys/k-1_A/output.wav");
    let p = request(&s, "GET", &path, None, &[("Range", "bytes=100-199")], b"");
    assert_eq!((p.status, &p.body[..]), (206, &by_id.body[100..200]));
    // A refused render: the player gets its status and sentence.
    let bad = post_json(
        &s,
        "api/render",
        &json!({"sound": 1, "params": {"grain_ms": "-3"}, "key": "bad"}),
    );
    assert_eq!(bad.status, 400);
    let w = get(&s, "api/keys/bad/output.wav");
    assert_eq!(w.status, 400);
    assert!(w.text().contains("grain"), "{}", w.text());
    // Keys are short plain words.
    let odd = post_json(&s, "api/render", &json!({"sound": 1, "key": "../x"}));
    assert_eq!(odd.status, 400);
    assert_eq!(get(&s, "api/keys/..%2Fx/output.wav").status, 404);
    match std::sync::Arc::try_unwrap(s) {
        Ok(s) => s.shutdown(),
        Err(_) => panic!("the studio is still shared"),
    }
}

#[test]
fn renders_into_reused_buffers_are_bit_for_bit() {
    // One output held: each render lets the previous one's buffers go to the
    // pool, and the next render overwrites them.
    let s = start_with(Limits {
        max_audio_renders: 1,
        ..Limits::default()
    });
    let mut first = Vec::new();
    for seed in [11u64, 12, 11, 13, 11] {
        let r = render(&s, json!({"sound": 1, "seed": seed, "preset": "shimmer"}));
        let wav = get(&s, &format!("api/renders/{}/output.wav", r["id"])).body;
        if seed == 11 {
            if first.is_empty() {
                first = wav;
            } else {
                assert_eq!(wav, first, "seed 11 again, into a reused buffer");
            }
        }
    }
    assert!(
        s.state.store.pool.bytes() > 0,
        "buffers were kept for reuse"
    );
    s.shutdown();
}
