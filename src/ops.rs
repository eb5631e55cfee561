//! The operator commands that work from runtime truth, not the config:
//! `up` and `down` act on what `docker ps` shows under the project label
//! (pool members the config no longer lists included), and `status` joins
//! desired, actual and plan into rows. Only containers carrying this
//! project's label are ever touched.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::apply;
use crate::config::name_order;
use crate::docker::short_id;
use crate::docker::{Runner, argv};
use crate::error::{Error, Result};
use crate::observe::{Actual, inspect_containers, read_stdout, set_aside_probes};
use crate::plan::{Action, Bucket, Op, Plan};
use crate::snapshot::{Claim, ContainerSnapshot, Readiness};
use crate::spec::ContainerState;

/// What `up` or `down` did (its JSON document as it is).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OpsResult {
    /// `started` or `stopped`: a word for the JSON document; text output
    /// knows the command it reports on.
    pub verb: &'static str,
    /// Names acted on successfully.
    pub done: Vec<String>,
    /// Names already in the wanted state.
    pub already: Vec<String>,
    /// Names left alone, with why.
    pub skipped: Vec<Named>,
    /// Names whose docker call failed, with the error.
    pub failed: Vec<Named>,
    /// Declared hosts that failed as a whole, each told once.
    #[serde(skip)]
    pub unreached: Vec<crate::error::Unreached>,
}

impl OpsResult {
    /// Adds what host `host` did, its names shown as `name@host`.
    pub(crate) fn absorb(&mut self, other: OpsResult, host: &str) {
        let at = |n: String| crate::config::name_at(&n, Some(host));
        self.done.extend(other.done.into_iter().map(at));
        self.already.extend(other.already.into_iter().map(at));
        let named = |n: Named| Named {
            name: at(n.name),
            reason: n.reason,
        };
        self.skipped.extend(other.skipped.into_iter().map(named));
        self.failed.extend(other.failed.into_iter().map(named));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Named {
    pub name: String,
    pub reason: String,
}

/// A container of the project as `up` and `down` see it.
struct Listed {
    id: String,
    name: String,
    state: ContainerState,
    exec_sessions: usize,
}

/// The project's containers: the label-filtered listing (strictly read: a
/// line of another shape stops the command before anything changes), then
/// one batched inspect for their states and exec sessions.
fn list(runner: &dyn Runner, project: &str) -> Result<Vec<Listed>> {
    let cmd = argv::list_project(project);
    let out = read_stdout(runner, &cmd)?;
    let mut ids = Vec::new();
    for (n, l) in out
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match l.split('\t').collect::<Vec<_>>().as_slice() {
            [id, name]
                if !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
                    && !name.is_empty() =>
            {
                ids.push(id.to_string());
            }
            _ => {
                return Err(Error::docker(format!(
                    "could not read the containers: line {} of `docker ps` output is not `<ID>\t<name>`: `{}`; nothing was changed",
                    n + 1,
                    l.chars().take(80).collect::<String>()
                )));
            }
        }
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut snaps = inspect_containers(runner, &ids)?;
    set_aside_probes(runner, &mut snaps);
    // A swarm task is Swarm's: stopped here, Swarm would start it again.
    let mut rows: Vec<Listed> = snaps
        .into_iter()
        .filter(|c| c.project() == Some(project))
        .filter(|c| {
            !c.labels
                .contains_key(crate::docker::service::LABEL_SWARM_SERVICE)
        })
        .map(|c| Listed {
            state: c.effective_state(),
            exec_sessions: c.exec_ids.len(),
            id: c.id,
            name: c.name,
        })
        .collect();
    rows.sort_by(|a, b| name_order(&a.name).cmp(&name_order(&b.name)));
    Ok(rows)
}

/// What `up` does with one listed container.
enum Wake {
    Op(Op),
    Already,
    Skip(String),
}

fn wake(c: &Listed) -> Wake {
    if c.name.ends_with(argv::TEMP_SUFFIX) {
        return Wake::Skip(
            "leftover replacement of an interrupted recreate; `fleet sync` finishes or removes it"
                .into(),
        );
    }
    let id = c.id.clone();
    match &c.state {
        ContainerState::Exited | ContainerState::Created => {
            Wake::Op(Op::Start { id, rebuild: None })
        }
        ContainerState::Paused => Wake::Op(Op::Unpause { id }),
        ContainerState::Running | ContainerState::Restarting => Wake::Already,
        ContainerState::Removing => Wake::Skip("being removed by the engine; left alone".into()),
        other @ (ContainerState::Dead | ContainerState::Other(_)) => {
            Wake::Skip(format!("{other}: run `fleet sync` to recreate it"))
        }
    }
}

/// Starts every stopped (exited or created) container of the project and
/// unpauses paused ones, through [`apply::apply`]: the same batched,
/// parallel starts as sync, and the same check that they run afterwards.
/// Leftover replacements of an interrupted recreate are never started:
/// `fleet sync` finishes or removes them.
pub fn up(runner: &dyn Runner, project: &str, jobs: usize, stop: &AtomicBool) -> Result<OpsResult> {
    let mut r = OpsResult {
        verb: "started",
        ..OpsResult::default()
    };
    let mut actions = Vec::new();
    for c in list(runner, project)? {
        match wake(&c) {
            Wake::Op(op) => actions.push(Action {
                reason: c.state.to_string(),
                name: c.name,
                type_name: None,
                bucket: Bucket::Started,
                rename: None,
                op,
                matches: None,
                unready: None,
                host: None,
                moved_to: None,
            }),
            Wake::Already => r.already.push(c.name),
            Wake::Skip(reason) => r.skipped.push(Named {
                name: c.name,
                reason,
            }),
        }
    }
    let plan = Plan {
        project: project.to_string(),
        actions,
    };
    start(&plan, runner, jobs, stop, &mut r);
    Ok(r)
}

/// Applies `up`'s plan of starts and unpauses; each lands in `done` or
/// `failed`.
fn start(plan: &Plan, runner: &dyn Runner, jobs: usize, stop: &AtomicBool, r: &mut OpsResult) {
    for d in apply::apply(plan, runner, jobs, &|_| {}, stop).done {
        match d.error {
            None => r.done.push(d.action.name),
            Some(e) => r.failed.push(Named {
                name: d.action.name.clone(),
                reason: {
                    let e = match e {
                        apply::Failure::NotStarted(_) => format!("`{}` {e}", d.action.name),
                        e => e.to_string(),
                    };
                    match d.now {
                        Some(now) => format!("{e}\n  now: {now}"),
                        None => e,
                    }
                },
            }),
        }
    }
}

/// How `down` stops containers.
#[derive(Debug, Clone, Copy)]
pub struct DownOptions {
    /// docker stop's grace period, in seconds, before SIGKILL.
    pub grace: u32,
    /// Stop containers even while they have live `docker exec` sessions.
    pub force: bool,
}

/// Stops every running container of the project with one `docker stop`
/// (the docker CLI stops the containers of one call in parallel). Those with
/// live exec sessions are left running unless `force`; the others of the
/// project (already stopped) are listed in `already`.
pub fn down(runner: &dyn Runner, project: &str, opts: DownOptions) -> Result<OpsResult> {
    let DownOptions { grace, force } = opts;
    let mut r = OpsResult {
        verb: "stopped",
        ..OpsResult::default()
    };
    let (running, stopped): (Vec<Listed>, Vec<Listed>) = list(runner, project)?
        .into_iter()
        .partition(|c| c.state.is_active());
    r.already = stopped.into_iter().map(|c| c.name).collect();
    // A `fleet exec` claim makes its agent busy from the pick on, before
    // its command's session exists: read only when something would stop.
    let claims = match (running.is_empty(), force) {
        (false, false) => crate::observe::live_claims(runner, project)?,
        _ => BTreeMap::new(),
    };
    let mut to_stop = Vec::new();
    for c in &running {
        match (c.exec_sessions, claims.get(&c.name)) {
            _ if force => to_stop.push(c),
            (_, Some(claim)) => r.skipped.push(Named {
                name: c.name.clone(),
                reason: format!(
                    "{}, left running; --force stops it anyway",
                    claim.describe()
                ),
            }),
            (n, None) if n > 0 => r.skipped.push(Named {
                name: c.name.clone(),
                reason: format!(
                    "{n} live exec session{}, left running; --force stops it anyway",
                    if n == 1 { "" } else { "s" }
                ),
            }),
            _ => to_stop.push(c),
        }
    }
    if !to_stop.is_empty() {
        let ids: Vec<&str> = to_stop.iter().map(|c| c.id.as_str()).collect();
        let names: Vec<&str> = to_stop.iter().map(|c| c.name.as_str()).collect();
        let handled = apply::handled_by(runner, &argv::stop(grace, &ids), &ids, &names);
        for (c, h) in to_stop.iter().zip(handled) {
            match h {
                Ok(()) => r.done.push(c.name.clone()),
                Err(e) => r.failed.push(Named {
                    name: c.name.clone(),
                    reason: format!("failed to stop `{}`: {e}", c.name),
                }),
            }
        }
    }
    Ok(r)
}

/// One row of `fleet status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StatusRow {
    pub name: String,
    /// The host it is on, when the config declares hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    /// `running`, `exited 137`, `paused`, `absent`, `foreign`, …
    pub state: String,
    /// Whether it can take work: `healthy`, `unhealthy: …`, `starting`,
    /// `crash-looping (N restarts, last exit X|unknown)`, `running` (no
    /// healthcheck), `down`; `-` without a container of ours.
    pub ready: String,
    /// Short image ID of the container, if it exists.
    pub image: Option<String>,
    /// Whether it matches its desired spec (`None`: absent, foreign or not desired).
    pub matches: Option<bool>,
    pub exec_sessions: usize,
    /// A `fleet exec`'s claim that counts, if there is one.
    pub claim: Option<Claim>,
    /// What `fleet sync` would do.
    pub action: Bucket,
    pub reason: String,
    /// A desired agent on this host: a member of its type's pool here (not
    /// an orphan, nor the old container of a move).
    #[serde(skip)]
    pub member: bool,
    #[serde(skip)]
    pub standing: Standing,
}

/// How an agent stands for its pool's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Healthy, or running without a healthcheck: ready as `--wait` judges
    /// a look.
    Ready,
    /// Running, not ready: its healthcheck starting or failing.
    Unready,
    /// Not running: no container of ours (absent, or the name held by a
    /// foreign one), exited, created, paused, dead, or restarting between
    /// exits (crash-looping).
    Down,
    /// Its host could not be read.
    Unknown,
}

impl Standing {
    /// How `c` (`None`: no container of ours) stands.
    fn of(c: Option<&ContainerSnapshot>) -> Standing {
        match c.map(ContainerSnapshot::readiness) {
            Some(Readiness::Healthy | Readiness::Running) => Standing::Ready,
            Some(Readiness::Starting | Readiness::Unhealthy(_)) => Standing::Unready,
            Some(Readiness::Down | Readiness::CrashLooping { .. }) | None => Standing::Down,
        }
    }
}

impl StatusRow {
    /// Live exec sessions, or a claim.
    pub(crate) fn busy(&self) -> bool {
        self.exec_sessions > 0 || self.claim.is_some()
    }
}

/// One type's pool on one host, in figures (README, "Pool figures and
/// monitoring"). `busy` and `claimed` overlap the others; `members` is
/// `ready + down +` the running members not ready yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct PoolFigures {
    #[serde(rename = "type")]
    pub type_name: String,
    /// The host, when the config declares hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The desired agents of the type on the host.
    pub members: usize,
    /// Healthy, or running without a healthcheck.
    pub ready: usize,
    /// Ready and not busy: what `fleet exec TYPE` could pick now.
    pub idle: usize,
    /// With live exec sessions (health probes aside) or a claim.
    pub busy: usize,
    /// With a `fleet exec` claim that counts.
    pub claimed: usize,
    /// Not running (see [`Standing::Down`]).
    pub down: usize,
}

impl PoolFigures {
    fn add(&mut self, r: &StatusRow) {
        let ready = r.standing == Standing::Ready;
        self.members += 1;
        self.ready += usize::from(ready);
        self.idle += usize::from(ready && !r.busy());
        self.busy += usize::from(r.busy());
        self.claimed += usize::from(r.claim.is_some());
        self.down += usize::from(r.standing == Standing::Down);
    }
}

/// Each pool's figures, per type and host in the order of the rows, from
/// the member rows; a pool with a member on a host that could not be read
/// has none.
pub(crate) fn pools(rows: &[StatusRow]) -> Vec<PoolFigures> {
    let mut pools: Vec<PoolFigures> = Vec::new();
    let mut unread: Vec<(&str, Option<&str>)> = Vec::new();
    for r in rows.iter().filter(|r| r.member) {
        let Some(t) = r.type_name.as_deref() else {
            continue;
        };
        if r.standing == Standing::Unknown {
            unread.push((t, r.host.as_deref()));
            continue;
        }
        let at = pools
            .iter()
            .position(|p| p.type_name == t && p.host == r.host);
        let i = at.unwrap_or_else(|| {
            pools.push(PoolFigures {
                type_name: t.to_string(),
                host: r.host.clone(),
                ..PoolFigures::default()
            });
            pools.len() - 1
        });
        pools[i].add(r);
    }
    pools.retain(|p| !unread.contains(&(p.type_name.as_str(), p.host.as_deref())));
    pools
}

/// Desired against actual, in plan order. Which rows are members is the
/// caller's to say (it knows how many of the plan's actions are desired).
pub(crate) fn status_rows(actual: &Actual, plan: &Plan) -> Vec<StatusRow> {
    plan.actions
        .iter()
        .map(|a| {
            // A container found under another name is shown on its agent's row.
            let c = match &a.rename {
                Some(r) => actual.containers.iter().find(|c| c.id == r.id),
                None => actual.containers.iter().find(|c| c.name == a.name),
            };
            let foreign = c.is_some_and(|c| c.project() != Some(plan.project.as_str()));
            StatusRow {
                name: a.name.clone(),
                host: a.host.clone(),
                type_name: a.type_name.clone(),
                state: match c {
                    None => "absent".into(),
                    Some(_) if foreign => "foreign".into(),
                    Some(c) => match &a.rename {
                        Some(r) => format!("{} (as `{}`)", c.state_word(), r.from),
                        None => c.state_word(),
                    },
                },
                ready: match c {
                    Some(c) if !foreign => c.readiness().word(),
                    _ => "-".into(),
                },
                image: c.map(|c| short_id(&c.image_id).to_string()),
                matches: a.matches,
                exec_sessions: c.map_or(0, |c| c.exec_ids.len()),
                claim: c.and_then(|c| c.claim.clone()),
                action: a.bucket,
                reason: a.reason.clone(),
                member: false,
                standing: Standing::of(c.filter(|_| !foreign)),
            }
        })
        .collect()
}

/// The row of a container on a host that could not be read: its state is
/// `unknown`, the reason the host's failure.
pub(crate) fn unknown_row(a: &Action) -> StatusRow {
    StatusRow {
        name: a.name.clone(),
        host: a.host.clone(),
        type_name: a.type_name.clone(),
        state: "unknown".into(),
        ready: "-".into(),
        image: None,
        matches: None,
        exec_sessions: 0,
        claim: None,
        action: a.bucket,
        reason: a.reason.clone(),
        member: true,
        standing: Standing::Unknown,
    }
}
