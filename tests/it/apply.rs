//! Sync against the fake runner: the exact docker commands that fire, in
//! order, and those that must not; failures that do not stop the others;
//! secrets kept off the command line.

use fleet::docker::Output;
use fleet::docker::argv;

use crate::harness::*;
use crate::support::*;

// ---- the seed's three cases -------------------------------------------------

/// `coder-default` matching but Exited (137), scripted for exactly one
/// `docker start` of it and a confirming inspect that sees `after`.
fn one_stopped_then(after: Existing) -> World {
    let stopped = one().exited(137);
    World::new(ONE)
        .discovery(std::slice::from_ref(&stopped), IMAGES)
        .expect(
            &format!("start {}", stopped.id),
            Output::ok(format!("{}\n", stopped.id)),
        )
        .inspect(&[after])
}

/// [`one_stopped_then`] seeing it running.
fn one_stopped() -> World {
    one_stopped_then(one())
}

#[test]
fn stopped_but_matching_is_started_with_exactly_one_docker_start() {
    let r = check(&["--jobs", "1", "sync"], one_stopped());
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.verbs();
    assert_eq!(v, ["ps", "inspect", "image", "start", "inspect"]);
    assert_eq!(v.iter().filter(|v| **v == "start").count(), 1);
    for forbidden in ["run", "create", "stop", "rm", "rename", "kill"] {
        assert!(!v.contains(&forbidden), "`docker {forbidden}` fired: {v:?}");
    }
}

#[test]
fn running_and_matching_issues_no_start_at_all() {
    let r = check(&["sync"], World::new(ONE).discovery(&[one()], IMAGES));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.verbs(), ["ps", "inspect", "image"], "only discovery runs");
    assert_eq!(r.stdout, "[agents-sync] unchanged: coder-default\n");
}

#[test]
fn the_started_bucket_surfaces_end_to_end() {
    let r = check(&["sync", "--json"], one_stopped());
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["started"], serde_json::json!(["coder-default"]));
    assert_eq!(doc["unchanged"], serde_json::json!([]));
    assert_eq!(doc["actions"][0]["action"], "started");
    assert_eq!(doc["actions"][0]["reason"], "exited 137, matches");

    let r = check(&["sync"], one_stopped());
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
}

// ---- the other mutations ----------------------------------------------------

/// Scripts the recreate of `coder-default` (old container `old_id`): the
/// replacement created as `newid`, the old stopped, the new started and
/// seen running, the old removed, the new renamed.
fn recreate(world: World, old_id: &str) -> World {
    let d = desired(ONE).remove(0);
    world
        .expect_cmd(argv::create_cmd(&d), Ok(Output::ok("newid\n")))
        .expect(&format!("stop -t 0 {old_id}"), Output::ok(""))
        .expect("start newid", Output::ok(""))
        // Up now, and still up (same start, no restart) a moment later.
        .inspect(&[one().id("newid")])
        .inspect(&[one().id("newid")])
        .expect(&format!("rm -f {old_id}"), Output::ok(""))
        .expect("rename newid coder-default", Output::ok(""))
}

#[test]
fn absent_is_created_with_docker_run_and_the_secret_stays_off_argv() {
    let d = desired(ONE).remove(0);
    let world = World::new(ONE)
        .discovery(&[], &[])
        .expect_cmd(argv::run_cmd(&d), Ok(Output::ok("newid\n")))
        .inspect(&[one().id("newid")]);
    let r = check(&["sync"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] created: coder-default\n");
    let run_call = r.calls.iter().find(|c| c.verb() == "run").unwrap();
    assert!(
        run_call
            .args
            .windows(2)
            .any(|w| w == ["--env-file", "/dev/stdin"])
    );
    assert!(
        !run_call.line().contains("s3cr3t"),
        "secret on argv: {}",
        run_call.line()
    );
    assert!(
        run_call
            .env_file
            .contains(&("TOKEN".to_string(), "s3cr3t-value".to_string())),
        "the value travels on stdin, as an env file"
    );
    assert!(!r.stdout.contains("s3cr3t") && !r.stderr.contains("s3cr3t"));
}

#[test]
fn recreate_creates_stops_starts_confirms_then_removes_and_renames() {
    let old = one().image_id(IMG2);
    let world = World::new(ONE).discovery(std::slice::from_ref(&old), IMAGES);
    let r = check(&["sync"], recreate(world, &old.id));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] recreated: coder-default\n");
    assert_eq!(
        r.verbs(),
        [
            "ps", "inspect", "image", "create", "stop", "start", "inspect", "inspect", "rm",
            "rename"
        ]
    );
    assert!(
        r.calls[3]
            .args
            .contains(&"coder-default.fleet-next".to_string())
    );
}

#[test]
fn a_failed_replacement_leaves_the_old_container_untouched() {
    let old = one().image_id(IMG2);
    let d = desired(ONE).remove(0);
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(
            argv::create_cmd(&d),
            Ok(Output::fail(125, "Unable to find image 'agent:latest' locally\nError response from daemon: pull access denied")),
        )
        .reobserve(std::slice::from_ref(&old));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] failed: coder-default\n");
    insta::assert_snapshot!(r.stderr);
    let v = r.verbs();
    assert!(
        !["rm", "rename", "stop", "start"]
            .iter()
            .any(|f| v.contains(f)),
        "{v:?}"
    );
}

#[test]
fn one_failure_does_not_stop_the_others() {
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let stopped: Vec<Existing> = e.iter().map(|x| x.clone().exited(137)).collect();
    let all: Vec<&str> = e.iter().map(|x| x.id.as_str()).collect();
    let world = World::new(FLEET)
        .discovery(&stopped, IMAGES)
        .expect_cmd(
            argv::start(&all),
            Ok(Output {
                code: Some(1),
                stdout: format!("{}\n{}\n{}\n", e[0].id, e[2].id, e[3].id),
                stderr: format!(
                    "Error response from daemon: cannot start: no space left on device\nError: failed to start containers: {}\n",
                    e[1].id
                ),
            }),
        )
        .inspect(&[e[0].clone(), e[2].clone(), e[3].clone()])
        .reobserve(&[e[0].clone(), stopped[1].clone(), e[2].clone(), e[3].clone()]);
    let r = check(&["--jobs", "1", "sync"], world);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "[agents-sync] started: coder-default, coder-3, reviewer-default\n[agents-sync] failed: coder-2\n"
    );
    assert_eq!(
        r.stderr,
        format!(
            "error: failed to start `coder-2`: Error response from daemon: cannot start: no space left on device\n  now: `coder-2` is exited 137 ({})\n",
            &e[1].id[..12]
        )
    );
}

#[test]
fn a_container_that_exits_at_once_is_reported_failed_with_its_exit_code() {
    let r = check(&["sync"], one_stopped_then(one().exited(3)));
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "[agents-sync] failed: coder-default\n");
    assert!(
        r.stderr
            .contains("`coder-default` exited at once with code 3"),
        "{}",
        r.stderr
    );
}

#[test]
fn scale_down_removes_by_id_and_a_foreign_holder_is_never_touched() {
    let d = desired(FLEET);
    let mut e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let intruder = Existing::foreign("reviewer-default", None);
    e[3] = intruder.clone();
    let two = FLEET.replace("\"instances\": 3", "\"instances\": 2");
    let world = World::new(&two)
        .discovery(&e, IMAGES)
        .expect(&format!("rm -f {}", e[2].id), Output::ok(""));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "the conflict fails the run: {r:?}");
    assert_eq!(
        r.stdout,
        "[agents-sync] removed: coder-3\n[agents-sync] unchanged: coder-default, coder-2\n[agents-sync] failed: reviewer-default\n"
    );
    assert!(r.stderr.contains("name conflict"), "{}", r.stderr);
    assert!(
        r.calls.iter().skip(1).all(|c| c.verb() == "inspect"
            || c.verb() == "image"
            || !c.args.contains(&intruder.id))
    );
}

#[test]
fn busy_containers_are_deferred_and_forced_on_request() {
    let old = one().image_id(IMG2).execs(2);
    let busy = || World::new(ONE).discovery(std::slice::from_ref(&old), IMAGES);
    let r = check(&["sync"], busy());
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "[agents-sync] deferred: coder-default\n");
    assert_eq!(
        r.verbs(),
        ["ps", "inspect", "image"],
        "nothing mutates a busy container"
    );
    insta::assert_snapshot!(r.stderr);

    let r = check(&["sync", "--force"], recreate(busy(), &old.id));
    assert_eq!(r.stdout, "[agents-sync] recreated: coder-default\n");
}

#[test]
fn a_bad_config_runs_no_docker_command() {
    for text in [
        "",
        "{",
        r#"{"types":{"coder":{"image":"a","instances":101}}}"#,
        r#"{"types":{"coder":{}}}"#,
    ] {
        let r = check(&["sync"], World::new(text));
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.starts_with("error: <dir>/agents.json"),
            "{}",
            r.stderr
        );
        assert!(r.calls.is_empty(), "{r:?}");
    }
}

#[test]
fn an_empty_config_is_refused_and_changes_nothing() {
    let world = World::new(r#"{"project":"p","types":{}}"#).discovery(&[one()], &[]);
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("refusing to remove them all") && r.stderr.contains("--allow-empty"),
        "{}",
        r.stderr
    );
    assert_eq!(r.verbs(), ["ps", "inspect"]);
}

#[test]
fn an_unreachable_engine_is_a_clear_error() {
    let r = check(
        &["sync"],
        World::new(ONE).expect_cmd(argv::list_all(), Ok(engine_down())),
    );
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn a_no_op_sync_of_a_large_fleet_costs_three_docker_commands() {
    let big = r#"{"project":"p","defaults":{"image":"agent:latest"},"types":{"a":{"instances":100},"b":{"instances":100}}}"#;
    let e: Vec<Existing> = desired(big).iter().map(Existing::matching).collect();
    assert_eq!(e.len(), 200);
    let r = check(&["sync"], World::new(big).discovery(&e, IMAGES));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.calls.len(), 3);
}

#[test]
fn jobs_1_and_jobs_8_give_the_same_actions_and_output() {
    // Stopped and absent members: starts are batched (one `docker start`
    // with --jobs 1, one a container with --jobs 8), runs go one per
    // container; actions and output are the same.
    let big = FLEET.replace("\"instances\": 3", "\"instances\": 12");
    let run = |jobs: usize| {
        let d = desired(&big);
        let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
        let stopped: Vec<Existing> = e[..8].iter().map(|x| x.clone().exited(137)).collect();
        let mut world = World::new(&big).discovery(&stopped, IMAGES);
        let ids: Vec<&str> = stopped.iter().map(|x| x.id.as_str()).collect();
        for chunk in ids.chunks(8usize.div_ceil(jobs)) {
            world = world.expect_cmd(argv::start(chunk), Ok(Output::ok(chunk.join("\n"))));
        }
        for x in &d[8..] {
            world = world.expect_cmd(
                argv::run_cmd(x),
                Ok(Output::ok(format!("new-{}\n", x.name))),
            );
        }
        let mut confirmed: Vec<Existing> = e[..8].to_vec();
        confirmed.extend(
            d[8..]
                .iter()
                .map(|x| Existing::matching(x).id(&format!("new-{}", x.name))),
        );
        let r = check(
            &["--jobs", &jobs.to_string(), "sync", "--json"],
            world.inspect(&confirmed),
        );
        let starts = r.verbs().iter().filter(|v| **v == "start").count();
        (r.code, r.stdout, r.stderr, starts)
    };
    let (one, eight) = (run(1), run(8));
    assert_eq!((one.3, eight.3), (1, 8), "batched into --jobs calls");
    assert_eq!((&one.0, &one.1, &one.2), (&eight.0, &eight.1, &eight.2));
    assert_eq!(one.0, 0, "{one:?}");
    let doc: serde_json::Value = serde_json::from_str(&one.1).unwrap();
    assert_eq!(
        doc["created"],
        serde_json::json!([
            "coder-9",
            "coder-10",
            "coder-11",
            "coder-12",
            "reviewer-default"
        ])
    );
    assert_eq!(doc["started"].as_array().unwrap().len(), 8);
}

#[test]
fn docker_run_argv_for_a_rich_spec() {
    let c = fleet::config::Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/configs/good/full.json"
    )))
    .unwrap();
    let d = c.desired().remove(1);
    let cmd = argv::run_cmd(&d);
    let keys: Vec<&str> = cmd.env_file.iter().map(|(k, _)| k.as_str()).collect();
    insta::assert_snapshot!(format!(
        "{}\n\nenv keys: {}",
        cmd.args.join("\n"),
        keys.join(" ")
    ));
    assert!(!cmd.line().contains("not-a-real-secret"));
}

#[test]
fn mixed_outcome_text_and_json() {
    let build = || {
        let d = desired(FLEET);
        let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
        let gone =
            Existing::matching(&desired(&FLEET.replace("\"instances\": 3", "\"instances\": 4"))[3]);
        World::new(FLEET)
            .discovery(
                &[
                    e[0].clone().exited(137),
                    e[1].clone().image_id(IMG2).execs(1),
                    e[2].clone(),
                    gone.clone(),
                ],
                IMAGES,
            )
            .expect(
                &format!("start {}", e[0].id),
                Output::ok(format!("{}\n", e[0].id)),
            )
            .expect_cmd(argv::run_cmd(&d[3]), Ok(Output::ok("rid\n")))
            .expect(&format!("rm -f {}", gone.id), Output::ok(""))
            .inspect(&[e[0].clone(), e[3].clone().id("rid")])
    };
    let r = check(&["--jobs", "1", "sync"], build());
    insta::assert_snapshot!(
        "mixed_text",
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            r.code, r.stdout, r.stderr
        )
    );
    let r = check(&["--jobs", "1", "sync", "--json"], build());
    insta::assert_snapshot!("mixed_json", r.stdout);
    let r = check(&["--jobs", "1", "sync", "--color", "always"], build());
    assert!(r.stdout.contains("\u{1b}["), "--color always colours");
    insta::assert_snapshot!("mixed_text_color", r.stdout);
    assert!(!r.stdout.contains("s3cr3t"));
}

#[test]
fn malformed_inspect_output_is_an_error_and_nothing_mutates() {
    for bad in [
        "not json",
        "{}",
        "[{\"Id\":1}]",
        "[{\"Id\":\"a\",\"Name\":\"/x\"}]",
    ] {
        let stopped = one().exited(137);
        let world = World::new(ONE)
            .expect_cmd(
                argv::list_all(),
                Ok(Output::ok(format!(
                    "{}\tcoder-default\t\"p\"\n",
                    stopped.id
                ))),
            )
            .expect_cmd(argv::inspect(&[stopped.id.as_str()]), Ok(Output::ok(bad)));
        let r = check(&["sync"], world);
        assert_eq!(r.code, 1, "{bad}: {r:?}");
        assert!(
            r.stderr
                .starts_with("error: could not parse `docker inspect` output"),
            "{bad}: {}",
            r.stderr
        );
        assert_eq!(r.verbs(), ["ps", "inspect"], "{bad}");
    }
}

#[test]
fn a_never_run_container_whose_start_fails_is_recreated_but_an_exited_one_is_not() {
    // After an engine crash a `created` container can hold a stale task.
    let stale = "Error response from daemon: task 0123: already exists";
    let created = one().created();
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&created), IMAGES)
        .expect(&format!("start {}", created.id), Output::fail(1, stale));
    let r = check(&["sync", "--json"], recreate(world, &created.id));
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["recreated"], serde_json::json!(["coder-default"]));
    let reason = doc["actions"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("already exists") && reason.contains("had never run"),
        "{reason}"
    );

    // An exited container has run: its state is not thrown away.
    let exited = one().exited(137);
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&exited), IMAGES)
        .expect(&format!("start {}", exited.id), Output::fail(1, stale))
        .reobserve(std::slice::from_ref(&exited));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.verbs(),
        ["ps", "inspect", "image", "start", "ps", "inspect"],
        "no create, no rm: only a re-read after the failure"
    );
    assert!(
        r.stderr.contains("now: `coder-default` is exited 137"),
        "{}",
        r.stderr
    );
}

/// The `exec_create` events the engine shows: exec0 is a health probe of
/// `cat /tmp/ready`, exec1 a dispatcher's session.
fn probe_events(id: &str) -> Output {
    Output::ok(format!(
        "{id}\texec0\t\"exec_create: /bin/sh -c cat /tmp/ready\"\n{id}\texec1\t\"exec_create: sh -c work\"\n"
    ))
}

/// A container with a healthcheck whose only exec session is a health
/// probe is not busy: it is recreated, after one `docker events` call
/// that tells the probe from work. A dispatcher's session still defers.
#[test]
fn a_health_probe_is_not_work_but_a_dispatchers_session_is() {
    let hc = ONE.replace(
        r#""command""#,
        r#""healthcheck":{"test":["CMD-SHELL","cat /tmp/ready"],"interval":"1s"},"command""#,
    );
    let d = desired(&hc).remove(0);
    let mut old = Existing::matching(&d).image_id(IMG2).execs(1);
    let world = World::new(&hc)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(
            argv::exec_events(40, crate::fake::ANY),
            Ok(probe_events(&old.id)),
        )
        .expect_cmd(argv::create_cmd(&d), Ok(Output::ok("newid\n")))
        .expect(&format!("stop -t 0 {}", old.id), Output::ok(""))
        .expect("start newid", Output::ok(""))
        .inspect(&[Existing::matching(&d).id("newid")])
        .inspect(&[Existing::matching(&d).id("newid")])
        .expect(&format!("rm -f {}", old.id), Output::ok(""))
        .expect("rename newid coder-default", Output::ok(""));
    let r = check(&["sync"], world);
    assert_eq!(
        r.stdout, "[agents-sync] recreated: coder-default\n",
        "{r:?}"
    );

    old.exec_ids = vec!["exec0".into(), "exec1".into()];
    let world = World::new(&hc)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(
            argv::exec_events(40, crate::fake::ANY),
            Ok(probe_events(&old.id)),
        );
    let r = check(&["plan"], world);
    assert!(
        r.stdout.contains("1 live exec session; would recreate"),
        "{}",
        r.stdout
    );

    // When the events cannot be read, every session is work.
    old.exec_ids = vec!["exec0".into()];
    let world = World::new(&hc)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(
            argv::exec_events(40, crate::fake::ANY),
            Ok(Output::fail(1, "boom")),
        );
    let r = check(&["plan"], world);
    assert!(
        r.stdout.contains("1 live exec session; would recreate"),
        "{}",
        r.stdout
    );
}

/// A `fleet exec` claim alone (no exec session yet: the command is still
/// being started) makes its agent busy for sync: a drifted one is
/// deferred, saying who holds it, and nothing mutates it. The claim is
/// read from the listing sync makes anyway (no call of its own).
#[test]
fn a_claimed_agent_is_deferred_by_sync_before_its_command_starts() {
    let old = one().image_id(IMG2);
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 1.0;
    let claim_row = format!(
        "{:064x}\tcoder-default.fleet-claim\t{}\n",
        0xc1a1u64,
        serde_json::json!(format!(
            "fleet.claim=p,fleet.claim.agent=coder-default,fleet.claim.holder=ops@far pid 4242,fleet.claim.machine=far,fleet.claim.pid=4242,fleet.claim.since={since:.3},fleet.claim.grace=3600"
        ))
    );
    let w = World::new(ONE)
        .expect_cmd(
            argv::list_all(),
            Ok(Output::ok(listing(std::slice::from_ref(&old)) + &claim_row)),
        )
        .inspect(std::slice::from_ref(&old))
        .images(IMAGES);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] deferred: coder-default\n");
    assert!(
        r.stderr.contains("claimed by 4242@far since "),
        "{}",
        r.stderr
    );
    assert_eq!(r.verbs(), ["ps", "inspect", "image"], "{r:?}");
}

/// A claim row of the listing, `since` seconds ago with `grace`.
fn claim_row(n: u64, agent: &str, project: &str, age: f64, grace: f64) -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - age;
    format!(
        "{:064x}\t{agent}.fleet-claim\t{}\n",
        n,
        serde_json::json!(format!(
            "fleet.claim={project},fleet.claim.agent={agent},fleet.claim.holder=ops@far pid 4242,fleet.claim.machine=far,fleet.claim.pid=4242,fleet.claim.since={since:.3},fleet.claim.grace={grace}"
        ))
    )
}

/// sync removes the claims whose holder is gone (here: taken on another
/// machine past their grace), by ID, saying so, even when it changes
/// nothing else; it never removes a claim that counts, another project's,
/// or one `plan` sees (plan changes nothing).
#[test]
fn sync_clears_lapsed_claims_and_nothing_else() {
    let agent = one();
    let rows = || {
        listing(std::slice::from_ref(&agent))
            + &claim_row(0xdead, "coder-9", "p", 7200.0, 150.0)
            + &claim_row(0xbeef, "coder-default", "p", 1.0, 3600.0)
            + &claim_row(0xf00d, "coder-8", "other", 7200.0, 150.0)
    };
    let seen = || {
        World::new(ONE)
            .expect_cmd(argv::list_all(), Ok(Output::ok(rows())))
            .inspect(std::slice::from_ref(&agent))
            .images(IMAGES)
    };
    let lapsed = format!("{:064x}", 0xdead);
    let w = seen().expect_cmd(
        fleet::docker::Cmd::new(["rm", lapsed.as_str()]),
        Ok(Output::ok(lapsed.clone() + "\n")),
    );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("fleet: removed `coder-9`'s lapsed `fleet exec` claim (its holder is gone)"),
        "{}",
        r.stderr
    );
    let removed: Vec<&fleet::docker::Cmd> = r.calls.iter().filter(|c| c.verb() == "rm").collect();
    assert_eq!(removed.len(), 1, "{r:?}");

    let r = check(&["plan"], seen());
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.verbs().contains(&"rm"), "{r:?}");
}
