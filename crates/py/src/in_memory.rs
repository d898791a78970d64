//! `gar.render` on an array: `gar_run::render_samples`'s pipeline (parameters
//! checked, memory reserved in the process's budget, prepare, render, report, a
//! panic caught as an error), rendering straight into the numpy array that is
//! returned (`gar_core::render_prepared_into`) instead of into buffers of its own
//! that would then be copied.

use crate::errors::Fail;
use gar_core::report::LevelReport;
use gar_core::{Prepared, Report};
use gar_io::Bits;
use gar_run::limits::{self, Shape, Wants};
use gar_run::{Ctx, Reservation, RunError, safety};
use std::path::Path;

/// A run prepared on samples in memory, with the memory it holds reserved.
pub struct Planned {
    pub prepared: Prepared,
    _memory: Option<Reservation<'static>>,
}

impl Planned {
    /// The output's channels and frames.
    pub fn output_shape(&self, source_channels: usize) -> (usize, usize) {
        let s = &self.prepared.settings;
        (s.output_channels(source_channels), s.output_len())
    }
}

/// Checks the parameters, reserves the memory the run needs beyond the caller's
/// samples, then analyses and plans `chans`; `warnings` (about the samples) come
/// first in the report.
pub fn plan(
    chans: &[&[f32]],
    sample_rate: u32,
    req: &crate::args::Request,
    label: &str,
    warnings: Vec<String>,
    ctx: &Ctx<'static>,
) -> Result<Planned, RunError> {
    safety::guard(|| {
        let mut params = req.params.clone();
        params.validate().map_err(RunError::Param)?;
        let seed = gar_run::resolve_seed(params.seed)?;
        params.seed = seed;
        let path = Path::new(label);
        let frames = chans.first().map_or(0, |c| c.len()) as u64;
        let shape = Shape {
            sample_rate,
            channels: chans.len(),
            frames: Some(frames),
            exact: true,
        };
        let wants = Wants {
            output: Some((path, Bits::F32)),
            json: true,
            ..Wants::default()
        };
        let need = limits::check_run(
            path,
            &shape,
            &params,
            req.preset,
            &wants,
            ctx.budget.limit(),
        )?;
        // The samples are the caller's: only the rest is reserved.
        let memory = need
            .map(|b| b.saturating_sub(frames * chans.len() as u64 * 4))
            .map(|b| ctx.budget.reserve(b, &ctx.cancel))
            .transpose()?;
        let mut prepared = gar_core::prepare(chans, sample_rate, &params, req.preset, seed)
            .map_err(|e| gar_run::param_error(e, path))?;
        let mut w = warnings;
        w.append(&mut prepared.warnings);
        prepared.warnings = w;
        for a in &mut prepared.settings.adjustments {
            *a = gar_run::with_flag(a);
        }
        Ok(Planned {
            prepared,
            _memory: memory,
        })
    })
}

/// Renders a planned run into `out` (one slice per output channel) and returns its
/// report, as `render_samples` writes it.
pub fn render_into(
    planned: &Planned,
    chans: &[&[f32]],
    out: &mut [&mut [f32]],
    label: &str,
) -> Result<Report, RunError> {
    safety::guard(|| {
        let p = &planned.prepared;
        let level = gar_core::render_prepared_into(p, chans, out);
        let (sr, frames) = (p.settings.sample_rate, chans.first().map_or(0, |c| c.len()));
        let mut report = Report::new(
            p,
            gar_run::input_info(label, sr, chans.len(), frames),
            Some(gar_run::output_info(
                label,
                sr,
                out.len(),
                out.first().map_or(0, |c| c.len()),
                &Bits::F32.to_string(),
            )),
        );
        report.level = Some(LevelReport::new(p, &level));
        report.warnings.extend(level.warnings.iter().cloned());
        Ok(report)
    })
}

/// A failure of either step, as Python sees it.
pub fn fail(e: RunError) -> Fail {
    crate::run_fail(e, &[])
}
