//! The real [`Runner`]: spawns the docker CLI with duct, feeds it the env
//! file on stdin, captures stdout and stderr, and kills it when it outlives
//! the timeout.
//!
//! Each docker process leads a process group of its own, so a timeout kills
//! it with every child it started (an `ssh` for an `ssh://` DOCKER_HOST, a
//! credential helper), not only the CLI, and no orphan keeps a pipe open.
//! The child inherits fleet's own environment; agent env enters it only
//! for `docker service update --env-add KEY` ([`Cmd::env_vars`]), never an
//! argv (see [`Cmd::env_file`]).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::{Cmd, DockerError, Output, Runner};

/// Runs `program` (normally `docker`) for real. It prints nothing: `-v`
/// wraps it in a [`super::Traced`] whose lines go where the run's output
/// goes.
#[derive(Debug, Clone)]
pub struct DuctRunner {
    pub program: String,
    pub timeout: Duration,
}

impl DuctRunner {
    /// `cmd` as a duct expression: its own process group, the env file on
    /// stdin, stderr captured, any exit status accepted.
    fn expression(&self, cmd: &Cmd) -> Result<duct::Expression, DockerError> {
        let stdin = cmd.stdin().map_err(|error| DockerError::Input {
            cmd: cmd.line(),
            error,
        })?;
        let mut expr = duct::cmd(&self.program, cmd.argv())
            .stderr_capture()
            .unchecked()
            .before_spawn(|c| {
                c.process_group(0);
                Ok(())
            });
        if let Some(path) = &cmd.path {
            expr = expr.env("PATH", path);
        }
        for (k, v) in &cmd.env_vars {
            expr = expr.env(k, v);
        }
        Ok(match stdin {
            Some(bytes) => expr.stdin_bytes(bytes),
            None => expr.stdin_null(),
        })
    }

    fn spawn_error(&self, cmd: &Cmd, e: &std::io::Error) -> DockerError {
        DockerError::Spawn {
            program: self.program.clone(),
            cmd: cmd.line(),
            not_found: e.kind() == std::io::ErrorKind::NotFound,
            error: e.to_string(),
        }
    }

    fn timeout(&self, cmd: &Cmd) -> Duration {
        cmd.min_timeout
            .map_or(self.timeout, |t| t.max(self.timeout))
    }
}

/// Copies `from` to `to` as it comes, on a thread; returns its last 4 KiB.
fn relay(
    mut from: impl Read + Send + 'static,
    mut to: impl std::io::Write + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            if to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
                // A closed stdout: keep reading, so the command is not
                // stopped by a full pipe on fleet's account.
            }
            tail.extend_from_slice(&buf[..n]);
            let over = tail.len().saturating_sub(4096);
            tail.drain(..over);
        }
        String::from_utf8_lossy(&tail).into_owned()
    })
}

impl Runner for DuctRunner {
    /// The child gets fleet's stdout and stderr as they are (bytes pass
    /// untouched), its stdin or `/dev/null`; no timeout: the command runs
    /// as long as it runs. An env file on stdin is refused here: attached
    /// commands take theirs as a file (`fleet exec`).
    fn attached(&self, cmd: &Cmd, attach: super::Attach) -> Result<super::Ended, DockerError> {
        if !cmd.env_file.is_empty() {
            return Err(DockerError::Input {
                cmd: cmd.line(),
                error: "an attached command cannot take its env file on stdin".into(),
            });
        }
        let mut c = std::process::Command::new(&self.program);
        c.args(cmd.argv());
        if let Some(path) = &cmd.path {
            c.env("PATH", path);
        }
        if !attach.stdin {
            c.stdin(std::process::Stdio::null());
        }
        if attach.own_group {
            c.process_group(0);
            // Without a TTY, stdout and stderr go through fleet byte for
            // byte, their last bytes kept: the docker CLI prints its own
            // words on a failed exec there (on stdout, for some).
            c.stdout(std::process::Stdio::piped());
            c.stderr(std::process::Stdio::piped());
        }
        let mut child = c.spawn().map_err(|e| self.spawn_error(cmd, &e))?;
        // Written through duplicates of fleet's own descriptors: `main`
        // holds std's stdout lock for the whole run, and nothing of fleet's
        // is buffered there yet.
        let dup = |fd: std::os::fd::BorrowedFd| {
            fd.try_clone_to_owned()
                .map(std::fs::File::from)
                .map_err(|e| self.spawn_error(cmd, &e))
        };
        use std::os::fd::AsFd;
        let (to_out, to_err) = (
            dup(std::io::stdout().as_fd())?,
            dup(std::io::stderr().as_fd())?,
        );
        let out = (child.stdout.take()).map(|from| relay(from, to_out));
        let err = (child.stderr.take()).map(|from| relay(from, to_err));
        let status = child.wait().map_err(|e| self.spawn_error(cmd, &e))?;
        let tail = |t: Option<std::thread::JoinHandle<String>>| {
            t.and_then(|t| t.join().ok()).unwrap_or_default()
        };
        let stderr_tail = tail(out) + &tail(err);
        use std::os::unix::process::ExitStatusExt;
        Ok(super::Ended {
            code: status.code().or_else(|| status.signal().map(|s| 128 + s)),
            stderr_tail,
        })
    }

    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        let spawn_err = |e: std::io::Error| self.spawn_error(cmd, &e);
        let timeout = self.timeout(cmd);
        let handle = self
            .expression(cmd)?
            .stdout_capture()
            .start()
            .map_err(spawn_err)?;
        match handle.wait_timeout(timeout).map_err(spawn_err)? {
            Some(_) => {
                // Waited already: this takes the captured buffers over.
                let out = handle.into_output().map_err(spawn_err)?;
                Ok(Output {
                    code: out.status.code(),
                    stdout: text(out.stdout),
                    // docker repeats a DOCKER_HOST or context endpoint in
                    // its errors, a URL's password included.
                    stderr: crate::ssh::redact_userinfo(&text(out.stderr)),
                })
            }
            None => {
                for pid in handle.pids() {
                    kill_group(pid);
                }
                let _ = handle.kill();
                Err(DockerError::Timeout {
                    cmd: cmd.line(),
                    seconds: timeout.as_secs_f64(),
                })
            }
        }
    }

    /// stdout straight from the pipe, never held: `read` gets it as docker
    /// writes it. A watchdog kills the process group at the timeout (which
    /// ends the read); what `read` leaves unread is drained, so docker
    /// never blocks on a full pipe.
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn Read),
    ) -> Result<Output, DockerError> {
        let spawn_err = |e: std::io::Error| self.spawn_error(cmd, &e);
        let timeout = self.timeout(cmd);
        let handle = self.expression(cmd)?.reader().map_err(spawn_err)?;
        let pids = handle.pids();
        let timed_out = AtomicBool::new(false);
        let (done, finished) = mpsc::channel::<()>();
        let drained = std::thread::scope(|s| {
            let (timed_out, pids, handle) = (&timed_out, &pids, &handle);
            s.spawn(move || {
                if finished.recv_timeout(timeout) == Err(RecvTimeoutError::Timeout) {
                    timed_out.store(true, Ordering::SeqCst);
                    for pid in pids {
                        kill_group(*pid);
                    }
                    let _ = handle.kill();
                }
            });
            let mut stdout = std::io::BufReader::new(handle);
            read(&mut stdout);
            let drained = std::io::copy(&mut stdout, &mut std::io::sink());
            drop(done);
            drained
        });
        if timed_out.load(Ordering::SeqCst) {
            return Err(DockerError::Timeout {
                cmd: cmd.line(),
                seconds: timeout.as_secs_f64(),
            });
        }
        drained.map_err(spawn_err)?;
        // At stdout's end the reader waited for docker: it has exited.
        let out = handle.try_wait().map_err(spawn_err)?.ok_or_else(|| {
            spawn_err(std::io::Error::other(
                "docker closed its output but did not exit",
            ))
        })?;
        Ok(Output {
            code: out.status.code(),
            stdout: String::new(),
            stderr: crate::ssh::redact_userinfo(&String::from_utf8_lossy(&out.stderr)),
        })
    }
}

/// Captured bytes as text, taking the buffer over when it is UTF-8 (as
/// the docker CLI's output is): a batched `docker inspect` of 1,000
/// containers is ~7 MB, and copying it (`from_utf8_lossy(..).into_owned()`)
/// held it twice at the peak of a run. Invalid UTF-8 is replaced, as before.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// SIGKILL to the process group `pid` leads.
fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid)
        && pid > 1
    {
        // SAFETY: kill(2) with a negative PID signals that process group;
        // it touches no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
