//! The only module that mutates. Carries out a [`Plan`] through the
//! [`Runner`], up to `jobs` containers at a time; one failure never stops the
//! others. The steps of one recreate stay in order. Results come back in
//! plan order whatever order the work finished in, then one batched
//! `docker inspect` confirms that what was started or created is running.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::config::Desired;
use crate::docker::argv::{self, temp_name};
use crate::docker::{Cmd, DockerError, Patient, Runner, run_ok};
use crate::observe::inspect_containers;
use crate::plan::{Action, Bucket, Op, Plan, short_id};

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub action: Action,
    /// `Some(message)` when it failed.
    pub error: Option<String>,
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

/// The result of a sync: one [`Done`] per planned action, in plan order.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub project: String,
    pub done: Vec<Done>,
    /// The run was asked to stop (SIGINT, SIGTERM) before it finished:
    /// actions it had not started are failed with a word saying so.
    pub interrupted: bool,
}

impl Outcome {
    /// Wraps a plan without applying it (for `fleet plan`).
    pub fn planned(plan: &Plan) -> Outcome {
        Outcome {
            project: plan.project.clone(),
            done: plan
                .actions
                .iter()
                .map(|a| Done {
                    error: a.planned_failure(),
                    now: None,
                    action: a.clone(),
                    took: Duration::ZERO,
                })
                .collect(),
            interrupted: false,
        }
    }

    pub fn failed(&self) -> bool {
        self.done.iter().any(|d| d.error.is_some())
    }
}

/// One action's result: the ID of a container that should now be running
/// (confirmed by the batched inspect at the end), or a full error sentence.
type Step = Result<Option<String>, String>;

/// Why a never-run container was recreated instead of started (its start
/// error), if it was.
type Rebuilt = Option<String>;

/// Called as each action finishes (progress output); may be a no-op.
pub type Progress<'a> = &'a (dyn Fn(&Done) + Sync);

/// What one action came to.
#[derive(Clone)]
struct Res {
    step: Step,
    took: Duration,
    rebuilt: Rebuilt,
}

/// A unit of work for one worker: one action, or a batch of starts or
/// unpauses that one docker process carries out.
enum Unit {
    One(usize),
    Rename(usize),
    Batch(BatchVerb, Vec<usize>),
}

#[derive(Clone, Copy)]
enum BatchVerb {
    Start,
    Unpause,
}

/// The phases, in order: removals (they free names and resources), then
/// renames back (an agent found under another name takes its name), then
/// everything else. Starts (the whole of a restart recovery) are batched
/// into at most `jobs` `docker start` calls run side by side: on a small
/// host the engine is CPU-bound, and one docker CLI process per container
/// takes CPU from it (README, "Performance"). Runs and recreates stay one
/// unit per container; a recreate's steps stay in order inside its unit.
fn phases(plan: &Plan, jobs: usize, skip: &[bool]) -> [Vec<Unit>; 3] {
    let of = |want: fn(&Op) -> bool| -> Vec<usize> {
        (0..plan.actions.len())
            .filter(|&i| !skip[i] && want(&plan.actions[i].op))
            .collect()
    };
    let removals = of(|op| matches!(op, Op::Remove { .. }))
        .into_iter()
        .map(Unit::One)
        .collect();
    let renames = (0..plan.actions.len())
        .filter(|&i| plan.actions[i].rename.is_some())
        .map(Unit::Rename)
        .collect();
    let mut rest = Vec::new();
    let starts = of(|op| matches!(op, Op::Start { .. }));
    if !starts.is_empty() {
        let size = starts.len().div_ceil(jobs.clamp(1, starts.len()));
        rest.extend(
            starts
                .chunks(size)
                .map(|c| Unit::Batch(BatchVerb::Start, c.to_vec())),
        );
    }
    let unpauses = of(|op| matches!(op, Op::Unpause { .. }));
    if !unpauses.is_empty() {
        rest.push(Unit::Batch(BatchVerb::Unpause, unpauses));
    }
    rest.extend(
        of(|op| matches!(op, Op::Run(_) | Op::Recreate { .. }))
            .into_iter()
            .map(Unit::One),
    );
    [removals, renames, rest]
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

/// How the error of an action a stopped run never started ends.
pub const NOT_STARTED: &str = "was not started: fleet was asked to stop (SIGINT or SIGTERM) first";

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
    let n = plan.actions.len();
    let results: Mutex<Vec<Option<Res>>> = Mutex::new(vec![None; n]);
    let report = |i: usize, step: Step, took: Duration, rebuilt: Rebuilt| {
        progress(&Done {
            action: rebuilt_action(&plan.actions[i], &rebuilt),
            error: step.as_ref().err().cloned(),
            now: None,
            took,
        });
        results.lock().unwrap()[i] = Some(Res {
            step,
            took,
            rebuilt,
        });
    };
    let work = |unit: &Unit| {
        let t = Instant::now();
        if stop.load(Ordering::Relaxed) {
            let idx = match unit {
                Unit::One(i) | Unit::Rename(i) => vec![*i],
                Unit::Batch(_, idx) => idx.clone(),
            };
            for i in idx {
                let e = format!("`{}` {NOT_STARTED}", plan.actions[i].name);
                report(i, Err(e), Duration::ZERO, None);
            }
            return;
        }
        match unit {
            Unit::One(i) => {
                let a = &plan.actions[*i];
                let step = execute(&a.op, &a.name, runner);
                report(*i, step, t.elapsed(), None);
            }
            Unit::Rename(i) => {
                let a = &plan.actions[*i];
                let r = a.rename.as_ref().expect("rename units have a rename");
                if let Err(e) = run_ok(runner, &argv::rename(&r.id, &a.name)) {
                    let mut why = Why::default();
                    let text = format!(
                        "failed to rename `{}` back to `{}`: {}",
                        r.from,
                        a.name,
                        why.of(&e)
                    );
                    let step = Err(why.finish(text));
                    report(*i, step, t.elapsed(), None);
                }
            }
            Unit::Batch(verb, idx) => {
                let steps = execute_batch(plan, *verb, idx, runner);
                let took = t.elapsed();
                for (i, step, rebuilt) in steps {
                    report(i, step, took, rebuilt);
                }
            }
        }
    };
    let mut skip = vec![false; n];
    for phase in 0..3 {
        // An action whose rename failed goes no further.
        for (i, r) in results.lock().unwrap().iter().enumerate() {
            skip[i] = r.is_some();
        }
        let units = phases(plan, jobs, &skip);
        pool(&units[phase], jobs, &work);
    }
    // Renames with nothing after them are done once renamed.
    let results = results.into_inner().unwrap();
    let mut done: Vec<Done> = Vec::with_capacity(n);
    let mut started: Vec<(usize, String)> = Vec::new();
    for (i, (a, r)) in plan.actions.iter().zip(results).enumerate() {
        // Actions with nothing to do were never scheduled.
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
        let error = error.or_else(|| a.planned_failure());
        done.push(Done {
            action: a.clone(),
            error,
            now: None,
            took: r.took,
        });
    }
    // Failed docker calls only: a confirmation that found a container
    // stopped has just read the engine.
    let failed_calls: Vec<usize> = (0..n)
        .filter(|&i| {
            done[i].action.bucket != Bucket::Failed
                && done[i]
                    .error
                    .as_ref()
                    .is_some_and(|e| !e.ends_with(NOT_STARTED))
        })
        .collect();
    confirm_running(runner, &started, &mut done);
    describe_failures(runner, &plan.project, &failed_calls, &mut done);
    Outcome {
        project: plan.project.clone(),
        done,
        interrupted: stop.load(Ordering::Relaxed),
    }
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
    idx: &[usize],
    runner: &dyn Runner,
) -> Vec<(usize, Step, Rebuilt)> {
    let id_of = |i: usize| match &plan.actions[i].op {
        Op::Start { id, .. } | Op::Unpause { id } => id.as_str(),
        _ => unreachable!("only starts and unpauses are batched"),
    };
    let ids: Vec<&str> = idx.iter().map(|&i| id_of(i)).collect();
    let (cmd, word) = match verb {
        BatchVerb::Start => (argv::start(&ids), "start"),
        BatchVerb::Unpause => (argv::unpause(&ids), "unpause"),
    };
    let names: Vec<&str> = idx.iter().map(|&i| plan.actions[i].name.as_str()).collect();
    let handled = handled_by(runner, &cmd, &ids, &names);
    idx.iter()
        .zip(handled)
        .map(|(&i, h)| {
            let a = &plan.actions[i];
            match (h, &a.op) {
                (Ok(()), _) => (i, Ok(Some(id_of(i).to_string())), None),
                (
                    Err(e),
                    Op::Start {
                        id,
                        rebuild: Some(desired),
                    },
                ) => match recreate(desired, id, false, &a.name, runner) {
                    Ok(new_id) => (i, Ok(new_id), Some(e)),
                    Err(again) => (
                        i,
                        Err(format!(
                            "failed to {word} `{}`: {e}; recreating it (it had never run) failed too: {again}",
                            a.name
                        )),
                        None,
                    ),
                },
                (Err(e), _) => (i, Err(format!("failed to {word} `{}`: {e}", a.name)), None),
            }
        })
        .collect()
}

/// Runs a docker command over many containers (given by ID, with their
/// names for stderr matching) and says, for each, whether docker handled it.
pub fn handled_by(
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
fn execute(op: &Op, name: &str, runner: &dyn Runner) -> Step {
    let fail = |what: &str, e: &DockerError| {
        let mut why = Why::default();
        let text = format!("failed to {what} `{name}`: {}", why.of(e));
        why.finish(text)
    };
    match op {
        Op::Nothing => Ok(None),
        Op::Start { .. } | Op::Unpause { .. } => unreachable!("starts and unpauses are batched"),
        Op::Remove { id } => run_ok(runner, &argv::remove(&[id]))
            .map(|_| None)
            .map_err(|e| fail("remove", &e)),
        Op::Run(d) => {
            let out = run_ok(runner, &argv::run_cmd(d)).map_err(|e| fail("create", &e))?;
            Ok(Some(out.stdout.trim().to_string()))
        }
        Op::Recreate {
            desired,
            old_id,
            old_dead,
        } => recreate(desired, old_id, *old_dead, name, runner),
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
    if trouble.is_none() {
        trouble = match inspect_containers(runner, &[&new_id]) {
            Err(e) => Some(format!("could not confirm the replacement runs: {e:#}")),
            Ok(snaps) => match snaps.first() {
                None => Some("the replacement vanished right after it was started".to_string()),
                Some(s) if s.is_up() && !s.state.restarting => None,
                Some(s) => Some(format!(
                    "the replacement exited at once with code {} ({}){}",
                    s.state.exit_code,
                    s.state_word(),
                    last_lines(runner, &new_id)
                )),
            },
        };
    }
    if let Some(t) = trouble {
        let back = roll_back(&Patient(runner), &new_id, &temp, old_id, old_dead, &mut why);
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
    Ok(None)
}

/// Undoes a swap that failed before the replacement was confirmed: removes
/// the replacement and starts the old container again (the config wants
/// every agent running). Returns what it did, as a clause.
fn roll_back(
    runner: &dyn Runner,
    new_id: &str,
    temp: &str,
    old_id: &str,
    old_dead: bool,
    why: &mut Why,
) -> String {
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

/// `; its last output: …` from a container's logs, or "" when there is none.
fn last_lines(runner: &dyn Runner, id: &str) -> String {
    match run_ok(runner, &argv::logs_tail(id, 5)) {
        Ok(out) => {
            let text: Vec<&str> = out
                .stdout
                .lines()
                .chain(out.stderr.lines())
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if text.is_empty() {
                String::new()
            } else {
                format!("; its last output: {}", text.join(" / "))
            }
        }
        Err(_) => String::new(),
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
                done[*i].error = Some(format!(
                    "could not confirm `{}` is running: {e:#}",
                    done[*i].action.name
                ));
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
            done[*i].error = error;
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
