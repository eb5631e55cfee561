//! `--wait` and the rolling recreate on the tests' real engine: a
//! healthcheck that passes, one that never does, a command that exits at
//! once, a crash loop, and a pool recreated one member at a time while a
//! thread outside watches `docker ps`. Issue 18: an image's own one-word
//! `HEALTHCHECK CMD ["/healthcheck"]` is not work, and a crash loop reads
//! as one at every look, between its restarts too.

use serde_json::{Value, json};

use crate::engine::engine;

/// A healthcheck probing every second, unhealthy after one failure.
fn hc(test: Value) -> Value {
    json!({ "test": test, "interval": "1s", "timeout": "5s", "retries": 1 })
}

#[test]
fn a_passing_healthcheck_is_waited_for() {
    let Some(e) = engine("waitok") else { return };
    e.config(json!({ "ok": { "healthcheck": hc(json!(["CMD", "true"])), "instances": 2 } }));
    let s = e.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(s.code, 0, "{s:?}");
    let st = e.fleet(&["--json", "status"]);
    let doc: Value = serde_json::from_str(&st.stdout).unwrap();
    let rows = &doc["agents"];
    for r in rows.as_array().unwrap() {
        assert_eq!(r["ready"], "healthy", "right after --wait: {rows:#}");
    }
}

#[test]
fn a_healthcheck_that_never_passes_fails_named_unhealthy() {
    let Some(e) = engine("waitsick") else { return };
    e.config(json!({ "sick": { "healthcheck": hc(json!(["CMD-SHELL", "echo no db; false"])) } }));
    let s = e.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(s.code, 1, "{s:?}");
    assert!(
        s.stderr
            .contains("is unhealthy: its healthcheck said `no db`"),
        "{s:?}"
    );
}

#[test]
fn a_command_that_exits_fails_fast_with_its_exit_code() {
    let Some(e) = engine("waitexit") else { return };
    e.config(json!({ "bye": {
        "command": ["sh", "-c", "echo leaving now; exit 3"], "restart": "no" } }));
    // A timeout the test would notice: failing fast is not waiting for it.
    let s = e.fleet(&["sync", "--wait", "--wait-timeout", "600"]);
    assert_eq!(s.code, 1, "{s:?}");
    assert!(s.stderr.contains("with code 3"), "{s:?}");
    assert!(!s.stderr.contains("timed out"), "{s:?}");
}

#[test]
fn a_crash_loop_fails_the_wait_when_started_and_when_left_unchanged() {
    let Some(e) = engine("waitloop") else { return };
    e.config(
        json!({ "loop": { "command": ["sh", "-c", "echo crashed; exit 1"], "restart": "always" } }),
    );
    let s = e.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_ne!(s.code, 0, "{s:?}");
    let again = e.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(
        again.stderr.contains("crash-looping") || again.stderr.contains("restarted"),
        "{again:?}"
    );
}

/// A pool of 4 whose spec changes, `max_unavailable: 1`: `docker ps`,
/// polled from the test while the sync runs, never shows more than one
/// member without a running container (under its name or its
/// replacement's).
#[test]
fn a_rolling_recreate_keeps_all_but_one_member_up() {
    let Some(e) = engine("roll") else { return };
    let pool =
        |v: &str| json!({ "w": { "instances": 4, "max_unavailable": 1, "env": { "V": v } } });
    e.config(pool("1"));
    assert_eq!(e.sync().code, 0);
    e.config(pool("2"));
    let mut child = e.fleet_cmd(&["sync", "--wait"]).spawn().unwrap();
    let names: Vec<String> = (1..=4)
        .map(|i| match i {
            1 => format!("{}-default", e.t("w")),
            i => format!("{}-{i}", e.t("w")),
        })
        .collect();
    let filter = format!("label=fleet.project={}", e.project);
    let (mut most, mut samples) = (0, 0);
    while child.try_wait().unwrap().is_none() {
        let o = e
            .docker_cmd(&["ps", "--filter", &filter, "--format", "{{.Names}}"])
            .output()
            .unwrap();
        let running = String::from_utf8_lossy(&o.stdout).into_owned();
        let up = |n: &str| {
            running
                .lines()
                .any(|l| l == n || l == format!("{n}.fleet-next"))
        };
        let down = names.iter().filter(|n| !up(n)).count();
        most = most.max(down);
        samples += 1;
    }
    assert!(child.wait().unwrap().success());
    assert!(samples > 3, "too few samples to tell: {samples}");
    assert!(most <= 1, "{most} members were down at once");
    let p = e.fleet(&["plan"]);
    assert!(!p.stdout.contains("recreate"), "{p:?}");
}

/// An image made on the test engine from the demo image, with a
/// `/healthcheck` script that echoes and takes `secs` (so a probe is live
/// a good part of the time) and a `HEALTHCHECK` in docker's one-word exec
/// form. No registry: `docker commit --change`. Removed on drop.
struct HealthImage<'e> {
    e: &'e crate::engine::Engine,
    tag: String,
}

impl<'e> HealthImage<'e> {
    fn one_word(e: &'e crate::engine::Engine, secs: u32) -> HealthImage<'e> {
        let builder = e.t("build");
        e.extra.borrow_mut().push(builder.clone());
        let script = format!(
            "printf '#!/bin/sh\\necho ok\\nsleep {secs}\\n' > /healthcheck && busybox chmod +x /healthcheck"
        );
        e.docker(&[
            "run",
            "--name",
            &builder,
            crate::engine::IMAGE,
            "sh",
            "-c",
            &script,
        ]);
        let tag = format!("{}-hc:one", e.prefix);
        e.docker(&[
            "commit",
            "--change",
            "HEALTHCHECK --interval=1s --timeout=10s CMD [\"/healthcheck\"]",
            &builder,
            &tag,
        ]);
        HealthImage { e, tag }
    }
}

impl Drop for HealthImage<'_> {
    fn drop(&mut self) {
        let _ = self.e.docker_cmd(&["rmi", "-f", &self.tag]).output();
    }
}

/// The image's own `HEALTHCHECK CMD ["/healthcheck"]`: the engine names
/// its probes `/healthcheck ` (a trailing space). With only probe
/// sessions live, the container is not busy: status counts 0 sessions,
/// plan and sync do not defer its recreate, and down stops it without
/// `--force`.
#[test]
fn an_images_one_word_healthcheck_is_not_work() {
    let Some(e) = engine("imghc") else { return };
    let img = HealthImage::one_word(&e, 1);
    let a = format!("{}-default", e.t("a"));
    let spec = |v: &str| json!({ "a": { "image": img.tag, "env": { "V": v } } });
    e.config(spec("1"));
    assert_eq!(e.sync().code, 0);
    let test = e.docker(&["inspect", "-f", "{{json .Config.Healthcheck.Test}}", &a]);
    assert_eq!(test.trim(), r#"["CMD","/healthcheck"]"#);
    e.config(spec("2"));
    let mut live = 0;
    for _ in 0..12 {
        let execs = e.docker(&["inspect", "-f", "{{len .ExecIDs}}", &a]);
        live += usize::from(execs.trim() != "0");
        let st = e.fleet(&["--json", "status"]);
        let rows: Value = serde_json::from_str::<Value>(&st.stdout).unwrap()["agents"].clone();
        assert_eq!(
            rows[0]["exec_sessions"], 0,
            "a probe counted as work: {rows:#}"
        );
        let p = e.fleet(&["plan"]);
        assert!(
            !p.stdout.contains("defer"),
            "a probe counted as work: {p:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    assert!(live > 0, "no probe was ever live: the test proves nothing");
    // Recreated at once, whatever probe is live.
    let s = e.sync();
    assert!(s.stdout.contains("recreated: "), "{s:?}");
    // Down while a probe is live, when one can be caught.
    e.until_exec_session(&a, 50);
    let d = e.fleet(&["down", "-t", "0"]);
    assert_eq!(
        d.stdout,
        format!("[containers-down] stopped: {a}\n"),
        "{d:?}"
    );
}

/// `sh -c 'sleep 2; exit 3'` under `restart: always` spends most of its
/// time running between restarts. Once docker has restarted it (polled
/// for, no timing assumed), every look says crash-looping: status's READY,
/// plan's reason and warning, whether docker shows it `running` or
/// `restarting` at that moment; and `--wait` fails at once.
#[test]
fn a_crash_loop_reads_crash_looping_at_every_look_after_its_first_restart() {
    let Some(e) = engine("crashlook") else { return };
    let a = format!("{}-default", e.t("loop"));
    e.config(json!({ "loop": {
        "command": ["sh", "-c", "sleep 2; exit 3"], "restart": "always" } }));
    assert_eq!(e.sync().code, 0);
    let count = || {
        e.docker(&["inspect", "-f", "{{.RestartCount}}", &a])
            .trim()
            .parse::<i64>()
            .unwrap()
    };
    let t0 = std::time::Instant::now();
    while count() < 1 {
        assert!(t0.elapsed().as_secs() < 60, "docker never restarted it");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let mut states = Vec::new();
    for _ in 0..16 {
        let st = e.fleet(&["--json", "status"]);
        let rows: Value = serde_json::from_str::<Value>(&st.stdout).unwrap()["agents"].clone();
        let ready = rows[0]["ready"].as_str().unwrap_or("").to_string();
        assert!(ready.starts_with("crash-looping ("), "{rows:#}");
        states.push(rows[0]["state"].as_str().unwrap_or("").to_string());
        let p = e.fleet(&["plan"]);
        assert!(p.stdout.contains("matches, but crash-looping ("), "{p:?}");
        assert!(p.stderr.contains("warning:"), "{p:?}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(
        states.iter().any(|s| s == "running"),
        "never seen running between restarts: the test proves nothing new: {states:?}"
    );
    let w = e.fleet(&["sync", "--wait", "--wait-timeout", "600"]);
    assert_eq!(w.code, 1, "{w:?}");
    assert!(w.stderr.contains("is crash-looping"), "{w:?}");
    assert!(!w.stderr.contains("timed out"), "{w:?}");
}
