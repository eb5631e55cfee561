//! Hosts on the fake runner: placement, the host's options on every docker
//! call, a host that fails alone, `--host`, two names for one engine, and
//! moves. (The real engines' scenarios are in hosts.rs.)

use fleet::config::Reach;
use fleet::docker::{Cmd, Output, argv};

use crate::harness::{World, check, listing};
use crate::support::{Existing, IMG, config, desired, engine_down};

pub const H1: &str = "unix:///run/h1.sock";
pub const H2: &str = "unix:///run/h2.sock";

/// Two hosts; `coder` ×3 round the two, `reviewer` on h2 only.
pub const TWO: &str = r#"{
  "project": "p",
  "hosts": { "h1": { "docker_host": "unix:///run/h1.sock" }, "h2": { "docker_host": "unix:///run/h2.sock" } },
  "defaults": { "image": "agent:latest", "command": ["sleep", "infinity"], "hosts": ["h1", "h2"] },
  "types": {
    "coder": { "instances": 3 },
    "reviewer": { "hosts": ["h2"] }
  }
}"#;

/// `cmd` as it reaches the engine at `url`.
pub fn at(url: &str, cmd: Cmd) -> Cmd {
    Cmd {
        global: vec!["--host".into(), url.into()],
        ..cmd
    }
}

/// The discovery calls of one host (`existing` all listed; images
/// resolved when some exist).
pub fn seen_on(w: World, url: &str, existing: &[Existing]) -> World {
    let mut w = w.expect_cmd(at(url, argv::list_all()), Ok(Output::ok(listing(existing))));
    if !existing.is_empty() {
        let ids: Vec<&str> = existing.iter().map(|e| e.id.as_str()).collect();
        let doc: Vec<serde_json::Value> = existing.iter().map(Existing::to_json).collect();
        w = w
            .expect_cmd(
                at(url, argv::inspect(&ids)),
                Ok(Output::ok(serde_json::to_string(&doc).unwrap())),
            )
            .expect_cmd(
                at(url, argv::image_inspect(&["agent:latest"])),
                Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
            );
    }
    w
}

/// The container `name` of [`TWO`], as created on its host.
pub fn agent(name: &str) -> Existing {
    let d = desired(TWO).into_iter().find(|d| d.name == name).unwrap();
    let mut e = Existing::matching(&d);
    e.labels
        .insert("fleet.host".into(), serde_json::json!(d.host.unwrap()));
    e
}

#[test]
fn instances_go_round_the_hosts_list() {
    let c = config(TWO);
    let placed: Vec<(String, Option<String>)> =
        c.desired().into_iter().map(|d| (d.name, d.host)).collect();
    let h = |s: &str| Some(s.to_string());
    assert_eq!(
        placed,
        vec![
            ("coder-default".into(), h("h1")),
            ("coder-2".into(), h("h2")),
            ("coder-3".into(), h("h1")),
            ("reviewer-default".into(), h("h2")),
        ]
    );
    assert_eq!(c.hosts[0].reach, Reach::DockerHost(H1.into()));
    assert_eq!(c.hosts[0].reach.global_args(), vec!["--host", H1]);
    // Without `hosts`, nothing is placed and nothing is added to argv.
    let plain = config(crate::support::ONE);
    assert!(plain.hosts.is_empty());
    assert_eq!(plain.desired()[0].host, None);
    let run = argv::run_cmd(&plain.desired()[0]);
    assert!(!run.args.iter().any(|a| a.starts_with("fleet.host")));
    assert!(run.global.is_empty());
}

#[test]
fn every_container_carries_its_host_label() {
    let d = desired(TWO);
    let run = argv::run_cmd(&d[1]);
    assert!(
        run.args
            .windows(2)
            .any(|w| w == ["--label", "fleet.host=h2"]),
        "{:?}",
        run.args
    );
}

#[test]
fn a_cold_plan_reads_each_host_with_its_own_options() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[]);
    let w = seen_on(w, H2, &[]);
    let r = check(&["plan"], w);
    assert_eq!(r.code, 0, "{r:?}");
    insta::assert_snapshot!(r.stdout, @r"
      create     coder-default@h1     absent
      create     coder-2@h2           absent
      create     coder-3@h1           absent
      create     reviewer-default@h2  absent
    [agents-plan] created: coder-default@h1, coder-2@h2, coder-3@h1, reviewer-default@h2
    ");
    // Every call named its engine; none went to the CLI's default one.
    assert!(r.calls.iter().all(|c| c.global.len() == 2), "{r:?}");
}

#[test]
fn json_tags_every_action_with_its_host() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[agent("coder-default"), agent("coder-3")]);
    let w = seen_on(w, H2, &[agent("coder-2")]);
    let r = check(&["plan", "--json"], w);
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let tags: Vec<(String, String, String)> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["host"].as_str().unwrap().to_string(),
                a["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let t = |n: &str, h: &str, a: &str| (n.to_string(), h.to_string(), a.to_string());
    assert_eq!(
        tags,
        vec![
            t("coder-default", "h1", "unchanged"),
            t("coder-2", "h2", "unchanged"),
            t("coder-3", "h1", "unchanged"),
            t("reviewer-default", "h2", "created"),
        ]
    );
}

#[test]
fn a_host_that_cannot_be_read_fails_alone() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[]);
    let w = w.expect_cmd(at(H2, argv::list_all()), Ok(engine_down()));
    let r = check(&["plan", "--json"], w);
    assert_eq!(r.code, 1, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let created: Vec<&str> = doc["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(created, ["coder-default", "coder-3"]);
    let failed = doc["failed"].as_array().unwrap();
    let names: Vec<&str> = failed.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["coder-2", "reviewer-default"]);
    for f in failed {
        assert_eq!(f["host"], "h2");
        assert_eq!(f["action"], "host");
        let e = f["error"].as_str().unwrap();
        assert!(e.starts_with("host `h2`: "), "{e}");
        assert!(e.contains("Cannot connect to the Docker daemon"), "{e}");
    }
}

#[test]
fn status_shows_each_host_and_unknown_for_one_it_cannot_read() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[agent("coder-default").exited(137)]);
    let w = w.expect_cmd(at(H2, argv::list_all()), Ok(engine_down()));
    let w = no_lock(w, H1).expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(engine_down()));
    let r = check(&["status"], w);
    assert_eq!(r.code, 1, "{r:?}");
    let rows: Vec<&str> = r.stdout.lines().map(str::trim_end).collect();
    assert!(rows[0].starts_with("NAME"), "{r:?}");
    assert!(rows[1].starts_with("coder-default@h1"), "{r:?}");
    assert!(rows[1].contains("exited 137"), "{r:?}");
    assert!(rows[2].starts_with("coder-2@h2"), "{r:?}");
    assert!(rows[2].contains("unknown"), "{r:?}");
    let w = World::new(TWO);
    let w = no_lock(seen_on(w, H1, &[agent("coder-default")]), H1);
    let r = check(&["status", "--json", "--host", "h1"], w);
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        doc["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["host"] == "h1")
    );
}

#[test]
fn host_limits_a_command_to_the_named_hosts() {
    // h2 is not asked anything at all (the fake fails any unscripted call).
    let w = seen_on(World::new(TWO), H1, &[]);
    let r = check(&["plan", "--host", "h1"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains("@h2"), "{r:?}");
    let r = check(&["plan", "--host", "h9"], World::new(TWO));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--host h9: the config declares no host `h9`"),
        "{r:?}"
    );
    assert!(r.stderr.contains("the declared hosts are: h1, h2"), "{r:?}");
    let r = check(&["plan", "--host", "h1"], World::new(crate::support::ONE));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("the config declares no hosts"), "{r:?}");
    // check runs no docker command, and still checks the names.
    let r = check(&["check", "--host", "h9"], World::new(TWO));
    assert_eq!(r.code, 2, "{r:?}");
    let r = check(&["check", "--host", "h2"], World::new(TWO));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.ends_with("4 containers on 2 hosts (h1, h2)\n"),
        "{r:?}"
    );
}

#[test]
fn two_names_for_one_engine_change_nothing_on_either() {
    let both = [agent("coder-default")];
    let w = seen_on(World::new(TWO), H1, &both);
    let w = seen_on(w, H2, &both);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "hosts `h1` and `h2` reach the same engine (both list container `coder-default`"
        ),
        "{r:?}"
    );
    assert!(
        r.verbs()
            .iter()
            .all(|v| matches!(*v, "ps" | "inspect" | "image")),
        "nothing may change: {r:?}"
    );
}

#[test]
fn a_container_on_a_host_that_no_longer_has_its_instance_is_a_move() {
    // coder-2 is placed on h2 but lives on h1 (the config moved it).
    let mut old = agent("coder-2");
    old.labels
        .insert("fleet.host".into(), serde_json::json!("h1"));
    let w = seen_on(
        World::new(TWO),
        H1,
        &[agent("coder-default"), agent("coder-3"), old],
    );
    let w = seen_on(w, H2, &[]);
    let r = check(&["plan"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("create     coder-2@h2"), "{r:?}");
    assert!(
        r.stdout.contains(
            "remove     coder-2@h1           instance 2 of type `coder` is placed on host `h2` now; removed here once it runs there"
        ),
        "{r:?}"
    );
}

// ---- sync: locks, cost, moves ------------------------------------------------

/// The lock create this process sends to the engine at `url` for host
/// `host` (its holder labels vary by process: any value).
fn lock_create(url: &str, host: &str) -> Cmd {
    let mut args: Vec<String> = [
        "create",
        "--pull",
        "never",
        "--name",
        "p.fleet-lock",
        "--network",
        "none",
    ]
    .map(str::to_string)
    .to_vec();
    args.extend(["--label".into(), "fleet.lock=p".into()]);
    for _ in 0..6 {
        args.extend(["--label".into(), crate::fake::ANY.into()]);
    }
    args.extend(["--label".into(), format!("fleet.lock.host={host}")]);
    args.extend(["fleet-lock:1".into(), "fleet-lock".into()]);
    at(url, Cmd::new(args))
}

/// The lock taken (ID `lock-<host>`) and released on `url`.
fn locked(w: World, url: &str, host: &str) -> World {
    w.expect_cmd(
        lock_create(url, host),
        Ok(Output::ok(format!("lock-{host}\n"))),
    )
    .expect_cmd(
        at(url, Cmd::new(["rm", &format!("lock-{host}")])),
        Ok(Output::ok(format!("lock-{host}\n"))),
    )
}

/// `docker run` of each of `names` on `url`, answering ID `new-<name>`,
/// and the one inspect that confirms they run.
fn created_on(w: World, url: &str, names: &[&str]) -> World {
    let mut w = w;
    let mut ids = Vec::new();
    let mut docs = Vec::new();
    for name in names {
        let d = desired(TWO).into_iter().find(|d| d.name == *name).unwrap();
        let id = format!("new-{name}");
        w = w.expect_cmd(
            at(url, argv::run_cmd(&d)),
            Ok(Output::ok(format!("{id}\n"))),
        );
        docs.push(agent(name).id(&id).to_json());
        ids.push(id);
    }
    w.expect_cmd(
        at(url, argv::inspect(&ids)),
        Ok(Output::ok(serde_json::to_string(&docs).unwrap())),
    )
}

/// No lock on the engine at `url` (read by `status`).
pub fn no_lock(w: World, url: &str) -> World {
    w.expect_cmd(
        at(url, argv::inspect(&["p.fleet-lock"])),
        Ok(Output::fail(1, "Error: No such object: p.fleet-lock")),
    )
}

/// The index of the first call on `url` whose argv starts with `verb`.
fn first(r: &crate::harness::Ran, url: &str, verb: &str) -> usize {
    r.calls
        .iter()
        .position(|c| c.global.get(1).is_some_and(|g| g == url) && c.verb() == verb)
        .unwrap_or_else(|| panic!("no `{verb}` on {url}: {r:?}"))
}

#[test]
fn a_no_op_sync_costs_each_host_what_one_host_costs_and_locks_nothing() {
    let w = seen_on(
        World::new(TWO),
        H1,
        &[agent("coder-default"), agent("coder-3")],
    );
    let w = seen_on(w, H2, &[agent("coder-2"), agent("reviewer-default")]);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    for url in [H1, H2] {
        let mut verbs: Vec<&str> = (r.calls.iter())
            .filter(|c| c.global[1] == url)
            .map(Cmd::verb)
            .collect();
        // The inspect and the image inspect run side by side.
        verbs.sort();
        assert_eq!(verbs, ["image", "inspect", "ps"], "{url}: {r:?}");
    }
}

#[test]
fn a_sync_locks_the_hosts_it_changes_reads_them_again_and_releases_the_locks() {
    // h1 is converged: read once, never locked. h2 is cold.
    let w = seen_on(
        World::new(TWO),
        H1,
        &[agent("coder-default"), agent("coder-3")],
    );
    let w = seen_on(w, H2, &[]);
    let w = locked(w, H2, "h2");
    let w = seen_on(w, H2, &[]);
    let w = created_on(w, H2, &["coder-2", "reviewer-default"]);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[agents-sync] created: coder-2@h2, reviewer-default@h2\n[agents-sync] unchanged: coder-default@h1, coder-3@h1\n"
    );
    let lock = first(&r, H2, "create");
    let run = first(&r, H2, "run");
    let release = first(&r, H2, "rm");
    assert!(lock < run && run < release, "{r:?}");
    // The second look at h2 came after its lock.
    let looks: Vec<usize> = (0..r.calls.len())
        .filter(|&i| r.calls[i].global[1] == H2 && r.calls[i].verb() == "ps")
        .collect();
    assert_eq!(looks.len(), 2, "{r:?}");
    assert!(looks[0] < lock && lock < looks[1], "{r:?}");
}

#[test]
fn an_engine_that_dies_mid_sync_fails_its_host_only() {
    let w = seen_on(World::new(TWO), H1, &[]);
    let w = locked(w, H1, "h1");
    let w = seen_on(w, H1, &[]);
    let w = created_on(w, H1, &["coder-default", "coder-3"]);
    let w = seen_on(w, H2, &[]);
    let w = w.expect_cmd(lock_create(H2, "h2"), Ok(Output::ok("lock-h2\n")));
    let w = seen_on(w, H2, &[]);
    let d = desired(TWO);
    let w = w
        .expect_cmd(at(H2, argv::run_cmd(&d[1])), Ok(engine_down()))
        .expect_cmd(at(H2, argv::run_cmd(&d[3])), Ok(engine_down()))
        // apply reads the engine again (once) after the failed calls, and
        // the lock's release fails too: all answered "down".
        .expect_cmd(at(H2, argv::list_all()), Ok(engine_down()))
        .expect_cmd(at(H2, Cmd::new(["rm", "lock-h2"])), Ok(engine_down()));
    let r = check(&["sync", "--json"], w);
    assert_eq!(r.code, 1, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["created"],
        serde_json::json!(["coder-default", "coder-3"])
    );
    let failed: Vec<(&str, &str)> = (doc["failed"].as_array().unwrap().iter())
        .map(|f| (f["name"].as_str().unwrap(), f["host"].as_str().unwrap()))
        .collect();
    assert_eq!(failed, [("coder-2", "h2"), ("reviewer-default", "h2")]);
    assert!(
        r.stderr
            .contains("host `h2`: could not release this run's lock")
            && r.stderr.contains("fleet unlock --host h2"),
        "{r:?}"
    );
}

/// [`TWO`] with `coder-2` moved from h2 to h1 (coder on h1 only).
const MOVED: &str = r#"{
  "project": "p",
  "hosts": { "h1": { "docker_host": "unix:///run/h1.sock" }, "h2": { "docker_host": "unix:///run/h2.sock" } },
  "defaults": { "image": "agent:latest", "command": ["sleep", "infinity"], "hosts": ["h1", "h2"] },
  "types": {
    "coder": { "instances": 3, "hosts": ["h1"] },
    "reviewer": { "hosts": ["h2"] }
  }
}"#;

/// The world of [`MOVED`]: h1 runs coder-default and coder-3, h2 runs
/// coder-2 (to move) and reviewer-default; both get locked.
fn moving() -> World {
    let w = World::new(MOVED);
    let h1 = [agent("coder-default"), agent("coder-3")];
    let h2 = [agent("coder-2"), agent("reviewer-default")];
    let w = seen_on(w, H1, &h1);
    let w = seen_on(w, H2, &h2);
    let w = locked(w, H1, "h1");
    seen_on(w, H1, &h1)
}

/// [`MOVED`]'s `coder-2` as desired on h1, and the inspect document of
/// its new container there (`new-coder-2`).
fn moved_coder2() -> (fleet::config::Desired, String) {
    let d = desired(MOVED)
        .into_iter()
        .find(|d| d.name == "coder-2")
        .unwrap();
    let mut new = agent("coder-2").id("new-coder-2");
    new.labels
        .insert("fleet.host".into(), serde_json::json!("h1"));
    (d, serde_json::to_string(&[new.to_json()]).unwrap())
}

/// [`moving`], and the old host's lock and fresh look for the removal,
/// once the instance runs on its new host.
fn moving_and_removing() -> World {
    let w = locked(moving(), H2, "h2");
    seen_on(w, H2, &[agent("coder-2"), agent("reviewer-default")])
}

#[test]
fn a_moved_instance_leaves_its_old_host_only_once_it_runs_on_the_new_one() {
    let (d, doc) = moved_coder2();
    let w = moving_and_removing()
        .expect_cmd(at(H1, argv::run_cmd(&d)), Ok(Output::ok("new-coder-2\n")))
        .expect_cmd(
            at(H1, argv::inspect(&["new-coder-2"])),
            Ok(Output::ok(doc.clone())),
        )
        // Ready: looks half a second apart until a second has passed with
        // the same start.
        .allow_cmd(at(H1, argv::inspect(&["coder-2"])), Output::ok(doc))
        .expect_cmd(
            at(H2, argv::remove(&[agent("coder-2").id])),
            Ok(Output::ok("")),
        );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("[agents-sync] created: coder-2@h1\n"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("[agents-sync] removed: coder-2@h2\n"),
        "{r:?}"
    );
    let run = first(&r, H1, "run");
    let removed = r
        .calls
        .iter()
        .position(|c| c.global[1] == H2 && c.verb() == "rm" && c.args.len() > 2)
        .unwrap();
    let last_look = r
        .calls
        .iter()
        .rposition(|c| c.global[1] == H1 && c.verb() == "inspect")
        .unwrap();
    assert!(run < last_look && last_look < removed, "{r:?}");
    // No lock is waited for while another is held: h1's is released
    // before h2's is taken for the removal (issue 17, point 1).
    let h1_released = (r.calls.iter())
        .position(|c| c.global[1] == H1 && c.verb() == "rm" && c.args.len() == 2)
        .unwrap();
    let h2_taken = (r.calls.iter())
        .position(|c| c.global[1] == H2 && c.verb() == "create")
        .unwrap();
    assert!(h1_released < h2_taken && h2_taken < removed, "{r:?}");
}

#[test]
fn a_move_whose_new_container_fails_keeps_the_old_one() {
    let d = desired(MOVED)
        .into_iter()
        .find(|d| d.name == "coder-2")
        .unwrap();
    let w = moving()
        .expect_cmd(
            at(H1, argv::run_cmd(&d)),
            Ok(Output::fail(
                125,
                "docker: Error response from daemon: no space left on device.",
            )),
        )
        .expect_cmd(
            at(H1, argv::list_all()),
            Ok(Output::ok(listing(&[
                agent("coder-default"),
                agent("coder-3"),
            ]))),
        )
        .expect_cmd(
            at(
                H1,
                argv::inspect(&[agent("coder-default").id, agent("coder-3").id]),
            ),
            Ok(Output::ok(
                serde_json::to_string(&[
                    agent("coder-default").to_json(),
                    agent("coder-3").to_json(),
                ])
                .unwrap(),
            )),
        );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("[agents-sync] failed: coder-2@h1\n"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("[agents-sync] deferred: coder-2@h2\n"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains(
            "note: `coder-2@h2`: instance placed on host `h1` now, but it does not run there yet (`coder-2` failed there:"
        ),
        "{r:?}"
    );
    // Nothing but the lock's release was removed on h2.
    assert!(
        !r.calls
            .iter()
            .any(|c| c.global[1] == H2 && c.verb() == "rm" && c.args[1] != "lock-h2"),
        "{r:?}"
    );
}

// ---- hosts and unlock ----------------------------------------------------------

/// A lock of project `p` held by `admin@build-9 pid 777`, as inspect shows it.
fn held_lock() -> Output {
    Output::ok(
        serde_json::json!([{
            "Id": crate::support::hex_id("lock"),
            "Created": "2026-11-29T07:24:36.123456789Z",
            "Name": "/p.fleet-lock",
            "Config": { "Image": "fleet-lock:1", "Labels": {
                "fleet.lock": "p",
                "fleet.lock.holder": "admin@build-9 pid 777",
                "fleet.lock.machine": "m-9",
                "fleet.lock.pid-ns": "boot-9/pid:[1]",
                "fleet.lock.pid": "777",
                "fleet.lock.pid-start": "5",
                "fleet.lock.lease": "3600",
                "fleet.lock.host": "h2",
            }},
        }])
        .to_string(),
    )
}

#[test]
fn hosts_shows_each_engine_its_version_and_its_lock() {
    let version = Cmd::new(["version", "--format", "{{.Server.Version}}"]);
    let w = World::new(TWO)
        .expect_cmd(at(H1, version.clone()), Ok(Output::ok("20.10.24\n")))
        .expect_cmd(at(H2, version.clone()), Ok(Output::ok("28.2.2\n")));
    let w = no_lock(w, H1).expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(held_lock()));
    let r = check(&["hosts"], w);
    assert_eq!(r.code, 0, "{r:?}");
    insta::assert_snapshot!(r.stdout, @r"
    HOST  REACHED VIA          ENGINE    LOCK
    h1    unix:///run/h1.sock  20.10.24  -
    h2    unix:///run/h2.sock  28.2.2    held by admin@build-9 pid 777 since 2026-11-29T07:24:36Z
    ");
    let w = World::new(TWO)
        .expect_cmd(at(H1, version.clone()), Ok(Output::ok("20.10.24\n")))
        .expect_cmd(at(H2, version), Ok(engine_down()));
    let w = no_lock(w, H1);
    let r = check(&["hosts", "--json"], w);
    assert_eq!(r.code, 1, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc[0]["version"], "20.10.24");
    assert_eq!(doc[1]["version"], serde_json::Value::Null);
    assert!(
        doc[1]["error"]
            .as_str()
            .unwrap()
            .contains("Cannot connect to the Docker daemon"),
        "{r:?}"
    );
}

#[test]
fn unlock_releases_the_named_hosts_lock_by_its_id_and_nothing_else() {
    let w = World::new(TWO)
        .expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(held_lock()))
        .expect_cmd(
            at(H2, Cmd::new(["rm", &crate::support::hex_id("lock")])),
            Ok(Output::ok("")),
        );
    let r = check(&["unlock", "--host", "h2"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "host `h2`: released the lock (held by admin@build-9 pid 777 since 2026-11-29T07:24:36Z)\n"
    );
    // Without --host: which lock would be a guess.
    let r = check(&["unlock"], World::new(TWO));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("fleet unlock --host NAME"), "{r:?}");
    let r = check(&["unlock", "--host", "h1"], World::new(crate::support::ONE));
    assert_eq!(r.code, 2, "{r:?}");
}

// ---- SSH hosts: sessions --------------------------------------------------------

/// A runner that counts how many calls are in flight at once, weighting
/// `run` as the two SSH sessions it opens.
#[derive(Default)]
struct Sessions {
    now: std::sync::Mutex<usize>,
    most: std::sync::Mutex<usize>,
    calls: std::sync::Mutex<Vec<String>>,
}

impl fleet::docker::Runner for Sessions {
    fn run(&self, cmd: &Cmd) -> Result<Output, fleet::docker::DockerError> {
        let w = if cmd.verb() == "run" { 2 } else { 1 };
        {
            let mut now = self.now.lock().unwrap();
            *now += w;
            let mut most = self.most.lock().unwrap();
            *most = (*most).max(*now);
        }
        self.calls.lock().unwrap().push(cmd.full_line());
        std::thread::sleep(std::time::Duration::from_millis(20));
        *self.now.lock().unwrap() -= w;
        Ok(Output::ok(format!("{}\n", cmd.args.last().unwrap())))
    }
}

fn gated(inner: &Sessions, max: usize) -> fleet::hosts::OnHost<'_> {
    let mut link = fleet::hosts::Link::direct(&config(TWO).hosts[1]);
    link.max_in_flight = Some(max);
    link.ssh = true;
    fleet::hosts::OnHost::new(inner, link)
}

#[test]
fn an_ssh_host_never_has_more_sessions_in_flight_than_its_gate() {
    use fleet::docker::Runner;
    let inner = Sessions::default();
    let host = gated(&inner, 4);
    let d = desired(TWO);
    std::thread::scope(|s| {
        for i in 0..12 {
            let (host, d) = (&host, &d);
            s.spawn(move || {
                let cmd = if i % 2 == 0 {
                    argv::run_cmd(&d[0])
                } else {
                    argv::start(&[format!("id{i}")])
                };
                host.run(&cmd).unwrap();
            });
        }
    });
    let most = *inner.most.lock().unwrap();
    assert!((2..=4).contains(&most), "{most} sessions at once");
    assert!(
        inner
            .calls
            .lock()
            .unwrap()
            .iter()
            .all(|c| c.starts_with("--host unix:///run/h2.sock ")),
        "every call names the host"
    );
}

#[test]
fn a_stop_of_many_goes_one_container_a_call_on_an_ssh_host_and_reads_as_one() {
    use fleet::docker::Runner;
    let inner = Sessions::default();
    let host = gated(&inner, 2);
    let ids: Vec<String> = (1..=5).map(|i| format!("id{i}")).collect();
    let out = host.run(&argv::stop(7, &ids)).unwrap();
    assert!(out.success());
    let mut calls = inner.calls.lock().unwrap().clone();
    calls.sort();
    let want: Vec<String> = ids
        .iter()
        .map(|id| format!("--host unix:///run/h2.sock stop -t 7 {id}"))
        .collect();
    assert_eq!(calls, want);
    assert_eq!(
        out.stdout, "id1\nid2\nid3\nid4\nid5\n",
        "in the call's order"
    );
    assert!(*inner.most.lock().unwrap() <= 2);
}

#[test]
fn a_host_that_answers_garbage_fails_alone_and_nothing_changes_there() {
    let w = seen_on(
        World::new(TWO),
        H1,
        &[agent("coder-default"), agent("coder-3")],
    );
    let w = w.expect_cmd(
        at(H2, argv::list_all()),
        Ok(Output::ok("<html>502 Bad Gateway</html>\n")),
    );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("[agents-sync] unchanged: coder-default@h1, coder-3@h1"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("[agents-sync] failed: coder-2@h2, reviewer-default@h2"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("host `h2`: could not read the containers")
            && r.stderr.contains("nothing was changed"),
        "{r:?}"
    );
    let on_h2: Vec<&str> = (r.calls.iter())
        .filter(|c| c.global[1] == H2)
        .map(Cmd::verb)
        .collect();
    assert_eq!(on_h2, ["ps"], "no lock, no mutation: {r:?}");
}

// Issue 17, point 6: one panic policy. A panic in fleet's work on one host
// is that host's error, said as such; the other hosts converge; a lock
// the panicking host held is released; a move whose readiness check
// panicked keeps its old container.

#[test]
fn a_panic_while_reading_one_host_fails_that_host_alone() {
    let w = seen_on(World::new(TWO), H1, &[]);
    let w = seen_on(locked(w, H1, "h1"), H1, &[]);
    let w = created_on(w, H1, &["coder-default", "coder-3"]).panic_on(at(H2, argv::list_all()));
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("[agents-sync] created: coder-default@h1, coder-3@h1\n"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("[agents-sync] failed: coder-2@h2, reviewer-default@h2\n"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("error: host `h2`: fleet's work here panicked: a test's planted panic"),
        "{r:?}"
    );
    assert!(r.stderr.contains("help: this is a bug in fleet"), "{r:?}");
}

#[test]
fn a_panic_while_applying_on_one_host_releases_its_lock_and_the_other_converges() {
    let w = seen_on(World::new(TWO), H1, &[]);
    let w = seen_on(w, H2, &[]);
    let w = seen_on(locked(w, H1, "h1"), H1, &[]);
    let w = created_on(w, H1, &["coder-default", "coder-3"]);
    // h2's lock is taken, and released although its apply panicked.
    let w = seen_on(locked(w, H2, "h2"), H2, &[]);
    let reviewer = desired(TWO)
        .into_iter()
        .find(|d| d.name == "reviewer-default")
        .unwrap();
    let coder2 = desired(TWO)
        .into_iter()
        .find(|d| d.name == "coder-2")
        .unwrap();
    let w = w
        .panic_on(at(H2, argv::run_cmd(&reviewer)))
        .panic_on(at(H2, argv::run_cmd(&coder2)));
    let r = check(&["sync", "--jobs", "1"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("[agents-sync] created: coder-default@h1, coder-3@h1\n"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("error: host `h2`: fleet's work here panicked"),
        "{r:?}"
    );
    let released = (r.calls.iter()).any(|c| c.global[1] == H2 && c.args == ["rm", "lock-h2"]);
    assert!(released, "{r:?}");
}

#[test]
fn a_move_whose_readiness_check_panicked_keeps_its_old_container() {
    let (d, doc) = moved_coder2();
    let w = moving()
        .expect_cmd(at(H1, argv::run_cmd(&d)), Ok(Output::ok("new-coder-2\n")))
        .expect_cmd(at(H1, argv::inspect(&["new-coder-2"])), Ok(Output::ok(doc)))
        .panic_on(at(H1, argv::inspect(&["coder-2"])));
    // No lock on h2, no removal there: the fake fails the test on any
    // call it was not told to expect.
    let r = check(&["sync"], w);
    assert!(
        r.stdout.contains("[agents-sync] deferred: coder-2@h2\n"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("kept here until it does") && r.stderr.contains("panicked"),
        "{r:?}"
    );
    assert!(!r.stdout.contains("removed"), "{r:?}");
}

/// Three hosts; nothing is placed on `h3` (being retired).
const RETIRING: &str = r#"{
  "project": "p",
  "hosts": { "h1": { "docker_host": "unix:///run/h1.sock" }, "h2": { "docker_host": "unix:///run/h2.sock" }, "h3": { "docker_host": "unix:///run/h3.sock" } },
  "defaults": { "image": "agent:latest", "command": ["sleep", "infinity"], "hosts": ["h1", "h2"] },
  "types": {
    "coder": { "instances": 3 },
    "reviewer": { "hosts": ["h2"] }
  }
}"#;
const H3: &str = "unix:///run/h3.sock";

/// Issue 17, point 5: a declared host that cannot be reached is named, and
/// the run says it could not converge it, although nothing is placed there
/// (containers of the project may be left on it).
#[test]
fn a_host_that_is_down_with_nothing_placed_is_named_and_fails_the_run() {
    let converged = |w: World| {
        let w = seen_on(w, H1, &[agent("coder-default"), agent("coder-3")]);
        let w = seen_on(w, H2, &[agent("coder-2"), agent("reviewer-default")]);
        w.expect_cmd(at(H3, argv::list_all()), Ok(engine_down()))
    };
    let r = check(&["sync"], converged(World::new(RETIRING)));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("[agents-sync] unchanged: coder-default@h1"),
        "{r:?}"
    );
    assert!(r.stderr.contains("error: host `h3`: "), "{r:?}");
    assert!(
        r.stderr.contains("Cannot connect to the Docker daemon"),
        "{r:?}"
    );

    let r = check(&["sync", "--json"], converged(World::new(RETIRING)));
    assert_eq!(r.code, 1, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["hosts_failed"][0]["host"], "h3", "{r:?}");
    assert_eq!(doc["failed"], serde_json::json!([]), "{r:?}");

    let r = check(
        &["plan", "--detailed-exitcode"],
        converged(World::new(RETIRING)),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("error: host `h3`: "), "{r:?}");

    let w = converged(World::new(RETIRING));
    let w = no_lock(no_lock(w, H1), H2)
        .expect_cmd(at(H3, argv::inspect(&["p.fleet-lock"])), Ok(engine_down()));
    let r = check(&["status"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("error: host `h3`: "), "{r:?}");
}

/// Issue 17, point 7: plan and status do not call a move's old container
/// `removed` when sync would only defer it (its new host cannot be read).
#[test]
fn a_move_to_a_host_that_cannot_be_read_is_deferred_in_plan_and_status() {
    let on2 = [agent("coder-2"), agent("reviewer-default")];
    let w = World::new(MOVED).expect_cmd(at(H1, argv::list_all()), Ok(engine_down()));
    let (r, doc) = {
        let r = check(&["plan", "--json"], seen_on(w, H2, &on2));
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        (r, doc)
    };
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(doc["removed"], serde_json::json!([]), "{doc:#}");
    let moved = (doc["actions"].as_array().unwrap().iter())
        .find(|a| a["name"] == "coder-2" && a["host"] == "h2")
        .unwrap();
    assert_eq!(moved["action"], "deferred", "{doc:#}");
    assert!(
        moved["reason"]
            .as_str()
            .unwrap()
            .contains("kept here until it does"),
        "{doc:#}"
    );

    let w = World::new(MOVED).expect_cmd(at(H1, argv::list_all()), Ok(engine_down()));
    let w = no_lock(seen_on(w, H2, &on2), H2)
        .expect_cmd(at(H1, argv::inspect(&["p.fleet-lock"])), Ok(engine_down()));
    let r = check(&["status"], w);
    let row = (r.stdout.lines())
        .find(|l| l.starts_with("coder-2@h2"))
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        row.contains("deferred") && !row.contains("removed"),
        "{row}"
    );
}
