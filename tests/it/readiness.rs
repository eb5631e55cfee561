//! Readiness read from what the engine really reports, driven by the
//! captures in fixtures/readiness/ (docker 20.10.24, see its README): a
//! health probe in every form a healthcheck takes is told from work by its
//! `exec_create` event, and a crash loop reads as one at every look, not
//! only while docker's back-off holds it in `Restarting`.

use fleet::docker::{Output, argv};
use fleet::snapshot::{CRASH_WINDOW, ContainerSnapshot, Readiness, parse_inspect};
use serde_json::Value;

use crate::fake::{ANY, FakeRunner};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/readiness/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// One captured `exec_create` event: container ID, exec ID, command.
struct Event {
    container: String,
    exec: String,
    command: String,
}

/// The captured events, read here on their own (not by fleet's reader):
/// `<container ID>\t<exec ID>\t<JSON string "exec_create: <command>">`.
fn events() -> Vec<Event> {
    fixture("exec_create.tsv")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, '\t').collect();
            let action: String = serde_json::from_str(f[2]).unwrap();
            Event {
                container: f[0].into(),
                exec: f[1].into(),
                command: action.strip_prefix("exec_create: ").unwrap().into(),
            }
        })
        .collect()
}

fn probes() -> Vec<ContainerSnapshot> {
    parse_inspect(&fixture("probes.json")).unwrap()
}

fn named<'a>(snaps: &'a [ContainerSnapshot], name: &str) -> &'a ContainerSnapshot {
    snaps.iter().find(|s| s.name == name).unwrap()
}

/// Every healthcheck form captured: the container, the command its probes'
/// events name (the engine's exact text), and how many of its captured
/// sessions are work.
const FORMS: &[(&str, &str, usize)] = &[
    // The image's one-word exec form: a trailing space. Its one work
    // session is a dispatcher's `sh -c 'echo work'`; a hand-run `docker
    // exec … /healthcheck` has the probe's very text and reads as a probe.
    ("fx-hc-one", "/healthcheck ", 1),
    ("fx-hc-multi", "/healthcheck a b c", 0),
    (
        "fx-hc-shellform",
        "/bin/sh -c /healthcheck shellform \"x  y\"",
        0,
    ),
    // The image's SHELL does not reach the container: `/bin/sh -c`.
    ("fx-hc-shellset", "/bin/sh -c /healthcheck shellset", 0),
    // A config's healthcheck, as fleet passes it (`--health-cmd`).
    ("fx-hc-cfg", "/bin/sh -c /healthcheck 'b c' d", 0),
    ("fx-hc-cfg-shellset", "/bin/sh -c /healthcheck cfg", 0),
    // The container's own `Config.Shell` (set through the API) is used.
    ("fx-hc-apishell", "/bin/sh -e -c /bin/true apishell", 0),
];

#[test]
fn each_healthcheck_form_is_named_as_the_engine_names_its_probes() {
    let snaps = probes();
    assert_eq!(snaps.len(), FORMS.len(), "a captured form without a row");
    let events = events();
    for (name, text, _) in FORMS {
        let c = named(&snaps, name);
        assert_eq!(c.probe_command().as_deref(), Some(*text), "{name}");
        assert!(
            (events.iter()).any(|e| e.container == c.id && e.command == *text),
            "{name}: no captured event reads `{text}`"
        );
    }
}

/// The captured sessions of each container, its events as the engine
/// printed them to fleet's `docker events`: every probe is set aside, the
/// dispatcher's session stays work.
#[test]
fn probes_of_every_form_are_not_work_and_a_dispatchers_session_is() {
    let events = events();
    let mut snaps = probes();
    for c in &mut snaps {
        c.exec_ids = (events.iter())
            .filter(|e| e.container == c.id)
            .map(|e| e.exec.clone())
            .collect();
    }
    let before: Vec<usize> = snaps.iter().map(|c| c.exec_ids.len()).collect();
    let fake = FakeRunner::new();
    // No probe timeout set: docker's 30 s, plus 10.
    fake.expect(
        argv::exec_events(40, ANY).argv(),
        Ok(Output::ok(fixture("exec_create.tsv"))),
    );
    fleet::observe::set_aside_probes(&fake, &mut snaps);
    for ((name, _, work), n) in FORMS.iter().zip(&before) {
        let c = named(&snaps, name);
        assert_eq!(c.exec_ids.len(), *work, "{name}: work {:?}", c.exec_ids);
        assert_eq!(c.probe_ids.len() + c.exec_ids.len(), *n, "{name}");
        assert!(c.probe_ids.len() >= 3, "{name}: {:?}", c.probe_ids);
    }
    let one = named(&snaps, "fx-hc-one");
    let work = events.iter().find(|e| e.exec == one.exec_ids[0]).unwrap();
    assert_eq!(work.command, "sh -c echo work");
}

/// The engine's text is compared with trailing whitespace trimmed (an
/// engine that drops the join's space still matches), nothing else.
#[test]
fn only_trailing_whitespace_is_forgiven() {
    let mut snaps = probes();
    let c = snaps.iter_mut().find(|s| s.name == "fx-hc-one").unwrap();
    let id = c.id.clone();
    let lines = [
        ("e1", "/healthcheck ", true),
        ("e2", "/healthcheck", true),
        ("e3", "/healthcheck \t", true),
        ("e4", " /healthcheck", false),
        ("e5", "/healthcheck x", false),
        ("e6", "/healthcheck2", false),
        ("e7", "/bin/sh -c /healthcheck", false),
    ];
    c.exec_ids = lines.iter().map(|(e, _, _)| e.to_string()).collect();
    let tsv: String = (lines.iter())
        .map(|(e, cmd, _)| {
            let action = serde_json::to_string(&format!("exec_create: {cmd}")).unwrap();
            format!("{id}\t{e}\t{action}\n")
        })
        .collect();
    let fake = FakeRunner::new();
    fake.expect(argv::exec_events(40, ANY).argv(), Ok(Output::ok(tsv)));
    fleet::observe::set_aside_probes(&fake, std::slice::from_mut(c));
    for (e, cmd, probe) in lines {
        assert_eq!(c.probe_ids.iter().any(|p| p == e), probe, "`{cmd}`");
        assert_eq!(c.exec_ids.iter().any(|p| p == e), !probe, "`{cmd}`");
    }
}

/// One sample of the captured crash loop, stamped with when it was read.
fn crash_samples() -> Vec<ContainerSnapshot> {
    fixture("crashloop.jsonl")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let mut s = parse_inspect(&v["inspect"].to_string()).unwrap().remove(0);
            s.seen_at = v["seen_at"].as_f64();
            s
        })
        .collect()
}

/// Every look at a `sh -c 'sleep 2; exit 3'` loop under `restart: always`
/// reads crash-looping once docker restarted it once: in its back-off,
/// with the exit code docker kept; running between restarts, with the
/// exit code unknown (docker's `ExitCode` is 0 while it runs).
#[test]
fn a_crash_loop_reads_crash_looping_at_every_look_after_its_first_restart() {
    let samples = crash_samples();
    let (mut backoff, mut between) = (0, 0);
    for s in &samples {
        let st = &s.state;
        let want = match (st.restart_count, st.restarting) {
            (0, _) => Readiness::Running,
            (n, true) => {
                backoff += 1;
                Readiness::CrashLooping {
                    restarts: n,
                    last_exit: Some(3),
                }
            }
            (n, false) => {
                between += 1;
                assert_eq!(st.exit_code, 0, "docker keeps no exit code while it runs");
                Readiness::CrashLooping {
                    restarts: n,
                    last_exit: None,
                }
            }
        };
        assert_eq!(s.readiness(), want, "{} at {:?}", st.started_at, s.seen_at);
    }
    // The capture holds both kinds of look, and the looks between restarts
    // are the ones only the new rule catches: without the look's time,
    // they read as plain `running`.
    assert!(backoff >= 3 && between >= 3, "{backoff} {between}");
    let blind = samples
        .iter()
        .filter(|s| s.state.restart_count > 0 && !s.state.restarting)
        .map(|s| ContainerSnapshot {
            seen_at: None,
            ..s.clone()
        });
    assert!(
        blind
            .into_iter()
            .all(|s| s.readiness() == Readiness::Running)
    );
}

/// The window is [`CRASH_WINDOW`] (60 s) from the policy's restart to the
/// look; a start that reads as later than the look (clocks apart) counts
/// as recent; a container restarted by hand (`RestartCount` 0, captured)
/// is not crash-looping however recent.
#[test]
fn a_policy_restart_counts_for_a_minute_and_a_restart_by_hand_not_at_all() {
    assert_eq!(CRASH_WINDOW.as_secs(), 60);
    let s = crash_samples()
        .into_iter()
        .find(|s| s.state.restart_count > 0 && !s.state.restarting)
        .unwrap();
    let at = |dt: f64| {
        let mut s = s.clone();
        s.state.started_at = "2026-01-01T00:00:00Z".into();
        s.seen_at = Some(1_767_225_600.0 + dt);
        s.readiness()
    };
    let looping = |r: Readiness| {
        matches!(
            r,
            Readiness::CrashLooping {
                last_exit: None,
                ..
            }
        )
    };
    assert!(looping(at(0.0)));
    assert!(looping(at(59.9)));
    assert!(
        looping(at(-5.0)),
        "the engine's clock ahead of this machine's"
    );
    assert_eq!(at(60.0), Readiness::Running);
    assert_eq!(at(3600.0), Readiness::Running);

    let mut by_hand = parse_inspect(&fixture("restarted.json")).unwrap().remove(0);
    assert_eq!(by_hand.state.restart_count, 0);
    by_hand.seen_at = Some(1_767_225_600.0);
    by_hand.state.started_at = "2026-01-01T00:00:00Z".into();
    assert_eq!(by_hand.readiness(), Readiness::Running);
}

#[test]
fn crash_looping_says_what_docker_knows() {
    let word = |restarts, last_exit| {
        Readiness::CrashLooping {
            restarts,
            last_exit,
        }
        .word()
    };
    assert_eq!(
        word(1, None),
        "crash-looping (1 restart, last exit unknown)"
    );
    assert_eq!(word(7, Some(3)), "crash-looping (7 restarts, last exit 3)");
}
