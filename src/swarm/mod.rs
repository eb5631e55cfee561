//! A swarm as a place (DESIGN.md "Swarm"): the project's agents are
//! services of one replica on the Docker Swarm the declared host
//! `swarm.manager` manages. The same phases as a host's: look (the
//! manager's fixed reads, `look.rs`) → plan (`decide.rs`, the decision
//! table on services) → lock (a `docker config` object, atomic by name in
//! the swarm: `engine_lock::Store::Swarm`) → look again → apply → release;
//! the nodes' engines (the other declared hosts) are read only when a
//! decision needs them: busy agents (live exec sessions, claims), pinned
//! nodes, plain containers left from before the switch.
//!
//! What it produces is what a host's run produces (`Plan`, `Outcome`,
//! `Status`, `OpsResult`), so `report` renders both alike.

mod decide;
mod look;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::apply::{Done, Failure, Halt, Outcome};
use crate::config::{Config, Desired};
use crate::context::{Context, Event};
use crate::converge::{Planned, Status};
use crate::docker::service::{self};
use crate::docker::{Runner, argv, run_ok, short_id};
use crate::engine_lock::{self, Store};
use crate::error::{Error, Kind, Result};
use crate::ops::{self, DownOptions, Named, OpsResult, StatusRow};
use crate::place::{self, Place, Places};
use crate::plan::{self, Action, Op, Plan, ServiceOp};

pub(crate) use decide::{HostRead, Reads};
use look::Look;

/// How often a swarm is read again while fleet waits for it.
const POLL: Duration = Duration::from_millis(500);

/// How long fleet waits for one group of updates (Swarm's update, with its
/// 5 s monitor, and a rollback) before it reports them unfinished.
const UPDATE_WAIT: Duration = Duration::from_secs(180);

/// The swarm of a run: its manager and the declared hosts (the nodes'
/// engines), each a [`Place`].
struct Swarm<'a> {
    ctx: &'a Context<'a>,
    config: &'a Config,
    places: Places<'a>,
    manager: usize,
    /// The hosts whose failed read was told (once a run).
    told: std::sync::Mutex<BTreeSet<String>>,
}

impl<'a> Swarm<'a> {
    fn new(ctx: &'a Context<'a>, config: &'a Config) -> Result<Swarm<'a>> {
        let Some(sw) = &config.swarm else {
            return Err(Error::new(
                Kind::Internal,
                "a swarm run of a config without `swarm`",
            ));
        };
        if !ctx.only_hosts.is_empty() {
            return Err(Error::new(Kind::Usage, format!(
                "--host picks hosts of a project on plain engines; project `{}` runs on the swarm managed by `{}`, one place",
                config.project, sw.manager
            ))
            .with_help("leave --host out: fleet reads the nodes it needs by itself"));
        }
        let places = place::places(config, ctx)?;
        let manager = (places.iter())
            .position(|p| p.name() == Some(sw.manager.as_str()))
            .ok_or_else(|| Error::new(Kind::Internal, "the swarm's manager is not a place"))?;
        Ok(Swarm {
            ctx,
            config,
            places,
            manager,
            told: Default::default(),
        })
    }

    fn manager(&self) -> &Place<'a> {
        &self.places[self.manager]
    }

    fn manager_name(&self) -> &str {
        self.manager().name().unwrap_or_default()
    }

    /// The manager's runner; a manager that cannot be reached is the run's
    /// one error (nothing is changed).
    fn runner(&self) -> Result<&(dyn Runner + 'a)> {
        self.manager().runner().map_err(|e| {
            e.context(format!(
                "could not reach the swarm's manager, host `{}`; nothing was changed",
                self.manager_name()
            ))
        })
    }

    fn images(&self) -> Vec<&str> {
        (self.config.types.iter())
            .map(|t| t.spec.image.as_str())
            .collect()
    }

    fn look(&self) -> Result<Look> {
        let runner = self.runner()?;
        let desired = self.config.desired();
        let names: Vec<&str> = desired.iter().map(|d| d.name.as_str()).collect();
        look::look(runner, &self.config.project, &names, &self.images()).map_err(|e| {
            e.context(format!(
                "through the swarm's manager, host `{}`",
                self.manager_name()
            ))
        })
    }

    /// Every declared host's engine side by side: its swarm node ID and
    /// the project's containers on it. A host that fails is told once.
    fn read_hosts(&self) -> Reads {
        let project = &self.config.project;
        let read = |p: &Place| -> Result<HostRead> {
            let runner = p.runner()?;
            let out = run_ok(runner, &service::node_id())?;
            let mut words = out.stdout.split_whitespace();
            let (id, state) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            if state != "active" || id.is_empty() {
                return Err(Error::refused(format!(
                    "its engine is not an active node of a swarm (swarm state `{state}`)"
                )));
            }
            let actual = crate::observe::observe(runner, project, &[])?;
            Ok(HostRead {
                node_id: id.to_string(),
                containers: actual.containers,
            })
        };
        let reads = place::each(self.places.iter(), read);
        (self.places.iter().zip(reads))
            .map(|(p, r)| {
                let host = p.name().unwrap_or_default().to_string();
                let r = r.map_err(|e| {
                    let mut told =
                        (self.told.lock()).unwrap_or_else(std::sync::PoisonError::into_inner);
                    if told.insert(host.clone()) {
                        (self.ctx.events)(Event::Note(format!(
                            "fleet: host `{host}` could not be read: {e}"
                        )));
                    }
                    e.to_string()
                });
                (host, r)
            })
            .collect()
    }

    /// Look, decide, and read the nodes as `nodes` says: never (a draft:
    /// does the run change anything?), when the draft needs them (sync,
    /// under the lock), or always (plan and status).
    fn plan(&self, opts: plan::Options, nodes: Nodes) -> Result<(Look, Option<Reads>, Plan)> {
        let desired = self.config.desired();
        let look = self.look()?;
        empty_guard(self.config, &desired, &look, opts)?;
        let project = &self.config.project;
        let draft = decide::decide(project, &desired, &look, None, opts);
        let skip = match nodes {
            Nodes::Never => true,
            Nodes::IfNeeded => !decide::needs_reads(&draft),
            Nodes::Always => false,
        };
        if skip {
            return Ok((look, None, draft));
        }
        let reads = self.read_hosts();
        let plan = decide::decide(project, &desired, &look, Some(&reads), opts);
        Ok((look, Some(reads), plan))
    }
}

/// When a look reads the nodes' engines too.
#[derive(Clone, Copy)]
enum Nodes {
    Never,
    IfNeeded,
    Always,
}

/// The guard of an empty config (as on hosts): a config that declares no
/// agent removes nothing without `--allow-empty`.
fn empty_guard(
    config: &Config,
    desired: &[Desired],
    look: &Look,
    opts: plan::Options,
) -> Result<()> {
    let n = look.services.len();
    if desired.is_empty() && n > 0 && !opts.allow_empty {
        return Err(Error::refused(format!(
            "the config declares no agents, but project `{}` has {n} services on the swarm; refusing to remove them all",
            config.project
        ))
        .with_help("pass --allow-empty to remove them"));
    }
    Ok(())
}

/// `fleet plan` on a swarm.
pub(crate) fn plan(ctx: &Context, config: &Config, opts: plan::Options) -> Result<Planned> {
    let swarm = Swarm::new(ctx, config)?;
    let (_, _, plan) = swarm.plan(opts, Nodes::Always)?;
    Ok(Planned {
        plan,
        unreached: Vec::new(),
    })
}

/// `fleet status` on a swarm: a row an agent (its node in the host
/// column), sessions and claims from the nodes' engines.
pub(crate) fn status(ctx: &Context, config: &Config) -> Result<Status> {
    let swarm = Swarm::new(ctx, config)?;
    let opts = plan::Options {
        force: false,
        allow_empty: true,
    };
    let (look, reads, plan) = swarm.plan(opts, Nodes::Always)?;
    let reads = reads.unwrap_or_default();
    let desired: BTreeSet<String> = config.desired().into_iter().map(|d| d.name).collect();
    let rows: Vec<StatusRow> = (plan.actions.iter())
        .map(|a| status_row(a, &look, &reads, desired.contains(&a.name)))
        .collect();
    let lock = engine_lock::read_in(swarm.runner()?, Store::Swarm, &config.project)
        .ok()
        .flatten();
    // A pool is a type's, wherever Swarm runs its members.
    let unplaced: Vec<StatusRow> = (rows.iter().cloned())
        .map(|r| StatusRow { host: None, ..r })
        .collect();
    Ok(Status {
        project: config.project.clone(),
        pools: ops::pools(&unplaced),
        rows,
        places: (reads.iter())
            .map(|(h, r)| (Some(h.clone()), r.is_ok()))
            .collect(),
        locks: lock
            .map(|l| vec![(format!("swarm@{}", swarm.manager_name()), l.describe())])
            .unwrap_or_default(),
        unreached: Vec::new(),
    })
}

fn status_row(a: &Action, look: &Look, reads: &Reads, member: bool) -> StatusRow {
    use crate::ops::Standing as S;
    let container = (reads.values().flatten())
        .flat_map(|r| r.containers.iter())
        .find(|c| c.labels.get(service::LABEL_SWARM_SERVICE) == Some(&a.name) && c.state.running);
    let (state, ready, standing) = match look.service(&a.name).map(|s| decide::standing(look, s)) {
        None => ("absent".to_string(), "-".to_string(), S::Down),
        Some(decide::Standing::Running { .. }) => {
            let ready = container.map_or("running".to_string(), |c| c.readiness().word());
            ("running".into(), ready, S::Ready)
        }
        Some(decide::Standing::Stopped) => ("scaled to 0".into(), "down".into(), S::Down),
        Some(decide::Standing::Starting { words }) => (words, "starting".into(), S::Unready),
        Some(decide::Standing::NotRunning { why, .. }) => (why, "down".into(), S::Down),
    };
    StatusRow {
        name: a.name.clone(),
        host: a.host.clone(),
        type_name: a.type_name.clone(),
        state,
        ready,
        image: container.map(|c| short_id(&c.image_id).to_string()),
        matches: a.matches,
        exec_sessions: container.map_or(0, |c| c.exec_ids.len()),
        claim: container.and_then(|c| c.claim.clone()),
        action: a.bucket,
        reason: a.reason.clone(),
        member,
        standing,
    }
}

impl Swarm<'_> {
    /// The swarm's lock (a `docker config` object, through the manager),
    /// released by `place::Held` on every path.
    fn lock(&self) -> Result<place::Held<'_>> {
        let held = (self.manager()).lock_in(self.ctx, &self.config.project, Store::Swarm)?;
        held.ok_or_else(|| Error::new(Kind::Internal, "the swarm's manager has no lock"))
    }
}

/// `fleet sync` on a swarm: under the swarm's lock, look, decide, apply;
/// with `wait`, then wait until every agent's task runs.
pub(crate) fn sync(
    ctx: &Context,
    config: &Config,
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<Outcome> {
    let swarm = Swarm::new(ctx, config)?;
    // A look before the lock: a manager that cannot be reached or a
    // project that needs nothing takes no lock.
    let (_, _, first) = swarm.plan(opts, Nodes::Never)?;
    let mut done = if first.pending() {
        let held = swarm.lock()?;
        // The one panic policy: a panic here is the run's error, said as a
        // bug, and the lock is released on every path.
        let done = place::guarded(|| {
            let (_, reads, plan) = swarm.plan(opts, Nodes::IfNeeded)?;
            Ok(apply(&swarm, &plan, reads.as_ref(), held.deadline()))
        });
        held.release(ctx);
        done?
    } else {
        Outcome::planned(&first).done
    };
    for d in &done {
        if let Some(from) = decide::moved_from_words(&d.action.reason) {
            (ctx.events)(Event::Note(format!(
                "fleet: `{}` runs on {}: Swarm moved it from {from}",
                d.action.name,
                d.action.host.as_deref().unwrap_or("?")
            )));
        }
    }
    if let Some(timeout) = wait
        && !ctx.stopping()
    {
        wait_running(&swarm, &mut done, timeout)?;
    }
    Ok(Outcome {
        project: config.project.clone(),
        done,
        unreached: Vec::new(),
        interrupted: ctx.stopping(),
    })
}

/// A step's result: `Ok` or Swarm's / docker's words.
type Step = std::result::Result<(), String>;

fn docker_words(e: crate::docker::DockerError) -> String {
    format!("{:#}", Error::from(e))
}

fn apply(swarm: &Swarm, plan: &Plan, reads: Option<&Reads>, deadline: Instant) -> Vec<Done> {
    let ctx = swarm.ctx;
    let mut results: Vec<Option<Step>> = vec![None; plan.actions.len()];
    let mut took = vec![Duration::ZERO; plan.actions.len()];
    let runner = match swarm.runner() {
        Ok(r) => r,
        Err(e) => {
            // Only what was to be done failed; the rest stands as planned.
            let words = format!("{e:#}");
            let failed = (plan.actions.iter())
                .map(|a| match &a.op {
                    Op::Service(op) if !matches!(op.as_ref(), ServiceOp::Reported) => {
                        Some(Err(words.clone()))
                    }
                    _ => None,
                })
                .collect();
            return finish(plan, failed, took);
        }
    };
    let op = |i: usize| match &plan.actions[i].op {
        Op::Service(s) => Some(s.as_ref()),
        _ => None,
    };
    let halted = |deadline: Instant| -> Option<Halt> {
        if ctx.stopping() {
            Some(Halt::Signal)
        } else if Instant::now() >= deadline {
            Some(Halt::Lease {
                host: format!("swarm@{}", swarm.manager_name()),
                lease: ctx.lock_lease,
            })
        } else {
            None
        }
    };
    let mut halts: BTreeMap<usize, Halt> = BTreeMap::new();
    // 1. Creates, side by side (`--jobs`).
    let creates: Vec<usize> = (0..plan.actions.len())
        .filter(|&i| matches!(op(i), Some(ServiceOp::Create { .. })))
        .collect();
    let create_one = |i: usize| -> (usize, Step, Duration) {
        let t = Instant::now();
        let Some(ServiceOp::Create {
            desired,
            constraints,
            image_id,
        }) = op(i)
        else {
            return (i, Ok(()), Duration::ZERO);
        };
        let cmd = service::create(desired, constraints, image_id.as_deref());
        (
            i,
            run_ok(runner, &cmd).map(drop).map_err(docker_words),
            t.elapsed(),
        )
    };
    // `--jobs` workers, each taking the next create as it is free (no
    // wave waits for its slowest); a panic is that create's error.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let created = std::sync::Mutex::new(Vec::new());
    let worker = || {
        loop {
            let k = next.fetch_add(1, Ordering::SeqCst);
            let Some(&i) = creates.get(k) else { break };
            let out = match halted(deadline) {
                Some(h) => Err(h),
                None => {
                    Ok(
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| create_one(i)))
                            .unwrap_or_else(|p| {
                                (
                                    i,
                                    Err(format!("{:#}", place::panicked(p.as_ref()))),
                                    Duration::ZERO,
                                )
                            }),
                    )
                }
            };
            if let Ok((i, step, t)) = &out {
                tell(ctx, plan, *i, &Some(step.clone()), *t);
            }
            let mut c = created
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.push((i, out));
        }
    };
    std::thread::scope(|s| {
        for _ in 1..ctx.jobs.max(1).min(creates.len().max(1)) {
            s.spawn(worker);
        }
        worker();
    });
    for (i, out) in created
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        match out {
            Ok((_, step, t)) => {
                results[i] = Some(step);
                took[i] = t;
            }
            Err(h) => {
                halts.insert(i, h);
            }
        }
    }
    // 2. Starts (scaled to 0): one batched scale.
    let starts: Vec<usize> = (0..plan.actions.len())
        .filter(|&i| matches!(op(i), Some(ServiceOp::Start { .. })))
        .collect();
    if !starts.is_empty() {
        let names: Vec<&str> = starts
            .iter()
            .map(|&i| plan.actions[i].name.as_str())
            .collect();
        let r = run_ok(runner, &service::scale(&names, 1))
            .map(drop)
            .map_err(docker_words);
        for &i in &starts {
            results[i] = Some(r.clone());
            tell(ctx, plan, i, &results[i], Duration::ZERO);
        }
    }
    // 3. Updates: per type, `max_unavailable` at a time, each group waited
    //    for (Swarm's update, or its rollback) before the next.
    let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in 0..plan.actions.len() {
        if let Some(ServiceOp::Update { desired, .. }) = op(i) {
            by_type
                .entry(desired.type_name.as_str())
                .or_default()
                .push(i);
        }
    }
    // Each type's groups in turn; the types side by side.
    let chains: Vec<Vec<Vec<usize>>> = (by_type.values())
        .map(|v| {
            let n = match op(v[0]) {
                Some(ServiceOp::Update { desired, .. }) => desired.max_unavailable.max(1),
                _ => 1,
            };
            v.chunks(n).map(<[usize]>::to_vec).collect()
        })
        .collect();
    let chained = place::each(chains, |groups| {
        let mut out: Vec<(usize, std::result::Result<Step, Halt>, Duration)> = Vec::new();
        for g in groups {
            if let Some(h) = halted(deadline) {
                out.extend(g.iter().map(|&i| (i, Err(h.clone()), Duration::ZERO)));
                continue;
            }
            let t = Instant::now();
            let steps = update_group(swarm, runner, plan, &g);
            for (&i, step) in g.iter().zip(steps) {
                tell(ctx, plan, i, &Some(step.clone()), t.elapsed());
                out.push((i, Ok(step), t.elapsed()));
            }
        }
        Ok(out)
    });
    for chain in chained {
        match chain {
            Ok(steps) => {
                for (i, step, t) in steps {
                    match step {
                        Ok(step) => results[i] = Some(step),
                        Err(h) => {
                            halts.insert(i, h);
                        }
                    }
                    took[i] = t;
                }
            }
            // A panic in a chain: its updates' outcome is unknown.
            Err(e) => {
                let words = format!("{e:#}");
                for (i, r) in results.iter_mut().enumerate() {
                    if r.is_none() && matches!(op(i), Some(ServiceOp::Update { .. })) {
                        *r = Some(Err(words.clone()));
                    }
                }
            }
        }
    }
    // 4. Removals of services: one batched `service rm`.
    let removes: Vec<usize> = (0..plan.actions.len())
        .filter(|&i| matches!(op(i), Some(ServiceOp::Remove { .. })))
        .collect();
    if !removes.is_empty() {
        if let Some(h) = halted(deadline) {
            removes.iter().for_each(|&i| {
                halts.insert(i, h.clone());
            });
        } else {
            let ids: Vec<&str> = (removes.iter())
                .filter_map(|&i| match op(i) {
                    Some(ServiceOp::Remove { id }) => Some(id.as_str()),
                    _ => None,
                })
                .collect();
            let out = runner.run(&service::remove(&ids));
            for (&i, id) in removes.iter().zip(&ids) {
                results[i] = Some(match &out {
                    Ok(o) if o.success() => Ok(()),
                    Ok(o) if gone_or_absent(&o.stderr, id) => Ok(()),
                    Ok(o) => Err(o.stderr.trim().to_string()),
                    Err(e) => Err(docker_words(e.clone())),
                });
                tell(ctx, plan, i, &results[i], Duration::ZERO);
            }
        }
    }
    // 5. Plain containers of the project on the hosts (the switch to the
    //    swarm): `docker rm -f` by ID, on their host, last.
    let mut plain: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in 0..plan.actions.len() {
        if let Some(ServiceOp::RemovePlain { host, .. }) = op(i) {
            plain.entry(host.as_str()).or_default().push(i);
        }
    }
    for (host, idx) in plain {
        let place = swarm.places.iter().find(|p| p.name() == Some(host));
        let ids: Vec<&str> = (idx.iter())
            .filter_map(|&i| match op(i) {
                Some(ServiceOp::RemovePlain { id, .. }) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let r: Step = match (place, halted(deadline), reads) {
            (_, Some(h), _) => {
                idx.iter().for_each(|&i| {
                    halts.insert(i, h.clone());
                });
                continue;
            }
            (Some(p), None, Some(_)) => p.runner().map_err(|e| format!("{e:#}")).and_then(|r| {
                run_ok(r, &argv::remove(&ids))
                    .map(drop)
                    .map_err(docker_words)
            }),
            _ => Err(format!("host `{host}` was not read")),
        };
        for &i in &idx {
            results[i] = Some(r.clone());
            tell(ctx, plan, i, &results[i], Duration::ZERO);
        }
    }
    let mut done = finish(plan, results, took);
    for (i, h) in halts {
        done[i].error = Some(Failure::NotStarted(h));
    }
    done
}

/// `service rm`'s words for a service already gone.
fn gone_or_absent(stderr: &str, id: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    stderr.trim().lines().all(|l| {
        let l = l.to_ascii_lowercase();
        !l.contains(&id.to_ascii_lowercase())
            || l.contains("not found")
            || l.contains("no such service")
    }) && !s.is_empty()
}

fn tell(ctx: &Context, plan: &Plan, i: usize, step: &Option<Step>, took: Duration) {
    let d = done_of(&plan.actions[i], step, took);
    (ctx.events)(Event::Done(&d));
}

fn done_of(a: &Action, step: &Option<Step>, took: Duration) -> Done {
    Done {
        action: a.clone(),
        error: match step {
            Some(Err(e)) => Some(Failure::Swarm(e.clone())),
            _ => a.planned_failure().map(Failure::Swarm),
        },
        now: None,
        took,
    }
}

fn finish(plan: &Plan, results: Vec<Option<Step>>, took: Vec<Duration>) -> Vec<Done> {
    (plan.actions.iter().zip(results).zip(took))
        .map(|((a, s), t)| done_of(a, &s, t))
        .collect()
}

/// Runs the updates of one group side by side, then waits until Swarm
/// has finished each (its update completed, or rolled back).
fn update_group(swarm: &Swarm, runner: &dyn Runner, plan: &Plan, group: &[usize]) -> Vec<Step> {
    let issue = |i: usize| -> Step {
        let Op::Service(s) = &plan.actions[i].op else {
            return Ok(());
        };
        let ServiceOp::Update {
            id,
            desired,
            held,
            constraints,
            image_id,
        } = s.as_ref()
        else {
            return Ok(());
        };
        let cmd = service::update(id, desired, held, constraints, image_id.as_deref());
        run_ok(runner, &cmd).map(drop).map_err(docker_words)
    };
    let issued: Vec<Step> = place::each(group.iter().copied(), |i| Ok(issue(i)))
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| Err(format!("{e:#}"))))
        .collect();
    let ids: Vec<(usize, String)> = (group.iter().zip(&issued))
        .filter(|(_, s)| s.is_ok())
        .filter_map(|(&i, _)| match &plan.actions[i].op {
            Op::Service(s) => match s.as_ref() {
                ServiceOp::Update { id, .. } => Some((i, id.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut verdicts: BTreeMap<usize, Step> = BTreeMap::new();
    let start = Instant::now();
    while verdicts.len() < ids.len() {
        let waiting: Vec<&(usize, String)> = ids
            .iter()
            .filter(|(i, _)| !verdicts.contains_key(i))
            .collect();
        let wanted: Vec<&str> = waiting.iter().map(|(_, id)| id.as_str()).collect();
        let read = run_ok(runner, &service::inspect(&wanted))
            .map_err(docker_words)
            .and_then(|o| look::parse_services(&o.stdout).map_err(|e| format!("{e:#}")));
        match read {
            Err(e) => {
                for (i, _) in waiting {
                    verdicts.insert(*i, Err(format!("could not follow Swarm's update: {e}")));
                }
                break;
            }
            Ok(services) => {
                for (i, id) in waiting {
                    let s = services.iter().find(|s| &s.id == id);
                    let state = s.and_then(|s| s.update.clone());
                    match state.as_ref().map(|(st, m)| (st.as_str(), m.as_str())) {
                        Some(("completed", _)) => {
                            verdicts.insert(*i, Ok(()));
                        }
                        Some(("rollback_completed", _)) => {
                            let why = failed_task(runner, id)
                                .map_or_else(|| "failed".to_string(), |w| format!("was {w}"));
                            verdicts.insert(*i, Err(format!(
                                "Swarm rolled the update back, and the agent runs its previous spec: the new task {why}"
                            )));
                        }
                        Some((st @ ("paused" | "rollback_paused"), m)) => {
                            verdicts.insert(
                                *i,
                                Err(format!("Swarm's update is {}: {m}", st.replace('_', " "))),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
        if verdicts.len() == ids.len() {
            break;
        }
        if swarm.ctx.stopping() || start.elapsed() > UPDATE_WAIT {
            for (i, _) in &ids {
                verdicts.entry(*i).or_insert_with(|| {
                    Err(format!(
                        "{}: Swarm goes on with it (or rolls it back) by itself; see `docker service ps {}`",
                        match swarm.ctx.stopping() {
                            true => "interrupted while Swarm updated it".to_string(),
                            false => format!("Swarm's update did not finish within {}s", UPDATE_WAIT.as_secs()),
                        },
                        plan.actions[*i].name
                    ))
                });
            }
            break;
        }
        std::thread::sleep(POLL);
    }
    (group.iter().zip(issued))
        .map(|(i, s)| s.and_then(|()| verdicts.remove(i).unwrap_or(Ok(()))))
        .collect()
}

/// Swarm's words for the newest task of service `id` that failed.
fn failed_task(runner: &dyn Runner, id: &str) -> Option<String> {
    let out = run_ok(runner, &service::tasks(&[id])).ok()?;
    let tasks = look::parse_tasks(&out.stdout).ok()?;
    (tasks.values().flatten())
        .find(|t| !t.error.is_empty())
        .map(decide::task_words)
}

/// `--wait`: until every desired agent's task runs (healthy, when it has a
/// healthcheck: Swarm starts a task only once healthy), or `timeout`; an
/// agent still not running then fails with why.
fn wait_running(swarm: &Swarm, done: &mut [Done], timeout: Duration) -> Result<()> {
    let desired: Vec<String> = swarm.config.desired().into_iter().map(|d| d.name).collect();
    let late = wait_for(swarm, &desired, timeout)?;
    for d in done.iter_mut() {
        if d.error.is_none()
            && let Some(why) = late.get(&d.action.name)
        {
            d.error = Some(Failure::Swarm(why.clone()));
        }
    }
    Ok(())
}

/// Looks until every agent of `names` runs, or `timeout` (or a signal);
/// returns those that still do not, each with why. The count of those
/// running is told as it changes.
fn wait_for(
    swarm: &Swarm,
    names: &[String],
    timeout: Duration,
) -> Result<BTreeMap<String, String>> {
    let start = Instant::now();
    let mut told = usize::MAX;
    loop {
        let look = swarm.look()?;
        let not_running: BTreeMap<String, String> = (names.iter())
            .filter_map(|n| {
                let why = match look.service(n).map(|s| decide::standing(&look, s)) {
                    Some(decide::Standing::Running { .. }) => return None,
                    Some(decide::Standing::NotRunning { why, .. }) => why,
                    Some(decide::Standing::Starting { words }) => format!("still {words}"),
                    Some(decide::Standing::Stopped) => "scaled to 0".into(),
                    None => "no service".into(),
                };
                Some((n.clone(), why))
            })
            .collect();
        let ready = names.len() - not_running.len();
        if ready != told {
            (swarm.ctx.events)(Event::Ready {
                ready,
                total: names.len(),
            });
            told = ready;
        }
        if not_running.is_empty() {
            return Ok(not_running);
        }
        if start.elapsed() >= timeout || swarm.ctx.stopping() {
            let after = |why: String| format!("not running after {}s: {why}", timeout.as_secs());
            return Ok(not_running
                .into_iter()
                .map(|(n, w)| (n, after(w)))
                .collect());
        }
        std::thread::sleep(POLL);
    }
}

/// `fleet down` on a swarm: every running agent's service scaled to 0
/// (one batched `service scale`), busy ones spared unless `--force`.
pub(crate) fn down(ctx: &Context, config: &Config, opts: DownOptions) -> Result<OpsResult> {
    scale_all(&Swarm::new(ctx, config)?, 0, opts.force)
}

/// `fleet up` on a swarm: every service scaled to 0 back to 1; with
/// `wait`, until their tasks run.
pub(crate) fn up(ctx: &Context, config: &Config, wait: Option<Duration>) -> Result<OpsResult> {
    let swarm = Swarm::new(ctx, config)?;
    let mut r = scale_all(&swarm, 1, false)?;
    if let Some(timeout) = wait
        && !ctx.stopping()
        && !r.done.is_empty()
    {
        let late = wait_for(&swarm, &r.done, timeout)?;
        r.done.retain(|n| !late.contains_key(n));
        (r.failed).extend(
            late.into_iter()
                .map(|(name, reason)| Named { name, reason }),
        );
    }
    Ok(r)
}

/// Every service scaled to `replicas` under the swarm's lock (released on
/// every path; a panic is the run's error, said as a bug).
fn scale_all(swarm: &Swarm, replicas: u64, force: bool) -> Result<OpsResult> {
    let held = swarm.lock()?;
    let r = place::guarded(|| scale_locked(swarm, replicas, force));
    held.release(swarm.ctx);
    r
}

fn scale_locked(swarm: &Swarm, replicas: u64, force: bool) -> Result<OpsResult> {
    let ctx = swarm.ctx;
    let runner = swarm.runner()?;
    let look = swarm.look()?;
    let verb = if replicas == 0 { "stopped" } else { "started" };
    let mut r = OpsResult {
        verb,
        ..OpsResult::default()
    };
    let to_change: Vec<&look::Service> = (look.services.iter())
        .filter(|s| s.replicas.is_some_and(|n| n != replicas))
        .collect();
    r.already = (look.services.iter())
        .filter(|s| s.replicas == Some(replicas))
        .map(|s| s.name.clone())
        .collect();
    let reads = (replicas == 0 && !force && !to_change.is_empty()).then(|| swarm.read_hosts());
    let nodes = decide::hosts_of_nodes(reads.as_ref());
    let mut go: Vec<&str> = Vec::new();
    for s in to_change {
        if let Some(why) = (reads.as_ref()).and_then(|r| decide::busy_reason(&look, s, r, &nodes)) {
            r.skipped.push(Named {
                name: s.name.clone(),
                reason: format!("{why}, left running; --force scales it to 0 anyway"),
            });
            continue;
        }
        go.push(&s.name);
    }
    if !go.is_empty() && !ctx.stopping() {
        match run_ok(runner, &service::scale(&go, replicas as u32)) {
            Ok(_) => r.done = go.iter().map(|n| n.to_string()).collect(),
            Err(e) => {
                let why = docker_words(e);
                r.failed = (go.iter())
                    .map(|n| Named {
                        name: n.to_string(),
                        reason: why.clone(),
                    })
                    .collect();
            }
        }
    }
    Ok(r)
}
