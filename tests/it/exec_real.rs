//! `fleet exec` on the tests' own engines: concurrent dispatches never
//! share a member, a queue never overlaps two commands in one member, a
//! stopped or paused agent is woken, a crash-looping one refused, exit
//! status, stdin and signals pass through, a SIGKILLed fleet's claim lapses
//! only once its command is gone, and sync defers a member under a command.

use std::collections::BTreeSet;
use std::io::{BufRead, Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::engine::{Engine, engine, podman};
use crate::harness::Ran;

/// Polls `ready` every 100 ms until it holds, failing after `secs`.
fn wait_until(what: &str, secs: u64, mut ready: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < end, "not within {secs}s: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn(e: &Engine, args: &[&str]) -> Child {
    e.fleet_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn ended(c: Child) -> Ran {
    Ran::of_process(c.wait_with_output().unwrap())
}

/// A pool of `n` members of type `t`, synced and ready.
fn pool(e: &Engine, n: usize) -> String {
    let t = e.t("coder");
    e.config(json!({ "coder": { "instances": n } }));
    let s = e.fleet(&["sync", "--wait"]);
    assert_eq!(s.code, 0, "{s:?}");
    t
}

fn members(t: &str, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match i {
            1 => format!("{t}-default"),
            i => format!("{t}-{i}"),
        })
        .collect()
}

#[test]
fn twenty_dispatches_at_once_into_a_pool_of_twenty_land_in_twenty_members() {
    let Some(e) = engine("x20") else { return };
    let t = pool(&e, 20);
    let runs: Vec<Child> = (0..20)
        .map(|_| spawn(&e, &["exec", &t, "--", "sh", "-c", "hostname; sleep 3"]))
        .collect();
    let runs: Vec<Ran> = runs.into_iter().map(ended).collect();
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
    }
    let hosts: BTreeSet<&str> = runs.iter().map(|r| r.stdout.trim()).collect();
    assert_eq!(hosts.len(), 20, "one member each: {hosts:?}");
}

#[test]
fn ten_queued_dispatches_into_a_pool_of_five_all_run_and_never_overlap() {
    let Some(e) = engine("x10") else { return };
    let t = pool(&e, 5);
    let script = "echo start >> /dispatch.log; sleep 1; echo end >> /dispatch.log";
    let runs: Vec<Child> = (0..10)
        .map(|_| spawn(&e, &["exec", &t, "--queue", "60", "--", "sh", "-c", script]))
        .collect();
    for r in runs.into_iter().map(ended) {
        assert_eq!(r.code, 0, "{r:?}");
    }
    let mut total = 0;
    for m in members(&t, 5) {
        let o = e
            .docker_cmd(&["exec", &m, "cat", "/dispatch.log"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&o.stdout).into_owned();
        let lines: Vec<&str> = log.lines().collect();
        for pair in lines.chunks(2) {
            assert_eq!(
                pair,
                ["start", "end"],
                "two commands overlapped in {m}: {log}"
            );
        }
        total += lines.len() / 2;
    }
    assert_eq!(total, 10, "every dispatch ran once");
}

#[test]
fn a_stopped_agent_is_started_a_paused_one_unpaused_then_the_command_runs() {
    let Some(e) = engine("xwake") else { return };
    wake(&e);
}

#[test]
fn podman_a_stopped_agent_is_started_a_paused_one_unpaused_then_the_command_runs() {
    let Some(e) = podman("xwake") else { return };
    wake(&e);
}

fn wake(e: &Engine) {
    let t = pool(e, 1);
    let a = format!("{t}-default");
    e.docker(&["kill", &a]);
    // podman says `stopped` until its cleanup has run, then `exited`:
    // fleet reads both as exited.
    let state = e.state(&a);
    assert!(state == "exited 137" || state == "stopped 137", "{state}");
    let r = e.fleet(&["exec", &a, "--", "sh", "-c", "echo ran"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ran\n"), "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("fleet: starting `{a}` (it was exited 137)")),
        "{r:?}"
    );
    assert_eq!(e.state(&a), "running 0");
    e.docker(&["pause", &a]);
    let r = e.fleet(&["exec", &t, "--", "sh", "-c", "echo ran"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ran\n"), "{r:?}");
    assert!(
        r.stderr.contains(&format!("fleet: unpausing `{a}`")),
        "{r:?}"
    );
    assert_eq!(e.state(&a), "running 0");
    // Exit status passes through, docker run's codes for what cannot run.
    for (cmd, code) in [
        (&["sh", "-c", "exit 7"][..], 7),
        (&["sh", "-c", "kill -9 $$"], 137),
        (&["no-such-command"], 127),
    ] {
        let mut args = vec!["exec", a.as_str(), "--"];
        args.extend(cmd);
        let r = e.fleet(&args);
        assert_eq!(r.code, code, "{cmd:?}: {r:?}");
    }
    // Nothing of a claim is left behind.
    let claims = e.docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=fleet.claim={}", e.project),
    ]);
    assert_eq!(claims.trim(), "", "claims left: {claims}");
}

#[test]
fn a_crash_looping_agent_fails_at_once_with_125_and_its_reason() {
    let Some(e) = engine("xloop") else { return };
    let t = e.t("loop");
    e.config(json!({ "loop": {
        "command": ["sh", "-c", "sleep 1; exit 3"], "restart": "always"
    }}));
    assert_eq!(e.sync().code, 0);
    let a = format!("{t}-default");
    wait_until("a restart", 30, || {
        let n = e.docker(&["inspect", "--format", "{{.RestartCount}}", &a]);
        n.trim().parse::<u32>().unwrap_or(0) >= 1
    });
    let r = e.fleet(&["exec", &a, "--", "sh", "-c", "echo ran"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("crash-looping"), "{r:?}");
    assert_eq!(r.stdout, "", "the command never ran");
}

#[test]
fn ten_mib_of_binary_stdin_and_stdout_pass_through_byte_for_byte() {
    let Some(e) = engine("xbin") else { return };
    let t = pool(&e, 1);
    let mut data = vec![0u8; 10 << 20];
    let mut x: u32 = 2_463_534_242;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let mut c = e
        .fleet_cmd(&["exec", &t, "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = c.stdin.take().unwrap();
    let feed = std::thread::spawn(move || stdin.write_all(&data).map(|()| data));
    let mut out = Vec::new();
    c.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let data = feed.join().unwrap().unwrap();
    let r = ended(c);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(out.len(), data.len());
    assert!(out == data, "stdout differs from stdin");
}

#[test]
fn sigint_to_fleet_reaches_the_command() {
    let Some(e) = engine("xint") else { return };
    let t = pool(&e, 1);
    let script = "trap 'echo got-int; exit 42' INT; echo started; sleep 30 & wait";
    let mut c = spawn(&e, &["exec", &t, "--", "sh", "-c", script]);
    let mut out = std::io::BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "started\n");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(c.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let r = ended(c);
    assert_eq!(r.code, 42, "{r:?} {rest}");
    assert_eq!(rest, "got-int\n");
}

#[test]
fn a_sigkilled_fleets_member_is_free_once_its_command_ends_and_never_before() {
    let Some(e) = engine("xkill") else { return };
    let t = pool(&e, 1);
    let a = format!("{t}-default");
    let mut c = spawn(&e, &["exec", &t, "--", "sh", "-c", "echo started; sleep 4"]);
    let mut out = std::io::BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "started\n");
    c.kill().unwrap();
    c.wait().unwrap();
    // The claim is there, its holder gone; the command still runs.
    e.docker(&["inspect", &format!("{a}.fleet-claim")]);
    let r = e.fleet(&["exec", &t, "--", "true"]);
    assert_eq!(r.code, 75, "busy while its command runs: {r:?}");
    assert!(r.stderr.contains("live exec session"), "{r:?}");
    let r = e.fleet(&["exec", &t, "--queue", "30", "--", "sh", "-c", "echo mine"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "mine\n"), "{r:?}");
}

#[test]
fn sync_defers_a_member_under_a_dispatched_command_and_down_spares_it() {
    let Some(e) = engine("xsync") else { return };
    let t = pool(&e, 1);
    let a = format!("{t}-default");
    let id = e.id(&a);
    let mut c = spawn(&e, &["exec", &t, "--", "sh", "-c", "echo started; sleep 3"]);
    let mut out = std::io::BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    e.config(json!({ "coder": { "instances": 1, "env": { "NEW": "1" } } }));
    let s = e.sync();
    assert!(s.stdout.contains(&format!("deferred: {a}")), "{s:?}");
    assert_eq!(e.id(&a), id, "never recreated under a running command");
    let d = e.fleet(&["down", "-t", "0"]);
    assert!(d.stdout.contains(&format!("skipped: {a}")), "{d:?}");
    assert_eq!(e.state(&a), "running 0");
    assert_eq!(ended(c).code, 0);
}

/// `-t` from a terminal (util-linux `script` gives fleet one): the command
/// has a terminal too, and its exit status is fleet's.
#[test]
fn a_tty_from_a_terminal_reaches_the_command() {
    let Some(e) = engine("tty") else { return };
    let t = pool(&e, 1);
    let inner = e.fleet_cmd(&[
        "exec",
        "-t",
        &t,
        "--",
        "sh",
        "-c",
        "test -t 0 && test -t 1 && echo has-a-tty; exit 3",
    ]);
    // The same program, arguments and environment, run under `script`.
    let line: Vec<String> = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', r"'\''")))
        .collect();
    // The harness gives fleet an environment of its own (nothing of the
    // caller's: test.sh exports hostile FLEET_* on purpose); `script` and
    // fleet under it get exactly that one.
    let mut outer = std::process::Command::new("/usr/bin/script");
    outer.args(["-qec", &line.join(" "), "/dev/null"]);
    outer.env_clear();
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        outer.current_dir(dir);
    }
    let r = Ran::of_process(outer.stdin(Stdio::null()).output().unwrap());
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stdout.contains("has-a-tty"), "{r:?}");
}
