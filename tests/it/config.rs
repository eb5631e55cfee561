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
    // Env values are never shown: the corpus's are all `hunter2`.
    assert!(!all.contains("hunter2"), "an env value leaked:\n{all}");
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

// ---- whole-file rules: one document, bounded size, UTF-8, the BOM

/// `Config::parse`'s message for `text`, or a panic if it was accepted.
fn rejected(text: &str) -> String {
    match Config::parse(Path::new("agents.json"), text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => format!("{e:#}"),
    }
}

const MINIMAL: &str = r#"{ "types": { "coder": { "image": "agent:latest" } } }"#;

#[test]
fn whitespace_after_the_document_is_fine_anything_else_is_not() {
    Config::parse(Path::new("a.json"), &format!("{MINIMAL}\n \t\r\n\n")).unwrap();
    for (tail, at) in [
        ("{}", "1:54: unexpected `{`"),
        ("\n\n  // old", "3:3: unexpected `/`"),
        (" \"x\"", "1:55: unexpected `\"`"),
        ("\u{a0}", "1:54: unexpected '\\u{a0}'"),
        ("\0", "1:54: unexpected '\\0'"),
        (",", "1:54: unexpected `,`"),
    ] {
        let err = rejected(&format!("{MINIMAL}{tail}"));
        assert!(
            err.starts_with(&format!("agents.json:{at}")),
            "{tail:?}: {err}"
        );
        assert!(
            err.contains("only whitespace may follow it"),
            "{tail:?}: {err}"
        );
    }
}

#[test]
fn a_leading_byte_order_mark_is_skipped_and_positions_count_after_it() {
    let bom = "\u{feff}";
    Config::parse(Path::new("a.json"), &format!("{bom}{MINIMAL}")).unwrap();
    Config::parse(Path::new("a.json"), &format!("{bom} \n\t{MINIMAL}\n")).unwrap();
    // The same error at the same place, with and without the mark.
    let bad = r#"{ "types": { "coder": { "image": "a", "instances": 101 } } }"#;
    let plain = rejected(bad);
    assert!(plain.starts_with("agents.json:1:56: "), "{plain}");
    assert_eq!(rejected(&format!("{bom}{bad}")), plain);
    let two_lines = format!("{bom}\n{bad}");
    assert!(rejected(&two_lines).starts_with("agents.json:2:56: "));
    // Only one mark: a second is content, at column 1 after the first.
    let err = rejected(&format!("{bom}{bom}{MINIMAL}"));
    assert!(err.starts_with("agents.json:1:1: "), "{err}");
    // Through the file reader too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.json");
    std::fs::write(&path, format!("{bom}{MINIMAL}\n")).unwrap();
    Config::load(&path).unwrap();
}

#[test]
fn columns_count_characters_not_bytes() {
    let err = rejected(r#"{ "types": { "café-ß": { "image": "a" } } }"#);
    assert!(err.starts_with("agents.json:1:21: types.café-ß: "), "{err}");
}

#[test]
fn a_file_over_the_size_limit_is_refused_one_at_the_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.json");
    let limit = fleet::config::MAX_CONFIG_BYTES;
    let mut at_limit = MINIMAL.to_string();
    at_limit += &" ".repeat(limit - at_limit.len());
    std::fs::write(&path, &at_limit).unwrap();
    Config::load(&path).unwrap();
    std::fs::write(&path, at_limit + " ").unwrap();
    let err = format!("{:#}", Config::load(&path).unwrap_err());
    assert!(
        err.ends_with("agents.json: the file is larger than 4 MiB, the limit for a config file; is it the right file?"),
        "{err}"
    );
}

#[cfg(unix)]
mod special_files {
    use std::os::fd::AsRawFd;
    use std::path::Path;
    use std::process::{Command, Stdio};

    use fleet::config::Config;

    fn load_err(path: &str) -> String {
        format!("{:#}", Config::load(Path::new(path)).unwrap_err())
    }

    #[test]
    fn devices_are_refused_without_reading() {
        for dev in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            assert_eq!(
                load_err(dev),
                format!(
                    "could not read config `{dev}`: it is a character device; fleet reads a regular file or a pipe\nhelp: pass -c/--config <file> or set FLEET_CONFIG"
                )
            );
        }
        assert!(load_err("/tmp").contains("it is a directory"));
    }

    /// A pipe's read end held by this process, as `<(cmd)` gives one.
    fn piped(cmd: &mut Command) -> (std::process::Child, String) {
        let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let fd = child.stdout.as_ref().unwrap().as_raw_fd();
        (child, format!("/proc/self/fd/{fd}"))
    }

    #[test]
    fn an_endless_pipe_is_cut_at_the_limit() {
        let (mut child, path) = piped(&mut Command::new("yes"));
        let err = load_err(&path);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(err.contains("the file is larger than 4 MiB"), "{err}");
    }

    #[test]
    fn a_pipe_with_a_config_is_read() {
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/configs/good/full.json"
        );
        let (mut child, path) =
            piped(Command::new("sh").args(["-c", "sleep 0.2; cat \"$0\"", file]));
        let c = Config::load(Path::new(&path));
        child.wait().unwrap();
        assert_eq!(c.unwrap().project, "claude-hooks");
    }

    #[test]
    fn a_fifo_nobody_writes_to_reads_as_empty_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("agents.json");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = format!("{:#}", Config::load(&fifo).unwrap_err());
        assert!(
            err.ends_with("agents.json: the file is empty; expected a JSON object with `types`"),
            "{err}"
        );
    }
}

mod no_panics {
    use fleet::config::Config;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_as_a_file(bytes in proptest::collection::vec(any::<u8>(), 0..200), bom in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("agents.json");
            let mut all = if bom { vec![0xef, 0xbb, 0xbf] } else { Vec::new() };
            all.extend(bytes);
            std::fs::write(&path, all).unwrap();
            let _ = Config::load(&path);
        }
    }
}
