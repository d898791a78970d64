//! `gar batch` end to end: folders mirrored, sidecars, per-file seeds that do not
//! depend on --jobs or --shard, resuming, manifests, failures that stay their own,
//! and clear errors for bad batches.

mod common;

use common::{gar, gar_process, json, write_wav16};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Cleared for the runs made with [`gar`], so that the caller's own settings cannot
/// change them.
const UNSET: &[&str] = &["GAR_STREAM", "GAR_MAX_MEMORY"];

/// A 2 s mono 16-bit WAV whose clicks depend on `k`.
fn write_source(path: &Path, k: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_wav16(path, 1, 16_000, 32_000, |i, _| {
        let i = i as u32;
        let click = (-f64::from(i % (3_000 + 700 * k)) / 200.0).exp();
        let tone = 0.05 * (f64::from(i) * 0.07 * f64::from(k + 1)).sin();
        ((click * 0.7 + tone) * 30_000.0) as i16
    });
}

/// in/a.wav, in/sub/b.wav, in/sub/deeper/c.wav, in/notes.txt.
fn corpus(dir: &Path) -> PathBuf {
    let root = dir.join("in");
    write_source(&root.join("a.wav"), 0);
    write_source(&root.join("sub/b.wav"), 1);
    write_source(&root.join("sub/deeper/c.wav"), 2);
    fs::write(root.join("notes.txt"), "not audio").unwrap();
    root
}

fn batch(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    gar(UNSET).current_dir(dir).arg("batch").args(args).assert()
}

fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walk(out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .map(|p| {
            let rel = p.strip_prefix(out).unwrap().display().to_string();
            (rel, fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = fs::read_dir(d) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                v.extend(walk(&p));
            } else {
                v.push(p);
            }
        }
    }
    v
}

#[test]
fn a_folder_is_mirrored_with_sidecars_and_per_file_seeds() {
    let t = TempDir::new().unwrap();
    corpus(t.path());
    batch(
        t.path(),
        &[
            "in",
            "--out-dir",
            "out",
            "--seed",
            "7",
            "--preset",
            "cloud",
            "--summary",
            "s.json",
            "-q",
        ],
    )
    .success();
    let names: Vec<String> = outputs(&t.path().join("out"))
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(names, ["a.wav", "sub/b.wav", "sub/deeper/c.wav"]);
    let s = json(&t.path().join("s.json"));
    assert_eq!(s["ok"], 3);
    assert_eq!(s["failed"], 0);
    for f in s["files"].as_array().unwrap() {
        let rel = f["rel"].as_str().unwrap();
        let seed = gar_core::seeds::file_seed(7, rel);
        assert_eq!(f["seed"].as_u64(), Some(seed), "{rel}");
        // The batch's output is `gar render` of that file with that seed.
        let solo = t.path().join(format!("solo-{}.wav", rel.replace('/', "_")));
        gar(UNSET)
            .current_dir(t.path())
            .args(["render", &format!("in/{rel}"), "-o"])
            .arg(&solo)
            .args(["--preset", "cloud", "--seed", &seed.to_string(), "-q"])
            .assert()
            .success();
        let out = t.path().join("out").join(rel);
        assert!(fs::read(&out).unwrap() == fs::read(&solo).unwrap(), "{rel}");
        // The sidecar records preset and seed, and is a params file that repeats it.
        let side: Value = json(&out.with_extension("gar.json"));
        assert_eq!(side["preset"], "cloud");
        assert_eq!(side["seed"].as_u64(), Some(seed));
        let again = t.path().join("again.wav");
        gar(UNSET)
            .current_dir(t.path())
            .args(["render", &format!("in/{rel}"), "--force", "-q", "-o"])
            .arg(&again)
            .arg("--params")
            .arg(out.with_extension("gar.json"))
            .assert()
            .success();
        assert!(
            fs::read(&again).unwrap() == fs::read(&solo).unwrap(),
            "{rel}"
        );
    }
}

#[test]
fn results_do_not_depend_on_jobs_or_shards() {
    let t = TempDir::new().unwrap();
    corpus(t.path());
    let common = ["in", "--seed", "99", "--preset", "self-remix", "-q"];
    batch(
        t.path(),
        &[&common[..], &["--out-dir", "j1", "--jobs", "1"]].concat(),
    )
    .success();
    batch(
        t.path(),
        &[&common[..], &["--out-dir", "j2", "--jobs", "2"]].concat(),
    )
    .success();
    for k in ["1/2", "2/2"] {
        batch(
            t.path(),
            &[
                &common[..],
                &[
                    "--out-dir",
                    "sh",
                    "--shard",
                    k,
                    "--summary",
                    &format!("{}.json", &k[..1]),
                ],
            ]
            .concat(),
        )
        .success();
    }
    let j1 = outputs(&t.path().join("j1"));
    assert_eq!(j1.len(), 3);
    assert!(
        j1 == outputs(&t.path().join("j2")),
        "--jobs changed the outputs"
    );
    assert!(
        j1 == outputs(&t.path().join("sh")),
        "--shard changed the outputs"
    );
    // The shards split the sorted list: 2 + 1 jobs, none twice.
    let (s1, s2) = (
        json(&t.path().join("1.json")),
        json(&t.path().join("2.json")),
    );
    assert_eq!(
        (s1["jobs"].as_u64(), s2["jobs"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s1["files"][0]["rel"], "a.wav");
    assert_eq!(s2["files"][0]["rel"], "sub/b.wav");
    assert_eq!(s1["files"][1]["rel"], "sub/deeper/c.wav");
}

#[test]
fn a_bad_file_fails_alone_and_the_status_says_so() {
    let t = TempDir::new().unwrap();
    let root = corpus(t.path());
    fs::write(root.join("sub/broken.wav"), b"RIFF\x24\0\0\0WAVEjunk").unwrap();
    let a = batch(
        t.path(),
        &[
            "in",
            "--out-dir",
            "out",
            "--seed",
            "3",
            "--summary",
            "s.json",
        ],
    )
    .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("broken.wav") && err.contains("1 of 4 files failed"),
        "{err}"
    );
    let names: Vec<String> = outputs(&t.path().join("out"))
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(names, ["a.wav", "sub/b.wav", "sub/deeper/c.wav"]);
    let s = json(&t.path().join("s.json"));
    assert_eq!((s["ok"].as_u64(), s["failed"].as_u64()), (Some(3), Some(1)));
    let bad: Vec<&Value> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "failed")
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0]["error"]
            .as_str()
            .unwrap()
            .contains("broken.wav: decoding failed"),
        "{}",
        bad[0]
    );
    // No partial or temporary file anywhere.
    for p in walk(&t.path().join("out")) {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.starts_with('.') && !n.contains("broken"), "{n}");
    }
}

#[test]
fn skip_existing_resumes_and_notices_changed_parameters() {
    let t = TempDir::new().unwrap();
    corpus(t.path());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "in",
            "--out-dir",
            "out",
            "--seed",
            "5",
            "--summary",
            "s.json",
            "-q",
        ];
        args.extend_from_slice(extra);
        batch(t.path(), &args)
    };
    run(&[]).success();
    let before = outputs(&t.path().join("out"));
    // A crash after one file: remove the others' outputs (and a sidecar alone).
    fs::remove_file(t.path().join("out/sub/b.wav")).unwrap();
    fs::remove_file(t.path().join("out/sub/deeper/c.gar.json")).unwrap();
    run(&["--skip-existing"]).code(1);
    let s = json(&t.path().join("s.json"));
    let status: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["skipped", "ok", "failed"], "{s}");
    // c.wav exists without its sidecar: not skipped, and not replaced without --force.
    run(&["--skip-existing", "--force"]).success();
    assert!(outputs(&t.path().join("out")) == before);
    // Other parameters: nothing is skipped.
    run(&["--skip-existing", "--force", "--alpha", "9"]).success();
    let s = json(&t.path().join("s.json"));
    assert_eq!(s["ok"], 3);
    assert!(outputs(&t.path().join("out")) != before);
}

#[test]
fn a_manifest_gives_each_job_its_own_output_and_parameters() {
    let t = TempDir::new().unwrap();
    corpus(t.path());
    fs::write(
        t.path().join("in/jobs.jsonl"),
        "# one job per line\n\
         {\"input\": \"a.wav\", \"output\": \"x/first.wav\", \"params\": {\"preset\": \"motif-extract\", \"seed\": 12}}\n\
         \n\
         {\"input\": \"sub/b.wav\", \"params\": {\"alpha\": \"1..20\"}}\n",
    )
    .unwrap();
    batch(
        t.path(),
        &[
            "--manifest",
            "in/jobs.jsonl",
            "--out-dir",
            "out",
            "--seed",
            "4",
            "-q",
        ],
    )
    .success();
    let names: Vec<String> = outputs(&t.path().join("out"))
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(names, ["sub/b.wav", "x/first.wav"]);
    let first: Value = json(&t.path().join("out/x/first.gar.json"));
    assert_eq!(
        (first["preset"].as_str(), first["seed"].as_u64()),
        (Some("motif-extract"), Some(12))
    );
    let b: Value = json(&t.path().join("out/sub/b.gar.json"));
    assert_eq!(b["params"]["alpha"], "1..20");
    assert_eq!(
        b["seed"].as_u64(),
        Some(gar_core::seeds::file_seed(4, "sub/b.wav"))
    );
}

#[test]
fn bad_batches_are_clear_usage_errors_before_any_work() {
    let t = TempDir::new().unwrap();
    corpus(t.path());
    fs::create_dir_all(t.path().join("empty/deep")).unwrap();
    fs::write(
        t.path().join("bad.jsonl"),
        "{\"input\": \"in/a.wav\"}\n{\"input\": 3}\n",
    )
    .unwrap();
    fs::write(
        t.path().join("bad2.jsonl"),
        "{\"input\": \"in/a.wav\", \"params\": {\"alpha\": -1}}\n",
    )
    .unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["empty", "--out-dir", "o"],
            "empty: no audio files in this folder or below",
        ),
        (
            &["in", "--out-dir", "o", "--shard", "3/2"],
            "--shard 3/2: K must be between 1 and 2",
        ),
        (
            &["in", "--out-dir", "o", "--shard", "0/2"],
            "K must be between 1 and 2",
        ),
        (&["in", "--out-dir", "o", "--shard", "two"], "--shard two"),
        (&["in", "--out-dir", "o", "--jobs", "0"], "--jobs 0"),
        (
            &["nowhere", "--out-dir", "o"],
            "nowhere: no such file or folder",
        ),
        (
            &["--manifest", "bad.jsonl", "--out-dir", "o"],
            "bad.jsonl:2: expected \"input\"",
        ),
        (
            &["--manifest", "bad2.jsonl", "--out-dir", "o"],
            "bad2.jsonl:1: params: --alpha",
        ),
        (&["--out-dir", "o"], "no inputs"),
        (
            &["in", "in/a.wav", "--out-dir", "o"],
            "would both be written to",
        ),
        (
            &["in", "--out-dir", "o", "--save-params", "p.toml"],
            "--save-params is for one run",
        ),
    ];
    for (args, want) in cases {
        let a = batch(t.path(), args).code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!t.path().join("o").exists(), "{args:?} wrote something");
    }
}

/// Ctrl-C in the middle of a batch leaves no partial or temporary file, and
/// `--skip-existing` then finishes it with the bytes of an uninterrupted run.
#[cfg(unix)]
#[test]
fn an_interrupted_batch_resumes_to_the_same_bytes() {
    let t = TempDir::new().unwrap();
    for k in 0..60 {
        write_source(
            &t.path().join(format!("in/set{}/f{k:02}.wav", k % 3)),
            k % 7,
        );
    }
    let common = [
        "in", "--seed", "21", "--preset", "shimmer", "-q", "--jobs", "1",
    ];
    batch(t.path(), &[&common[..], &["--out-dir", "clean"]].concat()).success();
    // A child to interrupt, in the same environment as the clean run it is
    // compared with.
    let mut child = gar_process(UNSET)
        .current_dir(t.path())
        .arg("batch")
        .args(common)
        .args(["--out-dir", "cut"])
        .spawn()
        .unwrap();
    // Interrupt as soon as some outputs exist.
    let start = std::time::Instant::now();
    while walk(&t.path().join("cut")).len() < 6 && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let left = walk(&t.path().join("cut"));
    for p in &left {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!n.starts_with(".gar-tmp"), "temporary file left: {n}");
    }
    let wavs = left
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .count();
    if status.code() == Some(130) {
        assert!(wavs < 60, "interrupted, yet every file was written");
    }
    // Every WAV left is complete and has its sidecar.
    for p in left
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
    {
        assert!(p.with_extension("gar.json").exists(), "{}", p.display());
    }
    batch(
        t.path(),
        &[&common[..], &["--out-dir", "cut", "--skip-existing"]].concat(),
    )
    .success();
    assert!(outputs(&t.path().join("cut")) == outputs(&t.path().join("clean")));
}
