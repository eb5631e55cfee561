//! `docker inspect` JSON → [`ContainerSnapshot`]. No processes.
//!
//! Tolerant of fields it does not know and of missing optional ones; strict
//! where a wrong guess would be dangerous: `State.Running` counts only when it
//! is the JSON boolean `true`, and a document that is not an array of objects
//! with `Id`, `Name` and `State` is an error, never a panic.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::hex;
use crate::docker::argv::{LABEL_HASH, LABEL_INSTANCE, LABEL_PROJECT, LABEL_TYPE};
use crate::spec::ContainerState;

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
    /// Live `docker exec` sessions.
    pub exec_ids: Vec<String>,
    /// `Config.Cmd`.
    pub command: Option<Vec<String>>,
    /// `Config.Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `Config.WorkingDir` and `Config.User` ("" when unset).
    pub workdir: String,
    pub user: String,
    /// `HostConfig.Binds`: the `-v` mounts.
    pub binds: Vec<String>,
    /// `HostConfig.RestartPolicy.Name`, `NetworkMode`, `Memory` (bytes),
    /// `NanoCpus`, `Init`.
    pub restart: String,
    pub network: String,
    pub memory: i64,
    pub nano_cpus: i64,
    pub init: bool,
    /// `Config.Env` as key → sha256 of the value: enough to tell which keys
    /// changed, with no value held or ever printed.
    pub env_digests: BTreeMap<String, String>,
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

/// sha256 of one env value, for [`ContainerSnapshot::env_digests`] and for
/// comparing a desired value without keeping it next to the snapshot.
pub fn env_digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Parses the output of `docker inspect` (a JSON array).
pub fn parse_inspect(text: &str) -> Result<Vec<ContainerSnapshot>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        anyhow!("could not parse `docker inspect` output: {e}\nhelp: is the docker CLI's output redirected or altered (DOCKER_CLI wrappers, aliases)?")
    })?;
    let Value::Array(items) = doc else {
        bail!(
            "could not parse `docker inspect` output: expected a JSON array, got {}",
            kind(&doc)
        );
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            parse_one(v)
                .map_err(|e| anyhow!("could not parse `docker inspect` output: element {i}: {e}"))
        })
        .collect()
}

fn parse_one(v: &Value) -> Result<ContainerSnapshot> {
    if !v.is_object() {
        bail!("expected an object, got {}", kind(v));
    }
    let id = req_str(v, "Id")?;
    let name = req_str(v, "Name")?.trim_start_matches('/').to_string();
    let state = v
        .get("State")
        .filter(|s| s.is_object())
        .ok_or_else(|| anyhow!("`{name}`: missing object `State`"))?;
    let is_true = |k: &str| state.get(k) == Some(&Value::Bool(true));
    let config = v.get("Config");
    let host = v.get("HostConfig");
    let labels = config
        .and_then(|c| c.get("Labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let strings = |v: Option<&Value>| -> Option<Vec<String>> {
        v?.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let env_digests = strings(config.and_then(|c| c.get("Env")))
        .unwrap_or_default()
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, val)) => (k.to_string(), env_digest(val)),
            None => (kv.clone(), String::new()),
        })
        .collect();
    Ok(ContainerSnapshot {
        id: id.to_string(),
        image_id: v
            .get("Image")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        image_ref: config
            .and_then(|c| c.get("Image"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        labels,
        state: State {
            status: ContainerState::from_docker(
                state
                    .get("Status")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
            running: is_true("Running"),
            paused: is_true("Paused"),
            restarting: is_true("Restarting"),
            dead: is_true("Dead"),
            exit_code: state.get("ExitCode").and_then(Value::as_i64).unwrap_or(0),
        },
        exec_ids: strings(v.get("ExecIDs")).unwrap_or_default(),
        command: strings(config.and_then(|c| c.get("Cmd"))),
        entrypoint: strings(config.and_then(|c| c.get("Entrypoint"))),
        workdir: text(config, &["WorkingDir"]),
        user: text(config, &["User"]),
        binds: strings(host.and_then(|h| h.get("Binds"))).unwrap_or_default(),
        restart: text(host, &["RestartPolicy", "Name"]),
        network: text(host, &["NetworkMode"]),
        memory: host
            .and_then(|h| h.get("Memory"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
        nano_cpus: host
            .and_then(|h| h.get("NanoCpus"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
        init: host.and_then(|h| h.get("Init")) == Some(&Value::Bool(true)),
        env_digests,
        name,
    })
}

/// The string at `path` under `v`, or "".
fn text(v: Option<&Value>, path: &[&str]) -> String {
    let mut cur = v;
    for k in path {
        cur = cur.and_then(|c| c.get(k));
    }
    cur.and_then(Value::as_str).unwrap_or_default().to_string()
}

fn req_str<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(other) => bail!("`{key}` should be a non-empty string, got {}", kind(other)),
        None => bail!("missing `{key}`"),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
