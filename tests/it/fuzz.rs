//! Property tests over the parsers that read outside input (the config
//! file, `docker inspect` output, the command line and the environment) and
//! the planner fed by them: no input makes them panic. Arbitrary text,
//! arbitrary JSON built from the field names they look for (so deep paths
//! are reached), byte mutations of valid documents, and command lines built
//! from the real flag names with arbitrary values.

use std::path::Path;

use clap::CommandFactory;
use fleet::config::Config;
use fleet::docker::{Cmd, DockerError, Output, Runner};
use fleet::observe::Actual;
use fleet::plan::{Options, plan};
use fleet::snapshot::parse_inspect;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::harness::{Terminals, in_process};

const KEYS: &[&str] = &[
    "project",
    "defaults",
    "types",
    "coder",
    "image",
    "instances",
    "command",
    "entrypoint",
    "env",
    "mounts",
    "workdir",
    "user",
    "network",
    "labels",
    "restart",
    "memory",
    "cpus",
    "init",
    "run_args",
    "$schema",
    "Id",
    "Name",
    "Image",
    "State",
    "Status",
    "Running",
    "Paused",
    "Restarting",
    "Dead",
    "ExitCode",
    "ExecIDs",
    "Config",
    "Labels",
    "Env",
    "Cmd",
    "Entrypoint",
    "HostConfig",
    "Binds",
    "RestartPolicy",
    "Memory",
    "NanoCpus",
    "Init",
    "fleet.project",
    "fleet.config-hash",
    "fleet.type",
    "fleet.instance",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_string())),
        Just(Value::String("/a:/b:ro".into())),
        Just(Value::String("é-ünïcödé".into())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(KEYS).prop_map(str::to_string),
                        ".{0,6}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const VALID_CONFIG: &str = include_str!("../../fixtures/configs/good/full.json");
const VALID_INSPECT: &str = include_str!("../../fixtures/inspect/batch.json");

/// Parses a config (rendering its error, the marked line included) and an
/// inspect document and, when both parse, plans: none of it may panic.
fn exercise(config: &str, inspect: &str) {
    let c = Config::parse(Path::new("fuzz.json"), config);
    if let Err(e) = &c {
        fleet::report::error_text(e, false);
        fleet::report::error_text(e, true);
    }
    let snaps = parse_inspect(inspect);
    if let (Ok(c), Ok(containers)) = (c, snaps) {
        let actual = Actual {
            containers,
            ..Default::default()
        };
        let _ = plan(&c.project, &c.desired(), &actual, Options::default());
        let _ = plan(
            "fixture",
            &c.desired(),
            &actual,
            Options {
                force: true,
                allow_empty: true,
            },
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(s in ".{0,200}") {
        exercise(&s, &s);
    }

    #[test]
    fn arbitrary_json(v in arb_json()) {
        let text = v.to_string();
        exercise(&text, &text);
        exercise(VALID_CONFIG, &format!("[{text}]"));
        exercise(&format!("{{\"types\":{{\"a\":{text}}}}}"), VALID_INSPECT);
    }

    #[test]
    fn mutated_valid_documents(pos in 0usize..4000, byte in any::<u8>(), cut in any::<bool>()) {
        let mutate = |doc: &str| {
            let mut b = doc.as_bytes().to_vec();
            let p = pos % b.len();
            if cut { b.truncate(p) } else { b[p] = byte }
            String::from_utf8_lossy(&b).into_owned()
        };
        exercise(&mutate(VALID_CONFIG), VALID_INSPECT);
        exercise(VALID_CONFIG, &mutate(VALID_INSPECT));
    }
}

/// Every subcommand name and every flag of the CLI, long and short, but
/// `--lock-dir` (its value would be a real directory to write a lock in;
/// the runs get a private one from the environment).
fn cli_words() -> Vec<String> {
    let cmd = fleet::cli::Cli::command();
    let mut words = vec!["--".to_string(), "--help".into(), "-h".into()];
    for c in std::iter::once(&cmd).chain(cmd.get_subcommands()) {
        if !std::ptr::eq(c, &cmd) {
            words.push(c.get_name().to_string());
        }
        for a in c.get_arguments().filter(|a| a.get_id() != "lock_dir") {
            words.extend(a.get_long().map(|l| format!("--{l}")));
            words.extend(a.get_short().map(|s| format!("-{s}")));
        }
    }
    words.sort();
    words.dedup();
    words
}

/// A flag's value: numbers in every spelling, the edges of the ranges,
/// paths (a valid config among them, so runs reach the runner), text.
fn arb_value() -> impl Strategy<Value = String> {
    let config = format!(
        "{}/fixtures/configs/good/full.json",
        env!("CARGO_MANIFEST_DIR")
    );
    prop_oneof![
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        any::<i64>().prop_map(|i| i.to_string()),
        prop::sample::select(vec![
            "inf",
            "-inf",
            "NaN",
            "infinity",
            "1e30",
            "-0",
            "0",
            "0.0009",
            "0.001",
            "86400",
            "86400.1",
            "",
            " 5",
            "1_0",
            "64",
            "65",
            "always",
            "bash",
            "/nonexistent/agents.json",
        ])
        .prop_map(str::to_string),
        Just(config),
        ".{0,8}",
    ]
}

/// A docker that answers every command the same way: unreachable, or
/// successful with nothing to say.
struct Answers(bool);

impl Runner for Answers {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        if self.0 {
            Ok(Output::ok(""))
        } else {
            Err(DockerError::Timeout {
                cmd: cmd.line(),
                seconds: 1.0,
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_command_lines(
        args in prop::collection::vec(
            prop_oneof![prop::sample::select(cli_words()), arb_value()],
            0..8,
        ),
        vars in prop::collection::vec(
            (
                prop::sample::select(vec!["FLEET_CONFIG", "FLEET_DOCKER", "FLEET_TIMEOUT", "FLEET_LOCK_WAIT", "NO_COLOR"]),
                arb_value(),
            ),
            0..3,
        ),
        docker_answers in any::<bool>(),
    ) {
        let lock_dir = tempfile::tempdir().unwrap();
        let mut env = fleet::Env::default().with("FLEET_LOCK_DIR", lock_dir.path());
        for (k, v) in vars {
            env = env.with(k, v);
        }
        let mut argv = vec!["fleet".into()];
        argv.extend(args.iter().map(Into::into));
        let docker = Answers(docker_answers);
        let (code, _, _) = in_process(argv, &env, Terminals::default(), Some(&docker));
        // `fleet exec`'s own failures are docker run's 125 (126, 127 for a
        // command it cannot run) and 75 for a busy pool; its command's code
        // is the fake docker's, 0 or 1.
        let allowed: &[i32] = match args.iter().any(|a| a == "exec") {
            true => &[0, 1, 2, 75, 125, 126, 127],
            false => &[0, 1, 2],
        };
        prop_assert!(allowed.contains(&code), "exit {code} for {args:?}");
    }
}
