//! The commands' work across places ([`crate::place`]): every place looked
//! at (observed and planned) side by side, then each converged on its own
//! thread under its own engine lock, then moves finished (an instance's old
//! container, on the host it left, removed only once the instance runs on
//! its new host), all merged into one plan or one outcome in config order.
//!
//! The lock protocol: a thread holds at most one engine lock and never
//! waits for another while it holds one (a place's lock is taken, its work
//! done and the lock released by that place's thread; a move's removal
//! takes its source's lock again once the destination is confirmed). No
//! wait-for cycle can form between two runs, whatever their configs call
//! the engines. Every change under a lock starts before that lock's lease
//! ends, counted from the moment it was taken ([`crate::place::Held`]).
//!
//! The implicit host of a config without `hosts` goes through the same
//! steps without an engine lock or a second look: observe, plan, apply,
//! exactly the calls of a single-host fleet, and its errors end the
//! command as they always did ([`Place::settle`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::apply::{self, Done, Failure, Halt, Outcome};
use crate::config::{Config, Desired, name_order, placed_on};
use crate::context::{Context, Event};
use crate::docker::Runner;
use crate::engine_lock;
use crate::error::{Error, Result, Unreached};
use crate::observe::{self, Actual};
use crate::ops::{self, OpsResult, PoolFigures, StatusRow};
use crate::place::{self, Held, Place, Places};
use crate::plan::{self, Action, Bucket, Op, Plan};
use crate::ready;

/// What a command works from, besides each place: the context, the
/// config, its desired containers and the plan's knobs.
struct Run<'a> {
    ctx: &'a Context<'a>,
    config: &'a Config,
    desired: Vec<Desired>,
    opts: plan::Options,
}

/// One place's observation and its plan against the whole fleet.
struct Look {
    plan: Plan,
    actual: Actual,
}

impl<'a> Run<'a> {
    fn new(ctx: &'a Context<'a>, config: &'a Config, opts: plan::Options) -> Run<'a> {
        Run {
            ctx,
            config,
            desired: config.desired(),
            opts,
        }
    }
}

impl Run<'_> {
    /// How many of the desired containers `place` holds.
    fn here(&self, place: &Place) -> usize {
        placed_on(&self.desired, place.name()).len()
    }

    /// Observes `place` and plans it against the whole fleet.
    fn look(&self, place: &Place) -> Result<Look> {
        let runner = place.runner()?;
        let here: Vec<Desired> = (placed_on(&self.desired, place.name()).into_iter())
            .cloned()
            .collect();
        let project = &self.config.project;
        let actual = observe::observe(runner, project, &here)?;
        let plan = plan::plan_on(project, place.name(), &self.desired, &actual, self.opts)?;
        Ok(Look { plan, actual })
    }

    /// [`Run::look`] at every place at once (each opens its own
    /// connection, within its own deadline); then two names for one engine
    /// are refused.
    fn look_all<'p, 'a>(&self, places: &'p [Place<'a>]) -> Vec<(&'p Place<'a>, Result<Look>)> {
        let looks = place::each(places.iter(), |p| self.look(p));
        let mut seen: Vec<_> = places.iter().zip(looks).collect();
        same_engine(&mut seen);
        seen
    }

    /// The failed actions of a place that failed as a whole: one per
    /// desired container placed on it (the place's error is told once, in
    /// the outcome's `unreached`).
    fn unreached_actions(&self, host: &str) -> Vec<Action> {
        placed_on(&self.desired, Some(host))
            .into_iter()
            .map(|d| Action {
                name: d.name.clone(),
                type_name: Some(d.type_name.clone()),
                bucket: Bucket::Failed,
                rename: None,
                op: Op::Nothing,
                reason: format!("host `{host}` could not be reached or read"),
                matches: None,
                unready: None,
                host: Some(host.to_string()),
                moved_to: None,
            })
            .collect()
    }
}

/// Two host names that reach one engine would see each container twice
/// and fight over it: both fail, naming a container both listed.
fn same_engine(seen: &mut [(&Place, Result<Look>)]) {
    let mut clash: Vec<(usize, String)> = Vec::new();
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            let ((p, Ok(a)), (q, Ok(b))) = (&seen[i], &seen[j]) else {
                continue;
            };
            let Some(c) = (a.actual.containers.iter())
                .find(|c| b.actual.containers.iter().any(|d| d.id == c.id))
            else {
                continue;
            };
            let why = format!(
                "hosts `{}` and `{}` reach the same engine (both list container `{}`, {}); nothing was changed on either",
                p.name().unwrap_or_default(),
                q.name().unwrap_or_default(),
                c.name,
                crate::docker::short_id(&c.id)
            );
            clash.push((i, why.clone()));
            clash.push((j, why));
        }
    }
    for (i, why) in clash {
        seen[i].1 = Err(Error::refused(why).with_help("give each engine one entry in `hosts`"));
    }
}

/// Where an item goes in the merged plan: removals after desired
/// containers, then by name (config order), then by host.
type Order = (bool, (String, u32, String), String);

/// Orders the items of every place as one plan: desired containers in
/// config order, then removals by name; a place's own order is kept for
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

/// A merged plan, and the declared hosts that failed as a whole.
#[derive(Debug)]
pub(crate) struct Planned {
    pub plan: Plan,
    pub unreached: Vec<Unreached>,
}

/// `fleet plan` (and the plan under `status`): every place's plan, merged.
/// On the implicit host an error ends the command; a declared host that
/// fails is named in `unreached`, its containers failed.
pub fn plan(ctx: &Context, config: &Config, opts: plan::Options) -> Result<Planned> {
    let run = Run::new(ctx, config, opts);
    let places = place::places(config, ctx)?;
    Ok(plan_places(&run, &places)?.0)
}

/// Each place's status rows (or the unknown rows of one that failed).
type Rows = Vec<Vec<StatusRow>>;

/// [`plan`] on places already made, with each place's status rows.
fn plan_places(run: &Run, places: &Places) -> Result<(Planned, Rows)> {
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    let mut unreached = Vec::new();
    for (place, look) in run.look_all(places) {
        let here = run.here(place);
        match look {
            Ok(look) => {
                let mut mine = ops::status_rows(&look.actual, &look.plan);
                // A place's plan holds its desired agents first.
                for r in mine.iter_mut().take(here) {
                    r.member = true;
                }
                rows.push(mine);
                parts.push((look.plan.actions, here));
            }
            Err(e) => {
                let u = place.settle(e)?;
                let failed = run.unreached_actions(&u.host);
                rows.push(failed.iter().map(ops::unknown_row).collect());
                parts.push((failed, here));
                unreached.push(u);
            }
        }
    }
    let mut plan = Plan {
        project: run.config.project.clone(),
        actions: merged(parts, |a| a),
    };
    judge_moves(&mut plan.actions);
    for row in rows.iter_mut().flatten() {
        let a = (plan.actions.iter()).find(|a| a.name == row.name && a.host == row.host);
        if let Some(a) = a.filter(|a| a.moved_to.is_some()) {
            row.action = a.bucket;
            row.reason = a.reason.clone();
        }
    }
    Ok((Planned { plan, unreached }, rows))
}

/// A move's removal as a plan can tell it: removed only when its instance
/// can run on its new host (that host was read and its action for the
/// instance neither failed nor was deferred, and it is not unready);
/// otherwise deferred, as sync would, saying why.
fn judge_moves(actions: &mut [Action]) {
    let verdicts: Vec<Option<String>> = (actions.iter())
        .map(|a| {
            let to = a.moved_to.as_deref()?;
            let there =
                (actions.iter()).find(|b| b.name == a.name && b.host.as_deref() == Some(to));
            match there {
                None => Some(format!("host `{to}` is not part of this run (--host)")),
                Some(b) if b.bucket == Bucket::Failed => {
                    Some(format!("`{}` cannot be made there", a.name))
                }
                Some(b) if b.bucket == Bucket::Deferred => {
                    Some(format!("`{}` is deferred there", a.name))
                }
                Some(b) => b
                    .unready
                    .as_ref()
                    .map(|w| format!("`{}` is {w} there", a.name)),
            }
        })
        .collect();
    for (a, why) in actions.iter_mut().zip(verdicts) {
        if let (Some(why), Some(to)) = (why, a.moved_to.clone()) {
            a.bucket = Bucket::Deferred;
            a.op = Op::Nothing;
            a.reason = format!(
                "instance placed on host `{to}` now, but it cannot run there yet ({why}); kept here until it does"
            );
        }
    }
}

/// What `fleet status` shows: one row a container, in plan order, the
/// locks held on the hosts, and the hosts that could not be read.
#[derive(Debug)]
pub struct Status {
    pub project: String,
    pub rows: Vec<StatusRow>,
    /// Each type's pool on each host, from the rows.
    pub pools: Vec<PoolFigures>,
    /// Each place of the run (`None`: the implicit host) and whether it
    /// was read.
    pub places: Vec<(Option<String>, bool)>,
    /// (host, who holds its lock and since when).
    pub locks: Vec<(String, String)>,
    pub unreached: Vec<Unreached>,
}

/// `fleet status` across places.
pub fn status(ctx: &Context, config: &Config) -> Result<Status> {
    let opts = plan::Options {
        force: false,
        allow_empty: true,
    };
    let run = Run::new(ctx, config, opts);
    let places = place::places(config, ctx)?;
    let (planned, rows) = plan_places(&run, &places)?;
    let locks = held_locks(&places, &config.project);
    let mut rows: Vec<StatusRow> = rows.into_iter().flatten().collect();
    let order: Vec<(&str, Option<&str>)> = (planned.plan.actions.iter())
        .map(|a| (a.name.as_str(), a.host.as_deref()))
        .collect();
    rows.sort_by_key(|r| {
        order
            .iter()
            .position(|&(n, h)| n == r.name && h == r.host.as_deref())
    });
    let unread = |h: &str| planned.unreached.iter().any(|u| u.host == h);
    let read = (places.iter())
        .map(|p| (p.name().map(String::from), !p.name().is_some_and(unread)))
        .collect();
    Ok(Status {
        project: config.project.clone(),
        pools: ops::pools(&rows),
        rows,
        places: read,
        locks,
        unreached: planned.unreached,
    })
}

/// The locks held on declared hosts, one read each, side by side. A lock
/// that cannot be read shows nothing here (the host's rows say what is
/// wrong with it).
fn held_locks(places: &Places, project: &str) -> Vec<(String, String)> {
    let read = |p: &Place| -> Result<Option<(String, String)>> {
        let Some(name) = p.name() else {
            return Ok(None);
        };
        let lock = engine_lock::read(p.runner()?, project)?;
        Ok(lock.map(|l| (name.to_string(), l.describe())))
    };
    (place::each(places.iter(), read).into_iter())
        .filter_map(|r| r.ok().flatten())
        .collect()
}

/// What one place's sync came to: its done actions (desired ones first,
/// `desired` of them).
struct PlaceRun {
    done: Vec<Done>,
    desired: usize,
}

/// `fleet sync` across places (the caller holds the machine's lock): see
/// the module doc.
pub fn sync(
    ctx: &Context,
    config: &Config,
    opts: plan::Options,
    wait: Option<Duration>,
) -> Result<Outcome> {
    let run = Run::new(ctx, config, opts);
    let places = place::places(config, ctx)?;
    let looks = run.look_all(&places);
    let results = place::each(looks, |(p, look)| converge_place(&run, p, look?, wait));
    let mut runs: Vec<(&Place, Result<PlaceRun>)> = places.iter().zip(results).collect();
    finish_moves(&run, &mut runs, wait);
    let mut parts = Vec::new();
    let mut unreached = Vec::new();
    for (place, r) in runs {
        match r {
            Ok(r) => parts.push((r.done, r.desired)),
            Err(e) => {
                let u = place.settle(e)?;
                let failed: Vec<Done> = (run.unreached_actions(&u.host).into_iter())
                    .map(|a| Done {
                        action: a,
                        error: Some(Failure::Unreached),
                        now: None,
                        took: Duration::ZERO,
                    })
                    .collect();
                let n = failed.len();
                parts.push((failed, n));
                unreached.push(u);
            }
        }
    }
    Ok(Outcome {
        project: config.project.clone(),
        done: merged(parts, |d: &Done| &d.action),
        interrupted: ctx.stopping(),
        unreached,
    })
}

/// Whether applying `plan` would run a docker command that changes
/// something.
/// Moves' removals are not counted: they run later, under a lock of
/// their own ([`finish_moves`]).
fn mutates(plan: &Plan) -> bool {
    (plan.actions.iter())
        .filter(|a| a.moved_to.is_none())
        .any(|a| a.rename.is_some() || !matches!(a.op, Op::Nothing))
}

/// One place's sync, on its own thread: with something to change on a
/// declared host, its lock, a fresh look under it (the first was taken
/// without it), apply within the lease, `--wait`, release; otherwise the
/// first look's plan. Moves' removals wait for [`finish_moves`].
fn converge_place(
    run: &Run,
    place: &Place,
    first: Look,
    wait: Option<Duration>,
) -> Result<PlaceRun> {
    let ctx = run.ctx;
    let runner = place.runner()?;
    let held = match mutates(&first.plan) {
        true => place.lock(ctx, &run.config.project)?,
        false => None,
    };
    let (plan, lapsed) = match &held {
        None => (first.plan, first.actual.lapsed_claims),
        Some(_) => {
            let again = run.look(place)?;
            (again.plan, again.actual.lapsed_claims)
        }
    };
    let (moving, now): (Vec<Action>, Vec<Action>) =
        (plan.actions.into_iter()).partition(|a| a.moved_to.is_some());
    let now = Plan {
        project: plan.project,
        actions: now,
    };
    let roll_wait = wait.unwrap_or(ready::DEFAULT_WAIT);
    let mut outcome = within_lease(ctx, held.as_ref(), |stop| {
        let progress = |d: &Done| (ctx.events)(Event::Done(d));
        let pace = apply::Pace {
            jobs: ctx.jobs,
            progress: &progress,
            stop,
            roll_wait,
        };
        apply::apply_rolling(&now, runner, &pace)
    });
    if let Some(timeout) = wait
        && !outcome.interrupted
    {
        wait_outcome(ctx, runner, &mut outcome, timeout);
    }
    if !ctx.stopping() {
        clear_lapsed_claims(ctx, place, runner, &lapsed);
    }
    if let Some(held) = held {
        held.release(ctx);
    }
    let mut done = outcome.done;
    done.extend(moving.into_iter().map(|a| Done {
        action: a,
        error: None,
        now: None,
        took: Duration::ZERO,
    }));
    Ok(PlaceRun {
        done,
        desired: run.here(place),
    })
}

/// Removes the `fleet exec` claims of this place whose holder is gone (by
/// ID: one taken again meanwhile is another container), saying so; a
/// claim that cannot be removed is a warning, never the run's failure.
/// Without this, a lapsed claim on an agent nobody dispatches to again (a
/// pool scaled down) would stay forever.
fn clear_lapsed_claims(
    ctx: &Context,
    place: &Place,
    runner: &dyn Runner,
    lapsed: &[crate::observe::LapsedClaim],
) {
    for claim in lapsed {
        let shown = place.name_at(&claim.agent);
        let said = match crate::engine_lock::remove(runner, &claim.id) {
            Ok(true) => {
                format!("fleet: removed `{shown}`'s lapsed `fleet exec` claim (its holder is gone)")
            }
            Ok(false) => continue,
            Err(e) => format!(
                "warning: could not remove `{shown}`'s lapsed `fleet exec` claim: {}",
                crate::error::Error::from(e).message()
            ),
        };
        (ctx.events)(Event::Note(said));
    }
}

/// Runs `apply` with a stop flag that is also set when `held`'s lease
/// ends (past it another machine's run may take the lock over), so no new
/// work starts after it; what was not started says why
/// ([`Halt::Lease`]). Without a lock, the run's own stop flag.
fn within_lease(
    ctx: &Context,
    held: Option<&Held>,
    apply: impl FnOnce(&AtomicBool) -> Outcome,
) -> Outcome {
    let Some(held) = held else {
        return apply(ctx.stop);
    };
    let deadline = held.deadline();
    let stop = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let mut outcome = std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                if ctx.stopping() || Instant::now() >= deadline {
                    stop.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        // The watcher ends on every path out of here, a panic included
        // (the scope would otherwise wait for it forever).
        let _done = SetOnDrop(&finished);
        // Also checked here, so a lease that ended before apply began
        // starts nothing even if the watcher has not looked yet.
        if Instant::now() >= deadline {
            stop.store(true, Ordering::Relaxed);
        }
        apply(&stop)
    });
    if !ctx.stopping() && stop.load(Ordering::Relaxed) {
        for d in &mut outcome.done {
            if let Some(Failure::NotStarted(halt)) = &mut d.error {
                *halt = Halt::Lease {
                    host: held.host().to_string(),
                    lease: ctx.lock_lease,
                };
            }
        }
        outcome.interrupted = false;
    }
    outcome
}

/// Sets its flag when dropped.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `--wait`: what the run created, started, recreated or renamed, and
/// what it left running as it was (a crash loop looks "running" between
/// two restarts), must be ready; those that are not fail with why.
pub(crate) fn wait_outcome(
    ctx: &Context,
    runner: &dyn Runner,
    outcome: &mut Outcome,
    timeout: Duration,
) {
    let waited: Vec<usize> = (0..outcome.done.len())
        .filter(|&i| {
            let d = &outcome.done[i];
            d.error.is_none() && d.action.moved_to.is_none() && runs_after(d.action.bucket)
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
        outcome.done[i].error = e.map(Failure::NotReady);
    }
    outcome.interrupted = ctx.stopping();
}

/// Whether an action of this bucket leaves its container running.
fn runs_after(b: Bucket) -> bool {
    matches!(
        b,
        Bucket::Created | Bucket::Started | Bucket::Recreated | Bucket::Unchanged | Bucket::Renamed
    )
}

/// Waits for `names` to be ready ([`ready::wait`]), sending the count of
/// ready ones as it changes. Per name: `None` when ready, else why not.
pub fn wait_for(
    ctx: &Context,
    runner: &dyn Runner,
    names: &[String],
    timeout: Duration,
) -> Vec<Option<ready::NotReady>> {
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
    ready::wait(runner, names, &w)
}

/// A removal of an instance's old container from the host it left:
/// where it is in the runs, and where the instance runs now.
struct Move {
    /// The source place's run, and the removal's index in its `done`.
    from: usize,
    at: usize,
    /// The host the instance is placed on now.
    to: String,
    name: String,
}

/// The removals of moved instances: each runs once its instance runs on
/// the host it moved to (that host's action for it succeeded, and the
/// container there passes the readiness check); otherwise it is deferred,
/// saying why, and the old container stays. Each source host's removals
/// run under its lock, taken again for them (no other lock held), within
/// that lock's lease, after a fresh look.
fn finish_moves(run: &Run, runs: &mut [(&Place, Result<PlaceRun>)], wait: Option<Duration>) {
    let mut moves: Vec<Move> = Vec::new();
    for (from, (_, r)) in runs.iter().enumerate() {
        let Ok(r) = r else { continue };
        for (at, d) in r.done.iter().enumerate() {
            if let Some(to) = &d.action.moved_to {
                let name = d.action.name.clone();
                moves.push(Move {
                    from,
                    at,
                    to: to.clone(),
                    name,
                });
            }
        }
    }
    if moves.is_empty() {
        return;
    }
    let verdicts = ready_there(run, runs, &moves, wait.unwrap_or(ready::DEFAULT_WAIT));
    // The removals that may go, by source run.
    let mut going: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (m, verdict) in moves.iter().zip(verdicts) {
        let Ok(r) = &mut runs[m.from].1 else { continue };
        match verdict {
            Ok(()) => going.entry(m.from).or_default().push(m.at),
            Err(why) => defer_move(&mut r.done[m.at], &m.to, &why),
        }
    }
    let work: Vec<_> = (runs.iter_mut().enumerate())
        .filter_map(|(i, (p, r))| Some((*p, r.as_mut().ok()?, going.remove(&i)?)))
        .collect();
    place::each(work, |(p, r, mine)| {
        remove_moved(run, p, r, &mine);
        Ok(())
    });
}

/// The old container of a move stays: why, in its action.
fn defer_move(d: &mut Done, to: &str, why: &str) {
    d.action.bucket = Bucket::Deferred;
    d.action.op = Op::Nothing;
    d.action.reason = format!(
        "instance placed on host `{to}` now, but it does not run there yet ({why}); kept here until it does"
    );
}

/// One source place's confirmed removals (`mine`: indexes into its
/// `done`): under its lock, a fresh look decides what is still to remove.
fn remove_moved(run: &Run, place: &Place, r: &mut PlaceRun, mine: &[usize]) {
    let ctx = run.ctx;
    let taken = place.lock(ctx, &run.config.project).and_then(|held| {
        let look = run.look(place)?;
        Ok((held, look))
    });
    let (held, look) = match taken {
        Ok(x) => x,
        Err(e) => {
            for &i in mine {
                let to = r.done[i].action.moved_to.clone().unwrap_or_default();
                defer_move(
                    &mut r.done[i],
                    &to,
                    &format!("its removal here could not start: {}", e.message()),
                );
            }
            return;
        }
    };
    // The same removals as the fresh look plans them (by name); one that
    // is gone meanwhile is left as first planned, with nothing to do.
    let mut fresh: Vec<(usize, Action)> = Vec::new();
    for &i in mine {
        let d = &r.done[i];
        match (look.plan.actions.iter())
            .find(|a| a.name == d.action.name && a.moved_to == d.action.moved_to)
        {
            Some(a) => fresh.push((i, a.clone())),
            None => r.done[i].action.op = Op::Nothing,
        }
    }
    let plan = Plan {
        project: run.config.project.clone(),
        actions: fresh.iter().map(|(_, a)| a.clone()).collect(),
    };
    let runner = match place.runner() {
        Ok(runner) => runner,
        Err(_) => return,
    };
    let out = within_lease(ctx, held.as_ref(), |stop| {
        let progress = |d: &Done| (ctx.events)(Event::Done(d));
        apply::apply(&plan, runner, ctx.jobs, &progress, stop)
    });
    if let Some(held) = held {
        held.release(ctx);
    }
    for ((i, _), done) in fresh.into_iter().zip(out.done) {
        r.done[i] = done;
    }
}

/// For each move: whether the instance now runs on its destination
/// ([`landed`], then the readiness check: one batched wait per
/// destination place, the places side by side). A check that failed or
/// panicked is a "no": the old container stays.
fn ready_there(
    run: &Run,
    runs: &[(&Place, Result<PlaceRun>)],
    moves: &[Move],
    timeout: Duration,
) -> Vec<std::result::Result<(), String>> {
    let mut verdicts: Vec<std::result::Result<(), String>> = Vec::new();
    // Destination run index → (move index, name) to wait for there.
    let mut waits: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    for (m, mv) in moves.iter().enumerate() {
        verdicts.push(landed(runs, &mv.to, &mv.name).map(|there| {
            waits.entry(there).or_default().push((m, mv.name.clone()));
        }));
    }
    let waits: Vec<(usize, Vec<(usize, String)>)> = waits.into_iter().collect();
    let checked = place::each(waits.iter(), |(there, members)| {
        let names: Vec<String> = members.iter().map(|(_, n)| n.clone()).collect();
        let runner = runs[*there].0.runner()?;
        Ok(wait_for(run.ctx, runner, &names, timeout))
    });
    for ((_, members), result) in waits.iter().zip(checked) {
        for (k, (m, _)) in members.iter().enumerate() {
            let why = match &result {
                Ok(whys) => whys.get(k).cloned().flatten().map(|w| w.to_string()),
                Err(e) => Some(format!("its readiness check failed: {}", e.message())),
            };
            if let Some(why) = why {
                verdicts[*m] = Err(first_line(&why).to_string());
            }
        }
    }
    verdicts
}

/// Whether the action for `name` on host `to` succeeded in this run: the
/// index of that host's run, or why not.
fn landed(
    runs: &[(&Place, Result<PlaceRun>)],
    to: &str,
    name: &str,
) -> std::result::Result<usize, String> {
    let there = (runs.iter().enumerate())
        .filter(|(_, (p, _))| p.name() == Some(to))
        .find_map(|(i, (_, r))| {
            let r = r.as_ref().ok()?;
            (r.done.iter())
                .find(|d| d.action.name == name)
                .map(|d| (i, d))
        });
    let Some((i, d)) = there else {
        return Err(format!(
            "host `{to}` is not part of this run (--host) or could not be read"
        ));
    };
    if let Some(e) = &d.error {
        return Err(format!(
            "`{name}` failed there: {}",
            first_line(&e.to_string())
        ));
    }
    if !runs_after(d.action.bucket) {
        return Err(format!("`{name}` is {} there", d.action.bucket.as_str()));
    }
    Ok(i)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// `up` or `down` across places: `act` on each place side by side, each
/// declared host under its engine lock; names of declared hosts shown as
/// `name@host`; a host that fails has its containers failed.
pub fn ops(
    ctx: &Context,
    config: &Config,
    verb: &'static str,
    act: &(dyn Fn(&dyn Runner) -> Result<OpsResult> + Sync),
) -> Result<OpsResult> {
    let run = Run::new(ctx, config, plan::Options::default());
    let places = place::places(config, ctx)?;
    let results = place::each(places.iter(), |p| {
        let runner = p.runner()?;
        let held = p.lock(ctx, &config.project)?;
        let r = act(runner);
        if let Some(held) = held {
            held.release(ctx);
        }
        r
    });
    let mut all = OpsResult {
        verb,
        ..OpsResult::default()
    };
    for (p, result) in places.iter().zip(results) {
        match (p.name(), result) {
            (None, r) => return r,
            (Some(h), Ok(r)) => all.absorb(r, h),
            (Some(_), Err(e)) => {
                let u = p.settle(e)?;
                for a in run.unreached_actions(&u.host) {
                    all.failed.push(ops::Named {
                        name: p.name_at(&a.name),
                        reason: format!("host `{}` failed (see above)", u.host),
                    });
                }
                all.unreached.push(u);
            }
        }
    }
    Ok(all)
}
