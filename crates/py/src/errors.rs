//! What goes wrong, as Python exceptions: `gar.ParamError` (a `ValueError` that
//! names the parameter), `gar.AudioError` (an `OSError`: a file that cannot be
//! read or written), both `gar.GarError`s.
//!
//! Work runs without the GIL and reports a [`Fail`]; it becomes a Python
//! exception once the GIL is back.

use gar_core::ParamError;
use gar_core::table::ParamSpec;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;

/// The exception classes, defined in Python so that they can have two bases and
/// survive pickling (Dask sends a worker's exception to the client).
pub const CLASSES: &std::ffi::CStr = cr#"
class GarError(Exception):
    """Anything gar refuses or fails to do."""

    def __init__(self, message, _unused=None):
        super().__init__(message)

class ParamError(GarError, ValueError):
    """A parameter gar cannot use. ``param`` is its name (the parameter table's id,
    as the keyword argument is spelled), or None when the source itself is at fault
    (too short, no channels)."""

    def __init__(self, message, param=None):
        super().__init__(message)
        self.param = param

    def __reduce__(self):
        return (type(self), (str(self), self.param))

class AudioError(GarError, OSError):
    """A sound file that cannot be read (missing, unreadable, not audio, corrupt) or
    written (the output exists, its folder is missing, the disk is full). ``path``
    names the file."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        return self.args[0] if self.args else ""

    def __reduce__(self):
        return (type(self), (str(self), self.path))
"#;

/// A failure, before it becomes a Python exception.
#[derive(Debug)]
pub enum Fail {
    /// `gar.ParamError(message, param)`.
    Param {
        message: String,
        param: Option<String>,
    },
    /// `gar.AudioError(message, path)`.
    Audio {
        message: String,
        path: Option<PathBuf>,
    },
    /// `TypeError`: an argument of the wrong kind.
    Type(String),
    /// `ValueError` with no parameter to name.
    Value(String),
    /// `gar.GarError`: the run failed (memory, a bug caught).
    Gar(String),
    /// `RuntimeError`.
    Other(String),
}

impl Fail {
    /// A parameter error about `spec`: "`id`: message".
    pub fn param(spec: &ParamSpec, message: &str) -> Fail {
        Fail::Param {
            message: format!("{}: {message}", spec.id),
            param: Some(spec.id.into()),
        }
    }

    /// The Python exception.
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        let raise = |class: &str, args: (String, Option<String>)| -> PyErr {
            match py
                .import("gar")
                .and_then(|m| m.getattr(class))
                .and_then(|c| c.call1(args))
            {
                Ok(e) => PyErr::from_value(e),
                Err(e) => e,
            }
        };
        match self {
            Fail::Param { message, param } => raise("ParamError", (message, param)),
            Fail::Audio { message, path } => raise(
                "AudioError",
                (message, path.map(|p| p.display().to_string())),
            ),
            Fail::Gar(m) => raise("GarError", (m, None)),
            Fail::Type(m) => PyTypeError::new_err(m),
            Fail::Value(m) => PyValueError::new_err(m),
            Fail::Other(m) => PyRuntimeError::new_err(m),
        }
    }
}

impl From<ParamError> for Fail {
    fn from(e: ParamError) -> Fail {
        Fail::Param {
            message: e.to_string(),
            param: e.param().map(str::to_string),
        }
    }
}

impl From<gar_io::DecodeError> for Fail {
    fn from(e: gar_io::DecodeError) -> Fail {
        Fail::Audio {
            path: Some(e.path().to_path_buf()),
            message: e.to_string(),
        }
    }
}

impl From<gar_io::EncodeError> for Fail {
    fn from(e: gar_io::EncodeError) -> Fail {
        Fail::Audio {
            message: e.to_string(),
            path: None,
        }
    }
}

/// `?` on a `Result<_, Fail>` inside a function that returns `PyResult`.
pub trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Fail> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|f| f.into_py(py))
    }
}
