//! Atomic folder writes: files go into a temporary sibling folder, which is synced and then
//! renamed into place, so the target is always either the old folder or the complete new
//! one (replacing an existing folder takes two renames; between them the old one sits at
//! `<dir>.old-<pid>`).

use std::path::Path;

use crate::{Error, Result};

fn io(p: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: p.display().to_string(),
        source,
    }
}

/// Creates `dir` atomically: `write(tmp)` fills the temporary folder; every file in it is
/// synced before the rename.
pub(crate) fn write_folder(dir: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let name = dir.file_name().ok_or_else(|| Error::Checkpoint {
        path: dir.display().to_string(),
        message: "path has no folder name".into(),
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
    write(&tmp)?;
    for entry in std::fs::read_dir(&tmp).map_err(|e| io(&tmp, e))? {
        let p = entry.map_err(|e| io(&tmp, e))?.path();
        std::fs::File::open(&p)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(&p, e))?;
    }
    if dir.exists() {
        let old = parent.join(format!(
            "{}.old-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        std::fs::rename(dir, &old).map_err(|e| io(dir, e))?;
        std::fs::rename(&tmp, dir).map_err(|e| io(dir, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| io(&old, e))?;
    } else {
        std::fs::rename(&tmp, dir).map_err(|e| io(dir, e))?;
    }
    Ok(())
}
