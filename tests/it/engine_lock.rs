//! The engine lock (`fleet::engine_lock`) against the fake runner: the exact
//! docker commands, in order, for a free lock, a busy one (freed while
//! waiting, or held past the wait), stale ones (a dead pid on this machine,
//! a reused pid, a lease run out by the engine's clock or this machine's),
//! a takeover that races another run, a foreign container on the name, a
//! missing image, and the release. The real-engine tests are in
//! `engine_lock_real`.

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use fleet::docker::Output;
use fleet::engine_lock::{self, EngineLock, Holder, LockEvent, LockInfo, Options};
use fleet::error::{Kind, Result};

use crate::fake::FakeRunner;

const NAME: &str = "proj.fleet-lock";

/// A pid no process can have: above Linux's PID_MAX_LIMIT (2^22).
const NO_PID: u32 = 4_194_305;

fn id(n: u8) -> String {
    format!("{n:x}").repeat(64)
}

fn argv(line: &str) -> Vec<String> {
    line.split(' ').map(str::to_string).collect()
}

/// The holder taking the lock in these tests (its pid is nobody's: only
/// the lock's pid is ever looked up).
fn me() -> Holder {
    Holder {
        user: "root".into(),
        hostname: "build-7".into(),
        machine: "m-1".into(),
        pid_ns: Some("boot-1/pid:[1]".into()),
        pid: 4242,
        pid_start: Some(99),
    }
}

/// [`me`]'s create, exactly.
fn create() -> Vec<String> {
    [
        "create",
        "--pull",
        "never",
        "--name",
        NAME,
        "--network",
        "none",
        "--label",
        "fleet.lock=proj",
        "--label",
        "fleet.lock.holder=root@build-7 pid 4242",
        "--label",
        "fleet.lock.machine=m-1",
        "--label",
        "fleet.lock.pid-ns=boot-1/pid:[1]",
        "--label",
        "fleet.lock.pid=4242",
        "--label",
        "fleet.lock.pid-start=99",
        "--label",
        "fleet.lock.lease=3600",
        "--label",
        "fleet.lock.host=gpu-1",
        "fleet-lock:1",
        "fleet-lock",
    ]
    .map(str::to_string)
    .to_vec()
}

fn inspect() -> Vec<String> {
    argv(&format!("inspect --type container {NAME}"))
}

fn info() -> Vec<String> {
    ["info", "--format", "{{json .SystemTime}}"]
        .map(str::to_string)
        .to_vec()
}

fn rm(n: u8) -> Vec<String> {
    vec!["rm".into(), id(n)]
}

fn conflict(n: u8) -> Output {
    Output::fail(
        1,
        format!(
            "Error response from daemon: Conflict. The container name \"/{NAME}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.\n",
            id(n)
        ),
    )
}

/// A lock of another run as `docker inspect` shows it.
struct Lock {
    n: u8,
    created: &'static str,
    pid_ns: &'static str,
    pid: u32,
    pid_start: Option<u64>,
    lease: u64,
}

impl Lock {
    /// Held by `admin@build-9 pid <pid>` on another machine.
    fn elsewhere(n: u8) -> Lock {
        Lock {
            n,
            created: "2026-11-29T07:24:36.123456789Z",
            pid_ns: "boot-9/pid:[1]",
            pid: 777,
            pid_start: Some(5),
            lease: 3600,
        }
    }

    /// Held on this machine (the pid namespace of [`me`]) by `pid`.
    fn here(n: u8, pid: u32, pid_start: Option<u64>) -> Lock {
        Lock {
            pid_ns: "boot-1/pid:[1]",
            pid,
            pid_start,
            ..Lock::elsewhere(n)
        }
    }

    fn reply(&self) -> Output {
        let mut labels = serde_json::json!({
            "fleet.lock": "proj",
            "fleet.lock.holder": format!("admin@build-9 pid {}", self.pid),
            "fleet.lock.machine": "m-9",
            "fleet.lock.pid-ns": self.pid_ns,
            "fleet.lock.pid": self.pid.to_string(),
            "fleet.lock.lease": self.lease.to_string(),
            "fleet.lock.host": "gpu-1",
        });
        if let Some(s) = self.pid_start {
            labels["fleet.lock.pid-start"] = s.to_string().into();
        }
        Output::ok(
            serde_json::json!([{
                "Id": id(self.n),
                "Created": self.created,
                "Name": format!("/{NAME}"),
                "Config": { "Labels": labels, "Image": "fleet-lock:1" },
            }])
            .to_string(),
        )
    }
}

/// This test process, alive, as a lock's holder on this machine.
fn alive(n: u8) -> Lock {
    let pid = std::process::id();
    Lock::here(n, pid, engine_lock::process_start_time(pid))
}

fn engine_time(t: &str) -> Output {
    Output::ok(format!("\"{t}\"\n"))
}

fn created(n: u8) -> Output {
    Output::ok(format!("{}\n", id(n)))
}

/// Runs acquire for [`me`] on host `gpu-1` with `wait`; returns its result
/// and the events it sent, one line each.
fn acquire(fake: &FakeRunner, wait: Duration) -> (Result<EngineLock>, Vec<String>) {
    let seen = RefCell::new(Vec::new());
    let events = |e: LockEvent| {
        seen.borrow_mut().push(match e {
            LockEvent::Busy(i) => format!("busy: {}", i.describe()),
            LockEvent::TakenOver { from, why } => {
                format!("taken over from {}: {why}", from.describe())
            }
        })
    };
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait,
    };
    let stop = AtomicBool::new(false);
    let r = engine_lock::acquire(fake, &claim("gpu-1", &me()), &opts, &stop, &events);
    (r, seen.into_inner())
}

fn calls(fake: &FakeRunner) -> Vec<Vec<String>> {
    assert_eq!(fake.unmet(), None);
    fake.calls().into_iter().map(|c| c.args).collect()
}

#[test]
fn a_free_lock_is_one_create() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create()]);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_busy_lock_freed_while_waiting_is_taken_on_the_next_try() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(Lock::elsewhere(2).reply()));
    fake.expect(info(), Ok(engine_time("2026-11-29T07:30:00Z")));
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::from_secs(30));
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create(), inspect(), info(), create()]);
    assert_eq!(
        events,
        ["busy: held by admin@build-9 pid 777 since 2026-11-29T07:24:36Z"]
    );
}

#[test]
fn a_lock_busy_past_the_wait_is_an_error_naming_its_holder() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(alive(2).reply()));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    let e = lock.unwrap_err();
    assert_eq!(e.kind(), Kind::Lock);
    assert_eq!(
        e.message(),
        format!(
            "host `gpu-1` is locked by another fleet run: admin@build-9 pid {}, since 2026-11-29T07:24:36Z (lock container `proj.fleet-lock` on that engine)",
            std::process::id()
        )
    );
    assert_eq!(
        e.help(),
        [
            "wait for that run to finish, raise --lock-wait, or if that run is gone, release the lock: `fleet unlock --host gpu-1`"
        ]
    );
    // A live holder on this machine: no lease to read, nothing removed.
    assert_eq!(calls(&fake), [create(), inspect()]);
    assert_eq!(events.len(), 1, "{events:?}");
}

#[test]
fn a_dead_pid_on_this_machine_is_taken_over() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(Lock::here(2, NO_PID, Some(5)).reply()));
    fake.expect(rm(2), Ok(created(2)));
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create(), inspect(), rm(2), create()]);
    assert_eq!(
        events,
        [format!(
            "taken over from held by admin@build-9 pid {NO_PID} since 2026-11-29T07:24:36Z: pid {NO_PID} no longer runs on this machine"
        )]
    );
}

#[test]
fn a_reused_pid_is_taken_over() {
    let pid = std::process::id();
    let start = engine_lock::process_start_time(pid).unwrap();
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(Lock::here(2, pid, Some(start + 1)).reply()));
    fake.expect(rm(2), Ok(created(2)));
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create(), inspect(), rm(2), create()]);
    assert!(
        events[0].ends_with(&format!(
            "pid {pid} is another process now (it started at tick {start}, the holder at tick {})",
            start + 1
        )),
        "{events:?}"
    );
}

#[test]
fn a_lease_run_out_by_the_engines_clock_is_taken_over() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    let lock = Lock {
        lease: 60,
        // podman writes its zone as an offset: 00:00:00Z.
        created: "2026-01-01T01:00:00.5+01:00",
        ..Lock::elsewhere(2)
    };
    fake.expect(inspect(), Ok(lock.reply()));
    fake.expect(info(), Ok(engine_time("2026-01-01T00:01:01.5Z")));
    fake.expect(rm(2), Ok(created(2)));
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create(), inspect(), info(), rm(2), create()]);
    assert_eq!(
        events,
        [
            "taken over from held by admin@build-9 pid 777 since 2026-01-01T01:00:00+01:00: its lease of 60s ran out: it was taken 61s ago, by the engine's clock"
        ]
    );
}

#[test]
fn a_lease_still_running_by_the_engines_clock_holds_whatever_this_machines_says() {
    // The engine's clock is a minute after the lock was taken; this
    // machine's (2026 or later) is not asked.
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    let lock = Lock {
        created: "2000-01-01T00:00:00Z",
        ..Lock::elsewhere(2)
    };
    fake.expect(inspect(), Ok(lock.reply()));
    fake.expect(info(), Ok(engine_time("2000-01-01T00:01:00Z")));
    let (lock, _) = acquire(&fake, Duration::ZERO);
    assert!(lock.unwrap_err().message().contains("is locked by"));
    assert_eq!(calls(&fake), [create(), inspect(), info()]);
}

#[test]
fn without_the_engines_clock_this_machines_decides() {
    // podman: `info` has no SystemTime; its conflict has its own words.
    let fake = FakeRunner::new();
    fake.expect(
        create(),
        Ok(Output::fail(
            125,
            format!("Error: creating container storage: the container name \"{NAME}\" is already in use by {}. You have to remove that container to be able to reuse that name: that name is already in use\n", id(2)),
        )),
    );
    let lock = Lock {
        created: "2000-01-01T00:00:00Z",
        ..Lock::elsewhere(2)
    };
    fake.expect(inspect(), Ok(lock.reply()));
    fake.expect(
        info(),
        Ok(Output::fail(
            125,
            "Error: template: info:1:7: executing \"info\" at <.SystemTime>: can't evaluate field SystemTime in type *define.Info\n",
        )),
    );
    fake.expect(rm(2), Ok(created(2)));
    fake.expect(create(), Ok(created(1)));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [create(), inspect(), info(), rm(2), create()]);
    assert!(
        events[0].ends_with("by the local machine's clock"),
        "{events:?}"
    );
}

#[test]
fn a_takeover_that_loses_the_race_waits_for_the_new_holder() {
    // The stale lock is gone by the time it is removed, and another run
    // took the name first: its lock is waited for, never removed.
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(Lock::here(2, NO_PID, Some(5)).reply()));
    fake.expect(
        rm(2),
        Ok(Output::fail(
            1,
            format!("Error response from daemon: No such container: {}\n", id(2)),
        )),
    );
    fake.expect(create(), Ok(conflict(3)));
    fake.expect(inspect(), Ok(alive(3).reply()));
    let (lock, events) = acquire(&fake, Duration::ZERO);
    assert_eq!(lock.unwrap_err().kind(), Kind::Lock);
    assert_eq!(
        calls(&fake),
        [create(), inspect(), rm(2), create(), inspect()]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].starts_with("taken over from"), "{events:?}");
    assert!(events[1].starts_with("busy: "), "{events:?}");
}

#[test]
fn a_foreign_container_on_the_name_is_refused_and_never_removed() {
    for labels in [
        serde_json::json!({ "app": "web" }),
        serde_json::json!(null),
        serde_json::json!({ "fleet.lock": "other", "fleet.lock.pid": "1" }),
    ] {
        let fake = FakeRunner::new();
        fake.expect(create(), Ok(conflict(2)));
        let doc = serde_json::json!([{
            "Id": id(2), "Created": "2026-11-29T07:24:36Z", "Config": { "Labels": labels }
        }]);
        fake.expect(inspect(), Ok(Output::ok(doc.to_string())));
        let (lock, events) = acquire(&fake, Duration::from_secs(30));
        let e = lock.unwrap_err();
        assert_eq!(
            e.message(),
            "the lock's name `proj.fleet-lock` on host `gpu-1` is taken by container 222222222222, which is not a fleet lock (it has no `fleet.lock=proj` label); fleet never removes it"
        );
        assert_eq!(calls(&fake), [create(), inspect()]);
        assert!(events.is_empty());
    }
}

#[test]
fn a_missing_image_is_imported_then_the_create_tried_again() {
    for missing in [
        "Error response from daemon: No such image: fleet-lock:1\n",
        "Error: fleet-lock:1: image not known\n",
    ] {
        let fake = FakeRunner::new();
        let import = argv("import --change LABEL_fleet.lock=1 /dev/null fleet-lock:1")
            .into_iter()
            .map(|a| a.replace('_', " "))
            .collect::<Vec<_>>();
        fake.expect(create(), Ok(Output::fail(1, missing)));
        fake.expect(import.clone(), Ok(Output::ok("sha256:91a30bcc\n")));
        fake.expect(create(), Ok(created(1)));
        let (lock, _) = acquire(&fake, Duration::ZERO);
        assert_eq!(lock.unwrap().id(), id(1));
        assert_eq!(calls(&fake), [create(), import, create()]);
    }
}

#[test]
fn another_create_failure_is_a_docker_error_and_nothing_else_runs() {
    let fake = FakeRunner::new();
    fake.expect(
        create(),
        Ok(Output::fail(
            1,
            "Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?\n",
        )),
    );
    let (lock, _) = acquire(&fake, Duration::from_secs(30));
    let e = lock.unwrap_err();
    assert_eq!(e.kind(), Kind::Docker);
    assert!(
        e.message().starts_with(
            "could not take the lock `proj.fleet-lock` on host `gpu-1`: `docker create` exited 1"
        ),
        "{e}"
    );
    assert_eq!(calls(&fake), [create()]);
}

#[test]
fn a_stop_while_waiting_ends_the_wait_with_an_error() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(alive(2).reply()));
    let stop = AtomicBool::new(true);
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait: Duration::from_secs(3600),
    };
    let e = engine_lock::acquire(&fake, &claim("gpu-1", &me()), &opts, &stop, &|_| {}).unwrap_err();
    assert_eq!(e.kind(), Kind::Lock);
    assert_eq!(
        e.message(),
        format!(
            "stopped while waiting for the lock `proj.fleet-lock` on host `gpu-1`, held by admin@build-9 pid {} since 2026-11-29T07:24:36Z",
            std::process::id()
        )
    );
    assert_eq!(calls(&fake), [create(), inspect()]);
}

#[test]
fn a_lock_this_very_run_holds_through_another_host_is_an_error_at_once() {
    // Host `a` took the lock; host `b` reaches the same engine. Waiting
    // would be waiting for ourselves.
    let me = Holder::this_process();
    let mut create = argv("create --pull never --name proj.fleet-lock --network none");
    let mut labels = serde_json::json!({});
    for (k, v) in [
        ("fleet.lock", Some("proj".to_string())),
        ("fleet.lock.holder", Some(me.display())),
        ("fleet.lock.machine", Some(me.machine.clone())),
        ("fleet.lock.pid-ns", me.pid_ns.clone()),
        ("fleet.lock.pid", Some(me.pid.to_string())),
        ("fleet.lock.pid-start", me.pid_start.map(|s| s.to_string())),
        ("fleet.lock.lease", Some("3600".into())),
        ("fleet.lock.host", Some("b".into())),
    ] {
        if let Some(v) = v {
            create.extend(["--label".to_string(), format!("{k}={v}")]);
            labels[k] = v.into();
        }
    }
    create.extend(argv("fleet-lock:1 fleet-lock"));
    labels["fleet.lock.host"] = "a".into();
    let doc = serde_json::json!([{ "Id": id(2), "Created": "2026-11-29T07:24:36Z", "Config": { "Labels": labels } }]);
    let fake = FakeRunner::new();
    fake.expect(create.clone(), Ok(conflict(2)));
    fake.expect(inspect(), Ok(Output::ok(doc.to_string())));
    let opts = Options {
        lease: engine_lock::DEFAULT_LEASE,
        wait: Duration::from_secs(3600),
    };
    let stop = AtomicBool::new(false);
    let e = engine_lock::acquire(&fake, &claim("b", &me), &opts, &stop, &|_| {}).unwrap_err();
    assert_eq!(
        e.message(),
        "host `b` reaches the same engine as host `a`, whose lock (`proj.fleet-lock`) this run already holds"
    );
    assert_eq!(calls(&fake), [create, inspect()]);
}

#[test]
fn release_removes_by_id_and_a_lock_already_gone_is_fine() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(created(1)));
    fake.expect(rm(1), Ok(created(1)));
    let (lock, _) = acquire(&fake, Duration::ZERO);
    lock.unwrap().release(&fake).unwrap();
    assert_eq!(calls(&fake), [create(), rm(1)]);

    let fake = FakeRunner::new();
    fake.expect(create(), Ok(created(1)));
    fake.expect(
        rm(1),
        Ok(Output::fail(
            1,
            format!("Error response from daemon: No such container: {}\n", id(1)),
        )),
    );
    let (lock, _) = acquire(&fake, Duration::ZERO);
    lock.unwrap().release(&fake).unwrap();
    assert_eq!(calls(&fake), [create(), rm(1)]);
}

#[test]
fn a_failed_release_is_an_error_naming_the_lock() {
    let fake = FakeRunner::new();
    fake.expect(create(), Ok(created(1)));
    fake.expect(rm(1), Ok(Output::fail(1, "error during connect: EOF\n")));
    let (lock, _) = acquire(&fake, Duration::ZERO);
    let e = lock.unwrap().release(&fake).unwrap_err();
    assert_eq!(
        e.message(),
        "could not release the lock container `proj.fleet-lock` (111111111111) on host `gpu-1`: `docker rm` exited 1: error during connect: EOF"
    );
    assert_eq!(
        e.help().last().unwrap(),
        &format!(
            "remove it by hand once the engine answers: `docker rm {}`",
            id(1)
        )
    );
}

#[test]
fn read_shows_the_lock_or_none_and_garbage_is_an_error_naming_it() {
    let fake = FakeRunner::new();
    fake.expect(
        inspect(),
        Ok(Output::fail(
            1,
            format!("Error response from daemon: No such container: {NAME}\n"),
        )),
    );
    assert_eq!(engine_lock::read(&fake, "proj").unwrap(), None);

    fake.expect(inspect(), Ok(Lock::elsewhere(2).reply()));
    let info = engine_lock::read(&fake, "proj").unwrap().unwrap();
    assert_eq!(
        info,
        LockInfo {
            id: id(2),
            holder: "admin@build-9 pid 777".into(),
            machine: "m-9".into(),
            pid_ns: Some("boot-9/pid:[1]".into()),
            pid: Some(777),
            pid_start: Some(5),
            since: "2026-11-29T07:24:36.123456789Z".into(),
            lease: Some(Duration::from_secs(3600)),
            host: Some("gpu-1".into()),
        }
    );

    for garbage in ["not json", "[{\"Id\": 5}]", "{}"] {
        fake.expect(inspect(), Ok(Output::ok(garbage)));
        let e = engine_lock::read(&fake, "proj").unwrap_err();
        assert!(
            e.message().starts_with(
                "could not read `proj.fleet-lock`: `docker inspect` printed what fleet cannot read as the container `proj.fleet-lock`"
            ),
            "{garbage}: {e}"
        );
    }
    assert_eq!(fake.unmet(), None);
}

/// Issue 17, point 3: `fleet unlock` does not pull the lock from under a
/// run that is alive on this machine (this very test process holds it
/// here), unless forced; a dead holder's lock goes without force.
#[test]
fn release_any_refuses_a_live_holder_on_this_machine_unless_forced() {
    let pid = std::process::id();
    let live = Lock::here(2, pid, engine_lock::process_start_time(pid));
    let fake = FakeRunner::new();
    fake.expect(inspect(), Ok(live.reply()));
    let e = engine_lock::release_any(&fake, "proj", &me(), false, engine_lock::Store::Engine)
        .unwrap_err();
    assert!(e.message().contains("still running on this machine"), "{e}");
    assert!(e.help().iter().any(|h| h.contains("--force")), "{e:#}");
    assert_eq!(calls(&fake), [inspect()], "nothing removed");

    let fake = FakeRunner::new();
    fake.expect(inspect(), Ok(live.reply()));
    fake.expect(rm(2), Ok(created(2)));
    let gone =
        engine_lock::release_any(&fake, "proj", &me(), true, engine_lock::Store::Engine).unwrap();
    assert_eq!(gone.map(|g| g.id), Some(id(2)));

    // The same pid with another start time is another process: the
    // holder is gone, no force needed.
    let reused = Lock::here(3, pid, engine_lock::process_start_time(pid).map(|s| s + 1));
    let fake = FakeRunner::new();
    fake.expect(inspect(), Ok(reused.reply()));
    fake.expect(rm(3), Ok(created(3)));
    assert!(
        engine_lock::release_any(&fake, "proj", &me(), false, engine_lock::Store::Engine)
            .unwrap()
            .is_some()
    );
}

#[test]
fn release_any_removes_the_projects_lock_by_id_whoever_holds_it() {
    let fake = FakeRunner::new();
    fake.expect(inspect(), Ok(Lock::elsewhere(2).reply()));
    fake.expect(rm(2), Ok(created(2)));
    let gone = engine_lock::release_any(&fake, "proj", &me(), false, engine_lock::Store::Engine)
        .unwrap()
        .unwrap();
    assert_eq!(gone.id, id(2));
    assert_eq!(calls(&fake), [inspect(), rm(2)]);

    let fake = FakeRunner::new();
    let doc = serde_json::json!([{ "Id": id(3), "Created": "x", "Config": { "Labels": { "app": "web" } } }]);
    fake.expect(inspect(), Ok(Output::ok(doc.to_string())));
    let e = engine_lock::release_any(&fake, "proj", &me(), false, engine_lock::Store::Engine)
        .unwrap_err();
    assert!(e.message().contains("fleet never removes it"), "{e}");
    assert_eq!(calls(&fake), [inspect()]);
}

#[test]
fn the_lease_label_is_the_lease_the_run_goes_by() {
    // `--lock-lease 1.9`: the run's lease, as the command line parses it.
    let lease = fleet::cli::lease_secs("1.9").unwrap();
    assert_eq!(lease, Duration::from_millis(1900));
    let fake = FakeRunner::new();
    let mut want = create();
    let at = want
        .iter()
        .position(|a| a == "fleet.lock.lease=3600")
        .unwrap();
    want[at] = "fleet.lock.lease=1.9".into();
    fake.expect(want.clone(), Ok(created(1)));
    let opts = Options {
        lease,
        wait: Duration::ZERO,
    };
    let stop = AtomicBool::new(false);
    let lock = engine_lock::acquire(&fake, &claim("gpu-1", &me()), &opts, &stop, &|_| {});
    assert_eq!(lock.unwrap().id(), id(1));
    assert_eq!(calls(&fake), [want]);

    // Read back as written; an older fleet's whole seconds still read.
    for (label, d) in [
        ("1.9", Duration::from_millis(1900)),
        ("3600", Duration::from_secs(3600)),
        ("0.000000001", Duration::from_nanos(1)),
        ("12.5", Duration::from_millis(12_500)),
    ] {
        assert_eq!(engine_lock::lease_label(d), label);
        assert_eq!(engine_lock::parse_lease(label), Some(d), "{label}");
    }
    for bad in [
        "",
        ".",
        "1.",
        ".5",
        "-1",
        "1.0000000001",
        "1e3",
        "one",
        "1.5s",
    ] {
        assert_eq!(engine_lock::parse_lease(bad), None, "{bad:?}");
    }
    let mut old = Lock::elsewhere(2);
    old.lease = 60;
    let fake = FakeRunner::new();
    fake.expect(inspect(), Ok(old.reply()));
    let info = engine_lock::read(&fake, "proj").unwrap().unwrap();
    assert_eq!(info.lease, Some(Duration::from_secs(60)));
}

/// A lock of this machine's pid namespace held by `pid` (started at tick
/// `start`).
fn here_now(pid: u32, start: Option<u64>) -> LockInfo {
    LockInfo {
        id: id(1),
        holder: format!("admin@build-9 pid {pid}"),
        machine: "m-9".into(),
        pid_ns: Holder::this_process().pid_ns,
        pid: Some(pid),
        pid_start: start,
        since: "2026-11-29T07:24:36.5Z".into(),
        lease: None,
        host: None,
    }
}

#[test]
fn a_lock_whose_holder_is_gone_from_this_machine_is_described_as_stale() {
    let dead = here_now(NO_PID, Some(5));
    assert!(
        dead.pid_ns.is_some(),
        "this machine's pid namespace is unreadable"
    );
    let hint =
        format!("stale: pid {NO_PID} no longer runs on this machine; the next run takes it over");
    assert_eq!(dead.stale_hint().as_deref(), Some(hint.as_str()));
    assert_eq!(
        dead.describe(),
        format!("held by admin@build-9 pid {NO_PID} since 2026-11-29T07:24:36Z ({hint})")
    );
    assert_eq!(
        dead.held_by(),
        format!("held by admin@build-9 pid {NO_PID} since 2026-11-29T07:24:36Z")
    );

    // This test process: alive, so held; with another start time, a reused pid.
    let pid = std::process::id();
    let start = engine_lock::process_start_time(pid);
    let alive = here_now(pid, start);
    assert_eq!(alive.stale_hint(), None);
    assert_eq!(alive.describe(), alive.held_by());
    let reused = here_now(pid, start.map(|s| s + 1));
    let hint = reused.stale_hint().unwrap();
    assert!(
        hint.starts_with(&format!("stale: pid {pid} is another process now")),
        "{hint}"
    );

    // Another machine's holder: only its lease tells, and a run judges that.
    let elsewhere = LockInfo {
        pid_ns: Some("boot-9/pid:[1]".into()),
        ..here_now(NO_PID, Some(5))
    };
    assert_eq!(elsewhere.stale_hint(), None);
    assert_eq!(elsewhere.describe(), elsewhere.held_by());
}

#[test]
fn status_and_hosts_say_a_dead_holders_lock_on_this_machine_is_stale() {
    use crate::harness::{World, check};
    use crate::placement::{H1, H2, TWO, at, seen_on};
    use fleet::docker::{Cmd, argv};
    let lock = || {
        let ns = Holder::this_process().pid_ns.unwrap();
        let doc = serde_json::json!([{
            "Id": id(1),
            "Created": "2026-11-29T07:24:36Z",
            "Config": { "Labels": {
                "fleet.lock": "p",
                "fleet.lock.holder": format!("root@here pid {NO_PID}"),
                "fleet.lock.pid-ns": ns,
                "fleet.lock.pid": NO_PID.to_string(),
            }},
        }]);
        Ok(Output::ok(doc.to_string()))
    };
    let none = || Ok(Output::fail(1, "Error: No such object: p.fleet-lock"));
    let read = |url| at(url, argv::inspect(&["p.fleet-lock"]));
    let stale = format!(
        "held by root@here pid {NO_PID} since 2026-11-29T07:24:36Z (stale: pid {NO_PID} no longer runs on this machine; the next run takes it over)"
    );

    let w = seen_on(seen_on(World::new(TWO), H1, &[]), H2, &[]);
    let r = check(
        &["status"],
        w.expect_cmd(read(H1), none()).expect_cmd(read(H2), lock()),
    );
    assert!(
        r.stdout.ends_with(&format!("lock on host `h2`: {stale}\n")),
        "{r:?}"
    );

    let version = Cmd::new(["version", "--format", "{{.Server.Version}}"]);
    let w = World::new(TWO)
        .expect_cmd(at(H1, version.clone()), Ok(Output::ok("28.2.2\n")))
        .expect_cmd(at(H2, version), Ok(Output::ok("28.2.2\n")));
    let r = check(
        &["hosts"],
        w.expect_cmd(read(H1), none()).expect_cmd(read(H2), lock()),
    );
    assert!(r.stdout.ends_with(&format!("{stale}\n")), "{r:?}");
}

/// A claim for project `proj` on `host`.
fn claim<'a>(host: &'a str, me: &'a Holder) -> engine_lock::Claim<'a> {
    engine_lock::Claim {
        project: "proj",
        host: Some(host),
        me,
        store: engine_lock::Store::Engine,
    }
}
