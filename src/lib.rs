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
pub mod claim;
pub mod cli;
pub(crate) mod commands;
pub mod config;
pub(crate) mod context;
pub(crate) mod converge;
pub mod dispatch;
pub mod docker;
pub mod engine_lock;
pub mod error;
pub mod hosts;
pub mod lock;
pub mod observe;
pub(crate) mod ops;
pub(crate) mod place;
pub mod plan;
mod process;
mod prometheus;
pub mod ready;
pub mod report;
pub mod snapshot;
pub mod spec;
pub mod ssh;
pub(crate) mod swarm;
pub mod text;
mod time;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write;
use std::sync::Mutex;

use crate::cli::{Cli, Color};
use crate::context::{Context, Event};
use crate::docker::real::DuctRunner;
use crate::docker::{Cmd, Runner, Traced};
use crate::report::Style;

/// Exit codes (DESIGN.md): 0 done, 1 error, 2 usage error or, with
/// `--detailed-exitcode`, changes pending.
pub(crate) const EXIT_OK: i32 = 0;
pub(crate) const EXIT_ERROR: i32 = 1;
pub(crate) const EXIT_PENDING: i32 = 2;
pub(crate) const EXIT_USAGE: i32 = 2;
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
    /// The number of the last SIGINT, SIGTERM or SIGHUP (0: none yet), set
    /// by `main`: `fleet exec` forwards it to its command.
    pub signal: &'a std::sync::atomic::AtomicUsize,
    /// Whether stdin is a terminal: `fleet exec` passes stdin on only when
    /// it is not (or with `-i`).
    pub in_is_terminal: bool,
    pub out: &'a mut dyn Write,
    /// `Send` so apply's workers can report progress through it.
    pub err: &'a mut (dyn Write + Send),
    /// Colour (`--color auto`) only on a terminal.
    pub out_is_terminal: bool,
    /// Progress lines are printed only to a terminal.
    pub err_is_terminal: bool,
    /// The width of the terminal (stdout's, else stderr's, else stdin's),
    /// if one of them is a terminal: `--help` wraps to it.
    pub term_width: Option<usize>,
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
    };
    let connect = hosts::Ssh::new(
        env.get("PATH").map(OsStr::to_os_string),
        cli.global.connect_timeout,
    );
    run_with(&cli, &runner, &connect, io)
}

/// Parses `args` against `env` ([`cli::parse`]). On a usage error, or
/// `--help` / `--version`, prints what clap says and returns the exit
/// code; a usage error with `--json` (or `--format json`) among the
/// arguments also prints `{"error": …}` on stdout.
pub fn parse(args: Vec<OsString>, env: &Env, io: &mut Io) -> Result<Cli, i32> {
    // Before parsing, since a failed parse says nothing about the flags.
    let before: Vec<&OsString> = args.iter().skip(1).take_while(|a| *a != "--").collect();
    let json = before
        .iter()
        .any(|a| *a == "--json" || *a == "--format=json")
        || before
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json");
    let exec = cli::is_exec(&args);
    let e = match cli::parse(args, env, io.term_width) {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    let no_color = env.get("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut out = report::clap(e, json, !no_color && io.out_is_terminal);
    // `fleet exec`'s usage errors are fleet's failures, 125 as `docker
    // run`'s: a 2 would read as the command's own.
    if exec && out.code == 2 {
        out.code = dispatch::EXIT_FLEET_FAILED;
    }
    let _ = write(io, &out);
    Err(out.code)
}

/// Runs a parsed command against `runner`: [`commands::run`] makes a
/// report, [`report`] renders it (or the error), this writes it. What
/// comes while it runs (progress, a busy lock, `-v`'s docker commands,
/// from apply's workers too) goes to `io.err` through one lock, as it
/// comes. Returns the exit code.
pub fn run(cli: &Cli, runner: &dyn Runner, io: &mut Io) -> i32 {
    run_with(cli, runner, &hosts::Direct, io)
}

/// [`run`], each declared host opened through `connect` (the real program
/// keeps one SSH connection per `ssh://` host for the run).
pub(crate) fn run_with(
    cli: &Cli,
    runner: &dyn Runner,
    connect: &dyn hosts::Connect,
    io: &mut Io,
) -> i32 {
    let g = &cli.global;
    let style = style(g, io);
    let lock_dir = g
        .lock_dir
        .clone()
        .unwrap_or_else(|| lock::default_dir(None));
    let result = {
        // Events arrive from apply's workers while the command runs.
        let err = Mutex::new(&mut *io.err);
        let events = |e: Event| {
            if let Some(line) = report::event(&e, &style) {
                let _ = err.lock().map(|mut w| w.write_all(line.as_bytes()));
            }
        };
        let show = |cmd: &Cmd| {
            events(Event::Docker {
                program: &g.docker,
                cmd,
            })
        };
        let traced = Traced {
            inner: runner,
            show: &show,
        };
        let ctx = Context {
            config: &g.config,
            runner: if g.verbose { &traced } else { runner },
            jobs: usize::from(g.jobs),
            lock_dir: &lock_dir,
            lock_wait: g.lock_wait,
            lock_lease: g.lock_lease,
            only_hosts: &g.hosts,
            connect,
            stop: io.stop,
            signal: io.signal,
            stdin_is_terminal: io.in_is_terminal,
            events: &events,
        };
        commands::run(&cli.command, &ctx)
    };
    let out = match result {
        Ok(report) => report::render(&report, &style),
        Err(e) => report::error(&e, &style),
    };
    match write(io, &out) {
        Ok(()) => out.code,
        Err(e) => {
            let out = report::error(
                &e.into(),
                &Style {
                    json: false,
                    ..style
                },
            );
            let _ = io.err.write_all(out.stderr.as_bytes());
            out.code
        }
    }
}

/// How the run prints, from its flags and terminals.
fn style(g: &cli::Global, io: &Io) -> Style {
    // `--color auto`: only on a terminal (`cli::parse` made it `never`
    // when NO_COLOR is set).
    let colored = |terminal: bool| match g.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal,
    };
    Style {
        json: g.json,
        quiet: g.quiet,
        color: colored(io.out_is_terminal),
        err_color: colored(io.err_is_terminal),
        progress: io.err_is_terminal && !g.quiet,
    }
}

/// Writes what a run prints: stdout first, then stderr.
fn write(io: &mut Io, out: &report::Output) -> std::io::Result<()> {
    io.out.write_all(out.stdout.as_bytes())?;
    io.err.write_all(out.stderr.as_bytes())
}
