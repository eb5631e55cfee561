//! A swarm on the fake runner (issue 19): every path's exact docker calls,
//! and what must not run. (The real swarm's scenarios are in
//! swarm_real.rs.)

use fleet::config::Desired;
use fleet::docker::service::{self, Held};
use fleet::docker::{Cmd, Output, argv};

use crate::fake::ANY;
use crate::harness::{Ran, World, check, listing};
use crate::placement::at;
use crate::support::{Existing, IMG, desired};

const M: &str = "unix:///run/m1.sock";
const W: &str = "unix:///run/w1.sock";
const SECRET: &str = "s3cr3t-value";

/// Two hosts, m1 the manager; `coder` ×2 Swarm's to place, `pinned` on w1.
const SWARM: &str = r#"{
  "project": "p",
  "hosts": { "m1": { "docker_host": "unix:///run/m1.sock" }, "w1": { "docker_host": "unix:///run/w1.sock" } },
  "swarm": { "manager": "m1" },
  "defaults": { "image": "agent:latest", "command": ["sleep", "infinity"], "env": { "TOKEN": "s3cr3t-value" } },
  "types": {
    "coder": { "instances": 2 },
    "pinned": { "hosts": ["w1"] }
  }
}"#;

fn agent(name: &str) -> Desired {
    desired(SWARM).into_iter().find(|d| d.name == name).unwrap()
}

fn sid(name: &str) -> String {
    format!("svc-{name}")
}

/// `service inspect`'s object for agent `name` as fleet made it, its hash
/// `hash` (the config's when `None`).
fn service_json(
    name: &str,
    hash: Option<&str>,
    replicas: u64,
    update: Option<&str>,
) -> serde_json::Value {
    let d = agent(name);
    let mut labels = serde_json::json!({
        "fleet.project": "p",
        "fleet.type": d.type_name,
        "fleet.instance": d.instance.to_string(),
        "fleet.config-hash": hash.unwrap_or(&d.hash),
        "fleet.image-id": IMG,
    });
    let mut constraints = vec![];
    if let Some(h) = &d.host {
        labels["fleet.host"] = serde_json::json!(h);
        constraints.push("node.id==node-w1".to_string());
    }
    let mut v = serde_json::json!({
        "ID": sid(name),
        "Spec": {
            "Name": name,
            "Labels": labels,
            "TaskTemplate": {
                "ContainerSpec": { "Labels": labels, "Env": ["TOKEN=s3cr3t-value"] },
                "Placement": { "Constraints": constraints }
            },
            "Mode": { "Replicated": { "Replicas": replicas } }
        }
    });
    if let Some(state) = update {
        v["UpdateStatus"] =
            serde_json::json!({ "State": state, "Message": format!("update {state}") });
    }
    v
}

fn task_line(name: &str, node: &str, desired: &str, current: &str, error: &str) -> String {
    serde_json::json!({
        "ID": format!("task-{name}-{node}-{}", current.split_whitespace().next().unwrap_or("")),
        "Name": format!("{name}.1"),
        "Image": "agent:latest",
        "Node": node,
        "DesiredState": desired,
        "CurrentState": current,
        // The CLI quotes it (Go's %q).
        "Error": if error.is_empty() { String::new() } else { format!("{error:?}") },
        "Ports": ""
    })
    .to_string()
        + "\n"
}

const NAMES: [&str; 3] = ["coder-default", "coder-2", "pinned-default"];

const NODES: &str = "{\"Availability\":\"Active\",\"Hostname\":\"node-1\",\"ID\":\"node-m1\",\"Status\":\"Ready\"}\n{\"Availability\":\"Active\",\"Hostname\":\"node-2\",\"ID\":\"node-w1\",\"Status\":\"Ready\"}\n";

/// The manager's look: `services` (name, service JSON) and their tasks.
fn look(w: World, services: &[(&str, serde_json::Value)], tasks: &str) -> World {
    look_with(w, services, tasks, NODES)
}

/// Docker's answer to a batched call over `refs` of which `found` exist:
/// their output, and `no such service` of the others (exit 1).
fn partial(stdout: String, refs: &[String], found: &[String], prefix: &str) -> Output {
    let missing: Vec<String> = (refs.iter())
        .filter(|r| !found.contains(r))
        .map(|r| format!("{prefix}no such service: {r}\n"))
        .collect();
    match missing.is_empty() {
        true => Output::ok(stdout),
        false => Output {
            code: Some(1),
            stdout,
            stderr: missing.concat(),
        },
    }
}

/// [`look`] with `nodes` as `node ls` prints them. The declared agents'
/// services are read by name beside `service ls`; services of the project
/// the names miss, by ID after it.
fn look_with(w: World, services: &[(&str, serde_json::Value)], tasks: &str, nodes: &str) -> World {
    let names: Vec<String> = desired(SWARM).into_iter().map(|d| d.name).collect();
    let declared = |n: &str| names.iter().any(|m| m == n);
    // `service ls` cuts IDs to 12 characters.
    let ids: Vec<String> = (services.iter())
        .map(|(n, _)| sid(n).chars().take(12).collect())
        .collect();
    let found: Vec<String> = (services.iter())
        .map(|(n, _)| n.to_string())
        .filter(|n| declared(n))
        .collect();
    let docs = |keep: &dyn Fn(&str) -> bool| -> String {
        let d: Vec<&serde_json::Value> = (services.iter())
            .filter(|(n, _)| keep(n))
            .map(|(_, v)| v)
            .collect();
        serde_json::to_string(&d).unwrap()
    };
    let task_lines = |keep: &dyn Fn(&str) -> bool| -> String {
        (tasks.lines())
            .filter(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let name = v["Name"].as_str().unwrap();
                keep(name.rsplit_once('.').unwrap().0)
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let mut w = w
        .expect_cmd(at(M, service::list("p")), Ok(Output::ok(ids.join("\n"))))
        .expect_cmd(at(M, service::nodes()), Ok(Output::ok(nodes)))
        .expect_cmd(
            at(M, argv::image_inspect(&["agent:latest"])),
            Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
        )
        .expect_cmd(
            at(M, service::inspect(&names)),
            Ok(partial(docs(&declared), &names, &found, "Error: ")),
        )
        .expect_cmd(
            at(M, service::tasks(&names)),
            Ok(partial(task_lines(&declared), &names, &found, "")),
        );
    let orphan = |n: &str| !declared(n);
    let orphans: Vec<String> = (services.iter())
        .filter(|(n, _)| orphan(n))
        .map(|(n, _)| sid(n).chars().take(12).collect())
        .collect();
    if !orphans.is_empty() {
        w = w
            .expect_cmd(
                at(M, service::inspect(&orphans)),
                Ok(Output::ok(docs(&orphan))),
            )
            .expect_cmd(
                at(M, service::tasks(&orphans)),
                Ok(Output::ok(task_lines(&orphan))),
            );
    }
    w
}

/// Every agent's service as fleet made it, each task running (coder-default
/// on node-1, coder-2 and pinned-default on node-2).
fn converged(w: World) -> World {
    let services = [
        (
            "coder-default",
            service_json("coder-default", None, 1, None),
        ),
        ("coder-2", service_json("coder-2", None, 1, None)),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    look(w, &services, &running_tasks())
}

fn running_tasks() -> String {
    task_line(
        "coder-default",
        "node-1",
        "Running",
        "Running 5 minutes ago",
        "",
    ) + &task_line("coder-2", "node-2", "Running", "Running 5 minutes ago", "")
        + &task_line(
            "pinned-default",
            "node-2",
            "Running",
            "Running 5 minutes ago",
            "",
        )
}

/// A task container of agent `name` on a node's engine.
fn task_container(name: &str) -> Existing {
    let mut e = Existing::matching(&agent(name));
    e.id = crate::support::hex_id(&format!("task-{name}"));
    e.name = format!("{name}.1.task{name}");
    e.labels.insert(
        "com.docker.swarm.service.name".into(),
        serde_json::json!(name),
    );
    e
}

/// The reads of both hosts: m1's engine is node-m1 holding `on_m1`, w1's
/// node-w1 holding `on_w1`.
fn reads(w: World, on_m1: &[Existing], on_w1: &[Existing]) -> World {
    let mut w = w;
    for (url, node, existing) in [(M, "node-m1", on_m1), (W, "node-w1", on_w1)] {
        w = w
            .expect_cmd(
                at(url, service::node_id()),
                Ok(Output::ok(format!("{node} active true\n"))),
            )
            .expect_cmd(at(url, argv::list_all()), Ok(Output::ok(listing(existing))));
        if !existing.is_empty() {
            let ids: Vec<&str> = existing.iter().map(|e| e.id.as_str()).collect();
            let doc: Vec<serde_json::Value> = existing.iter().map(Existing::to_json).collect();
            w = w.expect_cmd(
                at(url, argv::inspect(&ids)),
                Ok(Output::ok(serde_json::to_string(&doc).unwrap())),
            );
        }
    }
    w
}

fn lock_create() -> Cmd {
    let mut args: Vec<String> = vec!["config".into(), "create".into()];
    args.extend(["--label".into(), "fleet.lock=p".into()]);
    for _ in 0..6 {
        args.extend(["--label".into(), ANY.into()]);
    }
    args.extend(["--label".into(), "fleet.lock.host=m1".into()]);
    args.extend(["p.fleet-lock".into(), "-".into()]);
    at(M, Cmd::new(args))
}

/// The swarm's lock taken (config ID `lockid`) and released.
fn locked(w: World) -> World {
    w.expect_cmd(lock_create(), Ok(Output::ok("lockid\n")))
        .expect_cmd(
            at(M, service::lock_remove("lockid")),
            Ok(Output::ok("lockid\n")),
        )
}

fn lines(r: &Ran) -> Vec<String> {
    r.calls.iter().map(Cmd::full_line).collect()
}

fn position(r: &Ran, what: &str) -> usize {
    lines(r)
        .iter()
        .position(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no `{what}`: {r:?}"))
}

/// The secret is on no argv, and travels only in the channel given.
fn secret_off_argv(r: &Ran) {
    for c in &r.calls {
        assert!(!c.full_line().contains(SECRET), "{}", c.full_line());
    }
    assert!(
        !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
        "{r:?}"
    );
}

#[test]
fn a_cold_sync_creates_a_service_per_agent_under_the_swarm_lock_env_on_stdin() {
    let w = look(World::new(SWARM), &[], "");
    let w = locked(w);
    let w = look(w, &[], "");
    let mut w = reads(w, &[], &[]);
    for name in ["coder-default", "coder-2", "pinned-default"] {
        let d = agent(name);
        let pin = if d.host.is_some() {
            vec!["node.id==node-w1".to_string()]
        } else {
            vec![]
        };
        w = w.expect_cmd(
            at(M, service::create(&d, &pin, Some(IMG))),
            Ok(Output::ok(format!("{}\n", sid(name)))),
        );
    }
    let r = check(&["--jobs", "1", "sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    secret_off_argv(&r);
    let creates: Vec<&Cmd> = r
        .calls
        .iter()
        .filter(|c| c.args.get(1).is_some_and(|a| a == "create") && c.args[0] == "service")
        .collect();
    assert_eq!(creates.len(), 3, "{r:?}");
    for c in &creates {
        assert_eq!(c.env_file, vec![("TOKEN".to_string(), SECRET.to_string())]);
        assert!(c.env_vars.is_empty());
    }
    // Under the lock: taken before the first create, released after the last.
    let first_create = position(&r, "service create");
    assert!(position(&r, "config create") < first_create, "{r:?}");
    assert!(position(&r, "config rm lockid") > first_create, "{r:?}");
    insta::assert_snapshot!(
        "swarm_create_argv",
        at(
            M,
            service::create(
                &agent("pinned-default"),
                &["node.id==node-w1".into()],
                Some(IMG)
            )
        )
        .full_line()
    );
    assert!(
        r.stdout
            .contains("created: coder-default, coder-2, pinned-default"),
        "{r:?}"
    );
}

#[test]
fn a_no_op_sync_reads_the_manager_five_times_and_nothing_else() {
    let r = check(&["sync"], converged(World::new(SWARM)));
    assert_eq!(r.code, 0, "{r:?}");
    let mut verbs: Vec<String> = (r.calls.iter())
        .map(|c| {
            assert_eq!(c.global, ["--host", M], "{r:?}");
            c.args[..2].join(" ")
        })
        .collect();
    verbs.sort();
    assert_eq!(
        verbs,
        [
            "image inspect",
            "node ls",
            "service inspect",
            "service ls",
            "service ps"
        ],
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("unchanged: coder-default@node-1, coder-2@node-2, pinned-default@node-2"),
        "{r:?}"
    );
}

fn drifted(w: World) -> World {
    let services = [
        (
            "coder-default",
            service_json("coder-default", Some("sha256:old"), 1, None),
        ),
        (
            "coder-2",
            service_json("coder-2", Some("sha256:old"), 1, None),
        ),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    look(w, &services, &running_tasks())
}

fn update_cmd(name: &str) -> Cmd {
    let d = agent(name);
    let held = Held {
        labels: [
            "fleet.config-hash",
            "fleet.image-id",
            "fleet.instance",
            "fleet.project",
            "fleet.type",
        ]
        .map(String::from)
        .into(),
        container_labels: [
            "fleet.config-hash",
            "fleet.image-id",
            "fleet.instance",
            "fleet.project",
            "fleet.type",
        ]
        .map(String::from)
        .into(),
        env_keys: ["TOKEN".to_string()].into(),
        ..Held::default()
    };
    at(M, service::update(&sid(name), &d, &held, &[], Some(IMG)))
}

/// Swarm's update of `name` followed: one inspect answering `state`.
fn followed(w: World, name: &str, state: &str) -> World {
    w.expect_cmd(
        at(M, service::inspect(&[sid(name)])),
        Ok(Output::ok(
            serde_json::json!([service_json(name, None, 1, Some(state))]).to_string(),
        )),
    )
}

#[test]
fn drift_of_one_type_updates_only_its_agents_one_at_a_time_env_in_the_clis_environment() {
    let on_m1 = [task_container("coder-default")];
    let on_w1 = [task_container("coder-2"), task_container("pinned-default")];
    let w = locked(drifted(World::new(SWARM)));
    let w = reads(drifted(w), &on_m1, &on_w1);
    let w = w
        .expect_cmd(update_cmd("coder-default"), Ok(Output::ok("svc\n")))
        .expect_cmd(update_cmd("coder-2"), Ok(Output::ok("svc\n")));
    let w = followed(
        followed(w, "coder-default", "completed"),
        "coder-2",
        "completed",
    );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    secret_off_argv(&r);
    let updates: Vec<&Cmd> = (r.calls.iter())
        .filter(|c| c.args.get(1).is_some_and(|a| a == "update"))
        .collect();
    assert_eq!(updates.len(), 2, "{r:?}");
    for u in &updates {
        assert_eq!(u.env_vars, vec![("TOKEN".to_string(), SECRET.to_string())]);
        assert!(u.env_file.is_empty());
        assert!(
            u.args.windows(2).any(|p| p == ["--env-add", "TOKEN"]),
            "{u:?}"
        );
    }
    // max_unavailable 1: the second update only after the first finished.
    let ls = lines(&r);
    let first_follow = ls
        .iter()
        .position(|l| l.ends_with(&format!("service inspect {}", sid("coder-default"))))
        .unwrap();
    assert!(position(&r, "service update") < first_follow, "{r:?}");
    assert!(
        ls.iter()
            .position(|l| l.contains("service update") && l.ends_with(&sid("coder-2")))
            .unwrap()
            > first_follow,
        "{r:?}"
    );
    assert!(
        !ls.iter()
            .any(|l| l.contains("pinned-default") && l.contains("update")),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("recreated: coder-default@node-1, coder-2@node-2"),
        "{r:?}"
    );
    insta::assert_snapshot!("swarm_update_argv", update_cmd("coder-2").full_line());
}

#[test]
fn a_busy_agent_is_deferred_and_no_update_fires_for_it() {
    let mut busy = task_container("coder-2");
    busy.exec_ids = vec!["exec1".into()];
    let on_m1 = [task_container("coder-default")];
    let on_w1 = [busy, task_container("pinned-default")];
    let w = locked(drifted(World::new(SWARM)));
    let w = reads(drifted(w), &on_m1, &on_w1);
    let w = w.expect_cmd(update_cmd("coder-default"), Ok(Output::ok("svc\n")));
    let w = followed(w, "coder-default", "completed");
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !lines(&r)
            .iter()
            .any(|l| l.contains("update") && l.ends_with(&sid("coder-2"))),
        "{r:?}"
    );
    assert!(r.stdout.contains("deferred: coder-2@node-2"), "{r:?}");
    assert!(
        r.stderr.contains("1 live exec session; would update"),
        "{r:?}"
    );
}

#[test]
fn an_update_swarm_rolled_back_fails_with_the_tasks_words_and_keeps_the_agent() {
    let on_m1 = [task_container("coder-default")];
    let on_w1 = [task_container("coder-2"), task_container("pinned-default")];
    let services = [
        (
            "coder-default",
            service_json("coder-default", Some("sha256:old"), 1, None),
        ),
        ("coder-2", service_json("coder-2", None, 1, None)),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    let w = locked(look(World::new(SWARM), &services, &running_tasks()));
    let w = reads(look(w, &services, &running_tasks()), &on_m1, &on_w1);
    let w = w.expect_cmd(update_cmd("coder-default"), Ok(Output::ok("svc\n")));
    let w = followed(w, "coder-default", "rollback_completed");
    let w = w.expect_cmd(
        at(M, service::tasks(&[sid("coder-default")])),
        Ok(Output::ok(
            task_line(
                "coder-default",
                "node-1",
                "Running",
                "Running 1 second ago",
                "",
            ) + &task_line(
                "coder-default",
                "node-1",
                "Shutdown",
                "Failed 5 seconds ago",
                "task: non-zero exit (3)",
            ),
        )),
    );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("non-zero exit (3)"), "{r:?}");
    assert!(
        r.stderr.contains("`coder-default@node-1`: Swarm rolled the update back, and the agent runs its previous spec: the new task was failed on node-1: task: non-zero exit (3)"),
        "{r:?}"
    );
}

#[test]
fn an_orphan_service_is_removed_by_id_and_a_task_not_running_says_swarms_reason() {
    let services = [
        (
            "coder-default",
            service_json("coder-default", None, 1, None),
        ),
        ("coder-2", service_json("coder-2", None, 1, None)),
        ("coder-3", service_json("coder-default", None, 1, None)),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    let mut services = services.to_vec();
    services[2].1["ID"] = serde_json::json!(sid("coder-3"));
    services[2].1["Spec"]["Name"] = serde_json::json!("coder-3");
    let tasks = task_line(
        "coder-default",
        "node-1",
        "Running",
        "Running 5 minutes ago",
        "",
    ) + &task_line("coder-2", "node-2", "Running", "Running 5 minutes ago", "")
        + &task_line("coder-3", "node-1", "Running", "Running 5 minutes ago", "")
        + &task_line(
            "pinned-default",
            "",
            "Running",
            "Pending 5 minutes ago",
            "no suitable node (scheduling constraints not satisfied on 2 nodes)",
        );
    let on_m1 = [task_container("coder-default")];
    let on_w1 = [task_container("coder-2")];
    let w = locked(look(World::new(SWARM), &services, &tasks));
    let w = reads(look(w, &services, &tasks), &on_m1, &on_w1);
    let w = w.expect_cmd(
        at(M, service::remove(&[sid("coder-3")])),
        Ok(Output::ok("svc-coder-3\n")),
    );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("removed: coder-3@node-1"), "{r:?}");
    assert!(r.stderr.contains("not running: pending: no suitable node (scheduling constraints not satisfied on 2 nodes)"), "{r:?}");
    assert!(
        !lines(&r)
            .iter()
            .any(|l| l.contains("service create") || l.contains("service update")),
        "{r:?}"
    );
}

#[test]
fn a_manager_that_cannot_be_reached_is_one_error_and_nothing_changes() {
    let down =
        "Cannot connect to the Docker daemon at unix:///run/m1.sock. Is the docker daemon running?";
    let w = World::new(SWARM)
        .expect_cmd(at(M, service::list("p")), Ok(Output::fail(1, down)))
        .allow_cmd(at(M, service::nodes()), Output::fail(1, down))
        .allow_cmd(
            at(M, argv::image_inspect(&["agent:latest"])),
            Output::fail(1, down),
        )
        .allow_cmd(at(M, service::inspect(&NAMES)), Output::fail(1, down))
        .allow_cmd(at(M, service::tasks(&NAMES)), Output::fail(1, down));
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("could not read the swarm through its manager; nothing was changed"),
        "{r:?}"
    );
    assert_eq!(r.stderr.matches("error:").count(), 1, "{r:?}");
}

#[test]
fn down_scales_idle_agents_to_zero_in_one_call_and_spares_a_busy_one() {
    let mut busy = task_container("coder-2");
    busy.exec_ids = vec!["exec1".into()];
    let w = locked(converged(World::new(SWARM)));
    let w = reads(
        w,
        &[task_container("coder-default")],
        &[busy, task_container("pinned-default")],
    );
    let w = w.expect_cmd(
        at(M, service::scale(&["coder-default", "pinned-default"], 0)),
        Ok(Output::ok("")),
    );
    let r = check(&["down"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!lines(&r).iter().any(|l| l.contains("coder-2=0")), "{r:?}");
    assert!(
        r.stdout.contains("coder-2") && r.stdout.contains("live exec session"),
        "{r:?}"
    );
}

#[test]
fn plain_leftovers_on_the_hosts_are_planned_for_removal_and_the_services_for_creation() {
    let mut plain = Existing::matching(&agent("coder-default"));
    plain.id = crate::support::hex_id("plain-coder");
    let w = reads(look(World::new(SWARM), &[], ""), &[plain], &[]);
    let r = check(&["plan"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("created: coder-default, coder-2, pinned-default"),
        "{r:?}"
    );
    assert!(r.stdout.contains("removed: coder-default@m1"), "{r:?}");
}

const NODE2_DOWN: &str = "{\"Availability\":\"Active\",\"Hostname\":\"node-1\",\"ID\":\"node-m1\",\"Status\":\"Ready\"}\n{\"Availability\":\"Active\",\"Hostname\":\"node-2\",\"ID\":\"node-w1\",\"Status\":\"Down\"}\n";

#[test]
fn a_node_that_dies_moved_agents_are_told_and_a_pinned_one_fails_with_why() {
    // coder-2 moved from the dead node-2 to node-1; pinned-default cannot move.
    let services = [
        (
            "coder-default",
            service_json("coder-default", None, 1, None),
        ),
        ("coder-2", service_json("coder-2", None, 1, None)),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    let tasks = task_line(
        "coder-default",
        "node-1",
        "Running",
        "Running 5 minutes ago",
        "",
    ) + &task_line("coder-2", "node-1", "Running", "Running 3 seconds ago", "")
        + &task_line("coder-2", "node-2", "Shutdown", "Running 5 minutes ago", "")
        + &task_line(
            "pinned-default",
            "node-2",
            "Running",
            "Running 5 minutes ago",
            "",
        );
    let w = look_with(World::new(SWARM), &services, &tasks, NODE2_DOWN);
    let r = check(&["sync"], w);
    // Every agent's verdict: one does not run, so 1; nothing is changed.
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.calls.len(), 5, "{r:?}");
    assert!(
        r.stderr
            .contains("fleet: `coder-2` runs on node-1: Swarm moved it from node-2 (down)"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("not running: its node node-2 is down (pinned there: it runs again when the node is back)"),
        "{r:?}"
    );
}

#[test]
fn host_is_not_for_a_swarm_and_unlock_releases_the_swarms_lock_by_id() {
    let r = check(&["--host", "w1", "sync"], World::new(SWARM));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.calls.is_empty(), "{r:?}");
    let held = serde_json::json!([{
        "ID": "lockid",
        "CreatedAt": "2026-12-06T21:31:05.335312822Z",
        "Spec": { "Name": "p.fleet-lock", "Labels": {
            "fleet.lock": "p", "fleet.lock.holder": "ops@elsewhere pid 7",
            "fleet.lock.machine": "m", "fleet.lock.pid": "7", "fleet.lock.lease": "3600",
            "fleet.lock.host": "m1" } }
    }]);
    let w = World::new(SWARM)
        .expect_cmd(
            at(M, service::lock_inspect("p.fleet-lock")),
            Ok(Output::ok(held.to_string())),
        )
        .expect_cmd(
            at(M, service::lock_remove("lockid")),
            Ok(Output::ok("lockid\n")),
        );
    let r = check(&["unlock"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("swarm@m1") && r.stdout.contains("ops@elsewhere pid 7"),
        "{r:?}"
    );
}

/// A type whose run_args all have a `service create` equivalent.
const RUN_ARGS: &str = r#"{
  "project": "p",
  "hosts": { "m1": { "docker_host": "unix:///run/m1.sock" } },
  "swarm": { "manager": "m1" },
  "types": { "ra": { "image": "agent:latest", "run_args": [
    "--read-only", "--tmpfs", "/scratch:size=16m", "--add-host", "db:10.0.0.5", "--ulimit", "nofile=1024:2048",
    "--cap-add", "SYS_PTRACE", "--stop-timeout", "2", "-l", "team=a", "--dns-search", "corp.local",
    "-v", "/srv:/srv:ro", "--sysctl", "net.core.somaxconn=1024", "--group-add", "audio", "-t"
  ] } }
}"#;

#[test]
fn run_args_become_their_service_options_and_an_update_undoes_only_what_went() {
    let d = desired(RUN_ARGS).remove(0);
    let create = service::create(&d, &[], None);
    insta::assert_snapshot!("swarm_run_args_create", create.line());
    // What the service holds: an older spec with another host, search
    // domain, sysctl, ulimit and cap, and the same /scratch mount.
    let held = Held {
        mount_targets: ["/scratch".to_string(), "/old".to_string()].into(),
        hosts: ["db:10.0.0.5".to_string(), "old:10.0.0.9".to_string()].into(),
        dns_search: ["old.local".to_string()].into(),
        sysctls: ["net.core.old".to_string()].into(),
        ulimits: ["nproc".to_string()].into(),
        groups: ["audio".to_string(), "video".to_string()].into(),
        cap_add: ["CAP_SYS_PTRACE".to_string(), "CAP_NET_ADMIN".to_string()].into(),
        ..Held::default()
    };
    let update = service::update("svc", &d, &held, &[], None);
    let args = update.args.join(" ");
    for gone in [
        "--mount-rm /old",
        "--host-rm old:10.0.0.9",
        "--dns-search-rm old.local",
        "--sysctl-rm net.core.old",
        "--ulimit-rm nproc",
        "--group-rm video",
        "--cap-drop CAP_NET_ADMIN",
    ] {
        assert!(args.contains(gone), "{gone}: {args}");
    }
    // Kept ones are neither removed nor added again (the CLI adds before it
    // removes: a target removed and added would be lost).
    for kept in [
        "--mount-rm /scratch",
        "--host-add db:10.0.0.5",
        "--host-rm db:10.0.0.5",
        "--group-add audio",
        "--cap-add CAP_SYS_PTRACE",
    ] {
        assert!(!args.contains(kept), "{kept}: {args}");
    }
    insta::assert_snapshot!("swarm_run_args_update", args);
}

#[test]
fn a_declared_name_held_by_another_projects_service_is_never_touched() {
    let mut theirs = service_json("coder-2", None, 1, None);
    theirs["Spec"]["Labels"] = serde_json::json!({ "team": "someone-else" });
    // `service ls` (filtered by the project's label) does not list it; the
    // read by name finds it.
    let names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    let mine = [
        (
            "coder-default",
            service_json("coder-default", None, 1, None),
        ),
        (
            "pinned-default",
            service_json("pinned-default", None, 1, None),
        ),
    ];
    let docs = serde_json::json!([mine[0].1, theirs, mine[1].1]).to_string();
    let w = World::new(SWARM)
        .expect_cmd(
            at(M, service::list("p")),
            Ok(Output::ok(format!(
                "{}\n{}\n",
                &sid("coder-default")[..12],
                &sid("pinned-default")[..12]
            ))),
        )
        .expect_cmd(at(M, service::nodes()), Ok(Output::ok(NODES)))
        .expect_cmd(
            at(M, argv::image_inspect(&["agent:latest"])),
            Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
        )
        .expect_cmd(at(M, service::inspect(&names)), Ok(Output::ok(docs)))
        .expect_cmd(
            at(M, service::tasks(&names)),
            Ok(Output::ok(running_tasks())),
        );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.calls.len(), 5, "no lock, no create, no update: {r:?}");
    assert!(
        r.stderr
            .contains("the service name `coder-2` is held by a service that is not project `p`'s"),
        "{r:?}"
    );
}

#[test]
fn a_manager_that_answers_garbage_changes_nothing() {
    let names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    let w = World::new(SWARM)
        .expect_cmd(at(M, service::list("p")), Ok(Output::ok("")))
        .expect_cmd(at(M, service::nodes()), Ok(Output::ok(NODES)))
        .expect_cmd(
            at(M, argv::image_inspect(&["agent:latest"])),
            Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
        )
        .expect_cmd(
            at(M, service::inspect(&names)),
            Ok(Output::ok("<html>proxy error</html>")),
        )
        .expect_cmd(at(M, service::tasks(&names)), Ok(Output::ok("")));
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.calls.len(), 5, "{r:?}");
    assert!(r.stderr.contains("printed what fleet cannot read"), "{r:?}");
    assert!(r.stderr.contains("nothing was changed"), "{r:?}");
}

#[test]
fn a_pinned_host_that_is_a_node_of_another_swarm_fails_before_any_create() {
    let w = look(World::new(SWARM), &[], "");
    let w = locked(w);
    let w = look(w, &[], "");
    // w1's engine says it is node `elsewhere`, which this swarm does not list.
    let w = w
        .expect_cmd(
            at(M, service::node_id()),
            Ok(Output::ok("node-m1 active true\n")),
        )
        .expect_cmd(at(M, argv::list_all()), Ok(Output::ok("")))
        .expect_cmd(
            at(W, service::node_id()),
            Ok(Output::ok("elsewhere active false\n")),
        )
        .expect_cmd(at(W, argv::list_all()), Ok(Output::ok("")));
    let mut w = w;
    for name in ["coder-default", "coder-2"] {
        w = w.expect_cmd(
            at(M, service::create(&agent(name), &[], Some(IMG))),
            Ok(Output::ok(format!("{}\n", sid(name)))),
        );
    }
    let r = check(&["--jobs", "1", "sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("host `w1`, its pinned node, is a node of another swarm (node ID elsewhere)"),
        "{r:?}"
    );
    assert!(
        !lines(&r)
            .iter()
            .any(|l| l.contains("--name pinned-default")),
        "{r:?}"
    );
}

#[test]
fn a_plain_config_leaves_swarm_tasks_alone_and_says_how_to_remove_their_service() {
    use crate::placement::{H1, H2, TWO, agent as plain, seen_on};
    // On h1, coder-default runs as a task of the swarm service
    // `coder-default` (the project was on a swarm); h2 is converged.
    let mut task = plain("coder-default");
    task.name = "coder-default.1.abcdef".into();
    task.labels.insert(
        "com.docker.swarm.service.name".into(),
        serde_json::json!("coder-default"),
    );
    let w = seen_on(World::new(TWO), H1, &[task]);
    let w = seen_on(w, H2, &[plain("coder-2"), plain("reviewer-default")]);
    let r = check(&["plan"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("created: coder-default@h1, coder-3@h1"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("deferred: coder-default.1.abcdef@h1"),
        "{r:?}"
    );
    assert!(
        !r.stdout.contains("removed"),
        "a task is never removed: {r:?}"
    );
    assert!(!r.stdout.contains("rename"), "nor renamed: {r:?}");
    assert!(
        r.stderr.contains("`docker service rm coder-default`"),
        "{r:?}"
    );
}

#[test]
fn a_change_of_constraints_alone_is_drift_though_not_in_the_hash() {
    // SWARM with `coder` constrained to GPU nodes: the same hash.
    let gpu = SWARM.replace(
        r#""coder": { "instances": 2 }"#,
        r#""coder": { "instances": 2, "constraints": ["node.labels.gpu == true"] }"#,
    );
    assert_ne!(gpu, SWARM);
    let w = reads(
        converged(World::new(&gpu)),
        &[task_container("coder-default")],
        &[task_container("coder-2"), task_container("pinned-default")],
    );
    let r = check(&["plan"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("recreated: coder-default@node-1, coder-2@node-2"),
        "{r:?}"
    );
    assert!(r.stdout.contains("placement constraints changed"), "{r:?}");
    assert!(!r.stdout.contains("update     pinned-default"), "{r:?}");
    // The update takes the old constraint off and puts the new one on.
    let d = desired(&gpu)
        .into_iter()
        .find(|d| d.name == "coder-2")
        .unwrap();
    let held = Held {
        constraints: ["node.labels.old==1".to_string()].into(),
        ..Held::default()
    };
    let args = service::update("svc", &d, &held, &d.constraints, None)
        .args
        .join(" ");
    assert!(
        args.contains("--constraint-rm node.labels.old==1"),
        "{args}"
    );
    assert!(
        args.contains("--constraint-add node.labels.gpu == true"),
        "{args}"
    );
}

#[test]
fn a_panic_in_one_create_is_that_agents_error_and_the_lock_is_released() {
    let w = look(World::new(SWARM), &[], "");
    let w = locked(w);
    let w = look(w, &[], "");
    let mut w = reads(w, &[], &[]);
    for name in ["coder-default", "pinned-default"] {
        let d = agent(name);
        let pin = match d.host {
            Some(_) => vec!["node.id==node-w1".to_string()],
            None => vec![],
        };
        w = w.expect_cmd(
            at(M, service::create(&d, &pin, Some(IMG))),
            Ok(Output::ok(format!("{}\n", sid(name)))),
        );
    }
    let w = w.panic_on(at(M, service::create(&agent("coder-2"), &[], Some(IMG))));
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("created: coder-default, pinned-default"),
        "{r:?}"
    );
    assert!(r.stdout.contains("failed: coder-2"), "{r:?}");
    assert!(r.stderr.contains("panicked"), "{r:?}");
    assert!(r.stderr.contains("help: this is a bug in fleet"), "{r:?}");
    // `locked` expects the release: the fake fails the run if it never came.
}
