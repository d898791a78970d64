//! The fuzz targets' bodies. `harness.rs` is plain Rust on gar-core and gar-io only, so
//! that `crates/cli/tests/fuzz_regressions.rs` replays every committed crash input with
//! an ordinary `cargo test` (it includes the same file).

pub mod harness;

/// libfuzzer-sys aborts on every panic, even one that gar catches on purpose (gar-io runs
/// symphonia under `catch_unwind` and turns its panics into a `DecodeError`, which is the
/// behaviour under test). This hook lets such panics unwind to gar's handler; a panic that
/// escapes gar still reaches libfuzzer-sys's own `catch_unwind` around the target, which
/// aborts, so it is still reported as a crash. Each distinct panic site is printed once.
pub fn let_caught_panics_unwind() {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    std::panic::set_hook(Box::new(|info| {
        let site = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut seen) = SEEN.lock()
            && seen.get_or_insert_with(HashSet::new).insert(site)
        {
            eprintln!("gar-fuzz: panic (first at this site): {info}");
        }
    }));
}
