//! `agents.json`: the serde types, defaults merging, validation, and the
//! resolved [`Spec`] of every desired container with its config hash.
//!
//! Owns every rule about what a valid config is. Parsing never spawns a
//! process and never prints; a bad file is an [`Error`] of kind `Config`
//! whose message names the file, the `line:column` where serde knows it, the
//! JSON path, and what is allowed, with the help apart and the line of the
//! file marked where the error is ([`snippet`]).
//!
//! What passes here is what docker and fleet can carry out later: one JSON
//! document of bounded size, image references docker parses, run_args that
//! `docker create` accepts and that leave fleet's labels and env alone, env
//! values that docker's env-file reader carries exactly, no NUL in anything
//! that becomes an argument.
//!
//! Here: the public types ([`Config`], [`AgentType`], [`Desired`],
//! [`Spec`]), loading and parsing, the spec hash. Apart: `file` (reading
//! the file), `raw` (the file's shape, defaults merging, the schema),
//! `hosts` (the `hosts` section), `values` (the validated scalars),
//! `unique_map` (maps with unique keys, rules over an entry), `names`
//! (container names and placement), `errors` (positions and messages),
//! `snippet` (the marked line), `image_ref` and `run_args` (docker's
//! grammars).

mod errors;
mod file;
mod hosts;
mod image_ref;
mod names;
mod raw;
mod run_args;
mod snippet;
mod swarm;
pub(crate) mod swarm_args;
mod unique_map;
mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use crate::spec::{Duration, Healthcheck, Memory, Restart};
pub use hosts::{Host, Reach};
pub(crate) use names::{name_at, name_order, placed_on};
pub(crate) use raw::schema_json;
pub use swarm::Swarm;

use crate::error::{Error, Result};
use errors::{char_position, first_char_position, is_json_space, refused, shown};
use file::{not_utf8, read_limited};
use names::{container_name, placement};
use raw::RawConfig;

/// The most containers one type may declare.
const MAX_INSTANCES: u32 = 100;
/// The project used when the file names none.
const DEFAULT_PROJECT: &str = "claude-hooks";
/// Label keys under this prefix belong to fleet.
pub(crate) const RESERVED_LABEL_PREFIX: &str = "fleet.";
/// The largest config file fleet reads: 4 MiB, far above any real fleet
/// (a type is a few hundred bytes) and small enough to read and parse at
/// once. A larger or endless file is refused after reading this much + 1.
pub const MAX_CONFIG_BYTES: usize = 4 << 20;

/// A validated config: the project and the resolved spec of every type.
#[derive(Debug, Clone)]
pub struct Config {
    pub project: String,
    /// The declared hosts, in name order; empty when the config declares
    /// none (one implicit host: the docker CLI's default engine, and every
    /// output as on one host).
    pub hosts: Vec<Host>,
    /// The swarm the project runs on (`swarm`), if it says so (`swarm/`
    /// drives it).
    pub swarm: Option<Swarm>,
    /// Types in name order.
    pub types: Vec<AgentType>,
}

/// One agent type after merging `defaults`.
#[derive(Debug, Clone)]
pub struct AgentType {
    pub name: String,
    pub instances: u32,
    /// How many members may be down at once while they are recreated
    /// (`max_unavailable` resolved against `instances`). Not in the hash:
    /// it changes no container.
    pub max_unavailable: usize,
    /// The hosts its instances run on, in order: instance i on
    /// `hosts[(i-1) mod len]`. Empty when the config declares no hosts.
    /// Not in the hash: where a container runs is not what it is.
    pub hosts: Vec<String>,
    /// Swarm placement constraints (`constraints`, only with `swarm`).
    /// Not in the hash, as `hosts`.
    pub constraints: Vec<String>,
    pub spec: Spec,
    /// `sha256:<hex>` of the canonical JSON of `spec`.
    pub hash: String,
}

/// One container the config asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub project: String,
    /// `<type>-default`, `<type>-2`, …
    pub name: String,
    pub type_name: String,
    /// 1-based.
    pub instance: u32,
    pub spec: Spec,
    pub hash: String,
    /// Its type's [`AgentType::max_unavailable`].
    pub max_unavailable: usize,
    /// The host it runs on (label `fleet.host`); `None` when the config
    /// declares no hosts.
    pub host: Option<String>,
    /// Its type's Swarm placement constraints (empty off a swarm).
    pub constraints: Vec<String>,
}

/// The resolved spec of one container: everything that reaches `docker run`.
///
/// Its canonical JSON (fields in declaration order, maps sorted) is what
/// `fleet.config-hash` is computed over. `Debug` hides env values.
#[derive(Clone, PartialEq, Serialize)]
pub struct Spec {
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub mounts: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub network: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub restart: Restart,
    pub memory: Option<Memory>,
    pub cpus: Option<f64>,
    pub init: bool,
    pub run_args: Vec<String>,
    /// Last and skipped when unset, so the hash of a spec without one is
    /// what it was before healthchecks existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Env values may be secrets: only the keys are ever shown.
        f.debug_struct("Spec")
            .field("image", &self.image)
            .field("command", &self.command)
            .field("entrypoint", &self.entrypoint)
            .field("env_keys", &self.env.keys().collect::<Vec<_>>())
            .field("mounts", &self.mounts)
            .field("workdir", &self.workdir)
            .field("user", &self.user)
            .field("network", &self.network)
            .field("labels", &self.labels)
            .field("restart", &self.restart)
            .field("memory", &self.memory.as_ref().map(Memory::as_str))
            .field("cpus", &self.cpus)
            .field("init", &self.init)
            .field("run_args", &self.run_args)
            .field("healthcheck", &self.healthcheck)
            .finish()
    }
}
impl Config {
    /// Reads and validates the file at `path`: at most
    /// [`MAX_CONFIG_BYTES`] + 1 bytes of a regular file or a pipe (a pipe
    /// with no writer reads as empty rather than waiting for one).
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = read_limited(path)?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => return Err(not_utf8(path, &bytes, &e)),
        };
        Config::parse(path, text)
    }

    /// Validates `text` as if read from `path`. A leading byte-order mark
    /// is skipped; positions count characters after it, as editors do.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let file = path.display();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = text.trim_start_matches(is_json_space);
        if body.is_empty() {
            return Err(Error::config(format!(
                "{file}: the file is empty; expected a JSON object with `types`"
            )));
        }
        if !body.starts_with('{') {
            let (line, col) = first_char_position(text);
            return Err(Error::config(format!(
                "{file}:{line}:{col}: expected a JSON object (`{{ \"types\": … }}`) at the top level"
            ))
            .with_snippet(snippet::at(text, text.len() - body.len(), None)));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: RawConfig = serde_path_to_error::deserialize(&mut *de)
            .map_err(|e| refused(errors::Source { path, text }, e))?;
        // A second document (or anything) after the first would be ignored
        // by a reader that stops at the first: refuse it, so what fleet
        // acts on is the whole file.
        if let Err(e) = de.end() {
            let (line, col) = char_position(text, e.line(), e.column());
            let pos = snippet::offset(text, e.line(), e.column());
            let found = text[pos..]
                .chars()
                .next()
                .map_or_else(String::new, |c| format!("{} ", shown(c)));
            return Err(Error::config(format!(
                "{file}:{line}:{col}: unexpected {found}after the end of the JSON object: a config file is one JSON object, and only whitespace may follow it"
            ))
            .with_snippet(snippet::at(text, pos, None)));
        }
        raw.resolve(errors::Source { path, text })
    }

    /// Every container the config asks for, by type then instance.
    pub fn desired(&self) -> Vec<Desired> {
        let mut out = Vec::new();
        for t in &self.types {
            for i in 1..=t.instances {
                out.push(Desired {
                    project: self.project.clone(),
                    name: container_name(&t.name, i),
                    type_name: t.name.clone(),
                    instance: i,
                    spec: t.spec.clone(),
                    hash: t.hash.clone(),
                    max_unavailable: t.max_unavailable,
                    host: placement(&t.hosts, i),
                    constraints: t.constraints.clone(),
                });
            }
        }
        out
    }
}

/// `sha256:<hex>` of the spec's canonical JSON, versioned so that a change to
/// the hashed shape is a deliberate, visible recreate.
fn spec_hash(spec: &Spec) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        v: u32,
        spec: &'a Spec,
    }
    let bytes = serde_json::to_vec(&Hashed { v: 1, spec }).expect("a spec always serialises");
    format!("sha256:{}", hex(&Sha256::digest(&bytes)))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Spec {
    /// The entrypoint split: `(--entrypoint program, argv tail)`.
    pub fn launch(&self) -> crate::spec::Launch<'_> {
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
        crate::spec::Launch { program, args }
    }
}
