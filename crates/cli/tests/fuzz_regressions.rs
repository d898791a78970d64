//! Replays every input the fuzzers found a crash with (`fuzz/regressions/<target>/`),
//! and the seed corpora, through the fuzz targets' own bodies (`fuzz/src/harness.rs`,
//! included here, so this runs on stable Rust with an ordinary `cargo test`). A new
//! crash found by `cargo fuzz` is fixed, then its input is copied into
//! `fuzz/regressions/<target>/` (see `fuzz/README.md`).

#[allow(
    dead_code,
    reason = "the harness also serves the fuzz targets; this test uses part of it"
)]
#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"));
    v.sort();
    v
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn decode_render_regressions_and_fixtures() {
    let reg = files(&root().join("fuzz/regressions/decode_render"));
    assert!(reg.len() >= 2, "regression inputs missing");
    let fixtures = files(&root().join("crates/io/tests/fixtures"));
    assert!(fixtures.len() >= 12, "fixtures missing");
    for f in reg.iter().chain(&fixtures) {
        eprintln!("replaying {}", f.display());
        harness::decode_render(&std::fs::read(f).unwrap());
    }
}

#[test]
fn params_render_regressions_and_extremes() {
    for f in files(&root().join("fuzz/regressions/params_render")) {
        eprintln!("replaying {}", f.display());
        harness::params_render(&std::fs::read(f).unwrap());
    }
    // Every field set to each special value (tag 1 + index) in turn, the others left
    // at a preset's value; presets, score types, channel modes and norms rotate.
    for special in 0..16u8 {
        for field in 0..11usize {
            let mut data = vec![special % 8];
            for k in 0..11 {
                if k == field {
                    data.extend([1, 1, special]);
                } else {
                    data.extend([0]);
                }
            }
            data.extend([special % 5, field as u8 % 3, special % 3]);
            data.extend(7u64.to_le_bytes());
            harness::params_render(&data);
        }
    }
}
