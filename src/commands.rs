//! The commands. Each is a function from a [`Context`] (where the config
//! is, the runner, the lock, the stop flag, where events go), the loaded
//! config and its options to a typed report; [`run`] picks one and wraps
//! its result in a [`Report`]. None of them prints: `report` turns reports,
//! events and errors into text, JSON and an exit code.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::apply::{self, Done, Outcome};
use crate::cli::{Cli, Command};
use crate::config::{self, Config};
use crate::docker::{Cmd, Runner};
use crate::error::Result;
use crate::lock::{self, ProjectLock};
use crate::observe::{self, Actual};
use crate::ops::{self, OpsResult, StatusRow};
use crate::plan::{self, Bucket, Plan};
use crate::ready;

/// What every command may need besides the config and its options.
pub struct Context<'a> {
    /// The config file.
    pub config: &'a Path,
    pub runner: &'a dyn Runner,
    /// How many docker operations may run at once.
    pub jobs: usize,
    /// Where the per-project lock lives, and how long to wait for it.
    pub lock_dir: &'a Path,
    pub lock_wait: Duration,
    /// Set on SIGINT or SIGTERM (see [`crate::Io::stop`]).
    pub stop: &'a AtomicBool,
    /// Where what happens during a run goes (progress, a busy lock; the
    /// caller sends `-v`'s docker commands there too).
    pub events: &'a (dyn Fn(Event) + Sync),
}

/// Something the operator may want to hear about while a command runs.
pub enum Event<'a> {
    /// An action of `sync` finished.
    Done(&'a Done),
    /// Another run holds the project's lock; this one waits up to `wait`.
    LockBusy {
        project: &'a str,
        path: &'a Path,
        wait: Duration,
    },
    /// `program` is about to run `cmd` (shown with `-v`).
    Docker { program: &'a str, cmd: &'a Cmd },
    /// `--wait`: how many of the containers waited for are ready so far
    /// (sent when the count changes).
    Ready { ready: usize, total: usize },
}

/// What a command came to.
#[derive(Debug)]
pub enum Report {
    /// Generated text, printed as it is (schema, completions, man page).
    Text(String),
    Check(Checked),
    /// The plan, and whether `--detailed-exitcode` asked for exit 2 when
    /// changes are pending.
    Plan {
        plan: Plan,
        detailed_exitcode: bool,
    },
    Sync(Outcome),
    /// `up`, and whether it was asked to stop before it finished.
    Up {
        ops: OpsResult,
        interrupted: bool,
    },
    Down {
        ops: OpsResult,
        interrupted: bool,
    },
    Status(Vec<StatusRow>),
}

/// What `check` found in a valid config.
#[derive(Debug)]
pub struct Checked {
    pub path: PathBuf,
    pub project: String,
    pub types: Vec<String>,
    pub containers: usize,
}

/// Runs `command`: the one place a command is picked.
pub fn run(command: &Command, ctx: &Context) -> Result<Report> {
    let config = || Config::load(ctx.config);
    let interrupted = || ctx.stop.load(Ordering::Relaxed);
    Ok(match command {
        Command::Schema => Report::Text(config::schema_json()),
        Command::Completions { shell } => Report::Text(completions(*shell)),
        Command::Man => Report::Text(man()?),
        Command::Check => Report::Check(check(ctx, &config()?)),
        Command::Plan(a) => Report::Plan {
            plan: plan(ctx, &config()?, a.options())?,
            detailed_exitcode: a.detailed_exitcode,
        },
        Command::Sync(a) => Report::Sync(sync(ctx, &config()?, a.options(), a.wait.timeout())?),
        Command::Up(a) => Report::Up {
            ops: up(ctx, &config()?, a.wait.timeout())?,
            interrupted: interrupted(),
        },
        Command::Down(a) => Report::Down {
            ops: down(ctx, &config()?, a.options())?,
            interrupted: interrupted(),
        },
        Command::Status => Report::Status(status(ctx, &config()?)?),
    })
}

/// `fleet check`: the config is valid; what it declares.
pub fn check(ctx: &Context, config: &Config) -> Checked {
    Checked {
        path: ctx.config.to_path_buf(),
        project: config.project.clone(),
        types: config.types.iter().map(|t| t.name.clone()).collect(),
        containers: config.desired().len(),
    }
}

/// `fleet plan`: what sync would do; changes nothing.
pub fn plan(ctx: &Context, config: &Config, opts: plan::Options) -> Result<Plan> {
    Ok(observe_and_plan(config, ctx.runner, opts)?.0)
}

/// `fleet sync`: load → observe → plan → apply, under the project's lock;
/// with `wait`, then waits for readiness ([`wait_for`]).
pub fn sync(
    ctx: &Context,
    config: &Config,
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<Outcome> {
    let _lock = take_lock(ctx, &config.project)?;
    let (plan, _) = observe_and_plan(config, ctx.runner, opts)?;
    let progress = |d: &Done| (ctx.events)(Event::Done(d));
    let roll_wait = wait.unwrap_or(ready::DEFAULT_WAIT);
    let mut outcome =
        apply::apply_rolling(&plan, ctx.runner, ctx.jobs, &progress, ctx.stop, roll_wait);
    if let Some(timeout) = wait
        && !outcome.interrupted
    {
        // What the run created, started, unpaused or recreated, and what it
        // left running as it was: a crash loop can look "running" between
        // two restarts, and only a second look tells.
        let waited: Vec<usize> = (0..outcome.done.len())
            .filter(|&i| {
                let d = &outcome.done[i];
                d.error.is_none()
                    && matches!(
                        d.action.bucket,
                        Bucket::Created
                            | Bucket::Started
                            | Bucket::Recreated
                            | Bucket::Unchanged
                            | Bucket::Renamed
                    )
            })
            .collect();
        let names: Vec<String> = waited
            .iter()
            .map(|&i| outcome.done[i].action.name.clone())
            .collect();
        for (i, e) in waited.into_iter().zip(wait_for(ctx, &names, timeout)) {
            outcome.done[i].error = e;
        }
        outcome.interrupted = ctx.stop.load(Ordering::Relaxed);
    }
    Ok(outcome)
}

/// `fleet up`, under the project's lock; with `wait`, then waits for what
/// it started to be ready.
pub fn up(ctx: &Context, config: &Config, wait: Option<Duration>) -> Result<OpsResult> {
    let _lock = take_lock(ctx, &config.project)?;
    let mut r = ops::up(ctx.runner, &config.project, ctx.jobs, ctx.stop)?;
    if let Some(timeout) = wait
        && !ctx.stop.load(Ordering::Relaxed)
    {
        let names = std::mem::take(&mut r.done);
        for (name, e) in names.iter().zip(wait_for(ctx, &names, timeout)) {
            match e {
                None => r.done.push(name.clone()),
                Some(reason) => r.failed.push(ops::Named {
                    name: name.clone(),
                    reason,
                }),
            }
        }
    }
    Ok(r)
}

/// Waits for `names` to be ready ([`ready::wait`]), sending the count of
/// ready ones as it changes. Per name: `None` when ready, else why not.
fn wait_for(ctx: &Context, names: &[String], timeout: Duration) -> Vec<Option<String>> {
    if names.is_empty() {
        return Vec::new();
    }
    let last = AtomicUsize::new(usize::MAX);
    let count = |ready: usize, total: usize| {
        if last.swap(ready, Ordering::Relaxed) != ready {
            (ctx.events)(Event::Ready { ready, total });
        }
    };
    let w = ready::Waiting {
        timeout,
        stop: ctx.stop,
        count: &count,
    };
    ready::wait(ctx.runner, names, &w)
}

/// `fleet down`, under the project's lock.
pub fn down(ctx: &Context, config: &Config, opts: ops::DownOptions) -> Result<OpsResult> {
    let _lock = take_lock(ctx, &config.project)?;
    ops::down(ctx.runner, &config.project, opts)
}

/// `fleet status`: desired against actual, one row a container. It
/// describes even an empty config (it changes nothing).
pub fn status(ctx: &Context, config: &Config) -> Result<Vec<StatusRow>> {
    let opts = plan::Options {
        force: false,
        allow_empty: true,
    };
    let (plan, actual) = observe_and_plan(config, ctx.runner, opts)?;
    Ok(ops::status_rows(&actual, &plan))
}

/// load → observe → plan: the read-only half every command shares.
fn observe_and_plan(
    config: &Config,
    runner: &dyn Runner,
    opts: plan::Options,
) -> Result<(Plan, Actual)> {
    let desired = config.desired();
    let actual = observe::observe(runner, &config.project, &desired)?;
    let plan = plan::plan(&config.project, &desired, &actual, opts)?;
    Ok((plan, actual))
}

/// The project's lock, held until the returned value drops; an event
/// while another run holds it.
fn take_lock(ctx: &Context, project: &str) -> Result<ProjectLock> {
    lock::acquire(ctx.lock_dir, project, ctx.lock_wait, &|path| {
        (ctx.events)(Event::LockBusy {
            project,
            path,
            wait: ctx.lock_wait,
        })
    })
}

fn completions(shell: clap_complete::Shell) -> String {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fleet", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn man() -> Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
