//! `docker inspect` parsing against output captured from a real engine
//! (fixtures/inspect, captured by fixtures/capture.sh; the engine version is
//! in fixtures/inspect/ENGINE_VERSION), and malformed documents.

use fleet::snapshot::{ContainerSnapshot, parse_inspect, read_inspect};
use fleet::spec::ContainerState;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/inspect/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn one(name: &str) -> ContainerSnapshot {
    let mut v = parse_inspect(&fixture(name)).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

#[test]
fn running() {
    let s = one("running.json");
    assert_eq!(s.name, "fixture-capture-running");
    assert_eq!(s.id.len(), 64);
    assert!(s.image_id.starts_with("sha256:"));
    assert_eq!(s.image_ref, "fleet-demo:busybox");
    assert_eq!(s.project(), Some("fixture"));
    assert_eq!(s.type_name(), Some("coder"));
    assert_eq!(s.instance(), Some(1));
    assert_eq!(s.config_hash(), Some("sha256:0000"));
    assert!(s.state.running && !s.state.paused && s.is_up());
    assert_eq!(s.state.status, ContainerState::Running);
    assert_eq!(s.state_word(), "running");
    assert!(s.exec_ids.is_empty());
    assert_eq!(
        s.command.as_deref(),
        Some(&["sleep".to_string(), "infinity".to_string()][..])
    );
    // The env value is in the document; the snapshot keeps only a digest.
    assert!(fixture("running.json").contains("SECRET_TOKEN=x"));
    assert!(s.env_digests.contains_key("SECRET_TOKEN"));
    assert!(!format!("{s:?}").contains("SECRET_TOKEN=x"));
}

#[test]
fn exited_137() {
    let s = one("exited.json");
    assert!(!s.state.running && !s.is_up());
    assert_eq!(
        (&s.state.status, s.state.exit_code),
        (&ContainerState::Exited, 137)
    );
    assert_eq!(s.state_word(), "exited 137");
}

#[test]
fn created_never_started() {
    let s = one("created.json");
    assert!(!s.state.running);
    assert_eq!(s.state.status, ContainerState::Created);
    assert_eq!(s.state_word(), "created, never started");
}

#[test]
fn paused_counts_as_running_but_not_up() {
    let s = one("paused.json");
    assert!(s.state.running && s.state.paused && !s.is_up());
    assert_eq!(s.state_word(), "paused");
}

#[test]
fn live_exec_sessions() {
    let s = one("exec.json");
    assert_eq!(s.exec_ids.len(), 2);
    assert!(s.is_up());
}

#[test]
fn a_batch_keeps_every_container() {
    let v = parse_inspect(&fixture("batch.json")).unwrap();
    let names: Vec<&str> = v.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 5);
    assert!(names.contains(&"fixture-capture-exec"));
}

#[test]
fn unknown_fields_are_ignored_and_optional_ones_may_be_missing() {
    let v = parse_inspect(r#"[{"Id":"abc","Name":"/x","State":{"Status":"exited","Running":false,"Future":1},"Extra":{}}]"#).unwrap();
    assert_eq!(v[0].name, "x");
    assert!(v[0].labels.is_empty() && v[0].exec_ids.is_empty());
    assert_eq!(v[0].state_word(), "exited 0");
    assert!(parse_inspect("[]").unwrap().is_empty());
}

#[test]
fn malformed_documents_are_errors_not_panics() {
    let cases = [
        ("", "could not parse `docker inspect` output"),
        ("not json", "could not parse"),
        ("{}", "expected a JSON array, got an object"),
        ("[1]", "element 0: expected an object, got a number"),
        (r#"[{"Name":"/x","State":{}}]"#, "element 0: missing `Id`"),
        (
            r#"[{"Id":"","Name":"/x","State":{}}]"#,
            "`Id` should be a non-empty string",
        ),
        (
            r#"[{"Id":"a","Name":7,"State":{}}]"#,
            "`Name` should be a non-empty string, got a number",
        ),
        (r#"[{"Id":"a","Name":"/x"}]"#, "`x`: missing object `State`"),
        (
            r#"[{"Id":"a","Name":"/x","State":"running"}]"#,
            "missing object `State`",
        ),
        (r#"[{"Id":"a","Name":"/x","State":{}}, 5]"#, "element 1"),
        // docker never prints a key twice; which one to believe is a guess.
        (
            r#"[{"Id":"a","Name":"/x","State":{"Running":false,"Running":true}}]"#,
            "duplicate field `Running`",
        ),
    ];
    for (doc, want) in cases {
        let err = format!("{:#}", parse_inspect(doc).unwrap_err());
        assert!(
            err.contains(want),
            "for {doc:?}: got `{err}`, wanted `{want}`"
        );
        // Read from a pipe, the same verdict (but for "": no output at
        // all is no container, which the caller judges by docker's exit).
        if !doc.is_empty() {
            let err = format!("{:#}", read_inspect(&mut doc.as_bytes()).unwrap_err());
            assert!(
                err.contains(want),
                "read, for {doc:?}: got `{err}`, wanted `{want}`"
            );
        }
    }
    for doc in ["[] x", "[]]", "[{\"Id\":\"a\""] {
        assert!(parse_inspect(doc).is_err(), "{doc}");
        assert!(read_inspect(&mut doc.as_bytes()).is_err(), "{doc}");
    }
}

/// The batched inspect is read from docker's pipe as it comes
/// (`read_inspect`, never the whole text): every capture reads as
/// `parse_inspect` reads it, in small pieces too.
#[test]
fn read_from_a_pipe_as_it_comes_is_read_the_same() {
    /// A reader that gives at most 7 bytes a call, as a pipe may.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    for name in [
        "batch.json",
        "created.json",
        "exec.json",
        "exited.json",
        "healthy.json",
        "paused.json",
        "running.json",
    ] {
        let text = fixture(name);
        let want = parse_inspect(&text).unwrap();
        assert_eq!(read_inspect(&mut text.as_bytes()).unwrap(), want, "{name}");
        let piece = read_inspect(&mut Trickle(text.as_bytes())).unwrap();
        assert_eq!(piece, want, "{name}, 7 bytes at a time");
    }
    assert_eq!(read_inspect(&mut " \n\t".as_bytes()).unwrap(), Vec::new());
    assert_eq!(read_inspect(&mut "".as_bytes()).unwrap(), Vec::new());
}

/// The real runner hands docker's stdout over as it comes, with the exit
/// status and stderr, and keeps none of it (`sh` stands in for docker).
#[test]
fn the_real_runner_streams_stdout_and_keeps_the_status_and_stderr() {
    use fleet::docker::{Cmd, Runner, real::DuctRunner};
    let sh = DuctRunner {
        program: "sh".into(),
        timeout: std::time::Duration::from_secs(20),
    };
    let doc = fixture("batch.json");
    let want = parse_inspect(&doc).unwrap();
    let script = format!("cat <<'EOF'\n{doc}\nEOF\necho gone >&2; exit 3");
    let mut got = None;
    let out = sh
        .run_reading(&Cmd::new(["-c", script.as_str()]), &mut |r| {
            got = Some(read_inspect(r))
        })
        .unwrap();
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(3), "", "gone\n")
    );
    assert_eq!(got.unwrap().unwrap(), want);
    // Output left unread is drained: a reader that stops early does not
    // leave docker blocked on a full pipe.
    let big = Cmd::new(["-c", "head -c 3000000 /dev/zero; exit 0"]);
    let out = sh.run_reading(&big, &mut |_| {}).unwrap();
    assert_eq!(out.code, Some(0));
    // The timeout kills it, and says so.
    let slow = DuctRunner {
        timeout: std::time::Duration::from_millis(300),
        ..sh
    };
    let err = slow
        .run_reading(&Cmd::new(["-c", "echo '['; sleep 30"]), &mut |r| {
            let _ = read_inspect(r);
        })
        .unwrap_err();
    assert!(
        matches!(err, fleet::docker::DockerError::Timeout { .. }),
        "{err:?}"
    );
}

#[test]
fn a_field_of_another_type_counts_as_missing_and_running_only_as_true() {
    let doc = r#"[{"Id":"abc","Name":"/x","Image":7,
        "State":{"Status":5,"Running":"true","Paused":1,"Restarting":null,"Dead":"yes","ExitCode":1.5},
        "ExecIDs":"e1",
        "Config":{"Image":["a"],"Labels":{"fleet.project":"p","fleet.instance":2,"k":{"deep":[1,{"x":null}]}},
                  "Env":["A=1",2],"Cmd":["sleep",3],"Entrypoint":"sh","WorkingDir":{},"User":false},
        "HostConfig":{"Binds":null,"RestartPolicy":"always","NetworkMode":1,"Memory":"4g",
                      "NanoCpus":1e9,"Init":"true","Future":{"a":[[[]]]}}}]"#;
    let s = parse_inspect(doc).unwrap().remove(0);
    assert!(!s.state.running && !s.state.paused && !s.state.restarting && !s.state.dead);
    assert!(!s.is_up());
    assert_eq!(s.state.status, ContainerState::Other(String::new()));
    assert_eq!(s.state.exit_code, 0);
    assert_eq!(s.image_id, "");
    assert_eq!(s.image_ref, "");
    assert_eq!(s.project(), Some("p"));
    assert_eq!(s.labels.len(), 1, "{:?}", s.labels);
    assert!(s.env_digests.is_empty());
    // A lone string entrypoint is podman 4's way of printing one program.
    assert_eq!(
        (s.command, s.entrypoint),
        (None, Some(vec!["sh".to_string()]))
    );
    assert!(s.exec_ids.is_empty() && s.binds.is_empty());
    assert_eq!((s.workdir.as_str(), s.user.as_str()), ("", ""));
    assert_eq!((s.restart.as_str(), s.network.as_str()), ("", ""));
    assert_eq!((s.memory, s.nano_cpus, s.init), (0, 0, false));
    // Objects of another type are missing too, not errors.
    let v = parse_inspect(r#"[{"Id":"a","Name":"/x","State":{},"Config":[1],"HostConfig":"no"}]"#);
    assert!(v.unwrap()[0].labels.is_empty());
}

#[test]
fn env_is_held_as_digests_of_each_value() {
    let doc = r#"[{"Id":"a","Name":"/x","State":{},
        "Config":{"Env":["TOKEN=s3cr3t\u00e9","EMPTY=","BARE","EQ=a=b"]}}]"#;
    let s = parse_inspect(doc).unwrap().remove(0);
    let keys: Vec<&str> = s.env_digests.keys().map(String::as_str).collect();
    assert_eq!(keys, ["BARE", "EMPTY", "EQ", "TOKEN"]);
    assert_eq!(
        s.env_digests["TOKEN"],
        fleet::snapshot::env_digest("s3cr3té")
    );
    assert_eq!(s.env_digests["EQ"], fleet::snapshot::env_digest("a=b"));
    assert_eq!(s.env_digests["BARE"], "");
    assert!(!format!("{s:?}").contains("s3cr3t"));
}

#[test]
fn a_syntax_error_after_a_bad_element_is_still_a_syntax_error() {
    let err = format!("{:#}", parse_inspect(r#"[5, {"Id":"#).unwrap_err());
    assert!(err.contains("EOF while parsing"), "{err}");
    assert!(err.contains("help:"), "{err}");
    let err = format!(
        "{:#}",
        parse_inspect(r#"[{"Id":"a","Name":"/x","State":{}}] x"#).unwrap_err()
    );
    assert!(err.contains("trailing characters"), "{err}");
}

/// A container with a 1 s healthcheck and a `docker exec` session,
/// captured by hand on the tests' engine (docker 20.10.24): the
/// healthcheck as docker stores it (`CMD-SHELL`, nanoseconds) and the
/// health it reports.
#[test]
fn healthy() {
    let s = one("healthy.json");
    let h = s.healthcheck.clone().unwrap();
    assert_eq!(h.test, ["CMD-SHELL", "cat /etc/hostname"]);
    assert_eq!(
        (h.interval, h.timeout, h.retries),
        (1_000_000_000, 2_000_000_000, 3)
    );
    let health = s.state.health.clone().unwrap();
    assert_eq!(health.status, fleet::spec::HealthStatus::Healthy);
    assert_eq!(health.last_exit, 0);
    assert_eq!(health.last_output, s.id[..12]);
    // Without a healthcheck there is no health.
    assert_eq!(one("running.json").state.health, None);
}
