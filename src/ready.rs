//! Readiness over time: whether a container that was just started can be
//! trusted to take work. [`Watch`] judges one container look by look (the
//! swap's settle check and `--wait` both use it, so they cannot disagree);
//! [`wait`] polls many with one batched `docker inspect` a round until each
//! is ready, has failed, or the time is up.
//!
//! Ready: healthy when the container has a healthcheck (`State.Health`);
//! otherwise running for [`SETTLE`] with the same `StartedAt` and
//! `RestartCount`. Exited, crash-looping (restarting, or restarted by its
//! policy less than [`crate::snapshot::CRASH_WINDOW`] before the look),
//! restarted between two looks or unhealthy fails at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::docker::{Runner, argv, run_ok};
use crate::snapshot::{ContainerSnapshot, Readiness, exit_phrase, parse_inspect, restarts_phrase};

/// How long a container without a healthcheck must stay up, with the same
/// start time and restart count, to count as ready: a process that exits
/// at once under a restart policy looks "running" between restarts, and
/// one look cannot tell.
pub const SETTLE: Duration = Duration::from_secs(1);

/// `--wait-timeout`'s default (README, "Readiness"), also how long a
/// rolling recreate waits for each replacement without `--wait`.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// How long [`wait`] sleeps between two batched inspects.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// Why a container cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not running: exited, created, paused or dead (its state word).
    Down { code: i64, word: String },
    /// Crash-looping ([`Readiness::CrashLooping`]): docker is restarting
    /// it (`last_exit` known), or its restart policy restarted it within
    /// the last minute (`last_exit` unknown: docker keeps no exit code
    /// while the container runs).
    CrashLooping {
        restarts: i64,
        last_exit: Option<i64>,
    },
    /// It restarted between two looks (and runs: its last exit code is
    /// gone).
    Restarted { from: i64, to: i64 },
    /// Its healthcheck fails: the last probe's output.
    Unhealthy(String),
    /// The inspect no longer lists it.
    Vanished,
}

impl Fault {
    /// The fault as a clause about `it` (`the replacement`, `` `coder-2` ``).
    pub(crate) fn clause(&self, it: &str) -> String {
        match self {
            Fault::Down { code, word } => format!("{it} exited with code {code} ({word})"),
            Fault::CrashLooping {
                restarts,
                last_exit: Some(code),
            } => format!(
                "{it} is crash-looping: docker is restarting it ({}, last exit {code})",
                restarts_phrase(*restarts)
            ),
            Fault::CrashLooping {
                restarts,
                last_exit: None,
            } => format!(
                "{it} is crash-looping: its restart policy restarted it less than {}s ago ({}, last exit {})",
                crate::snapshot::CRASH_WINDOW.as_secs(),
                restarts_phrase(*restarts),
                exit_phrase(None)
            ),
            Fault::Restarted { from, to } => {
                format!("{it} did not stay up: it restarted (restart count {from} → {to})")
            }
            Fault::Unhealthy(out) if out.is_empty() => format!("{it} is unhealthy"),
            Fault::Unhealthy(out) => format!("{it} is unhealthy: its healthcheck said `{out}`"),
            Fault::Vanished => format!("{it} vanished"),
        }
    }
}

/// What one look at a container says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    /// Not yet: its healthcheck has not passed, or it has not been up for
    /// [`SETTLE`].
    Pending,
    Failed(Fault),
}

/// One container watched over several looks: its first start time and
/// restart count, and since when it has been seen up.
#[derive(Debug, Default, Clone)]
pub struct Watch {
    first: Option<(String, i64)>,
    up_since: Option<Instant>,
}

impl Watch {
    /// Judges `s`, seen at `now`.
    pub fn look(&mut self, s: &ContainerSnapshot, now: Instant) -> Verdict {
        let st = &s.state;
        if st.restarting {
            return Verdict::Failed(Fault::CrashLooping {
                restarts: st.restart_count,
                last_exit: Some(st.exit_code),
            });
        }
        if !s.is_up() || st.dead {
            return Verdict::Failed(Fault::Down {
                code: st.exit_code,
                word: s.state_word(),
            });
        }
        match &self.first {
            Some((started, count)) if *started != st.started_at || *count != st.restart_count => {
                return Verdict::Failed(Fault::Restarted {
                    from: *count,
                    to: st.restart_count,
                });
            }
            Some(_) => {}
            None => self.first = Some((st.started_at.clone(), st.restart_count)),
        }
        let since = *self.up_since.get_or_insert(now);
        // The same reading of health as `status` ([`ContainerSnapshot::readiness`]).
        match s.readiness() {
            Readiness::CrashLooping {
                restarts,
                last_exit,
            } => Verdict::Failed(Fault::CrashLooping {
                restarts,
                last_exit,
            }),
            Readiness::Healthy => Verdict::Ready,
            Readiness::Unhealthy(out) => Verdict::Failed(Fault::Unhealthy(out)),
            Readiness::Starting => Verdict::Pending,
            _ if now.duration_since(since) >= SETTLE => Verdict::Ready,
            _ => Verdict::Pending,
        }
    }
}

/// What [`wait`] is asked, besides the containers.
pub struct Waiting<'a> {
    pub timeout: Duration,
    /// Set on SIGINT or SIGTERM: the wait ends at the next round.
    pub stop: &'a AtomicBool,
    /// Called after each round with (ready, total), for a live count.
    pub count: &'a (dyn Fn(usize, usize) + Sync),
}

/// Why a container was not ready when [`wait`] ended. Its `Display` is
/// the sentence people read (the container named in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// It failed: what, and `; its last output: …` from its logs (or "").
    Failed {
        name: String,
        fault: Fault,
        logs: String,
    },
    /// docker could not say: its words.
    Unknown { name: String, why: String },
    /// Still pending when the wait ran out.
    TimedOut { name: String, after: Duration },
    /// fleet was asked to stop while it was pending.
    Stopped { name: String },
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Failed { name, fault, logs } => write!(
                f,
                "{} while fleet waited for it to be ready{logs}",
                fault.clause(&format!("`{name}`"))
            ),
            NotReady::Unknown { name, why } => {
                write!(f, "could not tell whether `{name}` is ready: {why}")
            }
            NotReady::TimedOut { name, after } => write!(
                f,
                "`{name}` was not ready: the wait timed out after {}s",
                after.as_secs_f64()
            ),
            NotReady::Stopped { name } => write!(
                f,
                "`{name}` was not ready: fleet was asked to stop (SIGINT or SIGTERM) first"
            ),
        }
    }
}

/// Waits until every container in `names` is ready, has failed, or
/// `timeout` has passed, with one batched `docker inspect` of those still
/// pending a round, [`POLL`] apart. Returns, per name, `None` when it is
/// ready, or why it is not.
pub fn wait(runner: &dyn Runner, names: &[String], w: &Waiting) -> Vec<Option<NotReady>> {
    let t0 = Instant::now();
    let mut watches = vec![Watch::default(); names.len()];
    let mut result: Vec<Option<Option<NotReady>>> = vec![None; names.len()];
    loop {
        let pending: Vec<usize> = (0..names.len()).filter(|&i| result[i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        let now = Instant::now();
        let looked = look_all(runner, names, &pending);
        for (&i, seen) in pending.iter().zip(looked) {
            let verdict = match seen {
                Ok(Some(s)) => watches[i].look(&s, now),
                Ok(None) => Verdict::Failed(Fault::Vanished),
                Err(why) => {
                    result[i] = Some(Some(NotReady::Unknown {
                        name: names[i].clone(),
                        why,
                    }));
                    continue;
                }
            };
            result[i] = match verdict {
                Verdict::Ready => Some(None),
                Verdict::Pending => None,
                Verdict::Failed(fault) => Some(Some(failure(runner, &names[i], fault))),
            };
        }
        (w.count)(
            result.iter().filter(|r| matches!(r, Some(None))).count(),
            names.len(),
        );
        let left = result.iter().any(Option::is_none);
        if left && (t0.elapsed() >= w.timeout || w.stop.load(Ordering::Relaxed)) {
            let stopped = w.stop.load(Ordering::Relaxed);
            for (i, r) in result.iter_mut().enumerate().filter(|(_, r)| r.is_none()) {
                let name = names[i].clone();
                *r = Some(Some(match stopped {
                    true => NotReady::Stopped { name },
                    false => NotReady::TimedOut {
                        name,
                        after: w.timeout,
                    },
                }));
            }
        } else if left {
            std::thread::sleep(POLL.min(w.timeout.saturating_sub(t0.elapsed())));
        }
    }
    result.into_iter().map(Option::flatten).collect()
}

/// One batched inspect of `names[pending]`: each one's snapshot, `None`
/// when docker no longer knows it, or the error that kept docker from
/// answering at all.
fn look_all(
    runner: &dyn Runner,
    names: &[String],
    pending: &[usize],
) -> Vec<Result<Option<ContainerSnapshot>, String>> {
    let asked: Vec<&str> = pending.iter().map(|&i| names[i].as_str()).collect();
    let answer = runner.run(&argv::inspect(&asked));
    // The look's own time, for readiness (a restart less than a minute old).
    let seen_at = crate::time::now();
    let snaps = match answer {
        // docker prints the ones it knows and exits 1 for the others.
        Ok(out) if out.success() || !out.stdout.trim().is_empty() => parse_inspect(&out.stdout)
            .map(|mut snaps| {
                ContainerSnapshot::seen(&mut snaps, seen_at);
                snaps
            })
            .map_err(|e| format!("{e:#}")),
        Ok(out) if out.stderr.to_ascii_lowercase().contains("no such") => Ok(Vec::new()),
        Ok(out) => Err(format!("docker inspect failed: {}", out.stderr.trim())),
        Err(e) => Err(e.message()),
    };
    asked
        .iter()
        .map(|n| match &snaps {
            Ok(snaps) => Ok(snaps.iter().find(|s| s.name == *n || s.id == *n).cloned()),
            Err(e) => Err(e.clone()),
        })
        .collect()
}

/// `name`'s failure, with its last log lines.
fn failure(runner: &dyn Runner, name: &str, fault: Fault) -> NotReady {
    let logs = match fault {
        Fault::Vanished => String::new(),
        _ => last_lines(runner, name),
    };
    NotReady::Failed {
        name: name.to_string(),
        fault,
        logs,
    }
}

/// `; its last output: …` from a container's logs, or "" when there is none.
pub(crate) fn last_lines(runner: &dyn Runner, id: &str) -> String {
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
