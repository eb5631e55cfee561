//! Real-engine tests: the `fleet` binary against the tests' own Docker
//! engine (scripts/test-engine.sh), never the host's. scripts/test.sh starts
//! that engine, builds the local `fleet-demo:busybox` image on it and exports
//! `FLEET_TEST_DOCKER_HOST`; every docker call here and every `fleet` run goes
//! there, in an environment made here (nothing of the caller's but `PATH`).
//! Each test has its own project and name prefix, and removes everything it
//! made when it ends, pass or fail.
//!
//! Without `FLEET_TEST_DOCKER_HOST` the tests skip, unless
//! `FLEET_ENGINE_TESTS=require` (as scripts/test.sh and CI set it), where it
//! is a failure. Set, it must name an engine that scripts/test-engine.sh
//! started (it carries the `fleet-test-engine` label) and that has the image,
//! or the tests fail: they never fall back to another engine.
//!
//! The harness (`engine`, `Engine`, `bucket`) is for every engine test:
//! a sibling module uses it with `use crate::engine::{Engine, bucket, engine};`.
//! A run of the binary comes back as the in-process harness's [`Ran`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::harness::Ran;

/// The image every test config uses unless it says otherwise.
pub const IMAGE: &str = "fleet-demo:busybox";
/// Names the tests' engine: a `DOCKER_HOST` URL, e.g.
/// `unix:///run/fleet-test-engine/docker.sock`.
pub const TEST_DOCKER_HOST: &str = "FLEET_TEST_DOCKER_HOST";
/// The engine label scripts/test-engine.sh gives the test engine.
const TEST_ENGINE_LABEL: &str = "fleet-test-engine=";

pub struct Engine {
    pub project: String,
    /// Type names start with this, so container names are unique per test.
    pub prefix: String,
    pub dir: tempfile::TempDir,
    /// Containers the test made by hand, removed at the end.
    pub extra: std::cell::RefCell<Vec<String>>,
    target: &'static Target,
}

/// Where the engine tests' child processes go, and the environment they get.
struct Target {
    /// The CLI: `docker`, or the tests' podman wrapper (scripts/test-podman.sh).
    cli: String,
    /// The test engine's `DOCKER_HOST` (docker only).
    docker_host: Option<String>,
    path: OsString,
}

impl Target {
    /// `docker` or `fleet`, with nothing of the caller's environment but
    /// PATH: an exported `DOCKER_HOST`, `DOCKER_CONTEXT`, `FLEET_CONFIG` or
    /// `FLEET_TIMEOUT` changes nothing. HOME and DOCKER_CONFIG are `home`
    /// (the test's own dir), so no `~/.docker` config or context applies.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>, home: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", &self.path)
            .env("HOME", home)
            .env("FLEET_DOCKER", &self.cli)
            .env("NO_COLOR", "1");
        // docker only: podman reads DOCKER_CONFIG for registry auth and
        // refuses a file that does not exist.
        if let Some(h) = &self.docker_host {
            c.env("DOCKER_HOST", h)
                .env("DOCKER_CONFIG", home.join(".docker"));
        }
        c
    }
}

/// A config's `types` from short names to specs: each name made the
/// test's own by `name`, each type given the demo image and `sleep
/// infinity` unless it says.
pub fn agent_types(types: &Value, name: impl Fn(&str) -> String) -> Value {
    let mut t = serde_json::Map::new();
    for (k, v) in types.as_object().unwrap() {
        let mut v = v.clone();
        let o = v.as_object_mut().unwrap();
        o.entry("image").or_insert(json!(IMAGE));
        o.entry("command").or_insert(json!(["sleep", "infinity"]));
        t.insert(name(k), v);
    }
    Value::Object(t)
}

/// The test engine named by `FLEET_TEST_DOCKER_HOST`, checked once per test
/// process: `Ok(None)` when the variable is unset, an error when it names
/// something that is not a ready test engine.
fn target() -> &'static Result<Option<Target>, String> {
    static TARGET: OnceLock<Result<Option<Target>, String>> = OnceLock::new();
    TARGET.get_or_init(|| {
        let Some(docker_host) = std::env::var(TEST_DOCKER_HOST).ok().filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        let t = Target {
            cli: "docker".into(),
            docker_host: Some(docker_host),
            path: path(),
        };
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let run = |args: &[&str]| {
            t.command("docker", home.path())
                .args(args)
                .output()
                .map_err(|e| format!("could not run docker: {e}"))
        };
        let info = run(&["info", "--format", "{{json .Labels}}"])?;
        if !info.status.success() {
            return Err(format!(
                "{TEST_DOCKER_HOST}={} does not answer: {}",
                t.docker_host.as_deref().unwrap_or_default(),
                String::from_utf8_lossy(&info.stderr).trim()
            ));
        }
        if !String::from_utf8_lossy(&info.stdout).contains(&format!("\"{TEST_ENGINE_LABEL}")) {
            return Err(format!(
                "{TEST_DOCKER_HOST}={} is not a test engine (no `{TEST_ENGINE_LABEL}…` label); \
                 the engine tests only run on one that scripts/test-engine.sh started",
                t.docker_host.as_deref().unwrap_or_default()
            ));
        }
        if !run(&["image", "inspect", IMAGE])?.status.success() {
            return Err(format!(
                "the test engine {} lacks the image {IMAGE} (scripts/test-engine.sh start builds it)",
                t.docker_host.as_deref().unwrap_or_default()
            ));
        }
        Ok(Some(t))
    })
}

fn path() -> OsString {
    std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into())
}

/// Names the tests' podman: the wrapper scripts/test-podman.sh writes.
pub const TEST_PODMAN: &str = "FLEET_TEST_PODMAN";

/// The tests' podman named by `FLEET_TEST_PODMAN`, checked once.
fn podman_target() -> &'static Result<Option<Target>, String> {
    static TARGET: OnceLock<Result<Option<Target>, String>> = OnceLock::new();
    TARGET.get_or_init(|| {
        let Some(cli) = std::env::var(TEST_PODMAN).ok().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let t = Target {
            cli,
            docker_host: None,
            path: path(),
        };
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let ok = |args: &[&str]| {
            t.command(&t.cli, home.path())
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ok(&["image", "exists", IMAGE]) {
            return Err(format!(
                "{TEST_PODMAN}={} does not answer or lacks {IMAGE} (scripts/test-podman.sh start makes both)",
                t.cli
            ));
        }
        Ok(Some(t))
    })
}

/// The test's podman, or `None` to skip (only when `FLEET_TEST_PODMAN` is
/// unset and the engine tests are not required).
pub fn podman(test: &str) -> Option<Engine> {
    let target = match podman_target() {
        Ok(Some(t)) => t,
        Ok(None) => {
            let required = std::env::var("FLEET_ENGINE_TESTS").is_ok_and(|v| v == "require");
            assert!(
                !required,
                "FLEET_ENGINE_TESTS=require but {TEST_PODMAN} is not set; run bash scripts/test.sh"
            );
            eprintln!("skipping {test}: {TEST_PODMAN} is not set (bash scripts/test.sh sets it)");
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    Some(Engine::on(target, &format!("pm{test}")))
}

/// The test's engine, or `None` to skip (only when `FLEET_TEST_DOCKER_HOST`
/// is unset and the engine tests are not required).
pub fn engine(test: &str) -> Option<Engine> {
    let target = match target() {
        Ok(Some(t)) => t,
        Ok(None) => {
            let required = std::env::var("FLEET_ENGINE_TESTS").is_ok_and(|v| v == "require");
            assert!(
                !required,
                "FLEET_ENGINE_TESTS=require but {TEST_DOCKER_HOST} is not set; run bash scripts/test.sh \
                 (or bash scripts/test-engine.sh start, and export {TEST_DOCKER_HOST}=<the DOCKER_HOST it prints>)"
            );
            eprintln!(
                "skipping {test}: {TEST_DOCKER_HOST} is not set (bash scripts/test.sh starts a test engine and sets it)"
            );
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    Some(Engine::on(target, test))
}

impl Engine {
    fn on(target: &'static Target, test: &str) -> Engine {
        let prefix = format!("it{}{}", std::process::id(), test);
        let e = Engine {
            project: format!("{prefix}-project"),
            prefix,
            dir: tempfile::tempdir().unwrap(),
            extra: Default::default(),
            target,
        };
        e.cleanup();
        e
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.cleanup();
    }
}

impl Engine {
    pub fn t(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Writes the config: `types` maps short names (prefixed here) to specs;
    /// every type gets the demo image and `sleep infinity` unless it says.
    pub fn config(&self, types: Value) {
        let doc = json!({ "project": self.project, "types": agent_types(&types, |k| self.t(k)) });
        std::fs::write(
            self.dir.path().join("agents.json"),
            serde_json::to_string_pretty(&doc).unwrap(),
        )
        .unwrap();
    }

    /// `fleet -c <the test's config> ARGS` on the test engine, in the
    /// harness's environment plus a 60 s docker timeout and the test's own
    /// lock dir. Callers may add `.env(…)` of their own.
    pub fn fleet_cmd(&self, args: &[&str]) -> Command {
        let mut c = self
            .target
            .command(env!("CARGO_BIN_EXE_fleet"), self.dir.path());
        c.arg("-c").arg(self.dir.path().join("agents.json"));
        c.env("FLEET_TIMEOUT", "60");
        c.env("FLEET_LOCK_DIR", self.dir.path());
        c.args(args);
        c
    }

    pub fn fleet(&self, args: &[&str]) -> Ran {
        Ran::of_process(self.fleet_cmd(args).output().unwrap())
    }

    /// Runs `fleet sync` and returns its `[agents-sync] bucket: …` lines.
    pub fn sync(&self) -> Ran {
        self.fleet(&["sync"])
    }

    /// `docker ARGS` on the test engine, in the harness's environment.
    pub fn docker_cmd(&self, args: &[&str]) -> Command {
        let mut c = self.target.command(&self.target.cli, self.dir.path());
        c.args(args);
        c
    }

    /// Runs `docker ARGS` on the test engine; panics unless it succeeds.
    pub fn docker(&self, args: &[&str]) -> String {
        let o = self.docker_cmd(args).output().unwrap();
        assert!(
            o.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The real runner (`DuctRunner`) on the test engine, for tests that
    /// drive the library in-process: its program is a wrapper in the
    /// test's dir that runs the CLI in the harness's environment (nothing
    /// of this process's but `PATH`).
    pub fn runner(&self) -> fleet::docker::real::DuctRunner {
        let quote =
            |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', "'\\''"));
        let home = self.dir.path();
        let mut vars = vec![
            format!("PATH={}", quote(&self.target.path)),
            format!("HOME={}", quote(home.as_os_str())),
        ];
        if let Some(h) = &self.target.docker_host {
            vars.push(format!("DOCKER_HOST={}", quote(h.as_ref())));
            vars.push(format!(
                "DOCKER_CONFIG={}",
                quote(home.join(".docker").as_os_str())
            ));
        }
        let wrapper = home.join("docker-wrapper");
        let script = format!(
            "#!/bin/sh\nexec env -i {} {} \"$@\"\n",
            vars.join(" "),
            quote(self.target.cli.as_ref())
        );
        std::fs::write(&wrapper, script).unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        fleet::docker::real::DuctRunner {
            program: wrapper.to_string_lossy().into_owned(),
            timeout: std::time::Duration::from_secs(60),
        }
    }

    /// name → (id, state) for every container of the project (states from
    /// an inspect: podman's `{{.State}}` in `ps` is the human status).
    pub fn containers(&self) -> BTreeMap<String, (String, String)> {
        let ids = self.docker(&[
            "ps",
            "-a",
            "-q",
            "--no-trunc",
            "--filter",
            &format!("label=fleet.project={}", self.project),
        ]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let mut args = vec![
            "inspect",
            "--format",
            "{{.Name}}\t{{.Id}}\t{{.State.Status}}",
        ];
        args.extend(ids);
        self.docker(&args)
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let name = f[0].trim_start_matches('/').to_string();
                (name, (f[1].to_string(), f[2].to_string()))
            })
            .collect()
    }

    pub fn id(&self, name: &str) -> String {
        self.docker(&["inspect", "--format", "{{.Id}}", name])
            .trim()
            .to_string()
    }

    /// Polls (100 ms apart, `tries` times at most) until `name` has a live
    /// exec session (a health probe, say); whether one was seen.
    pub fn until_exec_session(&self, name: &str, tries: usize) -> bool {
        for _ in 0..tries {
            if self
                .docker(&["inspect", "-f", "{{len .ExecIDs}}", name])
                .trim()
                != "0"
            {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }

    pub fn state(&self, name: &str) -> String {
        self.docker(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            name,
        ])
        .trim()
        .to_string()
    }

    /// A container the test makes by hand (removed at the end).
    pub fn hand_made(&self, name: &str, labels: &[&str]) -> String {
        self.extra.borrow_mut().push(name.to_string());
        let mut args = vec!["run", "-d", "--name", name];
        for l in labels {
            args.extend(["--label", l]);
        }
        args.extend([IMAGE, "sleep", "infinity"]);
        self.docker(&args).trim().to_string()
    }

    fn cleanup(&self) {
        let ids = self
            .docker_cmd(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=fleet.project={}", self.project),
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut all: Vec<String> = ids.split_whitespace().map(str::to_string).collect();
        // `fleet exec`'s claims (a SIGKILLed run's) are the test's too.
        let claims = self
            .docker_cmd(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=fleet.claim={}", self.project),
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        all.extend(claims.split_whitespace().map(str::to_string));
        all.extend(self.extra.borrow().iter().cloned());
        if !all.is_empty() {
            let mut args = vec!["rm", "-f"];
            // podman's `rm -f` gives SIGTERM 10 s first (busybox's sleep
            // ignores it); docker's kills at once and has no `-t`.
            if self.target.docker_host.is_none() {
                args.extend(["-t", "0"]);
            }
            args.extend(all.iter().map(String::as_str));
            let _ = self.docker_cmd(&args).output();
        }
    }
}

/// The `[agents-sync] <bucket>: …` line for `bucket`, or "".
pub fn bucket(r: &Ran, b: &str) -> String {
    let tag = format!("[agents-sync] {b}: ");
    r.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&tag))
        .unwrap_or("")
        .to_string()
}

#[test]
fn lifecycle_create_kill_drift_scale_down() {
    let Some(e) = engine("life") else { return };
    let (c, r) = (e.t("coder"), e.t("rev"));
    e.config(json!({ "coder": { "instances": 3, "env": { "ROLE": "coder" } }, "rev": { "env": { "ROLE": "reviewer" } } }));

    // Create.
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(
        bucket(&s, "created"),
        format!("{c}-default, {c}-2, {c}-3, {r}-default")
    );
    let before = e.containers();
    assert_eq!(before.len(), 4);
    assert!(before.values().all(|(_, st)| st == "running"), "{before:?}");

    // A second sync changes nothing.
    let s = e.sync();
    assert_eq!(
        s.stdout,
        format!("[agents-sync] unchanged: {c}-default, {c}-2, {c}-3, {r}-default\n"),
        "{s:?}"
    );

    // Killed containers (Exited 137) are started, same IDs.
    e.docker(&["kill", &format!("{c}-2"), &format!("{r}-default")]);
    assert_eq!(e.state(&format!("{c}-2")), "exited 137");
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "started"), format!("{c}-2, {r}-default"));
    assert_eq!(bucket(&s, "unchanged"), format!("{c}-default, {c}-3"));
    let after = e.containers();
    for (name, (id, st)) in &after {
        assert_eq!(st, "running", "{name}");
        assert_eq!(id, &before[name].0, "{name} kept its ID");
    }

    // Changing one type's env recreates only that type.
    e.config(json!({ "coder": { "instances": 3, "env": { "ROLE": "coder" } }, "rev": { "env": { "ROLE": "reviewer-2" } } }));
    let plan = e.fleet(&["plan"]);
    assert!(plan.stdout.contains("env ROLE changed"), "{plan:?}");
    assert!(
        !plan.stdout.contains("reviewer-2"),
        "plans never show env values: {plan:?}"
    );
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "recreated"), format!("{r}-default"));
    let recreated = e.containers();
    assert_ne!(
        recreated[&format!("{r}-default")].0,
        before[&format!("{r}-default")].0
    );
    assert_eq!(recreated[&format!("{c}-2")].0, before[&format!("{c}-2")].0);
    assert_eq!(recreated.len(), 4, "no leftover replacement: {recreated:?}");
    let env = e.docker(&[
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &format!("{r}-default"),
    ]);
    assert!(env.contains("ROLE=reviewer-2"), "{env}");

    // Scaling down removes the highest instances.
    e.config(json!({ "coder": { "instances": 1, "env": { "ROLE": "coder" } }, "rev": { "env": { "ROLE": "reviewer-2" } } }));
    let s = e.sync();
    assert_eq!(bucket(&s, "removed"), format!("{c}-2, {c}-3"), "{s:?}");
    let left: Vec<String> = e.containers().into_keys().collect();
    assert_eq!(left, [format!("{c}-default"), format!("{r}-default")]);

    let s = e.sync();
    assert_eq!(
        s.stdout,
        format!("[agents-sync] unchanged: {c}-default, {r}-default\n"),
        "{s:?}"
    );
    let p = e.fleet(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "{p:?}");
}

#[test]
fn restart_recovery_after_kill_all() {
    let Some(e) = engine("kill") else { return };
    e.config(json!({ "pool": { "instances": 4 } }));
    assert_eq!(e.sync().code, 0);
    let before = e.containers();
    let names: Vec<&str> = before.keys().map(String::as_str).collect();
    let mut kill = vec!["kill"];
    kill.extend(&names);
    e.docker(&kill);
    let p = e.fleet(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 2, "changes pending: {p:?}");
    assert!(p.stdout.contains("exited 137, matches"), "{p:?}");
    let s = e.fleet(&["sync", "--json"]);
    assert_eq!(s.code, 0, "{s:?}");
    let doc: Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(doc["started"].as_array().unwrap().len(), 4, "{doc}");
    let after = e.containers();
    for (name, (id, st)) in &after {
        assert_eq!((id, st.as_str()), (&before[name].0, "running"));
    }
}

#[test]
fn foreign_containers_are_never_touched() {
    let Some(e) = engine("foreign") else { return };
    let p = e.t("a");
    e.config(json!({ "a": { "instances": 2 } }));
    // An unlabelled container holding a desired name, an unlabelled one
    // elsewhere, and another project's container.
    let squatter = e.hand_made(&format!("{p}-2"), &[]);
    let bystander = e.hand_made(&format!("{}-bystander", e.prefix), &[]);
    let other = e.hand_made(
        &format!("{}-other", e.prefix),
        &["fleet.project=someone-else", "fleet.type=a"],
    );
    let s = e.sync();
    assert_eq!(s.code, 1, "the conflict fails the run: {s:?}");
    assert_eq!(bucket(&s, "created"), format!("{p}-default"));
    assert_eq!(bucket(&s, "failed"), format!("{p}-2"));
    assert!(
        s.stderr.contains("name conflict") && s.stderr.contains("has no fleet labels"),
        "{s:?}"
    );
    for id in [&squatter, &bystander, &other] {
        assert_eq!(
            e.docker(&["inspect", "--format", "{{.State.Status}}", id])
                .trim(),
            "running"
        );
    }
    // down and up leave them alone too.
    assert_eq!(e.fleet(&["down", "-t", "0"]).code, 0);
    assert_eq!(e.fleet(&["up"]).code, 0);
    for id in [&squatter, &bystander, &other] {
        assert_eq!(
            e.docker(&[
                "inspect",
                "--format",
                "{{.State.Status}} {{.RestartCount}}",
                id
            ])
            .trim(),
            "running 0"
        );
    }
}

#[test]
fn busy_containers_are_deferred_then_forced() {
    let Some(e) = engine("busy") else { return };
    let a = format!("{}-default", e.t("a"));
    e.config(json!({ "a": { "env": { "V": "1" } } }));
    assert_eq!(e.sync().code, 0);
    let id = e.id(&a);
    e.docker(&["exec", "-d", &a, "sleep", "120"]);
    e.config(json!({ "a": { "env": { "V": "2" } } }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "deferred"), a);
    assert!(
        s.stderr
            .contains("1 live exec session; would recreate: env V changed"),
        "{s:?}"
    );
    assert_eq!(e.id(&a), id, "untouched while busy");
    let s = e.fleet(&["sync", "--force"]);
    assert_eq!(bucket(&s, "recreated"), a, "{s:?}");
    assert_ne!(e.id(&a), id);
}

#[test]
fn a_recreate_whose_image_is_missing_keeps_the_old_container() {
    let Some(e) = engine("noimg") else { return };
    let a = format!("{}-default", e.t("a"));
    e.config(json!({ "a": {} }));
    assert_eq!(e.sync().code, 0);
    let id = e.id(&a);
    e.config(json!({ "a": { "image": "fleet-demo:does-not-exist" } }));
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert_eq!(bucket(&s, "failed"), a);
    assert!(
        s.stderr
            .contains("could not create the replacement; the old container was not touched"),
        "{s:?}"
    );
    assert_eq!(e.id(&a), id);
    assert_eq!(e.state(&a), "running 0");
    assert_eq!(e.containers().len(), 1, "no replacement left behind");
}

#[test]
fn env_values_never_reach_argv_or_output() {
    let Some(e) = engine("secret") else { return };
    let secret = "hunter2-do-not-print";
    e.config(json!({ "a": { "env": { "API_TOKEN": secret } } }));
    // A docker wrapper that logs every argv it is given (what `ps` shows).
    let log = e.dir.path().join("argv.log");
    let wrapper = e.dir.path().join("docker-logged");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexec docker \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let wrapper = wrapper.display().to_string();
    let mut outputs = String::new();
    for args in [
        &["sync"][..],
        &["plan"],
        &["status"],
        &["sync", "--json"],
        &["status", "--json"],
        &["-v", "sync"],
    ] {
        let mut full = vec!["--docker", &wrapper];
        full.extend(args);
        let r = e.fleet(&full);
        outputs += &r.stdout;
        outputs += &r.stderr;
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("--env-file /dev/stdin"), "{logged}");
    assert!(
        !logged.contains(secret),
        "secret on a docker command line:\n{logged}"
    );
    assert!(
        !outputs.contains(secret),
        "secret in fleet's output:\n{outputs}"
    );
    let env = e.docker(&[
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &format!("{}-default", e.t("a")),
    ]);
    assert!(
        env.contains(&format!("API_TOKEN={secret}")),
        "the container did get it: {env}"
    );
}

#[test]
fn a_hung_docker_is_cut_off_by_the_timeout() {
    let Some(e) = engine("hang") else { return };
    e.config(json!({ "a": {} }));
    let hang = e.dir.path().join("docker-hangs");
    std::fs::write(&hang, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let r = e.fleet(&[
        "--docker",
        &hang.display().to_string(),
        "--timeout",
        "1",
        "sync",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("`docker ps` did not answer within 1s and was killed"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("help: is the Docker engine running"),
        "{r:?}"
    );
}

#[test]
fn concurrent_syncs_serialise_on_the_lock() {
    let Some(e) = engine("lock") else { return };
    e.config(json!({ "a": { "instances": 6 } }));
    let children: Vec<_> = (0..3)
        .map(|_| {
            e.fleet_cmd(&["sync"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results: Vec<Ran> = children
        .into_iter()
        .map(|c| Ran::of_process(c.wait_with_output().unwrap()))
        .collect();
    for r in &results {
        assert_eq!(r.code, 0, "a concurrent sync failed (raced?): {r:?}");
    }
    let created: usize = results
        .iter()
        .map(|r| {
            bucket(r, "created")
                .split(", ")
                .filter(|s| !s.is_empty())
                .count()
        })
        .sum();
    assert_eq!(
        created, 6,
        "each container created exactly once: {results:?}"
    );
    assert_eq!(e.containers().len(), 6);
}

#[test]
fn down_then_up_over_a_pool() {
    let Some(e) = engine("updown") else { return };
    let a = e.t("a");
    e.config(json!({ "a": { "instances": 3 } }));
    assert_eq!(e.sync().code, 0);
    let before = e.containers();
    // A pool member the config no longer lists is still the project's.
    e.config(json!({ "a": { "instances": 2 } }));
    let d = e.fleet(&["down", "-t", "0"]);
    assert_eq!(d.code, 0, "{d:?}");
    assert_eq!(
        d.stdout,
        format!("[containers-down] stopped: {a}-default, {a}-2, {a}-3\n")
    );
    assert!(
        e.containers().values().all(|(_, st)| st == "exited"),
        "{:?}",
        e.containers()
    );
    let u = e.fleet(&["up"]);
    assert_eq!(u.code, 0, "{u:?}");
    assert_eq!(
        u.stdout,
        format!("[containers-up] started: {a}-default, {a}-2, {a}-3\n")
    );
    let after = e.containers();
    assert_eq!(after.len(), 3);
    for (name, (id, st)) in &after {
        assert_eq!((id, st.as_str()), (&before[name].0, "running"), "{name}");
    }
    let u = e.fleet(&["up"]);
    assert_eq!(
        u.stdout,
        "[containers-up] nothing to start: 3 containers of the project running\n"
    );
}

/// Two agents of type `a`, `a-2` busy with a `docker exec`: `down` stops
/// `a-default` and leaves `a-2` running. Shared by the docker and podman
/// tests; returns the containers as they were before `down`.
pub fn down_spares_a_busy_agent(e: &Engine) -> BTreeMap<String, (String, String)> {
    let a = e.t("a");
    e.config(json!({ "a": { "instances": 2 } }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    let before = e.containers();
    e.docker(&["exec", "-d", &format!("{a}-2"), "sleep", "120"]);
    let d = e.fleet(&["down", "-t", "0"]);
    assert_eq!(d.code, 0, "{d:?}");
    assert_eq!(
        d.stdout,
        format!(
            "[containers-down] stopped: {a}-default\n[containers-down] skipped: {a}-2 (1 live exec session, left running; --force stops it anyway)\n"
        )
    );
    assert_eq!(e.containers()[&format!("{a}-2")].1, "running");
    before
}

#[test]
fn down_leaves_busy_containers_running_unless_forced() {
    let Some(e) = engine("downbusy") else { return };
    let a = e.t("a");
    down_spares_a_busy_agent(&e);
    assert_eq!(e.state(&format!("{a}-2")), "running 0");
    let d = e.fleet(&["down", "-t", "0", "--force"]);
    assert_eq!(
        d.stdout,
        format!("[containers-down] stopped: {a}-2\n"),
        "{d:?}"
    );
}

#[test]
fn status_rows_match_reality() {
    let Some(e) = engine("status") else { return };
    let a = e.t("a");
    e.config(json!({ "a": { "instances": 3 } }));
    assert_eq!(e.sync().code, 0);
    e.docker(&["kill", &format!("{a}-2")]);
    e.docker(&["pause", &format!("{a}-3")]);
    e.config(json!({ "a": { "instances": 4 } }));
    let s = e.fleet(&["status", "--json"]);
    assert_eq!(s.code, 0, "{s:?}");
    let doc: Value = serde_json::from_str(&s.stdout).unwrap();
    let got: Vec<(String, String, String)> = doc["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (format!("{a}-default"), "running", "unchanged"),
        (format!("{a}-2"), "exited 137", "started"),
        (format!("{a}-3"), "paused", "started"),
        (format!("{a}-4"), "absent", "created"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(n, s, a)| (n.clone(), s.to_string(), a.to_string()))
        .collect();
    assert_eq!(got, want);
    e.docker(&["unpause", &format!("{a}-3")]);
}

#[test]
fn one_failing_run_leaves_the_others_converged() {
    let Some(e) = engine("onefail") else { return };
    let (good, bad) = (e.t("good"), e.t("bad"));
    e.config(
        json!({ "good": { "instances": 2 }, "bad": { "image": "fleet-demo:does-not-exist" } }),
    );
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert_eq!(bucket(&s, "created"), format!("{good}-default, {good}-2"));
    assert_eq!(bucket(&s, "failed"), format!("{bad}-default"));
    assert!(
        s.stderr
            .contains(&format!("failed to create `{bad}-default`")),
        "{s:?}"
    );
    assert!(
        s.stderr.contains("help: the image is not on this host"),
        "{s:?}"
    );
    assert_eq!(e.state(&format!("{good}-2")), "running 0");
    // Fixed config: the next sync creates the missing one and nothing else.
    e.config(json!({ "good": { "instances": 2 }, "bad": {} }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(bucket(&s, "created"), format!("{bad}-default"));
    assert_eq!(bucket(&s, "unchanged"), format!("{good}-default, {good}-2"));
}

#[test]
fn an_interrupted_recreate_is_repaired_by_the_next_sync() {
    let Some(e) = engine("crash") else { return };
    let a = format!("{}-default", e.t("a"));
    let b = format!("{}-default", e.t("b"));
    e.config(json!({ "a": { "env": { "V": "1" } }, "b": {} }));
    assert_eq!(e.sync().code, 0);
    let labels = |t: &str| {
        vec![
            format!("fleet.project={}", e.project),
            format!("fleet.type={}", e.t(t)),
            "fleet.instance=1".to_string(),
            "fleet.config-hash=sha256:stale".to_string(),
        ]
    };
    // Crash after the create: `a` drifted and its replacement exists.
    let la = labels("a");
    e.hand_made(
        &format!("{a}.fleet-next"),
        &la.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // Crash after the removal: `b` is gone, only its replacement exists.
    e.docker(&["rm", "-f", &b]);
    let lb = labels("b");
    e.hand_made(
        &format!("{b}.fleet-next"),
        &lb.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    e.config(json!({ "a": { "env": { "V": "2" } }, "b": {} }));
    let s = e.sync();
    assert_eq!(s.code, 0, "{s:?}");
    // `a` is kept and recreated, its leftover removed first; `b` lives on
    // as its replacement (the labels say it is instance 1 of `b`): renamed
    // back, then recreated since its hash is stale.
    assert_eq!(bucket(&s, "recreated"), format!("{a}, {b}"), "{s:?}");
    assert_eq!(bucket(&s, "created"), "", "{s:?}");
    assert_eq!(bucket(&s, "removed"), format!("{a}.fleet-next"), "{s:?}");
    let names: Vec<String> = e.containers().into_keys().collect();
    assert_eq!(names, [a.clone(), b.clone()], "no leftover replacement");
    assert_eq!(
        e.sync().stdout,
        format!("[agents-sync] unchanged: {a}, {b}\n")
    );
}

#[test]
fn an_empty_config_does_not_wipe_the_fleet() {
    let Some(e) = engine("empty") else { return };
    e.config(json!({ "a": { "instances": 2 } }));
    assert_eq!(e.sync().code, 0);
    e.config(json!({}));
    let s = e.sync();
    assert_eq!(s.code, 1, "{s:?}");
    assert!(s.stderr.contains("refusing to remove them all"), "{s:?}");
    assert_eq!(e.containers().len(), 2, "nothing removed");
    let s = e.fleet(&["sync", "--allow-empty"]);
    assert_eq!(s.code, 0, "{s:?}");
    assert_eq!(e.containers().len(), 0);
}

/// docker runs each health probe as an exec session, listed in `ExecIDs`
/// like a dispatcher's. A probe that takes 1 s every 1 s is live about
/// half the time: plan never defers for it and down stops the container,
/// while a dispatcher's session still defers.
#[test]
fn health_probes_are_not_work() {
    let Some(e) = engine("probe") else { return };
    let a = format!("{}-default", e.t("a"));
    let hc = json!({ "test": ["CMD", "sleep", "1"], "interval": "1s", "timeout": "5s" });
    e.config(json!({ "a": { "env": { "V": "1" }, "healthcheck": hc } }));
    assert_eq!(e.sync().code, 0);
    e.config(json!({ "a": { "env": { "V": "2" }, "healthcheck": hc } }));
    let mut seen_probe = 0;
    for _ in 0..12 {
        let execs = e.docker(&["inspect", "-f", "{{len .ExecIDs}}", &a]);
        seen_probe += usize::from(execs.trim() != "0");
        let p = e.fleet(&["plan"]);
        assert!(
            !p.stdout.contains("defer"),
            "a probe counted as work: {p:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    assert!(
        seen_probe > 0,
        "no probe was ever live: the test proves nothing"
    );
    e.docker(&["exec", "-d", &a, "sleep", "120"]);
    let p = e.fleet(&["plan"]);
    assert!(p.stdout.contains("1 live exec session"), "{p:?}");
    let d = e.fleet(&["down", "-t", "0", "--force"]);
    assert_eq!(d.code, 0, "{d:?}");
    e.config(json!({ "a": { "healthcheck": hc } }));
    assert_eq!(e.sync().code, 0);
    // Down while a probe is live, when one can be caught.
    e.until_exec_session(&a, 20);
    let d = e.fleet(&["down", "-t", "0"]);
    assert_eq!(
        d.stdout,
        format!("[containers-down] stopped: {a}\n"),
        "{d:?}"
    );
}

/// `status` shows readiness on a real engine: a passing healthcheck is
/// healthy, a failing one unhealthy with its output, a `restart: always`
/// container whose command exits is crash-looping, and plan names it.
#[test]
fn status_shows_readiness() {
    let Some(e) = engine("ready") else { return };
    let hc = |test: Value| json!({ "test": test, "interval": "1s", "retries": 1 });
    e.config(json!({
        "ok": { "healthcheck": hc(json!(["CMD", "true"])) },
        "sick": { "healthcheck": hc(json!(["CMD-SHELL", "echo no db; false"])) },
        "loop": { "command": ["false"], "restart": "always" },
    }));
    e.sync();
    let want = [
        ("ok", "healthy"),
        ("sick", "unhealthy: no db"),
        ("loop", "crash-looping"),
    ];
    let mut rows = Value::Null;
    for _ in 0..50 {
        let s = e.fleet(&["--json", "status"]);
        let doc: Value = serde_json::from_str(&s.stdout).unwrap();
        rows = doc["agents"].clone();
        let ready = |t: &str| {
            let name = format!("{}-default", e.t(t));
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == name.as_str())
                .map(|r| r["ready"].as_str().unwrap_or("").to_string())
        };
        if want
            .iter()
            .all(|(t, w)| ready(t).is_some_and(|r| r.starts_with(w)))
        {
            let p = e.fleet(&["plan"]);
            assert!(p.stdout.contains("matches, but crash-looping ("), "{p:?}");
            assert!(p.stderr.contains("warning:"), "{p:?}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("readiness never showed as expected: {rows:#}");
}
