//! `up`, `down`, `check` and `plan` exit codes against the fake runner: up
//! and down work from the `docker ps` listing under the project label (not
//! the config), batch their docker calls, and never name another container.

use crate::fake::FakeRunner;
use fleet::docker::Output;
use fleet::docker::argv;

use crate::support::*;

const ONE: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest"}}}"#;

/// Running containers with these IDs and names, as the confirming inspect sees them.
fn running(rows: &[(&str, &str)]) -> Vec<Existing> {
    let d = desired(ONE).remove(0);
    rows.iter()
        .map(|(id, name)| Existing::matching(&d).id(id).named(name))
        .collect()
}

fn listing(rows: &[(&str, &str, &str)]) -> String {
    rows.iter()
        .map(|(id, name, state)| format!("{id}\t{name}\t{state}\n"))
        .collect()
}

#[test]
fn up_starts_what_the_listing_shows_in_one_batched_call() {
    let fake = FakeRunner::new();
    // The config lists one coder; the engine has a pool of three, one paused.
    fake.expect_argv(
        argv::list_project("p").args,
        Ok(Output::ok(listing(&[
            (
                "1111111111111111111111111111111111111111111111111111111111111111",
                "coder-default",
                "exited",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "coder-2",
                "exited",
            ),
            (
                "3333333333333333333333333333333333333333333333333333333333333333",
                "coder-3",
                "created",
            ),
            (
                "4444444444444444444444444444444444444444444444444444444444444444",
                "coder-4",
                "running",
            ),
            (
                "5555555555555555555555555555555555555555555555555555555555555555",
                "coder-5",
                "paused",
            ),
        ]))),
    );
    fake.expect("start 1111111111111111111111111111111111111111111111111111111111111111 2222222222222222222222222222222222222222222222222222222222222222 3333333333333333333333333333333333333333333333333333333333333333", Output::ok("1111111111111111111111111111111111111111111111111111111111111111\n2222222222222222222222222222222222222222222222222222222222222222\n3333333333333333333333333333333333333333333333333333333333333333\n"));
    fake.expect(
        "unpause 5555555555555555555555555555555555555555555555555555555555555555",
        Output::ok("5555555555555555555555555555555555555555555555555555555555555555\n"),
    );
    expect_confirm(
        &fake,
        &running(&[
            (
                "1111111111111111111111111111111111111111111111111111111111111111",
                "coder-default",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "coder-2",
            ),
            (
                "3333333333333333333333333333333333333333333333333333333333333333",
                "coder-3",
            ),
            (
                "5555555555555555555555555555555555555555555555555555555555555555",
                "coder-5",
            ),
        ]),
    );
    let r = run_cli(ONE, &["--jobs", "1", "up"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-up] started: coder-default, coder-2, coder-3, coder-5\n"
    );
    assert_eq!(
        fake.calls().len(),
        4,
        "listing, one start, one unpause, one confirming inspect"
    );
    assert!(
        fake.calls()[0]
            .args
            .contains(&"label=fleet.project=p".to_string()),
        "filtered by the project label"
    );
}

#[test]
fn up_splits_the_batch_across_jobs_and_reports_partial_failures() {
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_project("p").args,
        Ok(Output::ok(listing(&[
            (
                "1111111111111111111111111111111111111111111111111111111111111111",
                "a-default",
                "exited",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "a-2",
                "exited",
            ),
            (
                "3333333333333333333333333333333333333333333333333333333333333333",
                "a-3",
                "exited",
            ),
            (
                "4444444444444444444444444444444444444444444444444444444444444444",
                "a-4",
                "exited",
            ),
        ]))),
    );
    fake.expect("start 1111111111111111111111111111111111111111111111111111111111111111 2222222222222222222222222222222222222222222222222222222222222222", Output::ok("1111111111111111111111111111111111111111111111111111111111111111\n2222222222222222222222222222222222222222222222222222222222222222\n"));
    fake.expect("start 3333333333333333333333333333333333333333333333333333333333333333 4444444444444444444444444444444444444444444444444444444444444444", Output {
        code: Some(1),
        stdout: "3333333333333333333333333333333333333333333333333333333333333333\n".into(),
        stderr: "Error response from daemon: OCI runtime create failed: boom\nError: failed to start containers: 4444444444444444444444444444444444444444444444444444444444444444\n".into(),
    });
    expect_confirm(
        &fake,
        &running(&[
            (
                "1111111111111111111111111111111111111111111111111111111111111111",
                "a-default",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "a-2",
            ),
            (
                "3333333333333333333333333333333333333333333333333333333333333333",
                "a-3",
            ),
        ]),
    );
    let mut after = running(&[
        (
            "1111111111111111111111111111111111111111111111111111111111111111",
            "a-default",
        ),
        (
            "2222222222222222222222222222222222222222222222222222222222222222",
            "a-2",
        ),
        (
            "3333333333333333333333333333333333333333333333333333333333333333",
            "a-3",
        ),
    ]);
    after.push(
        running(&[(
            "4444444444444444444444444444444444444444444444444444444444444444",
            "a-4",
        )])
        .remove(0)
        .exited(128),
    );
    expect_reobserve(&fake, &after);
    let r = run_cli(ONE, &["--jobs", "2", "up"], &fake);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "[containers-up] started: a-default, a-2, a-3\n");
    assert_eq!(
        r.stderr,
        "error: failed to start `a-4`: Error response from daemon: OCI runtime create failed: boom\n  now: `a-4` is exited 128 (444444444444)\n"
    );
}

#[test]
fn down_stops_running_containers_in_one_call_and_spares_busy_ones() {
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_project("p").args,
        Ok(Output::ok(listing(&[
            (
                "1111111111111111111111111111111111111111111111111111111111111111",
                "coder-default",
                "running",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "coder-2",
                "running",
            ),
            (
                "3333333333333333333333333333333333333333333333333333333333333333",
                "coder-9",
                "running",
            ),
        ]))),
    );
    let d = desired(ONE).remove(0);
    let mk = |id: &str, name: &str, execs: usize| {
        Existing::matching(&d)
            .id(id)
            .named(name)
            .execs(execs)
            .to_json()
    };
    fake.expect_argv(
        argv::inspect(&[
            "1111111111111111111111111111111111111111111111111111111111111111",
            "2222222222222222222222222222222222222222222222222222222222222222",
            "3333333333333333333333333333333333333333333333333333333333333333",
        ])
        .args,
        Ok(Output::ok(
            serde_json::to_string(&[
                mk(
                    "1111111111111111111111111111111111111111111111111111111111111111",
                    "coder-default",
                    0,
                ),
                mk(
                    "2222222222222222222222222222222222222222222222222222222222222222",
                    "coder-2",
                    3,
                ),
                mk(
                    "3333333333333333333333333333333333333333333333333333333333333333",
                    "coder-9",
                    0,
                ),
            ])
            .unwrap(),
        )),
    );
    fake.expect("stop -t 0 1111111111111111111111111111111111111111111111111111111111111111 3333333333333333333333333333333333333333333333333333333333333333", Output::ok("1111111111111111111111111111111111111111111111111111111111111111\n3333333333333333333333333333333333333333333333333333333333333333\n"));
    let r = run_cli(ONE, &["down", "-t", "0"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-down] stopped: coder-default, coder-9\n[containers-down] skipped: coder-2 (3 live exec sessions, left running; --force stops it anyway)\n"
    );
    assert!(!fake.calls().iter().any(|c| c.verb() == "stop"
        && c.args.contains(
            &"2222222222222222222222222222222222222222222222222222222222222222".to_string()
        )));
}

#[test]
fn down_with_nothing_running_runs_no_stop() {
    let fake = FakeRunner::new();
    fake.expect_argv(argv::list_project("p").args, Ok(Output::ok("")));
    let r = run_cli(ONE, &["down"], &fake);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "[containers-down] nothing to stop: no running container in the project\n"
    );
    assert_eq!(fake.calls().len(), 1);
}

#[test]
fn check_runs_no_docker_at_all() {
    let fake = FakeRunner::new();
    let r = run_cli(FLEET, &["check"], &fake);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "<dir>/agents.json: ok: project `p`, 2 types, 4 containers\n"
    );
    let r = run_cli(
        r#"{"types":{"x":{"image":"a","restart":"maybe"}}}"#,
        &["check"],
        &fake,
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(
            "error: <dir>/agents.json:1:45: types.x.restart: invalid restart policy `maybe`"
        ),
        "{}",
        r.stderr
    );
    assert!(fake.calls().is_empty());
}

#[test]
fn plan_exit_codes() {
    let one = || Existing::matching(&desired(ONE)[0]);
    // Nothing pending: 0, with or without --detailed-exitcode.
    for args in [&["plan"][..], &["plan", "--detailed-exitcode"]] {
        let fake = FakeRunner::new();
        expect_discovery(&fake, &[one()], &[("agent:latest", IMG)]);
        assert_eq!(run_cli(ONE, args, &fake).code, 0);
    }
    // Pending: 0 plain, 2 detailed.
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[one().exited(137)], &[("agent:latest", IMG)]);
    assert_eq!(run_cli(ONE, &["plan"], &fake).code, 0);
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[one().exited(137)], &[("agent:latest", IMG)]);
    let r = run_cli(ONE, &["plan", "--detailed-exitcode"], &fake);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "  start      coder-default  exited 137, matches\n[agents-plan] started: coder-default\n"
    );
    // A conflict: 1.
    let fake = FakeRunner::new();
    expect_discovery(&fake, &[Existing::foreign("coder-default", None)], &[]);
    assert_eq!(
        run_cli(ONE, &["plan", "--detailed-exitcode"], &fake).code,
        1
    );
    // Plans never mutate.
    assert!(
        fake.calls()
            .iter()
            .all(|c| ["ps", "inspect", "image"].contains(&c.verb()))
    );
}

#[test]
fn usage_errors_exit_2() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut io = fleet::Io {
        stop: &std::sync::atomic::AtomicBool::new(false),
        out: &mut out,
        err: &mut err,
        out_is_terminal: false,
        err_is_terminal: false,
        term_width: None,
    };
    let env = fleet::Env::default();
    assert_eq!(
        fleet::main_with(vec!["fleet".into(), "frobnicate".into()], &env, &mut io),
        2
    );
    assert_eq!(
        fleet::main_with(
            vec!["fleet".into(), "--jobs".into(), "0".into(), "sync".into()],
            &env,
            &mut io
        ),
        2
    );
    assert_eq!(
        fleet::main_with(vec!["fleet".into(), "--version".into()], &env, &mut io),
        0
    );
}
