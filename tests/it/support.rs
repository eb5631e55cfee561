//! Shared test helpers: the test configs, configs from JSON text, and a
//! model of an existing container that renders the `docker inspect` JSON an
//! engine would print (the harness scripts the fake runner with it).

use std::path::Path;

use fleet::config::{Config, Desired};
use fleet::observe::{Actual, Image};
use fleet::snapshot::{ContainerSnapshot, parse_inspect};
use fleet::spec::{self, Memory};
use serde_json::json;

pub const IMG: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
pub const IMG2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// What every test config's image, `agent:latest`, resolves to.
pub const IMAGES: &[(&str, &str)] = &[("agent:latest", IMG)];

pub fn config(text: &str) -> Config {
    Config::parse(Path::new("agents.json"), text).expect("test config is valid")
}

/// A small fleet: `coder` ×3, `reviewer` ×1, project `p`.
pub const FLEET: &str = r#"{
  "project": "p",
  "defaults": { "image": "agent:latest", "command": ["sleep", "infinity"], "env": { "TZ": "UTC" } },
  "types": {
    "coder": { "instances": 3, "env": { "ROLE": "coder", "TOKEN": "s3cr3t-value" } },
    "reviewer": { "env": { "ROLE": "reviewer" } }
  }
}"#;

/// One agent, `coder-default` (project `p`), whose env holds a secret
/// (`TOKEN`) that must never show.
pub const ONE: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"env":{"ROLE":"coder","TOKEN":"s3cr3t-value"}}}}"#;

/// [`ONE`]'s container, running and matching.
pub fn one() -> Existing {
    Existing::matching(&desired(ONE)[0])
}

/// A container ID as docker makes them (64 hex digits), stable per seed.
pub fn hex_id(seed: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn desired(text: &str) -> Vec<Desired> {
    config(text).desired()
}

/// An existing container, as the engine would describe it.
#[derive(Clone, Debug)]
pub struct Existing {
    pub id: String,
    pub name: String,
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub image_id: String,
    pub image_ref: String,
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub status: &'static str,
    pub running: serde_json::Value,
    pub paused: bool,
    pub restarting: bool,
    pub dead: bool,
    pub exit_code: i64,
    pub exec_ids: Vec<String>,
    /// `HostConfig` and the `Config` fields beyond image, labels, env, cmd.
    pub host: serde_json::Value,
    pub workdir: String,
    pub user: String,
    pub entrypoint: Option<Vec<String>>,
    /// `Config.Healthcheck` as docker stores it, and `State.Health`.
    pub healthcheck: serde_json::Value,
    pub health: serde_json::Value,
    pub restart_count: i64,
    pub started_at: String,
}

impl Existing {
    /// A container that matches `d` exactly and runs.
    pub fn matching(d: &Desired) -> Existing {
        let mut labels = serde_json::Map::new();
        labels.insert("fleet.project".into(), json!(d.project));
        labels.insert("fleet.type".into(), json!(d.type_name));
        labels.insert("fleet.instance".into(), json!(d.instance.to_string()));
        labels.insert("fleet.config-hash".into(), json!(d.hash));
        for (k, v) in &d.spec.labels {
            labels.insert(k.clone(), json!(v));
        }
        let s = &d.spec;
        let host = json!({
            "Binds": if s.mounts.is_empty() { json!(null) } else { json!(s.mounts) },
            "RestartPolicy": { "Name": s.restart.as_str(), "MaximumRetryCount": 0 },
            "NetworkMode": s.network.clone().unwrap_or_else(|| "default".into()),
            "Memory": s.memory.as_ref().map_or(0, Memory::bytes),
            "NanoCpus": s.cpus.map_or(0, spec::nano_cpus),
            "Init": if s.init { json!(true) } else { json!(null) },
        });
        // What docker keeps of the spec's entrypoint and command.
        let launch = s.launch();
        let entrypoint = launch.inspect_program().map(|p| vec![p.to_string()]);
        let cmd = (launch.args).map(|a| a.into_iter().map(str::to_string).collect());
        let mut env: Vec<String> = d.spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        env.push("PATH=/bin".into());
        Existing {
            id: hex_id(&d.name),
            name: d.name.clone(),
            labels,
            image_id: IMG.into(),
            image_ref: d.spec.image.clone(),
            env,
            cmd,
            status: "running",
            running: json!(true),
            paused: false,
            restarting: false,
            dead: false,
            exit_code: 0,
            exec_ids: Vec::new(),
            host,
            workdir: s.workdir.clone().unwrap_or_default(),
            user: s.user.clone().unwrap_or_default(),
            entrypoint,
            healthcheck: stored_healthcheck(s),
            health: json!(null),
            restart_count: 0,
            started_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    /// `State.Health` with this status and a last probe's output.
    pub fn health(mut self, status: &str, output: &str) -> Self {
        self.health = json!({
            "Status": status,
            "FailingStreak": if status == "unhealthy" { 3 } else { 0 },
            "Log": [{ "ExitCode": if status == "healthy" { 0 } else { 1 }, "Output": output }]
        });
        self
    }

    pub fn restarts(mut self, n: i64) -> Self {
        self.restart_count = n;
        self
    }

    /// Running again after `n` restarts by its restart policy, the last
    /// one `secs_ago` seconds before now (this machine's clock, which the
    /// look is stamped with): a crash loop between two restarts.
    pub fn restarted_by_policy(mut self, n: i64, secs_ago: u64) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.restart_count = n;
        self.started_at = rfc3339(now - secs_ago);
        self
    }

    /// A container of another project or none, named `name`.
    pub fn foreign(name: &str, project: Option<&str>) -> Existing {
        let mut e = Existing::matching(&desired(FLEET)[0]);
        e.name = name.into();
        e.id = hex_id(&format!("foreign {name}"));
        e.labels.clear();
        if let Some(p) = project {
            e.labels.insert("fleet.project".into(), json!(p));
        }
        e
    }

    pub fn exited(mut self, code: i64) -> Self {
        self.status = "exited";
        self.running = json!(false);
        self.exit_code = code;
        self
    }
    pub fn created(mut self) -> Self {
        self.status = "created";
        self.running = json!(false);
        self
    }
    pub fn paused(mut self) -> Self {
        self.status = "paused";
        self.paused = true;
        self
    }
    pub fn dead(mut self) -> Self {
        self.status = "dead";
        self.running = json!(false);
        self.dead = true;
        self
    }
    pub fn restarting(mut self) -> Self {
        self.status = "restarting";
        self.restarting = true;
        self
    }
    pub fn execs(mut self, n: usize) -> Self {
        self.exec_ids = (0..n).map(|i| format!("exec{i}")).collect();
        self
    }
    pub fn no_hash(mut self) -> Self {
        self.labels.remove("fleet.config-hash");
        self
    }
    pub fn image_id(mut self, id: &str) -> Self {
        self.image_id = id.into();
        self
    }
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    pub fn project(&self) -> &str {
        self.labels
            .get("fleet.project")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "Id": self.id,
            "Name": format!("/{}", self.name),
            "Image": self.image_id,
            "State": {
                "Status": self.status, "Running": self.running, "Paused": self.paused,
                "Restarting": self.restarting, "OOMKilled": false, "Dead": self.dead,
                "Pid": 0, "ExitCode": self.exit_code, "StartedAt": self.started_at,
                "Health": self.health
            },
            "RestartCount": self.restart_count,
            "ExecIDs": if self.exec_ids.is_empty() { json!(null) } else { json!(self.exec_ids) },
            "Config": {
                "Image": self.image_ref, "Labels": self.labels, "Env": self.env, "Cmd": self.cmd,
                "Entrypoint": self.entrypoint, "WorkingDir": self.workdir, "User": self.user,
                "Healthcheck": self.healthcheck
            },
            "HostConfig": self.host
        })
    }

    pub fn snapshot(&self) -> ContainerSnapshot {
        let text = serde_json::to_string(&json!([self.to_json()])).unwrap();
        parse_inspect(&text).unwrap().remove(0)
    }
}

/// The engine's side for the pure planner: these containers, and every
/// image reference in `images` resolving to its ID.
pub fn actual(existing: &[Existing], images: &[(&str, &str)]) -> Actual {
    let mut containers: Vec<ContainerSnapshot> = existing.iter().map(Existing::snapshot).collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Actual {
        containers,
        images: images
            .iter()
            .map(|(r, id)| {
                (
                    r.to_string(),
                    Image {
                        id: id.to_string(),
                        env_keys: ["PATH".to_string()].into(),
                    },
                )
            })
            .collect(),
        lapsed_claims: Vec::new(),
    }
}

/// What `docker` says when the engine does not answer.
pub fn engine_down() -> fleet::docker::Output {
    fleet::docker::Output::fail(
        1,
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    )
}

/// `Config.Healthcheck` as docker stores what fleet passes for `s`.
pub fn stored_healthcheck(s: &fleet::config::Spec) -> serde_json::Value {
    let Some(h) = &s.healthcheck else {
        return json!(null);
    };
    let ns = |d: &Option<fleet::config::Duration>| d.as_ref().map_or(0, |d| d.nanos());
    json!({
        "Test": h.docker_test(),
        "Interval": ns(&h.interval),
        "Timeout": ns(&h.timeout),
        "StartPeriod": ns(&h.start_period),
        "Retries": h.retries.unwrap_or(0),
    })
}

/// Unix seconds as docker writes a time (`2026-01-01T00:00:00Z`), by
/// Howard Hinnant's `civil_from_days`.
pub fn rfc3339(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

#[test]
fn rfc3339_writes_docker_times() {
    assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_827_696), "2000-02-29T12:34:56Z");
}
