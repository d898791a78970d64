//! The run API: jobs run concurrently give the bytes they give alone, a failed job
//! does not disturb the others, a cancelled job leaves nothing, a shared budget holds.

use gar_core::Preset;
use gar_run::{Cancel, Ctx, Job, MemoryBudget, NoProgress, RunError};
use std::path::{Path, PathBuf};

/// A 3 s stereo test sound: decaying clicks over a quiet tone.
fn write_input(path: &Path, seed: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..3 * 22_050u32 {
        let t = f64::from(i) / 22_050.0;
        let click = (-((i % (4_000 + seed * 500)) as f64) / 300.0).exp();
        let tone = 0.1 * (t * 440.0 * std::f64::consts::TAU).sin();
        let l = ((click * 0.8 + tone) * 20_000.0) as i16;
        let r = ((click * 0.5 - tone) * 20_000.0) as i16;
        w.write_sample(l).unwrap();
        w.write_sample(r).unwrap();
    }
    w.finalize().unwrap();
}

fn job(input: &Path, output: &Path, seed: u64) -> Job {
    let mut j = Job::render(input, output, Preset::SelfRemix);
    j.params.seed = seed;
    j.report = Some(output.with_extension("json"));
    j
}

fn ctx(budget: &MemoryBudget) -> Ctx<'_> {
    Ctx {
        progress: &NoProgress,
        cancel: Cancel::default(),
        budget,
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn concurrent_jobs_equal_jobs_run_alone_and_a_failure_stays_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = (0..4)
        .map(|k| {
            let p = dir.path().join(format!("in{k}.wav"));
            write_input(&p, k);
            p
        })
        .collect();
    let budget = MemoryBudget::new(8 << 30);
    // Alone, one after the other.
    let alone: Vec<Vec<u8>> = inputs
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let out = dir.path().join(format!("alone{k}.wav"));
            gar_run::run(&job(p, &out, 7 + k as u64), &ctx(&budget)).unwrap();
            std::fs::read(&out).unwrap()
        })
        .collect();
    // All at once, with a broken input among them.
    let broken = dir.path().join("broken.wav");
    std::fs::write(&broken, b"RIFF\x10\0\0\0WAVEnot audio at all").unwrap();
    let results: Vec<Result<gar_run::Outcome, RunError>> = std::thread::scope(|s| {
        let mut hs: Vec<_> = inputs
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (budget, dir) = (&budget, dir.path());
                s.spawn(move || {
                    let out = dir.join(format!("together{k}.wav"));
                    gar_run::run(&job(p, &out, 7 + k as u64), &ctx(budget))
                })
            })
            .collect();
        let (budget, dir) = (&budget, dir.path());
        hs.push(
            s.spawn(move || gar_run::run(&job(&broken, &dir.join("never.wav"), 1), &ctx(budget))),
        );
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (k, want) in alone.iter().enumerate() {
        let got = std::fs::read(dir.path().join(format!("together{k}.wav"))).unwrap();
        assert!(got == *want, "job {k} differs when run with others");
        assert!(results[k].is_ok());
    }
    match &results[4] {
        Err(RunError::Failed(e)) => assert!(e.to_string().contains("broken.wav"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Nothing of the failed job, and no temporary file of any job, is left.
    let names: Vec<String> = files_in(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("never")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
    assert_eq!(budget.in_use(), 0);
}

#[test]
fn a_cancelled_job_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    write_input(&input, 0);
    let budget = MemoryBudget::new(8 << 30);
    let c = ctx(&budget);
    c.cancel.cancel();
    let r = gar_run::run(&job(&input, &dir.path().join("out.wav"), 3), &c);
    assert!(matches!(r, Err(RunError::Cancelled)), "{r:?}");
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn a_job_larger_than_the_budget_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    write_input(&input, 0);
    let budget = MemoryBudget::new(1 << 20);
    let r = gar_run::run(&job(&input, &dir.path().join("out.wav"), 3), &ctx(&budget));
    match r {
        Err(RunError::Failed(e)) => assert!(e.to_string().contains("memory"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn parameter_errors_are_typed_and_name_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    write_input(&input, 0);
    let budget = MemoryBudget::new(8 << 30);
    let mut j = job(&input, &dir.path().join("out.wav"), 3);
    j.params.grain_ms = gar_core::Envelope::from(-5.0);
    let r = gar_run::run(&j, &ctx(&budget));
    assert_eq!(r.as_ref().err().and_then(RunError::param), Some("grain_ms"));
    assert!(r.unwrap_err().is_usage());
}

#[test]
fn samples_in_memory_render_as_the_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    write_input(&input, 1);
    let budget = MemoryBudget::new(8 << 30);
    let out = dir.path().join("out.wav");
    let mut j = job(&input, &out, 11);
    j.bits = gar_io::Bits::F32;
    let outcome = gar_run::run(&j, &ctx(&budget)).unwrap();
    let dec = gar_io::decode_file(&input).unwrap();
    let chans: Vec<&[f32]> = dec.channels.iter().map(|c| c.as_slice()).collect();
    let mut p = Preset::SelfRemix.params();
    p.seed = 11;
    let r = gar_run::render_samples(
        &chans,
        dec.sample_rate,
        Preset::SelfRemix,
        &p,
        "in.wav",
        &ctx(&budget),
    )
    .unwrap();
    let file = gar_io::decode_file(&out).unwrap();
    assert_eq!(file.channels.len(), r.output.len());
    for (a, b) in file.channels.iter().zip(&r.output) {
        assert!(a.as_slice() == b.as_slice(), "samples differ");
    }
    assert_eq!(outcome.report.plan.pos_s, r.report.plan.pos_s);
    assert_eq!(
        outcome.report.level.as_ref().map(|l| l.gain_db),
        r.report.level.as_ref().map(|l| l.gain_db)
    );
}
