//! `gar batch`: many files in one run, in parallel, resumable and shardable.
//!
//! The job list is built and checked first (every input found, every output distinct,
//! every manifest line valid), sorted by output path; `--shard K/N` keeps jobs K, K+N,
//! K+2N, ... (1-based) of that list. Jobs run on `--jobs` threads, each a
//! [`gar_run::Job`] sharing the process's memory budget (a job waits while others hold
//! the memory it needs); each thread runs its jobs' parallel sections in a rayon pool of
//! its share of the cores (cores / jobs, at least 1), so that jobs never use more cores
//! than the machine has. A failed file does not stop the others; the
//! summary and the exit status say what happened.
//!
//! Seeds: with `--seed S` each file's seed is [`gar_core::seeds::file_seed`] of `S` and
//! its path relative to its input root; without, each file draws its own (recorded in
//! its sidecar and in the summary).
//!
//! Beside every output, `NAME.gar.json` (the sidecar: preset, seed, requested
//! parameters; also a params file, `gar render IN --params NAME.gar.json`) is written in
//! the same all-or-nothing commit as the WAV. `--skip-existing` skips a job whose
//! output exists with a sidecar recording the same parameters and seed.

use crate::Failure;
use crate::args::BatchArgs;
use crate::flags::{params_from_flags, run_failure};
use anyhow::anyhow;
use gar_core::paramfile::{self, Format};
use gar_core::{Params, Preset};
use gar_io::Bits;
use gar_run::{Input, Job, WavTarget};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// File name extensions that folders are searched for (case-insensitive).
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc",
];

/// One file of a batch, before it runs.
struct Planned {
    input: PathBuf,
    /// The path relative to its input root (seeds and messages), `/`-separated.
    rel: String,
    output: PathBuf,
    preset: Preset,
    params: Params,
    /// True if the seed is fixed by `--seed` or the manifest (else drawn per run).
    seed_fixed: bool,
}

/// What happened to one file.
#[derive(Clone, Debug)]
struct Done {
    status: &'static str,
    error: Option<String>,
    seed: u64,
    ms: f64,
}

fn is_audio(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `/`-separated relative path.
fn rel_text(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `K/N` with 1 <= K <= N.
pub fn parse_shard(s: &str) -> Result<(usize, usize), Failure> {
    let bad = |why: &str| {
        Failure::Usage(format!(
            "--shard {s}: {why}; expected K/N with 1 <= K <= N, e.g. --shard 1/4 .. --shard 4/4 \
             (with a 0-based task index i: --shard $((i+1))/N)"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| bad("K is not a whole number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| bad("N is not a whole number"))?;
    if n == 0 {
        return Err(bad("N must be at least 1"));
    }
    if k == 0 || k > n {
        return Err(bad(&format!("K must be between 1 and {n}")));
    }
    Ok((k, n))
}

/// The output of `rel` (an input's path relative to its root) under `out_dir`: the
/// same folders, the same stem, `.wav`.
fn mirrored(out_dir: &Path, rel: &Path) -> PathBuf {
    let mut p = out_dir.join(rel);
    p.set_extension("wav");
    p
}

/// The sidecar of an output: `NAME.gar.json` beside `NAME.wav`.
pub fn sidecar_path(output: &Path) -> PathBuf {
    output.with_extension("gar.json")
}

/// The sidecar's content: preset, seed and the requested parameters (a params file).
fn sidecar(p: &Planned, seed: u64) -> Value {
    json!({
        "gar_version": env!("CARGO_PKG_VERSION"),
        "input": p.rel,
        "preset": p.preset.id(),
        "seed": seed,
        "seed_fixed": p.seed_fixed,
        "params": Value::Object(paramfile::values(&p.params)),
    })
}

/// True if `output` exists with a sidecar recording the same preset, parameters and
/// (when fixed) seed.
fn already_done(p: &Planned) -> bool {
    if !p.output.is_file() {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(sidecar_path(&p.output)) else {
        return false;
    };
    let Ok(old) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let want = sidecar(p, p.params.seed);
    let same = |k: &str| old.get(k) == want.get(k);
    same("preset") && same("params") && (!p.seed_fixed || same("seed"))
}

/// The engine parameters of the flags with a manifest line's layer on top, for the file
/// at `rel`, and whether its seed is fixed. A seed the manifest line gives is used as
/// given; a base seed (`--seed`, a params file) becomes [`gar_core::seeds::file_seed`]
/// of it and `rel`; with neither the file draws a seed when it runs.
fn layered(
    a: &BatchArgs,
    line: Option<&paramfile::Layer>,
    rel: &str,
) -> Result<(Preset, Params, bool), Failure> {
    let mut engine = a.engine.clone();
    if let Some(p) = line.and_then(|l| l.preset) {
        engine.preset = Some(p.id().to_string());
    }
    let (preset, mut params) = params_from_flags(&engine, Some(&a.level))?;
    let base = params.seed;
    let mut line_seed = false;
    if let Some(l) = line {
        paramfile::apply(&mut params, &l.values).map_err(|e| Failure::Usage(e.to_string()))?;
        line_seed = l.values.iter().any(|(s, _)| s.id == "seed") && params.seed != 0;
    }
    if !line_seed {
        params.seed = if base != 0 {
            gar_core::seeds::file_seed(base, rel)
        } else {
            0
        };
    }
    let fixed = params.seed != 0;
    Ok((preset, params, fixed))
}

/// Every job of the inputs and the manifest, checked, sorted by output.
fn plan_jobs(a: &BatchArgs) -> Result<Vec<Planned>, Failure> {
    let mut jobs = Vec::new();
    let from_flags = |input: PathBuf, rel: &Path| -> Result<Planned, Failure> {
        let rel_s = rel_text(rel);
        let (preset, params, seed_fixed) = layered(a, None, &rel_s)?;
        Ok(Planned {
            rel: rel_s,
            output: mirrored(&a.out_dir, rel),
            input,
            preset,
            params,
            seed_fixed,
        })
    };
    for root in &a.inputs {
        if root.is_dir() {
            let mut found = 0;
            for entry in walkdir::WalkDir::new(root)
                .follow_links(true)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| {
                    Failure::Run(anyhow!("cannot read the folder {}: {e}", root.display()))
                })?;
                let p = entry.path();
                if entry.file_type().is_file() && is_audio(p) {
                    let rel = p.strip_prefix(root).unwrap_or(p).to_path_buf();
                    if a.out_dir.exists() && gar_io::same_file(p.parent().unwrap_or(p), &a.out_dir)
                    {
                        // Never read what this batch writes (out-dir inside an input root).
                        continue;
                    }
                    jobs.push(from_flags(p.to_path_buf(), &rel)?);
                    found += 1;
                }
            }
            if found == 0 {
                return Err(Failure::Usage(format!(
                    "{}: no audio files in this folder or below; expected files ending in .{}",
                    root.display(),
                    AUDIO_EXTENSIONS.join(", .")
                )));
            }
        } else if root.exists() {
            let name = root
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| root.clone());
            jobs.push(from_flags(root.clone(), &name)?);
        } else {
            return Err(Failure::Usage(format!(
                "{}: no such file or folder; expected audio files, folders of them, or \
                 --manifest FILE.jsonl",
                root.display()
            )));
        }
    }
    if let Some(m) = &a.manifest {
        jobs.extend(manifest_jobs(a, m)?);
    }
    if jobs.is_empty() {
        return Err(Failure::Usage(
            "no inputs; expected audio files, folders of them, or --manifest FILE.jsonl".into(),
        ));
    }
    jobs.sort_by(|x, y| x.output.cmp(&y.output));
    for w in jobs.windows(2) {
        if w[0].output == w[1].output {
            return Err(Failure::Usage(format!(
                "{} and {} would both be written to {}; rename one of them or give the \
                 manifest an output for each",
                w[0].input.display(),
                w[1].input.display(),
                w[0].output.display()
            )));
        }
    }
    Ok(jobs)
}

/// The jobs of a manifest: one JSON object per line, `{"input": ..., "output": ...,
/// "params": {...}}`, `output` and `params` optional; relative paths are relative
/// to the manifest's folder (inputs) and to `--out-dir` (outputs); `params` takes
/// the keys of a params file (preset, seed, any parameter). Blank lines and lines
/// starting with `#` are skipped.
fn manifest_jobs(a: &BatchArgs, m: &Path) -> Result<Vec<Planned>, Failure> {
    let text = std::fs::read_to_string(m)
        .map_err(|e| Failure::Usage(format!("--manifest {}: cannot read it: {e}", m.display())))?;
    let base = m.parent().unwrap_or(Path::new("."));
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let at = |why: String| Failure::Usage(format!("{}:{}: {why}", m.display(), i + 1));
        let v: Value =
            serde_json::from_str(t).map_err(|e| at(format!("not a JSON object: {e}")))?;
        let Value::Object(o) = v else {
            return Err(at(
                "expected a JSON object like {\"input\": \"a.wav\"}".into()
            ));
        };
        for k in o.keys() {
            if !matches!(k.as_str(), "input" | "output" | "params") {
                return Err(at(format!(
                    "unknown key '{k}'; expected input, output and params"
                )));
            }
        }
        let Some(Value::String(input)) = o.get("input") else {
            return Err(at("expected \"input\": a path (text)".into()));
        };
        let layer = match o.get("params") {
            None => None,
            Some(p @ Value::Object(_)) => Some(
                paramfile::parse(&p.to_string(), Format::Json)
                    .map_err(|e| at(format!("params: {e}")))?,
            ),
            Some(_) => return Err(at("expected \"params\": an object of parameters".into())),
        };
        let rel = Path::new(input);
        let output = match o.get("output") {
            None => mirrored(&a.out_dir, rel.strip_prefix("/").unwrap_or(rel)),
            Some(Value::String(s)) => a.out_dir.join(s),
            Some(_) => return Err(at("expected \"output\": a path (text)".into())),
        };
        let rel_s = gar_core::seeds::normalise_rel_path(input);
        let (preset, params, seed_fixed) =
            layered(a, layer.as_ref(), &rel_s).map_err(|e| match e {
                Failure::Usage(m) => at(m),
                other => other,
            })?;
        // Every value checked now, so that a bad line stops the batch before any work.
        params
            .validate()
            .map_err(|e| at(format!("params: {}", crate::flags::param_text(&e))))?;
        jobs.push(Planned {
            input: base.join(rel),
            rel: rel_s,
            output,
            preset,
            params,
            seed_fixed,
        });
    }
    Ok(jobs)
}

/// The progress of a batch: a bar on a terminal, plain lines otherwise.
struct Display {
    bar: Option<ProgressBar>,
    plain: bool,
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
}

impl Display {
    fn new(total: usize, quiet: bool) -> Display {
        let tty = std::io::stderr().is_terminal() && !quiet;
        let bar = tty.then(|| {
            let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "gar batch [{bar:32}] {pos}/{len} files, {msg} ({elapsed}, {eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message("0 failed");
            b
        });
        Display {
            bar,
            plain: !tty && !quiet,
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    fn file(&self, p: &Planned, d: &Done) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if d.status == "failed" {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        let line = match &d.error {
            // Most errors name the input already.
            Some(e) if e.contains(&p.input.display().to_string()) => {
                format!("gar: [{n}/{}] failed  {e}", self.total)
            }
            Some(e) => format!(
                "gar: [{n}/{}] failed  {}: {e}",
                self.total,
                p.input.display()
            ),
            None => format!(
                "gar: [{n}/{}] {:<7} {} -> {} ({:.0} ms)",
                self.total,
                d.status,
                p.input.display(),
                p.output.display(),
                d.ms
            ),
        };
        if let Some(b) = &self.bar {
            if d.error.is_some() {
                b.println(&line);
            }
            b.set_message(format!("{} failed", self.failed.load(Ordering::SeqCst)));
            b.inc(1);
        } else if self.plain || d.error.is_some() {
            eprintln!("{line}");
        }
    }
}

/// Runs one planned file.
fn run_one(a: &BatchArgs, p: &Planned, bits: Bits, budget: &gar_run::MemoryBudget) -> Done {
    let t = Instant::now();
    let fail = |seed: u64, e: String| Done {
        status: "failed",
        error: Some(e),
        seed,
        ms: t.elapsed().as_secs_f64() * 1000.0,
    };
    let seed = if p.seed_fixed {
        p.params.seed
    } else {
        match gar_run::resolve_seed(0) {
            Ok(s) => s,
            Err(e) => return fail(0, e.to_string()),
        }
    };
    if a.skip_existing && already_done(p) {
        let old = std::fs::read_to_string(sidecar_path(&p.output))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.get("seed").and_then(Value::as_u64))
            .unwrap_or(seed);
        return Done {
            status: "skipped",
            error: None,
            seed: old,
            ms: 0.0,
        };
    }
    if a.skip_existing && !a.force && p.output.exists() {
        return fail(
            seed,
            format!(
                "{} exists but its sidecar {} does not record these parameters and seed; pass \
                 --force to replace it",
                p.output.display(),
                sidecar_path(&p.output).display()
            ),
        );
    }
    if let Some(dir) = p.output.parent()
        && !dir.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return fail(
            seed,
            format!("cannot create the folder {}: {e}", dir.display()),
        );
    }
    let mut params = p.params.clone();
    params.seed = seed;
    let side = match serde_json::to_vec_pretty(&sidecar(p, seed)) {
        Ok(b) => b,
        Err(e) => return fail(seed, e.to_string()),
    };
    let job = Job {
        input: Input::File(p.input.clone()),
        preset: p.preset,
        params,
        wav: Some(WavTarget::File(p.output.clone())),
        bits,
        report: None,
        save_params: None,
        plot: None,
        plot_size: gar_plot::DEFAULT_SIZE,
        csv: None,
        // A sidecar without its output is a stale one of this batch (a crash between
        // the two renames, or an output removed by hand): replaced.
        force: a.force || !p.output.exists(),
        extra: vec![(sidecar_path(&p.output), side)],
    };
    let ctx = gar_run::Ctx {
        progress: &gar_run::NoProgress,
        cancel: gar_run::Cancel::default(),
        budget,
    };
    match gar_run::run(&job, &ctx) {
        Ok(_) => Done {
            status: "ok",
            error: None,
            seed,
            ms: t.elapsed().as_secs_f64() * 1000.0,
        },
        Err(e) => {
            let msg = match run_failure(e) {
                Failure::Usage(m) => m,
                Failure::Run(e) => format!("{e:#}"),
            };
            fail(seed, msg)
        }
    }
}

/// The `--jobs` default: one per core (the memory budget holds back jobs that would
/// together exceed it).
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn batch_command(a: &BatchArgs) -> Result<(), Failure> {
    if a.engine.save_params.is_some() {
        return Err(Failure::Usage(
            "--save-params is for one run; `gar batch` writes NAME.gar.json (a params file) \
             beside every output instead"
                .into(),
        ));
    }
    let bits: Bits = a.bits.parse().map_err(|_| {
        Failure::Usage(format!(
            "unknown --bits '{}'; expected 16, 24 or 32f (32-bit float)",
            a.bits
        ))
    })?;
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let jobs_n = match a.jobs {
        Some(0) => {
            return Err(Failure::Usage(
                "--jobs 0: expected at least 1 (or leave it out: one per core)".into(),
            ));
        }
        Some(n) => n,
        None => default_jobs(),
    };
    if a.out_dir.exists() && !a.out_dir.is_dir() {
        return Err(Failure::Usage(format!(
            "--out-dir {}: exists and is not a folder",
            a.out_dir.display()
        )));
    }
    let mut all = plan_jobs(a)?;
    let total_all = all.len();
    if let Some((k, n)) = shard {
        all = all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, j)| j)
            .collect();
    }
    let summary_slot = match &a.summary {
        Some(p) => {
            gar_run::outputs::check_target(p, None, true, "summary").map_err(run_failure)?;
            Some(p.clone())
        }
        None => None,
    };
    std::fs::create_dir_all(&a.out_dir).map_err(|e| {
        Failure::Run(anyhow!(
            "cannot create --out-dir {}: {e}",
            a.out_dir.display()
        ))
    })?;
    let budget = gar_run::MemoryBudget::process().map_err(run_failure)?;
    let display = Display::new(all.len(), a.quiet);
    let results: Vec<Mutex<Option<Done>>> = all.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let t0 = Instant::now();
    // Each of the `workers` threads runs its jobs in a pool of its own share of the
    // cores, so that jobs neither oversubscribe the cores nor wait on one another's
    // parallel sections (outputs do not depend on the number of threads).
    let workers = jobs_n.min(all.len()).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let inner = (cores / workers).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(inner)
                    .thread_name(|i| format!("gar-batch-{i}"))
                    .build()
                    .ok();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = all.get(i) else { break };
                    let d = match &pool {
                        Some(pool) => pool.install(|| run_one(a, p, bits, budget)),
                        None => run_one(a, p, bits, budget),
                    };
                    display.file(p, &d);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(d);
                    }
                }
            });
        }
    });
    if let Some(b) = &display.bar {
        b.finish_and_clear();
    }
    let secs = t0.elapsed().as_secs_f64();
    let done: Vec<Done> = results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or(Done {
                status: "failed",
                error: Some("internal error: the job did not report".into()),
                seed: 0,
                ms: 0.0,
            })
        })
        .collect();
    let count = |s: &str| done.iter().filter(|d| d.status == s).count();
    let (ok, failed, skipped) = (count("ok"), count("failed"), count("skipped"));
    if let Some(path) = &summary_slot {
        let files: Vec<Value> = all
            .iter()
            .zip(&done)
            .map(|(p, d)| {
                json!({
                    "input": p.input.display().to_string(),
                    "rel": p.rel,
                    "output": p.output.display().to_string(),
                    "status": d.status,
                    "error": d.error,
                    "seed": d.seed,
                    "ms": (d.ms * 10.0).round() / 10.0,
                })
            })
            .collect();
        let doc = json!({
            "gar_version": env!("CARGO_PKG_VERSION"),
            "out_dir": a.out_dir.display().to_string(),
            "shard": a.shard,
            "jobs_in_list": total_all,
            "jobs": all.len(),
            "threads": jobs_n,
            "ok": ok,
            "failed": failed,
            "skipped": skipped,
            "seconds": (secs * 1000.0).round() / 1000.0,
            "files": files,
        });
        let mut outs = gar_run::outputs::Outputs::new(None, true);
        let slot = outs.stage(path, "--summary", "summary")?;
        outs.write(
            slot,
            &serde_json::to_vec_pretty(&doc).map_err(|e| anyhow!(e))?,
        )?;
        outs.commit()?;
    }
    if !a.quiet {
        let shard_note = shard.map_or(String::new(), |(k, n)| {
            format!(" (shard {k}/{n} of {total_all})")
        });
        eprintln!(
            "gar batch: {ok} ok, {failed} failed, {skipped} skipped of {} files{shard_note} in {secs:.1} s, {jobs_n} jobs",
            all.len()
        );
    }
    if failed > 0 {
        return Err(Failure::Run(anyhow!(
            "{failed} of {} files failed (their errors are above{})",
            all.len(),
            if a.summary.is_some() {
                " and in the summary"
            } else {
                ""
            }
        )));
    }
    Ok(())
}
