//! One fleet run per project at a time: an exclusive advisory lock on a
//! file named after the project (std's `File::try_lock`, flock(2) on Linux;
//! released by the kernel when the process exits, even on a crash).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Held for the life of the run; dropping it releases the lock.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
}

/// `/run/lock` when it exists (tmpfs, cleared at boot), else `tmpdir` (the
/// caller's `TMPDIR`; unset or empty means `/tmp`).
pub(crate) fn default_dir(tmpdir: Option<&Path>) -> PathBuf {
    let run_lock = Path::new("/run/lock");
    if run_lock.is_dir() {
        run_lock.to_path_buf()
    } else {
        match tmpdir {
            Some(t) if !t.as_os_str().is_empty() => t.to_path_buf(),
            _ => PathBuf::from("/tmp"),
        }
    }
}

/// Takes the project's lock, waiting up to `wait`. `waiting` is called once
/// if the lock is busy, to tell the user what is happening.
pub fn acquire(
    dir: &Path,
    project: &str,
    wait: Duration,
    waiting: &dyn Fn(&Path),
) -> Result<ProjectLock> {
    let path = dir.join(format!("fleet-{project}.lock"));
    // flock works on a read-only descriptor too: an operator in the docker
    // group can still lock a file that a root run (systemd) created.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => File::open(&path),
            _ => Err(e),
        })
        .map_err(|e| {
            Error::lock(format!("could not open the lock file `{}`", path.display()))
                .because(e)
                .with_help("set FLEET_LOCK_DIR to a directory every fleet user can write")
        })?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ProjectLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::lock(format!("could not lock `{}`", path.display())).because(e));
            }
        }
        if !told {
            waiting(&path);
            told = true;
        }
        if start.elapsed() >= wait {
            return Err(Error::lock(format!(
                "another fleet run on project `{project}` still holds `{}` after {}s",
                path.display(),
                wait.as_secs_f64()
            ))
            .with_help("wait for it to finish (see `pgrep -a fleet`), or raise --lock-wait"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
