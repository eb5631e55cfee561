//! The engine corpus (fixtures/engines/, SOURCES.md says where each
//! document comes from): `docker inspect` / `podman inspect` output of
//! docker 20.10–28 and podman 2–5. Each document is read and classified as
//! its expected.tsv row says; each full one is also replayed through the
//! fake runner as an agent of project `p` (its labels replaced with fleet's)
//! and must get the decision its state calls for.

use fleet::docker::{Output, argv};
use fleet::snapshot::parse_inspect;
use fleet::spec::ContainerState;
use serde_json::{Value, json};

use crate::harness::*;
use crate::support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/engines");

/// One row of expected.tsv, by column name.
struct Row(std::collections::BTreeMap<String, String>);

impl Row {
    fn get(&self, k: &str) -> &str {
        self.0.get(k).map_or("", String::as_str)
    }
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(format!("{DIR}/expected.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            Row(header
                .iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect())
        })
        .collect()
}

fn expected_state(word: &str) -> ContainerState {
    match word {
        "running" => ContainerState::Running,
        "exited" => ContainerState::Exited,
        "created" => ContainerState::Created,
        "paused" => ContainerState::Paused,
        "restarting" => ContainerState::Restarting,
        other => panic!("expected.tsv: unknown state {other}"),
    }
}

#[test]
fn the_corpus_is_large_enough() {
    let rows = rows();
    let versions: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.get("engine"), r.get("version")))
        .collect();
    assert!(rows.len() >= 15, "{} documents", rows.len());
    assert!(versions.len() >= 8, "{versions:?}");
    assert!(versions.iter().any(|v| v.starts_with("podman")));
}

#[test]
fn every_document_is_classified_right() {
    for row in rows() {
        let file = row.get("file");
        let text = std::fs::read_to_string(format!("{DIR}/{file}")).unwrap();
        let snaps = parse_inspect(&text).unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert_eq!(snaps.len(), 1, "{file}");
        let s = &snaps[0];
        assert_eq!(s.name, row.get("name"), "{file}: name without docker's `/`");
        assert_eq!(
            s.effective_state(),
            expected_state(row.get("expect")),
            "{file}"
        );
        assert_eq!(s.state.exit_code.to_string(), row.get("ExitCode"), "{file}");
        let execs = match row.get("ExecIDs") {
            "null" | "absent" => 0,
            n => n.parse().unwrap(),
        };
        assert_eq!(s.exec_ids.len(), execs, "{file}: exec sessions");
        assert_eq!(s.image_id, row.get("Image"), "{file}");
        if row.get("Running") == "true" {
            assert!(s.state.running, "{file}: Running true");
        }
        if row.get("expect") == "paused" {
            assert!(!s.is_up(), "{file}: paused is not up");
        }
        // `--wait`'s judgement: a running container without a healthcheck
        // is ready once up for the settle time (podman prints an empty
        // State.Health for it, which must not read as "starting").
        if row.get("expect") == "running"
            && row.get("doc") == "full"
            && !text.contains("\"Healthcheck\": {")
            && s.state.restart_count == 0
        {
            let mut w = fleet::ready::Watch::default();
            let t0 = std::time::Instant::now();
            assert_eq!(w.look(s, t0), fleet::ready::Verdict::Pending, "{file}");
            assert_eq!(
                w.look(s, t0 + fleet::ready::SETTLE),
                fleet::ready::Verdict::Ready,
                "{file}"
            );
        }
    }
}

/// The decision (bucket) an agent in `state` gets when it matches.
fn decision(state: &str) -> &'static str {
    match state {
        "running" | "restarting" => "unchanged",
        "exited" | "created" | "paused" => "started",
        other => panic!("{other}"),
    }
}

#[test]
fn every_full_document_replayed_as_an_agent_gets_the_right_decision() {
    for row in rows().into_iter().filter(|r| r.get("doc") == "full") {
        let file = row.get("file");
        let text = std::fs::read_to_string(format!("{DIR}/{file}")).unwrap();
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let d = desired(ONE).remove(0);
        // The document becomes agent `coder-default` of project `p`: its
        // labels are fleet's, its name the agent's; nothing else changes.
        let c = &mut doc[0];
        c["Name"] = json!("/coder-default");
        c["Config"]["Labels"] = json!({
            "fleet.project": "p", "fleet.type": "coder", "fleet.instance": "1",
            "fleet.config-hash": d.hash,
        });
        let id = c["Id"].as_str().unwrap().to_string();
        let image = c["Image"].as_str().unwrap().to_string();
        let listing = format!(
            "{id}\tcoder-default\t{}\n",
            json!(format!(
                "fleet.project=p,fleet.type=coder,fleet.instance=1,fleet.config-hash={}",
                d.hash
            ))
        );
        let world = || {
            World::new(ONE)
                .expect_cmd(argv::list_all(), Ok(Output::ok(listing.clone())))
                .expect_cmd(
                    argv::inspect(&[id.as_str()]),
                    Ok(Output::ok(doc.to_string())),
                )
                .images(&[("agent:latest", image.as_str())])
        };
        // Readiness: a running container without a healthcheck of its own
        // or its image's is "running" (podman prints an empty State.Health
        // for it, which is no healthcheck).
        if row.get("expect") == "running" && doc[0]["Config"]["Healthcheck"].is_null() {
            let st = check(&["status", "--json"], world());
            let doc: Value = serde_json::from_str(&st.stdout).unwrap();
            let rows = &doc["agents"];
            assert_eq!(rows[0]["ready"], "running", "{file}: {}", rows[0]);
        }
        let r = check(&["plan", "--json"], world());
        assert_eq!(r.code, 0, "{file}: {r:?}");
        let plan: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            plan["actions"][0]["action"],
            decision(row.get("expect")),
            "{file}: {}",
            plan["actions"][0]
        );
    }
}

/// podman writes its default `PATH` into `Config.Env` of a container whose
/// image has no `Env` (fixtures/engines/podman-4.3.1-synthetic/): a key
/// neither the config nor the image gave, which a recreate's reason must
/// not call removed. Keys the config changed or dropped still are named.
#[test]
fn podmans_default_path_of_an_image_without_env_is_not_a_removed_key() {
    let dir = format!("{DIR}/podman-4.3.1-synthetic");
    let text = std::fs::read_to_string(format!("{dir}/running-image-without-env.json")).unwrap();
    let image: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/image-without-env.json")).unwrap(),
    )
    .unwrap();
    let image_id = image[0]["Id"].as_str().unwrap().to_string();
    // `{{.Id}}\t{{json .Config.Env}}` of that image.
    let image_line = format!("{image_id}\t{}\n", image[0]["Config"]["Env"]);
    assert_eq!(image_line, format!("{image_id}\tnull\n"));
    let d = desired(ONE).remove(0);
    let reason = |extra_env: &[&str]| {
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let c = &mut doc[0];
        assert_eq!(c["Image"], json!(image_id));
        c["Name"] = json!("/coder-default");
        c["Config"]["Image"] = json!(d.spec.image);
        // Made from an older config: another hash, ROLE's value other.
        c["Config"]["Labels"] = json!({
            "fleet.project": "p", "fleet.type": "coder", "fleet.instance": "1",
            "fleet.config-hash": "sha256:older",
        });
        let env = c["Config"]["Env"].as_array_mut().unwrap();
        env.extend(extra_env.iter().map(|kv| json!(kv)));
        let id = c["Id"].as_str().unwrap().to_string();
        let listing = format!(
            "{id}\tcoder-default\t{}\n",
            json!({"fleet.project": "p", "fleet.type": "coder", "fleet.instance": "1"})
        );
        let world = World::new(ONE)
            .expect_cmd(argv::list_all(), Ok(Output::ok(listing)))
            .expect_cmd(
                argv::inspect(&[id.as_str()]),
                Ok(Output::ok(doc.to_string())),
            )
            .expect_cmd(
                argv::image_inspect(&[d.spec.image.as_str()]),
                Ok(Output::ok(image_line.clone())),
            );
        let r = check(&["plan", "--json"], world);
        assert_eq!(r.code, 0, "{r:?}");
        let plan: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(plan["actions"][0]["action"], "recreated", "{}", plan);
        plan["actions"][0]["reason"].as_str().unwrap().to_string()
    };
    assert_eq!(
        reason(&["ROLE=old", "TOKEN=s3cr3t-value"]),
        "env ROLE changed"
    );
    assert_eq!(
        reason(&["ROLE=old", "TOKEN=s3cr3t-value", "GONE=x"]),
        "env ROLE changed, env GONE removed"
    );
}
