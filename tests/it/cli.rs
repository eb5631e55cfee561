//! The CLI as a user and a script see it: generated files in sync with the
//! code, help text with an example for every command, colour rules, and
//! the JSON documents of every command.

use clap::CommandFactory;
use fleet::cli::Cli;
use fleet::docker::Output;
use fleet::docker::argv;
use fleet::docker::fake::FakeRunner;

use crate::support::*;

/// Runs `fleet <args>` through `main_with` (argv parsing included).
fn main_with(args: &[&str], out_is_terminal: bool, no_color: bool) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let mut io = fleet::Io {
            out: &mut out,
            err: &mut err,
            out_is_terminal,
            err_is_terminal: false,
            no_color,
        };
        let mut argv = vec!["fleet".to_string()];
        argv.extend(args.iter().map(|s| s.to_string()));
        fleet::main_with(argv, &mut io)
    };
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn checked_in(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn generated_files_match_the_code() {
    let mut stale = Vec::new();
    let mut check = |path: &str, args: &[&str]| {
        let (code, out, err) = main_with(args, false, true);
        assert_eq!(code, 0, "{args:?}: {err}");
        if checked_in(path) != out {
            stale.push(path.to_string());
        }
    };
    check("schema/agents.schema.json", &["schema"]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        check(
            &format!("completions/fleet.{shell}"),
            &["completions", shell],
        );
    }
    check("man/fleet.1", &["man"]);
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
        let (code, out, _) = main_with(&[&name, "--help"], false, true);
        assert_eq!(code, 0);
        let example = out.split("Example:\n  ").nth(1).unwrap_or("");
        assert!(
            example.contains("fleet "),
            "`fleet {name} --help` has no example:\n{out}"
        );
        all += &format!("=== fleet {name} --help\n{out}\n");
    }
    let (_, top, _) = main_with(&["--help"], false, true);
    all = format!("=== fleet --help\n{top}\n{all}");
    insta::assert_snapshot!(all);
    let (code, version, _) = main_with(&["--version"], false, true);
    assert_eq!(
        (code, version),
        (0, format!("fleet {}\n", env!("CARGO_PKG_VERSION")))
    );
}

const ONE: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest"}}}"#;

/// A sync that starts one stopped container, run with `t` as its terminals.
fn start_one(args: &[&str], t: Terminals) -> Ran {
    let fake = FakeRunner::new();
    let e = Existing::matching(&desired(ONE)[0]);
    expect_discovery(&fake, &[e.clone().exited(137)], &[("agent:latest", IMG)]);
    fake.expect(
        &format!("start {}", e.id),
        Output::ok(format!("{}\n", e.id)),
    );
    expect_confirm(&fake, std::slice::from_ref(&e));
    let r = run_cli_on(ONE, args, &fake, t);
    assert_eq!(r.code, 0, "{r:?}");
    r
}

fn colored_sync(args: &[&str], out: bool, no_color: bool) -> String {
    let mut argv = args.to_vec();
    argv.push("sync");
    start_one(
        &argv,
        Terminals {
            out,
            err: false,
            no_color,
        },
    )
    .stdout
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
    let fake = FakeRunner::new();
    let e = Existing::matching(&desired(FLEET)[0]);
    expect_discovery(&fake, std::slice::from_ref(&e), &[("agent:latest", IMG)]);
    let d = desired(FLEET);
    for x in &d[1..] {
        fake.expect_argv(
            argv::run_cmd(x).args,
            Ok(Output::fail(125, "Error response from daemon: boom")),
        );
    }
    expect_reobserve(&fake, std::slice::from_ref(&e));
    let r = run_cli(FLEET, &["-q", "sync"], &fake);
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
        vec![
            e[0].clone(),
            e[1].clone().exited(137),
            e[2].clone().image_id(IMG2).execs(1),
        ]
    };

    let fake = FakeRunner::new();
    expect_discovery(&fake, &world(), &[("agent:latest", IMG)]);
    let plan = run_cli(FLEET, &["plan", "--json"], &fake);
    assert_eq!(plan.code, 0);
    insta::assert_snapshot!("plan_json", plan.stdout);

    let fake = FakeRunner::new();
    expect_discovery(&fake, &world(), &[("agent:latest", IMG)]);
    let status = run_cli(FLEET, &["status", "--json"], &fake);
    insta::assert_snapshot!("status_json", status.stdout);
    let fake = FakeRunner::new();
    expect_discovery(&fake, &world(), &[("agent:latest", IMG)]);
    insta::assert_snapshot!("status_text", run_cli(FLEET, &["status"], &fake).stdout);

    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_project("p").args,
        Ok(Output::ok(format!(
            "{}\tcoder-2\texited\n{}\tcoder-default\trunning\n",
            e[1].id, e[0].id
        ))),
    );
    fake.expect(
        &format!("start {}", e[1].id),
        Output::ok(format!("{}\n", e[1].id)),
    );
    expect_confirm(&fake, &[e[1].clone()]);
    insta::assert_snapshot!("up_json", run_cli(FLEET, &["up", "--json"], &fake).stdout);

    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_project("p").args,
        Ok(Output::ok(format!(
            "{}\tcoder-default\trunning\n{}\tcoder-2\texited\n{}\tcoder-3\trunning\n",
            e[0].id, e[1].id, e[2].id
        ))),
    );
    fake.expect_argv(
        argv::inspect(&[e[0].id.as_str(), e[2].id.as_str()]).args,
        Ok(Output::ok(
            serde_json::to_string(&[e[0].to_json(), e[2].clone().execs(2).to_json()]).unwrap(),
        )),
    );
    fake.expect(
        &format!("stop -t 10 {}", e[0].id),
        Output::ok(format!("{}\n", e[0].id)),
    );
    insta::assert_snapshot!(
        "down_json",
        run_cli(FLEET, &["down", "--json"], &fake).stdout
    );
}

#[test]
fn sync_exit_codes() {
    // 0: converged (deferrals included); 1: a failure; 1: engine down.
    let ok = r#"{"project":"p","types":{"coder":{"image":"agent:latest"}}}"#;
    let e = Existing::matching(&desired(ok)[0]);
    let fake = FakeRunner::new();
    expect_discovery(&fake, std::slice::from_ref(&e), &[("agent:latest", IMG)]);
    assert_eq!(run_cli(ok, &["sync"], &fake).code, 0, "converged");
    let fake = FakeRunner::new();
    expect_discovery(
        &fake,
        &[e.clone().image_id(IMG2).execs(1)],
        &[("agent:latest", IMG)],
    );
    assert_eq!(
        run_cli(ok, &["sync"], &fake).code,
        0,
        "deferred is not an error"
    );
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_all().args,
        Err(fleet::docker::DockerError::Timeout {
            cmd: "ps".into(),
            seconds: 1.0,
        }),
    );
    let r = run_cli(ok, &["sync"], &fake);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did not answer within 1s"),
        "{}",
        r.stderr
    );
    assert_eq!(
        main_with(&["sync", "--bogus"], false, true).0,
        2,
        "usage error"
    );
}

#[test]
fn progress_lines_go_to_a_terminal_stderr_only() {
    let t = |err| Terminals {
        out: false,
        err,
        no_color: true,
    };
    let r = start_one(&["sync"], t(true));
    assert_eq!(r.stdout, "[agents-sync] started: coder-default\n");
    assert!(
        r.stderr.starts_with("  started    coder-default  ") && r.stderr.ends_with("s\n"),
        "{:?}",
        r.stderr
    );
    assert_eq!(
        start_one(&["sync"], t(false)).stderr,
        "",
        "not a terminal: nothing extra"
    );
    assert_eq!(
        start_one(&["-q", "sync"], t(true)).stderr,
        "",
        "quiet: no progress"
    );
}
