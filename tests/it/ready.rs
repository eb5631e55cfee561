//! `--wait` and the rolling recreate on the tests' real engine: a
//! healthcheck that passes, one that never does, a command that exits at
//! once, a crash loop, and a pool recreated one member at a time while a
//! thread outside watches `docker ps`.

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
