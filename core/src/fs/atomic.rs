//! Atomic writes of files and folders: the one writer every metablend output goes through.
//!
//! A file is written to a temporary sibling, synced, and renamed over the target. A folder is
//! filled under a temporary sibling name, every file and folder in it synced, and then put in
//! place with a single atomic step: `rename` when the target does not exist, and on Linux an
//! atomic exchange of the two folders (`renameat2(RENAME_EXCHANGE)`) when it does, after which
//! the old version is deleted. So a crash at any instant leaves the old or the new version
//! under the target's own name, never nothing and never a mix.
//!
//! Where the file system cannot exchange (not Linux, or a file system without
//! `RENAME_EXCHANGE`), replacing takes two renames; the complete new version is first renamed
//! to `.<name>.new-<pid>-<n>`, and [`recover_folder`] (called by every reader of checkpoints
//! and by the next write) puts the newest complete version back if a crash fell between the
//! renames.
//!
//! Temporary siblings carry the writer's process id; those of processes that no longer run
//! are removed by the next write to the same target.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Distinguishes temporary names within one process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes a file atomically: `write` fills a temporary file in the same folder, which is
/// flushed to disk and renamed over `path`. A crash at any point leaves either the old file
/// or the new one. An existing target keeps its permissions; a read-only one is refused
/// (replacing it would silently drop the protection its owner gave it).
pub fn write_file<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let (dir, name) = split(path)?;
    let old_permissions = match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::UnsafeOutput {
                path: path.display().to_string(),
                reason: "is a folder; give a file name".into(),
            })
        }
        Ok(meta) if meta.permissions().readonly() => {
            return Err(Error::UnsafeOutput {
                path: path.display().to_string(),
                reason: "is read-only; refusing to replace it".into(),
            })
        }
        Ok(meta) => Some(meta.permissions()),
        Err(_) => None,
    };
    remove_stale(&dir, &name);
    let tmp = temporary(&dir, &name, "tmp");
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        if let Some(permissions) = old_permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        pause_point("file-synced");
        std::fs::rename(&tmp, path)?;
        pause_point("file-renamed");
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| Error::io(path, e))
}

/// [`write_file`] with a whole text.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_file(path, |w| w.write_all(text.as_bytes()))
}

/// Writes a folder atomically: `fill` writes the folder's content into the (empty) folder it
/// is given; then the folder replaces `dir` in one atomic step (see the module docs). If
/// `fill` fails, `dir` is untouched and the partial folder is removed.
pub fn write_folder<E: From<Error>>(
    dir: &Path,
    fill: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let (parent, name) = split(dir)?;
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    recover_folder(dir)?;
    let tmp = temporary(&parent, &name, "tmp");
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let placed = sync_tree(&tmp)
        .map_err(|e| Error::io(&tmp, e))
        .and_then(|()| {
            pause_point("folder-filled");
            place(&tmp, dir, &parent, &name)
        });
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    placed.map_err(E::from)
}

/// Puts the complete folder `tmp` at `dir`.
fn place(tmp: &Path, dir: &Path, parent: &Path, name: &str) -> Result<()> {
    fn io(p: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |e| Error::io(p, e)
    }
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::rename(tmp, dir).map_err(io(dir))?;
        pause_point("folder-renamed");
        return sync_dir(parent).map_err(io(parent));
    }
    match exchange(tmp, dir) {
        Ok(()) => {
            // `tmp` now holds the old version.
            pause_point("folder-exchanged");
            sync_dir(parent).map_err(io(parent))?;
            std::fs::remove_dir_all(tmp).map_err(io(tmp))
        }
        Err(e) if exchange_unsupported(&e) => {
            let new = temporary(parent, name, "new");
            std::fs::rename(tmp, &new).map_err(io(&new))?;
            let old = temporary(parent, name, "old");
            std::fs::rename(dir, &old).map_err(io(dir))?;
            pause_point("folder-moved-aside");
            std::fs::rename(&new, dir).map_err(io(dir))?;
            sync_dir(parent).map_err(io(parent))?;
            std::fs::remove_dir_all(&old).map_err(io(&old))
        }
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Repairs what a crash between the two renames of the fallback replacement left: if `dir`
/// is missing, the newest complete version (`.<name>.new-*`, else `.<name>.old-*`) is renamed
/// back to it. Temporary siblings of processes that no longer run are removed. Returns
/// whether something was restored.
pub fn recover_folder(dir: &Path) -> Result<bool> {
    let (parent, name) = split(dir)?;
    let mut restored = false;
    if std::fs::symlink_metadata(dir).is_err() {
        for kind in ["new", "old"] {
            // Only versions whose writer is gone: a running writer is between its renames.
            let left = siblings(&parent, &name, kind).into_iter().find(|p| {
                writer_pid(p)
                    .is_some_and(|pid| !process_is_running(pid) || pid == std::process::id())
            });
            if let Some(found) = left {
                std::fs::rename(&found, dir).map_err(|e| Error::io(dir, e))?;
                restored = true;
                break;
            }
        }
    }
    remove_stale(&parent, &name);
    Ok(restored)
}

/// Parent folder and file name of a target; `.` and `..` as the last component are refused
/// (they name a folder by its relation, and replacing them would replace a parent).
fn split(path: &Path) -> Result<(PathBuf, String)> {
    let refuse = |reason: &str| Error::UnsafeOutput {
        path: path.display().to_string(),
        reason: reason.into(),
    };
    match path.components().next_back() {
        Some(std::path::Component::Normal(name)) => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            Ok((parent, name.to_string_lossy().into_owned()))
        }
        _ => Err(refuse("needs a file or folder name as its last part")),
    }
}

/// `.<name>.<kind>-<pid>-<n>` in `dir`.
fn temporary(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{kind}-{}-{n}", std::process::id()))
}

/// Temporary siblings `.<name>.<kind>-<pid>-<n>` of `name` in `dir`, newest first.
fn siblings(dir: &Path, name: &str, kind: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.{kind}-");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Removes the temporary siblings of `name` left by processes that no longer run.
fn remove_stale(dir: &Path, name: &str) {
    for kind in ["tmp", "new", "old"] {
        for path in siblings(dir, name, kind) {
            if writer_pid(&path).is_some_and(|pid| !process_is_running(pid)) {
                if path.is_dir() {
                    let _ = std::fs::remove_dir_all(&path);
                } else {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

/// The process id in a temporary sibling's name `.<name>.<kind>-<pid>-<n>`.
fn writer_pid(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    name.rsplit('-').nth(1)?.parse().ok()
}

/// Whether a process with this id exists (a signal-0 probe).
pub(crate) fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    match rustix::process::Pid::from_raw(pid as i32) {
        Some(p) => !matches!(
            rustix::process::test_kill_process(p),
            Err(rustix::io::Errno::SRCH)
        ),
        None => false,
    }
}

/// Atomically exchanges two paths (Linux `renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if std::env::var_os("METABLEND_NO_EXCHANGE").is_some() {
        return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

fn exchange_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(e.raw_os_error(), Some(code) if code == rustix::io::Errno::INVAL.raw_os_error()
            || code == rustix::io::Errno::NOSYS.raw_os_error()
            || code == rustix::io::Errno::OPNOTSUPP.raw_os_error())
}

/// Syncs every file and folder under `root` (and `root` itself).
fn sync_tree(root: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path)?.sync_all()?;
        }
    }
    sync_dir(root)
}

/// Syncs a folder's entries (so a rename in it survives a power loss).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// In the unit tests' child processes, stops forever at the step named by
/// `METABLEND_PAUSE_AT`, so a test can kill the writer exactly there.
#[cfg(test)]
fn pause_point(step: &str) {
    if std::env::var("METABLEND_PAUSE_AT").as_deref() == Ok(step) {
        println!("paused at {step}");
        let _ = std::io::stdout().flush();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}

#[cfg(not(test))]
fn pause_point(_step: &str) {}

#[cfg(test)]
mod tests;
