//! The decision table on services (DESIGN.md "Swarm"): pure, from the
//! config, a look at the swarm and, when a decision needs them, the reads
//! of the nodes' engines (busy agents, plain containers, pinned nodes).

use std::collections::{BTreeMap, BTreeSet};

use super::look::{Look, Service, Task};
use crate::config::Desired;
use crate::docker::argv::{LABEL_HASH, LABEL_HOST};
use crate::docker::service::{LABEL_IMAGE_ID, LABEL_SWARM_SERVICE};
use crate::plan::{Action, Bucket, Op, Options, Plan, ServiceOp, busy_words, deferred};
use crate::snapshot::ContainerSnapshot;

/// What one declared host's engine showed: its swarm node ID and the
/// project's containers on it (swarm tasks and plain ones).
#[derive(Debug, Clone, Default)]
pub(crate) struct HostRead {
    pub node_id: String,
    pub containers: Vec<ContainerSnapshot>,
}

/// The reads of the declared hosts: each host's, or why it failed.
pub(crate) type Reads = BTreeMap<String, Result<HostRead, String>>;

/// The node constraint that pins an agent to a host's node.
pub(crate) fn pin(node_id: &str) -> String {
    format!("node.id=={node_id}")
}

/// Whether a swarm's constraint is a pin fleet set (not the type's).
fn is_pin(c: &str) -> bool {
    c.replace(' ', "").starts_with("node.id==")
}

/// What `service ps` says of an agent's task, for people: `Running on
/// fleet-swarm-2`, `Rejected: No such image: … (on fleet-swarm-3)`.
pub(crate) fn task_words(t: &Task) -> String {
    let mut s = t.state.to_ascii_lowercase();
    if !t.node.is_empty() {
        s += &format!(" on {}", t.node);
    }
    if !t.error.is_empty() {
        s += &format!(": {}", t.error);
    }
    // No registry is assumed: the node needs the image loaded.
    if t.error.starts_with("No such image") && !t.node.is_empty() {
        s += &format!(
            " (load it on {}: `docker save IMAGE | docker --host <its engine> load`)",
            t.node
        );
    }
    s
}

/// How an agent's service stands, from its tasks and nodes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Standing {
    /// Its task runs on `node` (Swarm started it only once healthy, when
    /// it has a healthcheck); `from`: the node it ran on before, when
    /// Swarm moved it off a node that is not ready now.
    Running { node: String, from: Option<String> },
    /// Scaled to 0 (`fleet down`).
    Stopped,
    /// On its way (assigned, preparing, starting) with no error yet.
    Starting { words: String },
    /// Not running, and why (Swarm's words).
    NotRunning { why: String, node: Option<String> },
}

pub(crate) fn standing(look: &Look, s: &Service) -> Standing {
    if s.replicas == Some(0) {
        return Standing::Stopped;
    }
    let Some(t) = look.task(&s.name) else {
        return Standing::NotRunning {
            why: "Swarm shows no task for it yet".into(),
            node: None,
        };
    };
    let node = (!t.node.is_empty()).then(|| t.node.clone());
    if let Some(n) = node.as_deref().and_then(|n| look.node(n))
        && n.status != "Ready"
    {
        let then = match s.labels.contains_key(LABEL_HOST) {
            true => "pinned there: it runs again when the node is back",
            false => "Swarm moves it once it gives the node up",
        };
        return Standing::NotRunning {
            why: format!(
                "its node {} is {} ({then})",
                n.hostname,
                n.status.to_ascii_lowercase()
            ),
            node,
        };
    }
    if t.state == "Running" && t.desired == "Running" {
        return Standing::Running {
            node: t.node.clone(),
            from: moved_from(look, s, t),
        };
    }
    let failing = |t: &Task| !t.error.is_empty();
    if failing(t) {
        return Standing::NotRunning {
            why: task_words(t),
            node,
        };
    }
    // On its way: an earlier attempt's error is the reason it is not
    // running yet (Swarm retries a rejected task every few seconds).
    let tasks = look.tasks.get(&s.name).map(Vec::as_slice).unwrap_or(&[]);
    if let Some(before) = tasks.iter().find(|b| b.id != t.id && failing(b)) {
        return Standing::NotRunning {
            why: format!("last attempt {}", task_words(before)),
            node,
        };
    }
    Standing::Starting {
        words: task_words(t),
    }
}

const MOVED: &str = " (Swarm moved it from ";

/// The node an unchanged agent's reason says Swarm moved it from.
pub(crate) fn moved_from_words(reason: &str) -> Option<&str> {
    let (_, from) = reason.split_once(MOVED)?;
    from.strip_suffix(')')
}

/// The node `s`'s previous task ran on, when that node is not ready now
/// and is not `now`'s: Swarm moved the agent off it.
fn moved_from(look: &Look, s: &Service, now: &Task) -> Option<String> {
    let before = look.tasks.get(&s.name)?.iter().find(|t| t.id != now.id)?;
    let node = look.node(&before.node)?;
    (before.node != now.node && node.status != "Ready")
        .then(|| format!("{} ({})", node.hostname, node.status.to_ascii_lowercase()))
}

/// Why `s` differs from `d`, if it does: config hash, host, constraints,
/// the image's ID on the manager.
fn drift(d: &Desired, s: &Service, look: &Look) -> Vec<String> {
    let label = |k: &str| s.labels.get(k).map(String::as_str);
    let mut why = Vec::new();
    if label(LABEL_HASH) != Some(d.hash.as_str()) {
        why.push("config changed (fleet.config-hash)".to_string());
    }
    if label(LABEL_HOST) != d.host.as_deref() {
        why.push(match &d.host {
            Some(h) => format!("pinned to host `{h}` now"),
            None => "no longer pinned to a host".into(),
        });
    }
    let have: BTreeSet<String> = (s.held.constraints.iter())
        .filter(|c| !is_pin(c))
        .map(|c| c.replace(' ', ""))
        .collect();
    let want: BTreeSet<String> = d.constraints.iter().map(|c| c.replace(' ', "")).collect();
    if have != want {
        why.push("placement constraints changed".into());
    }
    if let (Some(have), Some(now)) = (label(LABEL_IMAGE_ID), look.images.get(&d.spec.image))
        && have != now
    {
        why.push(format!("image `{}` is another image now", d.spec.image));
    }
    why
}

/// Why fleet may not change agent `s` now: the live exec sessions or the
/// claim of its container on the node its task runs on, or why fleet
/// cannot tell; `None` when it is idle (or has no running task).
fn busy(
    look: &Look,
    s: &Service,
    reads: Option<&Reads>,
    hosts_of_nodes: &BTreeMap<&str, &str>,
) -> Option<String> {
    let node = match standing(look, s) {
        Standing::Running { node, .. } => node,
        // No task running: nothing in it to be busy.
        _ => return None,
    };
    // A draft decides as if idle: its change is what makes the reads
    // happen, and the real decision guards it.
    let reads = reads?;
    let node_id = look.node(&node).map(|n| n.id.as_str()).unwrap_or("");
    let Some(host) = hosts_of_nodes.get(node_id) else {
        return Some(format!(
            "its node {node} is not one of the declared hosts, so fleet cannot see its exec sessions"
        ));
    };
    match reads.get(*host) {
        Some(Ok(read)) => (read.containers.iter())
            .find(|c| c.labels.get(LABEL_SWARM_SERVICE) == Some(&s.name) && c.state.running)
            .and_then(busy_words),
        Some(Err(e)) => Some(format!("host `{host}` (its node) could not be read: {e}")),
        None => Some(format!("host `{host}` (its node) was not read")),
    }
}

/// Why `fleet down` must spare agent `s` (see [`busy`]).
pub(crate) fn busy_reason(
    look: &Look,
    s: &Service,
    reads: &Reads,
    nodes: &BTreeMap<&str, &str>,
) -> Option<String> {
    busy(look, s, Some(reads), nodes)
}

/// `action` deferred when `why` says its agent is busy or fleet cannot
/// tell (unless `--force`).
fn guard(action: Action, why: Option<String>, opts: Options) -> Action {
    match why {
        Some(why) if !opts.force => deferred(action, &why),
        _ => action,
    }
}

fn action(d: Option<&Desired>, name: &str, bucket: Bucket, op: Option<ServiceOp>) -> Action {
    Action {
        name: name.to_string(),
        type_name: d.map(|d| d.type_name.clone()),
        bucket,
        rename: None,
        op: op.map_or(Op::Nothing, |o| Op::Service(Box::new(o))),
        reason: String::new(),
        matches: None,
        unready: None,
        host: None,
        moved_to: None,
    }
}

/// The node IDs of the hosts that were read: node ID → host.
pub(crate) fn hosts_of_nodes(reads: Option<&Reads>) -> BTreeMap<&str, &str> {
    (reads.into_iter().flatten())
        .filter_map(|(h, r)| r.as_ref().ok().map(|r| (r.node_id.as_str(), h.as_str())))
        .collect()
}

/// The constraints an agent's service gets: its type's, and its host's
/// node when pinned. `Err`: the pinned host's node is not known.
/// Without reads (a draft), the type's alone.
fn constraints(d: &Desired, look: &Look, reads: Option<&Reads>) -> Result<Vec<String>, String> {
    let mut c = d.constraints.clone();
    if let (Some(h), Some(reads)) = (&d.host, reads) {
        match reads.get(h) {
            Some(Ok(read)) if !look.nodes.iter().any(|n| n.id == read.node_id) => {
                return Err(format!(
                    "host `{h}`, its pinned node, is a node of another swarm (node ID {}): this swarm's `docker node ls` does not list it",
                    read.node_id
                ));
            }
            Some(Ok(read)) => c.push(pin(&read.node_id)),
            Some(Err(e)) => {
                return Err(format!(
                    "host `{h}`, its pinned node, could not be read: {e}"
                ));
            }
            None => return Err(format!("host `{h}`, its pinned node, was not read")),
        }
    }
    Ok(c)
}

/// The decisions for a swarm project. `reads`: the declared hosts' reads,
/// when a decision needs them (`None`: a first draft, to tell whether
/// they are needed; see [`needs_reads`]).
pub(crate) fn decide(
    project: &str,
    desired: &[Desired],
    look: &Look,
    reads: Option<&Reads>,
    opts: Options,
) -> Plan {
    let nodes = hosts_of_nodes(reads);
    let mut actions = Vec::new();
    for d in desired {
        let image_id = look.images.get(&d.spec.image).cloned();
        if look.foreign.contains(&d.name) {
            let mut a = action(Some(d), &d.name, Bucket::Failed, None);
            a.reason = format!(
                "the service name `{}` is held by a service that is not project `{project}`'s (no `fleet.project={project}` label): fleet never touches it; rename or remove that service",
                d.name
            );
            a.op = reported();
            actions.push(a);
            continue;
        }
        let Some(s) = look.service(&d.name) else {
            let mut a = action(Some(d), &d.name, Bucket::Created, None);
            match constraints(d, look, reads) {
                Ok(constraints) => {
                    a.reason = "no service yet".into();
                    a.op = Op::Service(Box::new(ServiceOp::Create {
                        desired: d.clone(),
                        constraints,
                        image_id,
                    }));
                }
                Err(why) => {
                    a.bucket = Bucket::Failed;
                    a.reason = why;
                    a.op = reported();
                }
            }
            actions.push(a);
            continue;
        };
        let st = standing(look, s);
        let on = match &st {
            Standing::Running { node, .. } => Some(node.clone()),
            Standing::NotRunning { node, .. } => node.clone(),
            _ => None,
        };
        let why = drift(d, s, look);
        let mut a = action(Some(d), &d.name, Bucket::Unchanged, None);
        a.host = on;
        a.matches = Some(why.is_empty());
        if !why.is_empty() {
            a.bucket = Bucket::Recreated;
            a.reason = why.join("; ");
            if let Some((state, _)) = &s.update
                && state == "rollback_completed"
            {
                a.reason += " (Swarm rolled the last update back)";
            }
            match constraints(d, look, reads) {
                Ok(constraints) => {
                    a.op = Op::Service(Box::new(ServiceOp::Update {
                        id: s.id.clone(),
                        desired: d.clone(),
                        held: Box::new(s.held.clone()),
                        constraints,
                        image_id,
                    }))
                }
                Err(why) => {
                    a.bucket = Bucket::Failed;
                    a.reason = format!("{}; {why}", a.reason);
                    a.op = reported();
                }
            }
            if a.bucket == Bucket::Recreated {
                if let Some((state, _)) = &s.update
                    && matches!(state.as_str(), "updating" | "rollback_started")
                {
                    a.bucket = Bucket::Deferred;
                    a.reason = format!(
                        "Swarm is still {}; would update: {}",
                        state.replace('_', " "),
                        a.reason
                    );
                    a.op = Op::Nothing;
                } else {
                    a = guard(a, busy(look, s, reads, &nodes), opts);
                }
            }
            actions.push(a);
            continue;
        }
        match st {
            Standing::Stopped => {
                a.bucket = Bucket::Started;
                a.reason = "scaled to 0 (fleet down): scaled to 1".into();
                a.op = Op::Service(Box::new(ServiceOp::Start { id: s.id.clone() }));
            }
            Standing::Running { node, from } => {
                a.reason = format!("running on {node}");
                if let Some(from) = from {
                    a.reason += &format!("{MOVED}{from})");
                }
                if let Some((state, msg)) = &s.update
                    && state.starts_with("rollback")
                {
                    a.reason += &format!(" (Swarm rolled its last update back: {msg})");
                }
            }
            Standing::Starting { words } => {
                a.reason = format!("starting: {words}");
            }
            Standing::NotRunning { why, .. } => {
                a.bucket = Bucket::Failed;
                a.reason = format!("not running: {why}");
                a.op = reported();
            }
        }
        actions.push(a);
    }
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    for s in look
        .services
        .iter()
        .filter(|s| !wanted.contains(s.name.as_str()))
    {
        let mut a = action(None, &s.name, Bucket::Removed, None);
        a.type_name = s.labels.get(crate::docker::argv::LABEL_TYPE).cloned();
        a.reason = "not in the config".into();
        a.op = Op::Service(Box::new(ServiceOp::Remove { id: s.id.clone() }));
        if let Standing::Running { node, .. } = standing(look, s) {
            a.host = Some(node);
        }
        actions.push(guard(a, busy(look, s, reads, &nodes), opts));
    }
    for (host, read) in reads.into_iter().flatten() {
        let Ok(read) = read else { continue };
        let plain = (read.containers.iter()).filter(|c| {
            c.project() == Some(project) && !c.labels.contains_key(LABEL_SWARM_SERVICE)
        });
        for c in plain {
            let mut a = action(None, &c.name, Bucket::Removed, None);
            a.type_name = c.type_name().map(String::from);
            a.host = Some(host.clone());
            a.reason = format!(
                "a plain container of this project on host `{host}`: the config runs its agents on the swarm now"
            );
            a.op = Op::Service(Box::new(ServiceOp::RemovePlain {
                host: host.clone(),
                id: c.id.clone(),
            }));
            actions.push(guard(a, busy_words(c), opts));
        }
    }
    Plan {
        project: project.to_string(),
        actions,
    }
}

/// Whether a draft's decisions need the nodes' reads: a change to make
/// (busy agents, pinned nodes, plain containers left on the hosts).
pub(crate) fn needs_reads(draft: &Plan) -> bool {
    (draft.actions.iter()).any(|a| match &a.op {
        Op::Service(op) => !matches!(op.as_ref(), ServiceOp::Reported),
        _ => false,
    })
}

/// The op of an agent fleet only reports on.
fn reported() -> Op {
    Op::Service(Box::new(ServiceOp::Reported))
}
