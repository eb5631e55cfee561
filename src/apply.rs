//! The only module that mutates. Carries out a [`Plan`] through the
//! [`Runner`], up to `jobs` containers at a time; one failure never stops the
//! others. The steps of one recreate stay in order. Results come back in
//! plan order whatever order the work finished in, then one batched
//! `docker inspect` confirms that what was started or created is running.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::docker::argv::{self, temp_name};
use crate::docker::{Runner, run_ok};
use crate::observe::inspect_containers;
use crate::plan::{Action, Bucket, Op, Plan};

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
                    error: (a.bucket == Bucket::Failed).then(|| a.reason.clone()),
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

/// Called as each action finishes (progress output); may be a no-op.
pub type Progress<'a> = &'a (dyn Fn(&Done) + Sync);

/// Applies `plan`, `jobs` containers at a time.
pub fn apply(plan: &Plan, runner: &dyn Runner, jobs: usize, progress: Progress) -> Outcome {
    let n = plan.actions.len();
    let results: Mutex<Vec<Option<(Step, Duration)>>> = Mutex::new(vec![None; n]);
    let next = AtomicUsize::new(0);
    let work = |i: usize| {
        let a = &plan.actions[i];
        let t = Instant::now();
        let r = execute(&a.op, &a.name, runner);
        let took = t.elapsed();
        if !matches!(a.op, Op::Nothing) {
            progress(&Done {
                action: a.clone(),
                error: r.as_ref().err().cloned(),
                took,
            });
        }
        results.lock().unwrap()[i] = Some((r, took));
    };
    let workers = jobs.clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    work(i);
                }
            });
        }
    });

    let results = results.into_inner().unwrap();
    let mut done: Vec<Done> = Vec::with_capacity(n);
    let mut started: Vec<(usize, String)> = Vec::new();
    for (i, (a, r)) in plan.actions.iter().zip(results).enumerate() {
        let (r, took) = r.expect("every action ran");
        let error = match r {
            Ok(Some(id)) => {
                started.push((i, id));
                None
            }
            Ok(None) => None,
            Err(e) => Some(e),
        };
        let error = error.or_else(|| (a.bucket == Bucket::Failed).then(|| a.reason.clone()));
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

/// Runs one action's docker commands. `Ok(Some(id))` names a container that
/// should now be running (checked afterwards); errors are full sentences.
fn execute(op: &Op, name: &str, runner: &dyn Runner) -> Step {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("failed to {what} `{name}`: {e}");
    match op {
        Op::Nothing => Ok(None),
        Op::Start { id } => run_ok(runner, &argv::start(&[id]))
            .map(|_| Some(id.clone()))
            .map_err(|e| fail("start", &e)),
        Op::Unpause { id } => run_ok(runner, &argv::unpause(&[id]))
            .map(|_| Some(id.clone()))
            .map_err(|e| fail("unpause", &e)),
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
