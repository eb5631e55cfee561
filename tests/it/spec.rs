//! The one mapping between the config's spec and docker's fields
//! (`fleet::spec`): the same function builds the argv, compares drift and
//! renders the test engine's view, so these pin what it says.

use fleet::config::{Memory, Restart};
use fleet::docker::argv;
use fleet::spec::{self, ContainerState};

use crate::support::{Existing, IMAGES, actual, desired};

#[test]
fn memory_is_read_once_in_docker_units() {
    let bytes = |s: &str| Memory::parse(s).map(|m| m.bytes());
    assert_eq!(bytes("4g"), Some(4 << 30));
    assert_eq!(bytes("4G"), Some(4 << 30));
    assert_eq!(bytes("512m"), Some(512 << 20));
    assert_eq!(bytes("64k"), Some(64 << 10));
    assert_eq!(bytes("100b"), Some(100));
    assert_eq!(bytes("100"), Some(100));
    for bad in [
        "",
        "g",
        "4gb",
        "4 g",
        "-4g",
        "4x",
        "99999999999g",
        "99999999999999999999",
    ] {
        assert_eq!(bytes(bad), None, "{bad:?}");
    }
    // The config's spelling is what the hash and the messages see.
    assert_eq!(Memory::parse("4G").unwrap().as_str(), "4G");
    assert_eq!(spec::memory_text(4 << 30), "4g");
    assert_eq!(spec::memory_text(1536 << 20), "1536m");
    assert_eq!(spec::memory_text(0), "");
}

#[test]
fn a_memory_too_large_for_docker_is_a_config_error() {
    let text = r#"{"types":{"x":{"image":"a","memory":"99999999999g"}}}"#;
    let err = fleet::config::Config::parse(std::path::Path::new("agents.json"), text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("types.x.memory: invalid memory `99999999999g`"),
        "{err}"
    );
}

#[test]
fn cpus_map_to_nano_cpus_and_back() {
    assert_eq!(spec::nano_cpus(2.0), 2_000_000_000);
    assert_eq!(spec::nano_cpus(0.1), 100_000_000);
    // 0.3 * 1e9 is 299999999.99999994 in floating point: rounded, not cut.
    assert_eq!(spec::nano_cpus(0.3), 300_000_000);
    assert_eq!(spec::cpus_text(500_000_000), "0.5");
    assert_eq!(spec::cpus_text(0), "");
}

/// The argv fleet builds, the `docker inspect` view of it, and the drift
/// comparison agree for every shape of entrypoint and command.
#[test]
fn the_entrypoint_split_is_the_same_for_argv_drift_and_the_engines_view() {
    let cases = [
        (
            r#""entrypoint":["/bin/tini","--"],"command":["sleep","1"]"#,
            Some("/bin/tini"),
            Some(vec!["--", "sleep", "1"]),
        ),
        (
            r#""entrypoint":["/bin/tini","--"]"#,
            Some("/bin/tini"),
            Some(vec!["--"]),
        ),
        (r#""entrypoint":["/bin/tini"]"#, Some("/bin/tini"), None),
        (
            r#""entrypoint":[],"command":["sh"]"#,
            Some(""),
            Some(vec!["sh"]),
        ),
        (r#""command":[]"#, None, Some(vec![])),
        (
            r#""command":["sleep","infinity"]"#,
            None,
            Some(vec!["sleep", "infinity"]),
        ),
        ("", None, None),
    ];
    for (fields, program, args) in cases {
        let sep = if fields.is_empty() { "" } else { "," };
        let text =
            format!(r#"{{"project":"p","types":{{"x":{{"image":"agent:latest"{sep}{fields}}}}}}}"#);
        let d = &desired(&text)[0];
        let launch = d.spec.launch();
        assert_eq!(
            (launch.program, launch.args.clone()),
            (program, args.clone()),
            "{fields}"
        );
        let run = argv::run_cmd(d).args;
        let at = run.iter().position(|a| a == "agent:latest").unwrap();
        let tail: Vec<&str> = run[at + 1..].iter().map(String::as_str).collect();
        assert_eq!(tail, args.clone().unwrap_or_default(), "{fields}");
        let ep = run
            .iter()
            .position(|a| a == "--entrypoint")
            .map(|i| run[i + 1].as_str());
        assert_eq!(ep, program, "{fields}");
        // A container made from it, as the engine shows it, has no field
        // that differs (its hash label is another's, so fields are compared).
        let mut e = Existing::matching(d);
        e.labels
            .insert("fleet.config-hash".into(), "sha256:other".into());
        let world = actual(std::slice::from_ref(&e), IMAGES);
        let why = fleet::plan::drift_reasons(d, &world.containers[0], &world);
        assert_eq!(
            why,
            ["config changed (fleet.config-hash differs)"],
            "{fields}"
        );
    }
}

#[test]
fn states_and_restart_policies_round_trip_docker_words() {
    // docker's state words, then one it may add some day, and none.
    let words = [
        "created",
        "running",
        "paused",
        "restarting",
        "removing",
        "exited",
        "dead",
    ];
    for w in words.into_iter().chain(["hibernating", ""]) {
        assert_eq!(ContainerState::from_docker(w).as_str(), w);
    }
    assert_eq!(
        ContainerState::from_docker("hibernating"),
        ContainerState::Other("hibernating".into())
    );
    let active: Vec<&str> = words
        .into_iter()
        .filter(|w| ContainerState::from_docker(w).is_active())
        .collect();
    assert_eq!(active, ["running", "paused", "restarting"]);
    for r in Restart::ALL {
        assert_eq!(Restart::from_name(r.as_str()), Some(r));
    }
    assert_eq!(Restart::from_name("on-failure:5"), None);
}

/// A healthcheck reaches docker as `--health-*` options (a `CMD` array
/// quoted for the shell, since the CLI takes a shell string only), docker
/// stores it as `CMD-SHELL` with nanoseconds, and the drift comparison
/// reads that back as no change.
#[test]
fn a_healthcheck_maps_to_health_options_and_reads_back_as_no_drift() {
    let cases = [
        (
            r#"{"test":["CMD","pg_isready","-h","a b"],"interval":"1m30s","timeout":"500ms","retries":3,"start_period":"10s"}"#,
            vec![
                "--health-cmd",
                "pg_isready -h 'a b'",
                "--health-interval",
                "90s",
                "--health-timeout",
                "500ms",
                "--health-start-period",
                "10s",
                "--health-retries",
                "3",
            ],
        ),
        (
            r#"{"test":["CMD-SHELL","cat /tmp/ready || exit 1"]}"#,
            vec!["--health-cmd", "cat /tmp/ready || exit 1"],
        ),
        (r#"{"test":["NONE"]}"#, vec!["--no-healthcheck"]),
    ];
    for (h, want) in cases {
        let text = format!(
            r#"{{"project":"p","types":{{"x":{{"image":"agent:latest","healthcheck":{h}}}}}}}"#
        );
        let d = &desired(&text)[0];
        let run = argv::run_cmd(d).args;
        let at = run.iter().position(|a| a == want[0]).unwrap();
        assert_eq!(&run[at..at + want.len()], want.as_slice(), "{h}");
        let mut e = Existing::matching(d);
        e.labels
            .insert("fleet.config-hash".into(), "sha256:other".into());
        let world = actual(std::slice::from_ref(&e), IMAGES);
        let why = fleet::plan::drift_reasons(d, &world.containers[0], &world);
        assert_eq!(why, ["config changed (fleet.config-hash differs)"], "{h}");
        // Without the healthcheck docker held, the change is named.
        e.healthcheck = serde_json::json!({ "Test": ["CMD-SHELL", "other"], "Interval": 1 });
        let world = actual(std::slice::from_ref(&e), IMAGES);
        let why = fleet::plan::drift_reasons(d, &world.containers[0], &world);
        assert!(
            why[0].starts_with("healthcheck test changed"),
            "{h}: {why:?}"
        );
    }
}

#[test]
fn durations_are_go_durations_in_nanoseconds() {
    let ns = |s: &str| spec::Duration::parse(s).map(|d| d.nanos());
    assert_eq!(ns("5s"), Some(5_000_000_000));
    assert_eq!(ns("1m30s"), Some(90_000_000_000));
    assert_eq!(ns("1.5s"), Some(1_500_000_000));
    assert_eq!(ns("250ms"), Some(250_000_000));
    assert_eq!(ns("1h"), Some(3_600_000_000_000));
    for bad in ["", "5", "s", "5 s", "-5s", "5sec", "500us", "1ns"] {
        assert_eq!(ns(bad), None, "{bad:?}");
    }
    assert_eq!(spec::duration_text(90_000_000_000), "90s");
    assert_eq!(spec::duration_text(1_500_000_000), "1500ms");
    assert_eq!(spec::shell_quote("it's"), r"'it'\''s'");
    assert_eq!(spec::shell_quote(""), "''");
}
