//! The CLI as a user and a script see it: generated files in sync with the
//! code, help text with an example for every command, colour rules, the
//! JSON documents of every command (errors included), the environment as a
//! value, and the validation of flag and variable values.

use std::time::Duration;

use clap::CommandFactory;
use fleet::Env;
use fleet::cli::Cli;
use fleet::docker::Output;
use fleet::docker::argv;

use crate::harness::*;
use crate::support::*;

/// `fleet <args>` with no config file, no docker and an environment that
/// is empty but for `NO_COLOR=1`.
fn plain(args: &[&str]) -> Ran {
    check(args, World::bare().var("NO_COLOR", "1"))
}

fn checked_in(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn generated_files_match_the_code() {
    let mut stale = Vec::new();
    let mut compare = |path: &str, args: &[&str]| {
        let r = plain(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        if checked_in(path) != r.stdout {
            stale.push(path.to_string());
        }
    };
    compare("schema/agents.schema.json", &["schema"]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        compare(
            &format!("completions/fleet.{shell}"),
            &["completions", shell],
        );
    }
    compare("man/fleet.1", &["man"]);
    assert!(
        stale.is_empty(),
        "out of date (run scripts/gen-docs.sh): {stale:?}"
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    let cmd = Cli::command();
    let mut all = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name().to_string();
        let r = plain(&[&name, "--help"]);
        assert_eq!(r.code, 0);
        let out = r.stdout;
        let example = out.split("Example:\n  ").nth(1).unwrap_or("");
        assert!(
            example.contains("fleet "),
            "`fleet {name} --help` has no example:\n{out}"
        );
        all += &format!("=== fleet {name} --help\n{out}\n");
    }
    let top = plain(&["--help"]).stdout;
    all = format!("=== fleet --help\n{top}\n{all}");
    insta::assert_snapshot!(all);
    let r = plain(&["--version"]);
    assert_eq!(
        (r.code, r.stdout),
        (0, format!("fleet {}\n", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn help_wraps_to_the_width_it_is_given_not_the_processs() {
    let widest = |r: &Ran| r.stdout.lines().map(|l| l.chars().count()).max().unwrap();
    // The snapshot above is at clap's default of 100 columns, whatever
    // terminal or COLUMNS the test process has; COLUMNS counts only as
    // passed in.
    let wide = check(&["sync", "--help"], World::bare());
    assert!(widest(&wide) > 60, "{}", wide.stdout);
    let narrow = check(&["sync", "--help"], World::bare().var("COLUMNS", "60"));
    assert!(widest(&narrow) <= 60, "{}", narrow.stdout);
    assert_ne!(narrow.stdout, wide.stdout);
}

/// A sync that starts one stopped container, run with `t` as its terminals
/// and `NO_COLOR=1` when `no_color`.
fn start_one(args: &[&str], t: Terminals, no_color: bool) -> Ran {
    let e = one();
    let mut world = World::new(ONE)
        .terminals(t)
        .discovery(&[e.clone().exited(137)], IMAGES)
        .expect(
            &format!("start {}", e.id),
            Output::ok(format!("{}\n", e.id)),
        )
        .inspect(std::slice::from_ref(&e));
    if no_color {
        world = world.var("NO_COLOR", "1");
    }
    let r = check(args, world);
    assert_eq!(r.code, 0, "{r:?}");
    r
}

fn colored_sync(args: &[&str], out: bool, no_color: bool) -> String {
    let mut argv = args.to_vec();
    argv.push("sync");
    start_one(&argv, Terminals { out, err: false }, no_color).stdout
}

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let esc = |s: &str| s.contains('\u{1b}');
    assert!(
        esc(&colored_sync(&[], true, false)),
        "auto on a terminal: colour"
    );
    assert!(
        !esc(&colored_sync(&[], false, false)),
        "auto, not a terminal: none"
    );
    assert!(!esc(&colored_sync(&[], true, true)), "NO_COLOR: none");
    assert!(!esc(&colored_sync(&["--color", "never"], true, false)));
    assert!(
        esc(&colored_sync(&["--color", "always"], false, true)),
        "--color always wins"
    );
    assert_eq!(
        colored_sync(&[], false, false),
        "[agents-sync] started: coder-default\n"
    );
    assert!(
        !esc(&colored_sync(&["--json"], true, false)),
        "JSON is never coloured"
    );
}

#[test]
fn quiet_prints_only_errors() {
    let d = desired(FLEET);
    let e = Existing::matching(&d[0]);
    let mut world = World::new(FLEET).discovery(std::slice::from_ref(&e), IMAGES);
    for x in &d[1..] {
        world = world.expect_cmd(
            argv::run_cmd(x),
            Ok(Output::fail(125, "Error response from daemon: boom")),
        );
    }
    let r = check(&["-q", "sync"], world.reobserve(std::slice::from_ref(&e)));
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 6, "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .step_by(2)
            .all(|l| l.starts_with("error: failed to create"))
            && r.stderr
                .lines()
                .skip(1)
                .step_by(2)
                .all(|l| l.starts_with("  now: no container is named")),
        "{}",
        r.stderr
    );
}

#[test]
fn json_documents_of_plan_status_up_and_down() {
    let d = desired(FLEET);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let world = || {
        World::new(FLEET).discovery(
            &[
                e[0].clone(),
                e[1].clone().exited(137),
                e[2].clone().image_id(IMG2).execs(1),
            ],
            IMAGES,
        )
    };

    let plan = check(&["plan", "--json"], world());
    assert_eq!(plan.code, 0);
    insta::assert_snapshot!("plan_json", plan.stdout);

    let status = check(&["status", "--json"], world());
    insta::assert_snapshot!("status_json", status.stdout);
    insta::assert_snapshot!("status_text", check(&["status"], world()).stdout);

    let up = World::new(FLEET)
        .project_listing(&[e[1].clone().exited(137), e[0].clone()])
        .expect(
            &format!("start {}", e[1].id),
            Output::ok(format!("{}\n", e[1].id)),
        )
        .inspect(&[e[1].clone()]);
    insta::assert_snapshot!("up_json", check(&["up", "--json"], up).stdout);

    let down = World::new(FLEET)
        .project_listing(&[
            e[0].clone(),
            e[1].clone().exited(137),
            e[2].clone().execs(2),
        ])
        .claims(&[])
        .expect(
            &format!("stop -t 10 {}", e[0].id),
            Output::ok(format!("{}\n", e[0].id)),
        );
    insta::assert_snapshot!("down_json", check(&["down", "--json"], down).stdout);
}

#[test]
fn sync_exit_codes() {
    // 0: converged (deferrals included); 1: a failure; 1: engine down.
    let converged = World::new(ONE).discovery(&[one()], IMAGES);
    assert_eq!(check(&["sync"], converged).code, 0, "converged");
    let deferred = World::new(ONE).discovery(&[one().image_id(IMG2).execs(1)], IMAGES);
    assert_eq!(
        check(&["sync"], deferred).code,
        0,
        "deferred is not an error"
    );
    let down = World::new(ONE).expect_cmd(
        argv::list_all(),
        Err(fleet::docker::DockerError::Timeout {
            cmd: "ps".into(),
            seconds: 1.0,
        }),
    );
    let r = check(&["sync"], down);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did not answer within 1s"),
        "{}",
        r.stderr
    );
    assert_eq!(plain(&["sync", "--bogus"]).code, 2, "usage error");
}

#[test]
fn progress_lines_go_to_a_terminal_stderr_only() {
    let t = |err| Terminals { out: false, err };
    let r = start_one(&["sync"], t(true), true);
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
    assert!(
        r.stderr.starts_with("  started    coder-default  ") && r.stderr.ends_with("s\n"),
        "{:?}",
        r.stderr
    );
    assert_eq!(
        start_one(&["sync"], t(false), true).stderr,
        "",
        "not a terminal: nothing extra"
    );
    assert_eq!(
        start_one(&["-q", "sync"], t(true), true).stderr,
        "",
        "quiet: no progress"
    );
}

#[test]
fn verbose_lines_go_where_the_run_writes() {
    // `-v` wraps whatever runner the run has, so the in-process run shows
    // the fake's commands on its own stderr, in order, `--docker` named.
    let r = start_one(
        &["-v", "--docker", "/opt/docker", "sync"],
        Terminals::default(),
        false,
    );
    let e = one();
    let shown: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(shown.len(), 5, "{}", r.stderr);
    assert!(
        shown.iter().all(|l| l.starts_with("+ /opt/docker ")),
        "{}",
        r.stderr
    );
    // The listing's `--format` holds tabs: shown as `\t`, as every control
    // character of a shown line is (`fleet::text`).
    assert_eq!(
        shown[0],
        format!(
            "+ /opt/docker {}",
            argv::list_all().line().replace('\t', "\\t")
        )
    );
    assert_eq!(shown[3], format!("+ /opt/docker start {}", e.id));
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
}

/// A file holding [`ONE`] (project `p`) in a fresh directory.
fn one_on_disk() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.json");
    std::fs::write(&path, ONE).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn the_environment_is_the_one_passed_in() {
    // Empty: the defaults, whatever this test process's own environment
    // holds (the suite passes with FLEET_CONFIG=/nonexistent exported).
    let r = check(&["check"], World::bare());
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("config/agents.json"),
        "{r:?}"
    );

    // A variable fills a flag the command line did not give…
    let soon = || World::new(ONE).var("FLEET_TIMEOUT", "soon");
    let r = check(&["check"], soon());
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{r:?}");
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        "error: invalid value 'soon' for the environment variable FLEET_TIMEOUT: expected a number of seconds from 0.001 to 86400"
    );
    // …and the flag wins over it, so the bad value is never looked at.
    let r = check(&["--timeout", "5", "check"], soon());
    assert_eq!(r.code, 0, "{r:?}");

    // FLEET_CONFIG reaches the config load, FLEET_DOCKER the real runner.
    let (dir, path) = one_on_disk();
    let world = || {
        World::bare()
            .var("FLEET_CONFIG", &path)
            .var("FLEET_DOCKER", "/nonexistent/docker")
            .var("FLEET_LOCK_DIR", dir.path())
            .real_docker()
    };
    let r = check(&["check"], world());
    assert_eq!(
        r.stdout,
        format!("{path}: ok: project `p`, 1 types, 1 containers\n")
    );
    let r = check(&["plan"], world());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: could not read the containers: could not run `/nonexistent/docker` (for `docker ps`)"),
        "{}",
        r.stderr
    );
    let r = check(&["check", "-c", "/nonexistent/agents.json"], world());
    assert!(
        r.stderr.contains("`/nonexistent/agents.json`"),
        "-c wins: {}",
        r.stderr
    );
}

#[test]
fn the_lock_takes_its_directory_and_wait_from_the_environment() {
    let (dir, path) = one_on_disk();
    let _held = fleet::lock::acquire(dir.path(), "p", Duration::ZERO, &|_| {}).unwrap();
    // The fake docker expects nothing: the run stops at the lock.
    let world = World::bare()
        .var("FLEET_LOCK_DIR", dir.path())
        .var("FLEET_LOCK_WAIT", "0");
    let r = check(&["-c", &path, "sync"], world);
    let lock = dir.path().join("fleet-p.lock");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "note: waiting for another fleet run on project `p` (lock `{0}`, up to 0s)\n\
             error: another fleet run on project `p` still holds `{0}` after 0s\n\
             help: wait for it to finish (see `pgrep -a fleet`), or raise --lock-wait\n",
            lock.display()
        )
    );
}

#[test]
fn help_is_printed_after_the_whole_message() {
    // The OS cause belongs to the message; the help comes last.
    let r = check(&["-c", "/nonexistent/agents.json", "check"], World::bare());
    assert_eq!(
        r.stderr,
        "error: could not read config `/nonexistent/agents.json`: No such file or directory (os error 2)\n\
         help: pass -c/--config <file> or set FLEET_CONFIG\n"
    );
    let (_dir, path) = one_on_disk();
    let world = World::bare().var("FLEET_LOCK_DIR", "/nonexistent/locks");
    let r = check(&["-c", &path, "up"], world);
    assert_eq!(
        r.stderr,
        "error: could not open the lock file `/nonexistent/locks/fleet-p.lock`: No such file or directory (os error 2)\n\
         help: set FLEET_LOCK_DIR to a directory every fleet user can write\n"
    );
}

/// The `{"error": …}` document of a failed `--json` run: checks it is the
/// whole of stdout, that stderr says the same in text (`error:` first,
/// `help:` last, a config error's marked line between), and returns
/// (message, help).
fn json_error(r: &Ran) -> (String, Option<String>) {
    let doc: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {r:?}"));
    assert_eq!(
        doc.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["error"],
        "{doc}"
    );
    let message = doc["error"]["message"].as_str().unwrap().to_string();
    let help = doc["error"]["help"].as_str().map(str::to_string);
    assert!(help.is_some() || doc["error"]["help"].is_null(), "{doc}");
    if r.code == 1 {
        let helps: String = help.iter().map(|h| format!("help: {h}\n")).collect();
        assert!(
            r.stderr.contains(&format!("error: {message}\n")) && r.stderr.ends_with(&helps),
            "{r:?}"
        );
    } else {
        assert!(
            r.stderr.starts_with(&format!("error: {message}\n")),
            "{r:?}"
        );
    }
    (message, help)
}

#[test]
fn with_json_an_error_is_a_json_document_on_stdout() {
    // A bad config.
    let bad = r#"{"project":"p","types":{"coder":{"image":"agent:latest","instances":101}}}"#;
    let r = check(&["check", "--json"], World::new(bad));
    assert_eq!(r.code, 1);
    let (message, help) = json_error(&r);
    assert!(
        message.ends_with("types.coder.instances: expected 0..=100, got 101"),
        "{message}"
    );
    assert_eq!(help, None);
    // On stderr, the line of the file with the value marked, as rustc does.
    assert_eq!(
        r.stderr.lines().skip(1).collect::<Vec<_>>(),
        [
            "  |",
            r#"1 | {"project":"p","types":{"coder":{"image":"agent:latest","instances":101}}}"#,
            "  |                                                                     ^^^",
        ],
        "{}",
        r.stderr
    );

    // A config that cannot be read: the OS cause in the message, help apart.
    let r = check(
        &["-c", "/nonexistent/agents.json", "plan", "--json"],
        World::bare(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        json_error(&r),
        (
            "could not read config `/nonexistent/agents.json`: No such file or directory (os error 2)".into(),
            Some("pass -c/--config <file> or set FLEET_CONFIG".into())
        )
    );

    // The engine unreachable.
    let world = World::new(ONE).expect_cmd(argv::list_all(), Ok(engine_down()));
    let r = check(&["--json", "sync"], world);
    assert_eq!(r.code, 1);
    let (message, help) = json_error(&r);
    assert!(
        message.starts_with("could not read the containers: `docker ps` exited 1: Cannot connect"),
        "{message}"
    );
    assert_eq!(
        help.as_deref(),
        Some("is the Docker engine running? (docker info; systemctl status docker)")
    );

    // The empty-config refusal; --quiet does not silence a requested document.
    let world = World::new(r#"{"project":"p","types":{}}"#).discovery(&[one()], &[]);
    let r = check(&["sync", "--json", "-q"], world);
    assert_eq!(r.code, 1);
    assert!(
        json_error(&r).0.contains("refusing to remove them all"),
        "{r:?}"
    );

    // The lock still held after --lock-wait.
    let (dir, path) = one_on_disk();
    let _held = fleet::lock::acquire(dir.path(), "p", Duration::ZERO, &|_| {}).unwrap();
    let r = check(
        &["-c", &path, "--lock-wait", "0", "down", "--json"],
        World::bare().var("FLEET_LOCK_DIR", dir.path()),
    );
    assert_eq!(r.code, 1);
    let (message, help) = json_error(&r);
    assert!(
        message.starts_with("another fleet run on project `p` still holds"),
        "{message}"
    );
    assert!(help.unwrap().contains("--lock-wait"));

    // Without --json: nothing on stdout.
    let r = check(&["-c", "/nonexistent/agents.json", "check"], World::bare());
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
}

#[test]
fn with_json_a_usage_error_is_a_json_document_too() {
    let r = check(&["sync", "--json", "--bogus"], World::bare());
    assert_eq!(r.code, 2);
    let (message, help) = json_error(&r);
    assert_eq!(message, "unexpected argument '--bogus' found");
    assert!(
        help.unwrap()
            .ends_with("For more information, try '--help'.")
    );

    let r = check(&["--json", "--timeout", "inf", "status"], World::bare());
    assert_eq!(r.code, 2);
    assert_eq!(
        json_error(&r).0,
        "invalid value 'inf' for '--timeout <SECS>': expected a number of seconds from 0.001 to 86400"
    );

    let r = check(
        &["--json", "check"],
        World::bare().var("FLEET_LOCK_WAIT", "x"),
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        json_error(&r).0,
        "invalid value 'x' for the environment variable FLEET_LOCK_WAIT: expected a number of seconds from 0 to 86400"
    );

    // Without --json, or with `--json` only after `--` (a value, not the flag): text only.
    for args in [&["sync", "--bogus"][..], &["completions", "--", "--json"]] {
        let r = check(args, World::bare());
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{args:?}");
    }
    // --help and --version are not errors: their text, on stdout.
    let r = check(&["--json", "--version"], World::bare());
    assert_eq!(
        (r.code, r.stdout),
        (0, format!("fleet {}\n", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn bad_numbers_are_usage_errors_that_name_the_flag_the_value_and_the_range() {
    let timeout = "expected a number of seconds from 0.001 to 86400";
    let lock_wait = "expected a number of seconds from 0 to 86400";
    let flag =
        |v: &str, f: &str, why: &str| format!("invalid value '{v}' for '--{f} <SECS>': {why}");
    let var = |v: &str, n: &str, why: &str| {
        format!("invalid value '{v}' for the environment variable {n}: {why}")
    };
    let mut cases: Vec<(Vec<String>, Env, String)> = Vec::new();
    for v in [
        "inf", "-inf", "NaN", "1e30", "0", "0.0009", "86400.5", "-1", "", "soon", "5s", "1_0",
    ] {
        cases.push((
            vec![format!("--timeout={v}")],
            Env::default(),
            flag(v, "timeout", timeout),
        ));
        cases.push((
            vec![],
            Env::default().with("FLEET_TIMEOUT", v),
            var(v, "FLEET_TIMEOUT", timeout),
        ));
    }
    for v in ["inf", "nan", "1e20", "-1", "-0.001", "86401", "x"] {
        cases.push((
            vec![format!("--lock-wait={v}")],
            Env::default(),
            flag(v, "lock-wait", lock_wait),
        ));
        cases.push((
            vec![],
            Env::default().with("FLEET_LOCK_WAIT", v),
            var(v, "FLEET_LOCK_WAIT", lock_wait),
        ));
    }
    for v in ["0", "65"] {
        cases.push((
            vec!["--jobs".into(), v.into()],
            Env::default(),
            format!("invalid value '{v}' for '--jobs <JOBS>': {v} is not in 1..=64"),
        ));
    }
    for n in ["FLEET_CONFIG", "FLEET_LOCK_DIR"] {
        cases.push((
            vec![],
            Env::default().with(n, ""),
            var(
                "",
                n,
                if n == "FLEET_CONFIG" {
                    "expected a file path"
                } else {
                    "expected a directory"
                },
            ),
        ));
    }
    for (args, env, expected) in cases {
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        if env.get("FLEET_CONFIG").is_none() {
            argv.extend(["-c", "/nonexistent/agents.json"]);
        }
        argv.push("check");
        let r = check(&argv, World::bare().env(env.clone()));
        assert_eq!(r.code, 2, "{argv:?} {env:?}: {r:?}");
        assert_eq!(
            r.stderr.lines().next().unwrap(),
            format!("error: {expected}"),
            "{argv:?} {env:?}"
        );
    }
    // The bounds themselves are accepted: parsing passes, and `check`
    // fails on the missing file instead.
    for ok in [
        "--timeout=0.001",
        "--timeout=86400",
        "--timeout=1e2",
        "--lock-wait=0",
        "--lock-wait=-0",
        "--lock-wait=86400",
    ] {
        let r = check(
            &[ok, "-c", "/nonexistent/agents.json", "check"],
            World::bare(),
        );
        assert_eq!(r.code, 1, "{ok}: {r:?}");
    }
}
