//! Config parsing: the merge rules on good files, and every file of the
//! bad-input corpus rejected with the file, position or JSON path, and what
//! is allowed (one snapshot of all the messages).

use std::path::Path;

use fleet::config::{Config, Restart};

fn load(path: &str) -> anyhow::Result<Config> {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
}

#[test]
fn full_config_merges_defaults_key_by_key() {
    let c = load("fixtures/configs/good/full.json").unwrap();
    assert_eq!(c.project, "claude-hooks");
    let names: Vec<String> = c.desired().iter().map(|d| d.name.clone()).collect();
    assert_eq!(
        names,
        ["coder-default", "coder-2", "coder-3", "reviewer-default"]
    );
    let coder = &c.types[0];
    assert_eq!(coder.name, "coder");
    let env: Vec<(&str, &str)> = coder
        .spec
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("API_TOKEN", "not-a-real-secret"),
            ("ROLE", "coder"),
            ("TZ", "UTC")
        ]
    );
    let labels: Vec<(&str, &str)> = coder
        .spec
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(labels, [("team", "agents"), ("tier", "coder")]);
    assert_eq!(coder.spec.restart, Restart::Always);
    let reviewer = c.types.iter().find(|t| t.name == "reviewer").unwrap();
    assert_eq!(reviewer.spec.restart, Restart::UnlessStopped);
    assert_eq!(
        reviewer.spec.env.get("ROLE").map(String::as_str),
        Some("reviewer")
    );
    assert_eq!(reviewer.instances, 1);
    assert_eq!(
        c.types.iter().find(|t| t.name == "idle").unwrap().instances,
        0
    );
}

#[test]
fn hash_is_stable_and_changes_with_the_spec() {
    let a = load("fixtures/configs/good/full.json").unwrap();
    let b = load("fixtures/configs/good/full.json").unwrap();
    assert_eq!(a.types[0].hash, b.types[0].hash);
    assert!(a.types[0].hash.starts_with("sha256:") && a.types[0].hash.len() == 7 + 64);
    // Two types with different env differ.
    assert_ne!(a.types[0].hash, a.types[2].hash);
    // The hash is pinned: changing how specs hash recreates every container
    // in the field, so it must be a deliberate, visible change.
    insta::assert_snapshot!(a.types[0].hash, @"sha256:413951c4d8bd970bab768fcb83ed95527c4c48e01f9fd96f7a9e0b068d80978c");
}

#[test]
fn debug_output_never_shows_env_values() {
    let c = load("fixtures/configs/good/full.json").unwrap();
    let dbg = format!("{c:?}");
    assert!(dbg.contains("API_TOKEN"), "keys are shown");
    assert!(!dbg.contains("not-a-real-secret"), "values are not: {dbg}");
}

#[test]
fn the_example_config_is_valid() {
    let c = load("config/agents.json").unwrap();
    assert!(!c.desired().is_empty());
}

#[test]
fn every_bad_config_is_rejected_with_its_location() {
    let dir = Path::new("fixtures/configs/bad");
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus shrank: {}", files.len());
    let mut all = String::new();
    for f in &files {
        let path = dir.join(f);
        let err = match Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(&path)) {
            Ok(_) => panic!("{f} was accepted"),
            Err(e) => format!("{e:#}"),
        };
        let err = err.replace(&format!("{}/", env!("CARGO_MANIFEST_DIR")), "");
        assert!(
            err.starts_with(&path.display().to_string()),
            "{f}: message does not name the file: {err}"
        );
        all += &format!("{err}\n");
    }
    insta::assert_snapshot!(all);
}

#[test]
fn a_missing_file_says_how_to_point_at_one() {
    let err = format!(
        "{:#}",
        Config::load(Path::new("/nonexistent/agents.json")).unwrap_err()
    );
    assert!(
        err.contains("could not read config `/nonexistent/agents.json`"),
        "{err}"
    );
    assert!(err.contains("help: pass -c/--config"), "{err}");
}
