//! Every docker argv fleet issues on a swarm (DESIGN.md "Swarm"): the
//! manager's reads (services, tasks, nodes), a service's create, update,
//! scale and removal, the swarm lock (a `docker config` object), a node's
//! own swarm ID. Pure: argv built here and nowhere else.
//!
//! An agent is a service of one replica named as the agent. Its env goes
//! through the env-file channel on create (`--env-file /dev/stdin`) and
//! through the docker CLI's own environment on update (`--env-add KEY`,
//! the value looked up by the CLI: `service update` has no `--env-file`);
//! never on an argv.

use std::collections::{BTreeMap, BTreeSet};

use super::Cmd;
use super::argv::{LABEL_HASH, LABEL_HOST, LABEL_INSTANCE, LABEL_PROJECT, LABEL_TYPE};
use crate::config::swarm_args::{SwarmArgs, mount_spec, on_swarm};
use crate::config::{Desired, Spec};
use crate::spec::Restart;

/// The manager's image ID of the agent's image when it was created or
/// updated: an image retagged on the nodes is drift, as on a plain engine.
pub(crate) const LABEL_IMAGE_ID: &str = "fleet.image-id";

/// Docker's own label on a task's container: the service it belongs to.
pub(crate) const LABEL_SWARM_SERVICE: &str = "com.docker.swarm.service.name";

/// `docker service ls`: the project's services, IDs only.
pub fn list(project: &str) -> Cmd {
    Cmd::new([
        "service".to_string(),
        "ls".into(),
        "--quiet".into(),
        "--filter".into(),
        format!("label={LABEL_PROJECT}={project}"),
    ])
}

/// `docker service inspect ID…`, batched.
pub fn inspect<S: AsRef<str>>(ids: &[S]) -> Cmd {
    let mut args = vec!["service".to_string(), "inspect".into()];
    args.extend(ids.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// `docker service ps ID…`: every task of the services (the history Swarm
/// keeps included), one JSON object a line, newest first within a slot.
pub fn tasks<S: AsRef<str>>(ids: &[S]) -> Cmd {
    let mut args = vec![
        "service".to_string(),
        "ps".into(),
        "--no-trunc".into(),
        "--format".into(),
        "{{json .}}".into(),
    ];
    args.extend(ids.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// `docker node ls`: every node, one JSON object a line.
pub fn nodes() -> Cmd {
    Cmd::new(["node", "ls", "--format", "{{json .}}"])
}

/// The engine's own swarm node ID and state (`docker info`).
pub fn node_id() -> Cmd {
    Cmd::new([
        "info",
        "--format",
        "{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
    ])
}

/// What `service create` and `update` both set the same way.
fn common(args: &mut Vec<String>) {
    args.extend(
        [
            "--detach",
            "--no-resolve-image",
            "--update-failure-action",
            "rollback",
            "--update-order",
            "stop-first",
        ]
        .map(String::from),
    );
}

/// fleet's labels of an agent, on the service and on its containers.
fn fleet_labels(d: &Desired, image_id: Option<&str>) -> Vec<(String, String)> {
    let mut l = vec![
        (LABEL_PROJECT.to_string(), d.project.clone()),
        (LABEL_TYPE.to_string(), d.type_name.clone()),
        (LABEL_INSTANCE.to_string(), d.instance.to_string()),
        (LABEL_HASH.to_string(), d.hash.clone()),
    ];
    if let Some(h) = &d.host {
        l.push((LABEL_HOST.to_string(), h.clone()));
    }
    if let Some(id) = image_id {
        l.push((LABEL_IMAGE_ID.to_string(), id.to_string()));
    }
    l.extend(d.spec.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    l
}

/// Swarm's restart condition for a docker restart policy: `always` and
/// `unless-stopped` restart on any exit (a service has no "stopped by
/// hand"), `on-failure` on a failure, `no` never.
pub(crate) fn restart_condition(r: Restart) -> &'static str {
    match r {
        Restart::Always | Restart::UnlessStopped => "any",
        Restart::OnFailure => "on-failure",
        Restart::No => "none",
    }
}

/// A mount as `--mount` takes it ([`crate::config::swarm_args::mount_spec`]).
pub(crate) fn mount(m: &str) -> String {
    mount_spec(m)
}

/// The target of a `--mount` value (`target=`, `dst=` or `destination=`).
fn mount_target(m: &str) -> Option<&str> {
    m.split(',').find_map(|kv| match kv.split_once('=') {
        Some(("target" | "dst" | "destination", t)) => Some(t),
        _ => None,
    })
}

/// One word for a shell-like option (`--entrypoint`, `--args`: the CLI
/// splits them as a shell would): single-quoted unless plain.
pub(crate) fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

fn shell_line<S: AsRef<str>>(words: &[S]) -> String {
    let w: Vec<String> = words.iter().map(|w| shell_word(w.as_ref())).collect();
    w.join(" ")
}

/// The options of a spec that `create` and `update` spell alike.
fn spec_options(s: &Spec, args: &mut Vec<String>) {
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    push("--restart-condition", restart_condition(s.restart).into());
    if let Some(m) = &s.memory {
        push("--limit-memory", m.as_str().to_string());
    }
    if let Some(c) = s.cpus {
        push("--limit-cpu", c.to_string());
    }
    if let Some(h) = &s.healthcheck {
        args.extend(h.args());
    }
}

/// `docker service create` of agent `d`: one replica, its hostname the
/// agent's name, fleet's labels on the service and its containers, the
/// env on stdin. `constraints`: the type's, and a pinned agent's node.
pub fn create(d: &Desired, constraints: &[String], image_id: Option<&str>) -> Cmd {
    let s = &d.spec;
    let mut args = vec!["service".to_string(), "create".into()];
    common(&mut args);
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    push("--name", d.name.clone());
    push("--replicas", "1".into());
    push("--hostname", d.name.clone());
    for (k, v) in fleet_labels(d, image_id) {
        push("--label", format!("{k}={v}"));
        push("--container-label", format!("{k}={v}"));
    }
    if !s.env.is_empty() {
        push("--env-file", "/dev/stdin".into());
    }
    for m in &s.mounts {
        push("--mount", mount(m));
    }
    if let Some(w) = &s.workdir {
        push("--workdir", w.clone());
    }
    if let Some(u) = &s.user {
        push("--user", u.clone());
    }
    if let Some(n) = &s.network {
        push("--network", n.clone());
    }
    for c in constraints {
        push("--constraint", c.clone());
    }
    if s.init {
        args.push("--init".into());
    }
    create_run_args(&swarm_args(s), &mut args);
    spec_options(s, &mut args);
    let launch = s.launch();
    if let Some(program) = launch.program {
        args.push("--entrypoint".into());
        args.push(shell_word(program));
    }
    args.push(s.image.clone());
    args.extend(launch.args.into_iter().flatten().map(str::to_string));
    Cmd {
        args,
        env_file: s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ..Cmd::new(Vec::<String>::new())
    }
}

/// What a service holds now, as an update must undo it: its labels, its
/// containers' labels, env keys, mount targets and constraints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Held {
    pub labels: BTreeSet<String>,
    pub container_labels: BTreeSet<String>,
    pub env_keys: BTreeSet<String>,
    pub mount_targets: BTreeSet<String>,
    pub constraints: BTreeSet<String>,
    pub network: Option<String>,
    /// From run_args: `host:ip` entries, DNS servers, search domains and
    /// options, sysctl keys, ulimit names, groups, capabilities.
    pub hosts: BTreeSet<String>,
    pub dns: BTreeSet<String>,
    pub dns_search: BTreeSet<String>,
    pub dns_options: BTreeSet<String>,
    pub sysctls: BTreeSet<String>,
    pub ulimits: BTreeSet<String>,
    pub groups: BTreeSet<String>,
    pub cap_add: BTreeSet<String>,
    pub cap_drop: BTreeSet<String>,
}

/// A type's run_args on a swarm (checked by the config: they map).
fn swarm_args(s: &Spec) -> SwarmArgs {
    on_swarm(&s.run_args).unwrap_or_default()
}

/// The options of run_args as `service create` takes them.
fn create_run_args(a: &SwarmArgs, args: &mut Vec<String>) {
    let mut push = |flag: &str, value: &str| {
        args.push(flag.to_string());
        args.push(value.to_string());
    };
    for (k, v) in &a.labels {
        push("--container-label", &format!("{k}={v}"));
    }
    for m in &a.mounts {
        push("--mount", m);
    }
    let lists: [(&str, &Vec<String>); 8] = [
        ("--host", &a.hosts),
        ("--dns", &a.dns),
        ("--dns-search", &a.dns_search),
        ("--dns-option", &a.dns_options),
        ("--ulimit", &a.ulimits),
        ("--group", &a.groups),
        ("--cap-add", &a.cap_add),
        ("--cap-drop", &a.cap_drop),
    ];
    for (flag, values) in lists {
        for v in values {
            push(flag, v);
        }
    }
    for (k, v) in &a.sysctls {
        push("--sysctl", &format!("{k}={v}"));
    }
    let scalars = [
        ("--stop-signal", &a.stop_signal),
        ("--stop-grace-period", &a.stop_grace),
        ("--limit-pids", &a.pids_limit),
        ("--reserve-memory", &a.reserve_memory),
    ];
    for (flag, v) in scalars {
        if let Some(v) = v {
            push(flag, v);
        }
    }
    if a.read_only {
        args.push("--read-only".into());
    }
    if a.tty {
        args.push("--tty".into());
    }
}

/// The options of run_args as `service update` takes them: lists by what
/// to remove (held, not wanted) and to add (wanted, not held), scalars
/// set or set back to Swarm's default.
fn update_run_args(a: &SwarmArgs, held: &Held, args: &mut Vec<String>) {
    let mut push = |flag: &str, value: &str| {
        args.push(flag.to_string());
        args.push(value.to_string());
    };
    let lists: [(&str, &Vec<String>, &BTreeSet<String>); 6] = [
        ("host", &a.hosts, &held.hosts),
        ("dns", &a.dns, &held.dns),
        ("dns-search", &a.dns_search, &held.dns_search),
        ("dns-option", &a.dns_options, &held.dns_options),
        ("group", &a.groups, &held.groups),
        ("ulimit", &a.ulimits, &held.ulimits),
    ];
    for (name, want, have) in lists {
        let key = |v: &str| match name {
            "ulimit" => v.split('=').next().unwrap_or(v).to_string(),
            _ => v.to_string(),
        };
        let wanted: BTreeSet<String> = want.iter().map(|v| key(v)).collect();
        for h in have.iter().filter(|h| !wanted.contains(*h)) {
            push(&format!("--{name}-rm"), h);
        }
        for w in want
            .iter()
            .filter(|w| name == "ulimit" || !have.contains(*w))
        {
            push(&format!("--{name}-add"), w);
        }
    }
    let keys: BTreeSet<&str> = a.sysctls.iter().map(|(k, _)| k.as_str()).collect();
    for k in held.sysctls.iter().filter(|k| !keys.contains(k.as_str())) {
        push("--sysctl-rm", k);
    }
    for (k, v) in &a.sysctls {
        push("--sysctl-add", &format!("{k}={v}"));
    }
    // `service update` has no way back to the default set: a capability
    // no longer added is dropped, one no longer dropped is added. Swarm
    // keeps them as `CAP_X`.
    let cap = |c: &String| match c.to_ascii_uppercase() {
        u if u.starts_with("CAP_") || u == "ALL" => u,
        u => format!("CAP_{u}"),
    };
    let (add, drop): (BTreeSet<String>, BTreeSet<String>) = (
        a.cap_add.iter().map(cap).collect(),
        a.cap_drop.iter().map(cap).collect(),
    );
    let (had_add, had_drop): (BTreeSet<String>, BTreeSet<String>) = (
        held.cap_add.iter().map(cap).collect(),
        held.cap_drop.iter().map(cap).collect(),
    );
    for c in add.difference(&had_add).chain(had_drop.difference(&drop)) {
        push("--cap-add", c);
    }
    for c in drop.difference(&had_drop).chain(had_add.difference(&add)) {
        push("--cap-drop", c);
    }
    push("--stop-signal", a.stop_signal.as_deref().unwrap_or(""));
    push(
        "--stop-grace-period",
        a.stop_grace.as_deref().unwrap_or("10s"),
    );
    push("--limit-pids", a.pids_limit.as_deref().unwrap_or("0"));
    push(
        "--reserve-memory",
        a.reserve_memory.as_deref().unwrap_or("0"),
    );
    args.push(format!("--read-only={}", a.read_only));
    args.push(format!("--tty={}", a.tty));
}

/// `docker service update` of agent `d`'s service `id` to its config:
/// everything set again, what the service holds and the config does not
/// removed, the env values in the CLI's environment (`--env-add KEY`).
/// Swarm rolls back by itself when the new task fails.
pub fn update(
    id: &str,
    d: &Desired,
    held: &Held,
    constraints: &[String],
    image_id: Option<&str>,
) -> Cmd {
    let s = &d.spec;
    let mut args = vec!["service".to_string(), "update".into()];
    common(&mut args);
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    let sa = swarm_args(s);
    push("--image", s.image.clone());
    push("--hostname", d.name.clone());
    // Running again too: a sync brings every agent up, as on a host.
    push("--replicas", "1".into());
    let labels: BTreeMap<String, String> = fleet_labels(d, image_id).into_iter().collect();
    let mut container_labels = labels.clone();
    container_labels.extend(sa.labels.iter().cloned());
    for k in held.labels.iter().filter(|k| !labels.contains_key(*k)) {
        push("--label-rm", k.clone());
    }
    for k in (held.container_labels.iter()).filter(|k| !container_labels.contains_key(*k)) {
        push("--container-label-rm", k.clone());
    }
    for (k, v) in &labels {
        push("--label-add", format!("{k}={v}"));
    }
    for (k, v) in &container_labels {
        push("--container-label-add", format!("{k}={v}"));
    }
    for k in held.env_keys.iter().filter(|k| !s.env.contains_key(*k)) {
        push("--env-rm", k.clone());
    }
    for k in s.env.keys() {
        push("--env-add", k.clone());
    }
    // The CLI adds (replacing by target) before it removes: a target
    // removed and added again would be gone.
    let mounts: Vec<String> = (s.mounts.iter().map(|m| mount(m)))
        .chain(sa.mounts.iter().cloned())
        .collect();
    let targets: BTreeSet<&str> = mounts.iter().filter_map(|m| mount_target(m)).collect();
    for t in held
        .mount_targets
        .iter()
        .filter(|t| !targets.contains(t.as_str()))
    {
        push("--mount-rm", t.clone());
    }
    for m in mounts {
        push("--mount-add", m);
    }
    push("--workdir", s.workdir.clone().unwrap_or_default());
    push("--user", s.user.clone().unwrap_or_default());
    if held.network.as_deref() != s.network.as_deref() {
        if let Some(n) = &held.network {
            push("--network-rm", n.clone());
        }
        if let Some(n) = &s.network {
            push("--network-add", n.clone());
        }
    }
    let want: BTreeSet<&String> = constraints.iter().collect();
    for c in held.constraints.iter().filter(|c| !want.contains(c)) {
        push("--constraint-rm", c.clone());
    }
    for c in constraints {
        push("--constraint-add", c.clone());
    }
    args.push(format!("--init={}", s.init));
    update_run_args(&sa, held, &mut args);
    spec_options(s, &mut args);
    let launch = s.launch();
    args.push("--entrypoint".into());
    args.push(launch.program.map(shell_word).unwrap_or_default());
    args.push("--args".into());
    args.push(launch.args.map(|a| shell_line(&a)).unwrap_or_default());
    args.push(id.to_string());
    Cmd {
        args,
        env_vars: s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ..Cmd::new(Vec::<String>::new())
    }
}

/// `docker service scale --detach NAME=N…`, batched.
pub fn scale<S: AsRef<str>>(names: &[S], replicas: u32) -> Cmd {
    let mut args = vec!["service".to_string(), "scale".into(), "--detach".into()];
    args.extend(names.iter().map(|n| format!("{}={replicas}", n.as_ref())));
    Cmd::new(args)
}

/// `docker service rm ID…`, batched.
pub fn remove<S: AsRef<str>>(ids: &[S]) -> Cmd {
    let mut args = vec!["service".to_string(), "rm".into()];
    args.extend(ids.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// `docker config create` of the swarm lock: labels in order, a fixed
/// line of data on stdin (Swarm refuses an empty config).
pub fn lock_create(name: &str, labels: &[(&str, String)]) -> Cmd {
    let mut args = vec!["config".to_string(), "create".into()];
    for (k, v) in labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    args.push(name.to_string());
    args.push("-".into());
    Cmd {
        args,
        input: Some("fleet lock\n".into()),
        ..Cmd::new(Vec::<String>::new())
    }
}

/// `docker config inspect NAME`.
pub fn lock_inspect(name: &str) -> Cmd {
    Cmd::new(["config", "inspect", name])
}

/// `docker config rm ID`.
pub fn lock_remove(id: &str) -> Cmd {
    Cmd::new(["config", "rm", id])
}
