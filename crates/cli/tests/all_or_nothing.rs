//! A run writes everything or nothing (issue 9, section 4): every output target (WAV,
//! report, picture, CSV tables) is checked before any work, and a side file that cannot
//! be written leaves no file at all, not even the WAV, and no temporary file.
//!
//! Read-only folders need an unprivileged user: as root (where permissions do not
//! apply) these cases run gar as `nobody` through `setpriv`, and are skipped, saying
//! why, when that is not possible.

mod common;

use common::{GAR, gar_process, is_root, s, stderr, write_tone_with_clicks};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// Cleared for every run, so that the caller's own settings cannot change it.
const UNSET: &[&str] = &["GAR_STREAM", "GAR_MAX_MEMORY"];

/// Every entry under `dir`, recursively, relative to it, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            v.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                todo.push(p);
            }
        }
    }
    v.sort();
    v
}

/// The side-file flags, each pointing into `dir`.
fn side_files(dir: &Path) -> [(&'static str, Vec<String>); 4] {
    let d = |n: &str| dir.join(n).display().to_string();
    [
        ("--report", vec!["--report".into(), d("r.json")]),
        ("--plot png", vec!["--plot".into(), d("p.png")]),
        ("--plot svg", vec!["--plot".into(), d("p.svg")]),
        ("--csv", vec!["--csv".into(), d("tables")]),
    ]
}

/// Runs `render` and `analyze` with each side file in `bad` (a folder that is missing
/// or not writable) and checks: exit 1, the message names the file, nothing created in
/// `work` (which holds the input and would hold the WAV) or in `bad`'s parent.
fn refuse_all(
    run: &dyn Fn(&[String]) -> Output,
    input: &Path,
    work: &Path,
    bad: &Path,
    problem: &str,
) {
    let watched = bad.parent().unwrap();
    let before_work = tree(work);
    let before_watched = tree(watched);
    for (name, flags) in side_files(bad) {
        for cmd in ["render", "analyze"] {
            let mut args: Vec<String> = vec![cmd.into(), s(input).into()];
            if cmd == "render" {
                args.extend(["-o".into(), s(&work.join("out.wav")).into()]);
            }
            args.extend(flags.iter().cloned());
            args.extend(["--seed".into(), "1".into()]);
            let o = run(&args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {name}: {e}");
            assert!(e.contains(s(bad)), "{cmd} {name}: names the folder: {e}");
            assert!(e.contains(problem), "{cmd} {name}: says '{problem}': {e}");
            assert!(e.starts_with("gar: error:"), "{e}");
            assert_eq!(tree(work), before_work, "{cmd} {name}: nothing written");
            assert_eq!(tree(watched), before_watched, "{cmd} {name}");
        }
        // Checked before any work: the input is not even read (junk is not reported).
        let junk = work.join("junk.wav");
        fs::write(&junk, b"not audio").unwrap();
        let mut args: Vec<String> = vec!["render".into(), s(&junk).into()];
        args.extend(["-o".into(), s(&work.join("out.wav")).into()]);
        args.extend(flags.iter().cloned());
        let e = stderr(&run(&args));
        assert!(
            e.contains(s(bad)) && !e.contains("unrecognised"),
            "{name}: {e}"
        );
        fs::remove_file(&junk).unwrap();
    }
}

#[test]
fn a_side_file_in_a_missing_folder_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let input = work.join("in.wav");
    write_tone_with_clicks(&input, 1, 1.0); // mono, 1 s
    let missing = dir.path().join("no-such-folder");
    let run = |args: &[String]| gar_process(UNSET).args(args).output().unwrap();
    refuse_all(&run, &input, &work, &missing, "does not exist");
}

#[cfg(unix)]
#[test]
fn a_side_file_in_a_read_only_folder_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // Readable and traversable by anyone, so that `nobody` can run in it.
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let work = d.join("work");
    fs::create_dir(&work).unwrap();
    fs::set_permissions(&work, fs::Permissions::from_mode(0o777)).unwrap();
    let input = work.join("in.wav");
    write_tone_with_clicks(&input, 1, 1.0); // mono, 1 s
    fs::set_permissions(&input, fs::Permissions::from_mode(0o644)).unwrap();
    let ro = d.join("read-only");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();

    let root = is_root();
    let as_user = |args: &[String]| -> Output {
        if root {
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", GAR])
                .args(args)
                .output()
                .unwrap()
        } else {
            gar_process(UNSET).args(args).output().unwrap()
        }
    };
    if root {
        let ok = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                GAR,
                "--version",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!(
                "skipping: running as root, where folder permissions do not apply, and \
                 cannot drop to an unprivileged user with setpriv"
            );
            return;
        }
    } else {
        // Some sandboxes ignore permissions even for ordinary users: try first.
        let probe = ro.join("probe");
        if fs::File::create(&probe).is_ok() {
            let _ = fs::remove_file(&probe);
            eprintln!("skipping: this user can create files in a read-only folder");
            return;
        }
    }
    refuse_all(&as_user, &input, &work, &ro, "ermission denied");
}

#[test]
fn an_existing_side_file_is_refused_before_any_work() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    write_tone_with_clicks(&input, 1, 1.0); // mono, 1 s
    let side = d.join("side");
    fs::create_dir(&side).unwrap();
    for (name, flags) in side_files(&side) {
        // The file that exists: the report, the picture, or the second CSV table.
        let existing: PathBuf = match name {
            "--csv" => side.join("tables.plan.csv"),
            _ => PathBuf::from(flags.last().unwrap()),
        };
        fs::write(&existing, b"mine").unwrap();
        let o = gar_process(UNSET)
            .args(["render", s(&input), "-o", s(&d.join("out.wav"))])
            .args(&flags)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {e}");
        assert!(e.contains("already exists") && e.contains("--force"), "{e}");
        assert_eq!(fs::read(&existing).unwrap(), b"mine");
        fs::remove_file(&existing).unwrap();
        assert_eq!(tree(d), vec!["in.wav", "side"], "{name}");
    }
}

#[test]
fn two_flags_naming_one_file_are_a_usage_error() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    write_tone_with_clicks(&input, 1, 1.0); // mono, 1 s
    let cases: &[&[&str]] = &[
        &["-o", "x.json", "--report", "x.json"],
        &["-o", "o.wav", "--report", "./r.svg", "--plot", "r.svg"],
        &["-o", "o.wav", "--report", "t.plan.csv", "--csv", "t"],
    ];
    for args in cases {
        let o = gar_process(UNSET)
            .current_dir(d)
            .args(["render", "in.wav"])
            .args(*args)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains("both name"), "{args:?}: {e}");
        assert_eq!(tree(d), vec!["in.wav"], "{args:?}");
    }
}

#[test]
fn every_file_is_written_when_all_can_be() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let input = d.join("in.wav");
    write_tone_with_clicks(&input, 1, 1.0); // mono, 1 s
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(["render", "in.wav", "-o", "o.wav", "--report", "r.json"])
        .args(["--plot", "p.svg", "--csv", "t", "--seed", "2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        tree(d),
        vec![
            "in.wav",
            "o.wav",
            "p.svg",
            "r.json",
            "t.candidates.csv",
            "t.plan.csv"
        ]
    );
    // The summary lists every file written, once.
    let out = String::from_utf8_lossy(&o.stdout);
    for f in ["o.wav", "r.json", "p.svg", "t.candidates.csv", "t.plan.csv"] {
        let line = format!("wrote   {f}");
        assert_eq!(out.lines().filter(|l| *l == line).count(), 1, "{out}");
    }
    // analyze: no WAV, the same side files.
    let o = gar_process(UNSET)
        .current_dir(d)
        .args(["analyze", "in.wav", "--json", "a.json", "--csv", "a", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(d.join("a.json").is_file() && d.join("a.plan.csv").is_file());
}
