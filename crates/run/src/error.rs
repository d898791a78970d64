//! What a job's failure says, typed so that each front end words it its own way: the
//! command line maps parameter ids to flags and usage errors to exit status 2, Python
//! raises an exception carrying the parameter's name, the studio shows the message next
//! to the control that caused it.

use gar_core::ParamError;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A parameter's value, or a combination of parameters, that no source can take
    /// (names the parameter: [`ParamError::param`]).
    #[error("{0}")]
    Param(ParamError),
    /// A request that cannot work whatever the input (two outputs naming one file, an
    /// output with the wrong extension, an output that would hold no sample): the
    /// command line's usage errors.
    #[error("{0}")]
    Usage(String),
    /// The input, the files or the machine (unreadable or hostile input, a folder that
    /// cannot be written, not enough memory).
    #[error(transparent)]
    Failed(anyhow::Error),
    /// The job was cancelled ([`crate::Cancel`]); every file it staged was removed.
    #[error("cancelled; unfinished files were removed")]
    Cancelled,
}

impl RunError {
    /// The parameter a [`RunError::Param`] is about.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            RunError::Param(e) => e.param(),
            _ => None,
        }
    }

    /// True for errors in the request (parameters, outputs) rather than in the input
    /// or the machine.
    pub fn is_usage(&self) -> bool {
        matches!(self, RunError::Param(_) | RunError::Usage(_))
    }
}

impl From<anyhow::Error> for RunError {
    fn from(e: anyhow::Error) -> Self {
        RunError::Failed(e)
    }
}

/// A parameter error met while checking a run against its input: those about the
/// source itself (too short for the grains, no sample rate) name the input and are not
/// the request's fault.
pub fn param_error(e: ParamError, input: &std::path::Path) -> RunError {
    match e {
        ParamError::SourceTooShort { .. } | ParamError::ZeroSampleRate => {
            RunError::Failed(anyhow::anyhow!("{}: {e}", input.display()))
        }
        e => RunError::Param(e),
    }
}
