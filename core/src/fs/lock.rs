//! One writer per run folder: an OS file lock held for the life of the run.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The lock file inside a locked folder.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive lock on a folder, released when dropped (or when the process ends, however
/// it ends: the OS drops the lock with the file descriptor, so a crash leaves no stale lock).
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl FolderLock {
    /// Locks `dir` (created if missing). If another process holds it, the error names that
    /// process.
    pub fn acquire(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("process {pid}"),
                    Err(_) => "another process".to_string(),
                };
                return Err(Error::Locked {
                    path: dir.display().to_string(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let write_pid = |file: &mut std::fs::File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())?;
            file.sync_all()
        };
        write_pid(&mut file).map_err(|e| Error::io(&path, e))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("mb-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = FolderLock::acquire(&dir).unwrap();
        let err = FolderLock::acquire(&dir).unwrap_err().to_string();
        assert!(
            err.contains(&format!("in use by process {}", std::process::id())),
            "{err}"
        );
        drop(first);
        FolderLock::acquire(&dir).unwrap();
    }
}
