//! The commands' work across hosts ([`crate::hosts`]): observe and plan
//! every host side by side, take the locks of the hosts a sync mutates (in
//! name order), converge them side by side, then finish moves (an
//! instance's old container, on the host it left, is removed only once the
//! instance runs on its new host), and merge it all into one plan or one
//! outcome in config order.
//!
//! The implicit host of a config without `hosts` goes through the same
//! steps without an engine lock or a second look: observe, plan, apply,
//! exactly the calls of a single-host fleet, and its errors end the
//! command as they always did.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::apply::{self, Done, Outcome};
use crate::commands::{Context, Event};
use crate::config::{Config, Desired, name_order, placed_on};
use crate::docker::Runner;
use crate::engine_lock::{self, EngineLock, LockEvent};
use crate::error::{Error, Result};
use crate::hosts::{self, Site, failure_text};
use crate::observe::{self, Actual};
use crate::ops::{self, OpsResult, StatusRow};
use crate::plan::{self, Action, Bucket, Op, Plan};
use crate::ready;

/// One host's observation and plan, or why there is none.
type Seen = Result<(Plan, Actual)>;

/// What each host holds, by host name (`None`: the implicit host).
type Looks = Vec<(Option<String>, Result<Actual>)>;

/// Where an action goes in the merged plan: removals after desired
/// containers, then by name (config order), then by host.
type Order = (bool, (String, u32, String), String);

/// Observes `site` and plans it against the whole fleet's `desired`.
fn observe_and_plan(
    site: &Site,
    runner: &dyn Runner,
    project: &str,
    desired: &[Desired],
    opts: plan::Options,
) -> Seen {
    let here: Vec<Desired> = (placed_on(desired, site.name()).into_iter())
        .cloned()
        .collect();
    let actual = observe::observe(runner, project, &here)?;
    let plan = plan::plan_on(project, site.name(), desired, &actual, opts)?;
    Ok((plan, actual))
}

/// [`observe_and_plan`] for every site at once. A site that could not be
/// opened keeps its error.
fn observe_all(
    sites: &[Site],
    project: &str,
    desired: &[Desired],
    opts: plan::Options,
) -> Vec<Seen> {
    let mut seen: Vec<Seen> = std::thread::scope(|s| {
        let running: Vec<_> = sites
            .iter()
            .map(|site| {
                s.spawn(move || match &site.runner {
                    Ok(r) => observe_and_plan(site, r.as_ref(), project, desired, opts),
                    Err(e) => Err(e.clone()),
                })
            })
            .collect();
        running.into_iter().map(join).collect()
    });
    same_engine(sites, &mut seen);
    seen
}

/// A thread's result; a panic becomes an error of that host only.
fn join<T>(t: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    t.join()
        .unwrap_or_else(|_| Err(Error::docker("fleet's thread for this host panicked")))
}

/// Two host names that reach one engine would see each container twice
/// and fight over it: both fail, naming a container both listed.
fn same_engine(sites: &[Site], seen: &mut [Seen]) {
    let mut clash: Vec<(usize, String)> = Vec::new();
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            let (Ok((_, a)), Ok((_, b))) = (&seen[i], &seen[j]) else {
                continue;
            };
            if let Some(c) = a
                .containers
                .iter()
                .find(|c| b.containers.iter().any(|d| d.id == c.id))
            {
                let (x, y) = (
                    sites[i].name().unwrap_or("?"),
                    sites[j].name().unwrap_or("?"),
                );
                let why = format!(
                    "hosts `{x}` and `{y}` reach the same engine (both list container `{}`, {}); nothing was changed on either",
                    c.name,
                    plan::short_id(&c.id)
                );
                clash.push((i, why.clone()));
                clash.push((j, why));
            }
        }
    }
    for (i, why) in clash {
        seen[i] = Err(Error::refused(why).with_help("give each engine one entry in `hosts`"));
    }
}

/// The failed actions of a host that could not be read: one per desired
/// container placed on it.
fn host_failed(desired: &[Desired], host: &str, e: &Error) -> Vec<Action> {
    let text = failure_text(host, e);
    placed_on(desired, Some(host))
        .into_iter()
        .map(|d| Action {
            name: d.name.clone(),
            type_name: Some(d.type_name.clone()),
            bucket: Bucket::Failed,
            rename: None,
            op: Op::Nothing,
            reason: text.clone(),
            matches: None,
            unready: None,
            host: Some(host.to_string()),
            moved_to: None,
        })
        .collect()
}

/// Orders the items of every host as one plan: desired containers in
/// config order, then removals by name; a host's own order is kept for
/// equal keys. `parts`: (items, how many of them are desired ones).
fn merged<T>(parts: Vec<(Vec<T>, usize)>, action: impl Fn(&T) -> &Action) -> Vec<T> {
    let mut keyed: Vec<(Order, T)> = Vec::new();
    for (items, desired) in parts {
        for (i, t) in items.into_iter().enumerate() {
            let a = action(&t);
            let (base, n, rest) = name_order(&a.name);
            let key = (
                i >= desired,
                (base.to_string(), n, rest.to_string()),
                a.host.clone().unwrap_or_default(),
            );
            keyed.push((key, t));
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, t)| t).collect()
}

/// `fleet plan` (and the plan under `status`): every host's plan, merged.
/// On the implicit host an error ends the command; a declared host that
/// fails has its containers failed.
pub fn plan(ctx: &Context, config: &Config, opts: plan::Options) -> Result<Plan> {
    Ok(plan_and_look(ctx, config, opts)?.0)
}

/// [`plan`], and what each host holds (for status rows).
fn plan_and_look(ctx: &Context, config: &Config, opts: plan::Options) -> Result<(Plan, Looks)> {
    let sites = hosts::sites(config, ctx.only_hosts, ctx.runner, ctx.connect)?;
    plan_sites(&sites, config, opts)
}

/// [`plan_and_look`] on sites already open.
fn plan_sites(sites: &[Site], config: &Config, opts: plan::Options) -> Result<(Plan, Looks)> {
    let desired = config.desired();
    let seen = observe_all(sites, &config.project, &desired, opts);
    let mut parts = Vec::new();
    let mut looks = Vec::new();
    for (site, s) in sites.iter().zip(seen) {
        let here = placed_on(&desired, site.name()).len();
        match (site.name(), s) {
            (_, Ok((p, a))) => {
                parts.push((p.actions, here));
                looks.push((site.name().map(str::to_string), Ok(a)));
            }
            (None, Err(e)) => return Err(e),
            (Some(h), Err(e)) => {
                parts.push((host_failed(&desired, h, &e), here));
                looks.push((Some(h.to_string()), Err(e)));
            }
        }
    }
    let plan = Plan {
        project: config.project.clone(),
        actions: merged(parts, |a| a),
    };
    Ok((plan, looks))
}

/// The host locks held by a run: (host, who and since), one read a
/// declared host side by side. A lock that cannot be read shows nothing
/// here (the host's rows say what is wrong with it).
pub type Locks = Vec<(String, String)>;

/// `fleet status` across hosts: one row a container (a host that could
/// not be read shows its containers as `unknown`), and the locks held.
pub fn status(ctx: &Context, config: &Config) -> Result<(Vec<StatusRow>, Locks)> {
    let opts = plan::Options {
        force: false,
        allow_empty: true,
    };
    let sites = hosts::sites(config, ctx.only_hosts, ctx.runner, ctx.connect)?;
    let (plan, looks) = plan_sites(&sites, config, opts)?;
    let locks = held_locks(&sites, &config.project);
    let mut rows = Vec::new();
    for (host, look) in looks {
        let mine = Plan {
            project: plan.project.clone(),
            actions: (plan.actions.iter())
                .filter(|a| a.host == host)
                .cloned()
                .collect(),
        };
        match look {
            Ok(actual) => rows.extend(ops::status_rows(&actual, &mine)),
            Err(_) => rows.extend(mine.actions.iter().map(ops::unknown_row)),
        }
    }
    let order: Vec<(&str, Option<&str>)> = (plan.actions.iter())
        .map(|a| (a.name.as_str(), a.host.as_deref()))
        .collect();
    rows.sort_by_key(|r| {
        order
            .iter()
            .position(|&(n, h)| n == r.name && h == r.host.as_deref())
    });
    Ok((rows, locks))
}

/// See [`Locks`]. Nothing to read on the implicit host.
fn held_locks(sites: &[Site], project: &str) -> Locks {
    let read = |site: &Site| -> Option<(String, String)> {
        let name = site.name()?.to_string();
        let runner = site.runner.as_ref().ok()?;
        let lock = engine_lock::read(runner.as_ref(), project).ok()??;
        Some((name, lock.describe()))
    };
    std::thread::scope(|s| {
        let reads: Vec<_> = sites.iter().map(|site| s.spawn(|| read(site))).collect();
        reads
            .into_iter()
            .filter_map(|t| t.join().ok().flatten())
            .collect()
    })
}

/// What one host's sync came to: its done actions (desired ones first,
/// `desired` of them), and the lock it holds until the end.
struct HostRun<'a> {
    done: Vec<Done>,
    desired: usize,
    lock: Option<EngineLock>,
    runner: Option<&'a dyn Runner>,
}

/// `fleet sync` across hosts (the caller holds the machine's lock): see
/// the module doc.
pub fn sync(
    ctx: &Context,
    config: &Config,
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<Outcome> {
    let desired = config.desired();
    let sites = hosts::sites(config, ctx.only_hosts, ctx.runner, ctx.connect)?;
    let seen = observe_all(&sites, &config.project, &desired, opts);
    // Only where the plan changes something; a host that could not be
    // read keeps its error from `seen`.
    let locks = take_locks(
        ctx,
        &config.project,
        &sites,
        |i| matches!(&seen[i], Ok((p, _)) if mutates(p)),
    );
    let runs: Vec<Result<HostRun>> = std::thread::scope(|s| {
        let work: Vec<_> = (sites.iter().zip(seen).zip(locks))
            .map(|((site, seen), lock)| {
                let desired = &desired;
                s.spawn(move || converge_host(ctx, config, site, seen, lock, desired, opts, wait))
            })
            .collect();
        work.into_iter().map(join).collect()
    });
    let mut runs = runs;
    finish_moves(ctx, &mut runs, wait);
    let mut parts = Vec::new();
    for (site, run) in sites.iter().zip(runs) {
        match (site.name(), run) {
            (_, Ok(mut r)) => {
                release(ctx, site, r.lock.take());
                parts.push((r.done, r.desired));
            }
            (None, Err(e)) => return Err(e),
            (Some(h), Err(e)) => {
                let failed = host_failed(&desired, h, &e);
                let n = failed.len();
                parts.push((failed.into_iter().map(failed_done).collect(), n));
            }
        }
    }
    Ok(Outcome {
        project: config.project.clone(),
        done: merged(parts, |d: &Done| &d.action),
        interrupted: hosts::stopping(ctx.stop),
    })
}

/// A failed action as its result.
fn failed_done(a: Action) -> Done {
    Done {
        error: Some(a.reason.clone()),
        now: None,
        action: a,
        took: Duration::ZERO,
    }
}

/// Whether applying `plan` would run a docker command that changes
/// something.
fn mutates(plan: &Plan) -> bool {
    plan.actions
        .iter()
        .any(|a| a.rename.is_some() || !matches!(a.op, Op::Nothing))
}

/// The engine locks of the declared sites `wanted` (by index), one host
/// after the other in name order (sites are in that order), so two runs
/// wanting the same hosts cannot deadlock; waits and takeovers are told
/// through the events. A site that cannot be reached gets its error.
fn take_locks(
    ctx: &Context,
    project: &str,
    sites: &[Site],
    wanted: impl Fn(usize) -> bool,
) -> Vec<Result<Option<EngineLock>>> {
    let opts = engine_lock::Options {
        lease: ctx.lock_lease,
        wait: ctx.lock_wait,
    };
    let me = engine_lock::Holder::this_process();
    let mut locks = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        locks.push(match (site.name(), &site.runner) {
            (_, Err(e)) => Err(e.clone()),
            (Some(host), Ok(r)) if wanted(i) => {
                let told = |e: LockEvent| (ctx.events)(Event::HostLock { host, event: &e });
                engine_lock::acquire(r.as_ref(), project, Some(host), &me, &opts, ctx.stop, &told)
                    .map(Some)
            }
            _ => Ok(None),
        });
    }
    locks
}

/// Releases `site`'s lock, if this run holds one; a release that fails is
/// told (the lock stays on the engine until taken over or unlocked).
fn release(ctx: &Context, site: &Site, lock: Option<EngineLock>) {
    if let (Some(lock), Ok(runner)) = (lock, &site.runner)
        && let Err(e) = lock.release(runner.as_ref())
    {
        (ctx.events)(Event::LockNotReleased {
            host: site.name().unwrap_or(""),
            error: &e,
        });
    }
}

/// One host's sync: with its lock, a fresh look (the first was taken
/// without it) and apply; without one (nothing to change, or the implicit
/// host) the first look's plan. Moves' removals wait for [`finish_moves`].
#[allow(clippy::too_many_arguments)]
fn converge_host<'a>(
    ctx: &Context,
    config: &Config,
    site: &'a Site<'a>,
    seen: Seen,
    lock: Result<Option<EngineLock>>,
    desired: &[Desired],
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<HostRun<'a>> {
    let runner: &dyn Runner = match &site.runner {
        Ok(r) => r.as_ref(),
        Err(e) => return Err(e.clone()),
    };
    let (first, _) = seen?;
    let lock = lock?;
    let plan = match &lock {
        None => first,
        // Under the lock, the host is read again: another run may have
        // changed it since the first look.
        Some(_) => match observe_and_plan(site, runner, &config.project, desired, opts) {
            Ok((p, _)) => p,
            Err(e) => {
                release(ctx, site, lock);
                return Err(e);
            }
        },
    };
    let here = placed_on(desired, site.name()).len();
    let (moving, now): (Vec<Action>, Vec<Action>) =
        (plan.actions.iter().cloned()).partition(|a| a.moved_to.is_some());
    let now = Plan {
        project: plan.project.clone(),
        actions: now,
    };
    let progress = |d: &Done| (ctx.events)(Event::Done(d));
    let roll_wait = wait.unwrap_or(ready::DEFAULT_WAIT);
    let mut outcome = match &lock {
        None => apply::apply_rolling(&now, runner, ctx.jobs, &progress, ctx.stop, roll_wait),
        Some(_) => within_lease(ctx, site.name().unwrap_or(""), |stop| {
            apply::apply_rolling(&now, runner, ctx.jobs, &progress, stop, roll_wait)
        }),
    };
    if let Some(timeout) = wait
        && !outcome.interrupted
    {
        wait_outcome(ctx, runner, &mut outcome, timeout);
    }
    let mut done = outcome.done;
    done.extend(moving.into_iter().map(|a| Done {
        action: a,
        error: None,
        now: None,
        took: Duration::ZERO,
    }));
    Ok(HostRun {
        done,
        desired: here,
        lock,
        runner: Some(runner),
    })
}

/// Runs `apply` with a stop flag that is also set when this run's lease on
/// the host's lock ends (`--lock-lease`, counted from before the lock was
/// taken, less a margin): past it another machine's run may take the lock
/// over, so no new work starts; what was not started says why.
fn within_lease(ctx: &Context, host: &str, apply: impl FnOnce(&AtomicBool) -> Outcome) -> Outcome {
    let deadline = Instant::now() + ctx.lock_lease.mul_f64(0.9);
    let stop = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let mut outcome = std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                if hosts::stopping(ctx.stop) || Instant::now() >= deadline {
                    stop.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let outcome = apply(&stop);
        finished.store(true, Ordering::Relaxed);
        outcome
    });
    if !hosts::stopping(ctx.stop) && stop.load(Ordering::Relaxed) {
        let why = format!(
            "was not started: this run's lock on host `{host}` reached the end of its lease (--lock-lease {}s), after which another run may take it; run sync again",
            ctx.lock_lease.as_secs_f64()
        );
        for d in &mut outcome.done {
            if let Some(e) = &mut d.error
                && let Some(head) = e.strip_suffix(apply::NOT_STARTED)
            {
                *e = format!("{head}{why}");
            }
        }
        outcome.interrupted = false;
    }
    outcome
}

/// `--wait`: what the run created, started, recreated or renamed, and
/// what it left running as it was (a crash loop looks "running" between
/// two restarts), must be ready; those that are not fail with why.
pub fn wait_outcome(ctx: &Context, runner: &dyn Runner, outcome: &mut Outcome, timeout: Duration) {
    let waited: Vec<usize> = (0..outcome.done.len())
        .filter(|&i| {
            let d = &outcome.done[i];
            d.error.is_none()
                && d.action.moved_to.is_none()
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
    for (i, e) in waited
        .into_iter()
        .zip(wait_for(ctx, runner, &names, timeout))
    {
        outcome.done[i].error = e;
    }
    outcome.interrupted = hosts::stopping(ctx.stop);
}

/// Waits for `names` to be ready ([`ready::wait`]), sending the count of
/// ready ones as it changes. Per name: `None` when ready, else why not.
pub fn wait_for(
    ctx: &Context,
    runner: &dyn Runner,
    names: &[String],
    timeout: Duration,
) -> Vec<Option<String>> {
    if names.is_empty() {
        return Vec::new();
    }
    let last = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let count = |ready: usize, total: usize| {
        if last.swap(ready, std::sync::atomic::Ordering::Relaxed) != ready {
            (ctx.events)(Event::Ready { ready, total });
        }
    };
    let w = ready::Waiting {
        timeout,
        stop: ctx.stop,
        count: &count,
    };
    ready::wait(runner, names, &w)
}

/// The removals of moved instances: each runs once its instance runs on
/// the host it moved to (that host's action for it succeeded, and the
/// container there passes the readiness check); otherwise it is deferred,
/// saying why, and the old container stays.
fn finish_moves(ctx: &Context, runs: &mut [Result<HostRun>], wait: Option<Duration>) {
    let timeout = wait.unwrap_or(ready::DEFAULT_WAIT);
    // (host index, done index, destination host, name)
    let mut moves: Vec<(usize, usize, String, String)> = Vec::new();
    for (h, run) in runs.iter().enumerate() {
        let Ok(run) = run else { continue };
        for (i, d) in run.done.iter().enumerate() {
            if let Some(to) = &d.action.moved_to {
                moves.push((h, i, to.clone(), d.action.name.clone()));
            }
        }
    }
    if moves.is_empty() {
        return;
    }
    let verdicts = ready_there(ctx, runs, &moves, timeout);
    // The removals that may go, by source host (run index → done indexes).
    let mut going: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for ((h, i, to, _), verdict) in moves.into_iter().zip(verdicts) {
        let Ok(run) = &mut runs[h] else { continue };
        let d = &mut run.done[i];
        match verdict {
            Ok(()) => going.entry(h).or_default().push(i),
            Err(why) => {
                d.action.bucket = Bucket::Deferred;
                d.action.op = Op::Nothing;
                d.action.reason = format!(
                    "instance placed on host `{to}` now, but it does not run there yet ({why}); kept here until it does"
                );
            }
        }
    }
    // One apply of them a host (its --jobs), the hosts side by side.
    let progress = |d: &Done| (ctx.events)(Event::Done(d));
    std::thread::scope(|s| {
        for (h, run) in runs.iter_mut().enumerate() {
            let (Ok(run), Some(mine)) = (run, going.remove(&h)) else {
                continue;
            };
            let Some(runner) = run.runner else { continue };
            let progress = &progress;
            s.spawn(move || {
                let plan = Plan {
                    project: String::new(),
                    actions: mine.iter().map(|&i| run.done[i].action.clone()).collect(),
                };
                let out = apply::apply(&plan, runner, ctx.jobs, progress, ctx.stop);
                for (i, done) in mine.into_iter().zip(out.done) {
                    run.done[i] = done;
                }
            });
        }
    });
}

/// For each move (host index, done index, destination, name): whether the
/// instance now runs on its destination ([`landed`], then the readiness
/// check: one batched wait per destination host, the hosts side by side).
fn ready_there(
    ctx: &Context,
    runs: &[Result<HostRun>],
    moves: &[(usize, usize, String, String)],
    timeout: Duration,
) -> Vec<std::result::Result<(), String>> {
    let mut verdicts: Vec<std::result::Result<(), String>> = Vec::new();
    // Destination run index → (move index, name) to wait for there.
    let mut waits: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    for (m, (_, _, to, name)) in moves.iter().enumerate() {
        verdicts.push(landed(runs, to, name).map(|there| {
            waits.entry(there).or_default().push((m, name.clone()));
        }));
    }
    let waited: Vec<(usize, Option<String>)> = std::thread::scope(|s| {
        let checks: Vec<_> = (waits.into_iter())
            .map(|(there, members)| {
                s.spawn(move || {
                    let names: Vec<String> = members.iter().map(|(_, n)| n.clone()).collect();
                    let why = match runs[there].as_ref().ok().and_then(|r| r.runner) {
                        Some(runner) => wait_for(ctx, runner, &names, timeout),
                        None => vec![Some("no runner".into()); names.len()],
                    };
                    members
                        .into_iter()
                        .map(|(m, _)| m)
                        .zip(why)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        (checks.into_iter())
            .flat_map(|t| t.join().unwrap_or_default())
            .collect()
    });
    for (m, why) in waited {
        if let Some(why) = why {
            verdicts[m] = Err(first_line(&why).to_string());
        }
    }
    verdicts
}

/// Whether the action for `name` on host `to` succeeded in this run: the
/// index of that host's run, or why not.
fn landed(runs: &[Result<HostRun>], to: &str, name: &str) -> std::result::Result<usize, String> {
    let there = (runs.iter().enumerate())
        .filter_map(|(i, r)| Some((i, r.as_ref().ok()?)))
        .find_map(|(i, r)| {
            (r.done.iter())
                .find(|d| d.action.name == name && d.action.host.as_deref() == Some(to))
                .map(|d| (i, d))
        });
    let Some((i, d)) = there else {
        return Err(format!(
            "host `{to}` is not part of this run (--host) or could not be read"
        ));
    };
    if let Some(e) = &d.error {
        return Err(format!("`{name}` failed there: {}", first_line(e)));
    }
    if !matches!(
        d.action.bucket,
        Bucket::Created | Bucket::Started | Bucket::Recreated | Bucket::Unchanged | Bucket::Renamed
    ) {
        return Err(format!("`{name}` is {} there", d.action.bucket.as_str()));
    }
    Ok(i)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// `up` or `down` across hosts: `act` on each host side by side, each
/// declared host under its engine lock (taken in name order first); names
/// of declared hosts shown as `name@host`; a host that fails has its
/// containers failed.
pub fn ops(
    ctx: &Context,
    config: &Config,
    verb: &'static str,
    act: &(dyn Fn(&dyn Runner) -> Result<OpsResult> + Sync),
) -> Result<OpsResult> {
    let desired = config.desired();
    let sites = hosts::sites(config, ctx.only_hosts, ctx.runner, ctx.connect)?;
    let locks = take_locks(ctx, &config.project, &sites, |_| true);
    let results: Vec<Result<OpsResult>> = std::thread::scope(|s| {
        let work: Vec<_> = (sites.iter().zip(locks.iter()))
            .map(|(site, lock)| {
                s.spawn(move || {
                    if let Err(e) = lock {
                        return Err(e.clone());
                    }
                    match &site.runner {
                        Ok(r) => act(r.as_ref()),
                        Err(e) => Err(e.clone()),
                    }
                })
            })
            .collect();
        work.into_iter().map(join).collect()
    });
    let mut all = OpsResult {
        verb,
        ..OpsResult::default()
    };
    for ((site, lock), result) in sites.iter().zip(locks).zip(results) {
        release(ctx, site, lock.ok().flatten());
        match (site.name(), result) {
            (None, r) => return r,
            (Some(h), Ok(r)) => all.absorb(r, h),
            (Some(h), Err(e)) => {
                for a in host_failed(&desired, h, &e) {
                    all.failed.push(ops::Named {
                        name: crate::config::name_at(&a.name, Some(h)),
                        reason: a.reason,
                    });
                }
            }
        }
    }
    Ok(all)
}
