//! One SSH connection per host per run, and SSH failures in plain words.
//!
//! For `DOCKER_HOST=ssh://user@host:port` the docker CLI runs
//! `ssh -o ConnectTimeout=30 -T -l user -p port -- host docker system
//! dial-stdio` from its PATH for every call: a handshake each, and sshd's
//! defaults (`MaxStartups 10:30:100`, `MaxSessions 10`) refuse parallel
//! work. A run makes one [`Shared`]: a private directory with a wrapper
//! named `ssh` that runs the real ssh with `-o ControlMaster=no -o
//! ControlPath=<dir>/%C`, and the control sockets. [`Shared::connect`]
//! starts one master connection per target (`ssh -f -N`, returning once
//! authentication succeeded or failed); docker children given
//! [`Shared::child_path`] as their PATH then run their ssh through it, as
//! sessions of that one connection. Without a live master the wrapper's ssh
//! connects on its own, as plain ssh would: slower, never wrong.
//!
//! Lifetimes: a [`Master`] closes its connection when its last clone drops
//! (`ssh -O exit`); the directory goes when the `Shared` and every `Master`
//! are gone. A fleet killed outright leaves a master for at most
//! [`PERSIST`] once its last session ends (ssh's `ControlPersist`), and its
//! directory until the next run's [`Shared::new`] sweeps it ([`sweep`]:
//! the directory's [`OWNER_FILE`] names a process that is gone).
//!
//! The library reads no environment: the PATH comes in as a value. The ssh
//! processes inherit fleet's environment (ssh-agent's socket, `HOME`), never
//! its stdin.

mod failure;
mod url;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub use failure::{FailureKind, SshFailure, explain_docker_stderr};
pub(crate) use url::redact_any_userinfo;
pub use url::{
    Endpoint, Target, holds_password, is_ssh, parse_docker_host, parse_url, redact_userinfo,
};

/// At most this many SSH sessions in flight per ssh host (fleet's
/// `hosts::OnHost` counts them: a `docker run -d` opens two, every other
/// call fleet makes one; a multi-container `stop` goes one container a
/// call). sshd's default `MaxSessions` is 10 sessions per connection; a
/// session past it is refused and that ssh falls back to a handshake of its
/// own (which then counts against `MaxStartups`). 8 leaves room for an
/// operator's own session over a shared connection.
pub const MAX_SESSIONS: usize = 8;

/// How long a master outlives its last session when nobody closes it
/// (ssh's `ControlPersist`): the bound on what a killed fleet leaves behind,
/// and the longest pause between docker calls a run's connection survives
/// (after it, calls connect on their own again).
pub(crate) const PERSIST: Duration = Duration::from_secs(30);

/// Extra time after ssh's own `ConnectTimeout` before fleet kills it, so
/// ssh's words ("Connection timed out") win over fleet's when it can say.
const GRACE: Duration = Duration::from_secs(1);

/// Closing a master takes a local socket round trip; never wait longer.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The run's SSH state: the private directory, the wrapper, the masters.
/// One per fleet run; `Clone` shares it.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<Inner>,
}

struct Inner {
    dir: tempfile::TempDir,
    /// The ssh the wrapper runs: the first `ssh` on the PATH fleet was given.
    ssh: Option<PathBuf>,
    /// That PATH, for the children's.
    path: Option<OsString>,
    /// One slot per target, locked while its master starts, so two hosts
    /// behind one target start one master.
    masters: Mutex<HashMap<Target, Arc<Mutex<Weak<MasterInner>>>>>,
    /// Names the files connect() captures ssh's stderr in.
    attempts: AtomicU64,
}

/// A master connection to one target. Clones share it; the last one to drop
/// closes it.
#[derive(Clone)]
pub struct Master {
    inner: Arc<MasterInner>,
}

struct MasterInner {
    shared: Arc<Inner>,
    target: Target,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("dir", &self.inner.dir.path())
            .field("ssh", &self.inner.ssh)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master")
            .field("target", &self.inner.target)
            .finish()
    }
}

impl Shared {
    /// Makes the run's private directory (0700, under `/run/user/<uid>`
    /// when that is ours, else `/tmp`: short, since a control socket's path
    /// must fit in ~100 bytes) and the `ssh` wrapper in it. `path_env` is
    /// the PATH fleet was given: the first `ssh` on it is the one every
    /// connection runs. No ssh there is no error here: [`Shared::connect`]
    /// reports it for the host that needs it.
    pub fn new(path_env: Option<&OsStr>) -> Result<Shared, String> {
        let dir = private_dir()?;
        write_owner(dir.path()).map_err(|e| {
            format!(
                "could not write {OWNER_FILE} in {}: {e}",
                dir.path().display()
            )
        })?;
        if let Some(base) = dir.path().parent() {
            sweep(base);
        }
        let ssh = find_ssh(path_env);
        if let Some(real) = &ssh {
            write_wrapper(dir.path(), real).map_err(|e| {
                format!(
                    "could not write the ssh wrapper in {}: {e}",
                    dir.path().display()
                )
            })?;
        }
        Ok(Shared {
            inner: Arc::new(Inner {
                dir,
                ssh,
                path: path_env.map(OsStr::to_os_string),
                masters: Mutex::default(),
                attempts: AtomicU64::new(0),
            }),
        })
    }

    /// The PATH for a docker child: the wrapper's directory, then the PATH
    /// fleet was given. The docker CLI's ssh then goes through this run's
    /// masters.
    pub fn child_path(&self) -> OsString {
        let mut p = self.inner.dir.path().as_os_str().to_os_string();
        if let Some(rest) = self.inner.path.as_deref().filter(|p| !p.is_empty()) {
            p.push(":");
            p.push(rest);
        }
        p
    }

    /// The private directory: the wrapper and the control sockets.
    pub fn dir(&self) -> &Path {
        self.inner.dir.path()
    }

    /// Starts the master connection to `t`, once per run: a second call for
    /// the same target returns the live one. Returns once ssh has
    /// authenticated (or failed to: then with ssh's words); ssh gets
    /// `timeout` as its `ConnectTimeout` and is killed, with every process
    /// it started, if it runs a second longer.
    pub fn connect(&self, t: &Target, timeout: Duration) -> Result<Master, SshFailure> {
        let slot = {
            let mut masters = lock(&self.inner.masters);
            Arc::clone(masters.entry(t.clone()).or_default())
        };
        let mut live = lock(&slot);
        if let Some(inner) = live.upgrade() {
            return Ok(Master { inner });
        }
        self.start(t, timeout)?;
        let inner = Arc::new(MasterInner {
            shared: Arc::clone(&self.inner),
            target: t.clone(),
        });
        *live = Arc::downgrade(&inner);
        Ok(Master { inner })
    }

    /// `ssh -o ControlMaster=auto … -f -N -T [-l user] [-p port] -- host`:
    /// `-f` sends it to the background once authenticated (it then leaves
    /// fleet's process group and, in OpenSSH 9, its stdio), so the
    /// foreground's exit is the verdict, with ssh's words on failure.
    /// `ServerAliveInterval=10`: a peer gone silent ends the master in ~30 s
    /// (ssh's 3 unanswered probes) instead of hanging every session on it.
    /// `auto`, not `yes`: were a master already listening on the socket
    /// (another spelling of the same target), `yes` would leave a plain
    /// connection in the background that nothing ever closes; `auto` just
    /// uses the master and exits.
    fn start(&self, t: &Target, timeout: Duration) -> Result<(), SshFailure> {
        let Some(ssh) = &self.inner.ssh else {
            return Err(SshFailure::not_installed(t.clone(), "no `ssh` on PATH"));
        };
        let n = self.inner.attempts.fetch_add(1, Ordering::Relaxed);
        // A file, not a pipe: the backgrounded master may keep the write end
        // (older OpenSSH does), and reading a pipe to its end would wait
        // for the master to exit.
        let err_path = self.dir().join(format!("connect-{n}.err"));
        let spawn_err = |e: std::io::Error| SshFailure::spawn(t.clone(), &e.to_string());
        let err_file = fs::File::create(&err_path).map_err(spawn_err)?;
        let seconds = (timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0)).max(1);
        let child = Command::new(ssh)
            .args([
                "-o",
                "ControlMaster=auto",
                "-o",
                &self.control_path_option(),
            ])
            .arg("-o")
            .arg(format!("ControlPersist={}", PERSIST.as_secs()))
            .args(["-o", "BatchMode=yes", "-o", "ServerAliveInterval=10"])
            .arg("-o")
            .arg(format!("ConnectTimeout={seconds}"))
            .args(["-f", "-N", "-T"])
            .args(t.ssh_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            .process_group(0)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    SshFailure::not_installed(t.clone(), &format!("{}: {e}", ssh.display()))
                }
                _ => spawn_err(e),
            })?;
        let status = wait_until(child, Instant::now() + timeout + GRACE);
        let mut stderr = String::new();
        if let Ok(mut f) = fs::File::open(&err_path) {
            let _ = f.read_to_string(&mut stderr);
        }
        let _ = fs::remove_file(&err_path);
        match status {
            Ok(Some(s)) if s.success() => Ok(()),
            Ok(Some(_)) => Err(SshFailure::from_ssh_stderr(Some(t.clone()), &stderr)),
            Ok(None) => Err(SshFailure::timeout(t.clone(), timeout, &stderr)),
            Err(e) => Err(spawn_err(e)),
        }
    }

    fn control_path_option(&self) -> String {
        control_path_option(self.dir())
    }
}

impl Master {
    /// The target this master is connected to.
    pub fn target(&self) -> &Target {
        &self.inner.target
    }
}

impl Drop for MasterInner {
    /// `ssh -O exit`: the master ends its sessions and the connection and
    /// removes its socket. Waits only for that local request.
    fn drop(&mut self) {
        let Some(ssh) = &self.shared.ssh else { return };
        let child = Command::new(ssh)
            .args(["-o", &control_path_option(self.shared.dir.path())])
            .args(["-O", "exit"])
            .args(self.target.ssh_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        if let Ok(child) = child {
            let _ = wait_until(child, Instant::now() + CLOSE_TIMEOUT);
        }
    }
}

/// `ControlPath=<dir>/%C`: `%C` is a hash of the local host, the target's
/// host, port and user (and jump host): short and the same for the master
/// and the docker CLI's ssh, whatever ssh's config makes of the target.
fn control_path_option(dir: &Path) -> String {
    // `%` is ssh's token character; the directory's own must be doubled.
    let dir = dir.to_string_lossy().replace('%', "%%");
    format!("ControlPath={dir}/%C")
}

/// Waits for `child` until `deadline`; past it, kills its process group
/// (the ssh and anything it started) and returns `None`.
fn wait_until(mut child: Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    let mut nap = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(nap.min(deadline - now));
        nap = (nap * 2).min(Duration::from_millis(10));
    }
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The first executable `ssh` in an absolute directory of `path_env`
/// (empty and relative entries name the working directory: skipped).
fn find_ssh(path_env: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_env?)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("ssh"))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// `<dir>/ssh`: the real ssh, told to use this run's control sockets but
/// never to become a master itself.
fn write_wrapper(dir: &Path, real: &Path) -> std::io::Result<()> {
    let script = format!(
        "#!/bin/sh\n# fleet: the docker CLI's ssh, through this run's shared SSH connections.\n\
         exec {} -o ControlMaster=no -o {} \"$@\"\n",
        sh_quote(&real.to_string_lossy()),
        sh_quote(&control_path_option(dir)),
    );
    let path = dir.join("ssh");
    fs::write(&path, script)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A fresh 0700 directory whose wrapper may run: under `/run/user/<uid>`
/// when it exists, is ours and allows exec, else under `/tmp`.
fn private_dir() -> Result<tempfile::TempDir, String> {
    // SAFETY: getuid(2) cannot fail and touches no memory of ours.
    let uid = unsafe { libc::getuid() };
    let run_user = PathBuf::from(format!("/run/user/{uid}"));
    let ours = fs::metadata(&run_user)
        .is_ok_and(|m| m.is_dir() && std::os::unix::fs::MetadataExt::uid(&m) == uid);
    let base = [(run_user.as_path(), ours), (Path::new("/tmp"), true)]
        .into_iter()
        .find(|(d, usable)| *usable && allows_exec(d))
        .map(|(d, _)| d)
        .ok_or_else(|| {
            "no directory for SSH control sockets: /tmp is mounted noexec and \
             /run/user/<uid> is missing (the ssh wrapper fleet puts there must run)"
                .to_string()
        })?;
    let dir = tempfile::Builder::new()
        .prefix("fleet-ssh-")
        .tempdir_in(base)
        .map_err(|e| {
            format!(
                "could not make a private directory for SSH connections in {}: {e}",
                base.display()
            )
        })?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("could not make {} private: {e}", dir.path().display()))?;
    Ok(dir)
}

/// The file in a run's private directory that names the process owning
/// it, one `key=value` a line: `pid=<pid>`, `start=<clock ticks after
/// boot>` (field 22 of `/proc/<pid>/stat`; absent when unreadable) and
/// `pid-ns=<boot id>/pid:[<inode>]` (where the pid means that process).
pub const OWNER_FILE: &str = "owner";

/// Writes [`OWNER_FILE`] for this process into `dir` (mode 0600).
fn write_owner(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let pid = std::process::id();
    let mut text = format!("pid={pid}\n");
    if let Some(start) = crate::process::process_start_time(pid) {
        text += &format!("start={start}\n");
    }
    if let Some(ns) = crate::process::pid_namespace() {
        text += &format!("pid-ns={ns}\n");
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join(OWNER_FILE))?;
    f.write_all(text.as_bytes())
}

/// Removes the `fleet-ssh-*` directories directly under `base` that runs
/// killed outright left behind, and returns them. One is removed only when
/// all of this holds: it is a directory itself (a symlink is never
/// followed), this user owns it and its mode is 0700; its [`OWNER_FILE`]
/// is a regular file this user owns; that file names this machine's pid
/// namespace (this kernel boot, these pids); and the process it names no
/// longer runs, has exited, or is another process now (its start time
/// differs). A directory without an owner file (a run making it right
/// now, or a fleet from before owner files) is left alone, as is anything
/// that cannot be read. Errors are not reported: sweeping is a courtesy.
pub fn sweep(base: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid(2) cannot fail and touches no memory of ours.
    let uid = unsafe { libc::getuid() };
    let Some(here) = crate::process::pid_namespace() else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(base) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = |m: &fs::Metadata| m.uid() == uid;
        let private = entry
            .file_name()
            .to_string_lossy()
            .starts_with("fleet-ssh-")
            && fs::symlink_metadata(&path)
                .is_ok_and(|m| m.file_type().is_dir() && ours(&m) && m.mode() & 0o7777 == 0o700);
        if !private {
            continue;
        }
        let owner = path.join(OWNER_FILE);
        let Ok(m) = fs::symlink_metadata(&owner) else {
            continue;
        };
        if !m.file_type().is_file() || !ours(&m) || m.len() > 4096 {
            continue;
        }
        let Ok(text) = fs::read_to_string(&owner) else {
            continue;
        };
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
        };
        let Some(pid) = field("pid").and_then(|v| v.parse::<u32>().ok()) else {
            continue;
        };
        let start = field("start").and_then(|v| v.parse().ok());
        if pid == 0 || field("pid-ns") != Some(here.as_str()) {
            continue;
        }
        if crate::process::gone(pid, start).is_some() && fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Whether programs on the file system of `dir` may run (no `noexec`).
fn allows_exec(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: statvfs(3) writes only into `st`, a zeroed struct of the
        // right type; `c` is a NUL-terminated path that outlives the call.
        unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(c.as_ptr(), &mut st) != 0 {
                return false;
            }
            st.f_flag & libc::ST_NOEXEC == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        dir.is_dir()
    }
}
