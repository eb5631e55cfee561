//! The commands. Each is a function from a [`Context`] (where the config
//! is, the runner, the lock, the stop flag, where events go), the loaded
//! config and its options to a typed report; [`run`] picks one and wraps
//! its result in a [`Report`]. None of them prints: `report` turns reports,
//! events and errors into text, JSON and an exit code.

use std::path::PathBuf;
use std::time::Duration;

use crate::apply::Outcome;
use crate::cli::{Cli, Command};
use crate::config::{self, Config};
use crate::context::{Context, Event};
use crate::converge::{self, Planned, Status};
use crate::docker::{Cmd, Runner};
use crate::engine_lock;
use crate::error::{Error, Result};
use crate::hosts;
use crate::lock::{self, ProjectLock};
use crate::ops::{self, OpsResult};
use crate::place::{self, Place};
use crate::plan;

/// What a command came to.
#[derive(Debug)]
pub(crate) enum Report {
    /// Generated text, printed as it is (schema, completions, man page).
    Text(String),
    Check(Checked),
    /// The plan, and whether `--detailed-exitcode` asked for exit 2 when
    /// changes are pending.
    Plan {
        planned: Planned,
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
    /// The rows, the pools, each host lock held by a run, the hosts not
    /// read; and how to print them.
    Status {
        status: Status,
        format: crate::cli::Format,
    },
    Hosts(Vec<HostRow>),
    Unlock(Vec<Unlocked>),
    /// `fleet exec`: the command's exit code, or fleet's failure.
    Exec(crate::dispatch::Dispatched),
}

/// One host as `fleet hosts` shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct HostRow {
    /// Its name in `hosts` (`None`: the implicit host of a config without).
    pub host: Option<String>,
    /// How the docker CLI reaches it.
    pub reach: String,
    /// The engine's version, when it answered.
    pub version: Option<String>,
    /// Why it could not be reached or read.
    pub error: Option<String>,
    /// Who holds its lock and since when, if a run does.
    pub lock: Option<String>,
}

/// What `fleet unlock` did on one host.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Unlocked {
    pub host: String,
    /// The lock it removed (who held it, since when), if there was one.
    pub released: Option<String>,
    pub error: Option<String>,
}

/// What `check` found in a valid config.
#[derive(Debug)]
pub(crate) struct Checked {
    pub path: PathBuf,
    pub project: String,
    pub types: Vec<String>,
    pub containers: usize,
    /// The declared hosts (empty without `hosts`).
    pub hosts: Vec<String>,
    /// The swarm's manager, when the project runs on a swarm.
    pub swarm: Option<String>,
}

/// Runs `command`: the one place a command is picked.
pub fn run(command: &Command, ctx: &Context) -> Result<Report> {
    let load = || Config::load(ctx.config);
    let config = load;
    let interrupted = || ctx.stopping();
    Ok(match command {
        Command::Schema => Report::Text(config::schema_json()),
        Command::Completions { shell } => Report::Text(completions(*shell)),
        Command::Man => Report::Text(man()?),
        Command::Check => {
            let config = load()?;
            // `--host` names are checked here too: no docker command runs.
            hosts::choose(&config, ctx.only_hosts)?;
            Report::Check(check(ctx, &config))
        }
        Command::Plan(a) => Report::Plan {
            planned: plan(ctx, &config()?, a.options())?,
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
        Command::Status(a) => Report::Status {
            status: status(ctx, &config()?)?,
            format: a.format(),
        },
        Command::Hosts => Report::Hosts(hosts(ctx, &not_a_swarm(config()?, "hosts")?)?),
        Command::Unlock(a) => Report::Unlock(unlock(ctx, &config()?, a.force)?),
        Command::Exec(a) => Report::Exec(exec(ctx, a)),
    })
}

/// A config that runs on a swarm, refused by the commands that do not
/// drive one yet (`exec`, `hosts`): they must not take its
/// hosts for plain engines. Nothing runs.
fn not_a_swarm(config: Config, what: &str) -> Result<Config> {
    match &config.swarm {
        None => Ok(config),
        Some(s) => Err(Error::refused(format!(
            "project `{}` runs on a swarm (swarm.manager: `{}`), and `fleet {what}` does not work on a swarm yet; nothing was done",
            config.project, s.manager
        ))
        .with_help("on a swarm: sync, plan, status, up, down, unlock and check; `docker exec` on the agent's node (`fleet status` names it)")),
    }
}

/// `fleet check`: the config is valid; what it declares.
pub fn check(ctx: &Context, config: &Config) -> Checked {
    Checked {
        path: ctx.config.to_path_buf(),
        project: config.project.clone(),
        types: config.types.iter().map(|t| t.name.clone()).collect(),
        containers: config.desired().len(),
        hosts: config.hosts.iter().map(|h| h.name.clone()).collect(),
        swarm: config.swarm.as_ref().map(|s| s.manager.clone()),
    }
}

/// `fleet plan`: what sync would do; changes nothing.
pub fn plan(ctx: &Context, config: &Config, opts: plan::Options) -> Result<Planned> {
    match config.swarm {
        Some(_) => crate::swarm::plan(ctx, config, opts),
        None => converge::plan(ctx, config, opts),
    }
}

/// `fleet sync`: under the machine's lock, every host observed, planned,
/// locked and converged ([`converge::sync`]); with `wait`, then waits for
/// readiness.
pub fn sync(
    ctx: &Context,
    config: &Config,
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<Outcome> {
    let _lock = take_lock(ctx, &config.project)?;
    match config.swarm {
        Some(_) => crate::swarm::sync(ctx, config, opts, wait),
        None => converge::sync(ctx, config, opts, wait),
    }
}

/// `fleet up`, under the project's lock (and each host's); with `wait`,
/// then waits for what it started to be ready.
pub fn up(ctx: &Context, config: &Config, wait: Option<Duration>) -> Result<OpsResult> {
    let _lock = take_lock(ctx, &config.project)?;
    if config.swarm.is_some() {
        return crate::swarm::up(ctx, config, wait);
    }
    let act = |runner: &dyn Runner| -> Result<OpsResult> {
        let mut r = ops::up(runner, &config.project, ctx.jobs, ctx.stop)?;
        if let Some(timeout) = wait
            && !ctx.stopping()
        {
            let names = std::mem::take(&mut r.done);
            let verdicts = converge::wait_for(ctx, runner, &names, timeout);
            for (name, e) in names.iter().zip(verdicts) {
                match e {
                    None => r.done.push(name.clone()),
                    Some(why) => r.failed.push(ops::Named {
                        name: name.clone(),
                        reason: why.to_string(),
                    }),
                }
            }
        }
        Ok(r)
    };
    converge::ops(ctx, config, "started", &act)
}

/// `fleet down`, under the project's lock (and each host's).
pub fn down(ctx: &Context, config: &Config, opts: ops::DownOptions) -> Result<OpsResult> {
    let _lock = take_lock(ctx, &config.project)?;
    if config.swarm.is_some() {
        return crate::swarm::down(ctx, config, opts);
    }
    let act = |runner: &dyn Runner| ops::down(runner, &config.project, opts);
    converge::ops(ctx, config, "stopped", &act)
}

/// `fleet status`: desired against actual, one row a container, and the
/// host locks held by a run (host, who and since). It describes even an
/// empty config (it changes nothing).
pub fn status(ctx: &Context, config: &Config) -> Result<Status> {
    match config.swarm {
        Some(_) => crate::swarm::status(ctx, config),
        None => converge::status(ctx, config),
    }
}

/// `fleet hosts`: each place side by side: its engine's version and its
/// lock.
pub fn hosts(ctx: &Context, config: &Config) -> Result<Vec<HostRow>> {
    let places = place::places(config, ctx)?;
    let rows = place::each(places.iter(), |p| Ok(host_row(p, &config.project)));
    Ok((places.iter().zip(rows))
        .map(|(p, row)| {
            row.unwrap_or_else(|e| HostRow {
                host: p.name().map(str::to_string),
                reach: reach(p),
                version: None,
                error: Some(e.to_string()),
                lock: None,
            })
        })
        .collect())
}

/// How the docker CLI reaches a place, for people.
fn reach(p: &Place) -> String {
    p.host().map_or_else(
        || crate::config::Reach::Default.to_string(),
        |h| h.reach.to_string(),
    )
}

fn host_row(p: &Place, project: &str) -> HostRow {
    let mut row = HostRow {
        host: p.name().map(str::to_string),
        reach: reach(p),
        version: None,
        error: None,
        lock: None,
    };
    let runner = match p.runner() {
        Ok(r) => r,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    let cmd = Cmd::new(["version", "--format", "{{.Server.Version}}"]);
    match crate::docker::run_ok(runner, &cmd) {
        Ok(v) => row.version = Some(v.stdout.trim().to_string()),
        Err(e) => {
            row.error = Some(Error::from(e).to_string());
            return row;
        }
    }
    if p.host().is_some() {
        match engine_lock::read(runner, project) {
            Ok(lock) => row.lock = lock.map(|l| l.describe()),
            Err(e) => row.error = Some(e.to_string()),
        }
    }
    row
}

/// `fleet unlock --host NAME…`: removes the lock a run left on each named
/// host's engine (only a fleet lock of this project; one whose holder
/// still runs on this machine only with `force`).
pub fn unlock(ctx: &Context, config: &Config, force: bool) -> Result<Vec<Unlocked>> {
    if let Some(sw) = &config.swarm {
        return unlock_swarm(ctx, config, &sw.manager, force);
    }
    if ctx.only_hosts.is_empty() || config.hosts.is_empty() {
        let why = if config.hosts.is_empty() {
            "the config declares no hosts: fleet keeps no lock on the engine (the machine's lock file is released when its run ends)"
        } else {
            "name the host whose lock to release: fleet unlock --host NAME"
        };
        return Err(Error::new(crate::error::Kind::Usage, why)
            .with_help("`fleet status` and `fleet hosts` show who holds each host's lock"));
    }
    let places = place::places(config, ctx)?;
    let me = engine_lock::Holder::this_process();
    let released = place::each(places.iter(), |p| {
        engine_lock::release_any(
            p.runner()?,
            &config.project,
            &me,
            force,
            engine_lock::Store::Engine,
        )
    });
    Ok((places.iter().zip(released))
        .map(|(p, r)| unlocked(p.name().unwrap_or_default().to_string(), r))
        .collect())
}

/// What `unlock` did on `host`.
fn unlocked(host: String, r: Result<Option<engine_lock::LockInfo>>) -> Unlocked {
    match r {
        Ok(l) => Unlocked {
            host,
            released: l.map(|l| l.held_by()),
            error: None,
        },
        Err(e) => Unlocked {
            host,
            released: None,
            error: Some(e.to_string()),
        },
    }
}

/// `fleet unlock` on a swarm: the swarm's lock (a `docker config` object)
/// through its manager; `--host` is not for a swarm.
fn unlock_swarm(
    ctx: &Context,
    config: &Config,
    manager: &str,
    force: bool,
) -> Result<Vec<Unlocked>> {
    if !ctx.only_hosts.is_empty() {
        return Err(Error::new(
            crate::error::Kind::Usage,
            "a swarm has one lock, in the swarm: `fleet unlock` without --host releases it",
        ));
    }
    let places = place::places(config, ctx)?;
    let me = engine_lock::Holder::this_process();
    let place = (places.iter())
        .find(|p| p.name() == Some(manager))
        .ok_or_else(|| {
            Error::new(
                crate::error::Kind::Internal,
                "the swarm's manager is not a place",
            )
        })?;
    let host = format!("swarm@{manager}");
    let released = place.runner().and_then(|r| {
        engine_lock::release_any(r, &config.project, &me, force, engine_lock::Store::Swarm)
    });
    Ok(vec![unlocked(host, released)])
}

/// `fleet exec`: every failure of fleet's, the config's included, is
/// [`crate::dispatch::EXIT_FLEET_FAILED`], so a caller can tell it from the
/// command's own codes.
fn exec(ctx: &Context, a: &crate::cli::ExecArgs) -> crate::dispatch::Dispatched {
    use crate::dispatch::{Dispatched, EXIT_FLEET_FAILED, Request};
    let request = || -> Result<(Config, Request)> {
        let config = not_a_swarm(Config::load(ctx.config)?, "exec")?;
        let env = crate::dispatch::read_env(&a.env, &a.env_file)?;
        let req = Request {
            target: a.target.clone(),
            cmd: a.cmd.clone(),
            interactive: a.interactive,
            tty: a.tty,
            queue: a.queue,
            env,
            wait_timeout: a.wait_timeout,
        };
        Ok((config, req))
    };
    match request() {
        Ok((config, req)) => crate::dispatch::exec(ctx, &config, &req),
        Err(error) => Dispatched::Failed {
            code: EXIT_FLEET_FAILED,
            error,
        },
    }
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
