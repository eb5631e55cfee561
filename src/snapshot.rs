//! `docker inspect` JSON → [`ContainerSnapshot`]. No processes.
//!
//! The document is read straight into typed structs (serde derive), one
//! container at a time, with no JSON tree in between. Tolerant of fields it
//! does not know and of missing optional ones (a field of an unexpected
//! type counts as missing); strict where a wrong guess would be dangerous:
//! `State.Running` counts only when it is the JSON boolean `true`, and a
//! document that is not an array of objects with `Id`, `Name` and `State`
//! is an error, never a panic. Env values are digested as they are read:
//! no value is ever held.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::config::hex;
use crate::docker::argv::{LABEL_HASH, LABEL_INSTANCE, LABEL_PROJECT, LABEL_TYPE};
use crate::error::{Error, Result};
use crate::spec::{ContainerState, DockerHealthcheck, HealthStatus};
use crate::time::unix_seconds;

/// How recent a restart by docker's restart policy must be for a running
/// container to read as crash-looping ([`ContainerSnapshot::readiness`]).
/// docker's restart back-off doubles from 100 ms up to 1 minute (and starts
/// over once a run lasts 10 s), so a process that dies within a minute of
/// each start is, at every look, either in the back-off (`Restarting`) or
/// started by the policy less than a minute ago.
pub const CRASH_WINDOW: Duration = Duration::from_secs(60);

/// What fleet knows of one existing container.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSnapshot {
    /// Full container ID.
    pub id: String,
    /// Without docker's leading `/`.
    pub name: String,
    /// `sha256:…` of the image the container was created from.
    pub image_id: String,
    /// `Config.Image`: the reference it was created with.
    pub image_ref: String,
    pub labels: BTreeMap<String, String>,
    pub state: State,
    /// Live `docker exec` sessions: work, once `observe` has set the
    /// health probes aside.
    pub exec_ids: Vec<String>,
    /// Exec sessions that are docker's own health probes (`observe`).
    pub probe_ids: Vec<String>,
    /// A `fleet exec`'s claim that counts ([`crate::claim`]); set by
    /// `observe`. Busy, as a live exec session is.
    pub claim: Option<Claim>,
    /// `Config.Cmd`.
    pub command: Option<Vec<String>>,
    /// `Config.Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `Config.WorkingDir` and `Config.User` ("" when unset).
    pub workdir: String,
    pub user: String,
    /// `HostConfig.Binds`: the `-v` mounts.
    pub binds: Vec<String>,
    /// `HostConfig.RestartPolicy.Name` ("" when unset), `NetworkMode`,
    /// `Memory` (bytes), `NanoCpus`, `Init`.
    pub restart: String,
    pub network: String,
    pub memory: i64,
    pub nano_cpus: i64,
    pub init: bool,
    /// `Config.Env` as key → sha256 of the value: enough to tell which keys
    /// changed, with no value held or ever printed.
    pub env_digests: BTreeMap<String, String>,
    /// `Config.Healthcheck`: the container's own or its image's.
    pub healthcheck: Option<DockerHealthcheck>,
    /// `Config.Shell` (empty when unset): the shell docker runs a
    /// `CMD-SHELL` probe with. Measured on docker 20.10: an image's `SHELL`
    /// does not reach the container's `Config.Shell`, so it is empty there.
    pub shell: Vec<String>,
    /// When the engine's answer was read, in Unix seconds by this
    /// machine's clock: set by the code that ran the inspect
    /// ([`ContainerSnapshot::seen`]), `None` for a document that was only
    /// parsed. The crash-loop rule of [`ContainerSnapshot::readiness`]
    /// judges `State.StartedAt` against it, so readiness needs no clock.
    pub seen_at: Option<f64>,
}

/// A `fleet exec`'s claim on a container, as `observe` found it: who holds
/// it, and its age when it was read (so what is said of it does not depend
/// on when it is said).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Claim {
    /// `user@hostname pid N`.
    pub holder: String,
    /// The holder's machine (`/etc/machine-id`, else its hostname).
    pub machine: String,
    pub pid: Option<u32>,
    /// When it was taken: Unix seconds, by the holder's clock.
    pub since: f64,
    /// Seconds from `since` to the look that found it, by the reader's
    /// clock (never negative).
    #[serde(skip)]
    pub age: f64,
}

impl Claim {
    /// `claimed by <pid>@<hostname> since <age>` (`12s`, `4m07s`,
    /// `2h03m`, `3d04h`): an age rather than a time of day, since the
    /// holder's clock and time zone are not the reader's. Made safe for
    /// a terminal ([`crate::text::terminal_safe`]).
    pub fn describe(&self) -> String {
        let host = (self.holder.rsplit_once(" pid "))
            .and_then(|(who, _)| who.split_once('@'))
            .map_or(self.machine.as_str(), |(_, host)| host);
        let who = match self.pid {
            Some(pid) => format!("{pid}@{host}"),
            None => self.holder.clone(),
        };
        // The labels are anyone's with access to the engine: a line of
        // its own or an escape sequence in them is shown, never obeyed.
        let who = crate::text::terminal_safe(&who);
        format!("claimed by {who} since {}", age(self.age))
    }
}

/// An age for people: `12s`, `4m07s`, `2h03m`, `3d04h` (whole units,
/// rounded down; two units at most, so it reads at a glance).
pub fn age(secs: f64) -> String {
    // `as` saturates: NaN is 0, a huge value u64::MAX.
    let s = secs.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m{:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h{:02}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// `State` of `docker inspect`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// `State.Status`.
    pub status: ContainerState,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    pub dead: bool,
    pub exit_code: i64,
    /// `State.StartedAt`: a container that restarted has a new one.
    pub started_at: String,
    /// `RestartCount` (top level of the document).
    pub restart_count: i64,
    /// `State.Health`: present when the container has a healthcheck.
    pub health: Option<Health>,
}

/// `State.Health` of `docker inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: HealthStatus,
    pub failing_streak: i64,
    /// The output of the last probe (`Log[-1].Output`), trimmed, and its
    /// exit code.
    pub last_output: String,
    pub last_exit: i64,
}

impl ContainerSnapshot {
    pub fn project(&self) -> Option<&str> {
        self.labels.get(LABEL_PROJECT).map(String::as_str)
    }
    pub fn type_name(&self) -> Option<&str> {
        self.labels.get(LABEL_TYPE).map(String::as_str)
    }
    pub fn instance(&self) -> Option<u32> {
        self.labels.get(LABEL_INSTANCE)?.parse().ok()
    }
    pub fn config_hash(&self) -> Option<&str> {
        self.labels.get(LABEL_HASH).map(String::as_str)
    }
    /// Running and not paused: a `docker exec` into it would be served.
    pub fn is_up(&self) -> bool {
        self.state.running && !self.state.paused
    }
    /// The state from the booleans first (podman reports a paused
    /// container as `Running: false, Paused: true`, docker as both true),
    /// then `State.Status`.
    pub fn effective_state(&self) -> ContainerState {
        let s = &self.state;
        if s.dead {
            ContainerState::Dead
        } else if s.paused {
            ContainerState::Paused
        } else if s.restarting {
            ContainerState::Restarting
        } else if s.running {
            ContainerState::Running
        } else {
            s.status.clone()
        }
    }

    /// A short human word for the state: `running`, `exited 137`, `paused`…
    pub fn state_word(&self) -> String {
        let s = &self.state;
        if s.dead {
            "dead".into()
        } else if s.paused {
            "paused".into()
        } else if s.restarting {
            format!("restarting (last exit {})", s.exit_code)
        } else if s.running {
            "running".into()
        } else {
            match &s.status {
                ContainerState::Created => "created, never started".into(),
                ContainerState::Exited => format!("exited {}", s.exit_code),
                ContainerState::Other(w) if w.is_empty() => format!("exited {}", s.exit_code),
                other => format!("{other} (exit {})", s.exit_code),
            }
        }
    }
}

/// Whether a container can take work, as `status` and `--wait` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Its healthcheck passes.
    Healthy,
    /// Its healthcheck fails: the last probe's output.
    Unhealthy(String),
    /// Its healthcheck has not passed yet.
    Starting,
    /// docker's restart policy is restarting it, or restarted it less
    /// than [`CRASH_WINDOW`] before the look. `last_exit` is the exit code
    /// docker recorded, known only while it is restarting: once running
    /// again, docker's `State.ExitCode` is 0 and the last one is gone.
    CrashLooping {
        restarts: i64,
        last_exit: Option<i64>,
    },
    /// Running, no healthcheck.
    Running,
    /// Not running (exited, created, paused, dead).
    Down,
}

impl Readiness {
    /// A short word for `status` and messages.
    pub fn word(&self) -> String {
        match self {
            Readiness::Healthy => "healthy".into(),
            Readiness::Unhealthy(out) if out.is_empty() => "unhealthy".into(),
            Readiness::Unhealthy(out) => format!("unhealthy: {}", first_line(out, 60)),
            Readiness::Starting => "starting".into(),
            Readiness::CrashLooping {
                restarts,
                last_exit,
            } => format!(
                "crash-looping ({}, last exit {})",
                restarts_phrase(*restarts),
                exit_phrase(*last_exit)
            ),
            Readiness::Running => "running".into(),
            Readiness::Down => "down".into(),
        }
    }
}

/// `1 restart`, `7 restarts`.
pub(crate) fn restarts_phrase(n: i64) -> String {
    if n == 1 {
        "1 restart".into()
    } else {
        format!("{n} restarts")
    }
}

/// An exit code, or `unknown` when docker no longer says it.
pub(crate) fn exit_phrase(code: Option<i64>) -> String {
    code.map_or_else(|| "unknown".into(), |c| c.to_string())
}

/// The first line of `s`, at most `max` characters.
fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

impl ContainerSnapshot {
    /// The argv docker runs for each health probe: `Test[1..]` for `CMD`;
    /// for `CMD-SHELL`, the container's `Config.Shell` (`/bin/sh -c` when
    /// unset, docker's default) then `Test[1..]`. `None` without a
    /// healthcheck that runs a command (`NONE`, an empty `CMD`).
    fn probe_argv(&self) -> Option<Vec<String>> {
        let test = &self.healthcheck.as_ref()?.test;
        match test.split_first() {
            Some((k, rest)) if k == "CMD-SHELL" => {
                let shell = match self.shell.as_slice() {
                    [] => vec!["/bin/sh".to_string(), "-c".to_string()],
                    set => set.to_vec(),
                };
                Some([shell, rest.to_vec()].concat())
            }
            Some((k, rest)) if k == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
            _ => None,
        }
    }

    /// The command of each health probe as the engine's `exec_create`
    /// event names it (`exec_create: <this>`). The engine writes the
    /// program, one space, then the arguments joined by spaces (docker's
    /// `Entrypoint + " " + strings.Join(Args, " ")`, for probes and
    /// `docker exec` alike), so a one-word probe ends in a space:
    /// `CMD ["/healthcheck"]` is `/healthcheck ` (measured on docker
    /// 20.10.24, fixtures/readiness/). Built here by that exact rule; read
    /// with [`probe_matches`], which forgives trailing whitespace.
    pub fn probe_command(&self) -> Option<String> {
        let argv = self.probe_argv()?;
        let (program, args) = argv.split_first()?;
        Some(format!("{program} {}", args.join(" ")))
    }

    /// Moves the exec sessions that `probes` (exec ID → command, from the
    /// engine's `exec_create` events) shows to be this container's health
    /// probes from `exec_ids` to `probe_ids`. A session the events do not
    /// name stays work: unknown is busy.
    pub(crate) fn set_aside_probes(&mut self, probes: &BTreeMap<String, String>) {
        let Some(probe) = self.probe_command() else {
            return;
        };
        let (p, work): (Vec<String>, Vec<String>) = std::mem::take(&mut self.exec_ids)
            .into_iter()
            .partition(|id| probes.get(id).is_some_and(|cmd| probe_matches(cmd, &probe)));
        self.exec_ids = work;
        self.probe_ids = p;
    }

    /// Readiness from the state and `State.Health` (the container's own
    /// healthcheck or its image's).
    ///
    /// Crash-looping: docker is restarting it (`State.Restarting`, its
    /// back-off), or it runs and its restart policy started it less than
    /// [`CRASH_WINDOW`] before the look: `RestartCount` ≥ 1 and
    /// `State.StartedAt` within the window of [`ContainerSnapshot::seen_at`].
    /// `RestartCount` counts only the policy's restarts since the last
    /// start by hand (`docker start` and `docker restart` reset it to 0,
    /// measured on docker 20.10), so a count of 1 or more with a recent
    /// start means the process the policy started last is under a minute
    /// old and the one before it died on its own: one such restart is
    /// enough, since a process that dies every few seconds spends most of
    /// its time in exactly that state. A single crash shows so for at most
    /// a minute. Without `seen_at` (a document only parsed) only the
    /// back-off counts.
    pub fn readiness(&self) -> Readiness {
        let s = &self.state;
        if s.restarting {
            return Readiness::CrashLooping {
                restarts: s.restart_count,
                last_exit: Some(s.exit_code),
            };
        }
        if !self.is_up() || s.dead {
            return Readiness::Down;
        }
        if s.restart_count >= 1 && self.started_within(CRASH_WINDOW) {
            return Readiness::CrashLooping {
                restarts: s.restart_count,
                last_exit: None,
            };
        }
        match s.health.as_ref().map(|h| (&h.status, h)) {
            Some((HealthStatus::Healthy, _)) => Readiness::Healthy,
            Some((HealthStatus::Unhealthy, h)) => Readiness::Unhealthy(h.last_output.clone()),
            Some((HealthStatus::Starting, _)) => Readiness::Starting,
            _ => Readiness::Running,
        }
    }
}

impl ContainerSnapshot {
    /// Whether `State.StartedAt` is less than `window` before the look
    /// (`seen_at`). The engine's clock against this machine's: a start
    /// that reads as later than the look (clocks apart) counts as recent.
    fn started_within(&self, window: Duration) -> bool {
        let started = unix_seconds(&self.state.started_at);
        match (self.seen_at, started) {
            (Some(seen), Some(started)) => seen - started < window.as_secs_f64(),
            _ => false,
        }
    }

    /// Stamps the snapshots of one inspect with when it was read.
    pub(crate) fn seen(snaps: &mut [ContainerSnapshot], at: f64) {
        for s in snaps {
            s.seen_at = Some(at);
        }
    }
}

/// Whether an `exec_create` event's command is the probe `probe` (as
/// [`ContainerSnapshot::probe_command`] builds it). Trailing whitespace
/// is not compared: the engine's join leaves a space after a one-word
/// command, and an engine that trims it must match too. Nothing else is
/// normalised: the rest is the engine's exact text.
pub(crate) fn probe_matches(event: &str, probe: &str) -> bool {
    event.trim_end() == probe.trim_end()
}

/// sha256 of one env value, for [`ContainerSnapshot::env_digests`] and for
/// comparing a desired value without keeping it next to the snapshot.
pub fn env_digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Parses the output of `docker inspect` (a JSON array).
pub fn parse_inspect(text: &str) -> Result<Vec<ContainerSnapshot>> {
    snapshots(serde_json::from_str(text).map_err(not_json))
}

/// Reads the output of `docker inspect` as it comes (from docker's pipe),
/// never holding the document: each element becomes a snapshot as soon as
/// it is read. Output that is empty or all whitespace holds no container
/// (docker printed nothing: every container vanished); otherwise as
/// [`parse_inspect`].
pub fn read_inspect(input: &mut dyn std::io::Read) -> Result<Vec<ContainerSnapshot>> {
    let mut input = std::io::BufReader::new(input);
    // Skip leading whitespace: none left means no document, no container.
    loop {
        let buf = input
            .fill_buf()
            .map_err(|e| not_json(serde_json::Error::io(e)))?;
        let Some(n) = buf.iter().position(|b| !b.is_ascii_whitespace()) else {
            if buf.is_empty() {
                return Ok(Vec::new());
            }
            let len = buf.len();
            input.consume(len);
            continue;
        };
        input.consume(n);
        break;
    }
    let mut de = serde_json::Deserializer::from_reader(input);
    let doc = Field::<Elements>::deserialize(&mut de).and_then(|doc| de.end().map(|()| doc));
    snapshots(doc.map_err(not_json))
}

/// A document that is not JSON.
fn not_json(e: serde_json::Error) -> Error {
    Error::docker("could not parse `docker inspect` output")
        .because(e)
        .with_help(
            "is the docker CLI's output redirected or altered (DOCKER_CLI wrappers, aliases)?",
        )
}

/// The snapshots of a document read, or why it is not one of containers.
fn snapshots(doc: Result<Field<Elements>>) -> Result<Vec<ContainerSnapshot>> {
    let unreadable =
        |what: String| Error::docker(format!("could not parse `docker inspect` output: {what}"));
    let doc = doc?;
    let elements = match doc {
        Field::Got(elements) => elements,
        Field::Other(kind) => return Err(unreadable(format!("expected a JSON array, got {kind}"))),
        Field::Absent => return Err(unreadable("no document".into())),
    };
    match elements.first_error {
        Some((i, e)) => Err(unreadable(format!("element {i}: {e}"))),
        None => Ok(elements.snapshots),
    }
}

// ---- the document as docker prints it: only the fields fleet reads.

/// One element of the array.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Inspected {
    id: Field<String>,
    name: Field<String>,
    /// The image ID.
    image: Field<String>,
    state: Field<Object<InspectState>>,
    restart_count: Field<i64>,
    #[serde(rename = "ExecIDs")]
    exec_ids: Field<Strings>,
    config: Field<Object<InspectConfig>>,
    host_config: Field<Object<InspectHost>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InspectState {
    status: Field<String>,
    running: Field<bool>,
    paused: Field<bool>,
    restarting: Field<bool>,
    dead: Field<bool>,
    exit_code: Field<i64>,
    started_at: Field<String>,
    health: Field<Object<InspectHealth>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InspectHealth {
    status: Field<String>,
    failing_streak: Field<i64>,
    log: Field<Vec<Object<ProbeLog>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ProbeLog {
    exit_code: Field<i64>,
    output: Field<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InspectHealthcheck {
    test: Field<Strings>,
    interval: Field<i64>,
    timeout: Field<i64>,
    retries: Field<i64>,
    start_period: Field<i64>,
}

impl InspectHealth {
    /// podman prints `State.Health` with an empty `Status` for a container
    /// without a healthcheck: no healthcheck, not a health of its own.
    fn read(self) -> Option<Health> {
        let status = self.status.got().filter(|s| !s.is_empty())?;
        let last = self.log.got().and_then(|l| l.into_iter().last());
        let (last_output, last_exit) = match last {
            Some(Object(p)) => (
                p.output.got().unwrap_or_default().trim().to_string(),
                p.exit_code.got().unwrap_or(0),
            ),
            None => (String::new(), 0),
        };
        Some(Health {
            status: HealthStatus::from_docker(&status),
            failing_streak: self.failing_streak.got().unwrap_or(0),
            last_output,
            last_exit,
        })
    }
}

impl InspectHealthcheck {
    fn read(self) -> DockerHealthcheck {
        DockerHealthcheck {
            test: self.test.got().and_then(|s| s.0).unwrap_or_default(),
            interval: self.interval.got().unwrap_or(0),
            timeout: self.timeout.got().unwrap_or(0),
            retries: self.retries.got().unwrap_or(0),
            start_period: self.start_period.got().unwrap_or(0),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InspectConfig {
    /// The reference the container was created with.
    image: Field<String>,
    labels: Field<Labels>,
    env: Field<EnvDigests>,
    cmd: Field<Strings>,
    entrypoint: Field<Entrypoint>,
    working_dir: Field<String>,
    user: Field<String>,
    healthcheck: Field<Object<InspectHealthcheck>>,
    shell: Field<Strings>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InspectHost {
    binds: Field<Strings>,
    restart_policy: Field<Object<RestartPolicy>>,
    network_mode: Field<String>,
    memory: Field<i64>,
    nano_cpus: Field<i64>,
    init: Field<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RestartPolicy {
    name: Field<String>,
}

impl Inspected {
    /// The snapshot, or why the element is not a container description.
    fn into_snapshot(self) -> std::result::Result<ContainerSnapshot, String> {
        let id = required(self.id, "Id")?;
        let name = required(self.name, "Name")?
            .trim_start_matches('/')
            .to_string();
        let Some(Object(state)) = self.state.got() else {
            return Err(format!("`{name}`: missing object `State`"));
        };
        let config = self.config.got().map(|o| o.0).unwrap_or_default();
        let host = self.host_config.got().map(|o| o.0).unwrap_or_default();
        Ok(ContainerSnapshot {
            id,
            name,
            image_id: self.image.got().unwrap_or_default(),
            image_ref: config.image.got().unwrap_or_default(),
            labels: config.labels.got().map(|l| l.0).unwrap_or_default(),
            state: State {
                status: ContainerState::from_docker(&state.status.got().unwrap_or_default()),
                running: state.running.is_true(),
                paused: state.paused.is_true(),
                restarting: state.restarting.is_true(),
                dead: state.dead.is_true(),
                exit_code: state.exit_code.got().unwrap_or(0),
                started_at: state.started_at.got().unwrap_or_default(),
                restart_count: self.restart_count.got().unwrap_or(0),
                health: state.health.got().and_then(|h| h.0.read()),
            },
            exec_ids: self.exec_ids.got().and_then(|s| s.0).unwrap_or_default(),
            probe_ids: Vec::new(),
            claim: None,
            command: config.cmd.got().and_then(|s| s.0),
            entrypoint: config.entrypoint.got().and_then(|s| s.0),
            workdir: config.working_dir.got().unwrap_or_default(),
            user: config.user.got().unwrap_or_default(),
            binds: host.binds.got().and_then(|s| s.0).unwrap_or_default(),
            restart: (host.restart_policy.got())
                .and_then(|p| p.0.name.got())
                .unwrap_or_default(),
            network: host.network_mode.got().unwrap_or_default(),
            memory: host.memory.got().unwrap_or(0),
            nano_cpus: host.nano_cpus.got().unwrap_or(0),
            init: host.init.is_true(),
            env_digests: config.env.got().and_then(|e| e.0).unwrap_or_default(),
            healthcheck: config.healthcheck.got().map(|h| h.0.read()),
            shell: config.shell.got().and_then(|s| s.0).unwrap_or_default(),
            seen_at: None,
        })
    }
}

/// `Id` and `Name`: present, strings, not empty.
fn required(field: Field<String>, key: &str) -> std::result::Result<String, String> {
    match field {
        Field::Got(s) if !s.is_empty() => Ok(s),
        Field::Got(_) => Err(format!(
            "`{key}` should be a non-empty string, got a string"
        )),
        Field::Other(kind) => Err(format!("`{key}` should be a non-empty string, got {kind}")),
        Field::Absent => Err(format!("missing `{key}`")),
    }
}

// ---- reading a value of one shape, and anything else as "not it".

/// A field as fleet reads it: absent, of the shape fleet takes, or another
/// JSON value (skipped whole; its kind kept for messages).
#[derive(Default)]
enum Field<T> {
    #[default]
    Absent,
    Got(T),
    Other(&'static str),
}

impl<T> Field<T> {
    fn got(self) -> Option<T> {
        match self {
            Field::Got(v) => Some(v),
            Field::Absent | Field::Other(_) => None,
        }
    }
}

impl Field<bool> {
    /// The JSON boolean `true`, and nothing else (not `"true"`, not 1).
    fn is_true(&self) -> bool {
        matches!(self, Field::Got(true))
    }
}

/// Which JSON values a type takes; every other value is skipped whole and
/// becomes [`Field::Other`]. Each method has the value or its access.
trait Shape: Sized {
    fn from_str(_: &str) -> Option<Self> {
        None
    }
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
    fn from_i64(_: i64) -> Option<Self> {
        None
    }
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de, T: Shape> Deserialize<'de> for Field<T> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        de.deserialize_any(FieldVisitor(PhantomData))
    }
}

struct FieldVisitor<T>(PhantomData<T>);

/// The value as `T` when it has `T`'s shape, else its kind.
fn pick<T>(v: Option<T>, kind: &'static str) -> Field<T> {
    v.map_or(Field::Other(kind), Field::Got)
}

impl<'de, T: Shape> Visitor<'de> for FieldVisitor<T> {
    type Value = Field<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> std::result::Result<Field<T>, E> {
        Ok(Field::Other("null"))
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Field<T>, E> {
        Ok(pick(T::from_bool(v), "a boolean"))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Field<T>, E> {
        Ok(pick(T::from_i64(v), "a number"))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Field<T>, E> {
        Ok(pick(
            i64::try_from(v).ok().and_then(T::from_i64),
            "a number",
        ))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Field<T>, E> {
        Ok(Field::Other("a number"))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Field<T>, E> {
        Ok(pick(T::from_str(v), "a string"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Field<T>, A::Error> {
        Ok(pick(T::from_seq(seq)?, "an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Field<T>, A::Error> {
        Ok(pick(T::from_map(map)?, "an object"))
    }
}

impl Shape for String {
    fn from_str(v: &str) -> Option<Self> {
        Some(v.to_string())
    }
}

impl Shape for bool {
    fn from_bool(v: bool) -> Option<Self> {
        Some(v)
    }
}

/// A number that fits in i64 (not a fraction).
impl Shape for i64 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
}

/// An array whose elements are each read as `T`; `None` when any is not.
impl<T: Shape> Shape for Vec<T> {
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Option<Self>, A::Error> {
        let mut out = Some(Vec::new());
        while let Some(e) = seq.next_element::<Field<T>>()? {
            match (e, &mut out) {
                (Field::Got(e), Some(v)) => v.push(e),
                _ => out = None,
            }
        }
        Ok(out)
    }
}

/// A JSON object read as `T` (derived).
struct Object<T>(T);

impl<T: DeserializeOwned> Shape for Object<T> {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<Option<Self>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Some(Object(t)))
    }
}

/// An array of strings; `None` inside when any element is not a string.
struct Strings(Option<Vec<String>>);

/// `Config.Entrypoint`: an array of strings, or a lone string, which is
/// how podman before 5 prints it (fleet only ever sets one program).
struct Entrypoint(Option<Vec<String>>);

impl Shape for Entrypoint {
    fn from_str(s: &str) -> Option<Self> {
        Some(Entrypoint(Some(vec![s.to_string()])))
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Option<Self>, A::Error> {
        Ok(Strings::from_seq(seq)?.map(|s| Entrypoint(s.0)))
    }
}

impl Shape for Strings {
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Option<Self>, A::Error> {
        Ok(Some(Strings(Vec::<String>::from_seq(seq)?)))
    }
}

/// `Config.Labels`: values that are not strings are left out.
struct Labels(BTreeMap<String, String>);

impl Shape for Labels {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Option<Self>, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((k, v)) = map.next_entry::<String, Field<String>>()? {
            if let Field::Got(v) = v {
                out.insert(k, v);
            }
        }
        Ok(Some(Labels(out)))
    }
}

/// `Config.Env` as key → digest of the value, each `KEY=value` digested
/// as it is read; `None` inside when any element is not a string.
struct EnvDigests(Option<BTreeMap<String, String>>);

/// One `KEY=value` of `Config.Env`, its value already digested.
struct EnvEntry(String, String);

impl Shape for EnvEntry {
    fn from_str(kv: &str) -> Option<Self> {
        Some(match kv.split_once('=') {
            Some((k, value)) => EnvEntry(k.to_string(), env_digest(value)),
            None => EnvEntry(kv.to_string(), String::new()),
        })
    }
}

impl Shape for EnvDigests {
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Option<Self>, A::Error> {
        let mut out = Some(BTreeMap::new());
        while let Some(e) = seq.next_element::<Field<EnvEntry>>()? {
            match (e, &mut out) {
                (Field::Got(EnvEntry(k, digest)), Some(m)) => {
                    m.insert(k, digest);
                }
                _ => out = None,
            }
        }
        Ok(Some(EnvDigests(out)))
    }
}

/// The top-level array, each element turned into a snapshot as soon as it
/// is read; the first element that is not a container is kept as an error
/// (the rest is still read, so a syntax error anywhere wins, as it should).
struct Elements {
    snapshots: Vec<ContainerSnapshot>,
    first_error: Option<(usize, String)>,
}

impl Shape for Elements {
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Option<Self>, A::Error> {
        let mut out = Elements {
            snapshots: Vec::with_capacity(seq.size_hint().unwrap_or(0)),
            first_error: None,
        };
        let mut i = 0;
        while let Some(element) = seq.next_element::<Field<Object<Inspected>>>()? {
            let snapshot = match element {
                Field::Got(Object(c)) => c.into_snapshot(),
                Field::Other(kind) => Err(format!("expected an object, got {kind}")),
                Field::Absent => Err("missing".to_string()),
            };
            match snapshot {
                Ok(s) if out.first_error.is_none() => out.snapshots.push(s),
                Ok(_) => {}
                Err(e) => {
                    out.first_error.get_or_insert((i, e));
                }
            }
            i += 1;
        }
        Ok(Some(out))
    }
}
