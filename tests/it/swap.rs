//! The recreate swap step by step against the fake runner: the exact
//! commands after each possible failure, and that the old container is
//! started again whenever its replacement is not confirmed running.

use fleet::docker::{DockerError, Output, argv};

use crate::fake::FakeRunner;
use crate::harness::*;
use crate::support::*;

/// The replacement's container ID.
const NEW: &str = "9999999999999999999999999999999999999999999999999999999999999999";

/// The steps of the swap, in order.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Step {
    Create,
    Stop,
    Start,
    Confirm,
    RemoveOld,
    Rename,
}

/// `coder-default` on an image the config's reference no longer names.
fn old() -> Existing {
    one().image_id(IMG2)
}

/// The docker commands that ran, each cut to its first three words.
fn lines(r: &Ran) -> Vec<String> {
    r.calls
        .iter()
        .map(|c| {
            let words: Vec<&str> = c.args.iter().map(String::as_str).take(3).collect();
            words.join(" ")
        })
        .collect()
}

/// Scripts a recreate of `coder-default` whose `failing` step fails (with
/// `how`), the rollback that must follow, and the re-read after the
/// failure.
fn scripted(failing: Step, how: Result<Output, DockerError>) -> World {
    let old = old();
    let d = desired(ONE).remove(0);
    let reply = |step: Step, ok: Output| if step == failing { how.clone() } else { Ok(ok) };
    let mut w = World::new(ONE)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(
            argv::create_cmd(&d),
            reply(Step::Create, Output::ok(format!("{NEW}\n"))),
        );
    let new = Existing::matching(&d)
        .id(NEW)
        .named("coder-default.fleet-next");
    if failing > Step::Create {
        w = w.expect_cmd(argv::stop(0, &[&old.id]), reply(Step::Stop, Output::ok("")));
    }
    if failing > Step::Stop {
        w = w.expect_cmd(argv::start(&[NEW]), reply(Step::Start, Output::ok("")));
    }
    if failing == Step::Confirm {
        w = w.inspect(&[new.clone().exited(127)]).expect_cmd(
            argv::logs_tail(NEW, 5),
            Ok(Output {
                code: Some(0),
                stdout: String::new(),
                stderr: "sh: slep: not found\n".into(),
            }),
        );
    }
    if failing > Step::Confirm {
        // Up, and still up a moment later: the same start, no restart.
        w = w
            .inspect(std::slice::from_ref(&new))
            .inspect(std::slice::from_ref(&new))
            .expect_cmd(
                argv::remove(&[&old.id]),
                reply(Step::RemoveOld, Output::ok("")),
            );
    }
    if failing > Step::RemoveOld {
        w = w.expect_cmd(
            argv::rename(NEW, "coder-default"),
            reply(Step::Rename, Output::ok("")),
        );
    }
    // Rolled back: the replacement removed, the old started again.
    if matches!(failing, Step::Stop | Step::Start | Step::Confirm) {
        w = w
            .expect_cmd(argv::remove(&[NEW]), Ok(Output::ok("")))
            .expect_cmd(argv::start(&[&old.id]), Ok(Output::ok("")));
    }
    let after = match failing {
        Step::Create | Step::Stop | Step::Start | Step::Confirm => vec![old.clone()],
        Step::RemoveOld => vec![old.clone().exited(137), new],
        Step::Rename => vec![new],
    };
    w.reobserve(&after)
}

fn failed(code: i32, stderr: &str) -> Result<Output, DockerError> {
    Ok(Output::fail(code, stderr))
}

#[test]
fn a_replacement_that_cannot_be_created_touches_nothing() {
    let world = scripted(Step::Create, failed(125, "Error response from daemon: bad"));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        lines(&r)[3..],
        [
            "create --name coder-default.fleet-next",
            "ps -a --no-trunc",
            "inspect --type container"
        ]
    );
    assert!(
        r.stderr.contains("the old container was not touched"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_old_container_that_will_not_stop_keeps_running_and_the_replacement_goes() {
    let world = scripted(
        Step::Stop,
        failed(1, "Error response from daemon: cannot stop"),
    );
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("could not stop the old container")
            && r.stderr
                .contains("the replacement was removed and the old container"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_replacement_that_cannot_start_is_removed_and_the_old_one_started_again() {
    let world = scripted(
        Step::Start,
        failed(
            1,
            "Error response from daemon: failed to create shim task: exec: \"slep\": executable file not found in $PATH",
        ),
    );
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] failed: coder-default\n");
    let calls = lines(&r);
    assert_eq!(
        calls[3..],
        [
            "create --name coder-default.fleet-next",
            "stop -t 0",
            format!("start {NEW}").as_str(),
            format!("rm -f {NEW}").as_str(),
            format!("start {}", old().id).as_str(),
            "ps -a --no-trunc",
            "inspect --type container",
        ]
    );
    assert!(
        !calls.contains(&format!("rm -f {}", old().id)),
        "the old container is never removed: {calls:#?}"
    );
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn a_replacement_that_exits_at_once_is_removed_with_its_last_words_reported() {
    let world = scripted(Step::Confirm, Ok(Output::ok("")));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("exited at once with code 127")
            && r.stderr.contains("sh: slep: not found")
            && r.stderr.contains("was started again"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "now: `coder-default` is running ({})",
            &old().id[..12]
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn an_old_container_that_cannot_be_removed_leaves_the_replacement_running() {
    let world = scripted(
        Step::RemoveOld,
        Err(DockerError::Timeout {
            cmd: format!("rm -f {}", old().id),
            seconds: 0.3,
        }),
    );
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("the replacement runs as `coder-default.fleet-next`")
            && r.stderr.contains("the next sync finishes the swap")
            && r.stderr.contains("now: `coder-default` is exited 137")
            && r.stderr.contains("`coder-default.fleet-next` is running"),
        "{}",
        r.stderr
    );
    assert!(
        !lines(&r).contains(&format!("start {}", old().id)),
        "a confirmed replacement is never rolled back"
    );
}

#[test]
fn a_failed_rename_is_reported_with_what_is_true_now() {
    let world = scripted(Step::Rename, failed(1, "Error response from daemon: boom"));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("the next sync renames it")
            && r.stderr.contains(
                "no container is named `coder-default`; `coder-default.fleet-next` is running"
            ),
        "{}",
        r.stderr
    );
}

#[test]
fn the_next_sync_finishes_each_cut_off_swap() {
    // Cut after the old was removed, before the rename: only the
    // replacement exists. It is that agent: renamed, nothing created.
    let d = desired(ONE).remove(0);
    let new = Existing::matching(&d)
        .id(NEW)
        .named("coder-default.fleet-next");
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&new), IMAGES)
        .expect_cmd(argv::rename(NEW, "coder-default"), Ok(Output::ok("")));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] renamed: coder-default\n");

    // Cut after the replacement started, before the old was removed: the
    // old is stopped, the replacement runs and matches: finish the swap.
    let stopped_old = old().exited(137);
    let world = World::new(ONE)
        .discovery(&[stopped_old.clone(), new.clone()], IMAGES)
        .expect_cmd(argv::remove(&[&stopped_old.id]), Ok(Output::ok("")))
        .expect_cmd(argv::rename(NEW, "coder-default"), Ok(Output::ok("")));
    let r = check(&["--jobs", "1", "sync"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[agents-sync] renamed: coder-default\n[agents-sync] removed: coder-default\n"
    );
    assert_eq!(
        lines(&r)[3..],
        [
            format!("rm -f {}", stopped_old.id),
            format!("rename {NEW} coder-default")
        ]
    );
}

#[test]
fn a_renamed_agent_is_renamed_back_then_started() {
    let d = desired(ONE).remove(0);
    let moved = Existing::matching(&d)
        .named("coder-default-old")
        .exited(137);
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&moved), IMAGES)
        .expect_cmd(argv::rename(&moved.id, "coder-default"), Ok(Output::ok("")))
        .expect_cmd(
            argv::start(&[&moved.id]),
            Ok(Output::ok(format!("{}\n", moved.id))),
        )
        .inspect(&[Existing::matching(&d)]);
    let r = check(&["sync"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
    assert_eq!(
        lines(&r)[3..5],
        [
            format!("rename {} coder-default", moved.id),
            format!("start {}", moved.id)
        ]
    );
}

#[test]
fn a_stopped_run_starts_nothing_new_and_says_so() {
    use std::sync::atomic::AtomicBool;
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let world = actual(
        &[e[0].clone().exited(137), e[1].clone().image_id(IMG2)],
        IMAGES,
    );
    let plan = fleet::plan::plan("p", &d, &world, fleet::plan::Options::default()).unwrap();
    let fake = FakeRunner::new();
    let stop = AtomicBool::new(true);
    let outcome = fleet::apply::apply(&plan, &fake, 4, &|_| {}, &stop);
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    assert!(outcome.interrupted);
    let not_started: Vec<&str> = outcome
        .done
        .iter()
        .filter(|d| {
            matches!(
                d.error,
                Some(fleet::apply::Failure::NotStarted(
                    fleet::apply::Halt::Signal
                ))
            )
        })
        .map(|d| d.action.name.as_str())
        .collect();
    assert_eq!(
        not_started,
        ["coder-default", "coder-2", "coder-3", "reviewer-default"]
    );
}

#[test]
fn a_replacement_that_restarts_while_it_settles_is_rolled_back() {
    // `command: ["false"]` under a restart policy: up at the first look,
    // restarted at the second. The old container is never removed.
    let old = old();
    let d = desired(ONE).remove(0);
    let new = Existing::matching(&d)
        .id(NEW)
        .named("coder-default.fleet-next");
    let mut again = new.to_json();
    again["RestartCount"] = serde_json::json!(2);
    again["State"]["ExitCode"] = serde_json::json!(1);
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&old), IMAGES)
        .expect_cmd(argv::create_cmd(&d), Ok(Output::ok(format!("{NEW}\n"))))
        .expect_cmd(argv::stop(0, &[&old.id]), Ok(Output::ok("")))
        .expect_cmd(argv::start(&[NEW]), Ok(Output::ok("")))
        .inspect(std::slice::from_ref(&new))
        .expect_cmd(
            argv::inspect(&[NEW]),
            Ok(Output::ok(serde_json::to_string(&[again]).unwrap())),
        )
        .expect_cmd(argv::logs_tail(NEW, 5), Ok(Output::ok("")))
        .expect_cmd(argv::remove(&[NEW]), Ok(Output::ok("")))
        .expect_cmd(argv::start(&[&old.id]), Ok(Output::ok("")))
        .reobserve(std::slice::from_ref(&old));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "the replacement did not stay up: it restarted within 1s (restart count 0 → 2)"
        ) && r.stderr.contains("was started again"),
        "{}",
        r.stderr
    );
    assert!(!lines(&r).contains(&format!("rm -f {}", old.id)));
}
