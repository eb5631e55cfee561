//! The command line: clap derive types, the validation of flag values, and
//! [`parse`], which fills a flag that was not given from its environment
//! variable. The environment is a value ([`Env`]) passed in: nothing here
//! reads process state.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::Env;

/// Keeps a host's long-lived agent containers converged with config/agents.json.
#[derive(Debug, Parser)]
#[command(name = "fleet", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The global flags. After [`parse`], a flag not given on the command line
/// holds its environment variable's value when that is set (the flag wins
/// over the variable, the variable over the default).
#[derive(Debug, Args)]
pub struct Global {
    /// The config file [env: FLEET_CONFIG]
    #[arg(short, long, global = true, default_value = "config/agents.json")]
    pub config: PathBuf,
    /// The docker CLI to run [env: FLEET_DOCKER]
    #[arg(long, global = true, default_value = "docker")]
    pub docker: String,
    /// Print one JSON document instead of text (errors too)
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour the text output (auto: never with NO_COLOR set)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// How many docker operations may run at once
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Seconds one docker call may take before it is killed, 0.001 to 86400
    /// [env: FLEET_TIMEOUT]
    #[arg(long, global = true, value_name = "SECS", default_value = "120", value_parser = timeout_secs)]
    pub timeout: Duration,
    /// Seconds to wait for another fleet run on the same project to finish,
    /// 0 to 86400 [env: FLEET_LOCK_WAIT]
    #[arg(long, global = true, value_name = "SECS", default_value = "300", value_parser = lock_wait_secs)]
    pub lock_wait: Duration,
    /// Seconds a host's lock taken by this run counts as held: past it,
    /// another run may take the lock over (configs with `hosts`), 1 to 86400
    /// [env: FLEET_LOCK_LEASE]
    #[arg(long, global = true, value_name = "SECS", default_value = "3600", value_parser = lease_secs)]
    pub lock_lease: Duration,
    /// Seconds to open the connection to one host (an SSH handshake): a
    /// host that does not answer by then fails alone, 0.001 to 86400
    /// [env: FLEET_CONNECT_TIMEOUT]
    #[arg(long, global = true, value_name = "SECS", default_value = "10", value_parser = timeout_secs)]
    pub connect_timeout: Duration,
    /// Only this host of the config's `hosts` (repeatable; default: all)
    #[arg(long = "host", global = true, value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Where the per-project lock file lives [env: FLEET_LOCK_DIR]
    // `None` only before `parse`, which resolves the default.
    #[arg(long, global = true, hide = true)]
    pub lock_dir: Option<PathBuf>,
    /// Print every docker command as it runs (env values are never shown)
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only errors (a requested --json document is still printed)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The longest `--timeout` and `--lock-wait`: a day. Longer is surely a
/// typo, and far larger numbers overflow a `Duration` (a panic).
pub(crate) const MAX_SECS: f64 = 86_400.0;

/// `--timeout`: a millisecond (less would kill every docker call at once;
/// 0 does not mean "no timeout") to [`MAX_SECS`].
pub(crate) fn timeout_secs(s: &str) -> Result<Duration, String> {
    seconds(s, 0.001)
}

/// `--lock-wait`: 0 (do not wait) to [`MAX_SECS`].
pub(crate) fn lock_wait_secs(s: &str) -> Result<Duration, String> {
    seconds(s, 0.0)
}

/// `--lock-lease`: a second to [`MAX_SECS`].
pub fn lease_secs(s: &str) -> Result<Duration, String> {
    seconds(s, 1.0)
}

fn seconds(s: &str, min: f64) -> Result<Duration, String> {
    let range = || format!("expected a number of seconds from {min} to {MAX_SECS}");
    match s.parse::<f64>() {
        // `-0` passes the range check; `+ 0.0` makes it `0`.
        Ok(x) if x.is_finite() && (min..=MAX_SECS).contains(&x) => {
            Ok(Duration::from_secs_f64(x + 0.0))
        }
        _ => Err(range()),
    }
}

/// Whether `args` (program name first) ask for `fleet exec`, as far as
/// clap can tell from arguments that may not parse.
pub(crate) fn is_exec(args: &[OsString]) -> bool {
    Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args)
        .is_ok_and(|m| m.subcommand_name() == Some("exec"))
}

/// Parses `args` (program name first), then resolves each flag that may
/// also come from the environment: the flag if given, else its variable
/// from `env`, else the default. `NO_COLOR` (non-empty) turns `--color
/// auto` into `never`. A bad value, on the command line or in `env`, is a
/// usage error naming the flag or the variable. Help text wraps to
/// `terminal_width`, else to `COLUMNS` from `env`, else to 100 columns.
pub fn parse(
    args: Vec<OsString>,
    env: &Env,
    terminal_width: Option<usize>,
) -> Result<Cli, clap::Error> {
    // Left to itself, clap would measure the process's terminals and read
    // its COLUMNS (the same order, the same default).
    let width = terminal_width
        .or_else(|| env.get("COLUMNS")?.to_str()?.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(100);
    let mut cmd = Cli::command().term_width(width);
    let m = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&m).map_err(|e| e.format(&mut cmd))?;
    // The variable behind a flag that the command line did not give.
    let var = |id: &str, name: &'static str| match m.value_source(id) {
        Some(ValueSource::CommandLine) => None,
        _ => env.get(name).map(|v| EnvValue { name, value: v }),
    };
    let g = &mut cli.global;
    if let Some(v) = var("config", "FLEET_CONFIG") {
        g.config = v.path(&cmd, "expected a file path")?;
    }
    if let Some(v) = var("docker", "FLEET_DOCKER") {
        g.docker = v.text(&cmd)?.to_string();
    }
    if let Some(v) = var("timeout", "FLEET_TIMEOUT") {
        g.timeout = timeout_secs(v.text(&cmd)?).map_err(|why| v.invalid(&cmd, &why))?;
    }
    if let Some(v) = var("connect_timeout", "FLEET_CONNECT_TIMEOUT") {
        g.connect_timeout = timeout_secs(v.text(&cmd)?).map_err(|why| v.invalid(&cmd, &why))?;
    }
    if let Some(v) = var("lock_wait", "FLEET_LOCK_WAIT") {
        g.lock_wait = lock_wait_secs(v.text(&cmd)?).map_err(|why| v.invalid(&cmd, &why))?;
    }
    if let Some(v) = var("lock_lease", "FLEET_LOCK_LEASE") {
        g.lock_lease = lease_secs(v.text(&cmd)?).map_err(|why| v.invalid(&cmd, &why))?;
    }
    if let Some(v) = var("lock_dir", "FLEET_LOCK_DIR") {
        g.lock_dir = Some(v.path(&cmd, "expected a directory")?);
    }
    if g.lock_dir.is_none() {
        g.lock_dir = Some(crate::lock::default_dir(env.get("TMPDIR").map(Path::new)));
    }
    if g.color == Color::Auto && env.get("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        g.color = Color::Never;
    }
    if let Command::Status(a) = &mut cli.command {
        a.format = Some(status_format(a.format, &mut g.json, &cmd)?);
    }
    Ok(cli)
}

/// `--format` and `--json` as one: `--json` is `--format json` (and
/// `--format json` makes errors JSON too, as `--json` does); `--json` with
/// another format is a usage error.
fn status_format(
    format: Option<Format>,
    json: &mut bool,
    cmd: &clap::Command,
) -> Result<Format, clap::Error> {
    match (format, *json) {
        (None, false) => Ok(Format::Text),
        (None | Some(Format::Json), _) => {
            *json = true;
            Ok(Format::Json)
        }
        (Some(f), true) => Err(cmd.clone().error(
            ErrorKind::ArgumentConflict,
            format!(
                "the argument '--json' cannot be used with '--format {}'",
                f.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        )),
        (Some(f), false) => Ok(f),
    }
}

/// A variable's value on its way to a flag.
struct EnvValue<'a> {
    name: &'static str,
    value: &'a OsStr,
}

impl<'a> EnvValue<'a> {
    /// A usage error, worded as clap words a bad flag value.
    fn invalid(&self, cmd: &clap::Command, why: &str) -> clap::Error {
        cmd.clone().error(
            ErrorKind::ValueValidation,
            format!(
                "invalid value '{}' for the environment variable {}: {why}",
                self.value.to_string_lossy(),
                self.name
            ),
        )
    }

    fn text(&self, cmd: &clap::Command) -> Result<&'a str, clap::Error> {
        self.value
            .to_str()
            .ok_or_else(|| self.invalid(cmd, "expected UTF-8 text"))
    }

    /// A path: any bytes, but not none (as clap's parser for `PathBuf` flags).
    fn path(&self, cmd: &clap::Command, what: &str) -> Result<PathBuf, clap::Error> {
        if self.value.is_empty() {
            return Err(self.invalid(cmd, what));
        }
        Ok(PathBuf::from(self.value))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Converge: create, start, recreate and remove containers to match the config.
    #[command(after_help = "Example:\n  fleet -c config/agents.json sync --wait")]
    Sync(SyncArgs),
    /// Show what sync would do, changing nothing.
    #[command(
        after_help = "Example:\n  fleet plan --detailed-exitcode   # exit 2 when changes are pending"
    )]
    Plan(PlanArgs),
    /// Start every stopped container of the project (as `docker ps -a` shows them).
    #[command(after_help = "Example:\n  fleet up --wait")]
    Up(UpArgs),
    /// Stop every running container of the project, in parallel.
    #[command(after_help = "Example:\n  fleet down -t 5")]
    Down(DownArgs),
    /// Desired against actual, one row a container, and each pool's figures.
    #[command(
        after_help = "Example:\n  fleet status --json\n  fleet status --format prometheus   # node_exporter's textfile collector: see README"
    )]
    Status(StatusArgs),
    /// Each host: how it is reached, its engine's version, who holds its lock.
    #[command(after_help = "Example:\n  fleet hosts --json")]
    Hosts,
    /// Run a command in an agent, or in a ready, idle member of a type.
    #[command(
        after_help = "Exit status: the command's; 125 when fleet or the engine failed (the command did not run),\n126/127 when the command cannot be invoked / is not found, 75 when every member is busy.\n\nExample:\n  fleet exec coder-default -- busybox uname -a\n  fleet exec coder --queue 60 -- sh -c 'echo working; sleep 1'"
    )]
    Exec(ExecArgs),
    /// Release the lock a fleet run left on a host's engine (after a crash).
    #[command(after_help = "Example:\n  fleet unlock --host gpu-1")]
    Unlock(UnlockArgs),
    /// Validate the config; runs no docker command.
    #[command(after_help = "Example:\n  fleet check -c config/agents.json")]
    Check,
    /// Print the JSON Schema of agents.json (for editors and validators).
    #[command(after_help = "Example:\n  fleet schema > schema/agents.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  source <(fleet completions bash)")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(hide = true, after_help = "Example:\n  fleet man > man/fleet.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Recreate or remove containers even while they have live `docker exec` sessions.
    #[arg(long)]
    pub force: bool,
    /// Accept a config that declares no container (removes the whole fleet).
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// An agent (`coder-2`) or a type (`coder`: any ready, idle member)
    pub target: String,
    /// Pass stdin on even when it is a terminal (it is passed on whenever it is not)
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY in the agent
    #[arg(short, long)]
    pub tty: bool,
    /// Wait up to SECS for a member to be free (default: fail at once with exit 75), 0 to 86400
    #[arg(long, value_name = "SECS", value_parser = lock_wait_secs)]
    pub queue: Option<Duration>,
    /// KEY=VALUE in the command's environment (repeatable; never on an argv, never printed)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// A file of KEY=VALUE lines for the command's environment (repeatable)
    #[arg(long = "env-file", value_name = "PATH")]
    pub env_file: Vec<PathBuf>,
    /// Seconds the agent may take to be ready before the command runs, 0 to 86400
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = lock_wait_secs)]
    pub wait_timeout: Duration,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// What to print: a table, one JSON document (as --json), or Prometheus text exposition
    /// [default: text, json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl StatusArgs {
    /// The format asked for (after [`parse`], `--json` included).
    pub fn format(&self) -> Format {
        self.format.unwrap_or(Format::Text)
    }
}

/// `fleet status --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Prometheus,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Release the lock even when its holder is a fleet run still running
    /// on this machine.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `--wait` and `--wait-timeout`, for `sync` and `up`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// End only once every container the run started is ready (healthy, or
    /// up 1s without restarting); exit 1 when one fails or time runs out
    #[arg(long)]
    pub wait: bool,
    /// Seconds --wait may take, 0 to 86400
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = lock_wait_secs, requires = "wait")]
    pub wait_timeout: Duration,
}

impl WaitArgs {
    /// How long to wait for readiness, when `--wait` asks.
    pub fn timeout(&self) -> Option<Duration> {
        self.wait.then_some(self.wait_timeout)
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 0 when nothing is pending, 2 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan as sync --force would.
    #[arg(long)]
    pub force: bool,
    /// Plan as sync --allow-empty would.
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// docker stop's grace period, in seconds, before SIGKILL.
    #[arg(short = 't', long = "time", default_value_t = 10)]
    pub time: u32,
    /// Stop containers even while they have live `docker exec` sessions.
    #[arg(long)]
    pub force: bool,
}

impl SyncArgs {
    /// What the flags change in the plan.
    pub fn options(&self) -> crate::plan::Options {
        crate::plan::Options {
            force: self.force,
            allow_empty: self.allow_empty,
        }
    }
}

impl PlanArgs {
    /// What the flags change in the plan (as for `sync`).
    pub fn options(&self) -> crate::plan::Options {
        crate::plan::Options {
            force: self.force,
            allow_empty: self.allow_empty,
        }
    }
}

impl DownArgs {
    pub fn options(&self) -> crate::ops::DownOptions {
        crate::ops::DownOptions {
            grace: self.time,
            force: self.force,
        }
    }
}
