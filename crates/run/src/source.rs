//! The input of a run: a file, or standard input (`-`).

use std::path::{Path, PathBuf};

/// What `gar render`/`gar analyze` read.
#[derive(Clone, Debug)]
pub enum Input {
    /// A file (or a pipe or device named by a path).
    File(PathBuf),
    /// Standard input, `-` on the command line.
    Stdin,
}

/// How standard input is named in messages and in the report.
pub const STDIN_LABEL: &str = "<stdin>";

impl Input {
    pub fn from_arg(p: &Path) -> Input {
        if p.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(p.to_path_buf())
        }
    }

    /// The path for messages: the file's, or `<stdin>`.
    pub fn label(&self) -> &Path {
        match self {
            Input::File(p) => p,
            Input::Stdin => Path::new(STDIN_LABEL),
        }
    }

    /// The file, if the input is one (outputs are compared with it).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Input::File(p) => Some(p),
            Input::Stdin => None,
        }
    }

    /// The stem of default output names: the file's stem, or `stdin`.
    pub fn stem(&self) -> String {
        match self {
            Input::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "output".into()),
            Input::Stdin => "stdin".into(),
        }
    }

    /// The name the picture's title shows.
    pub fn display_name(&self) -> String {
        match self {
            Input::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Input::Stdin => "standard input".into(),
        }
    }
}
