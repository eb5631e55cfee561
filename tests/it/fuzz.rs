//! Property tests over the two parsers that read outside input (the config
//! file and `docker inspect` output) and the planner fed by them: no input
//! makes them panic. Arbitrary text, arbitrary JSON built from the field
//! names they look for (so deep paths are reached), and byte mutations of
//! valid documents.

use std::path::Path;

use fleet::config::Config;
use fleet::observe::Actual;
use fleet::plan::{Options, plan};
use fleet::snapshot::parse_inspect;
use proptest::prelude::*;
use serde_json::{Map, Value};

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

/// Parses a config and an inspect document and, when both parse, plans:
/// none of it may panic.
fn exercise(config: &str, inspect: &str) {
    let c = Config::parse(Path::new("fuzz.json"), config);
    let snaps = parse_inspect(inspect);
    if let (Ok(c), Ok(containers)) = (c, snaps) {
        let actual = Actual {
            containers,
            images: Default::default(),
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
