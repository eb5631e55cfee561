//! The one two-way mapping between the config's spec and docker's fields:
//! memory in bytes, nano-CPUs, the entrypoint split, restart policies and
//! container states. Argv building (`docker/argv.rs`), drift detection
//! (`plan.rs`), `docker inspect` parsing (`snapshot.rs`), `up` and `down`
//! (`ops.rs`) and the tests all go through it, so they cannot disagree.
//! Pure: no process, no I/O.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A memory limit (`--memory`, `HostConfig.Memory`): the config's
/// spelling, kept for display and for the config hash, and its bytes, read
/// once when the config is (the message for a bad one is config.rs's).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Memory {
    text: String,
    bytes: i64,
}

impl Memory {
    /// docker's `--memory` units: a number with an optional unit b, k, m
    /// or g (any case; powers of 1024). `None` for anything else, and for
    /// a size beyond what docker can hold (i64 bytes).
    pub fn parse(text: &str) -> Option<Memory> {
        let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &text[digits.len()..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale: i64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            _ => return None,
        };
        let bytes = digits.parse::<i64>().ok()?.checked_mul(scale)?;
        Some(Memory {
            text: text.to_string(),
            bytes,
        })
    }

    /// As the config spells it (`4g`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What docker keeps in `HostConfig.Memory`.
    pub fn bytes(&self) -> i64 {
        self.bytes
    }
}

/// The config's spelling: the config hash is over what the file says.
impl Serialize for Memory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// `HostConfig.Memory` as a person would write it: the largest unit that
/// divides it (`4g`), "" for 0 (no limit).
pub fn memory_text(bytes: i64) -> String {
    match bytes {
        0 => String::new(),
        b if b % (1 << 30) == 0 => format!("{}g", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}m", b >> 20),
        b if b % (1 << 10) == 0 => format!("{}k", b >> 10),
        b => b.to_string(),
    }
}

/// `--cpus` as docker keeps it (`HostConfig.NanoCpus`).
pub fn nano_cpus(cpus: f64) -> i64 {
    (cpus * 1e9).round() as i64
}

/// `HostConfig.NanoCpus` as `--cpus` says it (`0.5`), "" for 0 (no limit).
pub fn cpus_text(nano: i64) -> String {
    if nano == 0 {
        String::new()
    } else {
        format!("{}", nano as f64 / 1e9)
    }
}

/// How a spec's entrypoint and command reach docker. docker's
/// `--entrypoint` takes one program; the rest of fleet's entrypoint array
/// goes before the command, which is what the container runs either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch<'a> {
    /// The `--entrypoint` value, when the config sets an entrypoint (`""`
    /// for an empty array: docker then runs no entrypoint).
    pub program: Option<&'a str>,
    /// The arguments after the image (`Config.Cmd`); `None` when the config
    /// sets none, and the image's own command runs.
    pub args: Option<Vec<&'a str>>,
}

impl Launch<'_> {
    /// The program `Config.Entrypoint` starts with, when fleet sets one.
    pub fn inspect_program(&self) -> Option<&str> {
        self.program.filter(|p| !p.is_empty())
    }
}

/// Docker's restart policies that fleet allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Restart {
    No,
    Always,
    #[default]
    UnlessStopped,
    OnFailure,
}

impl Restart {
    /// Every policy, in the order messages list them.
    pub const ALL: [Restart; 4] = [
        Restart::No,
        Restart::Always,
        Restart::UnlessStopped,
        Restart::OnFailure,
    ];

    /// docker's name (`--restart`, `HostConfig.RestartPolicy.Name`), which
    /// is also the config's.
    pub fn as_str(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::Always => "always",
            Restart::UnlessStopped => "unless-stopped",
            Restart::OnFailure => "on-failure",
        }
    }

    /// The policy docker or the config names `name`.
    pub fn from_name(name: &str) -> Option<Restart> {
        Restart::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl Serialize for Restart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A container's state, as `docker inspect` (`State.Status`) and
/// `docker ps` (`{{.State}}`) name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    /// A word fleet does not know (a newer engine's), or "" when docker
    /// printed none.
    Other(String),
}

impl Default for ContainerState {
    fn default() -> Self {
        ContainerState::Other(String::new())
    }
}

impl ContainerState {
    /// The state an engine names `word` in `State.Status`: docker's words,
    /// and podman's (`configured` and `initialized` for a container never
    /// started, `stopped` for one that has run and stopped), in any case.
    pub fn from_docker(word: &str) -> ContainerState {
        match word.to_ascii_lowercase().as_str() {
            "created" | "configured" | "initialized" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "exited" | "stopped" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Other(word.to_string()),
        }
    }

    /// docker's word for it.
    pub fn as_str(&self) -> &str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
            ContainerState::Other(word) => word,
        }
    }

    /// What `docker ps` without `-a` lists, and `docker stop` stops:
    /// running, paused or restarting.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
        )
    }
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Env keys an engine adds to every container on its own (podman:
/// `container`, `HOSTNAME`, `TERM`, `HOME`; docker: `HOSTNAME` with `-h`,
/// `HOME` with `--user`): their presence says nothing about the config.
pub(crate) const ENGINE_ENV: [&str; 4] = ["HOSTNAME", "HOME", "TERM", "container"];

/// An image reference as engines store it, for comparing: docker keeps it
/// as written, podman fully qualified (`localhost/x:y`,
/// `docker.io/library/x:y`); an untagged one means `:latest`.
pub(crate) fn normal_image_ref(r: &str) -> String {
    let mut s = r;
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "localhost/",
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    if last.contains(':') || s.contains('@') {
        s.to_string()
    } else {
        format!("{s}:latest")
    }
}

/// A bind (`src:dst[:opts]`) with only the options the config can set
/// (`ro`, `z`, `Z`), in order: podman appends `rprivate,rbind` and the like
/// to what it was given, and `rw` is the default either way.
pub(crate) fn normal_bind(b: &str) -> String {
    let mut parts = b.splitn(3, ':');
    let (src, dst, opts) = (parts.next(), parts.next(), parts.next());
    let (Some(src), Some(dst)) = (src, dst) else {
        return b.to_string();
    };
    let mut kept: Vec<&str> = opts
        .unwrap_or("")
        .split(',')
        .filter(|o| matches!(*o, "ro" | "z" | "Z"))
        .collect();
    kept.sort_unstable();
    if kept.is_empty() {
        format!("{src}:{dst}")
    } else {
        format!("{src}:{dst}:{}", kept.join(","))
    }
}

/// A duration as docker's `--health-*` options take it (Go's
/// `time.ParseDuration`: `5s`, `1m30s`, `500ms`): the config's spelling,
/// kept for the hash, and nanoseconds, what `Config.Healthcheck` holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Duration {
    text: String,
    nanos: i64,
}

impl Duration {
    /// One or more `<number><unit>` (units `ns`, `us`, `ms`, `s`, `m`,
    /// `h`; the number may have a fraction), at least 1 ms, as docker
    /// requires of every health duration. `None` for anything else.
    pub fn parse(text: &str) -> Option<Duration> {
        let mut rest = text;
        let mut nanos: f64 = 0.0;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number: f64 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let scale = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => return None,
            };
            rest = &rest[unit_len..];
            nanos += number * scale;
        }
        let nanos = nanos.round();
        (1e6..1e18).contains(&nanos).then(|| Duration {
            text: text.to_string(),
            nanos: nanos as i64,
        })
    }

    /// As the config spells it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What docker keeps (`Config.Healthcheck.Interval` and the like).
    pub fn nanos(&self) -> i64 {
        self.nanos
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Nanoseconds as the shortest exact Go duration (`5s`, `1500ms`), for
/// docker's `--health-*` options and for messages.
pub fn duration_text(nanos: i64) -> String {
    match nanos {
        n if n % 1_000_000_000 == 0 => format!("{}s", n / 1_000_000_000),
        n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
        n if n % 1_000 == 0 => format!("{}us", n / 1_000),
        n => format!("{n}ns"),
    }
}

/// A type's `healthcheck`: docker's `--health-*` options. Fields the
/// config leaves unset are the image's (docker fills them in), and are
/// neither hashed nor compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Healthcheck {
    /// docker's form: `["CMD", prog, args…]`, `["CMD-SHELL", "cmd"]` or
    /// `["NONE"]` (validated by the config).
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
}

impl Healthcheck {
    /// `["NONE"]`: no healthcheck, not even the image's.
    pub(crate) fn disabled(&self) -> bool {
        self.test.first().is_some_and(|t| t == "NONE")
    }

    /// The `--health-cmd` value: docker's CLI takes a shell string only
    /// (and stores it as `CMD-SHELL`), so a `CMD` array is quoted for
    /// `/bin/sh`, which runs it as the same argv. `None` for `NONE`.
    pub(crate) fn shell_command(&self) -> Option<String> {
        match self.test.split_first() {
            Some((kind, rest)) if kind == "CMD-SHELL" => Some(rest.join(" ")),
            Some((kind, rest)) if kind == "CMD" => Some(
                rest.iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        }
    }

    /// `Config.Healthcheck.Test` as docker stores what fleet passes.
    pub fn docker_test(&self) -> Vec<String> {
        match self.shell_command() {
            Some(cmd) => vec!["CMD-SHELL".to_string(), cmd],
            None => vec!["NONE".to_string()],
        }
    }

    /// The `docker create` options.
    pub fn args(&self) -> Vec<String> {
        let Some(cmd) = self.shell_command() else {
            return vec!["--no-healthcheck".to_string()];
        };
        let mut out = vec!["--health-cmd".to_string(), cmd];
        let mut dur = |flag: &str, d: &Option<Duration>| {
            if let Some(d) = d {
                out.push(flag.to_string());
                out.push(duration_text(d.nanos()));
            }
        };
        dur("--health-interval", &self.interval);
        dur("--health-timeout", &self.timeout);
        dur("--health-start-period", &self.start_period);
        if let Some(r) = self.retries {
            out.push("--health-retries".to_string());
            out.push(r.to_string());
        }
        out
    }

    /// What differs between this and the healthcheck docker holds, as
    /// short phrases; fields the config leaves unset are not compared.
    pub fn changes(&self, have: Option<&DockerHealthcheck>) -> Vec<String> {
        let empty = DockerHealthcheck::default();
        let have = have.unwrap_or(&empty);
        let mut why = Vec::new();
        if self.docker_test() != have.test {
            why.push("healthcheck test changed".to_string());
        }
        let mut dur = |what: &str, want: &Option<Duration>, have: i64| {
            if let Some(w) = want
                && w.nanos() != have
            {
                why.push(format!("healthcheck {what} changed"));
            }
        };
        dur("interval", &self.interval, have.interval);
        dur("timeout", &self.timeout, have.timeout);
        dur("start_period", &self.start_period, have.start_period);
        if let Some(r) = self.retries
            && i64::from(r) != have.retries
        {
            why.push("healthcheck retries changed".to_string());
        }
        why
    }
}

/// `Config.Healthcheck` as docker stores it: durations in nanoseconds, 0
/// (or absent) when unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DockerHealthcheck {
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub retries: i64,
    pub start_period: i64,
}

/// `a` as one word for `/bin/sh`: as it is when it holds only characters
/// the shell leaves alone, else in single quotes.
pub fn shell_quote(a: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=,@%+-".contains(c);
    if !a.is_empty() && a.chars().all(plain) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// `State.Health.Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthStatus {
    Starting,
    Healthy,
    Unhealthy,
    /// A word fleet does not know, or `none`.
    Other(String),
}

impl HealthStatus {
    pub fn from_docker(word: &str) -> HealthStatus {
        match word {
            "starting" => HealthStatus::Starting,
            "healthy" => HealthStatus::Healthy,
            "unhealthy" => HealthStatus::Unhealthy,
            w => HealthStatus::Other(w.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
            HealthStatus::Other(w) => w,
        }
    }
}

/// The longest `KEY=value` line docker's env-file reader takes (its line
/// scanner holds 64 KiB; measured on docker CLI 20.10 and 28).
pub const ENV_FILE_MAX_LINE: usize = 65_535;

/// Why docker's `--env-file` could not carry `key=value` exactly, if it
/// could not: it reads one variable a line (so no line break), drops a `\r`
/// at a line's end, and a NUL can reach no process environment. Never
/// mentions the value itself.
pub(crate) fn env_file_problem(key: &str, value: &str) -> Option<String> {
    let len = key.len() + 1 + value.len();
    if value.contains('\n') {
        Some("the value contains a line break, which an env-file line cannot carry".into())
    } else if value.contains('\0') {
        Some("the value contains a NUL character, which no process environment can carry".into())
    } else if value.ends_with('\r') {
        Some(
            "the value ends with a carriage return, which docker's env-file reader would drop"
                .into(),
        )
    } else if len > ENV_FILE_MAX_LINE {
        Some(format!(
            "`{key}=<value>` is {len} bytes long; docker's env-file reader takes at most {ENV_FILE_MAX_LINE} bytes a line"
        ))
    } else {
        None
    }
}
