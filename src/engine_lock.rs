//! A run's lock held on the Docker engine itself, so that runs from two
//! machines against one engine never interleave (the flock of `lock.rs`
//! only serialises the runs of one machine).
//!
//! The lock is a container named `<project>.fleet-lock`, created and never
//! started: docker creates a name at most once, so whoever creates it holds
//! the lock. Its labels say who: `fleet.lock=<project>`, the holder
//! (`user@hostname pid N`), the machine, the pid with its start time, the
//! pid namespace, the lease and the host name. It has no `fleet.project`
//! label, so nothing that lists a project's agents sees it (discovery reads
//! only containers with that label or a desired name, and a desired name
//! ends in `-default` or `-<n>`). Its image, `fleet-lock:1`, is empty and
//! made on the engine when missing (`docker import` of `/dev/null`); it is
//! never pulled.
//!
//! A lock whose holder is gone is taken over: removed by its ID (so a lock
//! someone else has just created under the name is never removed) and
//! created again.
//! - On the machine that holds it (the same kernel boot and pid namespace,
//!   the `fleet.lock.pid-ns` label), the holder is gone when its pid no
//!   longer runs, is a zombie, or is another process (its start time
//!   differs). A holder that still runs is never overtaken there, however
//!   long it runs.
//! - Anywhere else, the holder is judged gone when the lock is older than
//!   its lease by the engine's clock (docker's `info`; this machine's when
//!   the engine does not say, as podman's does not). Labels cannot change,
//!   so the lease cannot be renewed: **a run that outlasts its lease can be
//!   overtaken by a run from another machine.** [`DEFAULT_LEASE`] is one
//!   hour; a caller that knows its run may take longer passes a longer
//!   lease. A lock left by a crashed machine blocks other machines until
//!   its lease runs out, or until `fleet unlock` ([`release_any`]) or
//!   `docker rm <project>.fleet-lock` removes it.
//!
//! Why the pid namespace and not only `/etc/machine-id`: that file is often
//! baked into images or bind-mounted from the host into containers, and
//! the hostname (its fallback) is often `localhost`; a pid is only
//! meaningful in the pid namespace of the kernel boot that gave it, which
//! the boot ID and the namespace's inode name exactly.
//!
//! On a swarm ([`Store::Swarm`]) the same lock is a `docker config` object
//! of that name on the swarm's managers: Swarm creates a name once
//! cluster-wide (its raft store), so two runs through two managers
//! exclude each other too; removed by its ID, read by `config inspect`.
//!
//! Every docker call goes through the [`Runner`]; this module reads
//! `/proc`, `/etc/machine-id` and the password database, and nothing of
//! the environment.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::docker::missing_image_named;
use crate::docker::{Cmd, DockerError, Runner, argv, run_ok, service};
use crate::error::{Error, Result};
pub use crate::process::process_start_time;
use crate::process::{Process, gone, pid_namespace, process, read_trimmed};
use crate::time::unix_seconds;

/// How long a lock holds against other machines when its holder does not
/// remove it (see the module doc): longer than any run should take, short
/// enough that a crashed machine's lock does not block the others for long.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(3600);

/// How often a busy lock is tried again.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// Label keys of the lock's container.
pub(crate) const LABEL_LOCK: &str = "fleet.lock";
pub(crate) const LABEL_HOLDER: &str = "fleet.lock.holder";
pub(crate) const LABEL_MACHINE: &str = "fleet.lock.machine";
pub(crate) const LABEL_PID_NS: &str = "fleet.lock.pid-ns";
pub(crate) const LABEL_PID: &str = "fleet.lock.pid";
pub(crate) const LABEL_PID_START: &str = "fleet.lock.pid-start";
pub(crate) const LABEL_LEASE: &str = "fleet.lock.lease";
pub(crate) const LABEL_HOST: &str = "fleet.lock.host";

/// The name of `project`'s lock container. A project name matches
/// `[a-z0-9][a-z0-9_.-]*`, so this is a valid container name, and ends in
/// `.fleet-lock`, which no agent's name (`-default`, `-<n>`) nor a
/// replacement's (`.fleet-next`) does.
pub fn lock_name(project: &str) -> String {
    format!("{project}.fleet-lock")
}

/// Who takes a lock: what its labels say about the holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The effective user's name (the password database), else `uid <n>`.
    pub user: String,
    pub hostname: String,
    /// `/etc/machine-id`, else the hostname: for people; staleness goes by
    /// `pid_ns`.
    pub machine: String,
    /// `<boot id>/<pid namespace>`: where `pid` means this process. `None`
    /// when unreadable: then only the lease can free the lock.
    pub pid_ns: Option<String>,
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks after boot), which tells
    /// a reused pid from its first process.
    pub pid_start: Option<u64>,
}

impl Holder {
    /// This process, as the labels of a lock it takes describe it. Reads
    /// `/proc`, `/etc/machine-id` and the password database (no
    /// environment variable: `USER` can say anything).
    pub fn this_process() -> Holder {
        let hostname = read_trimmed("/proc/sys/kernel/hostname").unwrap_or_else(|| "?".into());
        let pid = std::process::id();
        Holder {
            user: effective_user(),
            machine: read_trimmed("/etc/machine-id").unwrap_or_else(|| hostname.clone()),
            hostname,
            pid_ns: pid_namespace(),
            pid,
            pid_start: process_start_time(pid),
        }
    }

    /// `user@hostname pid N`.
    pub fn display(&self) -> String {
        format!("{}@{} pid {}", self.user, self.hostname, self.pid)
    }

    /// The lock's labels, in argv order.
    fn labels(&self, project: &str, host: Option<&str>, lease: Duration) -> Vec<(&str, String)> {
        let mut l = vec![
            (LABEL_LOCK, project.to_string()),
            (LABEL_HOLDER, self.display()),
            (LABEL_MACHINE, self.machine.clone()),
        ];
        if let Some(ns) = &self.pid_ns {
            l.push((LABEL_PID_NS, ns.clone()));
        }
        l.push((LABEL_PID, self.pid.to_string()));
        if let Some(s) = self.pid_start {
            l.push((LABEL_PID_START, s.to_string()));
        }
        l.push((LABEL_LEASE, lease_label(lease)));
        if let Some(h) = host {
            l.push((LABEL_HOST, h.to_string()));
        }
        l
    }
}

/// Where the lock lives: a container on one engine, or a `docker config`
/// object of a swarm (atomic by name across its managers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Store {
    #[default]
    Engine,
    Swarm,
}

impl Store {
    fn create(self, name: &str, labels: &[(&str, String)]) -> Cmd {
        match self {
            Store::Engine => argv::lock_create(name, labels),
            Store::Swarm => service::lock_create(name, labels),
        }
    }

    fn inspect(self, name: &str) -> Cmd {
        match self {
            Store::Engine => argv::inspect(&[name]),
            Store::Swarm => service::lock_inspect(name),
        }
    }

    fn remove(self, id: &str) -> Cmd {
        match self {
            Store::Engine => argv::remove_one(id),
            Store::Swarm => service::lock_remove(id),
        }
    }

    /// What the lock is, in messages.
    pub fn what(self) -> &'static str {
        match self {
            Store::Engine => "lock container",
            Store::Swarm => "lock config",
        }
    }

    /// The engine's words for a name or ID that holds nothing.
    fn absent(self, stderr: &str) -> bool {
        match self {
            Store::Engine => no_such(stderr),
            Store::Swarm => {
                let s = stderr.to_ascii_lowercase();
                s.contains("not found") || s.contains("no such config")
            }
        }
    }
}

/// How [`acquire`] takes the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long the lock holds against other machines: written on the lock
    /// exactly as given (see [`lease_label`]).
    pub lease: Duration,
    /// How long to wait for a busy lock (0: try once).
    pub wait: Duration,
}

/// What [`acquire`] tells its caller while it works.
#[derive(Debug)]
pub enum LockEvent<'a> {
    /// The lock is held by someone else: sent once, when first found so;
    /// acquire then waits.
    Busy(&'a LockInfo),
    /// A lock whose holder is gone was removed; acquire takes it next.
    TakenOver { from: &'a LockInfo, why: String },
}

/// A lock on the engine, as its container's labels describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    /// The lock container's ID.
    pub id: String,
    /// `user@hostname pid N` (`?` when the label is missing).
    pub holder: String,
    pub machine: String,
    pub pid_ns: Option<String>,
    pub pid: Option<u32>,
    pub pid_start: Option<u64>,
    /// When it was taken: the engine's `Created`, RFC 3339.
    pub since: String,
    /// `None` when the label is missing or unreadable ([`DEFAULT_LEASE`]
    /// applies).
    pub lease: Option<Duration>,
    /// The host name the holder knew the engine by.
    pub host: Option<String>,
}

impl LockInfo {
    /// The lock for people: [`LockInfo::held_by`], and when its holder is
    /// known gone from this machine, [`LockInfo::stale_hint`] in
    /// parentheses: `held by root@build-7 pid 4242 since
    /// 2026-11-29T07:24:36Z (stale: pid 4242 no longer runs on this
    /// machine; the next run takes it over)`. Reads `/proc` for the hint.
    pub fn describe(&self) -> String {
        match self.stale_hint() {
            Some(hint) => format!("{} ({hint})", self.held_by()),
            None => self.held_by(),
        }
    }

    /// `held by root@build-7 pid 4242 since 2026-11-29T07:24:36Z`: the
    /// labels only, for where staleness is told apart (a takeover).
    pub fn held_by(&self) -> String {
        format!("held by {} since {}", self.holder, self.since_seconds())
    }

    /// `stale: pid 4242 no longer runs on this machine; the next run takes
    /// it over`, when the holder is of this machine's kernel boot and pid
    /// namespace and its pid no longer runs, has exited or is another
    /// process now; `None` otherwise (a holder elsewhere is judged by its
    /// lease only when a run takes the lock). Reads `/proc`.
    pub fn stale_hint(&self) -> Option<String> {
        let here = pid_namespace()?;
        let why = self.gone_here(&here)?;
        Some(format!("stale: {why}; the next run takes it over"))
    }

    /// Why the holder is gone, when `pid_ns` (this machine's) is the
    /// lock's and its process is gone.
    fn gone_here(&self, pid_ns: &str) -> Option<String> {
        if self.pid_ns.as_deref() != Some(pid_ns) {
            return None;
        }
        gone(self.pid.filter(|p| *p > 0)?, self.pid_start)
    }

    /// [`LockInfo::since`] without its fraction of a second.
    pub(crate) fn since_seconds(&self) -> String {
        match self.since.find('.') {
            Some(dot) => {
                let end = self.since[dot + 1..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(self.since.len(), |i| dot + 1 + i);
                format!("{}{}", &self.since[..dot], &self.since[end..])
            }
            None => self.since.clone(),
        }
    }

    fn from_labels(id: String, since: String, labels: &BTreeMap<String, String>) -> LockInfo {
        let get = |k: &str| labels.get(k).map(|v| v.trim().to_string());
        LockInfo {
            id,
            holder: get(LABEL_HOLDER).unwrap_or_else(|| "?".into()),
            machine: get(LABEL_MACHINE).unwrap_or_default(),
            pid_ns: get(LABEL_PID_NS).filter(|v| !v.is_empty()),
            pid: get(LABEL_PID).and_then(|v| v.parse().ok()),
            pid_start: get(LABEL_PID_START).and_then(|v| v.parse().ok()),
            since,
            lease: get(LABEL_LEASE).and_then(|v| parse_lease(&v)),
            host: get(LABEL_HOST).filter(|v| !v.is_empty()),
        }
    }
}

/// A lock this run holds. Dropping it does not release it (that takes a
/// runner): call [`EngineLock::release`].
#[derive(Debug)]
#[must_use = "the lock stays on the engine until released"]
pub struct EngineLock {
    id: String,
    name: String,
    host: Option<String>,
    /// Just before the create that took it: the lease counts from here.
    taken: Instant,
    store: Store,
}

impl EngineLock {
    /// The lock container's ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When this run took it (just before the create that made it), by
    /// this machine's monotonic clock.
    pub fn taken(&self) -> Instant {
        self.taken
    }

    /// Removes the lock container by its ID (never by name: a lock that
    /// someone removed and another run took since is theirs). One already
    /// gone is fine.
    pub fn release(self, runner: &dyn Runner) -> Result<()> {
        match remove_in(runner, self.store, &self.id) {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::from(e)
                .context(format!(
                    "could not release the {} `{}` ({}){}",
                    self.store.what(),
                    self.name,
                    short_id(&self.id),
                    on_host(self.host.as_deref())
                ))
                .with_help(format!(
                    "remove it by hand once the engine answers: `docker {}`",
                    self.store.remove(&self.id).line()
                ))),
        }
    }
}

/// Who asks for a lock: for `project`, on the host the config calls
/// `host` (`None`: the implicit host), by `me`.
#[derive(Clone, Copy)]
pub struct Claim<'a> {
    pub project: &'a str,
    pub host: Option<&'a str>,
    pub me: &'a Holder,
    pub store: Store,
}

/// Takes `project`'s lock on the engine `runner` reaches, waiting up to
/// `opts.wait` while another run holds it and taking over a lock whose
/// holder is gone. `host` (the config's name for the engine) goes into the
/// labels and the messages. `stop` set: stops waiting, with an error.
pub fn acquire(
    runner: &dyn Runner,
    claim: &Claim,
    opts: &Options,
    stop: &AtomicBool,
    events: &dyn Fn(LockEvent),
) -> Result<EngineLock> {
    let Claim {
        project,
        host,
        me,
        store,
    } = *claim;
    let name = lock_name(project);
    let create = store.create(&name, &me.labels(project, host, opts.lease));
    let start = Instant::now();
    let mut clock = Clock::default();
    let mut told = false;
    let mut removed: Option<String> = None;
    let mut races = 0;
    loop {
        let taken = Instant::now();
        if let Some(id) = try_create(runner, &create, &name, host)? {
            return Ok(EngineLock {
                id,
                name,
                host: host.map(str::to_string),
                taken,
                store,
            });
        }
        let info =
            match inspect(runner, store, &name).map_err(|e| e.context(taking(&name, host)))? {
                // Released between the create and the inspect: try again.
                Found::Absent if races < MAX_RACES => {
                    races += 1;
                    continue;
                }
                Found::Absent => return Err(vanishing(&name, host)),
                Found::Foreign(id) => return Err(foreign(&name, &id, project, host)),
                Found::Ours(info) => info,
            };
        races = 0;
        if let Some(why) = stale(&info, me, || clock.now(runner)) {
            take_over(runner, store, &info, &mut removed, &name, host)?;
            events(LockEvent::TakenOver { from: &info, why });
            continue;
        }
        held_by_this_run(&info, me, &name, host)?;
        if !told {
            events(LockEvent::Busy(&info));
            told = true;
        }
        if start.elapsed() >= opts.wait {
            return Err(timed_out(&info, &name, host));
        }
        if pause(POLL, stop) {
            return Err(stopped(&info, &name, host));
        }
    }
}

/// The lock on the engine, if there is one (one inspect by name). A
/// container under the lock's name that is not `project`'s lock is an
/// error naming it.
pub fn read(runner: &dyn Runner, project: &str) -> Result<Option<LockInfo>> {
    read_in(runner, Store::Engine, project)
}

/// [`read`] in either store.
pub fn read_in(runner: &dyn Runner, store: Store, project: &str) -> Result<Option<LockInfo>> {
    let name = lock_name(project);
    match inspect(runner, store, &name)
        .map_err(|e| e.context(format!("could not read `{name}`")))?
    {
        Found::Absent => Ok(None),
        Found::Ours(info) => Ok(Some(info)),
        Found::Foreign(id) => Err(foreign(&name, &id, project, None)),
    }
}

/// Whether the holder of `info` is a process that runs on this machine
/// now (the same kernel boot and pid namespace, its pid running, its start
/// time the one on the lock, or unreadable): a live run, which `fleet
/// unlock` must not pull the lock from under.
pub(crate) fn held_by_live_process_here(info: &LockInfo, me: &Holder) -> bool {
    let local = info.pid_ns.is_some() && info.pid_ns == me.pid_ns;
    let Some(pid) = info.pid.filter(|p| *p > 0 && local) else {
        return false;
    };
    match process(pid) {
        Process::Gone | Process::Zombie => false,
        Process::Runs(start) => match (start, info.pid_start) {
            (Some(now), Some(then)) => now == then,
            _ => true,
        },
    }
}

/// `fleet unlock`: removes `project`'s lock from the engine, whoever holds
/// it, by its ID. Returns what it removed (`None`: there was none, or it
/// went away meanwhile). A container under the name that is not
/// `project`'s lock is never removed: an error names it.
///
/// Unless `force`, a lock whose holder is a live run on `me`'s machine
/// ([`held_by_live_process_here`]) is refused: releasing it would let a
/// second run work beside that one.
pub fn release_any(
    runner: &dyn Runner,
    project: &str,
    me: &Holder,
    force: bool,
    store: Store,
) -> Result<Option<LockInfo>> {
    let Some(info) = read_in(runner, store, project)? else {
        return Ok(None);
    };
    if !force && held_by_live_process_here(&info, me) {
        return Err(Error::lock(format!(
            "the lock is held by a fleet run that is still running on this machine ({}); it was not released",
            info.describe()
        ))
        .with_help(format!(
            "wait for that run to finish (or stop it: `kill {}`); `fleet unlock --force` releases the lock anyway, and a second run may then work beside it",
            info.pid.unwrap_or_default()
        )));
    }
    match remove_in(runner, store, &info.id) {
        Ok(true) => Ok(Some(info)),
        Ok(false) => Ok(None),
        Err(e) => Err(Error::from(e).context(format!(
            "could not remove the {} `{}` ({})",
            store.what(),
            lock_name(project),
            short_id(&info.id)
        ))),
    }
}

/// The lease label's value: `lease` in seconds, its fraction written out
/// exactly when it has one (`3600`, `1.9`, `0.000000001`), so the lock says
/// what the run goes by. Older fleets wrote whole seconds; a fraction reads
/// as no label to them (the default lease, one hour).
pub fn lease_label(lease: Duration) -> String {
    let (secs, nanos) = (lease.as_secs(), lease.subsec_nanos());
    if nanos == 0 {
        return secs.to_string();
    }
    let frac = format!("{nanos:09}");
    format!("{secs}.{}", frac.trim_end_matches('0'))
}

/// A lease label read back: whole seconds (as every fleet writes them) or
/// seconds with up to nine digits of fraction ([`lease_label`]).
pub fn parse_lease(v: &str) -> Option<Duration> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    if !digits(secs) || (v.contains('.') && !digits(frac)) || frac.len() > 9 {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(Duration::new(secs.parse().ok()?, nanos))
}

/// The create: `Some(id)` when it made the lock, `None` when the name is
/// taken. A missing image is made (`docker import`) and the create tried
/// once more.
pub(crate) fn try_create(
    runner: &dyn Runner,
    create: &Cmd,
    name: &str,
    host: Option<&str>,
) -> Result<Option<String>> {
    let context = |e: DockerError| Error::from(e).context(taking(name, host));
    let mut out = runner.run(create).map_err(context)?;
    if !out.success() && missing_image(&out.stderr) {
        run_ok(runner, &argv::lock_image_import()).map_err(|e| {
            Error::from(e).context(format!(
                "could not make the lock's empty image `{}`{}",
                argv::LOCK_IMAGE,
                on_host(host)
            ))
        })?;
        out = runner.run(create).map_err(context)?;
    }
    if out.success() {
        return match out.stdout.lines().map(str::trim).rfind(|l| !l.is_empty()) {
            Some(id) => Ok(Some(id.to_string())),
            None => Err(Error::docker(format!(
                "`docker create` of `{name}` printed no container ID"
            ))
            .context(taking(name, host))),
        };
    }
    let words = out.stderr.to_ascii_lowercase();
    if words.contains("already in use") || words.contains("already exists") {
        return Ok(None);
    }
    Err(context(DockerError::Failed {
        cmd: create.line(),
        code: out.code,
        stderr: out.stderr,
    }))
}

/// The create failed for want of the image (docker's and podman's words).
fn missing_image(stderr: &str) -> bool {
    stderr.lines().any(|l| {
        missing_image_named(l).is_some() || l.to_ascii_lowercase().contains("unable to find image")
    })
}

/// What the lock's name holds.
enum Found {
    Absent,
    Ours(LockInfo),
    /// Another container (its ID): not a lock of this project.
    Foreign(String),
}

/// The few fields of `docker inspect` the lock needs.
#[derive(serde::Deserialize)]
struct Inspected {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Created", default)]
    created: String,
    #[serde(rename = "Config", default)]
    config: Option<InspectedConfig>,
}

#[derive(serde::Deserialize)]
struct InspectedConfig {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

/// A swarm config as `docker config inspect` prints it (the fields the
/// lock needs).
#[derive(serde::Deserialize)]
struct InspectedConfigObject {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "CreatedAt", default)]
    created: String,
    #[serde(rename = "Spec", default)]
    spec: Option<InspectedConfig>,
}

/// One `docker inspect` of the lock's name (`docker config inspect` on a
/// swarm).
fn inspect(runner: &dyn Runner, store: Store, name: &str) -> Result<Found> {
    let cmd = store.inspect(name);
    let out = runner.run(&cmd)?;
    if !out.success() {
        if store.absent(&out.stderr) {
            return Ok(Found::Absent);
        }
        return Err(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr,
        }
        .into());
    }
    let unreadable = |e: serde_json::Error| {
        let noun = match store {
            Store::Engine => "container",
            Store::Swarm => "config",
        };
        Error::docker(format!(
            "`docker {}` printed what fleet cannot read as the {noun} `{name}`",
            cmd.verb()
        ))
        .because(e)
    };
    let docs: Vec<(String, String, Option<InspectedConfig>)> = match store {
        Store::Engine => serde_json::from_str::<Vec<Inspected>>(&out.stdout)
            .map_err(unreadable)?
            .into_iter()
            .map(|d| (d.id, d.created, d.config))
            .collect(),
        Store::Swarm => serde_json::from_str::<Vec<InspectedConfigObject>>(&out.stdout)
            .map_err(unreadable)?
            .into_iter()
            .map(|d| (d.id, d.created, d.spec))
            .collect(),
    };
    let mut docs = docs.into_iter();
    let (Some((id, created, config)), None) = (docs.next(), docs.next()) else {
        return Ok(Found::Absent);
    };
    let doc = Inspected {
        id,
        created,
        config: None,
    };
    let labels = config.and_then(|c| c.labels).unwrap_or_default();
    let project = name.strip_suffix(".fleet-lock").unwrap_or(name);
    if labels.get(LABEL_LOCK).map(String::as_str) != Some(project) {
        return Ok(Found::Foreign(doc.id));
    }
    Ok(Found::Ours(LockInfo::from_labels(
        doc.id,
        doc.created,
        &labels,
    )))
}

/// docker's and podman's words for a container that is not there.
pub(crate) fn no_such(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("no such container") || s.contains("no such object")
}

/// `docker rm <id>`: `Ok(false)` when it was already gone.
pub(crate) fn remove(runner: &dyn Runner, id: &str) -> Result<bool, DockerError> {
    remove_in(runner, Store::Engine, id)
}

/// [`remove`] in either store.
fn remove_in(runner: &dyn Runner, store: Store, id: &str) -> Result<bool, DockerError> {
    let cmd = store.remove(id);
    let out = runner.run(&cmd)?;
    if out.success() {
        Ok(true)
    } else if store.absent(&out.stderr) {
        Ok(false)
    } else {
        Err(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr,
        })
    }
}

/// Removes a stale lock by its ID (gone already: fine). `removed` is the
/// last one removed: seeing it again means the engine did not remove it.
fn take_over(
    runner: &dyn Runner,
    store: Store,
    info: &LockInfo,
    removed: &mut Option<String>,
    name: &str,
    host: Option<&str>,
) -> Result<()> {
    if removed.as_deref() == Some(info.id.as_str()) {
        return Err(Error::lock(format!(
            "the stale lock container `{name}` ({}){} is still there after it was removed",
            short_id(&info.id),
            on_host(host)
        )));
    }
    *removed = Some(info.id.clone());
    remove_in(runner, store, &info.id).map(drop).map_err(|e| {
        Error::from(e).context(format!(
            "could not remove the stale lock container `{name}` ({}){}, {}",
            short_id(&info.id),
            on_host(host),
            info.held_by()
        ))
    })
}

/// Why the holder of `info` is gone, if it is (see the module doc).
/// `now` is the engine's clock in Unix seconds, asked only when needed.
fn stale(
    info: &LockInfo,
    me: &Holder,
    now: impl FnOnce() -> (f64, &'static str),
) -> Option<String> {
    if let Some(ns) = &me.pid_ns
        && info.pid_ns.as_ref() == Some(ns)
        && info.pid.is_some_and(|p| p > 0)
    {
        return info.gone_here(ns);
    }
    let created = unix_seconds(&info.since)?;
    let lease = info.lease.unwrap_or(DEFAULT_LEASE);
    let (now, clock) = now();
    let age = now - created;
    (age > lease.as_secs_f64()).then(|| {
        format!(
            "its lease of {}s ran out: it was taken {age:.0}s ago, by the {clock}'s clock",
            lease_label(lease)
        )
    })
}

/// The engine's clock: asked once (docker's `info`), then kept as an offset
/// from this machine's; this machine's own when the engine does not say.
#[derive(Default)]
struct Clock {
    offset: Option<(f64, &'static str)>,
}

impl Clock {
    fn now(&mut self, runner: &dyn Runner) -> (f64, &'static str) {
        let local = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64()
        };
        let (offset, whose) = *self.offset.get_or_insert_with(|| {
            let engine = run_ok(runner, &argv::engine_time())
                .ok()
                .and_then(|o| serde_json::from_str::<String>(o.stdout.trim()).ok())
                .and_then(|t| unix_seconds(&t));
            match engine {
                Some(t) => (t - local(), "engine"),
                None => (0.0, "local machine"),
            }
        });
        (local() + offset, whose)
    }
}

/// Sleeps `d` in short steps; `true` when `stop` was set meanwhile.
fn pause(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    loop {
        if stop.load(Ordering::Relaxed) {
            return true;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return stop.load(Ordering::Relaxed);
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// The lock is this very process's: two host names reach one engine.
/// Waiting for it would wait for ourselves.
fn held_by_this_run(info: &LockInfo, me: &Holder, name: &str, host: Option<&str>) -> Result<()> {
    let ours = me.pid_ns.is_some()
        && info.pid_ns == me.pid_ns
        && info.pid == Some(me.pid)
        && info.pid_start == me.pid_start;
    if !ours {
        return Ok(());
    }
    let (what, help) = match (host, info.host.as_deref()) {
        (Some(h), Some(other)) if h != other => (
            format!(
                "host `{h}` reaches the same engine as host `{other}`, whose lock (`{name}`) this run already holds"
            ),
            "give each engine one host in the config",
        ),
        _ => (
            format!("this run already holds the lock `{name}`{}", on_host(host)),
            "the lock is taken once per engine: is one engine listed under two hosts?",
        ),
    };
    Err(Error::lock(what).with_help(help))
}

fn timed_out(info: &LockInfo, name: &str, host: Option<&str>) -> Error {
    let (what, unlock) = match host {
        Some(h) => (
            format!("host `{h}` is locked"),
            format!("fleet unlock --host {h}"),
        ),
        None => (
            "the engine is locked".to_string(),
            "fleet unlock".to_string(),
        ),
    };
    Error::lock(format!(
        "{what} by another fleet run: {}, since {} (lock container `{name}` on that engine)",
        info.holder,
        info.since_seconds()
    ))
    .with_help(format!(
        "wait for that run to finish, raise --lock-wait, or if that run is gone, release the lock: `{unlock}`"
    ))
}

fn stopped(info: &LockInfo, name: &str, host: Option<&str>) -> Error {
    Error::lock(format!(
        "stopped while waiting for the lock `{name}`{}, {}",
        on_host(host),
        info.describe()
    ))
}

fn foreign(name: &str, id: &str, project: &str, host: Option<&str>) -> Error {
    Error::lock(format!(
        "the lock's name `{name}`{} is taken by container {}, which is not a fleet lock (it has no `{LABEL_LOCK}={project}` label); fleet never removes it",
        on_host(host),
        short_id(id)
    ))
    .with_help(format!(
        "rename or remove that container (`docker rename {name} <other name>`) so fleet can lock the engine"
    ))
}

/// How many times in a row the name may be taken at the create and free
/// at the inspect before acquire gives up on an engine that says both.
const MAX_RACES: u32 = 10;

fn vanishing(name: &str, host: Option<&str>) -> Error {
    Error::docker(format!(
        "the engine says the name `{name}` is in use, then that no container has it, {MAX_RACES} times in a row"
    ))
    .context(taking(name, host))
}

fn taking(name: &str, host: Option<&str>) -> String {
    format!("could not take the lock `{name}`{}", on_host(host))
}

fn on_host(host: Option<&str>) -> String {
    host.map(|h| format!(" on host `{h}`")).unwrap_or_default()
}

fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The effective user's name from the password database, else `uid <n>`.
fn effective_user() -> String {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let uid = unsafe { libc::geteuid() };
    let mut buf = vec![0u8; 4096];
    // SAFETY: an all-zero passwd is a valid value of this plain C struct.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes into `pw` and `buf` (its length given), and
    // sets `found` to `&pw` or null; nothing outlives this call but the
    // name copied out below while `buf` lives.
    let r =
        unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if r == 0 && !found.is_null() && !pw.pw_name.is_null() {
        // SAFETY: pw_name points to a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) };
        if let Ok(n) = name.to_str()
            && !n.is_empty()
        {
            return n.to_string();
        }
    }
    format!("uid {uid}")
}
