//! The engine lock on the tests' real engine, through the library and the
//! real runner: runs that contend never hold it at once; a lock whose
//! holder was SIGKILLed is taken over; the lock container is invisible to
//! fleet's commands.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use fleet::engine_lock::{self, Holder, LockEvent, Options};
use serde_json::json;

use crate::engine::{Engine, engine, podman};

#[test]
fn contending_runs_never_hold_the_lock_at_once() {
    let Some(e) = engine("lockrace") else { return };
    contend(e);
}

#[test]
fn contending_runs_never_hold_the_lock_at_once_on_podman() {
    let Some(e) = podman("lockrace") else { return };
    contend(e);
}

#[test]
fn the_lock_of_a_sigkilled_holder_is_taken_over() {
    let Some(e) = engine("lockkill") else { return };
    take_over_from_a_killed_holder(e);
}

#[test]
fn the_lock_of_a_sigkilled_holder_is_taken_over_on_podman() {
    let Some(e) = podman("lockkill") else { return };
    take_over_from_a_killed_holder(e);
}

/// Three runs, as if on three machines, take the lock three times each.
fn contend(e: Engine) {
    e.extra
        .borrow_mut()
        .push(engine_lock::lock_name(&e.project));
    let runner = e.runner();
    let log = Mutex::new(Vec::new());
    let busy = Mutex::new(0);
    let start = std::sync::Barrier::new(3);
    let stop = AtomicBool::new(false);
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait: Duration::from_secs(60),
    };
    std::thread::scope(|s| {
        for t in 0..3u32 {
            let (runner, log, busy, start, stop, project) =
                (&runner, &log, &busy, &start, &stop, &e.project);
            s.spawn(move || {
                // As if on three machines: no pid namespace in common, so
                // only a lease could free the lock, and it is long.
                let me = Holder {
                    hostname: format!("machine-{t}"),
                    pid_ns: None,
                    pid: 1000 + t,
                    ..Holder::this_process()
                };
                let events = |ev: LockEvent| match ev {
                    LockEvent::Busy(_) => *busy.lock().unwrap() += 1,
                    LockEvent::TakenOver { from, why } => {
                        panic!("took over a live lock {from:?}: {why}")
                    }
                };
                start.wait();
                for _ in 0..3 {
                    let claim = engine_lock::Claim {
                        project,
                        host: Some("local"),
                        me: &me,
                        store: engine_lock::Store::Engine,
                    };
                    let lock = engine_lock::acquire(runner, &claim, &opts, stop, &events).unwrap();
                    log.lock().unwrap().push((t, "enter"));
                    std::thread::sleep(Duration::from_millis(50));
                    log.lock().unwrap().push((t, "leave"));
                    lock.release(runner).unwrap();
                }
            });
        }
    });
    let log = log.into_inner().unwrap();
    assert_eq!(log.len(), 18);
    for pair in log.chunks(2) {
        assert!(
            pair[0].1 == "enter" && pair[1] == (pair[0].0, "leave"),
            "two holders at once: {log:?}"
        );
    }
    assert!(
        *busy.lock().unwrap() > 0,
        "no run ever found the lock busy: nothing contended"
    );
    assert_eq!(engine_lock::read(&runner, &e.project).unwrap(), None);
}

/// A holder on this machine (a child process) is killed while it holds
/// the lock; the next acquire takes it over.
fn take_over_from_a_killed_holder(e: Engine) {
    e.extra
        .borrow_mut()
        .push(engine_lock::lock_name(&e.project));
    let runner = e.runner();
    let stop = AtomicBool::new(false);
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait: Duration::from_secs(30),
    };
    // A holder on this machine: a child process, killed while it holds.
    let mut child = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let holder = Holder {
        pid: child.id(),
        pid_start: engine_lock::process_start_time(child.id()),
        ..Holder::this_process()
    };
    assert!(holder.pid_start.is_some());
    let first =
        engine_lock::acquire(&runner, &claim(&e.project, &holder), &opts, &stop, &|_| {}).unwrap();
    let first_id = first.id().to_string();
    std::mem::forget(first);
    child.kill().unwrap();
    // Not reaped yet: a zombie until `wait`, and still a dead holder.
    let taken = Mutex::new(Vec::new());
    let me = Holder::this_process();
    let lock = engine_lock::acquire(&runner, &claim(&e.project, &me), &opts, &stop, &|ev| {
        if let LockEvent::TakenOver { from, why } = ev {
            taken.lock().unwrap().push((from.id.clone(), why));
        }
    })
    .unwrap();
    child.wait().unwrap();
    let taken = taken.into_inner().unwrap();
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].0, first_id);
    assert!(
        taken[0].1.starts_with(&format!("pid {} ", holder.pid)),
        "{taken:?}"
    );
    assert_ne!(lock.id(), first_id);
    let now = engine_lock::read(&runner, &e.project).unwrap().unwrap();
    assert_eq!(now.id, lock.id());
    assert_eq!(now.pid, Some(me.pid));
    lock.release(&runner).unwrap();
    assert_eq!(engine_lock::read(&runner, &e.project).unwrap(), None);
}

#[test]
fn fleet_commands_never_see_nor_touch_the_lock() {
    let Some(e) = engine("lockhide") else { return };
    e.extra
        .borrow_mut()
        .push(engine_lock::lock_name(&e.project));
    let runner = e.runner();
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait: Duration::ZERO,
    };
    let stop = AtomicBool::new(false);
    let me = Holder::this_process();
    let lock =
        engine_lock::acquire(&runner, &claim(&e.project, &me), &opts, &stop, &|_| {}).unwrap();
    // With an empty config, the last sync removes every container of the
    // project: the lock is none of them.
    for (types, args) in [
        (json!({ "a": {} }), &["sync"][..]),
        (json!({ "a": {} }), &["status"]),
        (json!({ "a": {} }), &["plan"]),
        (json!({ "a": {} }), &["down"]),
        (json!({ "a": {} }), &["up"]),
        (json!({}), &["sync", "--allow-empty"]),
    ] {
        e.config(types);
        let r = e.fleet(args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        assert!(
            !r.stdout.contains("fleet-lock") && !r.stderr.contains("fleet-lock"),
            "{args:?}: {r:?}"
        );
    }
    assert!(e.containers().is_empty(), "{:?}", e.containers());
    let still = engine_lock::read(&runner, &e.project).unwrap().unwrap();
    assert_eq!(still.id, lock.id());
    lock.release(&runner).unwrap();
}

/// A claim for `project` on the implicit host.
fn claim<'a>(project: &'a str, me: &'a Holder) -> engine_lock::Claim<'a> {
    engine_lock::Claim {
        project,
        host: None,
        me,
        store: engine_lock::Store::Engine,
    }
}
