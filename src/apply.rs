//! The only module that mutates. Carries out a [`Plan`] through the
//! [`Runner`], up to `jobs` containers at a time; one failure never stops the
//! others. The steps of one recreate stay in order. Results come back in
//! plan order whatever order the work finished in, then one batched
//! `docker inspect` confirms that what was started or created is running.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::config::Desired;
use crate::docker::argv::{self, temp_name};
use crate::docker::short_id;
use crate::docker::{Cmd, DockerError, Patient, Runner, run_ok};
use crate::observe::inspect_containers;
use crate::plan::{Action, Bucket, Op, Plan, Rename};
use crate::ready::{Fault, Verdict, Watch, last_lines};

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub action: Action,
    /// `Some` when it failed, and how.
    pub error: Option<Failure>,
    /// After a failure: what the engine shows now for its containers, read
    /// again after the failed call (which may have been cut off part-way).
    pub now: Option<String>,
    /// How long its docker calls took (for progress output, never asserted).
    pub took: Duration,
}

impl Done {
    /// The bucket it finally lands in.
    pub fn bucket(&self) -> Bucket {
        if self.error.is_some() {
            Bucket::Failed
        } else {
            self.action.bucket
        }
    }
}

/// How an action failed. A type, not a sentence: `report` words it, and
/// decisions (was it started? is it its host's failure?) match on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A docker call failed, or what it made does not run: apply's
    /// sentence from docker's own words (a help after `\nhelp: `).
    Docker(String),
    /// Never started: the run stopped first.
    NotStarted(Halt),
    /// Planned: the name is held by a container fleet may not touch (the
    /// action's reason says which).
    Conflict,
    /// It did not become ready (`--wait`): why, with its last log lines.
    NotReady(crate::ready::NotReady),
    /// Its host could not be reached, read or converged; the host's error
    /// is in the outcome's `unreached`, told once.
    Unreached,
    /// On a swarm: Swarm does not run the agent, or refused or rolled back
    /// what fleet asked; in Swarm's words.
    Swarm(String),
}

/// Why a run stopped starting new work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// SIGINT or SIGTERM.
    Signal,
    /// This run's lock on `host` reached the end of its lease
    /// (`--lock-lease`), after which another run may take it.
    Lease { host: String, lease: Duration },
}

/// The result of a sync: one [`Done`] per planned action, in plan order.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub project: String,
    pub done: Vec<Done>,
    /// Declared hosts that failed as a whole (nothing planned for them),
    /// each told once; their containers' entries say [`Failure::Unreached`].
    pub unreached: Vec<crate::error::Unreached>,
    /// The run was asked to stop (SIGINT, SIGTERM) before it finished:
    /// actions it had not started are failed with a word saying so.
    pub interrupted: bool,
}

impl Outcome {
    /// Wraps a plan without applying it (for `fleet plan`).
    pub(crate) fn planned(plan: &Plan) -> Outcome {
        Outcome {
            project: plan.project.clone(),
            done: plan
                .actions
                .iter()
                .map(|a| Done {
                    error: a.planned_failure().map(|why| match a.op {
                        Op::Service(_) => Failure::Swarm(why),
                        _ => Failure::Conflict,
                    }),
                    now: None,
                    action: a.clone(),
                    took: Duration::ZERO,
                })
                .collect(),
            interrupted: false,
            unreached: Vec::new(),
        }
    }

    pub fn failed(&self) -> bool {
        !self.unreached.is_empty() || self.done.iter().any(|d| d.error.is_some())
    }
}

/// One action's result: the ID of a container that should now be running
/// (confirmed by the batched inspect at the end), or a full error sentence.
type Step = Result<Option<String>, String>;

/// Why a never-run container was recreated instead of started (its start
/// error), if it was.
type Rebuilt = Option<String>;

/// Called as each action finishes (progress output); may be a no-op.
pub(crate) type Progress<'a> = &'a (dyn Fn(&Done) + Sync);

/// What one action came to.
#[derive(Clone)]
struct Res {
    step: Result<Option<String>, Failure>,
    took: Duration,
    rebuilt: Rebuilt,
}

/// A unit of work for one worker, typed by what it does: one action's own
/// docker calls, a rename back, or a batch of starts or unpauses that one
/// docker process carries out. Built from the plan's [`Op`]s in one place
/// ([`phases`]), so each executor takes only what it can carry out.
enum Unit<'a> {
    One(usize, Single<'a>),
    Rename(usize, &'a Rename),
    Batch(BatchVerb, Vec<Wake<'a>>),
    /// The recreates of one type's members, at most `limit` down at once.
    Roll {
        limit: usize,
        members: Vec<(usize, Single<'a>)>,
    },
}

/// The operations that are never batched.
enum Single<'a> {
    Run(&'a Desired),
    Recreate {
        desired: &'a Desired,
        old_id: &'a str,
        old_dead: bool,
    },
    Remove(&'a str),
}

/// One container of a batched `docker start` or `docker unpause`.
struct Wake<'a> {
    /// Its action in the plan.
    i: usize,
    id: &'a str,
    /// A never-run container, recreated if its start fails ([`Op::Start`]).
    rebuild: Option<&'a Desired>,
}

#[derive(Clone, Copy)]
enum BatchVerb {
    Start,
    Unpause,
}

impl Unit<'_> {
    /// The plan actions it carries out.
    fn actions(&self) -> Vec<usize> {
        match self {
            Unit::One(i, _) | Unit::Rename(i, _) => vec![*i],
            Unit::Batch(_, wakes) => wakes.iter().map(|w| w.i).collect(),
            Unit::Roll { members, .. } => members.iter().map(|(i, _)| *i).collect(),
        }
    }
}

/// The phases, in order: removals (they free names and resources), then
/// renames back (an agent found under another name takes its name), then
/// everything else. Starts (the whole of a restart recovery) are batched
/// into at most `jobs` `docker start` calls run side by side: on a small
/// host the engine is CPU-bound, and one docker CLI process per container
/// takes CPU from it (README, "Performance"). Runs and recreates stay one
/// unit per container; a recreate's steps stay in order inside its unit.
fn phases<'a>(plan: &'a Plan, jobs: usize, skip: &[bool]) -> [Vec<Unit<'a>>; 3] {
    let (mut removals, mut starts, mut unpauses, mut singles) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Recreates by type, in plan order: a type with several is rolled.
    let mut rolls: Vec<(&str, Vec<(usize, Single)>)> = Vec::new();
    for (i, a) in plan.actions.iter().enumerate().filter(|(i, _)| !skip[*i]) {
        match &a.op {
            // A swarm's: `swarm/` applies those.
            Op::Nothing | Op::Service(_) => {}
            Op::Remove { id } => removals.push(Unit::One(i, Single::Remove(id))),
            Op::Start { id, rebuild } => starts.push(Wake {
                i,
                id,
                rebuild: rebuild.as_deref(),
            }),
            Op::Unpause { id } => unpauses.push(Wake {
                i,
                id,
                rebuild: None,
            }),
            Op::Run(d) => singles.push(Unit::One(i, Single::Run(d))),
            Op::Recreate {
                desired,
                old_id,
                old_dead,
            } => {
                let r = Single::Recreate {
                    desired,
                    old_id,
                    old_dead: *old_dead,
                };
                match rolls.iter_mut().find(|(t, _)| *t == desired.type_name) {
                    Some((_, members)) => members.push((i, r)),
                    None => rolls.push((&desired.type_name, vec![(i, r)])),
                }
            }
        }
    }
    singles.extend(rolls.into_iter().filter_map(|(_, m)| roll_unit(m)));
    let renames = (plan.actions.iter().enumerate())
        .filter_map(|(i, a)| Some(Unit::Rename(i, a.rename.as_ref()?)))
        .collect();
    let mut rest = Vec::new();
    if !starts.is_empty() {
        let size = starts.len().div_ceil(jobs.clamp(1, starts.len()));
        let mut starts = starts.into_iter().peekable();
        while starts.peek().is_some() {
            let batch = starts.by_ref().take(size).collect();
            rest.push(Unit::Batch(BatchVerb::Start, batch));
        }
    }
    if !unpauses.is_empty() {
        rest.push(Unit::Batch(BatchVerb::Unpause, unpauses));
    }
    rest.extend(singles);
    [removals, renames, rest]
}

/// One type's recreates as a unit: a single one is an ordinary swap,
/// several are rolled at most its type's `max_unavailable` at a time.
fn roll_unit(mut members: Vec<(usize, Single)>) -> Option<Unit> {
    let limit = match &members.first()?.1 {
        Single::Recreate { desired, .. } => desired.max_unavailable,
        _ => 1,
    };
    if members.len() == 1 {
        let (i, only) = members.pop()?;
        return Some(Unit::One(i, only));
    }
    Some(Unit::Roll { limit, members })
}

/// Runs `units` on at most `jobs` threads; `work` reports its own results.
fn pool(units: &[Unit], jobs: usize, work: &(dyn Fn(&Unit) + Sync)) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, units.len().max(1)) {
            s.spawn(|| {
                while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
                    work(unit);
                }
            });
        }
    });
}

/// Applies `plan` with at most `jobs` docker processes at a time. Once
/// `stop` is set, no new unit starts (a unit under way, a swap included,
/// runs to its end or its rollback).
pub fn apply(
    plan: &Plan,
    runner: &dyn Runner,
    jobs: usize,
    progress: Progress,
    stop: &AtomicBool,
) -> Outcome {
    let pace = Pace {
        jobs,
        progress,
        stop,
        roll_wait: crate::ready::DEFAULT_WAIT,
    };
    apply_rolling(plan, runner, &pace)
}

/// How an apply goes: at most `jobs` docker processes at a time, a
/// progress callback, the stop flag (no new unit once set), and how long a
/// rolled replacement may take to be ready.
pub(crate) struct Pace<'a> {
    pub jobs: usize,
    pub progress: Progress<'a>,
    pub stop: &'a AtomicBool,
    pub roll_wait: Duration,
}

/// [`apply`], a rolling recreate waiting up to `roll_wait` for each
/// replacement to be ready before the next member goes down.
pub(crate) fn apply_rolling(plan: &Plan, runner: &dyn Runner, pace: &Pace) -> Outcome {
    let Pace {
        jobs,
        progress,
        stop,
        roll_wait,
    } = *pace;
    let run = Applying {
        plan,
        runner,
        progress,
        stop,
        jobs,
        roll_wait,
        results: Mutex::new(vec![None; plan.actions.len()]),
    };
    let mut skip = vec![false; plan.actions.len()];
    for phase in 0..3 {
        // An action whose rename failed goes no further.
        for (i, r) in run.results().iter().enumerate() {
            skip[i] = r.is_some();
        }
        let units = phases(plan, jobs, &skip);
        pool(&units[phase], jobs, &|unit| run.work(unit));
    }
    let results = run
        .results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let (mut done, started) = gather(plan, results);
    // Failed docker calls only: a confirmation that found a container
    // stopped has just read the engine.
    let failed_calls: Vec<usize> = (0..done.len())
        .filter(|&i| {
            done[i].action.bucket != Bucket::Failed
                && done[i]
                    .error
                    .as_ref()
                    .is_some_and(|e| !matches!(e, Failure::NotStarted(_)))
        })
        .collect();
    confirm_running(runner, &started, &mut done);
    describe_failures(runner, &plan.project, &failed_calls, &mut done);
    Outcome {
        project: plan.project.clone(),
        done,
        interrupted: stop.load(Ordering::Relaxed),
        unreached: Vec::new(),
    }
}

/// One apply under way: what it works with, and each action's result as
/// it comes.
struct Applying<'a> {
    plan: &'a Plan,
    runner: &'a dyn Runner,
    progress: Progress<'a>,
    stop: &'a AtomicBool,
    jobs: usize,
    /// How long a rolled replacement may take to be ready.
    roll_wait: Duration,
    results: Mutex<Vec<Option<Res>>>,
}

impl Applying<'_> {
    /// The results so far. A worker that panicked cannot have left a
    /// result half-written (each is one assignment): read on regardless.
    fn results(&self) -> MutexGuard<'_, Vec<Option<Res>>> {
        self.results.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, i: usize, step: Step, took: Duration, rebuilt: Rebuilt) {
        self.record(i, step.map_err(Failure::Docker), took, rebuilt);
    }

    fn record(
        &self,
        i: usize,
        step: Result<Option<String>, Failure>,
        took: Duration,
        rebuilt: Rebuilt,
    ) {
        (self.progress)(&Done {
            action: rebuilt_action(&self.plan.actions[i], &rebuilt),
            error: step.as_ref().err().cloned(),
            now: None,
            took,
        });
        self.results()[i] = Some(Res {
            step,
            took,
            rebuilt,
        });
    }

    /// Carries out one unit, or, once asked to stop, marks its actions as
    /// never started.
    fn work(&self, unit: &Unit) {
        let t = Instant::now();
        if self.stop.load(Ordering::Relaxed) {
            for i in unit.actions() {
                let halt = Err(Failure::NotStarted(Halt::Signal));
                self.record(i, halt, Duration::ZERO, None);
            }
            return;
        }
        match unit {
            Unit::One(i, single) => {
                let step = execute(single, &self.plan.actions[*i].name, self.runner);
                self.report(*i, step, t.elapsed(), None);
            }
            Unit::Rename(i, r) => {
                let name = &self.plan.actions[*i].name;
                if let Err(e) = run_ok(self.runner, &argv::rename(&r.id, name)) {
                    let mut why = Why::default();
                    let text = format!(
                        "failed to rename `{}` back to `{name}`: {}",
                        r.from,
                        why.of(&e)
                    );
                    self.report(*i, Err(why.finish(text)), t.elapsed(), None);
                }
            }
            Unit::Batch(verb, wakes) => {
                let steps = execute_batch(self.plan, *verb, wakes, self.runner);
                let took = t.elapsed();
                for (i, step, rebuilt) in steps {
                    self.report(i, step, took, rebuilt);
                }
            }
            Unit::Roll { limit, members } => self.roll(*limit, members),
        }
    }

    /// Recreates one type's members with at most `limit` (and `jobs`) of
    /// them down at once: a member goes down only when a slot is free, and
    /// a slot is freed when its replacement is ready. The first
    /// replacement that fails stops the roll: the members not yet taken
    /// keep their old containers and are reported failed, saying why.
    fn roll(&self, limit: usize, members: &[(usize, Single)]) {
        let next = AtomicUsize::new(0);
        let broken: Mutex<Option<String>> = Mutex::new(None);
        let take = || {
            let b = broken.lock().unwrap_or_else(PoisonError::into_inner);
            if b.is_some() || self.stop.load(Ordering::Relaxed) {
                return None;
            }
            members.get(next.fetch_add(1, Ordering::Relaxed))
        };
        std::thread::scope(|sc| {
            for _ in 0..limit.min(self.jobs).clamp(1, members.len()) {
                sc.spawn(|| {
                    while let Some((i, single)) = take() {
                        let t = Instant::now();
                        let name = &self.plan.actions[*i].name;
                        let step = self.replace_ready(single, name);
                        if let Err(e) = &step {
                            let mut b = broken.lock().unwrap_or_else(PoisonError::into_inner);
                            b.get_or_insert_with(|| {
                                format!("`{name}` failed: {}", first_clause(e))
                            });
                        }
                        self.report(*i, step, t.elapsed(), None);
                    }
                });
            }
        });
        let why = broken.into_inner().unwrap_or_else(PoisonError::into_inner);
        for (i, _) in members {
            if self.results()[*i].is_some() {
                continue;
            }
            let name = &self.plan.actions[*i].name;
            let e = match &why {
                Some(why) => Failure::Docker(format!(
                    "`{name}` was not recreated: the rolling recreate of its type stopped ({why}); it keeps running its old spec"
                )),
                None => Failure::NotStarted(Halt::Signal),
            };
            self.record(*i, Err(e), Duration::ZERO, None);
        }
    }

    /// One member of a roll: the swap, then, when its healthcheck had not
    /// passed yet, the wait until it does (its slot stays taken till then).
    fn replace_ready(&self, single: &Single, name: &str) -> Step {
        if execute(single, name, self.runner)?.is_none() {
            return Ok(None);
        }
        let w = crate::ready::Waiting {
            timeout: self.roll_wait,
            stop: self.stop,
            count: &|_, _| {},
        };
        match crate::ready::wait(self.runner, &[name.to_string()], &w)
            .pop()
            .flatten()
        {
            None => Ok(None),
            Some(e) => Err(format!(
                "failed to recreate `{name}`: the replacement took its place but is not ready: {e}"
            )),
        }
    }
}

/// The first clause of an error sentence, for a short reason elsewhere.
fn first_clause(e: &str) -> &str {
    e.split(['\n', ';']).next().unwrap_or(e)
}

/// Every action's [`Done`], in plan order, and the containers that should
/// now be running (action, ID) for the confirmation.
fn gather(plan: &Plan, results: Vec<Option<Res>>) -> (Vec<Done>, Vec<(usize, String)>) {
    let mut done: Vec<Done> = Vec::with_capacity(results.len());
    let mut started: Vec<(usize, String)> = Vec::new();
    for (i, (a, r)) in plan.actions.iter().zip(results).enumerate() {
        // Actions with nothing to do were never scheduled; renames with
        // nothing after them are done once renamed.
        let r = r.unwrap_or(Res {
            step: Ok(None),
            took: Duration::ZERO,
            rebuilt: None,
        });
        let a = &rebuilt_action(a, &r.rebuilt);
        let error = match r.step {
            Ok(Some(id)) => {
                started.push((i, id));
                None
            }
            Ok(None) => None,
            Err(e) => Some(e),
        };
        let error = error.or_else(|| a.planned_failure().map(|_| Failure::Conflict));
        done.push(Done {
            action: a.clone(),
            error,
            now: None,
            took: r.took,
        });
    }
    (done, started)
}

/// The action as it turned out: a never-run container whose start failed
/// and that was recreated instead is reported as recreated, with why.
fn rebuilt_action(a: &Action, rebuilt: &Rebuilt) -> Action {
    match rebuilt {
        None => a.clone(),
        Some(e) => Action {
            bucket: Bucket::Recreated,
            reason: format!(
                "{}; its start failed ({e}) and it had never run, so it was recreated",
                a.reason
            ),
            ..a.clone()
        },
    }
}

/// One `docker start` (or `unpause`) of several containers. docker prints
/// each container it handled and goes on past failures, so one it did not
/// print failed; its reason is the stderr line that names it, or all of
/// stderr.
fn execute_batch(
    plan: &Plan,
    verb: BatchVerb,
    wakes: &[Wake],
    runner: &dyn Runner,
) -> Vec<(usize, Step, Rebuilt)> {
    let ids: Vec<&str> = wakes.iter().map(|w| w.id).collect();
    let (cmd, word) = match verb {
        BatchVerb::Start => (argv::start(&ids), "start"),
        BatchVerb::Unpause => (argv::unpause(&ids), "unpause"),
    };
    let names: Vec<&str> = wakes
        .iter()
        .map(|w| plan.actions[w.i].name.as_str())
        .collect();
    let handled = handled_by(runner, &cmd, &ids, &names);
    wakes
        .iter()
        .zip(names)
        .zip(handled)
        .map(|((w, name), h)| match (h, w.rebuild) {
            (Ok(()), _) => (w.i, Ok(Some(w.id.to_string())), None),
            (Err(e), Some(desired)) => match recreate(desired, w.id, false, name, runner) {
                Ok(new_id) => (w.i, Ok(new_id), Some(e)),
                Err(again) => (
                    w.i,
                    Err(format!(
                        "failed to {word} `{name}`: {e}; recreating it (it had never run) failed too: {again}"
                    )),
                    None,
                ),
            },
            (Err(e), None) => (w.i, Err(format!("failed to {word} `{name}`: {e}")), None),
        })
        .collect()
}

/// Runs a docker command over many containers (given by ID, with their
/// names for stderr matching) and says, for each, whether docker handled it.
pub(crate) fn handled_by(
    runner: &dyn Runner,
    cmd: &Cmd,
    ids: &[&str],
    names: &[&str],
) -> Vec<Result<(), String>> {
    let (stdout, stderr) = match runner.run(cmd) {
        Ok(out) => (out.stdout, out.stderr),
        Err(e) => (String::new(), e.to_string()),
    };
    let printed: Vec<&str> = stdout.lines().map(str::trim).collect();
    // docker ends with a summary ("Error: failed to start containers: a, b")
    // that names containers but not why; the daemon's lines say why.
    let detail: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Error: failed to"))
        .collect();
    ids.iter()
        .zip(names)
        .map(|(id, name)| {
            if printed.contains(id) || printed.contains(name) {
                return Ok(());
            }
            let named: Vec<&str> = detail
                .iter()
                .copied()
                .filter(|l| l.contains(id) || l.contains(short_id(id)) || l.contains(name))
                .collect();
            let why = if !named.is_empty() {
                named.join("; ")
            } else if !detail.is_empty() {
                detail.join("; ")
            } else if !stderr.trim().is_empty() {
                stderr.trim().to_string()
            } else {
                format!("`docker {}` did not report it", cmd.verb())
            };
            Err(why)
        })
        .collect()
}

/// An error sentence under construction: docker's messages go in the
/// text, their help lines are gathered and printed once, last.
#[derive(Default)]
struct Why {
    helps: Vec<&'static str>,
}

impl Why {
    fn of(&mut self, e: &DockerError) -> String {
        if let Some(h) = e.help()
            && !self.helps.contains(&h)
        {
            self.helps.push(h);
        }
        e.message()
    }

    fn finish(self, text: String) -> String {
        self.helps
            .iter()
            .fold(text, |t, h| format!("{t}\nhelp: {h}"))
    }
}

/// Runs one action's docker commands. `Ok(Some(id))` names a container that
/// should now be running (checked afterwards); errors are full sentences.
fn execute(single: &Single, name: &str, runner: &dyn Runner) -> Step {
    let fail = |what: &str, e: &DockerError| {
        let mut why = Why::default();
        let text = format!("failed to {what} `{name}`: {}", why.of(e));
        why.finish(text)
    };
    match *single {
        Single::Remove(id) => run_ok(runner, &argv::remove(&[id]))
            .map(|_| None)
            .map_err(|e| fail("remove", &e)),
        Single::Run(d) => {
            let out = run_ok(runner, &argv::run_cmd(d)).map_err(|e| fail("create", &e))?;
            Ok(Some(out.stdout.trim().to_string()))
        }
        Single::Recreate {
            desired,
            old_id,
            old_dead,
        } => recreate(desired, old_id, old_dead, name, runner),
    }
}

/// The swap: create the replacement under the temporary name, stop the old
/// container, start the replacement, confirm it runs, remove the old, give
/// the replacement the name. Until the confirmation the old container is
/// kept: a replacement that cannot be created, started or kept running is
/// removed and the old one started again (same ID, same writable layer).
/// Each step is a point where a crash may stop it; the next sync's plan
/// repairs every one (ARCHITECTURE.md, "Recreate").
fn recreate(d: &Desired, old_id: &str, old_dead: bool, name: &str, runner: &dyn Runner) -> Step {
    let mut why = Why::default();
    let temp = temp_name(name);
    let created = match run_ok(runner, &argv::create_cmd(d)) {
        Ok(out) => out,
        Err(e) => {
            let text = format!(
                "failed to recreate `{name}`: could not create the replacement; the old container was not touched: {}",
                why.of(&e)
            );
            return Err(why.finish(text));
        }
    };
    let new_id = created.stdout.trim().to_string();
    let mut trouble = None;
    if !old_dead && let Err(e) = run_ok(runner, &argv::stop(0, &[old_id])) {
        trouble = Some(format!("could not stop the old container: {}", why.of(&e)));
    }
    if trouble.is_none()
        && let Err(e) = run_ok(runner, &argv::start(&[&new_id]))
    {
        trouble = Some(format!("the replacement did not start: {}", why.of(&e)));
    }
    let mut ready = true;
    if trouble.is_none() {
        match unsettled(runner, &new_id) {
            Ok(r) => ready = r,
            Err(t) => trouble = Some(t),
        }
    }
    if let Some(t) = trouble {
        let swap = Swap {
            new_id: &new_id,
            temp: &temp,
            old_id,
            old_dead,
        };
        let back = roll_back(&Patient(runner), swap, &mut why);
        return Err(why.finish(format!("failed to recreate `{name}`: {t}; {back}")));
    }
    if let Err(e) = run_ok(runner, &argv::remove(&[old_id])) {
        let text = format!(
            "failed to recreate `{name}`: the replacement runs as `{temp}`, but the old container could not be removed: {}; the next sync finishes the swap",
            why.of(&e)
        );
        return Err(why.finish(text));
    }
    if let Err(e) = run_ok(runner, &argv::rename(&new_id, name)) {
        let text = format!(
            "failed to recreate `{name}`: the replacement runs and the old container is removed, but renaming `{temp}` failed: {}; the next sync renames it",
            why.of(&e)
        );
        return Err(why.finish(text));
    }
    // A healthcheck that has not passed yet: it should run, and a roll
    // waits for it to be ready.
    Ok((!ready).then_some(new_id))
}

pub use crate::ready::SETTLE;

/// Why the replacement `id` cannot be trusted yet, if it cannot: it is not
/// up now, or not still up [`SETTLE`] later, or it restarted in between
/// (judged by [`Watch`], as `--wait` judges). A healthcheck still starting
/// is no reason: `Ok(false)` says it is not ready yet (`Ok(true)`: ready),
/// and a roll or `--wait` waits for it.
fn unsettled(runner: &dyn Runner, id: &str) -> Result<bool, String> {
    let mut watch = Watch::default();
    for round in 0..2 {
        if round > 0 {
            std::thread::sleep(SETTLE);
        }
        let seen = match inspect_containers(runner, &[id]) {
            Err(e) => return Err(format!("could not confirm the replacement runs: {e:#}")),
            Ok(snaps) => snaps.into_iter().next(),
        };
        let Some(s) = seen else {
            return Err("the replacement vanished right after it was started".to_string());
        };
        let fault = match watch.look(&s, Instant::now()) {
            Verdict::Failed(f) => f,
            Verdict::Ready if round > 0 => return Ok(true),
            Verdict::Pending if round > 0 => return Ok(false),
            _ => continue,
        };
        let logs = last_lines(runner, id);
        return Err(match fault {
            Fault::Down { code, word } => {
                format!("the replacement exited at once with code {code} ({word}){logs}")
            }
            Fault::CrashLooping {
                last_exit: Some(code),
                ..
            } => format!(
                "the replacement exited at once with code {code} (restarting (last exit {code})){logs}"
            ),
            Fault::Restarted { from, to } => format!(
                "the replacement did not stay up: it restarted within {}s (restart count {from} → {to}){logs}",
                SETTLE.as_secs()
            ),
            f => format!("{}{logs}", f.clause("the replacement")),
        });
    }
    Ok(true)
}

/// The two containers of a swap under way: the replacement (its ID and
/// temporary name) and the old one (whether it is dead).
struct Swap<'a> {
    new_id: &'a str,
    temp: &'a str,
    old_id: &'a str,
    old_dead: bool,
}

/// Undoes a swap that failed before the replacement was confirmed: removes
/// the replacement and starts the old container again (the config wants
/// every agent running). Returns what it did, as a clause.
fn roll_back(runner: &dyn Runner, swap: Swap, why: &mut Why) -> String {
    let Swap {
        new_id,
        temp,
        old_id,
        old_dead,
    } = swap;
    let removed = match run_ok(runner, &argv::remove(&[new_id])) {
        Ok(_) => "the replacement was removed".to_string(),
        Err(e) => format!(
            "removing the replacement `{temp}` failed too ({}); the next sync removes it",
            why.of(&e)
        ),
    };
    if old_dead {
        return format!("{removed}; the old container is dead and was left as it was");
    }
    match run_ok(runner, &argv::start(&[old_id])) {
        Ok(_) => format!(
            "{removed} and the old container ({}) was started again",
            short_id(old_id)
        ),
        Err(e) => format!(
            "{removed}; starting the old container ({}) again failed: {}",
            short_id(old_id),
            why.of(&e)
        ),
    }
}

/// One batched inspect of everything that should now be running; any that
/// is not is marked failed with its state and exit code.
fn confirm_running(runner: &dyn Runner, started: &[(usize, String)], done: &mut [Done]) {
    if started.is_empty() {
        return;
    }
    let ids: Vec<&str> = started.iter().map(|(_, id)| id.as_str()).collect();
    let snaps = match inspect_containers(runner, &ids) {
        Ok(s) => s,
        Err(e) => {
            for (i, _) in started {
                done[*i].error = Some(Failure::Docker(format!(
                    "could not confirm `{}` is running: {e:#}",
                    done[*i].action.name
                )));
            }
            return;
        }
    };
    for (i, id) in started {
        let name = &done[*i].action.name;
        let error = match snaps.iter().find(|s| s.id == *id) {
            None => Some(format!("`{name}` vanished right after it was started")),
            Some(s) if s.state.restarting => Some(format!(
                "`{name}` is restarting: its process exited with code {}; see `docker logs {name}`",
                s.state.exit_code
            )),
            Some(s) if !s.is_up() => Some(format!(
                "`{name}` exited at once with code {} ({}); see `docker logs {name}`",
                s.state.exit_code,
                s.state_word()
            )),
            Some(_) => None,
        };
        if error.is_some() {
            done[*i].error = error.map(Failure::Docker);
        }
    }
}

/// After any action failed in a docker call (which may have been cut off
/// part-way by the timeout, with the engine finishing it anyway), reads the
/// engine again and says, for each, what is true now: which containers
/// hold its name and its replacement's name, in which state.
fn describe_failures(runner: &dyn Runner, project: &str, failed: &[usize], done: &mut [Done]) {
    if failed.is_empty() {
        return;
    }
    let now = match crate::observe::project_containers(&Patient(runner), project) {
        Ok(c) => c,
        Err(e) => {
            for &i in failed {
                done[i].now = Some(format!("could not read the engine again: {e:#}"));
            }
            return;
        }
    };
    for &i in failed {
        let a = &done[i].action;
        let mut names = vec![a.name.clone(), temp_name(&a.name)];
        if let Some(r) = &a.rename {
            names.push(r.from.clone());
        }
        let parts: Vec<String> = names
            .iter()
            .filter_map(|n| match now.iter().find(|c| c.name == *n) {
                Some(c) => Some(format!("`{n}` is {} ({})", c.state_word(), short_id(&c.id))),
                None if *n == a.name => Some(format!("no container is named `{n}`")),
                None => None,
            })
            .collect();
        done[i].now = Some(parts.join("; "));
    }
}
