//! The one two-way mapping between the config's spec and docker's fields:
//! memory in bytes, nano-CPUs, the entrypoint split, restart policies and
//! container states. Argv building (`docker/argv.rs`), drift detection
//! (`plan.rs`), `docker inspect` parsing (`snapshot.rs`), `up` and `down`
//! (`ops.rs`) and the tests all go through it, so they cannot disagree.
//! Pure: no process, no I/O.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::config::Spec;

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

impl Spec {
    /// The entrypoint split: `(--entrypoint program, argv tail)`.
    pub fn launch(&self) -> Launch<'_> {
        let (program, tail): (Option<&str>, &[String]) = match self.entrypoint.as_deref() {
            Some([first, rest @ ..]) => (Some(first), rest),
            Some([]) => (Some(""), &[]),
            None => (None, &[]),
        };
        let args = (self.command.is_some() || !tail.is_empty()).then(|| {
            tail.iter()
                .chain(self.command.iter().flatten())
                .map(String::as_str)
                .collect()
        });
        Launch { program, args }
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
pub const ENGINE_ENV: [&str; 4] = ["HOSTNAME", "HOME", "TERM", "container"];

/// An image reference as engines store it, for comparing: docker keeps it
/// as written, podman fully qualified (`localhost/x:y`,
/// `docker.io/library/x:y`); an untagged one means `:latest`.
pub fn normal_image_ref(r: &str) -> String {
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
pub fn normal_bind(b: &str) -> String {
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
