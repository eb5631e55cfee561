//! fleet: keeps a host's long-lived agent containers converged with
//! `config/agents.json`. See ARCHITECTURE.md for the map.
//!
//! [`main_with`] is the whole program: parse the command line against the
//! environment it is given, then load → observe → plan → apply → report.
//! It reads no process state: argv, the environment and the terminals
//! arrive as values from `main`; it reaches docker only through the
//! [`docker::Runner`] it is given and writes only to the writers it is
//! given, so tests drive it in-process with a fake runner.

pub mod apply;
pub mod cli;
pub mod config;
pub mod docker;
pub mod error;
pub mod lock;
pub mod observe;
pub mod ops;
pub mod plan;
pub mod report;
pub mod snapshot;
pub mod spec;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write;

use crate::apply::Outcome;
use crate::cli::{Cli, Color, Command};
use crate::config::Config;
use crate::docker::Runner;
use crate::docker::real::DuctRunner;
use crate::error::{Error, Result};
use crate::report::Rendered;

/// Exit codes (DESIGN.md): 0 done, 1 error, 2 usage error or, with
/// `--detailed-exitcode`, changes pending.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_PENDING: i32 = 2;
/// A run stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// The environment a run sees, as a value: `main` collects the process's,
/// tests build their own. The library reads variables only from here.
#[derive(Clone, Default)]
pub struct Env(BTreeMap<OsString, OsString>);

impl Env {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&OsStr> {
        self.0.get(OsStr::new(key)).map(OsString::as_os_str)
    }

    /// This environment with `key` set to `value`.
    pub fn with(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Env {
        self.0.insert(key.into(), value.into());
        self
    }
}

impl<K: Into<OsString>, V: Into<OsString>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Env {
        Env(iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

/// Names only: values may be secrets.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Where a run writes, whether its stdout and stderr are terminals, and
/// whether it was asked to stop.
pub struct Io<'a> {
    /// Set by `main` on SIGINT or SIGTERM: apply starts nothing new, lets
    /// the docker calls in flight (and any swap under way) finish, and the
    /// run reports what happened and exits [`EXIT_INTERRUPTED`].
    pub stop: &'a std::sync::atomic::AtomicBool,
    pub out: &'a mut dyn Write,
    /// `Send` so apply's workers can report progress through it.
    pub err: &'a mut (dyn Write + Send),
    /// Colour (`--color auto`) only on a terminal.
    pub out_is_terminal: bool,
    /// Progress lines are printed only to a terminal.
    pub err_is_terminal: bool,
}

/// The program: parses `args` (program name first) against `env`, builds
/// the real runner from the flags, runs. Returns the exit code.
pub fn main_with(args: Vec<OsString>, env: &Env, io: &mut Io) -> i32 {
    let cli = match parse(args, env, io) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let runner = DuctRunner {
        program: cli.global.docker.clone(),
        timeout: cli.global.timeout,
        verbose: cli.global.verbose,
    };
    run(&cli, &runner, io)
}

/// Parses `args` against `env` ([`cli::parse`]). On a usage error, or
/// `--help` / `--version`, prints what clap says and returns the exit
/// code; a usage error with `--json` among the arguments also prints
/// `{"error": …}` on stdout.
pub fn parse(args: Vec<OsString>, env: &Env, io: &mut Io) -> Result<Cli, i32> {
    // Before parsing, since a failed parse says nothing about the flags.
    let json = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    let e = match cli::parse(args, env) {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    let no_color = env.get("NO_COLOR").is_some_and(|v| !v.is_empty());
    let text = if no_color || !io.out_is_terminal {
        e.to_string()
    } else {
        e.render().ansi().to_string()
    };
    let code = e.exit_code();
    if e.use_stderr() {
        let _ = write!(io.err, "{text}");
        if json {
            let _ = io
                .out
                .write_all(report::error_json(&Error::usage(e)).as_bytes());
        }
    } else {
        let _ = write!(io.out, "{text}");
    }
    Err(code)
}

/// Runs a parsed command against `runner`; returns the exit code. An error
/// is printed as `error: …` on `io.err`, its `help:` lines last, and with
/// `--json` also as one `{"error": …}` document on `io.out`.
pub fn run(cli: &Cli, runner: &dyn Runner, io: &mut Io) -> i32 {
    match dispatch(cli, runner, io) {
        Ok(code) => code,
        Err(e) => {
            let color = match cli.global.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => io.err_is_terminal,
            };
            let _ = io.err.write_all(report::error_text(&e, color).as_bytes());
            if cli.global.json {
                let _ = io.out.write_all(report::error_json(&e).as_bytes());
            }
            EXIT_ERROR
        }
    }
}

fn use_color(cli: &Cli, io: &Io) -> bool {
    match cli.global.color {
        Color::Always => true,
        Color::Never => false,
        // `cli::parse` made it `Never` when NO_COLOR is set.
        Color::Auto => io.out_is_terminal,
    }
}

/// Writes a rendering: with `--quiet`, only errors (and a JSON document,
/// which was asked for explicitly).
fn emit(io: &mut Io, r: &Rendered, quiet: bool, json: bool) -> Result<()> {
    if !quiet || json {
        io.out.write_all(r.stdout.as_bytes())?;
    }
    io.err.write_all(r.errors.as_bytes())?;
    if !quiet {
        io.err.write_all(r.notes.as_bytes())?;
    }
    Ok(())
}

fn dispatch(cli: &Cli, runner: &dyn Runner, io: &mut Io) -> Result<i32> {
    let g = &cli.global;
    let color = use_color(cli, io);
    // Commands that need no config.
    match &cli.command {
        Command::Schema => {
            io.out.write_all(config::schema_json().as_bytes())?;
            return Ok(EXIT_OK);
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "fleet", &mut *io.out);
            return Ok(EXIT_OK);
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut *io.out)?;
            return Ok(EXIT_OK);
        }
        _ => {}
    }
    let config = Config::load(&g.config)?;
    match &cli.command {
        Command::Check => {
            let n = config.desired().len();
            if g.json {
                writeln!(
                    io.out,
                    "{}",
                    serde_json::json!({"ok": true, "config": g.config, "project": config.project,
                        "types": config.types.iter().map(|t| &t.name).collect::<Vec<_>>(), "containers": n})
                )?;
            } else if !g.quiet {
                writeln!(
                    io.out,
                    "{}: ok: project `{}`, {} types, {n} containers",
                    g.config.display(),
                    config.project,
                    config.types.len()
                )?;
            }
            Ok(EXIT_OK)
        }
        Command::Plan(a) => {
            let (plan, ..) = observe_and_plan(&config, runner, a.force, a.allow_empty)?;
            let outcome = Outcome::planned(&plan);
            let mut r = report::plan_text(&outcome, color && !g.json);
            if g.json {
                r.stdout = report::outcome_json(&outcome);
            }
            emit(io, &r, g.quiet, g.json)?;
            Ok(if plan.has_failures() {
                EXIT_ERROR
            } else if a.detailed_exitcode && plan.pending() {
                EXIT_PENDING
            } else {
                EXIT_OK
            })
        }
        Command::Sync(a) => {
            let _lock = take_lock(cli, &config.project, io)?;
            let (plan, ..) = observe_and_plan(&config, runner, a.force, a.allow_empty)?;
            let show_progress = io.err_is_terminal && !g.quiet;
            let outcome = {
                let err = std::sync::Mutex::new(&mut *io.err);
                let progress = |d: &apply::Done| {
                    if show_progress {
                        let line = report::progress_line(d, color);
                        let _ = err.lock().map(|mut e| e.write_all(line.as_bytes()));
                    }
                };
                apply::apply(&plan, runner, usize::from(g.jobs), &progress, io.stop)
            };
            let mut r = report::outcome_text("agents-sync", &outcome, color && !g.json);
            if g.json {
                // Errors still reach stderr, for logs that do not parse JSON.
                r.stdout = report::outcome_json(&outcome);
            }
            emit(io, &r, g.quiet, g.json)?;
            Ok(if outcome.interrupted {
                EXIT_INTERRUPTED
            } else if outcome.failed() {
                EXIT_ERROR
            } else {
                EXIT_OK
            })
        }
        Command::Up | Command::Down(_) => {
            let _lock = take_lock(cli, &config.project, io)?;
            let (r, tag) = match &cli.command {
                Command::Down(a) => (
                    ops::down(runner, &config.project, a.time, a.force)?,
                    "containers-down",
                ),
                _ => (
                    ops::up(runner, &config.project, usize::from(g.jobs), io.stop)?,
                    "containers-up",
                ),
            };
            emit(io, &ops::render(&r, tag, g.json, color), g.quiet, g.json)?;
            Ok(if io.stop.load(std::sync::atomic::Ordering::Relaxed) {
                EXIT_INTERRUPTED
            } else if r.failed.is_empty() {
                EXIT_OK
            } else {
                EXIT_ERROR
            })
        }
        Command::Schema | Command::Completions { .. } | Command::Man => {
            unreachable!("handled above")
        }
        Command::Status => {
            // Status describes even an empty config; it changes nothing.
            let (plan, _, actual) = observe_and_plan(&config, runner, false, true)?;
            let rows = ops::status_rows(&actual, &plan);
            if g.json {
                let json = serde_json::to_string_pretty(&rows).expect("plain values serialise");
                writeln!(io.out, "{json}")?;
            } else {
                io.out
                    .write_all(ops::status_text(&rows, color).as_bytes())?;
            }
            Ok(EXIT_OK)
        }
    }
}

/// load → observe → plan: the read-only half every command shares.
fn observe_and_plan(
    config: &Config,
    runner: &dyn Runner,
    force: bool,
    allow_empty: bool,
) -> Result<(plan::Plan, Vec<config::Desired>, observe::Actual)> {
    let desired = config.desired();
    let actual = observe::observe(runner, &config.project, &desired)?;
    let opts = plan::Options { force, allow_empty };
    let plan = plan::plan(&config.project, &desired, &actual, opts)?;
    Ok((plan, desired, actual))
}

fn take_lock(cli: &Cli, project: &str, io: &mut Io) -> Result<lock::ProjectLock> {
    let dir = cli
        .global
        .lock_dir
        .clone()
        .unwrap_or_else(|| lock::default_dir(None));
    let wait = cli.global.lock_wait;
    let err = std::cell::RefCell::new(&mut *io.err);
    lock::acquire(&dir, project, wait, &|path| {
        let _ = writeln!(
            err.borrow_mut(),
            "note: waiting for another fleet run on project `{project}` (lock `{}`, up to {}s)",
            path.display(),
            wait.as_secs_f64()
        );
    })
}
