//! A claim on one agent by a `fleet exec`, from the pick until its command
//! ends: two dispatches, from one machine or two, never land in the same
//! agent, and `sync`, `down` and rolling recreates treat a claimed agent as
//! busy.
//!
//! A claim is a never-started container `<agent>.fleet-claim` on the
//! agent's engine (image `fleet-lock:1`, empty, as the engine lock's):
//! docker creates a name at most once, so whoever creates it holds the
//! claim. Its labels say who (`fleet.claim=<project>`, the agent, the
//! holder `user@hostname pid N`, the pid namespace, pid and start time,
//! when it was taken and its grace). It has no `fleet.project` label, so
//! nothing that lists the project's agents takes it for one; its name ends
//! in `.fleet-claim`, which no agent's does.
//!
//! When a claim counts (it never outlives its holder for long):
//! - its holder runs on this machine (same boot and pid namespace): while
//!   that pid runs with the start time on the claim, however long;
//! - its holder is elsewhere: for its grace after it was taken (the
//!   `--wait-timeout` the holder allowed for the agent to be ready, plus
//!   [`GRACE_MARGIN`]), by this machine's clock. After that the agent is
//!   busy only while it has live exec sessions: the holder's command is one
//!   of them, so a claim whose machine died stops counting once its command
//!   ends (or at once, if the command never started), without an operator.
//!
//! A claim that no longer counts is removed by the next `fleet exec` that
//! wants the agent, or by the next `fleet sync` (by its ID, so a claim
//! someone else took meanwhile is never removed).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::docker::argv::LABEL_CLAIM;
use crate::docker::{Runner, argv, short_id};
use crate::engine_lock::{self, Holder};
use crate::error::{Error, Result};
use crate::snapshot::Claim;

/// Label keys of a claim's container (beside [`argv::LABEL_CLAIM`], its project).
const LABEL_AGENT: &str = "fleet.claim.agent";
const LABEL_HOLDER: &str = "fleet.claim.holder";
const LABEL_MACHINE: &str = "fleet.claim.machine";
const LABEL_PID_NS: &str = "fleet.claim.pid-ns";
const LABEL_PID: &str = "fleet.claim.pid";
const LABEL_PID_START: &str = "fleet.claim.pid-start";
const LABEL_SINCE: &str = "fleet.claim.since";
const LABEL_GRACE: &str = "fleet.claim.grace";

/// Added to the ready wait a holder allows, for the claim's grace: the
/// time from the pick to the command's start beyond the wait (a start, a
/// few docker calls), and the clocks of two machines.
pub(crate) const GRACE_MARGIN: Duration = Duration::from_secs(30);

/// The name of `agent`'s claim container.
pub(crate) fn claim_name(agent: &str) -> String {
    format!("{agent}.fleet-claim")
}

/// A claim as its labels say.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimInfo {
    pub id: String,
    pub agent: String,
    /// `user@hostname pid N`.
    pub holder: String,
    pub machine: String,
    pub pid_ns: Option<String>,
    pub pid: Option<u32>,
    pub pid_start: Option<u64>,
    /// Unix seconds, by the holder's clock.
    pub since: f64,
    pub grace: Duration,
}

impl ClaimInfo {
    /// A claim of `project`'s from a container's labels, if it is one.
    pub(crate) fn from_labels(
        id: &str,
        labels: &BTreeMap<String, String>,
        project: &str,
    ) -> Option<ClaimInfo> {
        if labels.get(LABEL_CLAIM).map(String::as_str) != Some(project) {
            return None;
        }
        let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
        Some(ClaimInfo {
            id: id.to_string(),
            agent: get(LABEL_AGENT),
            holder: get(LABEL_HOLDER),
            machine: get(LABEL_MACHINE),
            pid_ns: labels.get(LABEL_PID_NS).cloned(),
            pid: get(LABEL_PID).parse().ok(),
            pid_start: get(LABEL_PID_START).parse().ok(),
            since: get(LABEL_SINCE).parse().unwrap_or(0.0),
            grace: get(LABEL_GRACE)
                .parse::<f64>()
                .ok()
                .filter(|g| g.is_finite() && *g >= 0.0)
                .map_or(GRACE_MARGIN, Duration::from_secs_f64),
        })
    }

    /// Whether it still makes its agent busy (see the module doc), judged
    /// by `me`'s machine at `now` (Unix seconds).
    pub(crate) fn counts(&self, me: &Holder, now: f64) -> bool {
        let here = self.pid_ns.is_some() && self.pid_ns == me.pid_ns;
        match (here, self.pid.filter(|p| *p > 0)) {
            (true, Some(pid)) => crate::process::gone(pid, self.pid_start).is_none(),
            _ => now - self.since <= self.grace.as_secs_f64(),
        }
    }

    /// Whether `me` (this very process) holds it.
    pub(crate) fn is_held_by(&self, me: &Holder) -> bool {
        self.pid_ns.is_some()
            && self.pid_ns == me.pid_ns
            && self.pid == Some(me.pid)
            && self.pid_start == me.pid_start
    }

    /// The claim as a look at `now` (Unix seconds, this machine's clock)
    /// finds it.
    pub(crate) fn seen(&self, now: f64) -> Claim {
        Claim {
            holder: self.holder.clone(),
            machine: self.machine.clone(),
            pid: self.pid,
            since: self.since,
            age: (now - self.since).max(0.0),
        }
    }

    /// `claimed by <pid>@<hostname> since <age>`, for people
    /// ([`Claim::describe`]).
    pub fn describe(&self, now: f64) -> String {
        self.seen(now).describe()
    }
}

/// This machine's clock, in Unix seconds.
pub(crate) use crate::time::now;

/// A claim this run holds; released by [`Claimed::release`], or on drop.
pub(crate) struct Claimed<'r> {
    id: Option<String>,
    runner: &'r dyn Runner,
}

impl Claimed<'_> {
    /// Removes the claim (by its ID).
    pub(crate) fn release(mut self) -> Result<()> {
        match self.id.take() {
            Some(id) => engine_lock::remove(self.runner, &id)
                .map(drop)
                .map_err(|e| Error::from(e).context("could not release the claim")),
            None => Ok(()),
        }
    }
}

impl Drop for Claimed<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let _ = engine_lock::remove(self.runner, &id);
        }
    }
}

/// What asking for a claim came to.
pub(crate) enum Taken<'r> {
    Mine(Claimed<'r>),
    /// Someone else's claim counts: its description.
    Held(ClaimInfo),
    /// Other fleets took and freed the claim while this one tried: the
    /// agent is in demand right now (busy, for this look).
    Contended,
}

/// Claims `agent` of `project` for `me`, with `grace` (see the module doc).
/// A claim under the name that no longer counts is removed and the claim
/// taken again, once; a claim that others take and free meanwhile is
/// [`Taken::Contended`].
pub(crate) fn take<'r>(
    runner: &'r dyn Runner,
    project: &str,
    agent: &str,
    me: &Holder,
    grace: Duration,
) -> Result<Taken<'r>> {
    let name = claim_name(agent);
    let labels = labels(project, agent, me, grace);
    let create = argv::lock_create(&name, &labels);
    for _ in 0..2 {
        if let Some(id) = engine_lock::try_create(runner, &create, &name, None)? {
            return Ok(Taken::Mine(Claimed {
                id: Some(id),
                runner,
            }));
        }
        let Some(info) = read(runner, project, agent)? else {
            continue;
        };
        if info.counts(me, now()) {
            return Ok(Taken::Held(info));
        }
        engine_lock::remove(runner, &info.id).map_err(|e| {
            Error::from(e).context(format!(
                "could not remove `{agent}`'s lapsed claim ({})",
                short_id(&info.id)
            ))
        })?;
    }
    Ok(Taken::Contended)
}

/// `agent`'s claim, if there is one (one inspect by name). A container
/// under the claim's name that is not a claim of `project` is an error:
/// fleet never removes it.
pub(crate) fn read(runner: &dyn Runner, project: &str, agent: &str) -> Result<Option<ClaimInfo>> {
    let name = claim_name(agent);
    let cmd = argv::inspect(&[&name]);
    let out = runner.run(&cmd)?;
    if !out.success() {
        if engine_lock::no_such(&out.stderr) {
            return Ok(None);
        }
        return Err(Error::docker(format!(
            "could not read the claim `{name}`: {}",
            out.stderr.trim()
        )));
    }
    let docs: Vec<Inspected> = serde_json::from_str(&out.stdout).map_err(|e| {
        Error::docker(format!(
            "`docker inspect` of `{name}` printed what fleet cannot read"
        ))
        .because(e)
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(None);
    };
    let labels = doc.config.and_then(|c| c.labels).unwrap_or_default();
    match ClaimInfo::from_labels(&doc.id, &labels, project) {
        Some(info) => Ok(Some(info)),
        None => Err(Error::refused(format!(
            "the name `{name}` is taken by container {}, which is not a claim of project `{project}`; fleet never removes it",
            short_id(&doc.id)
        ))
        .with_help(format!("rename or remove that container so fleet can claim `{agent}`"))),
    }
}

#[derive(serde::Deserialize)]
struct Inspected {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Config")]
    config: Option<InspectedConfig>,
}

#[derive(serde::Deserialize)]
struct InspectedConfig {
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

/// The claim's labels, in argv order.
fn labels<'a>(project: &str, agent: &str, me: &Holder, grace: Duration) -> Vec<(&'a str, String)> {
    let mut l = vec![
        (LABEL_CLAIM, project.to_string()),
        (LABEL_AGENT, agent.to_string()),
        (LABEL_HOLDER, me.display()),
        (LABEL_MACHINE, me.machine.clone()),
        (LABEL_PID, me.pid.to_string()),
        (LABEL_SINCE, format!("{:.3}", now())),
        (LABEL_GRACE, format!("{:.3}", grace.as_secs_f64())),
    ];
    if let Some(ns) = &me.pid_ns {
        l.push((LABEL_PID_NS, ns.clone()));
    }
    if let Some(s) = me.pid_start {
        l.push((LABEL_PID_START, s.to_string()));
    }
    l
}
