//! The one door to docker: the [`Runner`] trait, the command and output
//! types, the argv builders ([`argv`]) and the real runner on duct ([`real`]).
//! (The tests' scripted fake runner lives in the test crate: tests/it/fake.rs.)
//!
//! Nothing outside this module spawns docker (`crate::ssh` spawns only
//! ssh, for its shared connections). A [`Cmd`] carries the argv
//! and, separately, the agent env values a `run`/`create` needs: they reach
//! docker as an env file on its stdin (`--env-file /dev/stdin`), never on a
//! command line and never in the environment of the docker process, where an
//! agent's `DOCKER_HOST` or `PATH` would steer fleet's own CLI.

pub mod argv;
pub mod real;
pub mod service;

use std::fmt;

/// One docker invocation: `docker <args…>`, and the agent env it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Cmd {
    pub args: Vec<String>,
    /// Agent env (`KEY`, value) written to the child's stdin as an env file,
    /// one `KEY=value` a line, when `args` holds `--env-file /dev/stdin`.
    /// Never in the child's environment, never printed.
    pub env_file: Vec<(String, String)>,
    /// Agent env handed to the docker CLI in its own environment, for
    /// `docker service update --env-add KEY` (the CLI takes the value of a
    /// bare `KEY` from its environment; `service update` has no
    /// `--env-file`). Only the child's environment, readable by its user
    /// and root as the 0600 env file is; never on an argv, never printed.
    /// A swarm config refuses the keys the docker CLI reads itself.
    pub env_vars: Vec<(String, String)>,
    /// Bytes for the child's stdin when there is no env file (a swarm
    /// lock's data for `docker config create NAME -`). Never a secret.
    pub input: Option<String>,
    /// A floor under the runner's timeout, for the calls that undo a failed
    /// swap or read the engine again after a failure: a `--timeout` short
    /// enough to cut off the mutation must not also cut off its repair.
    pub min_timeout: Option<std::time::Duration>,
    /// The docker CLI's global options that pick the engine (`--host URL`,
    /// `--context NAME`), placed before `args`; empty for the CLI's default.
    pub global: Vec<String>,
    /// The `PATH` of the docker process, when fleet sets it: an SSH
    /// wrapper's directory first (see [`crate::ssh`]). Fleet's own value,
    /// never the agents'.
    pub path: Option<std::ffi::OsString>,
}

impl Cmd {
    pub fn new<I, S>(args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cmd {
            args: args.into_iter().map(Into::into).collect(),
            env_file: Vec::new(),
            env_vars: Vec::new(),
            input: None,
            min_timeout: None,
            global: Vec::new(),
            path: None,
        }
    }

    /// Every argument the program gets: `global`, then `args`.
    pub fn argv(&self) -> Vec<String> {
        let mut v = self.global.clone();
        v.extend(self.args.iter().cloned());
        v
    }

    /// The stdin of the child: the env file, or nothing. Fails for a value
    /// docker's env-file reader would not carry exactly (config validation
    /// rejects those first; this guards every other way in).
    pub fn stdin(&self) -> Result<Option<Vec<u8>>, String> {
        if self.env_file.is_empty() {
            return Ok(self.input.as_ref().map(|t| t.clone().into_bytes()));
        }
        let mut text = String::new();
        for (k, v) in &self.env_file {
            if let Some(why) = crate::spec::env_file_problem(k, v) {
                return Err(format!("env `{k}`: {why}"));
            }
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            text.push('\n');
        }
        Ok(Some(text.into_bytes()))
    }

    /// The argv as one line (without the global options), for messages
    /// and transcripts. Safe to print: env values are never in `args`.
    pub fn line(&self) -> String {
        self.args.join(" ")
    }

    /// The whole command line, global options included (what `-v` shows).
    pub fn full_line(&self) -> String {
        self.argv().join(" ")
    }

    /// The docker subcommand, for messages (`start`, `run`, …).
    pub fn verb(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }
}

impl fmt::Debug for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = (self.env_file.iter().chain(&self.env_vars))
            .map(|(k, _)| k.as_str())
            .collect();
        write!(f, "docker {} (env keys: {keys:?})", self.line())
    }
}

/// What a docker process that ran to completion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(stdout: impl Into<String>) -> Output {
        Output {
            code: Some(0),
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    pub fn fail(code: i32, stderr: impl Into<String>) -> Output {
        Output {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a docker call gave no usable answer.
#[derive(Debug, Clone, PartialEq)]
pub enum DockerError {
    /// The program could not be started at all.
    Spawn {
        program: String,
        cmd: String,
        error: String,
        /// The program was not found (the help line differs).
        not_found: bool,
    },
    /// fleet refused to start it: its input could not be passed exactly.
    Input { cmd: String, error: String },
    /// It ran past the timeout and was killed.
    Timeout { cmd: String, seconds: f64 },
    /// It ran and exited non-zero (or was killed by a signal).
    Failed {
        cmd: String,
        code: Option<i32>,
        stderr: String,
    },
}

impl DockerError {
    /// What went wrong, without the help line.
    pub fn message(&self) -> String {
        match self {
            DockerError::Spawn {
                program,
                cmd,
                error,
                ..
            } => format!(
                "could not run `{program}` (for `docker {}`): {error}",
                short(cmd)
            ),
            DockerError::Input { cmd, error } => {
                format!("did not run `docker {}`: {error}", short(cmd))
            }
            DockerError::Timeout { cmd, seconds } => format!(
                "`docker {}` did not answer within {seconds}s and was killed",
                short(cmd)
            ),
            DockerError::Failed { cmd, code, stderr } => {
                let how = match code {
                    Some(c) => format!("exited {c}"),
                    None => "was killed by a signal".to_string(),
                };
                let cmd = short(cmd);
                match stderr.trim() {
                    "" => format!("`docker {cmd}` {how}"),
                    stderr => format!("`docker {cmd}` {how}: {}", distinct_lines(stderr)),
                }
            }
        }
    }

    /// What to do about it, when fleet knows.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            DockerError::Spawn { not_found, .. } => not_found
                .then_some("is the docker CLI installed? Pass --docker <path> or set FLEET_DOCKER"),
            DockerError::Input { .. } => {
                Some("fix the value in the config (`fleet check` validates it)")
            }
            DockerError::Timeout { .. } => Some(
                "is the Docker engine running and responsive? (docker info); raise --timeout or FLEET_TIMEOUT if it is just slow",
            ),
            DockerError::Failed { stderr, .. } => help_for(stderr),
        }
    }
}

/// The message, then `help: …` on a line of its own.
impl fmt::Display for DockerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message())?;
        if let Some(help) = self.help() {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DockerError {}

/// `text`'s lines, each said once (in the order first said): a batched
/// call (`inspect`, `stop`, `rm` of many) repeats one failure per name,
/// "Cannot connect to the Docker daemon …" six times for six names.
fn distinct_lines(text: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for line in text.lines() {
        if !seen.contains(&line) {
            seen.push(line);
        }
    }
    seen.join("\n")
}

/// The subcommand of an argv line, for messages: `run`, `image inspect`.
/// The full argv is what `-v` prints.
fn short(line: &str) -> String {
    let mut words = line.split(' ');
    match (words.next(), words.next()) {
        (Some(first @ ("image" | "container")), Some(second)) => format!("{first} {second}"),
        (Some(first), _) => first.to_string(),
        _ => String::new(),
    }
}

/// What to do about well-known docker failures.
fn help_for(stderr: &str) -> Option<&'static str> {
    if stderr.contains("Unable to find image")
        || stderr.contains("pull access denied")
        || stderr.contains("No such image")
    {
        Some(
            "the image is not on this host and could not be pulled; build or load it first (docker images lists what is here)",
        )
    } else if stderr.contains("Cannot connect to the Docker daemon")
        || stderr.contains("error during connect")
    {
        Some("is the Docker engine running? (docker info; systemctl status docker)")
    } else if stderr.contains("already exists") && stderr.contains("task") {
        Some(
            "the engine holds a stale task for it, typically after an engine crash; `docker rm -f` it and rerun `fleet sync` to recreate it",
        )
    } else if stderr.contains("is already in use by container") {
        Some("another container holds that name; `docker ps -a` shows it")
    } else {
        None
    }
}

/// How long a repair or a re-read may take at least (see
/// [`Cmd::min_timeout`]).
pub(crate) const PATIENT: std::time::Duration = std::time::Duration::from_secs(15);

/// A runner whose every call gets at least [`PATIENT`] seconds: for the
/// rollback of a failed swap and the re-read after a failure.
pub(crate) struct Patient<'a>(pub &'a dyn Runner);

impl Runner for Patient<'_> {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        let mut cmd = cmd.clone();
        cmd.min_timeout = Some(cmd.min_timeout.map_or(PATIENT, |t| t.max(PATIENT)));
        self.0.run(&cmd)
    }
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn std::io::Read),
    ) -> Result<Output, DockerError> {
        let mut cmd = cmd.clone();
        cmd.min_timeout = Some(cmd.min_timeout.map_or(PATIENT, |t| t.max(PATIENT)));
        self.0.run_reading(&cmd, read)
    }
    fn attached(&self, cmd: &Cmd, attach: Attach) -> Result<Ended, DockerError> {
        self.0.attached(cmd, attach)
    }
}

/// How an attached command ended: its exit code (`None`: killed by a
/// signal), and the ends of what it wrote on stdout and stderr (which went
/// on to fleet's as they came), for telling docker's own failures apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ended {
    pub code: Option<i32>,
    pub stderr_tail: String,
}

/// How an attached command ([`Runner::attached`]) meets fleet's process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attach {
    /// Its stdin is fleet's (else `/dev/null`).
    pub stdin: bool,
    /// It leads a process group of its own, so the terminal's SIGINT
    /// reaches fleet only (which forwards it); `false` with a TTY, whose
    /// docker CLI must stay in the terminal's foreground group.
    pub own_group: bool,
}

/// A runner that shows each command (`-v`) before the runner it wraps
/// runs it. Showing is the caller's: `show` gets the command, whose argv
/// never holds an env value.
pub(crate) struct Traced<'a> {
    pub inner: &'a dyn Runner,
    pub show: &'a (dyn Fn(&Cmd) + Sync),
}

impl Runner for Traced<'_> {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        (self.show)(cmd);
        self.inner.run(cmd)
    }
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn std::io::Read),
    ) -> Result<Output, DockerError> {
        (self.show)(cmd);
        self.inner.run_reading(cmd, read)
    }
    fn attached(&self, cmd: &Cmd, attach: Attach) -> Result<Ended, DockerError> {
        (self.show)(cmd);
        self.inner.attached(cmd, attach)
    }
}

/// The only way fleet reaches docker. Implementations must be shareable
/// across the apply worker threads.
pub trait Runner: Sync {
    /// Runs one command to completion (or timeout). A non-zero exit is an
    /// `Ok(Output)`; see [`run_ok`] to treat it as an error.
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError>;

    /// Runs `cmd` with fleet's own stdout and stderr (and stdin, when
    /// `attach.stdin`), no timeout, to its end: `fleet exec`'s `docker
    /// exec`. Its exit code (`None`: killed by a signal, whose number is
    /// then `128 +` in the code docker would give). This default runs it
    /// as [`Runner::run`] does and drops what it printed: for runners that
    /// only answer (tests).
    fn attached(&self, cmd: &Cmd, attach: Attach) -> Result<Ended, DockerError> {
        let _ = attach;
        let out = self.run(cmd)?;
        Ok(Ended {
            code: out.code,
            stderr_tail: out.stderr,
        })
    }

    /// Runs `cmd` like [`Runner::run`], but hands its stdout to `read` as
    /// it comes instead of keeping it (the `Output`'s stdout is empty):
    /// for output too large to hold whole, the batched `docker inspect`.
    /// This default runs it whole, then hands the text over.
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn std::io::Read),
    ) -> Result<Output, DockerError> {
        let mut out = self.run(cmd)?;
        let stdout = std::mem::take(&mut out.stdout);
        read(&mut stdout.as_bytes());
        Ok(out)
    }
}

impl<R: Runner + ?Sized> Runner for &R {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        (**self).run(cmd)
    }
    fn run_reading(
        &self,
        cmd: &Cmd,
        read: &mut dyn FnMut(&mut dyn std::io::Read),
    ) -> Result<Output, DockerError> {
        (**self).run_reading(cmd, read)
    }
    fn attached(&self, cmd: &Cmd, attach: Attach) -> Result<Ended, DockerError> {
        (**self).attached(cmd, attach)
    }
}

/// Runs `cmd` and turns a non-zero exit into [`DockerError::Failed`].
pub(crate) fn run_ok(runner: &dyn Runner, cmd: &Cmd) -> Result<Output, DockerError> {
    let out = runner.run(cmd)?;
    if out.success() {
        Ok(out)
    } else {
        Err(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr,
        })
    }
}

/// The first 12 hex digits of an ID, as docker prints them.
pub(crate) fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    // By characters, not bytes: an ID from a malformed document may not be hex.
    hex.char_indices().nth(12).map_or(hex, |(i, _)| &hex[..i])
}

/// docker's message and its help, kept apart.
impl From<DockerError> for crate::error::Error {
    fn from(e: DockerError) -> crate::error::Error {
        let err = crate::error::Error::docker(e.message());
        match e.help() {
            Some(h) => err.with_help(h),
            None => err,
        }
    }
}

/// The image a "missing image" stderr line names, in each engine's words:
/// docker's `Error: No such image: <ref>` (the daemon's words and the CLI's,
/// once or twice on a line; the CLI may print the ref with
/// `:latest` added, or without `docker.io/library/`: compare normalised),
/// podman's `Error: inspecting object: <ref>: image not known`.
pub(crate) fn missing_image_named(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    // The last mention: docker 28 says it twice (`…: no such image: x: No
    // such image: x`).
    if let Some(i) = lower.rfind("no such image:") {
        return Some(line[i + "no such image:".len()..].trim().to_string());
    }
    let end = lower.find(": image not known")?;
    let start = line[..end].rfind(": ").map_or(0, |i| i + 2);
    Some(line[start..end].trim().to_string())
}
