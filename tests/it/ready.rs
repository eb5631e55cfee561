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
    let rows: Value = serde_json::from_str(&st.stdout).unwrap();
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
