//! The only module that mutates. Carries out a [`Plan`] through the
//! [`Runner`], up to `jobs` containers at a time; one failure never stops the
//! others. The steps of one recreate stay in order. Results come back in
//! plan order whatever order the work finished in, then one batched
//! `docker inspect` confirms that what was started or created is running.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::docker::argv::{self, temp_name};
use crate::docker::{Cmd, Runner, run_ok};
use crate::observe::inspect_containers;
use crate::plan::{Action, Bucket, Op, Plan, short_id};

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub action: Action,
    /// `Some(message)` when it failed.
    pub error: Option<String>,
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
                    action: a.clone(),
                    took: Duration::ZERO,
                })
                .collect(),
        }
    }

    pub fn failed(&self) -> bool {
        self.done.iter().any(|d| d.error.is_some())
    }
}

/// One action's result: the ID of a container that should now be running,
/// or a full error sentence.
type Step = Result<Option<String>, String>;

/// Why a never-run container was recreated instead of started (its start
/// error), if it was.
type Rebuilt = Option<String>;

/// Called as each action finishes (progress output); may be a no-op.
pub type Progress<'a> = &'a (dyn Fn(&Done) + Sync);

/// A unit of work for one worker: one action, or a batch of starts or
/// unpauses that one docker process carries out.
enum Unit {
    One(usize),
    Batch(BatchVerb, Vec<usize>),
}

#[derive(Clone, Copy)]
enum BatchVerb {
    Start,
    Unpause,
}

/// Splits the plan into units. Starts (the whole of a restart recovery) are
/// batched into at most `jobs` `docker start` calls run side by side: on a
/// small host the engine is CPU-bound, and one docker CLI process per
/// container takes CPU from it (measured in README, "Performance"). Runs,
/// recreates and removals stay one unit per container; a recreate's steps
/// stay in order inside its unit. Starts go first: agents back soonest.
fn schedule(plan: &Plan, jobs: usize) -> Vec<Unit> {
    let of = |want: fn(&Op) -> bool| -> Vec<usize> {
        (0..plan.actions.len())
            .filter(|&i| want(&plan.actions[i].op))
            .collect()
    };
    let mut units = Vec::new();
    let starts = of(|op| matches!(op, Op::Start { .. }));
    if !starts.is_empty() {
        let size = starts.len().div_ceil(jobs.clamp(1, starts.len()));
        units.extend(
            starts
                .chunks(size)
                .map(|c| Unit::Batch(BatchVerb::Start, c.to_vec())),
        );
    }
    let unpauses = of(|op| matches!(op, Op::Unpause { .. }));
    if !unpauses.is_empty() {
        units.push(Unit::Batch(BatchVerb::Unpause, unpauses));
    }
    units.extend(
        of(|op| matches!(op, Op::Run(_) | Op::Recreate { .. } | Op::Remove { .. }))
            .into_iter()
            .map(Unit::One),
    );
    units
}

/// Applies `plan` with at most `jobs` docker processes at a time.
pub fn apply(plan: &Plan, runner: &dyn Runner, jobs: usize, progress: Progress) -> Outcome {
    let n = plan.actions.len();
    let results: Mutex<Vec<Option<(Step, Duration, Rebuilt)>>> = Mutex::new(vec![None; n]);
    let units = schedule(plan, jobs);
    let next = AtomicUsize::new(0);
    let work = |unit: &Unit| {
        let t = Instant::now();
        let steps: Vec<(usize, Step, Rebuilt)> = match unit {
            Unit::One(i) => {
                let a = &plan.actions[*i];
                vec![(*i, execute(&a.op, &a.name, runner), None)]
            }
            Unit::Batch(verb, idx) => execute_batch(plan, *verb, idx, runner),
        };
        let took = t.elapsed();
        for (i, r, rebuilt) in steps {
            progress(&Done {
                action: rebuilt_action(&plan.actions[i], &rebuilt),
                error: r.as_ref().err().cloned(),
                took,
            });
            results.lock().unwrap()[i] = Some((r, took, rebuilt));
        }
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, units.len().max(1)) {
            s.spawn(|| {
                while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
                    work(unit);
                }
            });
        }
    });

    let results = results.into_inner().unwrap();
    let mut done: Vec<Done> = Vec::with_capacity(n);
    let mut started: Vec<(usize, String)> = Vec::new();
    for (i, (a, r)) in plan.actions.iter().zip(results).enumerate() {
        // Actions with nothing to do were never scheduled.
        let (r, took, rebuilt) = r.unwrap_or((Ok(None), Duration::ZERO, None));
        let a = &rebuilt_action(a, &rebuilt);
        let error = match r {
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
            took,
        });
    }
    confirm_running(runner, &started, &mut done);
    Outcome {
        project: plan.project.clone(),
        done,
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
                ) => {
                    let recreate = Op::Recreate {
                        desired: desired.clone(),
                        old_id: id.clone(),
                        leftover: None,
                    };
                    match execute(&recreate, &a.name, runner) {
                        Ok(new_id) => (i, Ok(new_id), Some(e)),
                        Err(again) => (
                            i,
                            Err(format!(
                                "failed to {word} `{}`: {e}; recreating it failed too: {again}",
                                a.name
                            )),
                            None,
                        ),
                    }
                }
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

/// Runs one action's docker commands. `Ok(Some(id))` names a container that
/// should now be running (checked afterwards); errors are full sentences.
fn execute(op: &Op, name: &str, runner: &dyn Runner) -> Step {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("failed to {what} `{name}`: {e}");
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
            leftover,
        } => {
            if let Some(l) = leftover {
                run_ok(runner, &argv::remove(&[l])).map_err(|e| {
                    fail(
                        "recreate",
                        &format!(
                            "could not remove the leftover replacement {}: {e}",
                            temp_name(name)
                        ),
                    )
                })?;
            }
            let created = run_ok(runner, &argv::create_cmd(desired)).map_err(|e| {
                fail(
                    "recreate",
                    &format!(
                        "could not create the replacement, the old container is untouched: {e}"
                    ),
                )
            })?;
            let new_id = created.stdout.trim().to_string();
            run_ok(runner, &argv::remove(&[old_id])).map_err(|e| {
                fail(
                    "recreate",
                    &format!(
                        "created the replacement {} but could not remove the old container, which is untouched: {e}",
                        temp_name(name)
                    ),
                )
            })?;
            run_ok(runner, &argv::rename(&new_id, name)).map_err(|e| {
                fail(
                    "recreate",
                    &format!(
                        "removed the old container but could not rename the replacement {} (the next sync repairs this): {e}",
                        temp_name(name)
                    ),
                )
            })?;
            run_ok(runner, &argv::start(&[&new_id]))
                .map(|_| Some(new_id.clone()))
                .map_err(|e| fail("start the replacement of", &e))
        }
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
