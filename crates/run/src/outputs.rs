//! A run writes everything or nothing.
//!
//! Every file a command will write (the WAV, the report, the picture, the CSV tables)
//! is staged before any work: its target is checked (not the input, not a folder or a
//! special file, in an existing folder, new unless `--force`) and its temporary file is
//! created beside it, which also proves that the folder is writable. The work then
//! writes into the temporary files; [`Outputs::commit`] renames them all into place
//! only when every one is complete. On any failure before that, dropping [`Outputs`]
//! removes every temporary file, and the signal handler (`safety.rs`) removes them on
//! Ctrl-C. The writer itself, with its permissions and fsync policy, is
//! [`gar_io::AtomicFile`].

use crate::RunError;
use crate::safety;
use anyhow::anyhow;
use gar_io::AtomicFile;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One staged file: its temporary file (until taken or committed) and its target.
struct Staged {
    file: Option<AtomicFile>,
    target: PathBuf,
    temp: PathBuf,
    /// The flag that named it, for messages: `--report`.
    flag: &'static str,
    /// Where the target would be, spelled canonically (to find two flags naming one file).
    identity: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // The temporary file itself is removed by `AtomicFile`'s own drop.
        safety::forget_temp(&self.temp);
    }
}

/// A staged file, by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(usize);

/// The files of one run (see the module documentation).
pub struct Outputs {
    input: Option<PathBuf>,
    force: bool,
    staged: Vec<Staged>,
}

/// Where `path` would be: its folder, canonical, joined with its file name.
fn identity(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match path.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

impl Outputs {
    /// The outputs of a run on `input` (a file, which is never written), replacing
    /// existing files only with `force`.
    pub fn new(input: Option<&Path>, force: bool) -> Outputs {
        Outputs {
            input: input.map(Path::to_path_buf),
            force,
            staged: Vec::new(),
        }
    }

    /// Checks `path` (named by `flag`, a `what` such as "report") and creates its
    /// temporary file.
    pub fn stage(&mut self, path: &Path, flag: &'static str, what: &str) -> Result<Slot, RunError> {
        if path.as_os_str() == "-" {
            return Err(RunError::Usage(format!(
                "{flag} -: only the WAV can go to standard output (-o -); give {flag} a file \
                 name"
            )));
        }
        let id = identity(path);
        if let Some(other) = self.staged.iter().find(|s| s.identity == id) {
            return Err(RunError::Usage(format!(
                "{} and {flag} both name {}; expected a different file for each",
                other.flag,
                path.display()
            )));
        }
        check_target(path, self.input.as_deref(), self.force, what)?;
        let file = AtomicFile::create(path, self.force, safety::register_temp)
            .map_err(|e| RunError::Failed(anyhow!(e)))?;
        let staged = Staged {
            target: path.to_path_buf(),
            temp: file.temp_path().to_path_buf(),
            file: Some(file),
            flag,
            identity: id,
        };
        self.staged.push(staged);
        Ok(Slot(self.staged.len() - 1))
    }

    /// The target of a slot.
    pub fn path(&self, slot: Slot) -> &Path {
        &self.staged[slot.0].target
    }

    /// Writes `bytes` into a staged file.
    pub fn write(&mut self, slot: Slot, bytes: &[u8]) -> Result<(), RunError> {
        let s = &mut self.staged[slot.0];
        let file = s
            .file
            .as_mut()
            .ok_or_else(|| anyhow!("internal error: {} written twice", s.target.display()))?;
        file.write_all(bytes)
            .map_err(|e| anyhow!("cannot write {}: {e}", s.target.display()))?;
        Ok(())
    }

    /// Takes a staged file out (to hand it to a streaming writer); give it back with
    /// [`put`](Self::put) once complete. A file not given back is not committed, and
    /// its temporary file is removed when the writer drops it.
    pub fn take(&mut self, slot: Slot) -> Result<AtomicFile, RunError> {
        let s = &mut self.staged[slot.0];
        s.file.take().ok_or_else(|| {
            RunError::Failed(anyhow!(
                "internal error: {} taken twice",
                s.target.display()
            ))
        })
    }

    /// Gives back a complete file taken with [`take`](Self::take).
    pub fn put(&mut self, slot: Slot, file: AtomicFile) {
        self.staged[slot.0].file = Some(file);
    }

    /// Renames every staged file into place, in the order staged, and returns their
    /// paths. Every file must be complete (given back if taken). If a rename fails
    /// (another process created one of the files in the same instant), the files this
    /// run already created are removed again and every temporary file is removed.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, RunError> {
        if let Some(s) = self.staged.iter().find(|s| s.file.is_none()) {
            return Err(RunError::Failed(anyhow!(
                "internal error: {} was not completed",
                s.target.display()
            )));
        }
        let mut files: Vec<AtomicFile> = self
            .staged
            .iter_mut()
            .filter_map(|s| s.file.take())
            .collect();
        // The slow part (flushing, and syncing files that replace old ones) first, for
        // all of them; the renames then follow one another closely.
        for f in &mut files {
            f.sync().map_err(|e| RunError::Failed(anyhow!(e)))?;
        }
        let temps: Vec<PathBuf> = files.iter().map(|f| f.temp_path().to_path_buf()).collect();
        let written: Vec<PathBuf> = files.iter().map(|f| f.path().to_path_buf()).collect();
        safety::commit(&temps, move || {
            let mut created: Vec<PathBuf> = Vec::new();
            for f in files.into_iter() {
                let (path, replacing) = (f.path().to_path_buf(), f.replaces_existing());
                if let Err(e) = f.commit() {
                    for p in &created {
                        let _ = std::fs::remove_file(p);
                    }
                    // The files not yet renamed are dropped here, removing their
                    // temporary files.
                    return Err(e);
                }
                if !replacing {
                    created.push(path);
                }
            }
            Ok(())
        })
        .map_err(|e| RunError::Failed(anyhow!(e)))?;
        Ok(written)
    }
}

/// Refuses to write `target` over the input (any spelling) or, without `force`,
/// over an existing file; refuses a folder or a special file whatever `force` says.
pub fn check_target(
    target: &Path,
    input: Option<&Path>,
    force: bool,
    what: &str,
) -> Result<(), RunError> {
    if let Some(input) = input
        && gar_io::same_file(target, input)
    {
        return Err(RunError::Failed(anyhow!(
            "the {what} {} is the input file; gar never writes its input (choose another path)",
            target.display()
        )));
    }
    if target.is_dir() {
        return Err(RunError::Failed(anyhow!(
            "the {what} {} is a directory; expected a file path",
            target.display()
        )));
    }
    // A device (/dev/null), FIFO or socket: the final rename would replace it by a file.
    if target.exists() && !target.is_file() {
        return Err(RunError::Failed(anyhow!(
            "the {what} {} exists and is not a regular file (a device, FIFO or socket); gar \
             writes files by renaming a finished temporary file into place, which would \
             replace it: choose a file path",
            target.display()
        )));
    }
    if !force && std::fs::symlink_metadata(target).is_ok() {
        return Err(RunError::Failed(anyhow!(
            "the {what} {} already exists; pass --force to replace it",
            target.display()
        )));
    }
    Ok(())
}
