//! `--wait` against the fake runner: one batched inspect of the containers
//! still pending a round, ready when healthy (or up and stable), failing at
//! once on an exit, an unhealthy verdict or a restart, and at the timeout.

use fleet::docker::{Output, argv};

use crate::harness::*;
use crate::support::*;

/// Two members of `coder`, both stopped, so sync starts them.
const TWO: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"instances":2}}}"#;

fn members() -> Vec<Existing> {
    desired(TWO).iter().map(Existing::matching).collect()
}

/// Sync of [`TWO`] with both members stopped: discovery, a `docker start`
/// each (batched into up to `--jobs` calls), the confirming inspect seeing
/// them running.
fn two_stopped() -> World {
    let running = members();
    let stopped: Vec<Existing> = running.iter().map(|e| e.clone().exited(137)).collect();
    let w = World::new(TWO).discovery(&stopped, IMAGES);
    stopped
        .iter()
        .fold(w, |w, e| {
            w.expect_cmd(argv::start(&[&e.id]), Ok(Output::ok(format!("{}\n", e.id))))
        })
        .inspect(&running)
}

/// One round of the wait: a `docker inspect` of these containers by name.
fn poll(w: World, seen: &[Existing]) -> World {
    let names: Vec<&str> = seen.iter().map(|e| e.name.as_str()).collect();
    let doc: Vec<serde_json::Value> = seen.iter().map(Existing::to_json).collect();
    let doc = serde_json::to_string(&doc).unwrap();
    w.expect_cmd(argv::inspect(&names), Ok(Output::ok(doc)))
}

/// The container's last lines, asked for when it failed.
fn logs(w: World, name: &str, text: &str) -> World {
    w.expect_cmd(argv::logs_tail(name, 5), Ok(Output::ok(text)))
}

/// How many rounds of the wait ran (inspects by name).
fn rounds(r: &Ran) -> usize {
    r.calls
        .iter()
        .filter(|c| c.verb() == "inspect" && c.args.last().is_some_and(|a| a.starts_with("coder")))
        .count()
}

#[test]
fn one_batched_inspect_a_round_of_only_the_pending_until_healthy() {
    let m = members();
    let w = poll(
        two_stopped(),
        &[
            m[0].clone().health("healthy", ""),
            m[1].clone().health("starting", ""),
        ],
    );
    let w = poll(w, &[m[1].clone().health("healthy", "")]);
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(rounds(&r), 2, "{r:?}");
}

#[test]
fn without_a_healthcheck_ready_means_up_and_unchanged_for_the_settle_time() {
    let m = members();
    // Rounds half a second apart: the third is a full second after the first.
    let w = (0..3).fold(two_stopped(), |w, _| poll(w, &m));
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(rounds(&r), 3, "{r:?}");
}

#[test]
fn an_exit_fails_at_once_with_its_code_and_last_lines() {
    let m = members();
    let w = poll(
        two_stopped(),
        &[m[0].clone().exited(3), m[1].clone().health("healthy", "")],
    );
    let w = logs(w, "coder-default", "config missing\n");
    let r = check(&["sync", "--wait", "--wait-timeout", "600"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`coder-default` exited with code 3 (exited 3) while fleet waited for it to be ready; its last output: config missing"),
        "{r:?}"
    );
    assert_eq!(rounds(&r), 1, "{r:?}");
}

#[test]
fn unhealthy_fails_at_once_with_the_probe_output() {
    let m = members();
    let w = poll(
        two_stopped(),
        &[
            m[0].clone().health("unhealthy", "db down"),
            m[1].clone().health("healthy", ""),
        ],
    );
    let w = logs(w, "coder-default", "");
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("`coder-default` is unhealthy: its healthcheck said `db down`"),
        "{r:?}"
    );
}

#[test]
fn a_restart_between_two_rounds_fails_at_once() {
    let m = members();
    let up = |e: &Existing| e.clone().health("starting", "");
    let w = poll(
        two_stopped(),
        &[up(&m[0]), m[1].clone().health("healthy", "")],
    );
    let mut again = up(&m[0]).restarts(1);
    again.started_at = "2026-01-01T00:00:05Z".into();
    let w = logs(poll(w, &[again]), "coder-default", "panic\n");
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("did not stay up: it restarted (restart count 0 → 1)"),
        "{r:?}"
    );
}

#[test]
fn a_container_still_starting_at_the_timeout_fails_naming_the_timeout() {
    let m = members();
    let w = poll(
        two_stopped(),
        &[
            m[0].clone().health("starting", ""),
            m[1].clone().health("healthy", ""),
        ],
    );
    let r = check(&["sync", "--wait", "--wait-timeout", "0"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("`coder-default` was not ready: the wait timed out after 0s"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("coder-2`"), "{r:?}");
}

#[test]
fn a_crash_looping_container_left_unchanged_fails_the_wait_but_not_a_plain_sync() {
    let looping = one().restarting().restarts(7).exited(1);
    let mut looping = looping;
    looping.running = serde_json::json!(true);
    looping.status = "restarting";
    let plain = check(
        &["sync"],
        World::new(ONE).discovery(std::slice::from_ref(&looping), IMAGES),
    );
    assert_eq!(plain.code, 0, "{plain:?}");
    let w = World::new(ONE).discovery(std::slice::from_ref(&looping), IMAGES);
    let w = logs(poll(w, std::slice::from_ref(&looping)), "coder-default", "");
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`coder-default` is crash-looping"),
        "{r:?}"
    );
}

/// Between two restarts a crash loop runs, and docker says so only by its
/// `RestartCount` and a recent `StartedAt`: a plain sync warns, status
/// reads crash-looping, and `--wait` fails at its first look, with the
/// last exit unknown (docker keeps no exit code while it runs).
#[test]
fn a_crash_loop_between_two_restarts_is_said_by_sync_status_and_wait() {
    let looping = one().restarted_by_policy(1, 5);
    let word = "crash-looping (1 restart, last exit unknown)";
    let seen = || World::new(ONE).discovery(std::slice::from_ref(&looping), IMAGES);
    let plain = check(&["sync"], seen());
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(
        plain.stderr.contains(&format!(
            "warning: `coder-default` matches its config but is {word}"
        )),
        "{plain:?}"
    );
    let status = check(&["--json", "status"], seen());
    let rows: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(rows["agents"][0]["ready"], word, "{status:?}");
    let w = logs(
        poll(seen(), std::slice::from_ref(&looping)),
        "coder-default",
        "",
    );
    let r = check(&["sync", "--wait", "--wait-timeout", "600"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "`coder-default` is crash-looping: its restart policy restarted it less than 60s ago (1 restart, last exit unknown)"
        ),
        "{r:?}"
    );
    assert_eq!(rounds(&r), 1, "{r:?}");
    // A minute later the same container is ready.
    let settled = one().restarted_by_policy(1, 120);
    let seen = || World::new(ONE).discovery(std::slice::from_ref(&settled), IMAGES);
    let status = check(&["--json", "status"], seen());
    let rows: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(rows["agents"][0]["ready"], "running", "{status:?}");
}

#[test]
fn a_terminal_sees_a_live_count_of_ready_containers() {
    let m = members();
    let w = poll(
        two_stopped(),
        &[
            m[0].clone().health("healthy", ""),
            m[1].clone().health("starting", ""),
        ],
    );
    let w = poll(w, &[m[1].clone().health("healthy", "")]);
    let w = w.terminals(Terminals {
        out: false,
        err: true,
    });
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("waiting: 1/2 ready\nwaiting: 2/2 ready\n"),
        "{r:?}"
    );
}

/// A crash loop can look "running" between two restarts: what sync left
/// running as it was is looked at too, and is ready once stable.
#[test]
fn containers_left_unchanged_are_looked_at_too() {
    let w = World::new(ONE).discovery(&[one()], IMAGES);
    let w = (0..3).fold(w, |w, _| poll(w, &[one()]));
    let r = check(&["sync", "--wait"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(rounds(&r), 3, "{r:?}");
}

#[test]
fn a_plain_sync_waits_for_nothing() {
    let r = check(&["sync"], World::new(ONE).discovery(&[one()], IMAGES));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(rounds(&r), 0, "{r:?}");
}

/// `ready::wait` says why in types, not sentences: an exit is `Failed`
/// with the fault and the last lines, one still pending at the timeout is
/// `TimedOut`, one asked to stop meanwhile is `Stopped`; the sentences
/// are their `Display`.
#[test]
fn wait_says_why_in_types() {
    use fleet::ready::{Fault, NotReady, Waiting, wait};
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;
    let m = members();
    let runner = crate::fake::FakeRunner::new();
    let exited = m[0].clone().exited(3);
    let doc = serde_json::to_string(&[exited.to_json(), m[1].to_json()]).unwrap();
    runner.expect(
        argv::inspect(&[&m[0].name, &m[1].name]).args,
        Ok(Output::ok(doc)),
    );
    runner.expect(
        argv::logs_tail(&m[0].name, 5).args,
        Ok(Output::ok("boom\n")),
    );
    let stop = AtomicBool::new(false);
    let names = vec![m[0].name.clone(), m[1].name.clone()];
    let got = wait(
        &runner,
        &names,
        &Waiting {
            timeout: Duration::ZERO,
            stop: &stop,
            count: &|_, _| {},
        },
    );
    assert_eq!(
        got,
        [
            Some(NotReady::Failed {
                name: m[0].name.clone(),
                fault: Fault::Down {
                    code: 3,
                    word: "exited 3".into()
                },
                logs: "; its last output: boom".into(),
            }),
            Some(NotReady::TimedOut {
                name: m[1].name.clone(),
                after: Duration::ZERO,
            }),
        ]
    );
    assert_eq!(
        got[1].as_ref().unwrap().to_string(),
        format!("`{}` was not ready: the wait timed out after 0s", m[1].name)
    );
    assert!(runner.unmet().is_none(), "{:?}", runner.unmet());

    let runner = crate::fake::FakeRunner::new();
    runner.expect(
        argv::inspect(&[&m[1].name]).args,
        Ok(Output::ok(
            serde_json::to_string(&[m[1].to_json()]).unwrap(),
        )),
    );
    let stop = AtomicBool::new(true);
    let got = wait(
        &runner,
        &names[1..],
        &Waiting {
            timeout: Duration::from_secs(60),
            stop: &stop,
            count: &|_, _| {},
        },
    );
    assert_eq!(
        got,
        [Some(NotReady::Stopped {
            name: m[1].name.clone()
        })]
    );
}
