//! The decision table of DESIGN.md, row by row, on the pure planner: one
//! helper, one case a row, no processes.

use fleet::plan::{Bucket, Op, Options, plan};
use serde_json::json;

use crate::support::*;

/// (name, bucket, op verb, a fragment the reason must contain)
type Row<'a> = (&'a str, Bucket, &'a str, &'a str);

fn check(config_text: &str, existing: Vec<Existing>, opts: Options, expected: &[Row]) {
    let d = desired(config_text);
    let a = actual(&existing, IMAGES);
    let p = plan("p", &d, &a, opts).expect("plan");
    let got: Vec<(String, Bucket, &str, String)> = p
        .actions
        .iter()
        .map(|a| (a.name.clone(), a.bucket, a.op.verb(), a.reason.clone()))
        .collect();
    assert_eq!(got.len(), expected.len(), "actions: {got:#?}");
    for ((name, bucket, verb, reason), (en, eb, ev, er)) in got.iter().zip(expected) {
        assert_eq!(
            (name.as_str(), *bucket, *verb),
            (*en, *eb, *ev),
            "in {got:#?}"
        );
        assert!(
            reason.contains(er),
            "reason of {name} is `{reason}`, expected it to contain `{er}`"
        );
        assert!(
            !reason.contains("s3cr3t"),
            "reason leaks an env value: {reason}"
        );
    }
}

fn coder(text: &str) -> Existing {
    Existing::matching(&desired(text)[0])
}

const NONE: Options = Options {
    force: false,
    allow_empty: false,
};
const FORCE: Options = Options {
    force: true,
    allow_empty: false,
};

#[test]
fn absent_is_created() {
    check(
        ONE,
        vec![],
        NONE,
        &[("coder-default", Bucket::Created, "create", "absent")],
    );
}

#[test]
fn running_and_matching_is_unchanged() {
    check(
        ONE,
        vec![one()],
        NONE,
        &[(
            "coder-default",
            Bucket::Unchanged,
            "none",
            "running, matches",
        )],
    );
}

#[test]
fn exited_137_and_matching_is_started() {
    check(
        ONE,
        vec![one().exited(137)],
        NONE,
        &[("coder-default", Bucket::Started, "start", "exited 137")],
    );
}

#[test]
fn created_never_started_is_started() {
    check(
        ONE,
        vec![one().created()],
        NONE,
        &[("coder-default", Bucket::Started, "start", "created")],
    );
}

#[test]
fn paused_and_matching_is_unpaused() {
    check(
        ONE,
        vec![one().paused()],
        NONE,
        &[("coder-default", Bucket::Started, "unpause", "paused")],
    );
}

#[test]
fn running_must_be_the_boolean_true() {
    let mut e = one();
    e.running = json!("true");
    check(
        ONE,
        vec![e],
        NONE,
        &[("coder-default", Bucket::Started, "start", "")],
    );
    let mut e = one();
    e.running = json!(null);
    check(
        ONE,
        vec![e],
        NONE,
        &[("coder-default", Bucket::Started, "start", "")],
    );
}

#[test]
fn restarting_is_left_to_the_restart_policy() {
    check(
        ONE,
        vec![one().restarting()],
        NONE,
        &[("coder-default", Bucket::Unchanged, "none", "crash-looping")],
    );
}

/// A crash loop or a failing healthcheck is left alone (recreating the
/// same spec would not help) but named, never "running, matches".
#[test]
fn crash_loops_and_unhealthy_containers_are_named() {
    let mut looping = one().restarting().restarts(7);
    looping.exit_code = 1;
    let world = actual(&[looping], IMAGES);
    let p = plan("p", &desired(ONE), &world, Options::default()).unwrap();
    let a = &p.actions[0];
    assert_eq!(a.bucket, Bucket::Unchanged);
    assert_eq!(
        a.unready.as_deref(),
        Some("crash-looping (7 restarts, last exit 1)")
    );
    assert_eq!(
        a.reason,
        "matches, but crash-looping (7 restarts, last exit 1)"
    );
    let world = actual(&[one().health("unhealthy", "no db\n")], IMAGES);
    let p = plan("p", &desired(ONE), &world, Options::default()).unwrap();
    assert_eq!(p.actions[0].reason, "matches, but unhealthy: no db");
    let world = actual(&[one().health("healthy", "")], IMAGES);
    let p = plan("p", &desired(ONE), &world, Options::default()).unwrap();
    assert_eq!(
        (
            p.actions[0].reason.as_str(),
            p.actions[0].unready.as_deref()
        ),
        ("running, matches", None)
    );
}

/// Between two restarts a crash loop runs: `RestartCount` ≥ 1 and a start
/// less than a minute before the look (`seen_at`, 2026-01-01T00:00:30Z
/// here) is crash-looping all the same, with its last exit unknown
/// (docker keeps none while it runs); a minute later it is running.
#[test]
fn a_crash_loop_between_two_restarts_is_named_too() {
    let looking = |after: f64| {
        let mut world = actual(&[one().restarts(2)], IMAGES);
        world.containers[0].seen_at = Some(1_767_225_600.0 + after);
        let p = plan("p", &desired(ONE), &world, Options::default()).unwrap();
        let a = p.actions[0].clone();
        (a.bucket, a.reason, a.unready)
    };
    let word = "crash-looping (2 restarts, last exit unknown)";
    assert_eq!(
        looking(30.0),
        (
            Bucket::Unchanged,
            format!("matches, but {word}"),
            Some(word.to_string())
        )
    );
    assert_eq!(
        looking(90.0),
        (Bucket::Unchanged, "running, matches".to_string(), None)
    );
}

#[test]
fn env_change_is_recreated_naming_the_key_not_the_value() {
    let old = ONE.replace("\"ROLE\":\"coder\"", "\"ROLE\":\"old\"");
    let e = coder(&old);
    check(
        ONE,
        vec![e],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "env ROLE changed",
        )],
    );
}

#[test]
fn env_key_added_and_removed_are_named() {
    let old = ONE.replace("\"ROLE\":\"coder\"", "\"GONE\":\"x\"");
    check(
        ONE,
        vec![coder(&old)],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "env ROLE added, env GONE removed",
        )],
    );
}

/// The default `PATH` podman writes into `Config.Env` (issue 17).
const ENGINE_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The reason for `coder-default`, made from a config with ROLE=old and
/// holding `env`, from an image that sets no env.
fn reason_from_image_without_env(config_text: &str, env: &[&str]) -> String {
    let old = ONE.replace("\"ROLE\":\"coder\"", "\"ROLE\":\"old\"");
    let mut e = coder(&old);
    e.env = env.iter().map(|kv| kv.to_string()).collect();
    let d = desired(config_text);
    let mut a = actual(&[e], IMAGES);
    for image in a.images.values_mut() {
        image.env_keys.clear();
    }
    let p = plan("p", &d, &a, NONE).expect("plan");
    assert_eq!(p.actions.len(), 1, "{:#?}", p.actions);
    assert_eq!(p.actions[0].bucket, Bucket::Recreated, "{:#?}", p.actions);
    p.actions[0].reason.clone()
}

#[test]
fn an_engines_default_path_is_not_a_removed_key_but_a_dropped_or_changed_one_is() {
    let with_path = |path: &str| {
        ONE.replace(
            "\"ROLE\":\"coder\"",
            &format!("\"ROLE\":\"coder\",\"PATH\":\"{path}\""),
        )
    };
    let rows: &[(&str, String, &[&str], &str)] = &[
        // podman's default, neither the config's nor the image's: not named.
        (
            "engine default",
            ONE.into(),
            &["ROLE=old", "TOKEN=s3cr3t-value", ENGINE_PATH],
            "env ROLE changed",
        ),
        // A PATH the old config set and the new one drops: removed.
        (
            "dropped",
            ONE.into(),
            &["ROLE=old", "TOKEN=s3cr3t-value", "PATH=/opt/bin"],
            "env ROLE changed, env PATH removed",
        ),
        // The config now sets PATH; the container has the engine's: changed.
        (
            "set over the default",
            with_path("/opt/bin"),
            &["ROLE=old", "TOKEN=s3cr3t-value", ENGINE_PATH],
            "env PATH changed, env ROLE changed",
        ),
        // The config sets exactly the default: nothing to say of PATH.
        (
            "set to the default",
            with_path(&ENGINE_PATH[5..]),
            &["ROLE=old", "TOKEN=s3cr3t-value", ENGINE_PATH],
            "env ROLE changed",
        ),
        // Another key with the default PATH's value is still removed.
        (
            "same value, other key",
            ONE.into(),
            &[
                "ROLE=old",
                "TOKEN=s3cr3t-value",
                &ENGINE_PATH.replacen("PATH", "MYPATH", 1),
            ],
            "env ROLE changed, env MYPATH removed",
        ),
    ];
    for (what, config_text, env, want) in rows {
        assert_eq!(
            reason_from_image_without_env(config_text, env),
            *want,
            "{what}"
        );
    }
}

#[test]
fn image_reference_change_is_recreated() {
    let old = ONE.replace("agent:latest", "agent:v1");
    check(
        ONE,
        vec![coder(&old)],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "image agent:v1 → agent:latest",
        )],
    );
}

#[test]
fn command_change_is_recreated() {
    let old = ONE.replace("\"infinity\"", "\"1000\"");
    check(
        ONE,
        vec![coder(&old)],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "command changed",
        )],
    );
}

#[test]
fn other_field_change_is_recreated_as_a_hash_difference() {
    // run_args is an escape hatch fleet cannot read back from docker inspect.
    let old = ONE.replace("\"command\"", "\"run_args\":[\"--privileged\"],\"command\"");
    check(
        ONE,
        vec![coder(&old)],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "fleet.config-hash differs",
        )],
    );
}

#[test]
fn each_changed_field_is_named() {
    let rich = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],
        "entrypoint":["/bin/tini","--"],"mounts":["/a:/a"],"workdir":"/w","user":"1000","network":"agents",
        "restart":"always","memory":"1g","cpus":2,"init":true}}}"#;
    let cases = [
        (
            r#""mounts":["/a:/a"]"#,
            r#""mounts":["/a:/a","/b:/b:ro"]"#,
            "mounts removed: /b:/b:ro",
        ),
        (
            r#""mounts":["/a:/a"]"#,
            r#""mounts":[]"#,
            "mounts added: /a:/a",
        ),
        (
            r#""mounts":["/a:/a"]"#,
            r#""mounts":["/a:/c"]"#,
            "mounts /a:/c → /a:/a",
        ),
        (
            r#""workdir":"/w""#,
            r#""workdir":"/old""#,
            "workdir /old → /w",
        ),
        (r#""user":"1000""#, r#""user":"root""#, "user root → 1000"),
        (
            r#""network":"agents""#,
            r#""network":"other""#,
            "network other → agents",
        ),
        (
            r#""restart":"always""#,
            r#""restart":"no""#,
            "restart no → always",
        ),
        (r#""memory":"1g""#, r#""memory":"512m""#, "memory 512m → 1g"),
        (r#""cpus":2"#, r#""cpus":0.5"#, "cpus 0.5 → 2"),
        (r#""init":true"#, r#""init":false"#, "init false → true"),
        (
            r#""entrypoint":["/bin/tini","--"]"#,
            r#""entrypoint":["/sbin/init","--"]"#,
            "entrypoint changed",
        ),
        (
            r#""command":["sleep","infinity"]"#,
            r#""command":["sleep","1"]"#,
            "command changed",
        ),
    ];
    for (now, before, reason) in cases {
        let old = coder(&rich.replace(now, before));
        check(
            rich,
            vec![old],
            NONE,
            &[("coder-default", Bucket::Recreated, "recreate", reason)],
        );
    }
    // Unchanged rich spec: no field is reported.
    check(
        rich,
        vec![coder(rich)],
        NONE,
        &[(
            "coder-default",
            Bucket::Unchanged,
            "none",
            "running, matches",
        )],
    );
}

#[test]
fn moved_image_is_recreated() {
    check(
        ONE,
        vec![one().image_id(IMG2)],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "image agent:latest moved (222222222222 → 111111111111)",
        )],
    );
}

#[test]
fn unresolvable_image_is_not_drift() {
    let d = desired(ONE);
    let a = actual(&[one().image_id(IMG2)], &[]);
    let p = plan("p", &d, &a, NONE).unwrap();
    assert_eq!(p.actions[0].bucket, Bucket::Unchanged);
}

#[test]
fn missing_hash_label_is_recreated() {
    check(
        ONE,
        vec![one().no_hash()],
        NONE,
        &[(
            "coder-default",
            Bucket::Recreated,
            "recreate",
            "no fleet.config-hash label",
        )],
    );
}

#[test]
fn dead_is_recreated() {
    check(
        ONE,
        vec![one().dead()],
        NONE,
        &[("coder-default", Bucket::Recreated, "recreate", "dead")],
    );
}

#[test]
fn drifted_and_stopped_is_recreated_not_started() {
    check(
        ONE,
        vec![one().exited(137).image_id(IMG2)],
        NONE,
        &[("coder-default", Bucket::Recreated, "recreate", "moved")],
    );
}

#[test]
fn drifted_with_live_exec_sessions_is_deferred_unless_forced() {
    let busy = || one().image_id(IMG2).execs(2);
    check(
        ONE,
        vec![busy()],
        NONE,
        &[(
            "coder-default",
            Bucket::Deferred,
            "none",
            "2 live exec sessions; would recreate: image agent:latest moved",
        )],
    );
    check(
        ONE,
        vec![busy()],
        FORCE,
        &[("coder-default", Bucket::Recreated, "recreate", "moved")],
    );
}

#[test]
fn matching_with_exec_sessions_is_simply_unchanged() {
    check(
        ONE,
        vec![one().execs(1)],
        NONE,
        &[("coder-default", Bucket::Unchanged, "none", "running")],
    );
}

#[test]
fn scaled_down_instances_are_removed() {
    let three = desired(FLEET);
    let existing: Vec<Existing> = three.iter().map(Existing::matching).collect();
    let two = FLEET.replace("\"instances\": 3", "\"instances\": 1");
    check(
        &two,
        existing,
        NONE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            ("reviewer-default", Bucket::Unchanged, "none", ""),
            (
                "coder-2",
                Bucket::Removed,
                "remove",
                "instance 2 is beyond types.coder.instances = 1",
            ),
            ("coder-3", Bucket::Removed, "remove", "instance 3 is beyond"),
        ],
    );
}

#[test]
fn removed_type_is_removed_and_busy_removal_is_deferred() {
    let all = desired(FLEET);
    let reviewer = Existing::matching(all.iter().find(|d| d.type_name == "reviewer").unwrap());
    check(
        ONE,
        vec![one(), reviewer.clone()],
        NONE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            (
                "reviewer-default",
                Bucket::Removed,
                "remove",
                "type `reviewer` is no longer in the config",
            ),
        ],
    );
    check(
        ONE,
        vec![one(), reviewer.clone().execs(1)],
        NONE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            (
                "reviewer-default",
                Bucket::Deferred,
                "none",
                "1 live exec session; would remove: type `reviewer`",
            ),
        ],
    );
    check(
        ONE,
        vec![one(), reviewer.execs(1)],
        FORCE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            ("reviewer-default", Bucket::Removed, "remove", ""),
        ],
    );
}

#[test]
fn a_desired_name_held_by_a_foreign_container_is_a_conflict() {
    check(
        ONE,
        vec![Existing::foreign("coder-default", None)],
        NONE,
        &[(
            "coder-default",
            Bucket::Failed,
            "none",
            "has no fleet labels",
        )],
    );
    check(
        ONE,
        vec![Existing::foreign("coder-default", Some("other"))],
        NONE,
        &[(
            "coder-default",
            Bucket::Failed,
            "none",
            "belongs to project `other`",
        )],
    );
}

#[test]
fn foreign_containers_elsewhere_are_not_in_the_plan() {
    check(
        ONE,
        vec![
            one(),
            Existing::foreign("web", None),
            Existing::foreign("db", Some("other")),
        ],
        NONE,
        &[("coder-default", Bucket::Unchanged, "none", "")],
    );
}

#[test]
fn a_leftover_replacement_is_removed_first_when_its_agent_is_kept() {
    let leftover = || one().named("coder-default.fleet-next").id(&"f".repeat(64));
    check(
        ONE,
        vec![one(), leftover()],
        NONE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            (
                "coder-default.fleet-next",
                Bucket::Removed,
                "remove",
                "leftover replacement of `coder-default` from an interrupted recreate",
            ),
        ],
    );
    // The running old one is kept and recreated; the leftover goes first
    // (apply removes before it recreates), freeing the temporary name.
    check(
        ONE,
        vec![one().image_id(IMG2), leftover()],
        NONE,
        &[
            ("coder-default", Bucket::Recreated, "recreate", "moved"),
            (
                "coder-default.fleet-next",
                Bucket::Removed,
                "remove",
                "leftover replacement",
            ),
        ],
    );
}

#[test]
fn a_swap_cut_off_after_the_replacement_started_is_finished() {
    // The old one stopped and drifted, the replacement runs and matches:
    // keep the replacement, remove the old, give it the name.
    let leftover = one().named("coder-default.fleet-next").id(&"f".repeat(64));
    let d = desired(ONE);
    let a = actual(&[one().image_id(IMG2).exited(137), leftover], IMAGES);
    let p = plan("p", &d, &a, NONE).unwrap();
    let rows: Vec<(&str, Bucket, &str)> = p
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.bucket, a.reason.as_str()))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[0].0, "coder-default");
    assert_eq!(rows[0].1, Bucket::Renamed);
    assert!(
        rows[0].2.contains("found as `coder-default.fleet-next`"),
        "{rows:#?}"
    );
    assert_eq!(
        p.actions[0].rename.as_ref().map(|r| r.id.as_str()),
        Some("f".repeat(64).as_str())
    );
    assert_eq!((rows[1].0, rows[1].1), ("coder-default", Bucket::Removed));
    assert!(
        rows[1]
            .2
            .contains("another container for instance 1 of type `coder`"),
        "{rows:#?}"
    );
}

#[test]
fn interrupted_recreate_with_old_gone_takes_the_replacement_back() {
    let leftover = one().named("coder-default.fleet-next").id(&"f".repeat(64));
    check(
        ONE,
        vec![leftover],
        NONE,
        &[(
            "coder-default",
            Bucket::Renamed,
            "none",
            "found as `coder-default.fleet-next`, renamed back; running, matches",
        )],
    );
    // Stopped and drifted: renamed back first, then recreated.
    let leftover = one()
        .named("coder-default.fleet-next")
        .id(&"f".repeat(64))
        .image_id(IMG2)
        .created();
    let d = desired(ONE);
    let p = plan("p", &d, &actual(&[leftover], IMAGES), NONE).unwrap();
    assert_eq!(p.actions.len(), 1, "{p:#?}");
    assert_eq!(p.actions[0].bucket, Bucket::Recreated);
    assert!(p.actions[0].rename.is_some());
}

#[test]
fn a_renamed_agent_is_the_same_agent() {
    // `docker rename coder-2 coder-2-old`: its labels still say instance 2.
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let moved = e[1].clone().named("coder-2-old").exited(137);
    let a = actual(
        &[e[0].clone(), moved.clone(), e[2].clone(), e[3].clone()],
        IMAGES,
    );
    let p = plan("p", &d, &a, NONE).unwrap();
    let two = p.actions.iter().find(|a| a.name == "coder-2").unwrap();
    assert_eq!(two.bucket, Bucket::Started, "{p:#?}");
    assert_eq!(
        two.rename.as_ref().map(|r| r.id.as_str()),
        Some(moved.id.as_str())
    );
    assert!(
        two.reason.contains("found as `coder-2-old`"),
        "{}",
        two.reason
    );
    assert!(
        !p.actions
            .iter()
            .any(|a| matches!(a.op, Op::Remove { .. } | Op::Run(_))),
        "nothing removed or created: {p:#?}"
    );
    // Running and matching: renamed back, nothing else.
    let a = actual(
        &[
            e[0].clone(),
            moved.clone().named("x").id(&e[1].id),
            e[2].clone(),
            e[3].clone(),
        ],
        IMAGES,
    );
    let a = fleet::observe::Actual {
        containers: a
            .containers
            .into_iter()
            .map(|mut c| {
                if c.name == "x" {
                    c.state.running = true;
                    c.state.status = fleet::spec::ContainerState::Running;
                }
                c
            })
            .collect(),
        ..a
    };
    let p = plan("p", &d, &a, NONE).unwrap();
    let two = p.actions.iter().find(|a| a.name == "coder-2").unwrap();
    assert_eq!(two.bucket, Bucket::Renamed, "{p:#?}");
}

#[test]
fn two_containers_claiming_one_instance_keep_one_with_a_true_reason() {
    let d = desired(ONE);
    let twin = one().named("coder-twin").id(&"e".repeat(64));
    let a = actual(&[one(), twin], IMAGES);
    let p = plan("p", &d, &a, NONE).unwrap();
    assert_eq!(p.actions.len(), 2, "{p:#?}");
    assert_eq!(p.actions[0].bucket, Bucket::Unchanged);
    assert_eq!(p.actions[1].name, "coder-twin");
    assert_eq!(p.actions[1].bucket, Bucket::Removed);
    assert!(
        p.actions[1]
            .reason
            .starts_with("another container for instance 1 of type `coder`; `coder-default`"),
        "{}",
        p.actions[1].reason
    );
    assert!(!p.actions[1].reason.contains("beyond"), "no false reason");
}

#[test]
fn a_busy_leftover_is_deferred_not_killed_and_holds_back_its_recreate() {
    let leftover = one()
        .named("coder-default.fleet-next")
        .id(&"f".repeat(64))
        .image_id(IMG2)
        .execs(1);
    check(
        ONE,
        vec![one().image_id(IMG2), leftover],
        NONE,
        &[
            (
                "coder-default",
                Bucket::Deferred,
                "none",
                "its leftover replacement `coder-default.fleet-next` has live exec sessions",
            ),
            (
                "coder-default.fleet-next",
                Bucket::Deferred,
                "none",
                "1 live exec session; would remove",
            ),
        ],
    );
}

#[test]
fn a_container_being_removed_is_left_alone() {
    let mut gone = one();
    gone.status = "removing";
    gone.running = serde_json::json!(false);
    check(
        ONE,
        vec![gone],
        NONE,
        &[(
            "coder-default",
            Bucket::Deferred,
            "none",
            "being removed by the engine",
        )],
    );
    let mut extra =
        Existing::matching(&desired(&ONE.replace("\"image\"", "\"instances\":2,\"image\""))[1]);
    extra.status = "removing";
    check(
        ONE,
        vec![one(), extra],
        NONE,
        &[
            ("coder-default", Bucket::Unchanged, "none", ""),
            (
                "coder-2",
                Bucket::Deferred,
                "none",
                "being removed by the engine",
            ),
        ],
    );
}

#[test]
fn a_dead_container_never_reads_as_matching() {
    let d = desired(ONE);
    let p = plan("p", &d, &actual(&[one().dead()], IMAGES), NONE).unwrap();
    assert_eq!(p.actions[0].bucket, Bucket::Recreated);
    assert_eq!(p.actions[0].matches, Some(false));
}

#[test]
fn a_foreign_container_on_the_temporary_name_fails_the_recreate_only() {
    let squatter = Existing::foreign("coder-default.fleet-next", None);
    let d = desired(ONE);
    let p = plan(
        "p",
        &d,
        &actual(&[one().image_id(IMG2), squatter], IMAGES),
        NONE,
    )
    .unwrap();
    assert_eq!(p.actions.len(), 1, "the squatter gets no action: {p:#?}");
    assert_eq!(p.actions[0].bucket, Bucket::Failed);
    assert!(
        p.actions[0].reason.contains("temporary name"),
        "{}",
        p.actions[0].reason
    );
}

#[test]
fn an_empty_config_is_refused_while_the_project_has_containers() {
    let empty = r#"{"project":"p","types":{}}"#;
    let d = desired(empty);
    let a = actual(&[one()], &[]);
    let err = plan("p", &d, &a, NONE).unwrap_err();
    assert_eq!(err.kind(), fleet::error::Kind::Refused);
    assert!(err.message().contains("declares no container"), "{err}");
    assert_eq!(
        err.help(),
        ["if the fleet really should be empty, rerun with --allow-empty"]
    );
    let p = plan(
        "p",
        &d,
        &a,
        Options {
            force: false,
            allow_empty: true,
        },
    )
    .unwrap();
    assert_eq!(p.actions[0].bucket, Bucket::Removed);
    // No containers at all: nothing to refuse.
    assert!(
        plan("p", &d, &actual(&[], &[]), NONE)
            .unwrap()
            .actions
            .is_empty()
    );
}

#[test]
fn a_whole_fleet_in_order() {
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    check(
        FLEET,
        vec![e[0].clone().exited(137), e[2].clone().paused()],
        NONE,
        &[
            ("coder-default", Bucket::Started, "start", "exited 137"),
            ("coder-2", Bucket::Created, "create", "absent"),
            ("coder-3", Bucket::Started, "unpause", "paused"),
            ("reviewer-default", Bucket::Created, "create", "absent"),
        ],
    );
}

#[test]
fn pending_counts_everything_but_unchanged_and_failed() {
    let d = desired(ONE);
    let unchanged = plan("p", &d, &actual(&[one()], IMAGES), NONE).unwrap();
    assert!(!unchanged.pending());
    let stopped = plan("p", &d, &actual(&[one().exited(0)], IMAGES), NONE).unwrap();
    assert!(stopped.pending());
}
