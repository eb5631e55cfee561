//! `up`, `down`, `check` and `plan` exit codes against the fake runner: up
//! and down work from the `docker ps` listing under the project label (not
//! the config), batch their docker calls, and never name another container.

use fleet::docker::Output;

use crate::harness::*;
use crate::support::*;

/// A container ID: the digit `n`, 64 times.
fn id(n: u8) -> String {
    n.to_string().repeat(64)
}

/// Containers [`ONE`]'s spec, running, with these (ID digit, name), as the
/// confirming inspect sees them.
fn running(rows: &[(u8, &str)]) -> Vec<Existing> {
    rows.iter()
        .map(|(n, name)| one().id(&id(*n)).named(name))
        .collect()
}

/// A world whose `docker ps` of project `p` lists these (ID digit, name,
/// state), and whose inspect of them shows that state.
fn listing(rows: &[(u8, &str, &str)]) -> World {
    let seen: Vec<Existing> = rows
        .iter()
        .map(|(n, name, state)| in_state(one().id(&id(*n)).named(name), state))
        .collect();
    World::new(ONE).project_listing(&seen)
}

/// `e` in the state docker names `state`.
fn in_state(e: Existing, state: &str) -> Existing {
    match state {
        "exited" => e.exited(0),
        "created" => e.created(),
        "paused" => e.paused(),
        "running" => e,
        other => panic!("no such state in these tests: {other}"),
    }
}

#[test]
fn up_starts_what_the_listing_shows_in_one_batched_call() {
    // The config lists one coder; the engine has a pool of three, one paused.
    let world = listing(&[
        (1, "coder-default", "exited"),
        (2, "coder-2", "exited"),
        (3, "coder-3", "created"),
        (4, "coder-4", "running"),
        (5, "coder-5", "paused"),
    ])
    .expect(
        &format!("start {} {} {}", id(1), id(2), id(3)),
        Output::ok(format!("{}\n{}\n{}\n", id(1), id(2), id(3))),
    )
    .expect(
        &format!("unpause {}", id(5)),
        Output::ok(format!("{}\n", id(5))),
    )
    .inspect(&running(&[
        (1, "coder-default"),
        (2, "coder-2"),
        (3, "coder-3"),
        (5, "coder-5"),
    ]));
    let r = check(&["--jobs", "1", "up"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-up] started: coder-default, coder-2, coder-3, coder-5\n"
    );
    assert_eq!(
        r.calls.len(),
        5,
        "listing, its inspect (states come from it), one start, one unpause, one confirming inspect"
    );
    assert!(
        r.calls[0]
            .args
            .contains(&"label=fleet.project=p".to_string()),
        "filtered by the project label"
    );
}

#[test]
fn up_splits_the_batch_across_jobs_and_reports_partial_failures() {
    let started = running(&[(1, "a-default"), (2, "a-2"), (3, "a-3")]);
    let mut after = started.clone();
    after.extend(running(&[(4, "a-4")]).into_iter().map(|e| e.exited(128)));
    let world = listing(&[
        (1, "a-default", "exited"),
        (2, "a-2", "exited"),
        (3, "a-3", "exited"),
        (4, "a-4", "exited"),
    ])
    .expect(
        &format!("start {} {}", id(1), id(2)),
        Output::ok(format!("{}\n{}\n", id(1), id(2))),
    )
    .expect(
        &format!("start {} {}", id(3), id(4)),
        Output {
            code: Some(1),
            stdout: format!("{}\n", id(3)),
            stderr: format!(
                "Error response from daemon: OCI runtime create failed: boom\nError: failed to start containers: {}\n",
                id(4)
            ),
        },
    )
    .inspect(&started)
    .reobserve(&after);
    let r = check(&["--jobs", "2", "up"], world);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "[containers-up] started: a-default, a-2, a-3\n");
    assert_eq!(
        r.stderr,
        "error: failed to start `a-4`: Error response from daemon: OCI runtime create failed: boom\n  now: `a-4` is exited 128 (444444444444)\n"
    );
}

#[test]
fn down_stops_running_containers_in_one_call_and_spares_busy_ones() {
    let seen = running(&[(1, "coder-default"), (2, "coder-2"), (3, "coder-9")]);
    let seen = [seen[0].clone(), seen[1].clone().execs(3), seen[2].clone()];
    let world = World::new(ONE).project_listing(&seen).claims(&[]).expect(
        &format!("stop -t 0 {} {}", id(1), id(3)),
        Output::ok(format!("{}\n{}\n", id(1), id(3))),
    );
    let r = check(&["down", "-t", "0"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-down] stopped: coder-default, coder-9\n[containers-down] skipped: coder-2 (3 live exec sessions, left running; --force stops it anyway)\n"
    );
    assert!(
        !r.calls
            .iter()
            .any(|c| c.verb() == "stop" && c.args.contains(&id(2)))
    );
}

#[test]
fn down_spares_an_agent_a_fleet_exec_has_claimed_before_its_command_starts() {
    // coder-2 has no exec session yet: the claim alone makes it busy.
    let seen = running(&[(1, "coder-default"), (2, "coder-2")]);
    let world = World::new(ONE)
        .project_listing(&seen)
        .claims(&["coder-2"])
        .expect(
            &format!("stop -t 0 {}", id(1)),
            Output::ok(format!("{}\n", id(1))),
        );
    let r = check(&["down", "-t", "0"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("skipped: coder-2 (claimed by 4242@far since "),
        "{}",
        r.stdout
    );
    assert!(
        !r.calls
            .iter()
            .any(|c| c.verb() == "stop" && c.args.contains(&id(2)))
    );

    // --force stops it anyway, and reads no claim.
    let world = World::new(ONE).project_listing(&seen).expect(
        &format!("stop -t 0 {} {}", id(1), id(2)),
        Output::ok(format!("{}\n{}\n", id(1), id(2))),
    );
    let r = check(&["down", "-t", "0", "--force"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.calls
            .iter()
            .any(|c| c.args.iter().any(|a| a.contains("fleet.claim")))
    );
}

#[test]
fn down_with_nothing_running_runs_no_stop() {
    let r = check(&["down"], listing(&[]));
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "[containers-down] nothing to stop: no running container in the project\n"
    );
    assert_eq!(r.calls.len(), 1);
}

#[test]
fn check_runs_no_docker_at_all() {
    let r = check(&["check"], World::new(FLEET));
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "<dir>/agents.json: ok: project `p`, 2 types, 4 containers\n"
    );
    assert!(r.calls.is_empty());
    let r = check(
        &["check"],
        World::new(r#"{"types":{"x":{"image":"a","restart":"maybe"}}}"#),
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(
            "error: <dir>/agents.json:1:45: types.x.restart: invalid restart policy `maybe`"
        ),
        "{}",
        r.stderr
    );
    assert!(r.calls.is_empty());
}

#[test]
fn plan_exit_codes() {
    let world = |e: Existing| World::new(ONE).discovery(&[e], IMAGES);
    // Nothing pending: 0, with or without --detailed-exitcode.
    for args in [&["plan"][..], &["plan", "--detailed-exitcode"]] {
        assert_eq!(check(args, world(one())).code, 0);
    }
    // Pending: 0 plain, 2 detailed.
    assert_eq!(check(&["plan"], world(one().exited(137))).code, 0);
    let r = check(&["plan", "--detailed-exitcode"], world(one().exited(137)));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "  start      coder-default  exited 137, matches\n[agents-plan] started: coder-default\n"
    );
    // A conflict: 1.
    let conflict = World::new(ONE).discovery(&[Existing::foreign("coder-default", None)], &[]);
    let r = check(&["plan", "--detailed-exitcode"], conflict);
    assert_eq!(r.code, 1);
    // Plans never mutate.
    assert!(
        r.verbs()
            .iter()
            .all(|v| ["ps", "inspect", "image"].contains(v))
    );
}

#[test]
fn usage_errors_exit_2() {
    for (args, code) in [
        (&["frobnicate"][..], 2),
        (&["--jobs", "0", "sync"], 2),
        (&["--version"], 0),
    ] {
        assert_eq!(check(args, World::bare()).code, code, "{args:?}");
    }
}
