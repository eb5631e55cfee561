//! `fleet status`: the BUSY column (live exec sessions and `fleet exec`
//! claims), the pools' figures, and `--format text|json|prometheus`, with
//! the Prometheus text checked line by line by a strict reader of the
//! exposition format.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use fleet::docker::{Output, argv};
use fleet::snapshot::{Claim, age};

use crate::harness::{World, check, listing};
use crate::placement::{H1, H2, TWO, agent, at, no_lock, seen_on};
use crate::support::{Existing, FLEET, IMAGES, desired, engine_down, hex_id};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The listing line of a claim on `agent` of project `p`, taken `ago`
/// seconds ago with `grace` seconds of grace (no pid namespace: it counts
/// for its grace only, as a claim from another machine does).
fn claim_line(agent: &str, ago: f64, grace: f64) -> String {
    let labels = [
        "fleet.claim=p".to_string(),
        format!("fleet.claim.agent={agent}"),
        "fleet.claim.holder=ops@ws-3 pid 4242".into(),
        "fleet.claim.machine=0123456789abcdef0123456789abcdef".into(),
        "fleet.claim.pid=4242".into(),
        format!("fleet.claim.since={:.3}", now() - ago),
        format!("fleet.claim.grace={grace:.3}"),
    ];
    format!(
        "{}\t{agent}.fleet-claim\t{}\n",
        hex_id(&format!("claim {agent}")),
        serde_json::json!(labels.join(","))
    )
}

/// [`FLEET`]: `coder-default` ready and idle; `coder-2` claimed (2h00m
/// ago, its age stable for half a minute) with one exec session;
/// `coder-3` starting its healthcheck, with a lapsed claim (not shown);
/// `reviewer-default` exited.
fn busy_world() -> World {
    let d = desired(FLEET);
    let e = [
        Existing::matching(&d[0]),
        Existing::matching(&d[1]).execs(1),
        Existing::matching(&d[2]).health("starting", ""),
        Existing::matching(&d[3]).exited(137),
    ];
    let lines = listing(&e)
        + &claim_line("coder-2", 7_215.0, 86_400.0)
        + &claim_line("coder-3", 7_215.0, 60.0);
    World::new(FLEET)
        .expect_cmd(argv::list_all(), Ok(Output::ok(lines)))
        .inspect(&e)
        .images(IMAGES)
}

#[test]
fn busy_column_and_pool_figures_in_text() {
    let r = check(&["status"], busy_world());
    assert_eq!(r.code, 0, "{r:?}");
    insta::assert_snapshot!("status_busy_text", r.stdout);
}

#[test]
fn busy_column_and_pool_figures_in_json() {
    let r = check(&["status", "--json"], busy_world());
    assert_eq!(r.code, 0, "{r:?}");
    let mut doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // `since` is the holder's clock: checked, then replaced for the snapshot.
    let since = &mut doc["agents"][1]["claim"]["since"];
    assert!(
        (now() - since.as_f64().unwrap() - 7_215.0).abs() < 60.0,
        "{r:?}"
    );
    *since = serde_json::json!("<since>");
    assert!(doc["agents"][2]["claim"].is_null(), "a lapsed claim: {r:?}");
    insta::assert_snapshot!(
        "status_busy_json",
        serde_json::to_string_pretty(&doc).unwrap()
    );
}

#[test]
fn format_json_is_json() {
    let a = check(&["status", "--format", "json"], busy_world());
    let b = check(&["--json", "status"], busy_world());
    let since = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("\"since\""))
            .collect::<String>()
    };
    assert_eq!((a.code, since(&a.stdout)), (b.code, since(&b.stdout)));
    // And its errors are JSON, as --json's are.
    let r = check(
        &[
            "-c",
            "/nonexistent/agents.json",
            "status",
            "--format",
            "json",
        ],
        World::bare(),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.starts_with("{\n  \"error\""), "{r:?}");
}

#[test]
fn json_with_another_format_is_a_usage_error() {
    for f in ["text", "prometheus"] {
        let r = check(&["--json", "status", "--format", f], World::bare());
        assert_eq!(r.code, 2, "{r:?}");
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("'--json' cannot be used with '--format {f}'")),
            "{r:?}"
        );
    }
    let r = check(&["status", "--format", "yaml"], World::bare());
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("[possible values: text, json, prometheus]"),
        "{r:?}"
    );
}

#[test]
fn prometheus_exposition_of_the_pools() {
    let r = check(&["status", "--format", "prometheus"], busy_world());
    assert_eq!(r.code, 0, "{r:?}");
    let samples = exposition(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.stdout));
    let get = |name: &str, t: &str| samples[&format!("{name}{{project=p,type={t},host=}}")];
    let figures = |t: &str| {
        ["members", "ready", "idle", "busy", "claimed", "down"]
            .map(|f| get(&format!("fleet_pool_{f}"), t))
    };
    assert_eq!(figures("coder"), [3.0, 2.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(figures("reviewer"), [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(samples["fleet_up{project=p,host=}"], 1.0);
    assert_eq!(samples.len(), 13);
    insta::assert_snapshot!("status_prometheus", r.stdout);
}

#[test]
fn prometheus_with_hosts_says_which_host_was_not_read() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[agent("coder-default"), agent("coder-3").execs(2)]);
    let w = w.expect_cmd(at(H2, argv::list_all()), Ok(engine_down()));
    // `status` reads each host's lock: none on h1; h2 cannot be read.
    let w = no_lock(w, H1).expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(engine_down()));
    let r = check(&["status", "--format", "prometheus"], w);
    assert_eq!(r.code, 1, "the status's exit code: {r:?}");
    assert!(r.stderr.contains("host `h2`"), "{r:?}");
    let samples = exposition(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.stdout));
    assert_eq!(samples["fleet_up{project=p,host=h1}"], 1.0);
    assert_eq!(samples["fleet_up{project=p,host=h2}"], 0.0);
    let h1 = |f: &str| samples[&format!("fleet_pool_{f}{{project=p,type=coder,host=h1}}")];
    assert_eq!((h1("members"), h1("busy"), h1("idle")), (2.0, 1.0, 1.0));
    // Nothing is said of the pools on h2: unknown, not zero.
    assert!(
        !(samples.keys()).any(|k| k.starts_with("fleet_pool") && k.contains("host=h2")),
        "{}",
        r.stdout
    );
}

#[test]
fn pool_lines_per_type_and_host() {
    let w = World::new(TWO);
    let w = seen_on(w, H1, &[agent("coder-default"), agent("coder-3").execs(2)]);
    let w = seen_on(
        w,
        H2,
        &[agent("coder-2").exited(1), agent("reviewer-default")],
    );
    let r = check(&["status"], no_lock(no_lock(w, H1), H2));
    assert_eq!(r.code, 0, "{r:?}");
    insta::assert_snapshot!("status_hosts_text", r.stdout);
}

#[test]
fn ages_read_at_a_glance() {
    let cases = [
        (-3.0, "0s"),
        (0.0, "0s"),
        (59.9, "59s"),
        (60.0, "1m00s"),
        (247.0, "4m07s"),
        (3_599.0, "59m59s"),
        (3_600.0, "1h00m"),
        (7_380.0, "2h03m"),
        (86_399.0, "23h59m"),
        (86_400.0, "1d00h"),
        (273_600.0, "3d04h"),
        (f64::NAN, "0s"),
    ];
    for (secs, want) in cases {
        assert_eq!(age(secs), want, "{secs}");
    }
}

#[test]
fn a_claim_reads_pid_at_host() {
    let c = Claim {
        holder: "ops@ws-3 pid 4242".into(),
        machine: "0123456789abcdef".into(),
        pid: Some(4242),
        since: 0.0,
        age: 12.4,
    };
    assert_eq!(c.describe(), "claimed by 4242@ws-3 since 12s");
    // A holder label fleet cannot read: the machine, else the label.
    let odd = Claim {
        holder: "someone".into(),
        ..c.clone()
    };
    assert_eq!(odd.describe(), "claimed by 4242@0123456789abcdef since 12s");
    let no_pid = Claim { pid: None, ..odd };
    assert_eq!(no_pid.describe(), "claimed by someone since 12s");
}

/// A strict reader of the text exposition format (0.0.4) as fleet writes
/// it: every line `# HELP <name> <text>`, `# TYPE <name> gauge` (after its
/// HELP, once a family, before its samples) or `<name>{<label>="<value>",…}
/// <number>` of the family declared last; metric and label names as the
/// format allows them; label values with only `\\`, `\"` and `\n` escapes;
/// no series twice; the text ends in a newline. Returns each sample as
/// `name{label=value,…}` (values unescaped) → its value.
fn exposition(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let body = text.strip_suffix('\n').ok_or("no final newline")?;
    let mut samples = BTreeMap::new();
    let mut families: Vec<String> = Vec::new();
    let mut typed = false;
    for (n, line) in body.split('\n').enumerate() {
        let bad = |why: &str| format!("line {}: {why}: `{line}`", n + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').ok_or_else(|| bad("no help text"))?;
            if !metric_name(name) || help.is_empty() || families.iter().any(|f| f == name) {
                return Err(bad("a bad or repeated HELP"));
            }
            families.push(name.to_string());
            typed = false;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            if families.last().map(|f| format!("{f} gauge")).as_deref() != Some(rest) || typed {
                return Err(bad("TYPE is not `gauge` right after its family's HELP"));
            }
            typed = true;
        } else {
            let family = families
                .last()
                .filter(|_| typed)
                .ok_or_else(|| bad("a sample before its family's HELP and TYPE"))?;
            let (key, value) = sample(line).map_err(|e| bad(&e))?;
            if !key.starts_with(&format!("{family}{{")) {
                return Err(bad("a sample of another family"));
            }
            if samples.insert(key, value).is_some() {
                return Err(bad("a series given twice"));
            }
        }
    }
    Ok(samples)
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn metric_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
fn label_name(s: &str) -> bool {
    let mut c = s.chars();
    !s.starts_with("__")
        && matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// One sample line: `name{l="v",…} value`.
fn sample(line: &str) -> Result<(String, f64), String> {
    let (name, rest) = line.split_once('{').ok_or("no labels")?;
    if !metric_name(name) {
        return Err("a bad metric name".into());
    }
    let mut labels = Vec::new();
    let mut chars = rest.chars();
    loop {
        let label: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if !label_name(&label) || chars.next() != Some('"') {
            return Err(format!("a bad label `{label}`"));
        }
        let mut value = String::new();
        loop {
            match chars.next().ok_or("an unterminated value")? {
                '"' => break,
                '\n' => return Err("a raw newline".into()),
                '\\' => match chars.next() {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    _ => return Err("a bad escape".into()),
                },
                c => value.push(c),
            }
        }
        labels.push(format!("{label}={value}"));
        match chars.next() {
            Some(',') => continue,
            Some('}') => break,
            _ => return Err("labels not closed".into()),
        }
    }
    let value = chars
        .as_str()
        .strip_prefix(' ')
        .ok_or("no space before the value")?;
    let value: f64 = value
        .parse()
        .map_err(|_| format!("a bad value `{value}`"))?;
    Ok((format!("{name}{{{}}}", labels.join(",")), value))
}

#[test]
fn the_exposition_reader_can_fail() {
    let ok = "# HELP a_b Help.\n# TYPE a_b gauge\na_b{x=\"q\\\"\\\\\\n\"} 1\n";
    let samples = exposition(ok).unwrap();
    assert_eq!(samples["a_b{x=q\"\\\n}"], 1.0);
    for bad in [
        "# HELP a Help.\n# TYPE a gauge\na{x=\"1\"} 1",
        "a{x=\"1\"} 1\n",
        "# HELP a Help.\na{x=\"1\"} 1\n",
        "# HELP a Help.\n# TYPE a counter\na{x=\"1\"} 1\n",
        "# HELP a Help.\n# TYPE a gauge\nb{x=\"1\"} 1\n",
        "# HELP a Help.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
        "# HELP a Help.\n# TYPE a gauge\na{x=\"\\t\"} 1\n",
        "# HELP a Help.\n# TYPE a gauge\na{__x=\"1\"} 1\n",
        "# HELP a Help.\n# TYPE a gauge\na{x=\"1\"} one\n",
        "# HELP a Help.\n# TYPE a gauge\na{x=\"1\"}  1\n",
        "# HELP 1a Help.\n# TYPE 1a gauge\n1a{x=\"1\"} 1\n",
    ] {
        assert!(exposition(bad).is_err(), "accepted: {bad:?}");
    }
}
