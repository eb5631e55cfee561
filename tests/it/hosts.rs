//! Multi-host tests (issue 12, DESIGN.md "Hosts"): the `fleet` binary
//! against the multi-host rig (scripts/test-hosts.sh), never the host's
//! engine or sshd. scripts/test.sh starts the rig with three engines after
//! the test engine (which is the rig's engine 1) and exports its facts
//! (`FLEET_TEST_HOSTS_*`, `FLEET_TEST_HOSTk_*`); without them the tests
//! skip, unless `FLEET_ENGINE_TESTS=require`, where that is a failure.
//!
//! Who uses which engine. Engines 1 and 2 are shared: any number of tests
//! run on them at once, each with its own project (and so its own
//! containers, names and engine lock), and removes what it made when it
//! ends. Engine 3 is for the tests that must have an engine to themselves:
//! those that kill and restart it (a kill would fail any other test on it),
//! and those that count the SSH handshakes on its port (another test's
//! connections would be counted too). They live in [`engine3`], get their
//! harness from [`rig_alone`], and run one at a time: nextest's test group
//! `hosts-engine3` (.config/nextest.toml) schedules them one after the
//! other, and a file lock in the rig's dir (`engine3.tests.lock`) holds
//! under any other runner (`cargo test`'s threads) as well. Killing engine 1
//! or 2 instead would have to stop every other hosts test, and engine 1
//! every engine test (it is the suite's engine).
//!
//! Every docker call and `fleet` run here gets an environment made here
//! (`env_clear`): PATH with the rig's plain ssh wrapper first (so the docker
//! CLI's ssh uses the rig's key and known_hosts, one connection per ssh
//! process: sharing connections is fleet's own job), HOME the test's own
//! dir, DOCKER_CONFIG the rig's (its contexts `hK`, `hK-ssh`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::engine::{IMAGE, agent_types};
use crate::harness::Ran;

/// The engines the rig must run: two shared, one for [`engine3`].
const ENGINES: usize = 3;
/// The engine the [`engine3`] tests have to themselves.
const ALONE: usize = 3;
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One engine of the rig, as scripts/test-hosts.sh describes it.
#[derive(Debug)]
pub struct RigEngine {
    /// `unix://…/docker.sock`.
    pub docker_host: String,
    /// What `docker info --format {{.Name}}` says (distinct per engine).
    pub name: String,
    /// `ssh://root@127.0.0.1:PORT` (sshd sends it to this engine).
    pub ssh: String,
    pub ssh_port: u16,
    /// Docker contexts in the rig's DOCKER_CONFIG: the socket, and ssh.
    pub context: String,
    pub ssh_context: String,
    /// scripts/test-engine.sh's FLEET_TEST_ENGINE_DIR / _DATA for it.
    pub dir: PathBuf,
    pub data: PathBuf,
}

/// The rig's facts, read once per test process.
#[derive(Debug)]
pub struct Rig {
    pub dir: PathBuf,
    /// Index 0 is engine 1.
    pub engines: Vec<RigEngine>,
    /// PATH for fleet: the rig's plain ssh wrapper dir, then the system's.
    pub path: OsString,
    pub docker_config: PathBuf,
    /// sshd's log: one `Connection from … on 127.0.0.1 port P` per handshake.
    pub sshd_log: PathBuf,
    /// SSH endpoints that fail in SSH itself: auth refused, host key
    /// mismatch, connection refused.
    pub ssh_bad_user: String,
    pub ssh_bad_key: String,
    pub ssh_refused: String,
}

fn fact(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name} is not set (bash scripts/test-hosts.sh start prints it)"))
}

impl Rig {
    /// The facts from the environment: `Ok(None)` without
    /// `FLEET_TEST_HOSTS_DIR`, an error when some are missing or wrong.
    fn from_env() -> Result<Option<Rig>, String> {
        let Ok(dir) = fact("FLEET_TEST_HOSTS_DIR") else {
            return Ok(None);
        };
        let n: usize = fact("FLEET_TEST_HOSTS_ENGINES")?
            .parse()
            .map_err(|_| "FLEET_TEST_HOSTS_ENGINES: not a number".to_string())?;
        if n < ENGINES {
            return Err(format!(
                "the rig in {dir} runs {n} engines; the hosts tests need {ENGINES} \
                 (FLEET_TEST_HOSTS_ENGINES=3 bash scripts/test-hosts.sh start)"
            ));
        }
        let engines = (1..=ENGINES)
            .map(|k| {
                let f = |what: &str| fact(&format!("FLEET_TEST_HOST{k}_{what}"));
                Ok(RigEngine {
                    docker_host: f("DOCKER_HOST")?,
                    name: f("NAME")?,
                    ssh: f("SSH")?,
                    ssh_port: f("SSH_PORT")?
                        .parse()
                        .map_err(|_| format!("FLEET_TEST_HOST{k}_SSH_PORT: not a port"))?,
                    context: f("CONTEXT")?,
                    ssh_context: f("SSH_CONTEXT")?,
                    dir: f("ENGINE_DIR")?.into(),
                    data: f("ENGINE_DATA")?.into(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut path = OsString::from(fact("FLEET_TEST_HOSTS_PATH")?);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_else(|| SYSTEM_PATH.into()));
        Ok(Some(Rig {
            dir: dir.into(),
            engines,
            path,
            docker_config: fact("FLEET_TEST_HOSTS_DOCKER_CONFIG")?.into(),
            sshd_log: fact("FLEET_TEST_HOSTS_SSHD_LOG")?.into(),
            ssh_bad_user: fact("FLEET_TEST_HOSTS_SSH_BAD_USER")?,
            ssh_bad_key: fact("FLEET_TEST_HOSTS_SSH_BAD_KEY")?,
            ssh_refused: fact("FLEET_TEST_HOSTS_SSH_REFUSED")?,
        }))
    }

    /// Engines `ks` answer on their sockets with their own names and have
    /// the image. Engine 3 is checked only by the tests that own it: the
    /// others must not trip over it while one of those has it down.
    fn check(&self, ks: std::ops::RangeInclusive<usize>) -> Result<(), String> {
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        for i in ks.map(|k| k - 1) {
            let e = &self.engines[i];
            let run = |args: &[&str]| {
                plain_docker(&e.docker_host, home.path())
                    .args(args)
                    .output()
                    .map_err(|err| format!("could not run docker: {err}"))
            };
            let info = run(&["info", "--format", "{{.Name}}"])?;
            let got = String::from_utf8_lossy(&info.stdout).trim().to_string();
            if !info.status.success() || got != e.name {
                return Err(format!(
                    "the rig's engine {} ({}) does not answer as {}: {}{}",
                    i + 1,
                    e.docker_host,
                    e.name,
                    got,
                    String::from_utf8_lossy(&info.stderr).trim()
                ));
            }
            if !run(&["image", "inspect", IMAGE])?.status.success() {
                return Err(format!(
                    "the rig's engine {} lacks {IMAGE} (scripts/test-engine.sh start builds it)",
                    i + 1
                ));
            }
        }
        Ok(())
    }
}

/// `docker` on one engine's socket, nothing of the caller's environment but
/// PATH; no config or context of anyone's applies.
fn plain_docker(docker_host: &str, home: &Path) -> Command {
    let mut c = Command::new("docker");
    c.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| SYSTEM_PATH.into()),
        )
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("DOCKER_HOST", docker_host);
    c
}

fn facts() -> &'static Result<Option<Rig>, String> {
    static RIG: OnceLock<Result<Option<Rig>, String>> = OnceLock::new();
    RIG.get_or_init(|| {
        let rig = Rig::from_env()?;
        if let Some(r) = &rig {
            r.check(1..=ALONE - 1)?;
        }
        Ok(rig)
    })
}

fn the_rig(test: &str) -> Option<&'static Rig> {
    match facts() {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            let required = std::env::var("FLEET_ENGINE_TESTS").is_ok_and(|v| v == "require");
            assert!(
                !required,
                "FLEET_ENGINE_TESTS=require but the hosts rig's facts (FLEET_TEST_HOSTS_DIR, …) are \
                 not set; run bash scripts/test.sh (or FLEET_TEST_HOSTS_ENGINES=3 bash \
                 scripts/test-hosts.sh start and export what it prints)"
            );
            eprintln!(
                "skipping {test}: the hosts rig is not running (bash scripts/test.sh starts it)"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// The test's view of the rig (engines 1 and 2), or `None` to skip.
pub fn rig(test: &str) -> Option<Hosts> {
    Some(Hosts::on(the_rig(test)?, test, None))
}

/// The same, with engine 3 to itself: waits for any other [`engine3`] test.
pub fn rig_alone(test: &str) -> Option<Hosts> {
    let rig = the_rig(test)?;
    let lock = File::create(rig.dir.join("engine3.tests.lock")).expect("the rig's dir");
    lock.lock().expect("locking engine 3 for this test");
    if let Err(e) = rig.check(ALONE..=ALONE) {
        panic!("{e}");
    }
    Some(Hosts::on(rig, test, Some(lock)))
}

/// How a config reaches an engine.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    /// `docker_host: unix://…`
    Socket,
    /// `docker_host: ssh://root@127.0.0.1:PORT`
    Ssh,
    /// `context: hK`
    Context,
    /// `context: hK-ssh`
    SshContext,
}

/// One test's project on the rig: its config dir, its lock dir, its
/// containers on every engine it may use (removed at both ends).
pub struct Hosts {
    pub rig: &'static Rig,
    pub project: String,
    /// Type names start with this, so container names are unique per test.
    pub prefix: String,
    pub dir: tempfile::TempDir,
    /// Engines killed and not started again yet (started again on drop).
    killed: std::cell::RefCell<Vec<usize>>,
    /// Held by the [`engine3`] tests.
    alone: Option<File>,
}

impl Hosts {
    fn on(rig: &'static Rig, test: &str, alone: Option<File>) -> Hosts {
        let prefix = format!("h{}{}", std::process::id(), test);
        let h = Hosts {
            rig,
            project: format!("{prefix}-project"),
            prefix,
            dir: tempfile::tempdir().unwrap(),
            killed: Default::default(),
            alone,
        };
        h.cleanup();
        h
    }

    /// Engines this test may use: 1 and 2, and 3 with [`rig_alone`].
    fn usable(&self) -> std::ops::RangeInclusive<usize> {
        1..=if self.alone.is_some() {
            ALONE
        } else {
            ALONE - 1
        }
    }

    pub fn engine(&self, k: usize) -> &'static RigEngine {
        assert!(
            self.usable().contains(&k),
            "engine {k} is not this test's to use (engine 3 only through rig_alone, in mod engine3)"
        );
        &self.rig.engines[k - 1]
    }

    /// A `hosts` entry reaching engine `k`.
    pub fn host(&self, k: usize, via: Via) -> Value {
        let e = self.engine(k);
        match via {
            Via::Socket => json!({ "docker_host": e.docker_host }),
            Via::Ssh => json!({ "docker_host": e.ssh }),
            Via::Context => json!({ "context": e.context }),
            Via::SshContext => json!({ "context": e.ssh_context }),
        }
    }

    pub fn t(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// `<project>.fleet-lock`: the engine lock's container.
    pub fn lock_name(&self) -> String {
        format!("{}.fleet-lock", self.project)
    }

    /// Writes `agents.json` (see [`Hosts::config_file`]).
    pub fn config(&self, hosts: Value, types: Value) -> PathBuf {
        self.config_file("agents.json", hosts, types)
    }

    /// Writes a config named `file` in the test's dir: `hosts` as given,
    /// `types` with short names (prefixed here), each with the demo image
    /// and `sleep infinity` unless it says.
    pub fn config_file(&self, file: &str, hosts: Value, types: Value) -> PathBuf {
        let t = agent_types(&types, |k| self.t(k));
        let doc = json!({ "project": self.project, "hosts": hosts, "types": t });
        let path = self.dir.path().join(file);
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        path
    }

    /// `fleet -c <config> ARGS` in the harness's environment, a 60 s docker
    /// timeout and the test's own lock dir (`lock` under its dir). Callers
    /// may add `.env(…)` of their own (e.g. another `FLEET_LOCK_DIR`).
    pub fn fleet_with(&self, config: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fleet"));
        let locks = self.dir.path().join("lock");
        std::fs::create_dir_all(&locks).unwrap();
        c.env_clear()
            .env("PATH", &self.rig.path)
            .env("HOME", self.dir.path())
            .env("DOCKER_CONFIG", &self.rig.docker_config)
            .env("NO_COLOR", "1")
            .env("FLEET_TIMEOUT", "60")
            .env("FLEET_LOCK_DIR", locks)
            .arg("-c")
            .arg(config)
            .args(args);
        c
    }

    pub fn fleet_cmd(&self, args: &[&str]) -> Command {
        self.fleet_with(&self.dir.path().join("agents.json"), args)
    }

    pub fn fleet(&self, args: &[&str]) -> Ran {
        Ran::of_process(self.fleet_cmd(args).output().unwrap())
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

    /// `docker ARGS` on engine `k`'s socket.
    pub fn docker_cmd(&self, k: usize, args: &[&str]) -> Command {
        let mut c = plain_docker(&self.engine(k).docker_host, self.dir.path());
        c.args(args);
        c
    }

    /// Runs `docker ARGS` on engine `k`; panics unless it succeeds.
    pub fn docker(&self, k: usize, args: &[&str]) -> String {
        let o = self.docker_cmd(k, args).output().unwrap();
        assert!(
            o.status.success(),
            "docker {args:?} on engine {k}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The project's containers on engine `k`, by name.
    pub fn containers(&self, k: usize) -> BTreeMap<String, Container> {
        let filter = format!("label=fleet.project={}", self.project);
        let ids = self.docker(k, &["ps", "-aq", "--no-trunc", "--filter", &filter]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let format = "{{.Name}}\t{{.Id}}\t{{.State.Status}} {{.State.ExitCode}}\t{{index .Config.Labels \"fleet.host\"}}";
        let mut args = vec!["inspect", "--format", format];
        args.extend(ids);
        let lock = format!("/{}", self.lock_name());
        // A container removed between the listing and the inspect (a swap
        // under way while a test polls): read the engine again.
        let out = self.docker_cmd(k, &args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && stderr.contains("No such object") {
            return self.containers(k);
        }
        assert!(
            out.status.success(),
            "docker {args:?} on engine {k}: {stderr}"
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with(&format!("{lock}\t")))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let c = Container {
                    id: f[1].to_string(),
                    state: f[2].to_string(),
                    host_label: f
                        .get(3)
                        .filter(|l| **l != "<no value>")
                        .unwrap_or(&"")
                        .to_string(),
                };
                (f[0].trim_start_matches('/').to_string(), c)
            })
            .collect()
    }

    /// Whether engine `k` has the project's lock container.
    pub fn locked(&self, k: usize) -> bool {
        let filter = format!("name=^/?{}$", regex_escape(&self.lock_name()));
        !self
            .docker(k, &["ps", "-aq", "--filter", &filter])
            .trim()
            .is_empty()
    }

    fn cleanup(&self) {
        let filter = format!("label=fleet.project={}", self.project);
        for k in self.usable() {
            if self.killed.borrow().contains(&k) {
                continue;
            }
            // The project's containers and its `fleet exec` claims.
            let claims = format!("label=fleet.claim={}", self.project);
            let out: String = [&filter, &claims]
                .iter()
                .map(|f| {
                    self.docker_cmd(k, &["ps", "-aq", "--filter", f])
                        .output()
                        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join("\n");
            let mut args = vec!["rm", "-f"];
            let lock = self.lock_name();
            args.extend(out.split_whitespace());
            // The lock container, whether or not it carries the project label.
            let _ = self.docker_cmd(k, &["rm", "-f", &lock]).output();
            if args.len() > 2 {
                let _ = self.docker_cmd(k, &args).output();
            }
        }
    }
}

/// One container as the engine shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub id: String,
    /// `running 0`, `exited 137`, …
    pub state: String,
    /// Its `fleet.host` label ("" without one).
    pub host_label: String,
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = ".^$*+?()[]{}|\\".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

impl Drop for Hosts {
    fn drop(&mut self) {
        let killed: Vec<usize> = self.killed.borrow().clone();
        for k in killed {
            if let Err(e) = self.try_start_engine(k) {
                eprintln!("engine {k} did not start again after the test: {e}");
            }
        }
        self.cleanup();
    }
}

/// Engines: kill and start again (scripts/test-engine.sh with the engine's dirs).
impl Hosts {
    fn test_engine(&self, k: usize, verb: &str) -> Result<(), String> {
        let e = self.engine(k);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-engine.sh");
        let o = Command::new("bash")
            .arg(script)
            .arg(verb)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| SYSTEM_PATH.into()),
            )
            .env("HOME", self.dir.path())
            .env("FLEET_TEST_ENGINE_DIR", &e.dir)
            .env("FLEET_TEST_ENGINE_DATA", &e.data)
            .output()
            .map_err(|err| err.to_string())?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/test-engine.sh {verb} (engine {k}) failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
    }

    /// SIGKILLs engine `k`'s dockerd and containerd, as a crash does. Only
    /// engine 3, only in [`engine3`]: the drop starts it again.
    pub fn kill_engine(&self, k: usize) {
        assert_eq!(
            k, ALONE,
            "only engine 3 is killed (it is the engine3 tests' own)"
        );
        self.engine(k);
        self.killed.borrow_mut().push(k);
        self.test_engine(k, "kill").unwrap();
    }

    fn try_start_engine(&self, k: usize) -> Result<(), String> {
        self.test_engine(k, "start")?;
        self.killed.borrow_mut().retain(|&x| x != k);
        Ok(())
    }

    /// Starts engine `k` again after [`Hosts::kill_engine`].
    pub fn start_engine(&self, k: usize) {
        self.try_start_engine(k).unwrap();
    }
}

/// SSH: handshakes sshd saw.
impl Hosts {
    /// sshd's log lines so far (a mark for [`Hosts::handshakes_since`]).
    pub fn sshd_mark(&self) -> usize {
        self.sshd_log().lines().count()
    }

    fn sshd_log(&self) -> String {
        std::fs::read_to_string(&self.rig.sshd_log).unwrap_or_default()
    }

    /// SSH handshakes on engine `k`'s port since `mark`.
    pub fn handshakes_since(&self, k: usize, mark: usize) -> usize {
        let port = format!(" on 127.0.0.1 port {} ", self.engine(k).ssh_port);
        self.sshd_log()
            .lines()
            .skip(mark)
            .filter(|l| l.contains("Connection from ") && l.contains(&port))
            .count()
    }

    /// sshd's lines since `mark` that contain `what` (any port).
    pub fn sshd_lines_since(&self, mark: usize, what: &str) -> Vec<String> {
        self.sshd_log()
            .lines()
            .skip(mark)
            .filter(|l| l.contains(what))
            .map(str::to_string)
            .collect()
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
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `Ok` when `ok`, else what was seen.
pub fn seen(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// A spawned `fleet` run: stdout and stderr piped.
pub fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

pub fn finish(c: Child) -> Ran {
    Ran::of_process(c.wait_with_output().unwrap())
}

/// One `actions[]` entry of a sync/plan JSON document.
#[derive(Clone, Debug, PartialEq)]
pub struct Act {
    pub name: String,
    pub host: String,
    pub action: String,
    pub reason: String,
}

/// The `actions[]` of a sync/plan document.
pub fn acts(doc: &Value) -> Vec<Act> {
    let s = |a: &Value, k: &str| a[k].as_str().unwrap_or("").to_string();
    doc["actions"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|a| Act {
                    name: s(a, "name"),
                    host: s(a, "host"),
                    action: s(a, "action"),
                    reason: s(a, "reason"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `(name, host, action)` of every action, sorted.
pub fn placed(doc: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = acts(doc)
        .into_iter()
        .map(|a| (a.name, a.host, a.action))
        .collect();
    v.sort();
    v
}

/// `(name, host, action)` triples for a test's expectations.
pub fn triples(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(n, h, a)| (n.to_string(), h.to_string(), a.to_string()))
        .collect();
    v.sort();
    v
}

/// A container event from `docker events`, in the engine's order.
#[derive(Clone, Debug)]
pub struct Event {
    pub action: String,
    pub name: String,
    /// The container's labels (and docker's own attributes: image, name…).
    pub attrs: BTreeMap<String, String>,
    pub time_nano: i128,
}

/// `docker events` on one engine from now until [`Events::finish`].
pub struct Events {
    k: usize,
    child: Child,
    out: PathBuf,
}

impl Hosts {
    /// Starts recording engine `k`'s container events (from this moment:
    /// `--since` covers the time the stream takes to connect).
    pub fn events(&self, k: usize) -> Events {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        let since = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
        let out = self
            .dir
            .path()
            .join(format!("events-{k}-{}.jsonl", now.as_nanos()));
        let child = self
            .docker_cmd(
                k,
                &[
                    "events",
                    "--since",
                    &since,
                    "--filter",
                    "type=container",
                    "--format",
                    "{{json .}}",
                ],
            )
            .stdout(File::create(&out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Events { k, child, out }
    }
}

impl Events {
    /// Stops the recording once the engine has streamed a marker made now
    /// (a container created and removed), and returns the events of `h`'s
    /// project (its containers and its lock), in the engine's order.
    pub fn finish(mut self, h: &Hosts) -> Vec<Event> {
        let marker = format!("{}-mark{}", h.prefix, self.k);
        h.docker(self.k, &["create", "--name", &marker, IMAGE, "true"]);
        h.docker(self.k, &["rm", &marker]);
        let ended = |e: &Event| e.name == marker && e.action == "destroy";
        wait_for("the events stream to pass the marker", 30, || {
            let events = read_events(&self.out);
            seen(events.iter().any(ended), || {
                format!("{} events", events.len())
            })
        });
        let _ = self.child.kill();
        let _ = self.child.wait();
        let lock = h.lock_name();
        read_events(&self.out)
            .into_iter()
            .filter(|e| {
                e.attrs.get("fleet.project") == Some(&h.project)
                    || e.attrs.get("fleet.lock") == Some(&h.project)
                    || e.name == lock
            })
            .collect()
    }
}

fn read_events(path: &Path) -> Vec<Event> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let attrs: BTreeMap<String, String> = v["Actor"]["Attributes"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default();
            Event {
                action: v["Action"].as_str().unwrap_or("").to_string(),
                name: attrs.get("name").cloned().unwrap_or_default(),
                time_nano: v["timeNano"].as_i64().unwrap_or(0).into(),
                attrs,
            }
        })
        .collect()
}

/// Everything a run said, for assertion messages and for searching.
pub fn said(r: &Ran) -> String {
    format!("{}\n{}", r.stdout, r.stderr)
}

// ---------------------------------------------------------------------------
// Scenarios on engines 1 and 2.

#[test]
fn cold_create_across_two_hosts_labels_each_with_its_host() {
    let Some(h) = rig("cold") else { return };
    let (a, b) = (h.t("a"), h.t("b"));
    h.config(
        json!({ "h1": h.host(1, Via::Context), "h2": h.host(2, Via::Ssh) }),
        json!({ "a": { "instances": 3, "hosts": ["h1", "h2"] }, "b": { "hosts": ["h2"] } }),
    );
    let (s, doc) = h.fleet_json(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    let (a1, a2, a3, b1) = (
        format!("{a}-default"),
        format!("{a}-2"),
        format!("{a}-3"),
        format!("{b}-default"),
    );
    assert_eq!(
        placed(&doc),
        triples(&[
            (&a1, "h1", "created"),
            (&a2, "h2", "created"),
            (&a3, "h1", "created"),
            (&b1, "h2", "created")
        ]),
        "{doc:#}"
    );
    let on1 = h.containers(1);
    let on2 = h.containers(2);
    // In name order: `-3` sorts before `-default`.
    assert_eq!(
        on1.keys().collect::<Vec<_>>(),
        [&a3, &a1],
        "engine 1: {on1:?}"
    );
    assert_eq!(
        on2.keys().collect::<Vec<_>>(),
        [&a2, &b1],
        "engine 2: {on2:?}"
    );
    for (name, c) in &on1 {
        assert_eq!(
            (c.state.as_str(), c.host_label.as_str()),
            ("running 0", "h1"),
            "{name}"
        );
    }
    for (name, c) in &on2 {
        assert_eq!(
            (c.state.as_str(), c.host_label.as_str()),
            ("running 0", "h2"),
            "{name}"
        );
    }

    assert_converged_view(&h, &[(&a1, "h1"), (&a2, "h2"), (&a3, "h1"), (&b1, "h2")]);
    assert_eq!(h.containers(1), on1);
    assert_eq!(h.containers(2), on2);
}

/// A converged fleet's no-op sync shows `name@host`; plan agrees; status
/// rows carry their host; `fleet hosts` lists each host.
fn assert_converged_view(h: &Hosts, placed: &[(&String, &str)]) {
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    for (name, host) in placed {
        let n = format!("{name}@{host}");
        assert!(s.stdout.contains(&n), "{n} in {s:?}");
    }
    assert!(
        !s.stdout.contains("created") && !s.stdout.contains("failed"),
        "{s:?}"
    );
    let p = h.fleet(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "{p:?}");

    let (st, doc) = h.fleet_json(&["status"]);
    let rows = &doc["agents"];
    assert_eq!(st.code, 0, "{st:?}");
    let row = |r: &Value| {
        (
            r["name"].as_str().unwrap_or("").to_string(),
            r["host"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut got: Vec<(String, String)> = rows
        .as_array()
        .unwrap_or_else(|| panic!("status --json: {st:?}"))
        .iter()
        .map(row)
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = placed
        .iter()
        .map(|(n, host)| (n.to_string(), host.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want, "{rows:#}");
    let hs = h.fleet(&["hosts"]);
    assert_eq!(hs.code, 0, "{hs:?}");
    for (_, host) in placed {
        assert!(hs.stdout.contains(host), "{host} in {hs:?}");
    }
}

#[test]
fn exited_137_on_both_hosts_is_started_with_the_same_ids() {
    let Some(h) = rig("exited") else { return };
    let a = h.t("a");
    h.config(
        json!({ "h1": h.host(1, Via::Socket), "h2": h.host(2, Via::Ssh) }),
        json!({ "a": { "instances": 2, "hosts": ["h1", "h2"] } }),
    );
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    let (a1, a2) = (format!("{a}-default"), format!("{a}-2"));
    let (before1, before2) = (h.containers(1), h.containers(2));
    h.docker(1, &["kill", &a1]);
    h.docker(2, &["kill", &a2]);
    assert_eq!(h.containers(1)[&a1].state, "exited 137");
    assert_eq!(h.containers(2)[&a2].state, "exited 137");

    let (s, doc) = h.fleet_json(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(
        placed(&doc),
        triples(&[(&a1, "h1", "started"), (&a2, "h2", "started")]),
        "{doc:#}"
    );
    for (k, before, name) in [(1, &before1, &a1), (2, &before2, &a2)] {
        let now = h.containers(k);
        assert_eq!(now[name].state, "running 0", "{name} on engine {k}");
        assert_eq!(now[name].id, before[name].id, "{name} kept its ID");
    }
}

#[test]
fn a_moved_instance_runs_on_its_new_host_before_the_old_one_goes() {
    let Some(h) = rig("move") else { return };
    let a = h.t("a");
    let (a1, a2) = (format!("{a}-default"), format!("{a}-2"));
    let hosts = json!({ "h1": h.host(1, Via::Socket), "h2": h.host(2, Via::Ssh) });
    h.config(
        hosts.clone(),
        json!({ "a": { "instances": 2, "hosts": ["h1"] } }),
    );
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    let before = h.containers(1);
    assert_eq!(before.len(), 2, "{before:?}");

    // Instance 2 now lands on h2 (hosts[(2-1) mod 2]); instance 1 stays.
    h.config(
        hosts,
        json!({ "a": { "instances": 2, "hosts": ["h1", "h2"] } }),
    );
    let (ev1, ev2) = (h.events(1), h.events(2));
    let (s, doc) = h.fleet_json(&["sync"]);
    let (ev1, ev2) = (ev1.finish(&h), ev2.finish(&h));
    assert_eq!(s.code, 0, "{s:?}");
    let on1 = h.containers(1);
    let on2 = h.containers(2);
    assert_eq!(
        on1.keys().collect::<Vec<_>>(),
        [&a1],
        "only instance 1 is left on engine 1"
    );
    assert_eq!(on1[&a1], before[&a1], "instance 1 untouched");
    assert_eq!(
        on2.keys().collect::<Vec<_>>(),
        [&a2],
        "instance 2 on engine 2, same name"
    );
    assert_eq!(
        (on2[&a2].state.as_str(), on2[&a2].host_label.as_str()),
        ("running 0", "h2")
    );
    let moved: Vec<Act> = acts(&doc).into_iter().filter(|x| x.name == a2).collect();
    assert!(
        moved.iter().any(|x| x.host == "h2"),
        "an action for {a2} on h2: {doc:#}"
    );

    assert_started_before_removed(&a2, &ev2, &ev1);
    let s = h.fleet(&["plan", "--detailed-exitcode"]);
    assert_eq!(s.code, 0, "converged after the move: {s:?}");
}

/// `name`'s start in `new` (the new host's events) came before anything
/// (kill, stop, die, destroy) happened to it in `old` (the old host's).
fn assert_started_before_removed(name: &str, new: &[Event], old: &[Event]) {
    let started = new
        .iter()
        .find(|e| e.name == name && e.action == "start")
        .unwrap_or_else(|| panic!("no start of {name} on the new host: {new:?}"));
    let first_blow = old
        .iter()
        .find(|e| e.name == name && ["kill", "stop", "die", "destroy"].contains(&e.action.as_str()))
        .unwrap_or_else(|| panic!("the old {name} was not removed from the old host: {old:?}"));
    assert!(
        started.time_nano < first_blow.time_nano,
        "the old {name} got `{}` at {} before the new one started at {}",
        first_blow.action,
        first_blow.time_nano,
        started.time_nano
    );
}

#[test]
fn host_limits_a_sync_to_that_host() {
    let Some(h) = rig("only") else { return };
    let a = h.t("a");
    let (a1, a2) = (format!("{a}-default"), format!("{a}-2"));
    h.config(
        json!({ "h1": h.host(1, Via::Socket), "h2": h.host(2, Via::Context) }),
        json!({ "a": { "instances": 2, "hosts": ["h1", "h2"] } }),
    );
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    h.docker(1, &["kill", &a1]);
    h.docker(2, &["kill", &a2]);
    let drifted2 = h.containers(2);

    let (s, doc) = h.fleet_json(&["--host", "h1", "sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(placed(&doc), triples(&[(&a1, "h1", "started")]), "{doc:#}");
    assert_eq!(h.containers(1)[&a1].state, "running 0");
    assert_eq!(h.containers(2), drifted2, "h2 untouched");
    assert_eq!(drifted2[&a2].state, "exited 137");

    let (s, doc) = h.fleet_json(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(
        placed(&doc),
        triples(&[(&a1, "h1", "unchanged"), (&a2, "h2", "started")]),
        "{doc:#}"
    );
}

#[test]
fn an_ssh_failure_is_reported_as_one_naming_the_host() {
    let Some(h) = rig("sshfail") else { return };
    let a = h.t("a");
    let (a1, a2) = (format!("{a}-default"), format!("{a}-2"));
    let rig = h.rig;
    let failing = [
        ("bad user", &rig.ssh_bad_user),
        ("bad host key", &rig.ssh_bad_key),
        ("refused", &rig.ssh_refused),
    ];
    for (i, (why, url)) in failing.into_iter().enumerate() {
        h.config(
            json!({ "good": h.host(1, Via::Socket), "far": { "docker_host": url } }),
            json!({ "a": { "instances": 2, "hosts": ["good", "far"] } }),
        );
        let (s, doc) = h.fleet_json(&["sync"]);
        assert_eq!(s.code, 1, "{why}: {s:?}");
        let all = said(&s);
        assert!(
            !all.contains("is too new"),
            "{why}: the docker CLI's version message reached the operator: {all}"
        );
        let acts = acts(&doc);
        let good = acts
            .iter()
            .find(|x| x.name == a1)
            .unwrap_or_else(|| panic!("{why}: {doc:#}"));
        let done = if i == 0 { "created" } else { "unchanged" };
        assert_eq!(
            (good.host.as_str(), good.action.as_str()),
            ("good", done),
            "{why}: {doc:#}"
        );
        let far = acts
            .iter()
            .find(|x| x.name == a2)
            .unwrap_or_else(|| panic!("{why}: {doc:#}"));
        assert_eq!(
            (far.host.as_str(), far.action.as_str()),
            ("far", "failed"),
            "{why}: {doc:#}"
        );
        assert_failed_name_host(&s, &doc, "far", "SSH");
        assert_eq!(h.containers(1)[&a1].state, "running 0", "{why}");
    }
}

/// Every `failed[]` entry is on `host`, its error says `what`, and stderr
/// names the host with it: an `error:` line with `` host `NAME` `` or
/// `name@NAME`.
fn assert_failed_name_host(r: &Ran, doc: &Value, host: &str, what: &str) {
    let failed = doc["failed"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert!(!failed.is_empty(), "{doc:#}");
    for f in failed {
        let (name, error) = (
            f["name"].as_str().unwrap_or(""),
            f["error"].as_str().unwrap_or(""),
        );
        assert_eq!(f["host"], json!(host), "{doc:#}");
        assert!(error.contains(what), "{what} in: {f:#}");
        let named = |l: &&str| {
            l.starts_with("error: ")
                && l.contains(name)
                && (l.contains(&format!("host `{host}`")) || l.contains(&format!("{name}@{host}")))
        };
        assert!(
            r.stderr.lines().any(|l| named(&l)),
            "{name}'s error names {host}: {r:?}"
        );
    }
}

#[test]
fn runs_from_two_machines_never_interleave_on_one_host() {
    let Some(h) = rig("twolocks") else { return };
    let hosts = json!({ "solo": h.host(2, Via::SshContext) });
    // All three recreated at once (not rolled one by one): a shorter test.
    let types = |run: &str| {
        let a = json!({ "instances": 3, "max_unavailable": 3, "hosts": ["solo"], "labels": { "fleet-test-run": run } });
        json!({ "a": a })
    };
    h.config(hosts.clone(), types("0"));
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");

    // Each run recreates all three (its own label); two lock dirs = two machines.
    let ca = h.config_file("a.json", hosts.clone(), types("a"));
    let cb = h.config_file("b.json", hosts, types("b"));
    let (la, lb) = (
        h.dir.path().join("machine-a"),
        h.dir.path().join("machine-b"),
    );
    std::fs::create_dir_all(&la).unwrap();
    std::fs::create_dir_all(&lb).unwrap();
    let events = h.events(2);
    let mut run_a = h.fleet_with(&ca, &["--json", "--lock-wait", "120", "sync"]);
    run_a.env("FLEET_LOCK_DIR", &la);
    let mut run_b = h.fleet_with(&cb, &["--json", "--lock-wait", "120", "sync"]);
    run_b.env("FLEET_LOCK_DIR", &lb);
    let (ra, rb) = (spawn(run_a), spawn(run_b));
    let (ra, rb) = (finish(ra), finish(rb));
    let events = events.finish(&h);
    assert_eq!(ra.code, 0, "{ra:?}");
    assert_eq!(rb.code, 0, "{rb:?}");
    let second = assert_no_interleaving(&h, &events);
    // The second found the host locked and waited (so they did contend).
    let waited = if second == "a" { &ra } else { &rb };
    assert!(
        waited
            .stderr
            .contains("note: host `solo` is locked by another fleet run"),
        "{waited:?}"
    );
    assert!(!h.locked(2), "the lock is released");
}

/// The events of two runs (each creating containers labelled with its run)
/// come in two blocks, each inside its own hold of the engine lock; returns
/// the run that went second.
fn assert_no_interleaving(h: &Hosts, events: &[Event]) -> String {
    let lock = h.lock_name();
    let mut holds = 0;
    let mut held = false;
    let mut runs: Vec<String> = Vec::new();
    let mut log = String::new();
    for e in events {
        log += &format!(
            "{} {} {:?}\n",
            e.action,
            e.name,
            e.attrs.get("fleet-test-run")
        );
        if e.name == lock {
            match e.action.as_str() {
                "create" => {
                    assert!(!held, "two holds of the lock at once:\n{log}");
                    held = true;
                    holds += 1;
                }
                "destroy" => held = false,
                _ => {}
            }
            continue;
        }
        assert!(
            held,
            "`{}` of {} outside the lock:\n{log}",
            e.action, e.name
        );
        if e.action == "create" {
            let run = e.attrs.get("fleet-test-run").cloned().unwrap_or_default();
            if runs.last() != Some(&run) {
                runs.push(run);
            }
        }
    }
    assert_eq!(holds, 2, "one hold of the lock per run:\n{log}");
    assert!(
        runs == ["a", "b"] || runs == ["b", "a"],
        "the two runs' creates interleave or are missing: {runs:?}\n{log}"
    );
    runs.pop().unwrap()
}

#[test]
fn a_stale_lock_is_taken_over_and_unlock_releases_one() {
    let Some(h) = rig("stale") else { return };
    let hosts = json!({ "h1": h.host(1, Via::Socket) });
    // Never ready for an hour: `sync --wait` holds the lock while it waits.
    let slow = json!({ "test": ["CMD", "true"], "interval": "1h" });
    h.config(
        hosts.clone(),
        json!({ "a": { "instances": 2, "hosts": ["h1"], "healthcheck": slow } }),
    );
    let killed = h.sigkill_while_waiting();
    assert!(h.locked(1), "the SIGKILLed run left its lock: {killed:?}");

    // The holder is gone: the next run takes the lock over and converges.
    h.config(
        hosts.clone(),
        json!({ "a": { "instances": 2, "hosts": ["h1"] } }),
    );
    let (s, doc) = h.fleet_json(&["--lock-wait", "30", "sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert!(
        s.stderr
            .contains("warning: host `h1`: took over a stale lock"),
        "{s:?}"
    );
    assert_eq!(doc["failed"], json!([]), "{doc:#}");
    let on1 = h.containers(1);
    assert_eq!(on1.len(), 2, "{on1:?}");
    assert!(on1.values().all(|c| c.state == "running 0"), "{on1:?}");
    assert!(!h.locked(1), "released after the run");

    // Another stale lock, released by hand.
    h.config(
        hosts,
        json!({ "a": { "instances": 2, "hosts": ["h1"], "healthcheck": slow } }),
    );
    let (pid, _) = h.sigkill_while_waiting();
    assert!(h.locked(1));
    let listed = h.fleet(&["hosts"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(
        listed.stdout.contains(&pid.to_string()),
        "`fleet hosts` shows the holder {pid}: {listed:?}"
    );
    let u = h.fleet(&["unlock", "--host", "h1"]);
    assert_eq!(u.code, 0, "{u:?}");
    assert!(!h.locked(1), "unlock removed it: {u:?}");
    let s = h.fleet(&["--lock-wait", "0", "sync"]);
    assert_eq!(s.code, 0, "the lock is free: {s:?}");
}

impl Hosts {
    /// Starts `fleet sync --wait` (whose agents are never ready), SIGKILLs
    /// it once its containers run and it holds the lock on engine 1;
    /// returns its pid and what it had said.
    /// The project's containers are removed first, so the run creates
    /// them (a recreate would roll, waiting on each replacement in turn).
    fn sigkill_while_waiting(&self) -> (u32, Ran) {
        let before: Vec<String> = self.containers(1).into_values().map(|c| c.id).collect();
        if !before.is_empty() {
            let mut rm = vec!["rm", "-f"];
            rm.extend(before.iter().map(String::as_str));
            self.docker(1, &rm);
        }
        let mut c = spawn(self.fleet_cmd(&["sync", "--wait", "--wait-timeout", "600"]));
        let pid = c.id();
        wait_for("the waiting run's new containers and its lock", 60, || {
            if let Ok(Some(status)) = c.try_wait() {
                panic!("the run ended ({status}) before it could be killed");
            }
            let cs = self.containers(1);
            let new = |x: &Container| x.state == "running 0" && !before.contains(&x.id);
            let locked = self.locked(1);
            seen(locked && cs.len() == 2 && cs.values().all(new), || {
                format!("locked {locked}, {cs:?}")
            })
        });
        c.kill().unwrap();
        (pid, finish(c))
    }
}

// ---------------------------------------------------------------------------
// Scenarios that have engine 3 to themselves (see the module doc).

mod engine3 {
    use super::*;

    #[test]
    fn the_second_engine_killed_mid_sync_fails_alone_and_loses_nothing() {
        let Some(h) = rig_alone("killed") else { return };
        let a = h.t("a");
        let n = 16;
        h.config(
            json!({ "h1": h.host(1, Via::Context), "h2": h.host(3, Via::Ssh) }),
            json!({ "a": { "instances": n, "hosts": ["h1", "h2"] } }),
        );
        // Two docker calls at a time per host: h2's 8 take several rounds,
        // so the kill lands with most of them still to do.
        let run = spawn(h.fleet_cmd(&["--json", "--jobs", "2", "sync"]));
        let s = kill_engine3_when_it_gets_work(&h, run);
        let doc: Value = serde_json::from_str(&s.stdout).unwrap_or(Value::Null);
        assert_eq!(s.code, 1, "{s:?}");

        // h1 converged; h2's unfinished containers are failed, naming h2.
        let on1 = h.containers(1);
        assert_eq!(on1.len(), n / 2, "{on1:?}");
        assert!(
            on1.values()
                .all(|c| c.state == "running 0" && c.host_label == "h1"),
            "{on1:?}"
        );
        let acts = acts(&doc);
        assert!(
            acts.iter()
                .filter(|x| x.host == "h1")
                .all(|x| x.action == "created"),
            "{doc:#}"
        );
        let failed: Vec<&Act> = acts.iter().filter(|x| x.action == "failed").collect();
        assert!(!failed.is_empty(), "{doc:#}");
        assert!(failed.iter().all(|x| x.host == "h2"), "{doc:#}");
        assert_failed_name_host(&s, &doc, "h2", "");

        // Back up: the next sync converges, nothing lost, nothing twice.
        h.start_engine(3);
        let (s, doc) = h.fleet_json(&["sync"]);
        assert_eq!(s.code, 0, "{s:?}");
        assert_eq!(h.containers(1), on1, "h1 untouched");
        let want: Vec<String> = (2..=n).step_by(2).map(|i| format!("{a}-{i}")).collect();
        let on3 = h.containers(3);
        assert_eq!(on3.len(), want.len(), "{on3:?} {doc:#}");
        for name in &want {
            let c = on3
                .get(name)
                .unwrap_or_else(|| panic!("{name} on engine 3: {on3:?}"));
            assert_eq!(
                (c.state.as_str(), c.host_label.as_str()),
                ("running 0", "h2"),
                "{name}"
            );
        }
    }

    /// Kills engine 3 once the first container of `run` shows on it; the
    /// run's result.
    fn kill_engine3_when_it_gets_work(h: &Hosts, run: Child) -> Ran {
        let mut run = Some(run);
        wait_for("the first container on engine 3", 60, || {
            if let Some(Ok(Some(_))) = run.as_mut().map(Child::try_wait) {
                let r = finish(run.take().unwrap());
                panic!("the sync ended before engine 3 could be killed (raise n): {r:?}");
            }
            seen(!h.containers(3).is_empty(), String::new)
        });
        h.kill_engine(3);
        finish(run.unwrap())
    }

    #[test]
    fn one_ssh_handshake_per_host_per_run() {
        let Some(h) = rig_alone("handshakes") else {
            return;
        };
        h.config(
            json!({ "far": h.host(3, Via::Ssh), "near": h.host(1, Via::Socket) }),
            json!({ "a": { "instances": 10, "hosts": ["far"] }, "b": { "hosts": ["near"] } }),
        );
        for (what, args) in [
            ("cold sync of 10", &["sync"][..]),
            ("no-op sync", &["sync"]),
            ("status", &["status"]),
            ("plan", &["plan"]),
        ] {
            let mark = h.sshd_mark();
            let r = h.fleet(args);
            assert_eq!(r.code, 0, "{what}: {r:?}");
            assert_eq!(
                h.handshakes_since(3, mark),
                1,
                "{what}: SSH handshakes on engine 3's port"
            );
            for refused in ["past MaxStartups", "no more sessions"] {
                assert_eq!(
                    h.sshd_lines_since(mark, refused),
                    Vec::<String>::new(),
                    "{what}"
                );
            }
        }
        let on3 = h.containers(3);
        assert_eq!(on3.len(), 10, "{on3:?}");
        assert!(on3.values().all(|c| c.state == "running 0"), "{on3:?}");
    }

    /// `fleet exec` into a type whose members live on an `ssh://` host:
    /// one handshake for the look, the claim, the command and the release;
    /// a stopped member woken there; stdin and the exit status through.
    #[test]
    fn exec_on_an_ssh_host_runs_through_one_handshake() {
        let Some(h) = rig_alone("xssh") else {
            return;
        };
        let a = h.t("a");
        h.config(
            json!({ "far": h.host(3, Via::Ssh) }),
            json!({ "a": { "instances": 2, "hosts": ["far"] } }),
        );
        assert_eq!(h.fleet(&["sync", "--wait"]).code, 0);
        h.docker(3, &["kill", &format!("{a}-default")]);
        h.docker(3, &["kill", &format!("{a}-2")]);
        let mark = h.sshd_mark();
        let mut c = h.fleet_cmd(&["exec", &a, "--", "sh", "-c", "cat; exit 3"]);
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"through ssh\n").unwrap();
        }
        let r = Ran::of_process(child.wait_with_output().unwrap());
        assert_eq!((r.code, r.stdout.as_str()), (3, "through ssh\n"), "{r:?}");
        assert!(r.stderr.contains("fleet: starting `"), "{r:?}");
        assert!(
            r.stderr.contains("@far"),
            "the member named with its host: {r:?}"
        );
        assert_eq!(
            h.handshakes_since(3, mark),
            1,
            "SSH handshakes on engine 3's port"
        );
        let claims = h.docker(
            3,
            &[
                "ps",
                "-aq",
                "--filter",
                &format!("label=fleet.claim={}", h.project),
            ],
        );
        assert_eq!(claims.trim(), "", "the claim is released");
    }
}

#[test]
fn a_run_starts_nothing_new_on_a_host_past_its_locks_lease() {
    let Some(h) = rig("lease") else { return };
    let a = h.t("a");
    let hosts = json!({ "h1": h.host(1, Via::Socket) });
    h.config(hosts.clone(), json!({ "a": { "instances": 3 } }));
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    let before = h.containers(1);
    // A new command: a rolling recreate, one member at a time, each ready
    // after a second: a lease of 1.5 s ends (at 90%) after the first.
    h.config(
        hosts,
        json!({ "a": { "instances": 3, "command": ["sleep", "2000000"] } }),
    );
    let (s, doc) = h.fleet_json(&["--lock-lease", "1.5", "sync"]);
    assert_eq!(s.code, 1, "{s:?}");
    let acts = placed(&doc);
    let recreated = acts.iter().filter(|(_, _, b)| b == "recreated").count();
    let failed: Vec<&(String, String, String)> =
        acts.iter().filter(|(_, _, b)| b == "failed").collect();
    assert!(recreated >= 1 && !failed.is_empty(), "{doc:#}");
    for f in doc["failed"].as_array().unwrap() {
        let e = f["error"].as_str().unwrap();
        assert!(
            e.contains(
                "was not started: this run's lock on host `h1` reached the end of its lease"
            ),
            "{e}"
        );
    }
    // What was not started still runs as it was; the lock is released.
    let after = h.containers(1);
    for (name, _, _) in failed {
        assert_eq!(after[name].id, before[name].id, "{name} untouched");
        assert_eq!(after[name].state, "running 0");
    }
    assert!(!h.locked(1), "the lock was released");
    // The next run finishes the roll.
    let (s, doc) = h.fleet_json(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert!(
        placed(&doc)
            .iter()
            .all(|(n, _, b)| n.starts_with(&a) && b != "failed"),
        "{doc:#}"
    );
}

// ---------------------------------------------------------------------------
// Issue 17: the lock protocol between two operators, a host that holds the
// others back, unlock under a live run, a hung SSH host.

/// Point 1: two machines whose configs name the same two engines in
/// opposite name orders (`a1`/`b2` and `z1`/`a2`) both finish, and on each
/// engine their changes never interleave. (Locks taken in name order held
/// one engine each and waited for the other's until --lock-wait ran out.)
#[test]
fn two_configs_naming_two_engines_in_opposite_orders_both_finish() {
    let Some(h) = rig("oppos") else { return };
    let types = |run: &str, first: &str, second: &str| {
        let a = json!({ "instances": 2, "hosts": [first, second], "labels": { "fleet-test-run": run } });
        json!({ "a": a })
    };
    let ha = json!({ "a1": h.host(1, Via::Socket), "b2": h.host(2, Via::Socket) });
    let hb = json!({ "z1": h.host(1, Via::Context), "a2": h.host(2, Via::Context) });
    let ca = h.config_file("a.json", ha.clone(), types("0", "a1", "b2"));
    let s = Ran::of_process(h.fleet_with(&ca, &["sync"]).output().unwrap());
    assert_eq!(s.code, 0, "{s:?}");

    let ca = h.config_file("a.json", ha, types("a", "a1", "b2"));
    let cb = h.config_file("b.json", hb, types("b", "z1", "a2"));
    let (e1, e2) = (h.events(1), h.events(2));
    let machine = |config: &Path, dir: &str| {
        let locks = h.dir.path().join(dir);
        std::fs::create_dir_all(&locks).unwrap();
        let mut c = h.fleet_with(config, &["--json", "--lock-wait", "120", "sync"]);
        c.env("FLEET_LOCK_DIR", locks);
        spawn(c)
    };
    let (ra, rb) = (machine(&ca, "machine-a"), machine(&cb, "machine-b"));
    let (ra, rb) = (finish(ra), finish(rb));
    let (e1, e2) = (e1.finish(&h), e2.finish(&h));
    assert_eq!(ra.code, 0, "{ra:?}");
    assert_eq!(rb.code, 0, "{rb:?}");
    assert_no_interleaving(&h, &e1);
    assert_no_interleaving(&h, &e2);
    assert!(!h.locked(1) && !h.locked(2), "both locks released");
}

/// Points 2 and 4: while another run holds one host's lock, this run's
/// work on its other host is done, and that host's lock released, without
/// waiting for the busy one; the busy host is converged once its lock is
/// free. A thread never holds one lock while it waits for another, and
/// each lock's lease is counted from when that lock was taken.
#[test]
fn a_host_whose_lock_is_busy_does_not_hold_the_others_back() {
    let Some(h) = rig("busyone") else { return };
    let hosts = json!({ "h1": h.host(1, Via::Socket), "h2": h.host(2, Via::Socket) });
    let types = |run: &str| json!({ "a": { "instances": 2, "hosts": ["h1", "h2"], "labels": { "fleet-test-run": run } } });
    h.config(hosts.clone(), types("0"));
    let s = h.fleet(&["sync"]);
    assert_eq!(s.code, 0, "{s:?}");
    let before = (h.containers(1), h.containers(2));

    // Another machine's run holds h2's lock (its labels: a live holder
    // elsewhere, within its lease).
    let lock = h.lock_name();
    let label = |k: &str, v: &str| format!("{k}={v}");
    let labels = [
        label("fleet.lock", &h.project),
        label("fleet.lock.holder", "ops@elsewhere pid 4242"),
        label("fleet.lock.machine", "elsewhere"),
        label("fleet.lock.pid-ns", "another-boot/pid:[1]"),
        label("fleet.lock.pid", "4242"),
        label("fleet.lock.lease", "3600"),
    ];
    let mut create = vec!["create", "--name", &lock, "--network", "none"];
    for l in &labels {
        create.extend(["--label", l]);
    }
    create.extend(["fleet-lock:1", "fleet-lock"]);
    h.docker(2, &create);
    assert!(h.locked(2));

    h.config(hosts, types("1"));
    let run = spawn(h.fleet_cmd(&["--lock-wait", "120", "sync"]));
    wait_for(
        "h1 recreated and its lock released, h2 still waiting",
        60,
        || {
            let on1 = h.containers(1);
            let done = on1.iter().all(|(n, c)| {
                c.state == "running 0" && before.0.get(n).is_some_and(|b| b.id != c.id)
            });
            seen(done && !h.locked(1), || {
                format!("h1 {on1:?}, locked {}", h.locked(1))
            })
        },
    );
    assert_eq!(
        h.containers(2),
        before.1,
        "nothing changed on the locked host"
    );
    h.docker(2, &["rm", &lock]);
    let r = finish(run);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("note: host `h2` is locked by another fleet run"),
        "{r:?}"
    );
    let on2 = h.containers(2);
    assert!(
        on2.iter()
            .all(|(n, c)| c.state == "running 0" && before.1[n].id != c.id),
        "{on2:?}"
    );
    assert!(!h.locked(1) && !h.locked(2));
}

/// Point 3: `fleet unlock` refuses the lock of a run that is alive on this
/// machine (it names it and says how to force); `--force` releases it.
#[test]
fn unlock_refuses_a_live_run_on_this_machine_unless_forced() {
    let Some(h) = rig("unlive") else { return };
    let hosts = json!({ "h1": h.host(1, Via::Socket) });
    let slow = json!({ "test": ["CMD", "true"], "interval": "1h" });
    h.config(
        hosts,
        json!({ "a": { "instances": 2, "hosts": ["h1"], "healthcheck": slow } }),
    );
    let mut run = spawn(h.fleet_cmd(&["sync", "--wait", "--wait-timeout", "600"]));
    let pid = run.id();
    wait_for("the waiting run's lock", 60, || {
        seen(h.locked(1) && h.containers(1).len() == 2, || {
            format!("locked {}", h.locked(1))
        })
    });
    let u = h.fleet(&["unlock", "--host", "h1"]);
    assert_eq!(u.code, 1, "{u:?}");
    assert!(u.stderr.contains("still running on this machine"), "{u:?}");
    assert!(u.stderr.contains(&format!("pid {pid}")), "{u:?}");
    assert!(h.locked(1), "the live run keeps its lock: {u:?}");
    let u = h.fleet(&["unlock", "--force", "--host", "h1"]);
    assert_eq!(u.code, 0, "{u:?}");
    assert!(!h.locked(1), "--force released it: {u:?}");
    run.kill().unwrap();
    let _ = finish(run);
}

/// Point 4: a host whose SSH server accepts connections and never answers
/// fails alone within --connect-timeout (not --timeout), naming it; the
/// other host is converged.
#[test]
fn a_hung_ssh_host_fails_alone_within_the_connect_timeout() {
    let Some(h) = rig("hungssh") else { return };
    // Accepts, reads nothing, writes nothing: an sshd that hangs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            keep.lock().unwrap().push(s);
        }
    });
    let hosts = json!({
        "h1": h.host(1, Via::Socket),
        "hung": { "docker_host": format!("ssh://root@127.0.0.1:{port}") },
    });
    h.config(
        hosts,
        json!({ "a": { "hosts": ["h1"] }, "b": { "hosts": ["hung"] } }),
    );
    let (r, doc) = h.fleet_json(&["--connect-timeout", "2", "sync"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(doc["created"], json!([h.t("a") + "-default"]), "{doc:#}");
    assert!(r.stderr.contains("error: host `hung`: "), "{r:?}");
    assert!(
        r.stderr.contains("--connect-timeout (2s)"),
        "the connect deadline, not --timeout: {r:?}"
    );
    assert!(!held.lock().unwrap().is_empty(), "fleet did connect to it");
}
