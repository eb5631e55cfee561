//! A look at a swarm through its manager: the project's services (one
//! `service ls`, one batched `service inspect`), their tasks (one
//! `service ps`), the nodes (one `node ls`) and the images' IDs on the
//! manager (one `image inspect`): a fixed number of calls, whatever the
//! number of agents. Parsing is pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::docker::argv::LABEL_PROJECT;
use crate::docker::service::{self, Held};
use crate::docker::{Cmd, Runner, run_ok};
use crate::error::{Error, Result};

/// One service of the project, as `service inspect` shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Service {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// What an update must undo.
    pub held: Held,
    /// `None`: not a replicated service.
    pub replicas: Option<u64>,
    /// Swarm's last update: `updating`, `completed`, `rollback_started`,
    /// `rollback_completed`, `paused`, … and its message.
    pub update: Option<(String, String)>,
}

/// One task, as `service ps` shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Task {
    pub id: String,
    pub service: String,
    /// The node's hostname (empty: not assigned).
    pub node: String,
    /// `Running`, `Shutdown`, `Ready`, …
    pub desired: String,
    /// The first word of Swarm's current state: `Running`, `Pending`,
    /// `Rejected`, `Failed`, `Starting`, …
    pub state: String,
    /// Swarm's whole current-state phrase (`Running 5 minutes ago`).
    pub current: String,
    /// Swarm's error (`no suitable node (…)`, `No such image: …`,
    /// `task: non-zero exit (1)`).
    pub error: String,
}

/// One node, as `node ls` shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Node {
    pub id: String,
    pub hostname: String,
    /// `Ready`, `Down`, `Unknown`, `Disconnected`.
    pub status: String,
    /// `Active`, `Pause`, `Drain`.
    pub availability: String,
}

/// Everything one look found.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Look {
    /// In name order.
    pub services: Vec<Service>,
    /// Each service's tasks, newest first.
    pub tasks: BTreeMap<String, Vec<Task>>,
    pub nodes: Vec<Node>,
    /// Image reference → its ID on the manager (absent: not there).
    pub images: BTreeMap<String, String>,
    /// Declared names held by a service that is not the project's (no
    /// `fleet.project` label of it): fleet never touches those.
    pub foreign: BTreeSet<String>,
}

impl Look {
    pub(crate) fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The task that stands for the service now: the newest one Swarm
    /// wants running, else the newest.
    pub(crate) fn task(&self, service: &str) -> Option<&Task> {
        let tasks = self.tasks.get(service)?;
        (tasks.iter())
            .find(|t| matches!(t.desired.as_str(), "Running" | "Ready"))
            .or_else(|| tasks.first())
    }

    pub(crate) fn node(&self, hostname: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.hostname == hostname)
    }
}

/// Reads the swarm through `manager` for `project`: `names` are the
/// agents the config declares, `images` the references it names.
///
/// One round of five calls side by side: `service ls` (the project's
/// IDs), `service inspect` and `service ps` of the declared names (a name
/// with no service is left out: docker says `no such service` and prints
/// the others; an agent's name always holds a `-`, so it is never taken
/// for an ID prefix), `node ls`, `image inspect`. Services of the project
/// the names missed (orphans) are read in a second round, by ID.
pub(crate) fn look(
    manager: &dyn Runner,
    project: &str,
    names: &[&str],
    images: &[&str],
) -> Result<Look> {
    let read = |cmd: &Cmd| {
        run_ok(manager, cmd).map_err(|e| {
            Error::from(e)
                .context("could not read the swarm through its manager; nothing was changed")
        })
    };
    fn joined<T>(r: std::thread::Result<Result<T>>) -> Result<T> {
        r.unwrap_or_else(|p| Err(crate::place::panicked(p.as_ref())))
    }
    let (ids, nodes, image_ids, named) = std::thread::scope(|s| {
        let nodes = s.spawn(|| read(&service::nodes()));
        let images = s.spawn(|| image_ids(manager, images));
        let named = s.spawn(|| services_and_tasks(manager, names));
        let ids = read(&service::list(project));
        (ids, nodes.join(), images.join(), named.join())
    });
    let ids: Vec<String> = (ids?.stdout.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let nodes = parse_nodes(&joined(nodes)?.stdout)?;
    let images = joined(image_ids)?;
    let (mut services, mut tasks) = joined(named)?;
    // A service under a declared name that is not the project's (its label
    // says so) is not ours; one of ours the names missed is read by ID.
    let ours = |s: &Service| s.labels.get(LABEL_PROJECT).map(String::as_str) == Some(project);
    let foreign = (services.iter().filter(|s| !ours(s)))
        .map(|s| s.name.clone())
        .collect();
    services.retain(ours);
    // `service ls` prints IDs cut to 12 characters.
    let missed: Vec<&str> = (ids.iter())
        .filter(|id| !services.iter().any(|s| s.id.starts_with(id.as_str())))
        .map(String::as_str)
        .collect();
    if !missed.is_empty() {
        let (more, more_tasks) = services_and_tasks(manager, &missed)?;
        services.extend(
            more.into_iter()
                .filter(|s| s.labels.get(LABEL_PROJECT).map(String::as_str) == Some(project)),
        );
        tasks.extend(more_tasks);
    }
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services.dedup_by(|a, b| a.id == b.id);
    Ok(Look {
        services,
        tasks,
        nodes,
        images,
        foreign,
    })
}

type Tasks = BTreeMap<String, Vec<Task>>;

/// `service inspect` and `service ps` of `refs` (names or IDs) side by
/// side; a ref with no service is left out.
fn services_and_tasks(manager: &dyn Runner, refs: &[&str]) -> Result<(Vec<Service>, Tasks)> {
    if refs.is_empty() {
        return Ok((Vec::new(), BTreeMap::new()));
    }
    let (inspected, listed) = std::thread::scope(|s| {
        let listed = s.spawn(|| found(manager, &service::tasks(refs), refs));
        (found(manager, &service::inspect(refs), refs), listed.join())
    });
    let listed = listed.unwrap_or_else(|p| Err(crate::place::panicked(p.as_ref())))?;
    let inspected = inspected?;
    let services = match inspected.trim() {
        "" => Vec::new(),
        text => parse_services(text)?,
    };
    Ok((services, parse_tasks(&listed)?))
}

/// The output of `cmd` over `refs`: all of it when every ref exists, what
/// docker printed for the others when it says `no such service` of some.
fn found(manager: &dyn Runner, cmd: &Cmd, refs: &[&str]) -> Result<String> {
    let context = "could not read the swarm through its manager; nothing was changed";
    let out = manager
        .run(cmd)
        .map_err(|e| Error::from(e).context(context))?;
    let missing = |l: &str| {
        let l = l.trim().trim_start_matches("Error: ");
        l.strip_prefix("no such service: ")
            .is_some_and(|r| refs.contains(&r.trim()))
    };
    let only_missing = (out.stderr.lines().filter(|l| !l.trim().is_empty())).all(missing);
    if out.success() || (!out.stderr.trim().is_empty() && only_missing) {
        return Ok(out.stdout);
    }
    Err(Error::from(crate::docker::DockerError::Failed {
        cmd: cmd.line(),
        code: out.code,
        stderr: out.stderr,
    })
    .context(context))
}

/// The IDs of `refs` on the manager's engine, one batched inspect
/// (`observe`'s); a reference it lacks is left out.
fn image_ids(runner: &dyn Runner, refs: &[&str]) -> Result<BTreeMap<String, String>> {
    let refs: Vec<String> = (refs.iter().map(|r| r.to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let found = crate::observe::resolve_images(runner, &refs)?;
    Ok(found.into_iter().map(|(r, i)| (r, i.id)).collect())
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::docker(format!(
        "could not read the swarm: `docker {what}` printed what fleet cannot read ({e}); nothing was changed"
    ))
}

#[derive(Deserialize)]
struct RawService {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Spec")]
    spec: RawSpec,
    #[serde(rename = "UpdateStatus", default)]
    update: Option<RawUpdate>,
}

#[derive(Deserialize)]
struct RawSpec {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "TaskTemplate", default)]
    template: Option<RawTemplate>,
    #[serde(rename = "Mode", default)]
    mode: Option<RawMode>,
}

#[derive(Deserialize, Default)]
struct RawTemplate {
    #[serde(rename = "ContainerSpec", default)]
    container: Option<RawContainer>,
    #[serde(rename = "Placement", default)]
    placement: Option<RawPlacement>,
    #[serde(rename = "Networks", default)]
    networks: Option<Vec<RawNetwork>>,
}

#[derive(Deserialize, Default)]
struct RawContainer {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "Mounts", default)]
    mounts: Option<Vec<RawMount>>,
    /// `ip host` entries.
    #[serde(rename = "Hosts", default)]
    hosts: Option<Vec<String>>,
    #[serde(rename = "DNSConfig", default)]
    dns: Option<RawDns>,
    #[serde(rename = "Sysctls", default)]
    sysctls: Option<BTreeMap<String, String>>,
    #[serde(rename = "Ulimits", default)]
    ulimits: Option<Vec<RawUlimit>>,
    #[serde(rename = "Groups", default)]
    groups: Option<Vec<String>>,
    #[serde(rename = "CapabilityAdd", default)]
    cap_add: Option<Vec<String>>,
    #[serde(rename = "CapabilityDrop", default)]
    cap_drop: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct RawDns {
    #[serde(rename = "Nameservers", default)]
    nameservers: Option<Vec<String>>,
    #[serde(rename = "Search", default)]
    search: Option<Vec<String>>,
    #[serde(rename = "Options", default)]
    options: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawUlimit {
    #[serde(rename = "Name", default)]
    name: String,
}

fn set(v: Option<Vec<String>>) -> BTreeSet<String> {
    v.into_iter().flatten().collect()
}

#[derive(Deserialize)]
struct RawMount {
    #[serde(rename = "Target", default)]
    target: String,
}

#[derive(Deserialize, Default)]
struct RawPlacement {
    #[serde(rename = "Constraints", default)]
    constraints: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawNetwork {
    #[serde(rename = "Target", default)]
    target: String,
}

#[derive(Deserialize)]
struct RawMode {
    #[serde(rename = "Replicated", default)]
    replicated: Option<RawReplicated>,
}

#[derive(Deserialize)]
struct RawReplicated {
    #[serde(rename = "Replicas", default)]
    replicas: Option<u64>,
}

#[derive(Deserialize)]
struct RawUpdate {
    #[serde(rename = "State", default)]
    state: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// `docker service inspect`'s JSON array.
pub(crate) fn parse_services(json: &str) -> Result<Vec<Service>> {
    let raw: Vec<RawService> =
        serde_json::from_str(json).map_err(|e| unreadable("service inspect", e))?;
    Ok(raw
        .into_iter()
        .map(|r| {
            let t = r.spec.template.unwrap_or_default();
            let c = t.container.unwrap_or_default();
            let held = Held {
                labels: r
                    .spec
                    .labels
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .collect(),
                container_labels: c.labels.iter().flatten().map(|(k, _)| k.clone()).collect(),
                env_keys: (c.env.iter().flatten())
                    .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k).to_string())
                    .collect(),
                mount_targets: c
                    .mounts
                    .iter()
                    .flatten()
                    .map(|m| m.target.clone())
                    .collect(),
                constraints: (t.placement.and_then(|p| p.constraints))
                    .into_iter()
                    .flatten()
                    .collect(),
                network: t
                    .networks
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.target),
                // Swarm keeps `ip host`; `--host-rm` takes `host:ip`.
                hosts: (c.hosts.into_iter().flatten())
                    .map(|h| match h.split_once(' ') {
                        Some((ip, host)) => format!("{}:{ip}", host.trim()),
                        None => h,
                    })
                    .collect(),
                dns: set(c.dns.as_ref().and_then(|d| d.nameservers.clone())),
                dns_search: set(c.dns.as_ref().and_then(|d| d.search.clone())),
                dns_options: set(c.dns.and_then(|d| d.options)),
                sysctls: c.sysctls.into_iter().flatten().map(|(k, _)| k).collect(),
                ulimits: c.ulimits.into_iter().flatten().map(|u| u.name).collect(),
                groups: set(c.groups),
                cap_add: set(c.cap_add),
                cap_drop: set(c.cap_drop),
            };
            Service {
                id: r.id,
                name: r.spec.name,
                labels: r.spec.labels.unwrap_or_default(),
                held,
                replicas: r
                    .spec
                    .mode
                    .and_then(|m| m.replicated)
                    .and_then(|r| r.replicas),
                update: r.update.map(|u| (u.state, u.message)),
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct RawTask {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Node", default)]
    node: String,
    #[serde(rename = "DesiredState", default)]
    desired: String,
    #[serde(rename = "CurrentState", default)]
    current: String,
    #[serde(rename = "Error", default)]
    error: String,
}

/// `docker service ps --format '{{json .}}'`: one object a line.
pub(crate) fn parse_tasks(text: &str) -> Result<BTreeMap<String, Vec<Task>>> {
    let mut out: BTreeMap<String, Vec<Task>> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let r: RawTask = serde_json::from_str(line).map_err(|e| unreadable("service ps", e))?;
        // `coder-2.1` (replicated: service, then slot); the table format's
        // `\_ ` of an older task is not in the JSON, but tolerated.
        let name = r.name.trim_start_matches("\\_").trim();
        let service = name.rsplit_once('.').map_or(name, |(s, _)| s).to_string();
        out.entry(service.clone()).or_default().push(Task {
            id: r.id,
            service,
            node: r.node,
            desired: r.desired,
            state: r
                .current
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string(),
            current: r.current,
            error: unquoted(&r.error),
        });
    }
    Ok(out)
}

/// The CLI quotes a task's error (Go's `%q`): Swarm's own words back.
fn unquoted(e: &str) -> String {
    let t = e.trim();
    match t.starts_with('"') && t.ends_with('"') && t.len() >= 2 {
        true => serde_json::from_str::<String>(t).unwrap_or_else(|_| t[1..t.len() - 1].to_string()),
        false => t.to_string(),
    }
}

#[derive(Deserialize)]
struct RawNode {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Hostname", default)]
    hostname: String,
    #[serde(rename = "Status", default)]
    status: String,
    #[serde(rename = "Availability", default)]
    availability: String,
}

/// `docker node ls --format '{{json .}}'`. The ID of the node answering
/// is marked `*` by the table format only; the JSON's is plain.
pub(crate) fn parse_nodes(text: &str) -> Result<Vec<Node>> {
    (text.lines().map(str::trim).filter(|l| !l.is_empty()))
        .map(|line| {
            let r: RawNode = serde_json::from_str(line).map_err(|e| unreadable("node ls", e))?;
            Ok(Node {
                id: r.id.trim_end_matches('*').trim().to_string(),
                hostname: r.hostname,
                status: r.status,
                availability: r.availability,
            })
        })
        .collect()
}
