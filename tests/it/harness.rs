//! The one harness for CLI-level tests: [`check`] runs `fleet <args>`
//! in-process, parsing included, in the [`World`] it is given (a config
//! file, the docker engine as a script for the fake runner, the environment,
//! the terminals) and returns what came of it as a [`Ran`]: exit code,
//! stdout, stderr and the docker commands that ran. The engine tests' runs
//! of the real binary come back as a [`Ran`] too.

use std::ffi::OsString;
use std::fmt;
use std::sync::atomic::AtomicBool;

use fleet::Env;
use fleet::docker::{Cmd, DockerError, Output, Runner, argv};

use crate::fake::FakeRunner;
use crate::support::Existing;

/// What one run of fleet produced.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The docker commands it issued, in the order they came (the fake
    /// runner's record; empty for a run of the real binary, whose are not
    /// seen).
    pub calls: Vec<Cmd>,
}

impl Ran {
    /// A finished process of the real binary.
    pub fn of_process(o: std::process::Output) -> Ran {
        Ran {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            calls: Vec::new(),
        }
    }

    /// The docker commands that ran, one `docker …` line each.
    pub fn transcript(&self) -> String {
        self.calls
            .iter()
            .map(|c| format!("docker {}\n", c.full_line()))
            .collect()
    }

    /// The docker subcommands that ran, in order (`ps`, `inspect`, …).
    /// Discovery's `inspect` and `image inspect` run side by side, so they
    /// may arrive either way round: right after a `ps` they are listed as
    /// `inspect`, `image`.
    pub fn verbs(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.calls.iter().map(Cmd::verb).collect();
        for i in 1..v.len().saturating_sub(1) {
            if v[i - 1] == "ps" && v[i] == "image" && v[i + 1] == "inspect" {
                v.swap(i, i + 1);
            }
        }
        v
    }
}

impl fmt::Debug for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )?;
        if !self.calls.is_empty() {
            write!(f, "--- docker\n{}", self.transcript())?;
        }
        Ok(())
    }
}

/// What the run pretends about its stdout and stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct Terminals {
    pub out: bool,
    pub err: bool,
}

/// Everything a run meets: the config file, docker, the environment and
/// the terminals. Built by chaining; [`check`] consumes it.
pub struct World {
    /// The config file's text: written to a private directory, passed as
    /// `-c`, with that directory as `--lock-dir`.
    config: Option<String>,
    docker: FakeRunner,
    /// Run as `main` does, with the real runner `--docker` names.
    real_docker: bool,
    env: Env,
    terminals: Terminals,
    /// Docker calls (global options and argv) that panic in fleet's
    /// thread instead of running (a bug's stand-in).
    panics: Vec<Cmd>,
}

/// The fake runner, with [`World::panic_on`]'s calls panicking.
struct Panicking<'a> {
    inner: &'a FakeRunner,
    on: &'a [Cmd],
}

impl Runner for Panicking<'_> {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        let hit = (self.on.iter()).any(|c| c.global == cmd.global && c.args == cmd.args);
        if hit {
            panic!("a test's planted panic: {}", cmd.full_line());
        }
        self.inner.run(cmd)
    }
}

impl World {
    /// Every call of `cmd` (its global options and argv) panics in
    /// fleet's thread (nothing is recorded for it).
    pub fn panic_on(mut self, cmd: Cmd) -> World {
        self.panics.push(cmd);
        self
    }

    /// `config` as the config file (`-c`, in a private directory that is
    /// also the lock directory); a docker that expects no command; an empty
    /// environment (whatever the test process's is); no terminals.
    pub fn new(config: &str) -> World {
        World {
            config: Some(config.to_string()),
            ..World::bare()
        }
    }

    /// Like [`World::new`] with no config file and no flags added: the
    /// arguments and the environment say all, as a user's would.
    pub fn bare() -> World {
        World {
            config: None,
            docker: FakeRunner::new(),
            real_docker: false,
            env: Env::default(),
            terminals: Terminals::default(),
            panics: Vec::new(),
        }
    }

    /// `env` as the whole environment.
    pub fn env(mut self, env: Env) -> World {
        self.env = env;
        self
    }

    /// One more variable in the environment.
    pub fn var(mut self, key: &str, value: impl Into<OsString>) -> World {
        self.env = self.env.with(key, value);
        self
    }

    pub fn terminals(mut self, t: Terminals) -> World {
        self.terminals = t;
        self
    }

    /// Docker as `main` reaches it: the real runner, on the program
    /// `--docker` / `FLEET_DOCKER` names (give it one that does not exist).
    pub fn real_docker(mut self) -> World {
        self.real_docker = true;
        self
    }

    /// Expects `docker <line>` (split on spaces) once, answering `reply`.
    pub fn expect(self, line: &str, reply: Output) -> World {
        let argv = line.split_whitespace().map(str::to_string).collect();
        self.docker.expect(argv, Ok(reply));
        self
    }

    /// Expects `cmd`'s argv once, answering `reply` (which may be an error).
    pub fn expect_cmd(self, cmd: Cmd, reply: Result<Output, DockerError>) -> World {
        self.docker.expect(cmd.argv(), reply);
        self
    }

    /// Answers `cmd` with `reply` as often as it comes, never included
    /// (polls whose count depends on time).
    pub fn allow_cmd(self, cmd: Cmd, reply: Output) -> World {
        self.docker.allow(cmd.argv(), reply);
        self
    }

    /// The three discovery calls for `existing` (all of which the listing
    /// shows) and `images` (reference, ID).
    pub fn discovery(self, existing: &[Existing], images: &[(&str, &str)]) -> World {
        let mut w = self.expect_cmd(argv::list_all(), Ok(Output::ok(listing(existing))));
        if !existing.is_empty() {
            w = w.inspect(existing);
        }
        if images.is_empty() {
            w
        } else {
            w.images(images)
        }
    }

    /// One `docker image inspect` of these (reference, ID), each image's
    /// env holding only `PATH`.
    pub fn images(self, images: &[(&str, &str)]) -> World {
        let refs: Vec<&str> = images.iter().map(|(r, _)| *r).collect();
        let lines: String = images
            .iter()
            .map(|(_, id)| format!("{id}\t[\"PATH=/bin\"]\n"))
            .collect();
        self.expect_cmd(argv::image_inspect(&refs), Ok(Output::ok(lines)))
    }

    /// One `docker inspect` of these containers' IDs, answering with them:
    /// the inspect that confirms started containers run, for one.
    pub fn inspect(self, containers: &[Existing]) -> World {
        let ids: Vec<&str> = containers.iter().map(|e| e.id.as_str()).collect();
        let doc: Vec<serde_json::Value> = containers.iter().map(Existing::to_json).collect();
        let doc = serde_json::to_string(&doc).unwrap();
        self.expect_cmd(argv::inspect(&ids), Ok(Output::ok(doc)))
    }

    /// `up` / `down`'s reading of project `p`: the label-filtered listing
    /// of these containers, then one inspect of them (their states).
    pub fn project_listing(self, seen: &[Existing]) -> World {
        let lines: String = seen
            .iter()
            .map(|e| format!("{}\t{}\n", e.id, e.name))
            .collect();
        let w = self.expect_cmd(argv::list_project("p"), Ok(Output::ok(lines)));
        if seen.is_empty() { w } else { w.inspect(seen) }
    }

    /// `down`'s listing of project `p`'s `fleet exec` claims: one on each
    /// of `agents`, taken a second ago by a fleet on another machine with
    /// an hour's grace (so it counts), as docker lists them.
    pub fn claims(self, agents: &[&str]) -> World {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            - 1.0;
        let lines: String = (agents.iter().enumerate())
            .map(|(i, a)| {
                let labels = format!(
                    "fleet.claim=p,fleet.claim.agent={a},fleet.claim.holder=ops@far pid 4242,fleet.claim.machine=far,fleet.claim.pid=4242,fleet.claim.since={since:.3},fleet.claim.grace=3600"
                );
                format!("{:064x}\t{a}.fleet-claim\t{}\n", 0xc1a1_0000 + i, serde_json::json!(labels))
            })
            .collect();
        self.expect_cmd(argv::list_claims("p"), Ok(Output::ok(lines)))
    }

    /// The re-reading of the engine after a failed action (the listing, and
    /// the inspect of project `p`'s containers), answering with `after`.
    pub fn reobserve(self, after: &[Existing]) -> World {
        let w = self.expect_cmd(argv::list_all(), Ok(Output::ok(listing(after))));
        let ours: Vec<Existing> = after
            .iter()
            .filter(|e| e.project() == "p")
            .cloned()
            .collect();
        if ours.is_empty() { w } else { w.inspect(&ours) }
    }
}

/// `docker ps`'s lines for these containers, as fleet asks for them
/// (`{{json .Labels}}` as docker prints it: one `k=v,k=v` string).
pub fn listing(existing: &[Existing]) -> String {
    existing
        .iter()
        .map(|e| {
            let labels: Vec<String> = e
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            format!(
                "{}\t{}\t{}\n",
                e.id,
                e.name,
                serde_json::json!(labels.join(","))
            )
        })
        .collect()
}

/// Runs `fleet <args>` in-process in `world`. The private directory's path
/// reads `<dir>` in stdout and stderr. Panics, showing the run, when docker
/// was asked for a command the world did not script or not for one it did.
pub fn check(args: &[&str], world: World) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let mut argv: Vec<OsString> = vec!["fleet".into()];
    if let Some(text) = &world.config {
        let path = dir.path().join("agents.json");
        std::fs::write(&path, text).unwrap();
        argv.extend(["-c".into(), path.into()]);
        argv.extend(["--lock-dir".into(), dir.path().into()]);
    }
    argv.extend(args.iter().map(Into::into));
    let panicking = Panicking {
        inner: &world.docker,
        on: &world.panics,
    };
    let docker = (!world.real_docker).then_some(&panicking as &dyn Runner);
    let (code, stdout, stderr) = in_process(argv, &world.env, world.terminals, docker);
    let here = dir.path().display().to_string();
    let ran = Ran {
        code,
        stdout: stdout.replace(&here, "<dir>"),
        stderr: stderr.replace(&here, "<dir>"),
        calls: world.docker.calls(),
    };
    if let Some(why) = world.docker.unmet() {
        panic!("{why}{ran:?}");
    }
    ran
}

/// Runs `fleet` with `argv` (the program name first) in-process: parsed
/// against `env`, then run against `docker`, or without one against the
/// real runner `main` builds. Returns the exit code, stdout and stderr.
pub fn in_process(
    argv: Vec<OsString>,
    env: &Env,
    t: Terminals,
    docker: Option<&dyn Runner>,
) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let mut io = fleet::Io {
            stop: &AtomicBool::new(false),
            signal: &std::sync::atomic::AtomicUsize::new(0),
            in_is_terminal: false,
            out: &mut out,
            err: &mut err,
            out_is_terminal: t.out,
            err_is_terminal: t.err,
            term_width: None,
        };
        match docker {
            None => fleet::main_with(argv, env, &mut io),
            Some(docker) => match fleet::parse(argv, env, &mut io) {
                Ok(cli) => fleet::run(&cli, docker, &mut io),
                Err(code) => code,
            },
        }
    };
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}
