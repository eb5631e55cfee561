//! Swarm tests (issue 19, DESIGN.md "Swarm"): the `fleet` binary against a
//! real three-node Docker Swarm, the swarm rig (scripts/test-swarm.sh),
//! never the host's engine. scripts/test.sh starts the rig and exports its
//! facts (`FLEET_TEST_SWARM_*`, `FLEET_TEST_SWARM_NODEk_*`; node 1 the
//! manager, 2 and 3 workers, `fleet-demo:busybox` on every node); without
//! them the tests skip, unless `FLEET_ENGINE_TESTS=require`, where that is
//! a failure.
//!
//! Who uses the swarm. Any number of tests run on it at once, each with its
//! own project and its own type names (a service's name is the swarm's,
//! whatever the project), and removes its services, its lock config and any
//! plain container it made when it ends. The one test that kills a node
//! must have the swarm to itself: every test takes a file lock in the rig's
//! dir (`swarm.tests.lock`), shared ([`swarm`]) or exclusive
//! ([`swarm_alone`]), so under nextest and `cargo test`'s threads alike the
//! node-killing test runs with no other swarm test beside it.
//!
//! Every docker call and `fleet` run here gets an environment made here
//! (`env_clear`): PATH, HOME and DOCKER_CONFIG the test's own dir; the
//! config names each node's engine by its socket (`docker_host`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::Ran;

const NODES: usize = 3;
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// An agent whose PID 1 exits on SIGTERM (busybox `sleep` as PID 1 ignores
/// it, and each stop would cost Swarm's 10 s grace).
const COMMAND: &[&str] = &["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"];
/// The config's host names of nodes 1, 2, 3.
const HOSTS: [&str; NODES] = ["m1", "w1", "w2"];

/// One node of the rig, as scripts/test-swarm.sh describes it.
#[derive(Debug)]
pub struct Node {
    /// `unix://…/docker.sock`.
    pub docker_host: String,
    /// Its hostname (what `service ps` and fleet's host column show).
    pub name: String,
    /// Its swarm node ID.
    pub id: String,
    pub role: String,
}

/// The rig's facts, read once per test process.
#[derive(Debug)]
pub struct Rig {
    pub dir: PathBuf,
    pub data: PathBuf,
    pub image: String,
    /// Index 0 is node 1 (the manager).
    pub nodes: Vec<Node>,
}

fn fact(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name} is not set (bash scripts/test-swarm.sh start prints it)"))
}

fn system_path() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| SYSTEM_PATH.into())
}

/// `docker` on one node's socket, nothing of the caller's environment but
/// PATH; no config or context of anyone's applies.
fn plain_docker(docker_host: &str, home: &Path) -> Command {
    let mut c = Command::new("docker");
    c.env_clear()
        .env("PATH", system_path())
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("DOCKER_HOST", docker_host);
    c
}

impl Rig {
    /// The facts from the environment: `Ok(None)` without
    /// `FLEET_TEST_SWARM_DIR`, an error when some are missing or wrong.
    fn from_env() -> Result<Option<Rig>, String> {
        let Ok(dir) = fact("FLEET_TEST_SWARM_DIR") else {
            return Ok(None);
        };
        let n: usize = fact("FLEET_TEST_SWARM_NODES")?
            .parse()
            .map_err(|_| "FLEET_TEST_SWARM_NODES: not a number".to_string())?;
        if n < NODES {
            return Err(format!(
                "the swarm rig in {dir} has {n} nodes; the swarm tests need {NODES}"
            ));
        }
        let nodes = (1..=NODES)
            .map(|k| {
                let f = |what: &str| fact(&format!("FLEET_TEST_SWARM_NODE{k}_{what}"));
                Ok(Node {
                    docker_host: f("DOCKER_HOST")?,
                    name: f("NAME")?,
                    id: f("ID")?,
                    role: f("ROLE")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if nodes[0].role != "manager" || nodes[1..].iter().any(|n| n.role != "worker") {
            return Err(format!(
                "the swarm rig's roles are {:?}; the tests expect node 1 the manager, 2 and 3 workers",
                nodes.iter().map(|n| &n.role).collect::<Vec<_>>()
            ));
        }
        if fact("FLEET_TEST_SWARM_DOCKER_HOST")? != nodes[0].docker_host {
            return Err("FLEET_TEST_SWARM_DOCKER_HOST is not node 1's socket".into());
        }
        Ok(Some(Rig {
            dir: dir.into(),
            data: fact("FLEET_TEST_SWARM_DATA")?.into(),
            image: fact("FLEET_TEST_SWARM_IMAGE")?,
            nodes,
        }))
    }

    /// Every node answers as its swarm node, active, with the image; the
    /// manager sees all of them Ready.
    fn check(&self) -> Result<(), String> {
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        for (i, n) in self.nodes.iter().enumerate() {
            let run = |args: &[&str]| {
                plain_docker(&n.docker_host, home.path())
                    .args(args)
                    .output()
                    .map_err(|err| format!("could not run docker: {err}"))
            };
            let info = run(&[
                "info",
                "--format",
                "{{.Name}} {{.Swarm.NodeID}} {{.Swarm.LocalNodeState}}",
            ])?;
            let got = String::from_utf8_lossy(&info.stdout).trim().to_string();
            let want = format!("{} {} active", n.name, n.id);
            if !info.status.success() || got != want {
                return Err(format!(
                    "the swarm rig's node {} ({}) does not answer as `{want}`: {got}{}",
                    i + 1,
                    n.docker_host,
                    String::from_utf8_lossy(&info.stderr).trim()
                ));
            }
            if !run(&["image", "inspect", &self.image])?.status.success() {
                return Err(format!(
                    "the swarm rig's node {} lacks {} (scripts/test-swarm.sh start loads it)",
                    i + 1,
                    self.image
                ));
            }
        }
        let ls = plain_docker(&self.nodes[0].docker_host, home.path())
            .args(["node", "ls", "--format", "{{.ID}} {{.Status}}"])
            .output()
            .map_err(|e| e.to_string())?;
        let ls = String::from_utf8_lossy(&ls.stdout).into_owned();
        for n in &self.nodes {
            if !ls.lines().any(|l| l == format!("{} Ready", n.id)) {
                return Err(format!(
                    "the swarm's manager does not see node {} Ready: {ls}",
                    n.name
                ));
            }
        }
        Ok(())
    }
}

fn facts() -> &'static Result<Option<Rig>, String> {
    static RIG: OnceLock<Result<Option<Rig>, String>> = OnceLock::new();
    RIG.get_or_init(Rig::from_env)
}

fn the_rig(test: &str) -> Option<&'static Rig> {
    match facts() {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            let required = std::env::var("FLEET_ENGINE_TESTS").is_ok_and(|v| v == "require");
            assert!(
                !required,
                "FLEET_ENGINE_TESTS=require but the swarm rig's facts (FLEET_TEST_SWARM_DIR, …) \
                 are not set; run bash scripts/test.sh (or bash scripts/test-swarm.sh start and \
                 export what it prints)"
            );
            eprintln!(
                "skipping {test}: the swarm rig is not running (bash scripts/test.sh starts it)"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// The test's project on the swarm, beside other tests', or `None` to skip.
pub fn swarm(test: &str) -> Option<Swarm> {
    let rig = the_rig(test)?;
    let lock = File::create(rig.dir.join("swarm.tests.lock")).expect("the swarm rig's dir");
    lock.lock_shared().expect("locking the swarm (shared)");
    Some(Swarm::on(rig, test, lock))
}

/// The same, with the swarm to itself (no other swarm test runs): for the
/// test that kills a node.
pub fn swarm_alone(test: &str) -> Option<Swarm> {
    let rig = the_rig(test)?;
    let lock = File::create(rig.dir.join("swarm.tests.lock")).expect("the swarm rig's dir");
    lock.lock().expect("locking the swarm (exclusive)");
    Some(Swarm::on(rig, test, lock))
}

/// One test's project on the swarm: its config dir, its lock dir, its
/// services (removed at both ends).
pub struct Swarm {
    pub rig: &'static Rig,
    pub project: String,
    /// Type names start with this, so service names are unique per test.
    pub prefix: String,
    pub dir: tempfile::TempDir,
    /// Nodes killed and not started again yet (started again on drop).
    killed: RefCell<Vec<usize>>,
    /// Nodes whose availability this test changed (set back on drop).
    paused: RefCell<Vec<usize>>,
    /// The shared or exclusive hold on the swarm, for the test's life.
    _hold: File,
}

/// One service as `service inspect` shows it.
#[derive(Clone, Debug)]
pub struct Service {
    pub labels: BTreeMap<String, String>,
    pub container_labels: BTreeMap<String, String>,
    pub replicas: Option<u64>,
    pub version: u64,
    pub updated_at: String,
    pub constraints: Vec<String>,
}

/// A service's task Swarm wants running (`service ps`).
#[derive(Clone, Debug)]
pub struct Task {
    pub node: String,
    pub current: String,
}

impl Task {
    pub fn running(&self) -> bool {
        self.current.starts_with("Running")
    }
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

impl Swarm {
    fn on(rig: &'static Rig, test: &str, hold: File) -> Swarm {
        if let Err(e) = rig.check() {
            panic!("{e}");
        }
        let prefix = format!("s{}{}", std::process::id(), test);
        let s = Swarm {
            rig,
            project: format!("{prefix}-project"),
            prefix,
            dir: tempfile::tempdir().unwrap(),
            killed: Default::default(),
            paused: Default::default(),
            _hold: hold,
        };
        s.cleanup();
        s
    }

    pub fn node(&self, k: usize) -> &'static Node {
        &self.rig.nodes[k - 1]
    }

    /// The node (1-based) whose hostname is `name`.
    pub fn node_named(&self, name: &str) -> usize {
        (self.rig.nodes.iter().position(|n| n.name == name))
            .unwrap_or_else(|| panic!("no node of the rig is called {name}"))
            + 1
    }

    pub fn t(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    pub fn lock_name(&self) -> String {
        format!("{}.fleet-lock", self.project)
    }

    fn hosts(&self) -> Value {
        let mut h = serde_json::Map::new();
        for (k, name) in HOSTS.iter().enumerate() {
            h.insert(
                name.to_string(),
                json!({ "docker_host": self.node(k + 1).docker_host }),
            );
        }
        Value::Object(h)
    }

    /// Writes `file` in the test's dir: the three nodes as hosts m1, w1,
    /// w2, with `"swarm": {"manager": "m1"}` when `swarm`; `types` with
    /// short names (prefixed here); defaults: the rig's image, host
    /// network, a command that exits on SIGTERM.
    pub fn config_file(&self, file: &str, swarm: bool, types: Value) -> PathBuf {
        let t: serde_json::Map<String, Value> = (types.as_object().unwrap().iter())
            .map(|(k, v)| (self.t(k), v.clone()))
            .collect();
        let mut doc = json!({
            "project": self.project,
            "hosts": self.hosts(),
            "defaults": { "image": self.rig.image, "network": "host", "command": COMMAND },
            "types": t,
        });
        if swarm {
            doc["swarm"] = json!({ "manager": "m1" });
        }
        let path = self.dir.path().join(file);
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        path
    }

    /// The swarm config, as `agents.json`.
    pub fn config(&self, types: Value) -> PathBuf {
        self.config_file("agents.json", true, types)
    }

    /// `fleet -c <config> ARGS`: the test's environment, a 60 s docker
    /// timeout and the test's own lock dir (`lock` under its dir).
    pub fn fleet_with(&self, config: &Path, args: &[&str]) -> Command {
        self.fleet_locked(config, &self.dir.path().join("lock"), args)
    }

    /// The same with lock dir `locks` (the machine-local lock).
    pub fn fleet_locked(&self, config: &Path, locks: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fleet"));
        std::fs::create_dir_all(locks).unwrap();
        c.env_clear()
            .env("PATH", system_path())
            .env("HOME", self.dir.path())
            .env("DOCKER_CONFIG", self.dir.path().join(".docker"))
            .env("NO_COLOR", "1")
            .env("FLEET_TIMEOUT", "60")
            .env("FLEET_LOCK_DIR", locks)
            .arg("-c")
            .arg(config)
            .args(args);
        c
    }

    pub fn fleet(&self, args: &[&str]) -> Ran {
        let c = self.dir.path().join("agents.json");
        Ran::of_process(self.fleet_with(&c, args).output().unwrap())
    }

    /// `fleet --json ARGS`: the run and its document (`Null` when stdout
    /// is not JSON).
    pub fn fleet_json(&self, args: &[&str]) -> (Ran, Value) {
        let mut full = vec!["--json"];
        full.extend(args);
        let r = self.fleet(&full);
        let doc = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        (r, doc)
    }

    /// `docker ARGS` on node `k`'s engine.
    pub fn docker_cmd(&self, k: usize, args: &[&str]) -> Command {
        let mut c = plain_docker(&self.node(k).docker_host, self.dir.path());
        c.args(args);
        c
    }

    /// Runs `docker ARGS` on node `k`; panics unless it succeeds.
    pub fn docker(&self, k: usize, args: &[&str]) -> String {
        let o = self.docker_cmd(k, args).output().unwrap();
        assert!(
            o.status.success(),
            "docker {args:?} on node {k}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The project's services by name (`service inspect` on the manager).
    pub fn services(&self) -> BTreeMap<String, Service> {
        let filter = format!("label=fleet.project={}", self.project);
        let ids = self.docker(1, &["service", "ls", "-q", "--filter", &filter]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let mut args = vec!["service", "inspect"];
        args.extend(&ids);
        let doc: Value = serde_json::from_str(&self.docker(1, &args)).unwrap();
        (doc.as_array().unwrap().iter())
            .map(|s| {
                let spec = &s["Spec"];
                let name = spec["Name"].as_str().unwrap().to_string();
                let svc = Service {
                    labels: labels_of(&spec["Labels"]),
                    container_labels: labels_of(&spec["TaskTemplate"]["ContainerSpec"]["Labels"]),
                    replicas: spec["Mode"]["Replicated"]["Replicas"].as_u64(),
                    version: s["Version"]["Index"].as_u64().unwrap(),
                    updated_at: s["UpdatedAt"].as_str().unwrap_or("").to_string(),
                    constraints: (spec["TaskTemplate"]["Placement"]["Constraints"].as_array())
                        .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect())
                        .unwrap_or_default(),
                };
                (name, svc)
            })
            .collect()
    }

    /// The task Swarm wants running for service `name`, if any.
    pub fn task(&self, name: &str) -> Option<Task> {
        let out = self.docker(
            1,
            &[
                "service",
                "ps",
                "--no-trunc",
                "--filter",
                "desired-state=running",
                "--format",
                "{{json .}}",
                name,
            ],
        );
        let line = out.lines().find(|l| !l.trim().is_empty())?;
        let t: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| t[k].as_str().unwrap_or("").to_string();
        Some(Task {
            node: s("Node"),
            current: s("CurrentState"),
        })
    }

    /// Service `name`'s running container: (node, container ID), read on
    /// each live node's engine.
    pub fn container(&self, name: &str) -> Option<(usize, String)> {
        let filter = format!("label=com.docker.swarm.service.name={name}");
        (1..=NODES)
            .filter(|k| !self.killed.borrow().contains(k))
            .find_map(|k| {
                let out = self.docker(k, &["ps", "-q", "--no-trunc", "--filter", &filter]);
                out.split_whitespace().next().map(|id| (k, id.to_string()))
            })
    }

    /// Until every service in `names` has its task Running, and a running
    /// container on a node's engine (bounded).
    pub fn wait_running(&self, names: &[String], secs: u64) {
        wait_for(&format!("{names:?} to run"), secs, || {
            for n in names {
                match self.task(n) {
                    Some(t) if t.running() => {}
                    t => return Err(format!("{n}: {t:?}")),
                }
                if self.container(n).is_none() {
                    return Err(format!("{n}: no running container on any node"));
                }
            }
            Ok(())
        });
    }

    /// `sh -c SCRIPT` in service `name`'s container, on its node.
    pub fn exec(&self, name: &str, script: &str) -> String {
        let (k, id) = self
            .container(name)
            .unwrap_or_else(|| panic!("{name} has no running container"));
        self.docker(k, &["exec", &id, "sh", "-c", script])
    }

    /// Live exec sessions of a container on node `k`.
    pub fn exec_ids(&self, k: usize, id: &str) -> usize {
        let out = self.docker(k, &["inspect", "--format", "{{json .ExecIDs}}", id]);
        serde_json::from_str::<Value>(out.trim())
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0)
    }

    /// The project's plain containers (not a swarm task) on node `k`, by name.
    pub fn plain(&self, k: usize) -> Vec<String> {
        let filter = format!("label=fleet.project={}", self.project);
        let out = self.docker(
            k,
            &[
                "ps",
                "-a",
                "--filter",
                &filter,
                "--format",
                "{{.Names}}\t{{.Label \"com.docker.swarm.service.name\"}}",
            ],
        );
        let mut v: Vec<String> = (out.lines())
            .filter_map(|l| l.split_once('\t'))
            .filter(|(_, svc)| svc.is_empty())
            .map(|(n, _)| n.to_string())
            .collect();
        v.sort();
        v
    }

    /// Whether the swarm holds the project's lock config.
    pub fn locked(&self) -> bool {
        self.docker_cmd(1, &["config", "inspect", &self.lock_name()])
            .output()
            .unwrap()
            .status
            .success()
    }

    fn cleanup(&self) {
        let quiet = |k: usize, args: &[&str]| {
            self.docker_cmd(k, args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()
        };
        let out = |k: usize, args: &[&str]| {
            self.docker_cmd(k, args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let filter = format!("label=fleet.project={}", self.project);
        let ids = out(1, &["service", "ls", "-q", "--filter", &filter]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(&ids);
            quiet(1, &args);
        }
        quiet(1, &["config", "rm", &self.lock_name()]);
        for k in 1..=NODES {
            if self.killed.borrow().contains(&k) {
                continue;
            }
            // Plain containers of the project (the switch test) and a
            // plain run's engine lock; tasks go with their services.
            let plain = out(k, &["ps", "-aq", "--filter", &filter]);
            let mut args = vec!["rm", "-f"];
            args.extend(plain.split_whitespace());
            if args.len() > 2 {
                quiet(k, &args);
            }
            quiet(k, &["rm", "-f", &self.lock_name()]);
        }
    }

    fn rig_script(&self, verb: &str, k: usize) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-swarm.sh");
        let o = Command::new("bash")
            .arg(script)
            .arg(verb)
            .arg(k.to_string())
            .env_clear()
            .env("PATH", system_path())
            .env("HOME", self.dir.path())
            .env("FLEET_TEST_SWARM_DIR", &self.rig.dir)
            .env("FLEET_TEST_SWARM_DATA", &self.rig.data)
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/test-swarm.sh {verb} {k} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
    }

    /// SIGKILLs node `k` as a power cut does; only with [`swarm_alone`].
    /// The drop starts it again.
    pub fn kill_node(&self, k: usize) {
        self.killed.borrow_mut().push(k);
        self.rig_script("kill-node", k).unwrap();
    }

    fn try_restart_node(&self, k: usize) -> Result<(), String> {
        self.rig_script("restart-node", k)?;
        self.killed.borrow_mut().retain(|&x| x != k);
        Ok(())
    }

    pub fn restart_node(&self, k: usize) {
        self.try_restart_node(k).unwrap();
    }

    /// Node `k`'s availability (`active`, `pause`, `drain`); only with
    /// [`swarm_alone`]; set back to `active` on drop.
    pub fn availability(&self, k: usize, what: &str) {
        if what != "active" {
            self.paused.borrow_mut().push(k);
        }
        let id = &self.node(k).id;
        self.docker(1, &["node", "update", "--availability", what, id]);
        if what == "active" {
            self.paused.borrow_mut().retain(|&x| x != k);
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        let killed: Vec<usize> = self.killed.borrow().clone();
        for k in killed {
            if let Err(e) = self.try_restart_node(k) {
                eprintln!("node {k} did not start again after the test: {e}");
            }
        }
        let paused: Vec<usize> = self.paused.borrow().clone();
        for k in paused {
            let id = &self.node(k).id;
            let _ = self
                .docker_cmd(1, &["node", "update", "--availability", "active", id])
                .output();
        }
        self.cleanup();
    }
}

/// Waits up to `secs` for `ready` (polling), which says what it sees while
/// not ready; panics with `what` and the last of that after.
pub fn wait_for(what: &str, secs: u64, mut ready: impl FnMut() -> Result<(), String>) {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let seen = match ready() {
            Ok(()) => return,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < end,
            "gave up after {secs}s waiting for {what}; last seen: {seen}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The `+ docker …` lines of a `-v` run's stderr.
fn docker_lines(r: &Ran) -> Vec<&str> {
    (r.stderr.lines())
        .filter(|l| l.starts_with("+ docker "))
        .collect()
}

/// A `+ docker --host H VERB…` line's host and its docker subcommand
/// (`service ls`, `image inspect`, `info`, …).
fn host_and_verb(line: &str) -> (String, String) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (host, rest) = match words.get(2) {
        Some(&"--host") | Some(&"-H") => (words[3].to_string(), &words[4..]),
        _ => (String::new(), &words[2..]),
    };
    let two_word = ["service", "image", "node", "config", "container"];
    let verb = match rest {
        [a, b, ..] if two_word.contains(a) => format!("{a} {b}"),
        [a, ..] => a.to_string(),
        [] => String::new(),
    };
    (host, verb)
}

/// A bucket of a sync/plan document, sorted.
fn bucket(doc: &Value, name: &str) -> Vec<String> {
    let mut v: Vec<String> = (doc[name].as_array())
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x["name"].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn random_secret() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("s3cr3t-{:x}{}", n, std::process::id())
}

/// 4 unconstrained agents, 1 pinned to w2 (node 3), 1 constrained to a
/// worker: one `sync --wait` creates a service of one replica each, named
/// as the agent, running where it must, its container's hostname the
/// agent's name, fleet's labels on service and container.
#[test]
fn cold_sync_creates_one_service_per_agent() {
    let Some(s) = swarm("cold") else { return };
    s.config(json!({
        "free": { "instances": 4 },
        "pin": { "hosts": ["w2"] },
        "wk": { "constraints": ["node.role==worker"] },
    }));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let free: Vec<String> = ["default", "2", "3", "4"]
        .iter()
        .map(|i| format!("{}-{i}", s.t("free")))
        .collect();
    let (pin, wk) = (
        format!("{}-default", s.t("pin")),
        format!("{}-default", s.t("wk")),
    );
    let mut all = free.clone();
    all.extend([pin.clone(), wk.clone()]);
    let services = s.services();
    assert_eq!(
        services.keys().cloned().collect::<Vec<_>>(),
        sorted(all.clone()),
        "{r:?}"
    );
    for name in &all {
        let svc = &services[name];
        assert_eq!(svc.replicas, Some(1), "{name}: {svc:?}");
        let t = s.task(name).unwrap_or_else(|| panic!("{name}: no task"));
        assert!(t.running(), "{name}: {t:?}");
        let (k, id) = s.container(name).expect("a running container");
        assert_eq!(s.node(k).name, t.node, "{name}: container on node {k}");
        let hostname = s.docker(k, &["exec", &id, "cat", "/proc/sys/kernel/hostname"]);
        assert_eq!(hostname.trim(), name, "{name}'s hostname");
        let inspect: Value =
            serde_json::from_str(&s.docker(k, &["inspect", &id])).expect("inspect JSON");
        let clabels = labels_of(&inspect[0]["Config"]["Labels"]);
        let instance = if name.ends_with("-default") {
            "1".to_string()
        } else {
            name.rsplit('-').next().unwrap().to_string()
        };
        for labels in [&svc.labels, &clabels] {
            assert_eq!(labels.get("fleet.project"), Some(&s.project), "{name}");
            assert_eq!(labels.get("fleet.instance"), Some(&instance), "{name}");
            assert!(
                labels
                    .get("fleet.config-hash")
                    .is_some_and(|h| h.starts_with("sha256:")),
                "{name}: {labels:?}"
            );
            assert!(labels.contains_key("fleet.type"), "{name}: {labels:?}");
        }
        assert_eq!(
            clabels.get("fleet.config-hash"),
            svc.labels.get("fleet.config-hash")
        );
    }
    let pinned = s.task(&pin).unwrap();
    assert_eq!(pinned.node, s.node(3).name, "the agent pinned to w2");
    assert_eq!(
        services[&pin].constraints,
        vec![format!("node.id=={}", s.node(3).id)]
    );
    assert_eq!(services[&wk].constraints, vec!["node.role==worker"]);
    let worker = s.task(&wk).unwrap();
    assert_ne!(worker.node, s.node(1).name, "the worker-constrained agent");
    assert_eq!(s.node(s.node_named(&worker.node)).role, "worker");
    assert!(!s.locked(), "the lock config is left");
    // And the run's own words: every agent created.
    let (r, doc) = s.fleet_json(&["status"]);
    assert_eq!(r.code, 0, "{r:?}");
    let running: Vec<String> = (doc["agents"].as_array().unwrap().iter())
        .filter(|a| a["state"] == "running")
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(running), sorted(all), "{doc}");
}

/// A sync with nothing to do makes the manager's fixed reads and nothing
/// else: the same five calls for 2 agents as for 6.
#[test]
fn a_no_op_sync_makes_a_fixed_number_of_manager_calls() {
    let Some(two) = swarm("noop2") else { return };
    let Some(six) = swarm("noop6") else { return };
    let mut seen = Vec::new();
    for (s, n) in [(&two, 2), (&six, 6)] {
        s.config(json!({ "a": { "instances": n } }));
        let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
        assert_eq!(r.code, 0, "{r:?}");
        let r = s.fleet(&["-v", "sync"]);
        assert_eq!(r.code, 0, "{r:?}");
        let lines = docker_lines(&r);
        let manager = &s.node(1).docker_host;
        let mut verbs: Vec<String> = Vec::new();
        for l in &lines {
            let (host, verb) = host_and_verb(l);
            assert_eq!(&host, manager, "a call not on the manager: {l}\n{r:?}");
            verbs.push(verb);
        }
        verbs.sort();
        assert_eq!(
            verbs,
            [
                "image inspect",
                "node ls",
                "service inspect",
                "service ls",
                "service ps"
            ],
            "{n} agents: {r:?}"
        );
        for bad in [
            "create", " update ", " rm ", "scale", "config ", " run ", " exec ",
        ] {
            assert!(
                !lines.iter().any(|l| l.contains(bad)),
                "{bad:?} in a no-op sync: {r:?}"
            );
        }
        seen.push(lines.len());
    }
    assert_eq!(seen[0], seen[1], "the calls grew with the agents");
}

/// Drift of one type (an env value): only its services are updated, the
/// value shows on no argv and in no output, and the container sees it.
#[test]
fn drift_of_one_type_updates_only_its_services() {
    let Some(s) = swarm("drift") else { return };
    let old = random_secret();
    let types = |v: &str| {
        json!({
            "d": { "instances": 2, "env": { "KEY": v } },
            "k": { "env": { "KEY": "steady" } },
        })
    };
    s.config(types(&old));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let before = s.services();
    let d = [format!("{}-default", s.t("d")), format!("{}-2", s.t("d"))];
    let k = format!("{}-default", s.t("k"));
    let new = random_secret();
    assert_ne!(old, new);
    s.config(types(&new));
    let r = s.fleet(&["-v", "sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    for secret in [&old, &new] {
        assert!(
            !r.stdout.contains(secret.as_str()) && !r.stderr.contains(secret.as_str()),
            "an env value in -v or text output: {r:?}"
        );
    }
    assert!(
        docker_lines(&r)
            .iter()
            .any(|l| l.contains("service update")),
        "{r:?}"
    );
    let after = s.services();
    for n in &d {
        assert_ne!(
            after[n].labels["fleet.config-hash"], before[n].labels["fleet.config-hash"],
            "{n} was not updated"
        );
        assert_eq!(
            after[n].container_labels.get("fleet.config-hash"),
            after[n].labels.get("fleet.config-hash")
        );
    }
    assert_eq!(after[&k].version, before[&k].version, "{k} was touched");
    assert_eq!(
        after[&k].updated_at, before[&k].updated_at,
        "{k} was touched"
    );
    assert_eq!(
        after[&k].labels["fleet.config-hash"],
        before[&k].labels["fleet.config-hash"]
    );
    s.wait_running(&d, 60);
    for n in &d {
        assert_eq!(s.exec(n, "echo $KEY").trim(), new, "{n}'s env");
    }
    // The JSON of a sync says nothing of the value either.
    let (r, doc) = s.fleet_json(&["sync"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.stdout.contains(&new) && !r.stderr.contains(&new),
        "{r:?}"
    );
    assert_eq!(bucket(&doc, "unchanged").len(), 3, "{doc}");
}

/// A busy agent (a live `docker exec` on its node) is deferred while the
/// others of its type are updated; once the session ends, the next sync
/// updates it.
#[test]
fn a_busy_agent_is_deferred_and_updated_once_idle() {
    let Some(s) = swarm("busy") else { return };
    let types = |v: &str| json!({ "b": { "instances": 2, "env": { "V": v } } });
    s.config(types("one"));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let (busy, idle) = (format!("{}-default", s.t("b")), format!("{}-2", s.t("b")));
    let (k, id) = s.container(&busy).expect("the busy agent's container");
    // Its pid kept in the container, to end it from inside (the image has
    // no pkill).
    s.docker(
        k,
        &[
            "exec",
            "-d",
            &id,
            "sh",
            "-c",
            "echo $$ > /busy.pid; exec sleep 347",
        ],
    );
    wait_for("the exec session to show", 10, || {
        let n = s.exec_ids(k, &id);
        if n > 0 { Ok(()) } else { Err(format!("{n}")) }
    });
    let before = s.services();
    s.config(types("two"));
    let (r, doc) = s.fleet_json(&["sync"]);
    assert_eq!(r.code, 0, "deferral is by design: {r:?}");
    assert_eq!(bucket(&doc, "deferred"), vec![busy.clone()], "{doc}");
    assert_eq!(bucket(&doc, "recreated"), vec![idle.clone()], "{doc}");
    let reason = (doc["actions"].as_array().unwrap().iter())
        .find(|a| a["name"] == busy.as_str())
        .map(|a| a["reason"].as_str().unwrap_or("").to_string())
        .unwrap();
    assert!(reason.contains("live exec session"), "{reason}");
    let after = s.services();
    assert_eq!(
        after[&busy].version, before[&busy].version,
        "the busy one was touched"
    );
    assert_ne!(
        after[&idle].labels["fleet.config-hash"],
        before[&idle].labels["fleet.config-hash"]
    );
    // The session ends: the sleep is killed from inside.
    s.docker(k, &["exec", &id, "sh", "-c", "kill $(cat /busy.pid)"]);
    wait_for("the exec sessions to end", 30, || {
        let n = s.exec_ids(k, &id);
        if n == 0 { Ok(()) } else { Err(format!("{n}")) }
    });
    let (r, doc) = s.fleet_json(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "recreated"), vec![busy.clone()], "{doc}");
    let now = s.services();
    assert_eq!(
        now[&busy].labels["fleet.config-hash"],
        now[&idle].labels["fleet.config-hash"]
    );
    assert_eq!(s.exec(&busy, "echo $V").trim(), "two");
}

/// An update whose new task fails is rolled back by Swarm: `sync` exits
/// 1 with Swarm's words, and the agent still runs its previous spec.
#[test]
fn a_failing_update_is_rolled_back() {
    let Some(s) = swarm("rollback") else { return };
    s.config(json!({ "r": {} }));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let name = format!("{}-default", s.t("r"));
    let before = s.services();
    s.config(json!({ "r": { "command": ["sh", "-c", "exit 3"] } }));
    let r = s.fleet(&["sync"]);
    assert_eq!(r.code, 1, "{r:?}");
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("rolled the update back"), "{r:?}");
    assert!(all.contains("non-zero exit (3)"), "{r:?}");
    let after = s.services();
    assert_eq!(
        after[&name].labels["fleet.config-hash"], before[&name].labels["fleet.config-hash"],
        "the rolled-back service's hash label"
    );
    s.wait_running(std::slice::from_ref(&name), 60);
    // Its PID 1 is the previous command's.
    let cmdline = s.exec(&name, "cat /proc/1/cmdline");
    assert!(cmdline.contains("trap 'exit 0' TERM"), "{cmdline:?}");
    assert!(!s.locked(), "the lock config is left");
}

/// `fleet down` scales every service to 0, sparing a busy one unless
/// `--force`; `fleet up --wait` brings them all back.
#[test]
fn down_scales_to_zero_and_up_brings_them_back() {
    let Some(s) = swarm("downup") else { return };
    s.config(json!({ "u": { "instances": 3 } }));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let names: Vec<String> = ["default", "2", "3"]
        .iter()
        .map(|i| format!("{}-{i}", s.t("u")))
        .collect();
    let busy = &names[0];
    let (k, id) = s.container(busy).unwrap();
    s.docker(k, &["exec", "-d", &id, "sleep", "348"]);
    wait_for("the exec session to show", 10, || {
        let n = s.exec_ids(k, &id);
        if n > 0 { Ok(()) } else { Err(format!("{n}")) }
    });
    let (r, doc) = s.fleet_json(&["down"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "skipped"), vec![busy.clone()], "{doc}");
    assert_eq!(bucket(&doc, "done"), names[1..].to_vec(), "{doc}");
    let svcs = s.services();
    assert_eq!(svcs[busy].replicas, Some(1));
    for n in &names[1..] {
        assert_eq!(svcs[n].replicas, Some(0), "{n}");
    }
    let (r, doc) = s.fleet_json(&["down", "--force"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "done"), vec![busy.clone()], "{doc}");
    assert!(
        s.services().values().all(|v| v.replicas == Some(0)),
        "{:?}",
        s.services()
    );
    let (r, doc) = s.fleet_json(&["up", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "done"), sorted(names.clone()), "{doc}");
    assert!(s.services().values().all(|v| v.replicas == Some(1)));
    for n in &names {
        let t = s.task(n).unwrap_or_else(|| panic!("{n}: no task"));
        assert!(t.running(), "{n}: {t:?}");
    }
    let r = s.fleet(&["sync"]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// The lock lives in the swarm: while a live process holds the project's
/// lock config, `sync` waits, fails with a lock error and changes nothing;
/// once it is gone, `sync` goes on. Two runs at once (each its own
/// machine-local lock dir) never interleave: one makes every change.
#[test]
fn runs_exclude_each_other_through_the_swarm_lock() {
    let Some(s) = swarm("lock") else { return };
    s.config(json!({ "l": { "instances": 3 } }));
    let names: Vec<String> = ["default", "2", "3"]
        .iter()
        .map(|i| format!("{}-{i}", s.t("l")))
        .collect();
    // A holder that runs on this machine, as fleet's labels describe one.
    let mut holder = Command::new("sleep").arg("120").spawn().unwrap();
    let pid = holder.id();
    let start = fleet::engine_lock::process_start_time(pid).expect("the holder's start time");
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let labels = [
        format!("fleet.lock={}", s.project),
        format!("fleet.lock.holder=test@here pid {pid}"),
        "fleet.lock.machine=test".to_string(),
        format!("fleet.lock.pid-ns={}/{}", boot.trim(), ns.display()),
        format!("fleet.lock.pid={pid}"),
        format!("fleet.lock.pid-start={start}"),
        "fleet.lock.lease=3600".to_string(),
        "fleet.lock.host=m1".to_string(),
    ];
    let mut args = vec!["config".to_string(), "create".to_string()];
    for l in &labels {
        args.push("--label".into());
        args.push(l.clone());
    }
    args.push(s.lock_name());
    args.push("-".into());
    let mut create = s.docker_cmd(1, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut child = create
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"held by a test\n")
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = s.fleet(&["sync", "--lock-wait", "1"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("lock"), "not a lock error: {r:?}");
    assert!(r.stderr.contains(&format!("pid {pid}")), "{r:?}");
    assert!(s.services().is_empty(), "changed while locked: {r:?}");
    s.docker(1, &["config", "rm", &s.lock_name()]);
    // Two runs at once, each with its own machine-local lock.
    let config = s.dir.path().join("agents.json");
    let spawn = |n: usize| -> Child {
        s.fleet_locked(
            &config,
            &s.dir.path().join(format!("lock{n}")),
            &["--json", "sync", "--lock-wait", "120"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (a, b) = (spawn(1), spawn(2));
    let runs: Vec<(Ran, Value)> = [a, b]
        .into_iter()
        .map(|c| {
            let r = Ran::of_process(c.wait_with_output().unwrap());
            let doc = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
            (r, doc)
        })
        .collect();
    for (r, _) in &runs {
        assert_eq!(r.code, 0, "{r:?}");
    }
    let mut created: Vec<Vec<String>> = runs.iter().map(|(_, d)| bucket(d, "created")).collect();
    created.sort();
    assert_eq!(
        created,
        vec![Vec::<String>::new(), sorted(names.clone())],
        "the runs' changes interleaved: {runs:?}"
    );
    assert_eq!(
        s.services().keys().cloned().collect::<Vec<_>>(),
        sorted(names)
    );
    assert!(!s.locked(), "the lock config is left");
}

/// Plain → swarm: the same types run first as plain containers on the
/// node engines (no `swarm`); `plan` with the swarm config lists them as
/// removals and the services as creations; `sync` makes it so.
#[test]
fn a_switch_from_plain_hosts_to_the_swarm() {
    let Some(s) = swarm("switch") else { return };
    let types = json!({
        "p": { "instances": 2, "hosts": ["w1", "w2"] },
        "q": { "hosts": ["m1"] },
    });
    let plain = s.config_file("plain.json", false, types.clone());
    let r = Ran::of_process(
        s.fleet_with(&plain, &["sync", "--wait", "--wait-timeout", "60"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (p1, p2, q) = (
        format!("{}-default", s.t("p")),
        format!("{}-2", s.t("p")),
        format!("{}-default", s.t("q")),
    );
    assert_eq!(s.plain(2), vec![p1.clone()]);
    assert_eq!(s.plain(3), vec![p2.clone()]);
    assert_eq!(s.plain(1), vec![q.clone()]);
    s.config(types);
    let (r, doc) = s.fleet_json(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    let all = sorted(vec![p1.clone(), p2.clone(), q.clone()]);
    assert_eq!(bucket(&doc, "created"), all, "{doc}");
    assert_eq!(bucket(&doc, "removed"), all, "{doc}");
    let removals: BTreeMap<String, String> = (doc["actions"].as_array().unwrap().iter())
        .filter(|a| a["action"] == "removed")
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["host"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        removals,
        BTreeMap::from([
            (p1.clone(), "w1".to_string()),
            (p2.clone(), "w2".to_string()),
            (q.clone(), "m1".to_string()),
        ]),
        "{doc}"
    );
    assert!(s.services().is_empty(), "plan changed something");
    let (r, doc) = s.fleet_json(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "created"), all, "{doc}");
    assert_eq!(bucket(&doc, "removed"), all, "{doc}");
    for k in 1..=NODES {
        assert_eq!(s.plain(k), Vec::<String>::new(), "node {k}: {r:?}");
    }
    assert_eq!(s.services().keys().cloned().collect::<Vec<_>>(), all);
    s.wait_running(&all, 60);
    assert_eq!(s.task(&p1).unwrap().node, s.node(2).name);
    assert_eq!(s.task(&p2).unwrap().node, s.node(3).name);
    assert_eq!(s.task(&q).unwrap().node, s.node(1).name);
    let (r, doc) = s.fleet_json(&["sync"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(bucket(&doc, "unchanged"), all, "{doc}");
}

/// A node dies (SIGKILL of its engine and everything on it): Swarm moves
/// the unpinned agents to the other nodes; `sync` changes nothing,
/// reports the agent pinned to the dead node as not running with Swarm's
/// reason, and exits 1. The node comes back, and so does its agent.
#[test]
fn a_dead_node_moves_the_unpinned_and_fails_the_pinned() {
    let Some(s) = swarm_alone("nodedies") else {
        return;
    };
    // Everything on node 2 first: the other nodes take no new task.
    s.availability(1, "pause");
    s.availability(3, "pause");
    s.config(json!({
        "m": { "instances": 2 },
        "pw": { "hosts": ["w1"] },
    }));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
    let movers = [format!("{}-default", s.t("m")), format!("{}-2", s.t("m"))];
    let pinned = format!("{}-default", s.t("pw"));
    let dead = s.node(2).name.clone();
    for n in movers.iter().chain([&pinned]) {
        assert_eq!(s.task(n).unwrap().node, dead, "{n} is not on node 2");
    }
    s.availability(1, "active");
    s.availability(3, "active");
    s.kill_node(2);
    wait_for("Swarm to move the unpinned agents", 90, || {
        let (r, doc) = s.fleet_json(&["status"]);
        let agents = doc["agents"].as_array().cloned().unwrap_or_default();
        let moved = movers.iter().all(|m| {
            agents.iter().any(|a| {
                a["name"] == m.as_str() && a["state"] == "running" && a["host"] != dead.as_str()
            })
        });
        if moved { Ok(()) } else { Err(format!("{r:?}")) }
    });
    let (r, doc) = s.fleet_json(&["sync"]);
    assert_eq!(r.code, 1, "the pinned agent does not run: {r:?}");
    assert_eq!(bucket(&doc, "failed"), vec![pinned.clone()], "{doc}");
    assert_eq!(doc["failed"][0]["action"], "swarm", "{doc}");
    assert_eq!(bucket(&doc, "unchanged"), sorted(movers.to_vec()), "{doc}");
    for key in ["created", "recreated", "removed", "started"] {
        assert!(bucket(&doc, key).is_empty(), "{key}: {doc}");
    }
    let reason = (doc["actions"].as_array().unwrap().iter())
        .find(|a| a["name"] == pinned.as_str())
        .map(|a| a.to_string())
        .unwrap();
    assert!(
        reason.contains("no suitable node") || reason.contains(&format!("{dead} is down")),
        "not Swarm's reason nor the node down: {reason}"
    );
    for m in &movers {
        let t = s.task(m).unwrap();
        assert!(t.running() && t.node != dead, "{m}: {t:?}");
    }
    s.restart_node(2);
    wait_for("the pinned agent to run again on node 2", 60, || {
        match s.task(&pinned) {
            Some(t) if t.running() && t.node == dead => Ok(()),
            t => Err(format!("{t:?}")),
        }
    });
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "60"]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// An image that a node lacks: its agent, pinned to that node, is not left
/// pending in silence: `sync --wait` fails with Swarm's own words for it
/// (`No such image: …`), and `status` shows them on the agent.
#[test]
fn an_image_missing_on_the_node_is_reported_in_swarms_words() {
    let Some(s) = swarm("noimg") else { return };
    // A tag of the rig's image on node 1 (the manager) only; the agent is
    // pinned to w2, node 3, which lacks it.
    let tag = format!("{}-only-on-node1:1", s.prefix);
    s.docker(1, &["tag", &s.rig.image, &tag]);
    s.config(json!({ "img": { "image": tag, "hosts": ["w2"] } }));
    let r = s.fleet(&["sync", "--wait", "--wait-timeout", "20"]);
    let _ = s.docker_cmd(1, &["rmi", &tag]).output();
    assert_eq!(r.code, 1, "{r:?}");
    let agent = format!("{}-default", s.t("img"));
    assert!(
        r.stderr.contains(&format!("`{agent}")) && r.stderr.contains("No such image"),
        "Swarm's reason on the agent: {r:?}"
    );
    let (r, doc) = s.fleet_json(&["status"]);
    let row = (doc["agents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter())
    .find(|a| a["name"] == agent.as_str())
    .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        row["reason"]
            .as_str()
            .unwrap_or("")
            .contains("No such image"),
        "{row}"
    );
    assert_eq!(row["action"], "failed", "{row}");
}
