//! Every docker argv fleet issues is built here, and nowhere else. Pure
//! functions: no process, no I/O.

use super::Cmd;
use crate::config::Desired;

/// Label keys fleet puts on every managed container.
pub(crate) const LABEL_PROJECT: &str = "fleet.project";
/// The label of a `fleet exec` claim's container: its project.
pub(crate) const LABEL_CLAIM: &str = "fleet.claim";
pub(crate) const LABEL_TYPE: &str = "fleet.type";
pub(crate) const LABEL_INSTANCE: &str = "fleet.instance";
pub(crate) const LABEL_HASH: &str = "fleet.config-hash";
/// The host a container was placed on, when the config declares hosts.
/// Informational: a container belongs to the engine it is found on.
pub(crate) const LABEL_HOST: &str = "fleet.host";

/// Suffix of the name a replacement is created under during a recreate.
/// Desired names end in `-default` or `-<number>`, so they never end in this.
pub(crate) const TEMP_SUFFIX: &str = ".fleet-next";

/// The one listing: every container (running or not) with its full ID, name
/// and labels as JSON (a label value may hold a tab or a line break; quoted,
/// it cannot forge a line), tab-separated. Foreign containers are listed
/// too so a desired name held by one is seen as a conflict. `.Labels`, not
/// `.Label "…"`: podman before 5 has no `.Label`; docker prints the labels
/// as one `k=v,k=v` string, podman as an object.
pub fn list_all() -> Cmd {
    Cmd::new([
        "ps",
        "-a",
        "--no-trunc",
        "--format",
        "{{.ID}}\t{{.Names}}\t{{json .Labels}}",
    ])
}

/// The `fleet exec` claims of `project` (their containers), listed as
/// [`list_all`] lists: for `down`, which spares a claimed agent.
pub fn list_claims(project: &str) -> Cmd {
    Cmd::new([
        "ps".to_string(),
        "-a".into(),
        "--no-trunc".into(),
        "--filter".into(),
        format!("label={LABEL_CLAIM}={project}"),
        "--format".into(),
        "{{.ID}}\t{{.Names}}\t{{json .Labels}}".into(),
    ])
}

/// The project's containers only, for `up` and `down`, which then inspect
/// them: `{{.State}}` is the human status on podman before 4.6
/// (`Exited (137) 1 second ago`), so states come from the inspect.
pub fn list_project(project: &str) -> Cmd {
    Cmd::new([
        "ps".to_string(),
        "-a".into(),
        "--no-trunc".into(),
        "--filter".into(),
        format!("label={LABEL_PROJECT}={project}"),
        "--format".into(),
        "{{.ID}}\t{{.Names}}".into(),
    ])
}

/// One batched `docker inspect` of many containers.
pub fn inspect<S: AsRef<str>>(ids: &[S]) -> Cmd {
    let mut args = vec!["inspect".to_string(), "--type".into(), "container".into()];
    args.extend(ids.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// One batched `docker image inspect`: a line `<id>\t<env json>` for each
/// image that exists, in argument order; missing ones are named on stderr.
pub fn image_inspect<S: AsRef<str>>(refs: &[S]) -> Cmd {
    let mut args = vec![
        "image".to_string(),
        "inspect".into(),
        "--format".into(),
        "{{.Id}}\t{{json .Config.Env}}".into(),
    ];
    args.extend(refs.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// The `exec_create` events of the last `since_secs` seconds, up to now,
/// one `<container ID>\t<exec ID>\t<action as JSON>` line each: how a
/// health probe's exec session is told from a dispatcher's (the CLI
/// cannot inspect an exec ID). The engine keeps its last 256 events.
/// `until` is a Unix time with nanoseconds: the CLI cuts a relative one
/// (`0s`) to the second, which leaves out the events of this second.
pub fn exec_events(since_secs: u64, until: &str) -> Cmd {
    Cmd::new([
        "events".to_string(),
        "--since".into(),
        format!("{since_secs}s"),
        "--until".into(),
        until.to_string(),
        "--filter".into(),
        "type=container".into(),
        "--filter".into(),
        "event=exec_create".into(),
        "--format".into(),
        "{{.Actor.ID}}\t{{.Actor.Attributes.execID}}\t{{json .Action}}".into(),
    ])
}

/// `docker run -d` for a container that does not exist yet.
pub fn run_cmd(d: &Desired) -> Cmd {
    let mut args = vec![
        "run".to_string(),
        "-d".into(),
        "--name".into(),
        d.name.clone(),
    ];
    let env_file = container_args(d, &mut args);
    Cmd {
        args,
        env_file,
        ..Cmd::new(Vec::<String>::new())
    }
}

/// `docker create` of a replacement under the temporary name.
pub fn create_cmd(d: &Desired) -> Cmd {
    let mut args = vec!["create".to_string(), "--name".into(), temp_name(&d.name)];
    let env_file = container_args(d, &mut args);
    Cmd {
        args,
        env_file,
        ..Cmd::new(Vec::<String>::new())
    }
}

/// The temporary name of `name`'s replacement.
pub(crate) fn temp_name(name: &str) -> String {
    format!("{name}{TEMP_SUFFIX}")
}

/// Appends everything after the name: labels, options, image, argv. Returns
/// the agent env, which travels on the child's stdin as an env file
/// (`--env-file /dev/stdin` on the line): neither on an argv nor in the
/// docker process's own environment.
fn container_args(d: &Desired, args: &mut Vec<String>) -> Vec<(String, String)> {
    let s = &d.spec;
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    push("--label", format!("{LABEL_PROJECT}={}", d.project));
    push("--label", format!("{LABEL_TYPE}={}", d.type_name));
    push("--label", format!("{LABEL_INSTANCE}={}", d.instance));
    push("--label", format!("{LABEL_HASH}={}", d.hash));
    if let Some(h) = &d.host {
        push("--label", format!("{LABEL_HOST}={h}"));
    }
    for (k, v) in &s.labels {
        push("--label", format!("{k}={v}"));
    }
    push("--restart", s.restart.as_str().to_string());
    if !s.env.is_empty() {
        push("--env-file", "/dev/stdin".into());
    }
    for m in &s.mounts {
        push("--volume", m.clone());
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
    if let Some(m) = &s.memory {
        push("--memory", m.as_str().to_string());
    }
    if let Some(c) = s.cpus {
        push("--cpus", c.to_string());
    }
    if s.init {
        args.push("--init".into());
    }
    if let Some(h) = &s.healthcheck {
        args.extend(h.args());
    }
    let launch = s.launch();
    if let Some(program) = launch.program {
        args.push("--entrypoint".into());
        args.push(program.to_string());
    }
    args.extend(s.run_args.iter().cloned());
    args.push(s.image.clone());
    args.extend(launch.args.into_iter().flatten().map(str::to_string));
    s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub fn start<S: AsRef<str>>(ids: &[S]) -> Cmd {
    verb_many("start", &[], ids)
}

pub fn unpause<S: AsRef<str>>(ids: &[S]) -> Cmd {
    verb_many("unpause", &[], ids)
}

pub fn remove<S: AsRef<str>>(ids: &[S]) -> Cmd {
    verb_many("rm", &["-f"], ids)
}

pub fn stop<S: AsRef<str>>(grace_seconds: u32, ids: &[S]) -> Cmd {
    verb_many("stop", &["-t", &grace_seconds.to_string()], ids)
}

/// The last lines a container printed, for the report of a replacement
/// that exited at once (they are gone once it is removed).
pub fn logs_tail(id: &str, lines: u32) -> Cmd {
    Cmd::new(["logs", "--tail", &lines.to_string(), id])
}

pub fn rename(id: &str, new_name: &str) -> Cmd {
    Cmd::new(["rename", id, new_name])
}

fn verb_many<S: AsRef<str>>(verb: &str, flags: &[&str], ids: &[S]) -> Cmd {
    let mut args = vec![verb.to_string()];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.extend(ids.iter().map(|s| s.as_ref().to_string()));
    Cmd::new(args)
}

/// The image of the engine lock's container (`engine_lock`): an empty one,
/// made on the engine by [`lock_image_import`] when it is missing.
pub(crate) const LOCK_IMAGE: &str = "fleet-lock:1";

/// `docker create` of the engine lock: never started, no network, never
/// pulled (`--pull never`: without it, docker 20.10 asks the registry for
/// a missing `fleet-lock:1`, and would run whatever a registry serves
/// under that name). `labels` in order.
pub fn lock_create(name: &str, labels: &[(&str, String)]) -> Cmd {
    let mut args = vec![
        "create".to_string(),
        "--pull".into(),
        "never".into(),
        "--name".into(),
        name.to_string(),
        "--network".into(),
        "none".into(),
    ];
    for (k, v) in labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    args.push(LOCK_IMAGE.into());
    args.push("fleet-lock".into());
    Cmd::new(args)
}

/// Makes [`LOCK_IMAGE`] from nothing: an empty layer (the CLI reads
/// `/dev/null` on this machine and sends it, so it works on a remote
/// engine too), 0 bytes on the engine.
pub(crate) fn lock_image_import() -> Cmd {
    Cmd::new([
        "import",
        "--change",
        "LABEL fleet.lock=1",
        "/dev/null",
        LOCK_IMAGE,
    ])
}

/// `docker rm` of one container by its ID, without `-f`: the lock's
/// container never runs, so a running container under an ID is never ours.
pub(crate) fn remove_one(id: &str) -> Cmd {
    Cmd::new(["rm", id])
}

/// The engine's clock, as a JSON string (docker; podman's `info` has no
/// `SystemTime` and fails).
pub fn engine_time() -> Cmd {
    Cmd::new(["info", "--format", "{{json .SystemTime}}"])
}
