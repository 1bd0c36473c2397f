use super::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mb-atomic-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A folder version: `files` files whose every byte is `tag`, plus a `version` file.
fn fill_version(dir: &Path, tag: u8, files: usize, size: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("sub"))?;
    for i in 0..files {
        std::fs::write(dir.join(format!("part{i}.bin")), vec![tag; size])?;
    }
    std::fs::write(dir.join("sub/version"), [tag])?;
    Ok(())
}

/// The tag of a complete version at `dir`; panics on a missing or mixed folder.
fn version_of(dir: &Path, files: usize, size: usize) -> u8 {
    let tag = std::fs::read(dir.join("sub/version")).expect("version file")[0];
    for i in 0..files {
        let bytes = std::fs::read(dir.join(format!("part{i}.bin"))).expect("part file");
        assert_eq!(
            bytes,
            vec![tag; size],
            "part{i} of version {tag} is incomplete"
        );
    }
    tag
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn failed_file_write_keeps_the_old_file_and_leaves_no_temporary() {
    let dir = scratch("file");
    let path = dir.join("out.txt");
    write_text(&path, "old").unwrap();
    let err = write_file(&path, |w| {
        w.write_all(b"partial")?;
        Err(std::io::Error::other("disk full"))
    });
    assert!(err.unwrap_err().to_string().contains("out.txt"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    assert_eq!(entries(&dir), ["out.txt"]);
}

#[test]
fn a_read_only_target_is_refused_and_other_targets_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("mode");
    let path = dir.join("kept.txt");
    write_text(&path, "v1").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    write_text(&path, "v2").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        (std::fs::read_to_string(&path).unwrap().as_str(), mode),
        ("v2", 0o640)
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = write_text(&path, "v3").unwrap_err().to_string();
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "v2");
    let err = write_text(&dir, "x").unwrap_err().to_string();
    assert!(
        err.contains("needs a file or folder name") || err.contains("folder"),
        "{err}"
    );
}

#[test]
fn dot_and_dot_dot_are_never_targets() {
    for bad in [".", "..", "a/..", "/"] {
        let err = write_folder::<Error>(Path::new(bad), |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::UnsafeOutput { .. }), "{bad}: {err}");
    }
}

#[test]
fn a_failed_fill_leaves_the_old_folder_untouched() {
    let root = scratch("fill");
    let dir = root.join("out");
    write_folder::<Error>(&dir, |tmp| {
        fill_version(tmp, 1, 2, 10).map_err(|e| Error::io(tmp, e))
    })
    .unwrap();
    let err = write_folder::<Error>(&dir, |tmp| {
        fill_version(tmp, 2, 1, 10).map_err(|e| Error::io(tmp, e))?;
        Err(Error::InvalidData("stop".into()))
    });
    assert!(err.is_err());
    assert_eq!(version_of(&dir, 2, 10), 1);
    assert_eq!(entries(&root), ["out"]);
    // And a replacement that succeeds swaps the whole content.
    write_folder::<Error>(&dir, |tmp| {
        fill_version(tmp, 3, 2, 10).map_err(|e| Error::io(tmp, e))
    })
    .unwrap();
    assert_eq!(version_of(&dir, 2, 10), 3);
    assert_eq!(entries(&root), ["out"]);
}

const FILES: usize = 4;
const SIZE: usize = 64 * 1024;

/// Not a test: the child process the kill tests start. It replaces the folder named by
/// `METABLEND_TARGET` with version `METABLEND_TAG` (forever, alternating versions, when
/// `METABLEND_LOOP` is set), or writes the file version.
#[test]
#[ignore = "the child process of the kill tests"]
fn writer_child() {
    let Some(target) = std::env::var_os("METABLEND_TARGET") else {
        return;
    };
    let target = PathBuf::from(target);
    let tag: u8 = std::env::var("METABLEND_TAG").unwrap().parse().unwrap();
    let as_file = std::env::var_os("METABLEND_FILE").is_some();
    let looping = std::env::var_os("METABLEND_LOOP").is_some();
    for round in 0.. {
        let tag = if looping {
            (round % 200) as u8 + 1
        } else {
            tag
        };
        if as_file {
            write_file(&target, |w| w.write_all(&vec![tag; SIZE])).unwrap();
        } else {
            write_folder::<Error>(&target, |tmp| {
                fill_version(tmp, tag, FILES, SIZE).map_err(|e| Error::io(tmp, e))
            })
            .unwrap();
        }
        if !looping {
            break;
        }
    }
}

fn child(target: &Path, tag: u8, envs: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "fs::atomic::tests::writer_child",
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env("METABLEND_TARGET", target)
    .env("METABLEND_TAG", tag.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Starts a writer that stops at `step`, waits until it is there, and kills it.
fn kill_at(target: &Path, tag: u8, step: &str, envs: &[(&str, &str)]) {
    use std::io::BufRead;
    let mut all = vec![("METABLEND_PAUSE_AT", step)];
    all.extend_from_slice(envs);
    let mut c = child(target, tag, &all);
    let out = c.stdout.take().unwrap();
    let mut reached = false;
    for line in std::io::BufReader::new(out).lines() {
        if line.unwrap().contains(&format!("paused at {step}")) {
            reached = true;
            break;
        }
    }
    c.kill().unwrap();
    c.wait().unwrap();
    assert!(reached, "the writer never reached {step}");
}

#[test]
fn a_writer_killed_at_any_step_leaves_the_old_or_the_new_folder() {
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("folder-filled", &[]),
        ("folder-exchanged", &[]),
        ("folder-filled", &[("METABLEND_NO_EXCHANGE", "1")]),
        ("folder-moved-aside", &[("METABLEND_NO_EXCHANGE", "1")]),
    ];
    for (i, (step, envs)) in cases.iter().enumerate() {
        let root = scratch(&format!("kill{i}"));
        let dir = root.join("checkpoint");
        // A first version, then a replacement killed at `step`.
        let mut first = child(&dir, 1, envs);
        assert!(first.wait().unwrap().success());
        kill_at(&dir, 2, step, envs);
        recover_folder(&dir).unwrap();
        let tag = version_of(&dir, FILES, SIZE);
        assert!(tag == 1 || tag == 2, "{step}: version {tag}");
        // The next write cleans up whatever the killed writer left beside the target.
        write_folder::<Error>(&dir, |tmp| {
            fill_version(tmp, 3, FILES, SIZE).map_err(|e| Error::io(tmp, e))
        })
        .unwrap();
        assert_eq!(version_of(&dir, FILES, SIZE), 3);
        assert_eq!(entries(&root), ["checkpoint"], "{step}");
    }
    // A first write killed before its rename leaves no target and no debris after recovery.
    let root = scratch("kill-new");
    let dir = root.join("fresh");
    kill_at(&dir, 1, "folder-filled", &[]);
    recover_folder(&dir).unwrap();
    assert_eq!(entries(&root), Vec::<String>::new());
}

#[test]
fn a_file_writer_killed_at_any_step_leaves_the_old_or_the_new_file() {
    for step in ["file-synced", "file-renamed"] {
        let root = scratch(&format!("killfile-{step}"));
        let path = root.join("log.bin");
        let mut first = child(&path, 1, &[("METABLEND_FILE", "1")]);
        assert!(first.wait().unwrap().success());
        kill_at(&path, 2, step, &[("METABLEND_FILE", "1")]);
        let bytes = std::fs::read(&path).unwrap();
        let tag = bytes[0];
        assert!(bytes == vec![tag; SIZE] && (tag == 1 || tag == 2), "{step}");
        write_text(&path, "next").unwrap();
        assert_eq!(entries(&root), ["log.bin"], "{step}");
    }
}

#[test]
fn writers_killed_at_random_instants_never_lose_the_folder() {
    let root = scratch("random");
    let dir = root.join("report");
    let mut first = child(&dir, 1, &[]);
    assert!(first.wait().unwrap().success());
    for (round, delay_ms) in [3u64, 11, 7, 19, 2, 29, 13, 5, 23, 17, 1, 31]
        .iter()
        .enumerate()
    {
        for no_exchange in [false, true] {
            let envs: &[(&str, &str)] = if no_exchange {
                &[("METABLEND_LOOP", "1"), ("METABLEND_NO_EXCHANGE", "1")]
            } else {
                &[("METABLEND_LOOP", "1")]
            };
            let mut c = child(&dir, 0, envs);
            std::thread::sleep(Duration::from_millis(*delay_ms + 5 * round as u64));
            c.kill().unwrap();
            c.wait().unwrap();
            recover_folder(&dir).unwrap();
            let tag = version_of(&dir, FILES, SIZE);
            assert!(tag >= 1, "round {round}");
        }
    }
}
