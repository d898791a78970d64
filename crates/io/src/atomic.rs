//! The one way gar writes a file: into a temporary file beside its target, renamed
//! into place only when complete.
//!
//! Every output of gar (WAV, JSON report, picture, CSV tables) goes through
//! [`AtomicFile`], so they all share one set of rules:
//!
//! * **Checks first.** The target must have a file name, its folder must exist, it
//!   must not be a directory or a special file (a device such as `/dev/null`, a FIFO,
//!   a socket: the final rename would replace it), and it must not exist unless
//!   overwriting was asked for. The temporary file is created at once, so an
//!   unwritable folder is found before any work.
//! * **Temporary name**: `.gar-tmp-XXXXXX` plus the target's extension, in the
//!   target's own folder (a rename never crosses file systems).
//! * **Permissions** (unix): those of `File::create`, `0666` minus the umask (`0644`
//!   with the usual umask 022), not `tempfile`'s private `0600`.
//! * **fsync policy**: when the target already exists (so a crash could lose the
//!   user's old file), the data is synced to disk before the rename, and the folder
//!   after it. A new file is not synced: a crash can at worst lose the new file, never
//!   an old one, and a render does not wait on the disk.
//! * **No clobbering**: without `overwrite`, the rename refuses to replace a file
//!   that appeared meanwhile ([`EncodeError::OutputExists`]).
//! * **Nothing left behind**: dropping an uncommitted `AtomicFile` (an error, a
//!   panic) removes the temporary file; the target is untouched until
//!   [`commit`](AtomicFile::commit).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::EncodeError;

/// Output buffer size: smaller than the WAV encoder's chunks, so whole chunks go
/// straight to the file (`BufWriter` passes large writes through) and only headers
/// and short writes are copied.
pub(crate) const WRITE_BUFFER: usize = 1 << 16;

/// A file being written beside its target, renamed into place by [`commit`](Self::commit).
/// Buffered: write to it directly.
pub struct AtomicFile {
    path: PathBuf,
    dir: PathBuf,
    temp_path: PathBuf,
    overwrite: bool,
    replacing: bool,
    synced: bool,
    out: BufWriter<tempfile::NamedTempFile>,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.path)
            .field("temp_path", &self.temp_path)
            .field("overwrite", &self.overwrite)
            .field("replacing", &self.replacing)
            .finish()
    }
}

/// Checks that `path` can be written (see the module documentation) and returns the
/// folder that will hold it, and whether something exists under its name.
fn check_target(path: &Path, overwrite: bool) -> Result<(PathBuf, bool), EncodeError> {
    let owned = || path.to_path_buf();
    if path.file_name().is_none() {
        return Err(EncodeError::InvalidPath { path: owned() });
    }
    let existing = fs::symlink_metadata(path).ok();
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(EncodeError::OutputIsDirectory { path: owned() }),
        // A device (`/dev/null`), FIFO or socket: the rename would replace it by a file.
        Ok(m) if !m.is_file() => return Err(EncodeError::OutputNotRegular { path: owned() }),
        _ => {}
    }
    // A dangling symlink also counts as "exists" for the no-overwrite check.
    if !overwrite && existing.is_some() {
        return Err(EncodeError::OutputExists { path: owned() });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(EncodeError::DirectoryMissing { path: owned(), dir });
    }
    Ok((dir, existing.is_some()))
}

impl AtomicFile {
    /// Checks `path` and creates the temporary file beside it. `on_temp_created`
    /// receives the temporary path right after it exists (so that a caller can remove
    /// it on Ctrl-C).
    pub fn create(
        path: &Path,
        overwrite: bool,
        on_temp_created: impl FnOnce(&Path),
    ) -> Result<Self, EncodeError> {
        let (dir, replacing) = check_target(path, overwrite)?;
        let suffix = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".gar-tmp-").suffix(&suffix);
        #[cfg(unix)]
        {
            // Like File::create: 0666 minus the umask (tempfile's default is 0600).
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(&dir).map_err(|e| EncodeError::Io {
            path: path.to_path_buf(),
            action: format!("creating a temporary file in {}", dir.display()),
            source: e,
        })?;
        let temp_path = temp.path().to_path_buf();
        on_temp_created(&temp_path);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            dir,
            temp_path,
            overwrite,
            replacing,
            synced: false,
            out: BufWriter::with_capacity(WRITE_BUFFER, temp),
        })
    }

    /// The target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file (removed on drop unless committed).
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Whether something existed under the target's name when this was created.
    pub fn replaces_existing(&self) -> bool {
        self.replacing
    }

    fn io_err(&self, action: &str, source: io::Error) -> EncodeError {
        EncodeError::Io {
            path: self.path.clone(),
            action: action.to_string(),
            source,
        }
    }

    /// Writes out the buffer and, when replacing an existing file, syncs the data to
    /// disk: everything [`commit`](Self::commit) does before the rename, so that a
    /// caller committing several files can do this slow part for all of them first.
    pub fn sync(&mut self) -> Result<(), EncodeError> {
        self.out.flush().map_err(|e| EncodeError::Io {
            path: self.path.clone(),
            action: "writing".to_string(),
            source: e,
        })?;
        if self.replacing && !self.synced {
            self.out
                .get_ref()
                .as_file()
                .sync_all()
                .map_err(|e| self.io_err("syncing the temporary file to disk", e))?;
        }
        self.synced = true;
        Ok(())
    }

    /// Renames the finished file into place (after [`sync`](Self::sync), if not
    /// done yet). On failure the temporary file is removed and the target is left
    /// as it was.
    pub fn commit(mut self) -> Result<(), EncodeError> {
        self.sync()?;
        let AtomicFile {
            path,
            dir,
            overwrite,
            replacing,
            out,
            ..
        } = self;
        let temp = out.into_inner().map_err(|e| EncodeError::Io {
            path: path.clone(),
            action: "writing".to_string(),
            source: e.into_error(),
        })?;
        let persisted = if overwrite {
            temp.persist(&path)
        } else {
            temp.persist_noclobber(&path)
        };
        if let Err(e) = persisted {
            // Dropping `e.file` removes the temporary file.
            let source = e.error;
            drop(e.file);
            if source.kind() == io::ErrorKind::AlreadyExists && !overwrite {
                return Err(EncodeError::OutputExists { path });
            }
            return Err(EncodeError::Io {
                path,
                action: "renaming the temporary file into place".to_string(),
                source,
            });
        }
        if replacing {
            // Make the rename itself durable (best effort: not every platform can open
            // directories).
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.synced = false;
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.synced = false;
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// True if `a` and `b` name the same existing file.
///
/// On unix this compares device and inode numbers (so hard links and different spellings of a
/// path match); elsewhere it compares canonicalized paths. Returns false if either does not
/// exist.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(ma), Ok(mb)) => ma.dev() == mb.dev() && ma.ino() == mb.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(ca), Ok(cb)) => ca == cb,
            _ => false,
        }
    }
}
