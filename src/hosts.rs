//! Several engines ("Hosts" in DESIGN.md): one config, each host's engine
//! reached through the docker CLI's own transports (`--host URL`,
//! `--context NAME`), observed, planned and converged by a thread of its
//! own, side by side. A host that cannot be reached, or whose engine fails
//! part-way, fails alone: its containers are reported failed, naming the
//! host, and nothing is planned on its behalf.
//!
//! Without a top-level `hosts` the config has one implicit host (the
//! docker CLI's default engine, through the runner fleet was given as it
//! is): every command then runs as it always did, output included.
//!
//! This module is the transports only: how a run reaches one host's
//! engine. The host as a value carried through a run's phases is
//! [`crate::place::Place`].

use std::ffi::OsString;
use std::sync::{Condvar, Mutex, PoisonError};

use crate::config::{Config, Host, Reach};
use crate::docker::{Cmd, DockerError, Output, Runner};
use crate::error::{Error, Kind, Result};

/// How a run reaches one host's engine: the docker CLI's global options
/// for it, and what a transport of its own needs (an SSH connection kept
/// for the run).
pub struct Link {
    /// `--host URL` or `--context NAME` (empty: the CLI's default).
    pub global: Vec<String>,
    /// The docker CLI's `PATH`, when fleet sets it (its SSH wrapper first).
    pub path: Option<OsString>,
    /// At most this many docker calls in flight on the host (SSH hosts:
    /// sshd's `MaxSessions` per connection).
    pub max_in_flight: Option<usize>,
    /// The engine is reached over SSH: docker's words for a failed SSH
    /// connection are replaced by what happened.
    pub ssh: bool,
    /// Whatever keeps the transport open (an SSH master); dropped, it
    /// closes.
    pub keep: Option<Box<dyn Send + Sync>>,
}

impl Link {
    /// The host's global options and nothing else.
    pub fn direct(host: &Host) -> Link {
        Link {
            global: host.reach.global_args(),
            path: None,
            max_in_flight: None,
            ssh: false,
            keep: None,
        }
    }
}

/// Opens the way to a host's engine, once per host per run.
pub(crate) trait Connect: Sync {
    /// The [`Link`] to `host`; `base` runs any docker command it needs
    /// (reading a context's endpoint). An error makes the host fail alone.
    fn open(&self, host: &Host, base: &dyn Runner) -> Result<Link>;
}

/// Reaches each host with its global options only: no SSH connection of
/// fleet's own (the docker CLI then makes one per call).
pub(crate) struct Direct;

impl Connect for Direct {
    fn open(&self, host: &Host, _: &dyn Runner) -> Result<Link> {
        Ok(Link::direct(host))
    }
}

/// The real program's way to its hosts: a host whose engine is behind
/// `ssh://` (its `docker_host`, or the endpoint of its context) gets one
/// SSH connection for the run ([`crate::ssh`]), every docker call through
/// it, at most [`crate::ssh::MAX_SESSIONS`] at once; other hosts get their
/// global options only.
pub struct Ssh {
    /// The `PATH` fleet was started with (where `ssh` is found).
    pub path: Option<OsString>,
    /// How long the SSH handshake may take (`--connect-timeout`).
    pub timeout: std::time::Duration,
    shared: std::sync::OnceLock<std::result::Result<crate::ssh::Shared, String>>,
}

impl Ssh {
    pub fn new(path: Option<OsString>, timeout: std::time::Duration) -> Ssh {
        Ssh {
            path,
            timeout,
            shared: std::sync::OnceLock::new(),
        }
    }

    /// The run's private SSH directory, made on first use.
    fn shared(&self) -> Result<&crate::ssh::Shared> {
        self.shared
            .get_or_init(|| crate::ssh::Shared::new(self.path.as_deref()))
            .as_ref()
            .map_err(|e| Error::docker(format!("could not prepare fleet's SSH connections: {e}")))
    }
}

impl Connect for Ssh {
    fn open(&self, host: &Host, base: &dyn Runner) -> Result<Link> {
        let url = match &host.reach {
            Reach::Default => return Ok(Link::direct(host)),
            Reach::DockerHost(url) => url.clone(),
            Reach::Context(name) => context_endpoint(base, name)?,
        };
        if !crate::ssh::is_ssh(&url) {
            return Ok(Link::direct(host));
        }
        let target = crate::ssh::parse_url(&url).map_err(Error::docker)?;
        let shared = self.shared()?;
        let master = shared.connect(&target, self.timeout).map_err(|f| {
            let e = Error::docker(format!(
                "could not connect over SSH ({target}): {}",
                f.reason()
            ));
            let e = match f.help() {
                Some(h) => e.with_help(h),
                None => e,
            };
            e.with_help(format!(
                "a host that does not answer within --connect-timeout ({}s) fails alone; raise it for a slow link",
                self.timeout.as_secs_f64()
            ))
        })?;
        Ok(Link {
            global: host.reach.global_args(),
            path: Some(shared.child_path()),
            max_in_flight: Some(crate::ssh::MAX_SESSIONS),
            ssh: true,
            keep: Some(Box::new(master)),
        })
    }
}

/// Where docker context `name` points (`ssh://…`, `unix://…`, …): one
/// local `docker context inspect`.
fn context_endpoint(base: &dyn Runner, name: &str) -> Result<String> {
    let cmd = Cmd::new([
        "context",
        "inspect",
        "--format",
        "{{.Endpoints.docker.Host}}",
        name,
    ]);
    let out = crate::docker::run_ok(base, &cmd)
        .map_err(|e| Error::from(e).context(format!("could not read docker context `{name}`")))?;
    Ok(out.stdout.trim().to_string())
}

/// At most `max` holders at once.
struct Gate {
    max: usize,
    busy: Mutex<usize>,
    freed: Condvar,
}

impl Gate {
    /// Waits for `weight` places (at most `max`) and takes them.
    fn enter(&self, weight: usize) -> Pass<'_> {
        let weight = weight.clamp(1, self.max);
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy + weight > self.max {
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *busy += weight;
        Pass(self, weight)
    }
}

/// Places in a [`Gate`], given back on drop.
struct Pass<'a>(&'a Gate, usize);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut busy = (self.0.busy.lock()).unwrap_or_else(PoisonError::into_inner);
        *busy -= self.1;
        self.0.freed.notify_all();
    }
}

/// The runner of one declared host: every command gets the host's global
/// options (and `PATH`), at most [`Link::max_in_flight`] run at once.
pub struct OnHost<'a> {
    inner: &'a dyn Runner,
    link: Link,
    gate: Option<Gate>,
}

impl<'a> OnHost<'a> {
    pub fn new(inner: &'a dyn Runner, link: Link) -> OnHost<'a> {
        let gate = link.max_in_flight.map(|max| Gate {
            max: max.max(1),
            busy: Mutex::new(0),
            freed: Condvar::new(),
        });
        OnHost { inner, link, gate }
    }
}

impl OnHost<'_> {
    /// Runs one command through the gate: it takes as many places as SSH
    /// sessions it opens (measured: `docker run -d` opens two, every other
    /// call fleet makes one).
    fn run_one(&self, cmd: &Cmd) -> std::result::Result<Output, DockerError> {
        self.through_gate(cmd, &|c| self.inner.run(c))
    }

    /// `run` on the host's runner with its global options and `PATH`,
    /// holding as many places in the gate as SSH sessions it opens.
    fn through_gate(
        &self,
        cmd: &Cmd,
        run: &dyn Fn(&Cmd) -> std::result::Result<Output, DockerError>,
    ) -> std::result::Result<Output, DockerError> {
        let weight = if cmd.verb() == "run" { 2 } else { 1 };
        let _pass = self.gate.as_ref().map(|g| g.enter(weight));
        let mut c = cmd.clone();
        c.global = self.link.global.clone();
        c.path = self.link.path.clone();
        let mut out = run(&c)?;
        if self.link.ssh
            && !out.success()
            && let Some(what) = crate::ssh::explain_docker_stderr(&out.stderr)
        {
            out.stderr = what;
        }
        Ok(out)
    }
}

impl Runner for OnHost<'_> {
    /// `fleet exec`'s `docker exec`, on this host: its global options and
    /// `PATH`, one SSH session held for as long as it runs.
    fn attached(
        &self,
        cmd: &Cmd,
        attach: crate::docker::Attach,
    ) -> std::result::Result<crate::docker::Ended, DockerError> {
        let _pass = self.gate.as_ref().map(|g| g.enter(1));
        let mut c = cmd.clone();
        c.global = self.link.global.clone();
        c.path = self.link.path.clone();
        self.inner.attached(&c, attach)
    }

    /// The batched inspect streams on a declared host too (one command,
    /// never split).
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn std::io::Read),
    ) -> std::result::Result<Output, DockerError> {
        let read = std::sync::Mutex::new(read);
        self.through_gate(cmd, &|c| {
            let mut read = read
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.inner.run_reading(c, &mut **read)
        })
    }

    fn run(&self, cmd: &Cmd) -> std::result::Result<Output, DockerError> {
        match self.gate.as_ref().and(one_each(cmd)) {
            None => self.run_one(cmd),
            // The docker CLI stops or removes the containers of one call
            // all at once, a session each (up to 50): on a gated host they
            // go one container a call, as many at once as the gate allows,
            // and their outputs are joined as one call's.
            Some(parts) => std::thread::scope(|s| {
                let running: Vec<_> = (parts.iter())
                    .map(|p| s.spawn(move || self.run_one(p)))
                    .collect();
                let mut all = Output::ok("");
                for t in running {
                    let out = t.join().unwrap_or_else(|_| {
                        Err(DockerError::Failed {
                            cmd: cmd.line(),
                            code: None,
                            stderr: "fleet's thread for this call panicked".into(),
                        })
                    })?;
                    all.stdout += &out.stdout;
                    all.stderr += &out.stderr;
                    if !out.success() && all.success() {
                        all.code = out.code;
                    }
                }
                Ok(all)
            }),
        }
    }
}

/// A `stop`, `rm` or `kill` of several containers as one command per
/// container; `None` for any other command.
fn one_each(cmd: &Cmd) -> Option<Vec<Cmd>> {
    if !matches!(cmd.verb(), "stop" | "rm" | "kill") {
        return None;
    }
    let mut head = vec![cmd.args[0].clone()];
    let mut rest = cmd.args[1..].iter();
    let mut ids = Vec::new();
    while let Some(a) = rest.next() {
        if !ids.is_empty() || !a.starts_with('-') {
            ids.push(a.clone());
            continue;
        }
        head.push(a.clone());
        if matches!(a.as_str(), "-t" | "--time" | "-s" | "--signal") {
            head.extend(rest.next().cloned());
        }
    }
    (ids.len() > 1).then(|| {
        ids.into_iter()
            .map(|id| {
                let mut c = cmd.clone();
                c.args = head.iter().cloned().chain([id]).collect();
                c
            })
            .collect()
    })
}

/// The runner of one host of a run.
pub(crate) type HostRunner<'a> = Box<dyn Runner + Send + 'a>;

/// The declared hosts named by `only` (all when empty), in name order; a
/// usage error for a name the config does not declare.
pub(crate) fn choose<'a>(config: &'a Config, only: &[String]) -> Result<Vec<&'a Host>> {
    if only.is_empty() {
        return Ok(config.hosts.iter().collect());
    }
    if config.hosts.is_empty() {
        return Err(Error::new(
            Kind::Usage,
            "--host: the config declares no hosts (it has one engine, the docker CLI's default)",
        )
        .with_help("remove --host, or declare `hosts` in the config"));
    }
    for name in only {
        if !config.hosts.iter().any(|h| &h.name == name) {
            let names: Vec<&str> = config.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(Error::new(
                Kind::Usage,
                format!("--host {name}: the config declares no host `{name}`"),
            )
            .with_help(format!("the declared hosts are: {}", names.join(", "))));
        }
    }
    Ok(config
        .hosts
        .iter()
        .filter(|h| only.contains(&h.name))
        .collect())
}
