//! The real-engine tests that make sense for podman, on the tests' own
//! podman 4.3 (scripts/test-podman.sh; fleet runs it as `--docker`):
//! create, Exited-137 recovery and unpause with IDs kept, drift, the swap
//! keeping the agent when its replacement cannot start, busy containers,
//! up/down, status.

use serde_json::json;

use crate::engine::{bucket, down_spares_a_busy_agent, podman};

#[test]
fn podman_lifecycle_create_recover_unpause_drift() {
    let Some(e) = podman("life") else { return };
    let a = e.t("a");
    e.config(json!({ "a": { "instances": 3, "env": { "V": "1" } } }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "created"), format!("{a}-default, {a}-2, {a}-3"));
    let before = e.containers();
    assert!(before.values().all(|(_, st)| st == "running"), "{before:?}");
    let s = e.sync();
    assert_eq!(
        s.stdout,
        format!("[agents-sync] unchanged: {a}-default, {a}-2, {a}-3\n"),
        "a second sync changes nothing: {s:?}"
    );
    // Killed (Exited 137) and paused: started and unpaused, same IDs.
    e.docker(&["kill", &format!("{a}-2")]);
    e.docker(&["pause", &format!("{a}-3")]);
    let p = e.fleet(&["plan"]);
    assert!(p.stdout.contains("exited 137, matches"), "{p:?}");
    assert!(p.stdout.contains("paused, matches"), "{p:?}");
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "started"), format!("{a}-2, {a}-3"), "{s:?}");
    let after = e.containers();
    for (name, (id, st)) in &after {
        assert_eq!((id, st.as_str()), (&before[name].0, "running"), "{name}");
    }
    // Drift names only what the config changed (podman adds env keys and
    // bind options of its own, and qualifies image references).
    e.config(json!({ "a": { "instances": 3, "env": { "V": "2" } } }));
    let p = e.fleet(&["plan"]);
    for line in p.stdout.lines().take(3) {
        assert!(line.ends_with("env V changed"), "{p:?}");
    }
    let s = e.sync();
    assert_eq!(
        bucket(&s, "recreated"),
        format!("{a}-default, {a}-2, {a}-3"),
        "{s:?}"
    );
    assert_eq!(
        e.sync().stdout,
        format!("[agents-sync] unchanged: {a}-default, {a}-2, {a}-3\n")
    );
    let d = e.fleet(&["plan", "--detailed-exitcode"]);
    assert_eq!(d.code, 0, "{d:?}");
}

#[test]
fn podman_a_replacement_that_cannot_start_keeps_the_agent() {
    let Some(e) = podman("keep") else { return };
    let a = format!("{}-default", e.t("a"));
    e.config(json!({ "a": { "mounts": ["/tmp:/data:ro"] } }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    let id = e.id(&a);
    assert_eq!(
        e.sync().stdout,
        format!("[agents-sync] unchanged: {a}\n"),
        "podman's bind options do not read as drift"
    );
    e.config(json!({ "a": { "mounts": ["/tmp:/data:ro"], "command": ["slep", "infinity"] } }));
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert!(s.stderr.contains("was started again"), "{s:?}");
    assert_eq!(e.id(&a), id);
    assert_eq!(e.containers().len(), 1, "no leftover");
    assert_eq!(e.containers()[&a].1, "running");
}

#[test]
fn podman_down_spares_busy_and_up_starts_all() {
    let Some(e) = podman("updown") else { return };
    let a = e.t("a");
    let before = down_spares_a_busy_agent(&e);
    let st = e.fleet(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&st.stdout).unwrap();
    let rows = &doc["agents"];
    assert_eq!(rows[0]["state"], "exited 137", "{rows}");
    assert_eq!(rows[0]["action"], "started", "{rows}");
    assert_eq!(rows[1]["exec_sessions"], 1, "{rows}");
    let u = e.fleet(&["up"]);
    assert_eq!(u.code, 0, "{u:?}");
    assert_eq!(
        u.stdout,
        format!("[containers-up] started: {a}-default\n"),
        "{u:?}"
    );
    let after = e.containers();
    for (name, (id, st)) in &after {
        assert_eq!((id, st.as_str()), (&before[name].0, "running"), "{name}");
    }
}
