//! Checks on output paths, made before any work starts, so a command never destroys what
//! the user did not ask it to replace.
//!
//! - An output is never the current folder, one of its ancestors, or an input (a file the
//!   command reads, or a folder holding one).
//! - An output folder that exists is replaced only if metablend wrote it: every folder
//!   written through [`write_output_folder`] carries a marker file ([`MARKER`]) naming the
//!   command that wrote it. Anything else (a folder of the user's, a report of another
//!   command) is refused unless the caller passes `force`.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::write_folder;
use crate::{Error, Result};

/// The marker file in every output folder metablend writes.
pub const MARKER: &str = ".metablend-output.json";

/// What the marker records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputMarker {
    /// The command that wrote the folder (e.g. `run`, `m4`, `metaopt eval`).
    pub command: String,
    /// The version of metablend that wrote it.
    pub version: String,
}

/// `path` made absolute and free of `.` and `..` without requiring it to exist: the longest
/// existing ancestor is canonicalised (resolving links) and the rest appended.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| Error::io(Path::new("."), e))?;
        cwd.join(path)
    };
    let mut normal = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let mut existing = normal.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.iter().rev() {
        out.push(name);
    }
    Ok(out)
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::UnsafeOutput {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Checks an output path of any kind (a run folder a command fills over time, a file): not
/// the current folder or one of its ancestors, and not (or holding) one of `inputs`.
pub fn check_output_path(path: &Path, inputs: &[&Path]) -> Result<()> {
    check_not_cwd_or_input(path, &resolve(path)?, inputs)
}

fn check_not_cwd_or_input(path: &Path, resolved: &Path, inputs: &[&Path]) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(refuse(path, "the output path is empty"));
    }
    let cwd = resolve(Path::new("."))?;
    if cwd.starts_with(resolved) {
        return Err(refuse(
            path,
            "is the current folder or one of its parents; give a new folder name",
        ));
    }
    for input in inputs {
        let input_resolved = resolve(input)?;
        if input_resolved.starts_with(resolved) {
            return Err(refuse(
                path,
                format!(
                    "would overwrite the input {}; choose another output",
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks an output file before any work: not an input, not a folder, not read-only.
pub fn check_output_file(path: &Path, inputs: &[&Path]) -> Result<()> {
    let resolved = resolve(path)?;
    check_not_cwd_or_input(path, &resolved, inputs)?;
    match std::fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => Err(refuse(path, "is a folder; give a file name")),
        Ok(meta) if meta.permissions().readonly() => {
            Err(refuse(path, "is read-only; refusing to replace it"))
        }
        _ => Ok(()),
    }
}

/// Reads the marker of a folder metablend wrote; `None` when there is none.
pub fn read_marker(dir: &Path) -> Option<OutputMarker> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Checks an output folder of `command` before any work: not the current folder, an
/// ancestor of it or an input; if it exists, a folder that `command` itself wrote (its
/// marker says so) or an empty one, unless `force`.
pub fn check_output_folder(
    path: &Path,
    command: &str,
    inputs: &[&Path],
    force: bool,
) -> Result<()> {
    let resolved = resolve(path)?;
    check_not_cwd_or_input(path, &resolved, inputs)?;
    match std::fs::metadata(&resolved) {
        Err(_) => Ok(()),
        Ok(meta) if !meta.is_dir() => Err(refuse(path, "exists and is not a folder")),
        Ok(_) if force => Ok(()),
        Ok(_) => {
            let empty = std::fs::read_dir(&resolved)
                .map_err(|e| Error::io(path, e))?
                .next()
                .is_none();
            match read_marker(&resolved) {
                _ if empty => Ok(()),
                Some(m) if m.command == command => Ok(()),
                Some(m) => Err(refuse(
                    path,
                    format!(
                        "holds the output of `metablend {}`, not of `metablend {command}`; \
                         choose another folder (or pass --force to replace it)",
                        m.command
                    ),
                )),
                None => Err(refuse(
                    path,
                    "exists and holds files metablend did not write; choose another folder \
                     (or pass --force to replace it)",
                )),
            }
        }
    }
}

/// Writes an output folder of `command` atomically (see [`write_folder`]), with its marker.
/// Call [`check_output_folder`] before the work that produces it.
pub fn write_output_folder<E: From<Error>>(
    dir: &Path,
    command: &str,
    fill: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    write_folder(dir, |tmp| {
        fill(tmp)?;
        let marker = OutputMarker {
            command: command.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let json = serde_json::to_string_pretty(&marker).expect("the marker serialises");
        std::fs::write(tmp.join(MARKER), json).map_err(|e| Error::io(&tmp.join(MARKER), e))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mb-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_current_folder_its_parents_and_inputs_are_never_outputs() {
        let root = scratch("cwd");
        let cwd = resolve(Path::new(".")).unwrap();
        for bad in [Path::new("."), Path::new(".."), Path::new("./")] {
            let err = check_output_folder(bad, "run", &[], true)
                .unwrap_err()
                .to_string();
            assert!(err.contains("current folder"), "{err}");
        }
        let inside = cwd.join("some").join("..");
        assert!(check_output_folder(&inside, "run", &[], true).is_err());
        let input = root.join("series.csv");
        std::fs::write(&input, "t,value\n").unwrap();
        let err = check_output_file(&input, &[&input])
            .unwrap_err()
            .to_string();
        assert!(err.contains("would overwrite the input"), "{err}");
        let err = check_output_folder(&root, "run", &[&input], true).unwrap_err();
        assert!(err.to_string().contains("input"), "{err}");
        let other = root.join("other.csv");
        check_output_file(&other, &[&input]).unwrap();
        assert_eq!(
            resolve(&root.join("a/../b")).unwrap(),
            resolve(&root).unwrap().join("b")
        );
    }

    #[test]
    fn only_folders_the_same_command_wrote_are_replaced() {
        let root = scratch("marker");
        let user = root.join("user");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("notes.txt"), "mine").unwrap();
        let err = check_output_folder(&user, "run", &[], false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("did not write") && err.contains("--force"),
            "{err}"
        );
        check_output_folder(&user, "run", &[], true).unwrap();
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        check_output_folder(&empty, "run", &[], false).unwrap();
        let report = root.join("report");
        write_output_folder::<Error>(&report, "m4", |tmp| {
            std::fs::write(tmp.join("report.md"), "# m4").map_err(|e| Error::io(tmp, e))
        })
        .unwrap();
        assert_eq!(read_marker(&report).unwrap().command, "m4");
        check_output_folder(&report, "m4", &[], false).unwrap();
        let err = check_output_folder(&report, "run", &[], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metablend m4`"), "{err}");
        let file = root.join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(check_output_folder(&file, "run", &[], true).is_err());
    }
}
