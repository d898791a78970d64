//! The server's side of a change, stage by stage, without a browser:
//! `cargo run --release -p gar-studio --example stages -- FILE [N]` renders
//! FILE with Self-Remix N + 1 times (alpha 3, 4, ...; the first one analyses,
//! the others reuse the analysis, as the browser test does) through the
//! studio's store, and prints the median, minimum and maximum of each stage
//! over the last N, in milliseconds.

use gar_studio::render::{self, Request};
use gar_studio::store::{Origin, Store};
use gar_studio::{Limits, source};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: stages FILE [N]");
        std::process::exit(2);
    };
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(11);
    let store = Store::new(Limits::default());
    let d = source::decode_file(path.as_ref(), &store.limits).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let (sound, _) = store
        .add_sound("input".into(), d, Origin::Upload)
        .expect("room for the sound");
    let mut rows: Vec<Vec<(String, f64)>> = Vec::new();
    for k in 0..=n {
        let mut params = serde_json::Map::new();
        params.insert("alpha".into(), (3 + k).to_string().into());
        let req = Request {
            sound: sound.id,
            preset: "self-remix".into(),
            params,
            seed: 7,
            bits: "24".into(),
            lane: None,
            key: None,
        };
        let t = Instant::now();
        let resolved = render::resolve(&req).expect("valid parameters");
        let r = store
            .render_new(sound.clone(), req, resolved, &|| false)
            .expect("a render");
        let total = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let json = r.full();
        let full = t.elapsed().as_secs_f64() * 1e3;
        let mut row: Vec<(String, f64)> = r
            .timings_ms
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0)))
            .collect();
        row.push(("render_new".into(), total));
        row.push(("answer_json".into(), full));
        row.push(("answer_kib".into(), json.len() as f64 / 1024.0));
        if k > 0 {
            rows.push(row);
        }
    }
    for i in 0..rows[0].len() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i].1).collect();
        v.sort_by(f64::total_cmp);
        println!(
            "{:12} median {:7.1}  min {:7.1}  max {:7.1}",
            rows[0][i].0,
            v[v.len() / 2],
            v[0],
            v[v.len() - 1]
        );
    }
}
