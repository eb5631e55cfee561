//! Config parsing: the merge rules on good files, and every file of the
//! bad-input corpus rejected with the file, position or JSON path, and what
//! is allowed (one snapshot of all the messages).

use std::path::Path;

use fleet::config::{Config, Restart};

fn load(path: &str) -> fleet::error::Result<Config> {
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

/// A healthcheck is part of the hash; a spec without one hashes as it did
/// before healthchecks existed (the pin above), so adding the feature
/// recreates nothing.
#[test]
fn a_healthcheck_changes_the_hash_and_its_absence_does_not() {
    let hash = |extra: &str| {
        let text = format!(r#"{{"types":{{"x":{{"image":"a:1"{extra}}}}}}}"#);
        Config::parse(std::path::Path::new("agents.json"), &text)
            .unwrap()
            .types[0]
            .hash
            .clone()
    };
    let none = hash("");
    insta::assert_snapshot!(none, @"sha256:9e3d04ec7e8cc136112066bde27fac051bcedf9b42ada00a181cf6922a89e664");
    let one = hash(r#","healthcheck":{"test":["CMD","true"]}"#);
    let other = hash(r#","healthcheck":{"test":["CMD","true"],"interval":"2s"}"#);
    assert_ne!(none, one);
    assert_ne!(one, other);
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
            Err(e) => fleet::report::error_text(&e, false),
        };
        let err = err.replace(&format!("{}/", env!("CARGO_MANIFEST_DIR")), "");
        assert!(
            err.starts_with(&format!("error: {}", path.display())),
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

#[test]
fn the_marked_line_never_shows_an_env_value() {
    for text in [
        // The error elsewhere on the line.
        r#"{"types":{"coder":{"image":"a","env":{"TOKEN":"s3cret"},"instances":101}}}"#,
        r#"{"defaults":{"env":{"TOKEN":"s3cret"}},"types":{"coder":{"imgae":"a"}}}"#,
        // The error is the value.
        r#"{"types":{"coder":{"image":"a","env":{"TOKEN":"s3cret\n"}}}}"#,
        r#"{"types":{"coder":{"image":"a","env":["s3cret"]}}}"#,
        r#"{"types":{"coder":{"image":"a","run_args":["-e","TOKEN=s3cret"]}}}"#,
        r#"{"types":{"coder":{"image":"a","run_args":["--env=TOKEN=s3cret"]}}}"#,
        // Syntax errors, before and after the value and inside the map.
        r#"{"types":{"coder":{"image":"a","env":{"TOKEN":"s3cret"}},}}"#,
        r#"{"types":{"coder":{"image":"a" "env":{"TOKEN":"s3cret"}}}}"#,
        r#"{"types":{"coder":{"image":"a","env":{"TOKEN":"s3cret" "X":"s3cret"}}}}"#,
        r#"{"types":{"coder":{"image":"a","env":{"TOKEN":"s3cret"#,
        r#"{"types":{"coder":{"image":"a"}}} {"env":{"TOKEN":"s3cret"}}"#,
        "{\"types\":{\"coder\":{\"image\":\"a\",\"env\":{\"TOKEN\":\"s3cret\r\n\"}}}}",
        "{\"types\":{\"coder\":{\"image\":\"a\",\"env\":{\"TOKEN\":\"s3cret\\\n\"}}}}",
    ] {
        let e = Config::parse(Path::new("agents.json"), text).unwrap_err();
        assert!(e.snippet().is_some(), "{text}: {e}");
        let shown = fleet::report::error_text(&e, false);
        assert!(!shown.contains("s3cret"), "{text}:\n{shown}");
        assert!(shown.contains("\"<hidden>\""), "{text}:\n{shown}");
    }
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

/// A one-type config whose `coder` type has `field` set to `value` (JSON).
fn with(field: &str, value: serde_json::Value) -> String {
    serde_json::json!({ "types": { "coder": { "image": "agent:latest", field: value } } })
        .to_string()
}

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

// ---- image references: docker's grammar (checked against the docker 20.10
// ---- and 28 CLIs, which parse references before they reach the engine)

#[test]
fn image_references_docker_accepts_pass() {
    let hex = "0123456789abcdef".repeat(4);
    for image in [
        "claude-agent:latest".to_string(),
        "busybox".into(),
        "library/busybox".into(),
        "docker.io/library/busybox:1.36".into(),
        "localhost/agent".into(),
        "localhost:5000/team/agent:v1".into(),
        "Registry.Example.com/agent".into(),
        "1.2.3.4:5000/agent".into(),
        format!("registry.example.com:443/team/agent@sha256:{hex}"),
        format!("agent:v1@sha256:{hex}"),
        format!("agent@sha512:{hex}{hex}"),
        "a__b/c---d/e.f_g".into(),
        "agent:_v-1.0".into(),
        format!("agent:{}", "v".repeat(128)),
        // An image ID, which docker run accepts too.
        format!("sha256:{hex}"),
        hex.clone(),
        // 255 characters once docker adds `docker.io/library/`.
        "a".repeat(237),
        // A bare name with a port-like tag.
        "localhost:5000".into(),
    ] {
        if let Err(e) = Config::parse(Path::new("a.json"), &with("image", image.clone().into())) {
            panic!("{image} refused: {e:#}");
        }
    }
}

#[test]
fn image_references_docker_refuses_say_why() {
    let hex = "0123456789abcdef".repeat(4);
    for (image, why) in [
        (
            "Fleet-Demo:busybox".to_string(),
            "repository names must be lowercase",
        ),
        (
            "Registry/agent".into(),
            "`Registry` is not taken as a registry",
        ),
        (
            "localhost/Agent".into(),
            "repository names must be lowercase",
        ),
        (
            "--rm".into(),
            "it starts with `-`, so docker would read it as an option",
        ),
        (
            format!("agent:{}", "v".repeat(129)),
            "the tag is 129 characters long; the limit is 128",
        ),
        (
            format!("@sha256:{hex}"),
            "a digest alone is not a reference",
        ),
        (
            "[::1]:5000/agent".into(),
            "IPv6 registry addresses are refused",
        ),
        (
            "agent@sha256:abc".into(),
            "the sha256 digest has 3 hex digits, not 64",
        ),
        (
            format!("agent@sha256:{}", hex.to_uppercase()),
            "the sha256 digest is not lowercase hex",
        ),
        (
            format!("agent@md5:{}", &hex[..32]),
            "unsupported digest algorithm `md5`",
        ),
        ("a___b".into(), "`___` in `a___b` is not a separator"),
        ("a._b".into(), "`._` in `a._b` is not a separator"),
        (
            "agent-".into(),
            "must start and end with a lowercase letter or a digit",
        ),
        ("agent:.v1".into(), "the tag `.v1` starts with `.`"),
        ("agent:".into(), "the tag after `:` is empty"),
        (":v1".into(), "there is no repository name before `:`"),
        ("agent/".into(), "an empty component"),
        (
            "host:port/agent".into(),
            "the registry port `port` in `host:port` is not a number",
        ),
        (
            "ho_st.io/agent".into(),
            "the registry host `ho_st.io` is not a host name",
        ),
        ("a:b:c".into(), "`:` is not allowed in a repository name"),
        ("claude agent".into(), "the character ' '"),
        ("café".into(), "`é` is not allowed in a repository name"),
        (
            "a".repeat(238),
            "the repository name is 256 characters long as docker counts it",
        ),
        (
            format!("index.docker.io/{}", "a".repeat(238)),
            "256 characters long",
        ),
        (format!("reg.io/{}", "a".repeat(249)), "256 characters long"),
    ] {
        let err = rejected(&with("image", image.clone().into()));
        assert!(
            err.contains(&format!(
                "types.coder.image: invalid image reference `{image}`: "
            )),
            "{image}: {err}"
        );
        assert!(err.contains(why), "{image}: expected {why:?} in {err}");
    }
    // defaults.image goes through the same check.
    let err = rejected(r#"{ "defaults": { "image": "Agent" }, "types": { "coder": {} } }"#);
    assert!(
        err.contains("defaults.image: invalid image reference `Agent`"),
        "{err}"
    );
}

// ---- run_args: every spelling docker's option parser accepts

fn run_args(args: &[&str]) -> Result<Config, String> {
    Config::parse(
        Path::new("agents.json"),
        &with("run_args", serde_json::json!(args)),
    )
    .map_err(|e| format!("{e:#}"))
}

#[test]
fn run_args_docker_create_accepts_pass() {
    for args in [
        &["--gpus", "all"][..],
        &["--gpus=all"],
        &["-it"],
        &["-ti", "--init=false"],
        &["--label", "team=x"],
        &["--label=team=x"],
        &["-l", "team=x"],
        &["-lteam=x"],
        &["-l=team=x"],
        &["-itlteam=x"],
        &["--label", "fleetx=1"],
        &["--label", "team.fleet.x=1"],
        &["--restart", "on-failure:5"],
        &["-p", "8080:80", "-P"],
        &["--network=host"],
        &["--net", "host"],
        &["-v", "/a:/b", "--mount", "type=tmpfs,dst=/t"],
        &["-h", "agent", "-u", "0", "-w", "/w", "-m", "1g", "-c5"],
        &["-ith", "agent"],
        &["--privileged", "--read-only=true", "-q", "-t=false"],
        &["--use-api-socket", "--cap-add", "--label"],
        &[],
    ] {
        if let Err(e) = run_args(args) {
            panic!("{args:?} refused: {e}");
        }
    }
}

#[test]
fn run_args_are_refused_in_every_spelling() {
    let cases: &[(&[&str], &str)] = &[
        // fleet.* labels: any spelling docker reads as a label.
        (
            &["--label", "fleet.project=other"],
            "run_args[1]: `--label` sets `fleet.project`, but the `fleet.` prefix is reserved",
        ),
        (
            &["--label=fleet.x=1"],
            "run_args[0]: `--label` sets `fleet.x`",
        ),
        (
            &["--label", "fleet.project"],
            "`--label` sets `fleet.project`",
        ),
        (&["--label", " fleet.type=x"], "`--label` sets `fleet.type`"),
        (
            &["-l", "fleet.type=x"],
            "run_args[1]: `-l` (`--label`) sets `fleet.type`",
        ),
        (
            &["-lfleet.type=x"],
            "run_args[0]: `-l` (`--label`) sets `fleet.type`",
        ),
        (&["-l=fleet.type=x"], "`-l` (`--label`) sets `fleet.type`"),
        (&["-itlfleet.type=x"], "`-l` (`--label`) sets `fleet.type`"),
        (
            &["-it", "-l", "fleet.instance=9"],
            "run_args[2]: `-l` (`--label`) sets `fleet.instance`",
        ),
        (
            &["--label-file", "/etc/labels"],
            "`--label-file` is not allowed in run_args: fleet cannot check a file's labels",
        ),
        (
            &["--label-file=/etc/labels"],
            "`--label-file` is not allowed",
        ),
        (&["--label="], "the key is empty"),
        (&["-l="], "the key is empty"),
        // What only `docker run` knows, or what `docker run -d` refuses.
        (&["-d"], "`-d` (`--detach`) is not allowed in run_args"),
        (&["--detach"], "`--detach` is not allowed in run_args"),
        (&["--detach=false"], "`--detach` is not allowed"),
        (&["-dit"], "`-d` (`--detach`) is not allowed"),
        (&["-itd"], "`-d` (`--detach`) is not allowed"),
        (&["-d=true"], "`-d` (`--detach`) is not allowed"),
        (
            &["--detach-keys", "ctrl-x"],
            "`--detach-keys` is not allowed in run_args: `docker create`, which makes the replacement on every recreate, does not accept it",
        ),
        (&["--detach-keys=ctrl-x"], "`--detach-keys` is not allowed"),
        (&["--sig-proxy"], "`--sig-proxy` is not allowed"),
        (&["--sig-proxy=false"], "`--sig-proxy` is not allowed"),
        (
            &["-a", "stdout"],
            "`-a` (`--attach`) is not allowed in run_args: `docker run -d`",
        ),
        (&["--attach=stdout"], "`--attach` is not allowed"),
        (&["-ia", "stdout"], "`-a` (`--attach`) is not allowed"),
        (&["--rm"], "`--rm` is not allowed in run_args"),
        (&["--rm=false"], "`--rm` is not allowed"),
        (&["--name", "x"], "`--name` is not allowed in run_args"),
        (&["--name=x"], "`--name` is not allowed"),
        (
            &["--cidfile", "/tmp/cid"],
            "`--cidfile` is not allowed in run_args: docker refuses to create a container while that file exists",
        ),
        (&["--help"], "`--help` is not allowed"),
        // env: values must stay off the command line.
        (
            &["--env", "A=1"],
            "`--env` is not allowed in run_args: env values go in `env`",
        ),
        (&["--env=A=1"], "`--env` is not allowed"),
        (&["-e", "A=1"], "`-e` (`--env`) is not allowed"),
        (&["-eA=1"], "`-e` (`--env`) is not allowed"),
        (&["-e=A=1"], "`-e` (`--env`) is not allowed"),
        (&["-ite", "A=1"], "`-e` (`--env`) is not allowed"),
        (
            &["--env-file", "/run/secrets/env"],
            "`--env-file` is not allowed",
        ),
        (
            &["--env-file=/run/secrets/env"],
            "`--env-file` is not allowed",
        ),
        // What docker would take as the image.
        (
            &["--gpus", "all", "extra"],
            "run_args[2]: `extra` is not an option: docker would take it as the image",
        ),
        (&["--"], "`--` ends docker's options"),
        (&["-"], "`-` is not an option"),
        (
            &["--privileged", "--gpus"],
            "types.coder.run_args: `--gpus` needs a value, but it ends run_args",
        ),
        (
            &["-l"],
            "`-l` (`--label`) needs a value, but it ends run_args",
        ),
        (&["-it", "-u"], "`-u` (`--user`) needs a value"),
        // What docker does not know.
        (
            &["--gpu", "all"],
            "`--gpu` is not an option of `docker create`",
        ),
        (
            &["--Label=x"],
            "`--Label` is not an option of `docker create`",
        ),
        (&["--label_file=x"], "`--label_file` is not an option"),
        (&["-x"], "`-x` is not an option of `docker create`"),
        (&["-itx"], "`-x` is not an option of `docker create`"),
        (&["---x"], "`---x` is not option syntax docker accepts"),
        (&["--=x"], "is not option syntax docker accepts"),
        (&["--init=yes"], "`--init` is true or false, not `yes`"),
        (&["-t=yes"], "`-t` (`--tty`) is true or false, not `yes`"),
        (
            &["--gpus", "all\0"],
            "run_args[1]: the argument contains a NUL character",
        ),
    ];
    for (args, want) in cases {
        let err = run_args(args)
            .err()
            .unwrap_or_else(|| panic!("{args:?} accepted"));
        assert!(err.contains("types.coder.run_args"), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected {want:?} in\n{err}");
    }
    // The value of a refused option is never quoted (it may be a secret).
    for args in [
        &["-e", "TOKEN=hunter2"][..],
        &["--env=TOKEN=hunter2"],
        &["-eTOKEN=hunter2"],
    ] {
        let err = run_args(args).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}

// ---- env values: what docker's env-file reader carries exactly

#[test]
fn env_values_must_fit_one_env_file_line() {
    let env = |key: &str, value: &str| {
        Config::parse(
            Path::new("agents.json"),
            &with("env", serde_json::json!({ key: value })),
        )
        .map_err(|e| format!("{e:#}"))
    };
    let max = fleet::spec::ENV_FILE_MAX_LINE;
    assert_eq!(max, 65535);
    // `K=` + value: exactly the limit passes, one byte more does not.
    let c = env("K", &"v".repeat(max - 2)).unwrap();
    assert_eq!(c.types[0].spec.env["K"].len(), max - 2);
    let err = env("K", &"v".repeat(max - 1)).unwrap_err();
    assert!(
        err.contains("types.coder.env.K: `K=<value>` is 65536 bytes long; docker's env-file reader takes at most 65535 bytes a line (the value is not shown)"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(!err.contains("vvvv"));
    // Bytes, not characters: é is two.
    assert!(env("K", &"é".repeat((max - 2) / 2)).is_ok());
    assert!(env("K", &"é".repeat((max - 2) / 2 + 1)).is_err());
    // A longer key leaves less room for the value.
    assert!(env("LONG_KEY", &"v".repeat(max - 9)).is_ok());
    assert!(env("LONG_KEY", &"v".repeat(max - 8)).is_err());

    for (value, why) in [
        ("hunter2\nsecond", "the value contains a line break"),
        ("hunter2\n", "the value contains a line break"),
        ("hunter2\0", "the value contains a NUL character"),
        ("hunter2\r", "the value ends with a carriage return"),
    ] {
        let err = env("TOKEN", value).unwrap_err();
        assert!(
            err.contains(&format!("types.coder.env.TOKEN: {why}")),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "the value leaked: {err}");
    }
    // A carriage return inside a value, and an empty value, are carried.
    env("TOKEN", "a\rb").unwrap();
    env("TOKEN", "").unwrap();
    // defaults.env is checked where it is written.
    let err = Config::parse(
        Path::new("agents.json"),
        r#"{ "defaults": { "env": { "PEM": "a\nb" } }, "types": { "coder": { "image": "a" } } }"#,
    )
    .unwrap_err();
    assert!(
        format!("{err:#}")
            .contains("agents.json:1:38: defaults.env.PEM: the value contains a line break"),
        "{err:#}"
    );
}

#[test]
fn nul_is_refused_wherever_it_would_reach_docker_argv() {
    for (field, value, path) in [
        (
            "command",
            serde_json::json!(["sleep", "a\0"]),
            "types.coder.command[1]",
        ),
        (
            "entrypoint",
            serde_json::json!(["a\0"]),
            "types.coder.entrypoint[0]",
        ),
        (
            "labels",
            serde_json::json!({ "team": "a\0" }),
            "types.coder.labels.team",
        ),
        ("workdir", serde_json::json!("/w\0"), "types.coder.workdir"),
        ("user", serde_json::json!("a\0"), "types.coder.user"),
        ("network", serde_json::json!("a\0"), "types.coder.network"),
        (
            "mounts",
            serde_json::json!(["/a\0:/b"]),
            "types.coder.mounts[0]",
        ),
    ] {
        let err = rejected(&with(field, value));
        assert!(err.contains(&format!("{path}: ")), "{field}: {err}");
        assert!(err.contains("NUL"), "{field}: {err}");
    }
}

mod no_panics {
    use std::path::Path;

    use fleet::config::Config;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_image(image in "[a-zA-Z0-9._/:@\\[\\]-]{0,80}|\\PC{0,40}") {
            let _ = Config::parse(Path::new("a.json"), &super::with("image", image.into()));
        }

        #[test]
        fn any_run_args(args in proptest::collection::vec("-{0,2}[a-zA-Z=. -]{0,12}|\\PC{0,8}", 0..6)) {
            let _ = Config::parse(Path::new("a.json"), &super::with("run_args", serde_json::json!(args)));
        }

        #[test]
        fn any_bytes_as_a_file(bytes in proptest::collection::vec(any::<u8>(), 0..200), bom in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("agents.json");
            let mut all = if bom { vec![0xef, 0xbb, 0xbf] } else { Vec::new() };
            all.extend(bytes);
            std::fs::write(&path, all).unwrap();
            if let Err(e) = Config::load(&path) {
                fleet::report::error_text(&e, false);
            }
        }
    }
}

#[test]
fn the_hosts_example_places_each_instance() {
    let c = load("fixtures/configs/good/hosts.json").unwrap();
    let names: Vec<&str> = c.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["build", "gpu-1", "gpu-2", "local"]);
    let placed: Vec<(String, String)> = c
        .desired()
        .into_iter()
        .map(|d| (d.name, d.host.unwrap()))
        .collect();
    let p = |n: &str, h: &str| (n.to_string(), h.to_string());
    assert_eq!(
        placed,
        [
            p("coder-default", "gpu-1"),
            p("coder-2", "gpu-2"),
            p("coder-3", "gpu-1"),
            p("coder-4", "gpu-2"),
            p("reviewer-default", "local"),
        ]
    );
    // Declaring hosts changes no container's hash.
    let mut plain: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/fixtures/configs/good/hosts.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    plain.as_object_mut().unwrap().remove("hosts");
    plain["defaults"].as_object_mut().unwrap().remove("hosts");
    plain["types"]["coder"]
        .as_object_mut()
        .unwrap()
        .remove("hosts");
    let plain =
        fleet::config::Config::parse(std::path::Path::new("x.json"), &plain.to_string()).unwrap();
    assert_eq!(plain.types[0].hash, c.types[0].hash);
}

// ---- hosts: docker_host read by the runs' own parser; passwords never shown

/// What `check` says about a one-host config whose host is `host` (JSON).
fn host_refused(host: &str) -> fleet::error::Error {
    let text = format!(r#"{{"hosts": {{"h1": {host}}}, "types": {{"x": {{"image": "a:1"}}}}}}"#);
    match Config::parse(Path::new("agents.json"), &text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e,
    }
}

/// Each URL every run would refuse at connection time is refused by
/// `check`, at the value, with what is wrong and what to write.
#[test]
fn check_refuses_the_docker_hosts_a_run_would_refuse() {
    for (url, col, why) in [
        (
            "ssh://-oProxyCommand=x",
            34,
            "the host name `-oProxyCommand=x` starts with `-`",
        ),
        ("ssh://u@-h", 34, "the host name `-h` starts with `-`"),
        ("ssh://[::1", 34, "is not closed with `]`"),
        ("ssh://h:22:22", 34, "the host name `h:22` holds `:`"),
        ("tcp://h:99999", 34, "the port `99999` is not a port number"),
        ("tcp://h:0", 34, "the port `0` is not a port number"),
        ("tcp://:2376", 34, "the tcp URL names no host"),
        ("tcp://ops@h:2376", 34, "a tcp URL names no user"),
        ("tcp://h:2376?x=1", 34, "no query or fragment"),
        ("unix://docker.sock", 34, "absolute socket path"),
    ] {
        let e = host_refused(&format!(r#"{{"docker_host": "{url}"}}"#));
        let text = fleet::report::error_text(&e, false);
        let head = format!(
            "error: agents.json:1:{}: hosts.h1.docker_host: invalid docker_host `{url}`: ",
            col + url.len() + 2
        );
        assert!(text.starts_with(&head), "{url}: {text}");
        assert!(text.contains(why), "{url}: {text}");
        assert!(text.contains("\nhelp: write it as "), "{url}: {text}");
        // The run's parser says the same.
        assert!(fleet::ssh::parse_docker_host(url).is_err(), "{url}");
    }
    for url in [
        "ssh://ops@gpu-1:2222/run/docker.sock",
        "ssh://ops@[fd00::7]",
        "tcp://gpu-1",
        "tcp://10.0.0.7:2376",
        "tcp://[::1]:2376",
        "unix:///var/run/docker.sock",
    ] {
        let text = format!(
            r#"{{"hosts": {{"h1": {{"docker_host": "{url}"}}}}, "types": {{"x": {{"image": "a:1"}}}}}}"#
        );
        Config::parse(Path::new("agents.json"), &text).unwrap();
    }
}

/// A password is never printed: not in the message, not on the marked
/// line, wherever under `hosts` it is.
#[test]
fn a_hosts_password_is_never_shown() {
    for host in [
        r#"{"docker_host": "ssh://u:s3cret@h"}"#,
        r#"{"docker_host": "tcp://u:s3cret@h:2376"}"#,
        r#"{"docker_host": "ssh://u:s3cret@h "}"#,
        r#"{"docker_host": ["ssh://u:s3cret@h"]}"#,
        r#"{"docker_host": {"url": "ssh://u:s3cret@h"}}"#,
        r#"{"context": "ssh://u:s3cret@h"}"#,
        r#"{"context": "ops:s3cret@gpu-1"}"#,
        r#"{"context": ["ops:s3cret@gpu-1"]}"#,
        r#""ssh://ops:s3cret@gpu-1""#,
        r#""ops:s3cret@gpu-1""#,
    ] {
        let e = host_refused(host);
        let shown = fleet::report::error_text(&e, false);
        assert!(!shown.contains("s3cret"), "{host}:\n{shown}");
        let style = fleet::report::Style {
            json: true,
            ..Default::default()
        };
        let out = fleet::report::error(&e, &style);
        assert!(!out.stdout.contains("s3cret"), "{host}:\n{}", out.stdout);
        assert!(!format!("{e:?}").contains("s3cret"), "{host}:\n{e:?}");
    }
}

/// The swarm example of DESIGN.md: its manager a declared host, a type
/// without `hosts` Swarm's to place (no host), one pinned, constraints
/// kept as written and out of the hash (as `hosts`).
#[test]
fn the_swarm_example_is_checked_as_designed() {
    let c = load("fixtures/configs/good/swarm.json").unwrap();
    assert_eq!(c.swarm.as_ref().unwrap().manager, "m1");
    let t = |n: &str| c.types.iter().find(|t| t.name == n).unwrap();
    assert!(t("coder").hosts.is_empty(), "unpinned: Swarm places it");
    assert_eq!(t("reviewer").hosts, ["w2"]);
    assert_eq!(
        t("gpu").constraints,
        ["node.labels.gpu==true", "node.role != manager"]
    );
    let mut plain: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/configs/good/swarm.json"),
        )
        .unwrap(),
    )
    .unwrap();
    plain["types"]["gpu"]
        .as_object_mut()
        .unwrap()
        .remove("constraints");
    let plain = Config::parse(Path::new("x.json"), &plain.to_string()).unwrap();
    let gpu = plain.types.iter().find(|t| t.name == "gpu").unwrap();
    assert_eq!(gpu.hash, t("gpu").hash, "constraints are not in the hash");
}

/// Swarm's constraint grammar, both ways: what it takes and places by is
/// accepted; what it refuses, or takes and never places by, is refused.
#[test]
fn constraints_are_read_by_swarms_grammar() {
    let with = |c: &str| {
        let text = serde_json::json!({
            "hosts": { "m1": {} }, "swarm": { "manager": "m1" },
            "types": { "a": { "image": "a:1", "constraints": [c] } }
        });
        Config::parse(Path::new("x.json"), &text.to_string())
    };
    for ok in [
        "node.labels.gpu==true",
        " node.role != manager ",
        "NODE.HOSTNAME==w1",
        "node.hostname==worker-2.example.com",
        "engine.labels.os==ubuntu 22.04",
        "node.id==2ivku8v2gvtg4",
        "node.platform.arch!=aarch64",
        "node.labels.zone==eu/west-1",
    ] {
        assert!(with(ok).is_ok(), "{ok}: {:?}", with(ok).err());
    }
    for (bad, why) in [
        ("node.labels.gpu=true", "no operator"),
        ("node.labels.==x", "Swarm places by"),
        ("a!=b==c", "is not one Swarm reads"),
        ("node.role==leader", "`manager` or `worker`"),
        ("node.labels.gpu==", "is not one Swarm takes"),
        ("==x", "is not one Swarm reads"),
        ("node.hostname==a=b", "is not one Swarm takes"),
        ("node.name==w1", "Swarm places by"),
        ("node.hostname==w1;rm -rf", "is not one Swarm takes"),
    ] {
        let e = with(bad).expect_err(bad);
        let text = fleet::report::error_text(&e, false);
        assert!(text.contains(why), "{bad}: {text}");
    }
}

/// Every command but `check` refuses a swarm config, naming it, before
/// any docker call: fleet must not take a swarm's hosts for plain engines.
#[test]
fn the_commands_that_do_not_drive_a_swarm_refuse_its_config_before_any_docker_call() {
    use crate::harness::{World, check};
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/configs/good/swarm.json"),
    )
    .unwrap();
    let r = check(&["hosts"], World::new(&text));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("runs on a swarm (swarm.manager: `m1`)"),
        "{}",
        r.stderr
    );
    assert!(r.calls.is_empty(), "{r:?}");
    let r = check(&["exec", "coder", "--", "true"], World::new(&text));
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.calls.is_empty(), "{r:?}");
    // A swarm has one lock, in the swarm: no host to name.
    let r = check(&["unlock", "--host", "m1"], World::new(&text));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.calls.is_empty(), "{r:?}");
    let r = check(&["check"], World::new(&text));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("on the swarm managed by `m1`"), "{r:?}");
}
