//! Real-engine tests of issue 9 ("Trust"), on the tests' own engine: a
//! replacement that cannot run never costs an agent; agent env never steers
//! fleet's docker CLI; a half-read world changes nothing; a cut-off call is
//! reported as it turned out; every crash point of the swap is repaired by
//! the next sync; an agent is its container by its labels.

use serde_json::{Value, json};

use crate::engine::{Engine, bucket, engine};

/// An executable shell script in the test's dir.
fn script(e: &Engine, name: &str, body: &str) -> String {
    let path = e.dir.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// Every container of the project, as `name state` lines, sorted.
fn world(e: &Engine) -> Vec<String> {
    e.containers()
        .into_iter()
        .map(|(n, (_, st))| format!("{n} {st}"))
        .collect()
}

#[test]
fn a_replacement_that_cannot_run_never_costs_the_agent() {
    let Some(e) = engine("keep") else { return };
    let a = format!("{}-default", e.t("a"));
    e.config(json!({ "a": {} }));
    assert_eq!(e.sync().code, 0);
    let id = e.id(&a);
    // A typo in the command (the start fails), a user the image lacks (the
    // start fails), a command that exits at once (the start succeeds).
    for (spec, words) in [
        (
            json!({ "command": ["slep", "infinity"] }),
            &["did not start"][..],
        ),
        (json!({ "user": "nosuchuser" }), &["did not start"]),
        // Seen down at once, or up for an instant between restarts
        // (unless-stopped) and caught restarting while it settles.
        (
            json!({ "command": ["false"] }),
            &["exited at once with code 1", "did not stay up"],
        ),
    ] {
        e.config(json!({ "a": spec.clone() }));
        let s = e.sync();
        assert_eq!(s.code, 1, "{spec}: {s:?}");
        assert_eq!(bucket(&s, "failed"), a, "{spec}: {s:?}");
        assert!(
            words.iter().any(|w| s.stderr.contains(w)) && s.stderr.contains("was started again"),
            "{spec}: {s:?}"
        );
        assert!(
            s.stderr.contains(&format!("now: `{a}` is running")),
            "{s:?}"
        );
        assert_eq!(e.id(&a), id, "{spec}: same container");
        assert_eq!(e.state(&a), "running 0", "{spec}");
        assert_eq!(world(&e), [format!("{a} running")], "{spec}: no leftover");
    }
    // Stopped and drifted, with a bad replacement: the agent comes back
    // running anyway (an agent left stopped is the bug fleet was born from).
    e.docker(&["kill", &a]);
    e.config(json!({ "a": { "command": ["slep"] } }));
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert_eq!(e.id(&a), id);
    assert_eq!(e.state(&a), "running 0", "started again");
    // And a good config then recreates it for real.
    e.config(json!({ "a": { "env": { "V": "2" } } }));
    let s = e.sync();
    assert_eq!((s.code, bucket(&s, "recreated")), (0, a.clone()), "{s:?}");
    assert_ne!(e.id(&a), id);
}

#[test]
fn agent_env_never_steers_fleets_docker_and_arrives_exactly() {
    let Some(e) = engine("envsteer") else { return };
    let a = format!("{}-default", e.t("a"));
    let big: String = "0123456789abcdef".repeat(4000); // 64,000 bytes
    let tricky = "  lead and trail  \t= \"quoted\" 'single' #hash $HOME \\back é ü 日本 \r mid";
    let env = json!({
        "DOCKER_HOST": "tcp://127.0.0.1:9",
        "DOCKER_CONTEXT": "nowhere",
        "DOCKER_CONFIG": "/nonexistent",
        "PATH": "/nonexistent:/bin",
        "LD_PRELOAD": "/nonexistent.so",
        "HOME": "/nonexistent",
        "BIG": big,
        "TRICKY": tricky,
        "EMPTY": "",
    });
    e.config(json!({ "a": { "env": env.clone() } }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "created"), a);
    let got: Vec<String> =
        serde_json::from_str(&e.docker(&["inspect", "--format", "{{json .Config.Env}}", &a]))
            .unwrap();
    for (k, v) in env.as_object().unwrap() {
        let want = format!("{k}={}", v.as_str().unwrap());
        assert!(got.contains(&want), "{k} did not arrive exactly");
    }
    // It matches: a second sync changes nothing (the hash covers values).
    assert_eq!(e.sync().stdout, format!("[agents-sync] unchanged: {a}\n"));
    // A value docker's env file cannot carry is refused before any docker
    // command, naming the key and never the value.
    e.config(json!({ "a": { "env": { "TWO_LINES": "secret-one\nsecret-two" } } }));
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert!(s.stderr.contains("TWO_LINES"), "{s:?}");
    assert!(!s.stderr.contains("secret-one"), "{s:?}");
    assert_eq!(world(&e), [format!("{a} running")]);
}

#[test]
fn a_half_read_world_changes_nothing() {
    let Some(e) = engine("halfread") else { return };
    e.config(json!({ "a": { "instances": 2 } }));
    // `docker ps` answers something fleet cannot read; every other call is
    // real. Nothing may be created.
    for garbage in [
        "hello world",
        "0123\tname",
        "Error: context deadline exceeded",
    ] {
        let wrapper = script(
            &e,
            "docker-garbage",
            &format!("[ \"$1\" = ps ] && {{ echo '{garbage}'; exit 0; }}\nexec docker \"$@\"\n"),
        );
        let s = e.fleet(&["--docker", &wrapper, "sync"]);
        assert_eq!(s.code, 1, "{garbage}: {s:?}");
        assert!(s.stderr.contains("nothing was changed"), "{s:?}");
        assert!(e.containers().is_empty(), "{garbage}: {:?}", e.containers());
    }
    // An inspect that silently leaves a container out.
    assert_eq!(e.sync().code, 0);
    let before = e.containers();
    let wrapper = script(
        &e,
        "docker-half-inspect",
        "if [ \"$1\" = inspect ]; then docker \"$@\" | sed -n '1,/^    },$/p' | sed '$ s/},/}]/'; exit 0; fi\nexec docker \"$@\"\n",
    );
    e.config(json!({ "a": { "instances": 2, "env": { "V": "2" } } }));
    let s = e.fleet(&["--docker", &wrapper, "sync"]);
    assert_eq!(s.code, 1, "{s:?}");
    assert_eq!(e.containers(), before, "nothing recreated or created");
}

#[test]
fn a_timeout_mid_recreate_loses_no_agent_and_is_reported_as_it_turned_out() {
    let Some(e) = engine("cutoff") else { return };
    let t = e.t("w");
    e.config(json!({ "w": { "instances": 8, "env": { "G": "1" } } }));
    assert_eq!(e.sync().code, 0);
    e.config(json!({ "w": { "instances": 8, "env": { "G": "2" } } }));
    // Short enough that some calls are cut off on this engine, or not:
    // either way, what follows must hold.
    let s = e.fleet(&["--timeout", "0.3", "--json", "sync"]);
    let doc: Value = serde_json::from_str(&s.stdout).unwrap_or_else(|_| panic!("{s:?}"));
    for f in doc["failed"].as_array().unwrap() {
        assert!(
            f["now"].is_string(),
            "every failure says what is true now: {f}"
        );
    }
    // Every agent has a running container of its own (by its labels), and
    // the next sync converges with no leftover.
    let running = e.docker(&[
        "ps",
        "--filter",
        &format!("label=fleet.project={}", e.project),
        "--format",
        "{{.Label \"fleet.instance\"}}",
    ]);
    let mut instances: Vec<u32> = running.lines().map(|l| l.parse().unwrap()).collect();
    instances.sort();
    instances.dedup();
    assert_eq!(instances, (1..=8).collect::<Vec<_>>(), "{s:?}");
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    let names: Vec<String> = e.containers().into_keys().collect();
    let mut want: Vec<String> = (1..=8)
        .map(|i| {
            if i == 1 {
                format!("{t}-default")
            } else {
                format!("{t}-{i}")
            }
        })
        .collect();
    want.sort();
    assert_eq!(names, want);
    assert!(
        world(&e).iter().all(|l| l.ends_with(" running")),
        "{:?}",
        world(&e)
    );
}

#[test]
fn every_crash_point_of_the_swap_is_repaired_by_the_next_sync() {
    let Some(e) = engine("crashpt") else { return };
    let a = format!("{}-default", e.t("a"));
    // fleet is killed (SIGKILL) right after the n-th docker <verb> of a
    // recreate returned: discovery runs ps, inspect, image inspect first.
    for (round, (verb, nth)) in [
        ("create", 1),
        ("stop", 1),
        ("start", 1),
        ("inspect", 2),
        ("rm", 1),
        ("rename", 1),
    ]
    .into_iter()
    .enumerate()
    {
        e.config(json!({ "a": { "env": { "GEN": round.to_string() } } }));
        assert_eq!(e.sync().code, 0, "{verb}");
        let count = e.dir.path().join(format!("count-{verb}"));
        let wrapper = script(
            &e,
            &format!("docker-dies-after-{verb}"),
            &format!(
                "docker \"$@\"; rc=$?\n\
                 if [ \"$1\" = {verb} ]; then echo x >> {c}; \
                 [ \"$(wc -l < {c})\" -eq {nth} ] && kill -9 $PPID; fi\n\
                 exit $rc\n",
                c = count.display()
            ),
        );
        e.config(json!({ "a": { "env": { "GEN": format!("{round}-next") } } }));
        let s = e.fleet(&["--docker", &wrapper, "sync"]);
        assert_ne!(s.code, 0, "{verb}: fleet was killed: {s:?}");
        let s = e.sync();
        assert_eq!(s.code, 0, "after a crash after `{verb}`: {s:?}");
        assert_eq!(world(&e), [format!("{a} running")], "after `{verb}`: {s:?}");
        let env = e.docker(&["inspect", "--format", "{{json .Config.Env}}", &a]);
        assert!(
            env.contains(&format!("GEN={round}-next")),
            "after `{verb}`: {env}"
        );
        assert_eq!(
            e.sync().stdout,
            format!("[agents-sync] unchanged: {a}\n"),
            "after `{verb}`"
        );
    }
}

#[test]
fn an_agent_is_its_container_by_its_labels() {
    let Some(e) = engine("labels") else { return };
    let t = e.t("a");
    e.config(json!({ "a": { "instances": 3 } }));
    assert_eq!(e.sync().code, 0);
    let before = e.containers();
    // Renamed by hand, and stopped: renamed back and started, same ID.
    e.docker(&["rename", &format!("{t}-2"), &format!("{t}-2-old")]);
    e.docker(&["kill", &format!("{t}-2-old")]);
    let p = e.fleet(&["plan"]);
    assert!(!p.stdout.contains("beyond"), "no false reason: {p:?}");
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "started"), format!("{t}-2"), "{s:?}");
    assert_eq!(e.containers(), before, "same names, same IDs");
    // Running under another name: renamed back, nothing else.
    e.docker(&["rename", &format!("{t}-3"), "elsewhere-x"]);
    e.extra.borrow_mut().push("elsewhere-x".into());
    let s = e.sync();
    assert_eq!(bucket(&s, "renamed"), format!("{t}-3"), "{s:?}");
    assert_eq!(e.containers(), before);
    // A second container claiming instance 1: one is kept, the other
    // removed with a true reason.
    let labels = [
        format!("fleet.project={}", e.project),
        format!("fleet.type={t}"),
        "fleet.instance=1".to_string(),
        "fleet.config-hash=sha256:other".to_string(),
    ];
    let twin = format!("{t}-twin");
    e.hand_made(
        &twin,
        &labels.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let p = e.fleet(&["plan"]);
    assert!(
        p.stdout.contains(&format!(
            "another container for instance 1 of type `{t}`; `{t}-default`"
        )),
        "{p:?}"
    );
    let s = e.sync();
    assert_eq!(bucket(&s, "removed"), twin, "{s:?}");
    assert_eq!(e.containers(), before);
}

#[test]
fn input_that_passes_check_never_hurts_and_bad_numbers_change_nothing() {
    let Some(e) = engine("input") else { return };
    let t = e.t("a");
    e.config(json!({ "a": { "instances": 2 } }));
    assert_eq!(e.sync().code, 0);
    let before = e.containers();
    let path = e.dir.path().join("agents.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&good).unwrap();
    let project = doc["project"].as_str().unwrap();
    let bad = |text: String| {
        std::fs::write(&path, text).unwrap();
        let c = e.fleet(&["check"]);
        let s = e.sync();
        (c, s)
    };
    // Two documents: the second (which would scale down) must not count,
    // and the file must be refused, not half-read.
    let two = format!(
        "{good}\n{}",
        json!({ "project": project, "types": { &t: { "image": "fleet-demo:busybox", "instances": 0 } } })
    );
    for text in [
        two,
        good.replace("fleet-demo:busybox", "Fleet-Demo:busybox"),
        good.replace("fleet-demo:busybox", "--rm"),
        good.replace(
            "\"instances\": 2",
            "\"instances\": 2, \"run_args\": [\"--label\", \"fleet.project=elsewhere\"]",
        ),
        good.replace(
            "\"instances\": 2",
            "\"instances\": 2, \"run_args\": [\"-lfleet.type=x\"]",
        ),
    ] {
        let (c, s) = bad(text.clone());
        assert_eq!(c.code, 1, "check must refuse: {text}\n{c:?}");
        assert_eq!(s.code, 1, "{s:?}");
        assert_eq!(e.containers(), before, "nothing changed for {text}");
    }
    std::fs::write(&path, &good).unwrap();
    for (flag, value) in [
        ("--timeout", "inf"),
        ("--timeout", "1e30"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "-1"),
        ("--lock-wait", "1e20"),
    ] {
        let s = e.fleet(&[&format!("{flag}={value}"), "sync"]);
        assert_eq!(s.code, 2, "{flag} {value}: {s:?}");
        assert!(s.stderr.contains(flag), "{s:?}");
    }
    // A run that fails before it has a result still prints one JSON
    // document with an error object.
    let s = e.fleet(&["--docker", "/nonexistent/docker", "--json", "sync"]);
    assert_eq!(s.code, 1, "{s:?}");
    let doc: Value = serde_json::from_str(&s.stdout).unwrap_or_else(|_| panic!("{s:?}"));
    assert!(doc["error"]["message"].is_string(), "{doc}");
    // down --json names what was already stopped.
    e.docker(&["stop", "-t", "0", &format!("{t}-2")]);
    let d = e.fleet(&["down", "-t", "0", "--json"]);
    let doc: Value = serde_json::from_str(&d.stdout).unwrap_or_else(|_| panic!("{d:?}"));
    assert_eq!(doc["already"], json!([format!("{t}-2")]), "{doc}");
    assert_eq!(doc["done"], json!([format!("{t}-default")]), "{doc}");
}
