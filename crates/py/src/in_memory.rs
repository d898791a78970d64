//! `gar.render` on an array: gar-run's pipeline on samples in memory
//! ([`gar_run::plan_samples`]: parameters checked, memory reserved in the process's
//! budget, prepare; then [`gar_run::render_planned_into`]), rendering straight into
//! the numpy array that is returned instead of into buffers of its own that would
//! then be copied.

use crate::errors::Fail;
use gar_core::Report;
use gar_run::{Ctx, PlannedSamples, RunError};

/// A run prepared on samples in memory, with the memory it holds reserved.
pub struct Planned {
    pub inner: PlannedSamples<'static>,
}

impl Planned {
    /// The output's channels and frames.
    pub fn output_shape(&self, source_channels: usize) -> (usize, usize) {
        let s = &self.inner.prepared.settings;
        (s.output_channels(source_channels), s.output_len())
    }
}

/// Plans `chans` (see [`gar_run::plan_samples`]); `warnings` (about the samples) come
/// first in the report.
pub fn plan(
    chans: &[&[f32]],
    sample_rate: u32,
    req: &crate::args::Request,
    label: &str,
    warnings: Vec<String>,
    ctx: &Ctx<'static>,
) -> Result<Planned, RunError> {
    let mut inner = gar_run::plan_samples(
        chans,
        sample_rate,
        req.preset,
        &req.params,
        label,
        true,
        ctx,
    )?;
    let mut w = warnings;
    w.append(&mut inner.prepared.warnings);
    inner.prepared.warnings = w;
    Ok(Planned { inner })
}

/// Renders a planned run into `out` (one slice per output channel) and returns its
/// report, as `render_samples` writes it.
pub fn render_into(
    planned: &Planned,
    chans: &[&[f32]],
    out: &mut [&mut [f32]],
    label: &str,
) -> Result<Report, RunError> {
    gar_run::render_planned_into(&planned.inner, chans, out, label)
}

/// A failure of either step, as Python sees it.
pub fn fail(e: RunError) -> Fail {
    crate::run_fail(e, &[])
}
