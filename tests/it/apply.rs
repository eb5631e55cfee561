//! Sync against the fake runner: the exact docker commands that fire, in
//! order, and those that must not; failures that do not stop the others;
//! secrets kept off the command line.

use crate::fake::FakeRunner;
use fleet::docker::Output;
use fleet::docker::argv;

use crate::support::*;

const ONE: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"env":{"ROLE":"coder","TOKEN":"s3cr3t-value"}}}}"#;
const IMAGES: &[(&str, &str)] = &[("agent:latest", IMG)];

fn one() -> Existing {
    Existing::matching(&desired(ONE)[0])
}

fn verbs(fake: &FakeRunner) -> Vec<String> {
    fake.calls().iter().map(|c| c.verb().to_string()).collect()
}

// ---- the seed's three cases -------------------------------------------------

/// A fake engine with `coder-default` matching but Exited (137), scripted
/// for exactly one `docker start` of it and a confirming inspect that sees
/// it running.
fn one_stopped() -> FakeRunner {
    one_stopped_then(one())
}

/// [`one_stopped`], with the confirming inspect seeing `after`.
fn one_stopped_then(after: Existing) -> FakeRunner {
    let fake = FakeRunner::new();
    let stopped = one().exited(137);
    expect_discovery(&fake, std::slice::from_ref(&stopped), IMAGES);
    fake.expect(
        &format!("start {}", stopped.id),
        Output::ok(format!("{}\n", stopped.id)),
    );
    expect_confirm(&fake, &[after]);
    fake
}

#[test]
fn stopped_but_matching_is_started_with_exactly_one_docker_start() {
    let fake = one_stopped();
    let r = run_cli(ONE, &["--jobs", "1", "sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    let v = verbs(&fake);
    assert_eq!(v, ["ps", "inspect", "image", "start", "inspect"]);
    assert_eq!(v.iter().filter(|v| *v == "start").count(), 1);
    for forbidden in ["run", "create", "stop", "rm", "rename", "kill"] {
        assert!(
            !v.contains(&forbidden.to_string()),
            "`docker {forbidden}` fired: {v:?}"
        );
    }
}

#[test]
fn running_and_matching_issues_no_start_at_all() {
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[one()], IMAGES);
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        verbs(&fake),
        ["ps", "inspect", "image"],
        "only discovery runs"
    );
    assert_eq!(r.stdout, "[agents-sync] unchanged: coder-default\n");
}

#[test]
fn the_started_bucket_surfaces_end_to_end() {
    let fake = one_stopped();
    let r = run_cli(ONE, &["sync", "--json"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["started"], serde_json::json!(["coder-default"]));
    assert_eq!(doc["unchanged"], serde_json::json!([]));
    assert_eq!(doc["actions"][0]["action"], "started");
    assert_eq!(doc["actions"][0]["reason"], "exited 137, matches");

    let fake = one_stopped();
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
}

// ---- the other mutations ----------------------------------------------------

/// Scripts the recreate of `coder-default` (old container `old_id`): the
/// replacement created as `newid`, the old stopped, the new started and
/// seen running, the old removed, the new renamed.
fn expect_recreate(fake: &FakeRunner, old_id: &str) {
    let d = desired(ONE).remove(0);
    fake.expect_argv(argv::create_cmd(&d).args, Ok(Output::ok("newid\n")));
    fake.expect(&format!("stop -t 0 {old_id}"), Output::ok(""));
    fake.expect("start newid", Output::ok(""));
    // Up now, and still up (same start, no restart) a moment later.
    expect_confirm(fake, &[one().id("newid")]);
    expect_confirm(fake, &[one().id("newid")]);
    fake.expect(&format!("rm -f {old_id}"), Output::ok(""));
    fake.expect("rename newid coder-default", Output::ok(""));
}

#[test]
fn absent_is_created_with_docker_run_and_the_secret_stays_off_argv() {
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[], &[]);
    let d = desired(ONE).remove(0);
    let run = argv::run_cmd(&d);
    fake.expect_argv(run.args.clone(), Ok(Output::ok("newid\n")));
    expect_confirm(&fake, &[one().id("newid")]);
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] created: coder-default\n");
    let calls = fake.calls();
    let run_call = calls.iter().find(|c| c.verb() == "run").unwrap();
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
    let fake = FakeRunner::new();
    let old = one().image_id(IMG2);
    expect_discovery(&fake, std::slice::from_ref(&old), IMAGES);
    expect_recreate(&fake, &old.id);
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] recreated: coder-default\n");
    assert_eq!(
        verbs(&fake),
        [
            "ps", "inspect", "image", "create", "stop", "start", "inspect", "inspect", "rm",
            "rename"
        ]
    );
    assert!(
        fake.calls()[3]
            .args
            .contains(&"coder-default.fleet-next".to_string())
    );
}

#[test]
fn a_failed_replacement_leaves_the_old_container_untouched() {
    let fake = FakeRunner::new();
    let old = one().image_id(IMG2);
    expect_discovery(&fake, std::slice::from_ref(&old), IMAGES);
    let d = desired(ONE).remove(0);
    fake.expect_argv(
        argv::create_cmd(&d).args,
        Ok(Output::fail(125, "Unable to find image 'agent:latest' locally\nError response from daemon: pull access denied")),
    );
    expect_reobserve(&fake, std::slice::from_ref(&old));
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] failed: coder-default\n");
    insta::assert_snapshot!(r.stderr);
    let v = verbs(&fake);
    assert!(
        !["rm", "rename", "stop", "start"]
            .iter()
            .any(|f| v.contains(&f.to_string())),
        "{v:?}"
    );
}

#[test]
fn one_failure_does_not_stop_the_others() {
    let fake = FakeRunner::new();
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let stopped: Vec<Existing> = e.iter().map(|x| x.clone().exited(137)).collect();
    expect_discovery(&fake, &stopped, IMAGES);
    let all: Vec<&str> = e.iter().map(|x| x.id.as_str()).collect();
    fake.expect_argv(
        argv::start(&all).args,
        Ok(Output {
            code: Some(1),
            stdout: format!("{}\n{}\n{}\n", e[0].id, e[2].id, e[3].id),
            stderr: format!(
                "Error response from daemon: cannot start: no space left on device\nError: failed to start containers: {}\n",
                e[1].id
            ),
        }),
    );
    expect_confirm(&fake, &[e[0].clone(), e[2].clone(), e[3].clone()]);
    expect_reobserve(
        &fake,
        &[e[0].clone(), stopped[1].clone(), e[2].clone(), e[3].clone()],
    );
    let r = run_cli(FLEET, &["--jobs", "1", "sync"], &fake);
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
    let fake = one_stopped_then(one().exited(3));
    let r = run_cli(ONE, &["sync"], &fake);
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
    let fake = FakeRunner::new();
    let d = desired(FLEET);
    let mut e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let intruder = Existing::foreign("reviewer-default", None);
    e[3] = intruder.clone();
    expect_discovery(&fake, &e, IMAGES);
    let two = FLEET.replace("\"instances\": 3", "\"instances\": 2");
    fake.expect(&format!("rm -f {}", e[2].id), Output::ok(""));
    let r = run_cli(&two, &["sync"], &fake);
    assert_eq!(r.code, 1, "the conflict fails the run: {r:?}");
    assert_eq!(
        r.stdout,
        "[agents-sync] removed: coder-3\n[agents-sync] unchanged: coder-default, coder-2\n[agents-sync] failed: reviewer-default\n"
    );
    assert!(r.stderr.contains("name conflict"), "{}", r.stderr);
    assert!(
        fake.calls().iter().skip(1).all(|c| c.verb() == "inspect"
            || c.verb() == "image"
            || !c.args.contains(&intruder.id))
    );
}

#[test]
fn busy_containers_are_deferred_and_forced_on_request() {
    let old = one().image_id(IMG2).execs(2);
    let fake = FakeRunner::new();
    expect_discovery(&fake, std::slice::from_ref(&old), IMAGES);
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "[agents-sync] deferred: coder-default\n");
    assert_eq!(
        verbs(&fake),
        ["ps", "inspect", "image"],
        "nothing mutates a busy container"
    );
    insta::assert_snapshot!(r.stderr);

    let fake = FakeRunner::new();
    expect_discovery(&fake, std::slice::from_ref(&old), IMAGES);
    expect_recreate(&fake, &old.id);
    let r = run_cli(ONE, &["sync", "--force"], &fake);
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
        let fake = FakeRunner::new();
        let r = run_cli(text, &["sync"], &fake);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.starts_with("error: <dir>/agents.json"),
            "{}",
            r.stderr
        );
        assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    }
}

#[test]
fn an_empty_config_is_refused_and_changes_nothing() {
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[one()], &[]);
    let r = run_cli(r#"{"project":"p","types":{}}"#, &["sync"], &fake);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("refusing to remove them all") && r.stderr.contains("--allow-empty"),
        "{}",
        r.stderr
    );
    assert_eq!(verbs(&fake), ["ps", "inspect"]);
}

#[test]
fn an_unreachable_engine_is_a_clear_error() {
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_all().args,
        Ok(Output::fail(1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")),
    );
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn a_no_op_sync_of_a_large_fleet_costs_three_docker_commands() {
    let big = r#"{"project":"p","defaults":{"image":"agent:latest"},"types":{"a":{"instances":100},"b":{"instances":100}}}"#;
    let e: Vec<Existing> = desired(big).iter().map(Existing::matching).collect();
    assert_eq!(e.len(), 200);
    let fake = FakeRunner::new();
    expect_discovery(&fake, &e, IMAGES);
    let r = run_cli(big, &["sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(fake.calls().len(), 3);
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
        let fake = FakeRunner::new();
        expect_discovery(&fake, &stopped, IMAGES);
        let ids: Vec<&str> = stopped.iter().map(|x| x.id.as_str()).collect();
        for chunk in ids.chunks(8usize.div_ceil(jobs)) {
            fake.expect_argv(argv::start(chunk).args, Ok(Output::ok(chunk.join("\n"))));
        }
        for x in &d[8..] {
            fake.expect_argv(
                argv::run_cmd(x).args,
                Ok(Output::ok(format!("new-{}\n", x.name))),
            );
        }
        let mut confirmed: Vec<Existing> = e[..8].to_vec();
        confirmed.extend(
            d[8..]
                .iter()
                .map(|x| Existing::matching(x).id(&format!("new-{}", x.name))),
        );
        expect_confirm(&fake, &confirmed);
        let r = run_cli(
            &big,
            &["--jobs", &jobs.to_string(), "sync", "--json"],
            &fake,
        );
        let starts = fake.calls().iter().filter(|c| c.verb() == "start").count();
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
        let fake = FakeRunner::new();
        let d = desired(FLEET);
        let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
        let gone =
            Existing::matching(&desired(&FLEET.replace("\"instances\": 3", "\"instances\": 4"))[3]);
        expect_discovery(
            &fake,
            &[
                e[0].clone().exited(137),
                e[1].clone().image_id(IMG2).execs(1),
                e[2].clone(),
                gone.clone(),
            ],
            IMAGES,
        );
        fake.expect(
            &format!("start {}", e[0].id),
            Output::ok(format!("{}\n", e[0].id)),
        );
        fake.expect_argv(argv::run_cmd(&d[3]).args, Ok(Output::ok("rid\n")));
        fake.expect(&format!("rm -f {}", gone.id), Output::ok(""));
        expect_confirm(&fake, &[e[0].clone(), e[3].clone().id("rid")]);
        fake
    };
    let fake = build();
    let r = run_cli(FLEET, &["--jobs", "1", "sync"], &fake);
    insta::assert_snapshot!(
        "mixed_text",
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            r.code, r.stdout, r.stderr
        )
    );
    let fake = build();
    let r = run_cli(FLEET, &["--jobs", "1", "sync", "--json"], &fake);
    insta::assert_snapshot!("mixed_json", r.stdout);
    let fake = build();
    let r = run_cli(FLEET, &["--jobs", "1", "sync", "--color", "always"], &fake);
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
        let fake = FakeRunner::new();
        let stopped = one().exited(137);
        fake.expect_argv(
            argv::list_all().args,
            Ok(Output::ok(format!(
                "{}\tcoder-default\t\"p\"\n",
                stopped.id
            ))),
        );
        fake.expect_argv(
            argv::inspect(&[stopped.id.as_str()]).args,
            Ok(Output::ok(bad)),
        );
        let r = run_cli(ONE, &["sync"], &fake);
        assert_eq!(r.code, 1, "{bad}: {r:?}");
        assert!(
            r.stderr
                .starts_with("error: could not parse `docker inspect` output"),
            "{bad}: {}",
            r.stderr
        );
        assert_eq!(verbs(&fake), ["ps", "inspect"], "{bad}");
    }
}

#[test]
fn a_never_run_container_whose_start_fails_is_recreated_but_an_exited_one_is_not() {
    // After an engine crash a `created` container can hold a stale task.
    let stale = "Error response from daemon: task 0123: already exists";
    let fake = FakeRunner::new();
    let created = one().created();
    expect_discovery(&fake, std::slice::from_ref(&created), IMAGES);
    fake.expect(&format!("start {}", created.id), Output::fail(1, stale));
    expect_recreate(&fake, &created.id);
    let r = run_cli(ONE, &["sync", "--json"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["recreated"], serde_json::json!(["coder-default"]));
    let reason = doc["actions"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("already exists") && reason.contains("had never run"),
        "{reason}"
    );

    // An exited container has run: its state is not thrown away.
    let fake = FakeRunner::new();
    let exited = one().exited(137);
    expect_discovery(&fake, std::slice::from_ref(&exited), IMAGES);
    fake.expect(&format!("start {}", exited.id), Output::fail(1, stale));
    expect_reobserve(&fake, std::slice::from_ref(&exited));
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 1);
    assert_eq!(
        verbs(&fake),
        ["ps", "inspect", "image", "start", "ps", "inspect"],
        "no create, no rm: only a re-read after the failure"
    );
    assert!(
        r.stderr.contains("now: `coder-default` is exited 137"),
        "{}",
        r.stderr
    );
}
