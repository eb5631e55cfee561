//! The decision table: `(desired, actual) → Plan`. Pure: no process, no I/O,
//! no printing. Every action carries a reason a person can read; env values
//! never appear in one (only keys).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use serde::Serialize;

use crate::config::{Desired, Spec, name_order, placed_on};
use crate::docker::argv::{TEMP_SUFFIX, temp_name};
use crate::docker::service::LABEL_SWARM_SERVICE;
use crate::docker::short_id;
use crate::observe::Actual;
use crate::snapshot::{ContainerSnapshot, Readiness, env_digest};
use crate::spec::{self, ContainerState, ENGINE_ENV, normal_bind, normal_image_ref};

/// Where an action lands in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Created,
    Recreated,
    Started,
    /// An agent's own container (by its labels) found under another name
    /// and renamed back, nothing else to do.
    Renamed,
    Unchanged,
    Removed,
    Deferred,
    Failed,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Created => "created",
            Bucket::Recreated => "recreated",
            Bucket::Started => "started",
            Bucket::Renamed => "renamed",
            Bucket::Unchanged => "unchanged",
            Bucket::Removed => "removed",
            Bucket::Deferred => "deferred",
            Bucket::Failed => "failed",
        }
    }
}

/// What apply does for one action. Containers are addressed by ID once they
/// exist, so a rename or a foreign container taking a name cannot redirect a
/// mutation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Nothing (unchanged, deferred, conflict).
    Nothing,
    /// `docker run -d`.
    Run(Box<Desired>),
    /// `docker start <id>`. `rebuild` is set for a container that has never
    /// run (state `created`): if its start fails (e.g. a stale task an
    /// engine crash left behind), it is recreated instead, since nothing of
    /// it can be lost.
    Start {
        id: String,
        rebuild: Option<Box<Desired>>,
    },
    /// `docker unpause <id>`.
    Unpause { id: String },
    /// The swap (ARCHITECTURE.md, "Recreate"): create the replacement under
    /// the temporary name, stop the old, start the new, confirm it runs,
    /// then remove the old and give the new the name. A replacement that
    /// cannot be created, started or confirmed is removed and the old one
    /// started again. `old_dead`: a dead container cannot be stopped or
    /// started, so it is neither.
    Recreate {
        desired: Box<Desired>,
        old_id: String,
        old_dead: bool,
    },
    /// `docker rm -f <id>`.
    Remove { id: String },
    /// On a swarm: what is done to an agent's service (`swarm/`).
    Service(Box<ServiceOp>),
}

/// What a swarm run does to one agent (DESIGN.md "Swarm"). Services are
/// addressed by ID once they exist.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceOp {
    /// `docker service create`: `constraints` are the type's and a pinned
    /// agent's node; `image_id` the manager's ID of its image.
    Create {
        desired: Desired,
        constraints: Vec<String>,
        image_id: Option<String>,
    },
    /// `docker service update` to the config (Swarm rolls back a new task
    /// that fails).
    Update {
        id: String,
        desired: Desired,
        held: Box<crate::docker::service::Held>,
        constraints: Vec<String>,
        image_id: Option<String>,
    },
    /// `docker service scale NAME=1` of a service scaled to 0.
    Start { id: String },
    /// `docker service rm`.
    Remove { id: String },
    /// `docker rm -f` of a plain container of the project on a node's
    /// engine (the project moved to the swarm): on `host`.
    RemovePlain { host: String, id: String },
    /// Nothing to do: an agent Swarm does not run, reported with Swarm's
    /// reason (its action's).
    Reported,
}

impl ServiceOp {
    pub fn verb(&self) -> &'static str {
        match self {
            ServiceOp::Create { .. } => "create",
            ServiceOp::Update { .. } => "update",
            ServiceOp::Start { .. } => "start",
            ServiceOp::Remove { .. } | ServiceOp::RemovePlain { .. } => "remove",
            ServiceOp::Reported => "none",
        }
    }
}

impl Op {
    /// The verb used in messages and in the `failed` bucket.
    pub fn verb(&self) -> &'static str {
        match self {
            Op::Nothing => "none",
            Op::Run(_) => "create",
            Op::Start { .. } => "start",
            Op::Unpause { .. } => "unpause",
            Op::Recreate { .. } => "recreate",
            Op::Remove { .. } => "remove",
            Op::Service(s) => s.verb(),
        }
    }
}

/// An agent's container found under another name, renamed back before its
/// action runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Rename {
    pub id: String,
    /// The name it has now.
    pub from: String,
}

/// The decision for one container.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub name: String,
    /// The agent type, when known (from the config or the container's label).
    pub type_name: Option<String>,
    pub bucket: Bucket,
    /// `docker rename` first (phase 2 of apply), when set.
    pub rename: Option<Rename>,
    pub op: Op,
    pub reason: String,
    /// Whether the container matches its desired spec: `None` when there is
    /// no container of ours or no desired spec to compare.
    pub matches: Option<bool>,
    /// A container left as it is that is not ready to take work
    /// (crash-looping, unhealthy): its readiness word.
    pub unready: Option<String>,
    /// The host it is on or goes to, when the config declares hosts.
    pub host: Option<String>,
    /// A removal of a container whose instance the config places on
    /// another host now: that host. It runs only once the instance runs
    /// there (create, confirm, then remove).
    pub moved_to: Option<String>,
}

impl Action {
    /// The error of an action that fails by decision (a name conflict),
    /// before any docker command: its reason.
    pub(crate) fn planned_failure(&self) -> Option<String> {
        (self.bucket == Bucket::Failed).then(|| self.reason.clone())
    }
}

/// The decisions for a whole project, desired containers first (by type and
/// instance), then removals (by name).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub project: String,
    pub actions: Vec<Action>,
}

impl Plan {
    /// True when applying would change something (deferred counts: the
    /// fleet is not converged).
    pub fn pending(&self) -> bool {
        self.actions
            .iter()
            .any(|a| !matches!(a.bucket, Bucket::Unchanged | Bucket::Failed))
    }

    pub(crate) fn has_failures(&self) -> bool {
        self.actions.iter().any(|a| a.bucket == Bucket::Failed)
    }
}

/// Knobs that change decisions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Recreate or remove even with live `docker exec` sessions.
    pub force: bool,
    /// Accept a config that declares no container while some exist.
    pub allow_empty: bool,
}

/// The decision table of DESIGN.md, for every desired and every managed
/// container. Errors only for the empty-config guard.
///
/// A container of the project is an agent's by its labels, not its name:
/// `fleet.type` and `fleet.instance` name its slot. Each desired slot keeps
/// one container (the one holding the desired name, else the best of the
/// others), renamed back when it lives under another name; every other
/// container of the slot (a leftover replacement, a duplicate) is removed
/// with a reason that says so.
pub fn plan(project: &str, desired: &[Desired], actual: &Actual, opts: Options) -> Result<Plan> {
    plan_on(project, None, desired, actual, opts)
}

/// [`plan`] for one host of several: `desired` is the whole fleet, `actual`
/// what this host's engine holds. The containers placed on `host` are
/// decided as on one host; a container found here whose instance the
/// config places on another host is removed (`moved_to` set: apply removes
/// it only once the instance runs there). Every action carries `host`.
pub(crate) fn plan_on(
    project: &str,
    host: Option<&str>,
    desired: &[Desired],
    actual: &Actual,
    opts: Options,
) -> Result<Plan> {
    let task = |c: &ContainerSnapshot| c.labels.contains_key(LABEL_SWARM_SERVICE);
    if actual.containers.iter().any(task) {
        // Swarm's containers are Swarm's: a task removed here would be
        // started again by Swarm, and a task renamed would be an agent
        // twice. Planned without them, each shown left alone.
        let mut plain = actual.clone();
        plain.containers.retain(|c| !task(c));
        let mut plan = plan_on(project, host, desired, &plain, opts)?;
        // Only the running ones: a stopped task is Swarm's history, which
        // Swarm prunes by itself.
        let live = |c: &&ContainerSnapshot| task(c) && c.is_up() && c.project() == Some(project);
        for c in actual.containers.iter().filter(live) {
            let service = &c.labels[LABEL_SWARM_SERVICE];
            plan.actions.push(Action {
                name: c.name.clone(),
                type_name: c.type_name().map(str::to_string),
                bucket: Bucket::Deferred,
                rename: None,
                op: Op::Nothing,
                reason: format!(
                    "a task of the swarm service `{service}`: Swarm's, left alone (this config has no `swarm`); once the agents run here, remove the service on a manager: `docker service rm {service}`"
                ),
                matches: None,
                unready: None,
                host: host.map(str::to_string),
                moved_to: None,
            });
        }
        return Ok(plan);
    }
    let ours = |c: &ContainerSnapshot| c.project() == Some(project);
    let managed = actual.containers.iter().filter(|c| ours(c)).count();
    if desired.is_empty() && managed > 0 && !opts.allow_empty {
        return Err(Error::refused(format!(
            "the config declares no container, but project `{project}` has {managed}; refusing to remove them all"
        ))
        .with_help("if the fleet really should be empty, rerun with --allow-empty"));
    }
    let here: Vec<Desired> = (placed_on(desired, host).into_iter()).cloned().collect();
    let slots = Slots::of(project, &here, actual);
    let mut world = World {
        project,
        actual,
        opts,
        by_name: (actual.containers.iter())
            .map(|c| (c.name.as_str(), c))
            .collect(),
        kept: slots.kept(actual),
        removed: BTreeSet::new(),
        busy_leftover: BTreeMap::new(),
    };
    // Removals first: the names they free are free for the rest.
    let mut removals = world.removals(&slots, desired);
    let mut actions: Vec<Action> = here.iter().map(|d| world.decide_slot(d)).collect();
    // Desired containers first (config order), then removals (name order).
    removals.sort_by(|a, b| name_order(&a.name).cmp(&name_order(&b.name)));
    actions.extend(removals);
    for a in &mut actions {
        a.host = host.map(str::to_string);
    }
    Ok(Plan {
        project: project.to_string(),
        actions,
    })
}

/// A desired slot: (type, instance).
type Slot = (String, u32);

/// Every container of the project, by the desired slot its labels name, or
/// none (a stray).
struct Slots<'a> {
    desired: BTreeMap<Slot, &'a Desired>,
    members: BTreeMap<Slot, Vec<&'a ContainerSnapshot>>,
    strays: Vec<&'a ContainerSnapshot>,
}

impl<'a> Slots<'a> {
    fn of(project: &str, desired: &'a [Desired], actual: &'a Actual) -> Slots<'a> {
        let desired: BTreeMap<Slot, &Desired> = desired
            .iter()
            .map(|d| ((d.type_name.clone(), d.instance), d))
            .collect();
        let slot_of = |c: &ContainerSnapshot| Some((c.type_name()?.to_string(), c.instance()?));
        let mut members: BTreeMap<Slot, Vec<&ContainerSnapshot>> = BTreeMap::new();
        let mut strays = Vec::new();
        for c in (actual.containers.iter()).filter(|c| c.project() == Some(project)) {
            match slot_of(c).filter(|s| desired.contains_key(s)) {
                Some(slot) => members.entry(slot).or_default().push(c),
                None => strays.push(c),
            }
        }
        Slots {
            desired,
            members,
            strays,
        }
    }

    /// The container each slot keeps.
    fn kept(&self, actual: &Actual) -> BTreeMap<Slot, &'a ContainerSnapshot> {
        (self.members.iter())
            .filter_map(|(slot, ms)| Some((slot.clone(), keeper(self.desired[slot], ms, actual)?)))
            .collect()
    }
}

/// What the decisions for desired containers need to know of the engine
/// and of the removals decided before them.
struct World<'a> {
    project: &'a str,
    actual: &'a Actual,
    opts: Options,
    by_name: BTreeMap<&'a str, &'a ContainerSnapshot>,
    kept: BTreeMap<Slot, &'a ContainerSnapshot>,
    /// Names the removals free.
    removed: BTreeSet<&'a str>,
    /// Leftover replacements that stay, being busy, by their agent's name.
    busy_leftover: BTreeMap<String, &'a ContainerSnapshot>,
}

impl<'a> World<'a> {
    fn ours(&self, c: &ContainerSnapshot) -> bool {
        c.project() == Some(self.project)
    }

    /// Is `name` free for a container of `slot` once removals have run? A
    /// name held by a container that is itself renamed away is not counted
    /// free (renames run side by side).
    fn free(&self, name: &str, slot: &Slot) -> bool {
        match self.by_name.get(name) {
            None => true,
            Some(h) => {
                self.removed.contains(name)
                    || (self.ours(h) && self.kept.get(slot).is_some_and(|k| k.id == h.id))
            }
        }
    }

    /// The removals: strays, and every member of a slot but the one kept.
    fn removals(&mut self, slots: &Slots<'a>, desired: &[Desired]) -> Vec<Action> {
        let mut actions = Vec::new();
        for &c in &slots.strays {
            let elsewhere = placed_elsewhere(c, desired);
            let reason = match (&elsewhere, c.type_name(), c.instance()) {
                (Some(h), Some(t), Some(i)) => format!(
                    "instance {i} of type `{t}` is placed on host `{h}` now; removed here once it runs there"
                ),
                _ => removal_reason(c, desired),
            };
            let mut a = guard_busy(removal(c, reason), c, self.opts);
            if a.bucket == Bucket::Removed {
                a.moved_to = elsewhere;
            }
            if a.bucket == Bucket::Removed {
                self.removed.insert(&c.name);
            }
            actions.push(a);
        }
        for (slot, ms) in &slots.members {
            let d = slots.desired[slot];
            let keep = self.kept[slot];
            for &c in ms.iter().filter(|c| c.id != keep.id) {
                let leftover = c.name == temp_name(&d.name);
                let reason = if leftover {
                    format!(
                        "leftover replacement of `{}` from an interrupted recreate",
                        d.name
                    )
                } else {
                    format!(
                        "another container for instance {} of type `{}`; `{}` ({}) is kept",
                        d.instance,
                        d.type_name,
                        keep.name,
                        short_id(&keep.id)
                    )
                };
                let a = guard_busy(removal(c, reason), c, self.opts);
                if a.bucket == Bucket::Removed {
                    self.removed.insert(&c.name);
                } else if leftover {
                    self.busy_leftover.insert(d.name.clone(), c);
                }
                actions.push(a);
            }
        }
        actions
    }

    /// The decision for one desired container: created, conflict,
    /// deferred while its name is held or its container being removed, or
    /// [`decide`] on the container its slot keeps.
    fn decide_slot(&self, d: &Desired) -> Action {
        let slot = (d.type_name.clone(), d.instance);
        let holder = self.by_name.get(d.name.as_str()).copied();
        let keep = self.kept.get(&slot).copied();
        match (keep, holder) {
            (keep, Some(h)) if !self.ours(h) => conflict(self.project, d, h, keep),
            (None, Some(h)) if !self.free(&d.name, &slot) => desired_action(
                d,
                Bucket::Deferred,
                Op::Nothing,
                format!(
                    "absent; its name is held by `{}` of this project ({}), which stays this run; rename or remove that container, then sync",
                    h.name,
                    agent_of(h)
                ),
            ),
            (None, _) => desired_action(
                d,
                Bucket::Created,
                Op::Run(Box::new(d.clone())),
                "absent".into(),
            ),
            (Some(c), _) if c.state.status == ContainerState::Removing => Action {
                matches: Some(false),
                ..desired_action(
                    d,
                    Bucket::Deferred,
                    Op::Nothing,
                    format!(
                        "`{}` is being removed by the engine; left alone, the next sync creates it",
                        c.name
                    ),
                )
            },
            (Some(c), _) if c.name != d.name && !self.free(&d.name, &slot) => desired_action(
                d,
                Bucket::Deferred,
                Op::Nothing,
                format!(
                    "instance {} of type `{}` is `{}`, and its name is held by `{}`; rename or remove that container, then sync",
                    d.instance,
                    d.type_name,
                    c.name,
                    holder.map_or("?", |h| h.name.as_str())
                ),
            ),
            (Some(c), _) => {
                let temp_busy = self.busy_leftover.get(&d.name).copied();
                let temp_foreign = (self.by_name.get(temp_name(&d.name).as_str()))
                    .filter(|t| !self.ours(t))
                    .copied();
                decide(
                    d,
                    c,
                    self.actual,
                    self.opts,
                    Temp {
                        busy: temp_busy,
                        foreign: temp_foreign,
                    },
                )
            }
        }
    }
}

/// An action for desired container `d` with no rename and no comparison.
fn desired_action(d: &Desired, bucket: Bucket, op: Op, reason: String) -> Action {
    Action {
        name: d.name.clone(),
        type_name: Some(d.type_name.clone()),
        bucket,
        rename: None,
        op,
        reason,
        matches: None,
        unready: None,
        host: None,
        moved_to: None,
    }
}

/// The container a desired slot keeps among its members: the one holding
/// the desired name if it runs; else one that matches the config and runs
/// (a swap cut off after its replacement started); else the one holding
/// the name; else a running one; else the first by name. Never one the
/// engine is removing while another exists.
fn keeper<'a>(
    d: &Desired,
    members: &[&'a ContainerSnapshot],
    actual: &Actual,
) -> Option<&'a ContainerSnapshot> {
    let good = |c: &ContainerSnapshot| {
        c.is_up() && !c.state.dead && drift_reasons(d, c, actual).is_empty()
    };
    let removing = |c: &ContainerSnapshot| c.state.status == ContainerState::Removing;
    members.iter().copied().max_by(|a, b| {
        let score = |c: &'a ContainerSnapshot| {
            (
                !removing(c),
                c.name == d.name && c.is_up(),
                good(c),
                c.name == d.name,
                c.is_up(),
                std::cmp::Reverse(name_order(&c.name)),
            )
        };
        score(a).cmp(&score(b))
    })
}

fn removal(c: &ContainerSnapshot, reason: String) -> Action {
    if c.state.status == ContainerState::Removing {
        return Action {
            name: c.name.clone(),
            type_name: c.type_name().map(str::to_string),
            bucket: Bucket::Deferred,
            rename: None,
            op: Op::Nothing,
            reason: "being removed by the engine; left alone".into(),
            matches: None,
            unready: None,
            host: None,
            moved_to: None,
        };
    }
    Action {
        name: c.name.clone(),
        type_name: c.type_name().map(str::to_string),
        bucket: Bucket::Removed,
        rename: None,
        op: Op::Remove { id: c.id.clone() },
        reason,
        matches: None,
        unready: None,
        host: None,
        moved_to: None,
    }
}

/// The decision for a desired container whose slot has a container of ours
/// (`c`, renamed back first when it lives under another name).
/// What holds a desired container's temporary (replacement) name: a
/// busy leftover of ours, or a container of someone else's.
struct Temp<'a> {
    busy: Option<&'a ContainerSnapshot>,
    foreign: Option<&'a ContainerSnapshot>,
}

fn decide(
    d: &Desired,
    c: &ContainerSnapshot,
    actual: &Actual,
    opts: Options,
    temp: Temp,
) -> Action {
    let (temp_busy, temp_foreign) = (temp.busy, temp.foreign);
    let drift = if c.state.dead {
        vec!["dead".to_string()]
    } else {
        drift_reasons(d, c, actual)
    };
    if drift.is_empty() {
        return matching(d, c);
    }
    let why = if c.name != d.name {
        format!("found as `{}`; {}", c.name, drift.join(", "))
    } else {
        drift.join(", ")
    };
    let action = |bucket, rename, op, reason| Action {
        rename,
        matches: Some(false),
        ..desired_action(d, bucket, op, reason)
    };
    if let Some(t) = temp_foreign {
        let reason = format!(
            "cannot recreate ({why}): its temporary name `{}` is held by container {}, which lacks this project's labels; rename or remove it",
            t.name,
            short_id(&t.id)
        );
        return action(Bucket::Failed, None, Op::Nothing, reason);
    }
    // Renamed back first: the replacement's temporary name may be the
    // very name the old container lives under.
    let recreate = action(
        Bucket::Recreated,
        rename_back(d, c),
        Op::Recreate {
            desired: Box::new(d.clone()),
            old_id: c.id.clone(),
            old_dead: c.state.dead,
        },
        why,
    );
    let recreate = guard_busy(recreate, c, opts);
    match temp_busy {
        Some(t) if recreate.bucket == Bucket::Recreated => Action {
            bucket: Bucket::Deferred,
            op: Op::Nothing,
            reason: format!(
                "its leftover replacement `{}` has live exec sessions; would recreate: {}",
                t.name, recreate.reason
            ),
            ..recreate
        },
        _ => recreate,
    }
}

/// The rename back, when the container lives under another name.
fn rename_back(d: &Desired, c: &ContainerSnapshot) -> Option<Rename> {
    (c.name != d.name).then(|| Rename {
        id: c.id.clone(),
        from: c.name.clone(),
    })
}

/// The decision for a container that matches its desired spec: left alone
/// when it runs, else unpaused or started.
fn matching(d: &Desired, c: &ContainerSnapshot) -> Action {
    let rename = rename_back(d, c);
    let was = |why: String| match &rename {
        Some(r) => format!("found as `{}`, renamed back; {why}", r.from),
        None => why,
    };
    let readiness = c.readiness();
    let unready = matches!(
        readiness,
        Readiness::CrashLooping { .. } | Readiness::Unhealthy(_)
    )
    .then(|| readiness.word());
    let (bucket, op, why) = if c.state.running && !c.state.paused {
        let why = match &unready {
            Some(word) => format!("matches, but {word}"),
            None => "running, matches".to_string(),
        };
        let bucket = match rename {
            Some(_) => Bucket::Renamed,
            None => Bucket::Unchanged,
        };
        (bucket, Op::Nothing, why)
    } else if c.state.paused {
        let op = Op::Unpause { id: c.id.clone() };
        (Bucket::Started, op, "paused, matches".to_string())
    } else {
        let never_ran = c.state.status == ContainerState::Created;
        let op = Op::Start {
            id: c.id.clone(),
            rebuild: never_ran.then(|| Box::new(d.clone())),
        };
        (Bucket::Started, op, format!("{}, matches", c.state_word()))
    };
    Action {
        reason: was(why),
        rename,
        matches: Some(true),
        unready,
        ..desired_action(d, bucket, op, String::new())
    }
}

/// Turns a recreate or remove of a container with live exec sessions into a
/// deferral, unless forced.
fn guard_busy(action: Action, c: &ContainerSnapshot, opts: Options) -> Action {
    match busy_words(c) {
        Some(busy) if !opts.force && action.bucket != Bucket::Deferred => deferred(action, &busy),
        _ => action,
    }
}

/// Why `c` is busy (its claim, its live exec sessions), or `None`.
pub(crate) fn busy_words(c: &ContainerSnapshot) -> Option<String> {
    let n = c.exec_ids.len();
    let sessions = if n == 1 { "session" } else { "sessions" };
    match &c.claim {
        Some(claim) => Some(format!("{}, {n} live exec {sessions}", claim.describe())),
        None if n > 0 => Some(format!("{n} live exec {sessions}")),
        None => None,
    }
}

/// `action` left for a later run, `why` first.
pub(crate) fn deferred(action: Action, why: &str) -> Action {
    Action {
        bucket: Bucket::Deferred,
        reason: format!("{why}; would {}: {}", action.op.verb(), action.reason),
        op: Op::Nothing,
        ..action
    }
}

/// `d`'s name is held by `c`, which is not this project's; `keep` is the
/// container of `d`'s slot, if any (it lives under another name).
fn conflict(
    project: &str,
    d: &Desired,
    c: &ContainerSnapshot,
    keep: Option<&ContainerSnapshot>,
) -> Action {
    let owner = match c.project() {
        Some(p) => format!("belongs to project `{p}`"),
        None => "has no fleet labels".to_string(),
    };
    let mut reason = format!(
        "name conflict: container {} holding this name {owner}, not fleet.project={project}; fleet never touches it (rename or remove it yourself)",
        short_id(&c.id)
    );
    if let Some(k) = keep {
        reason += &format!(
            "; instance {} of type `{}` is `{}`, left as it is until the name is free",
            d.instance, d.type_name, k.name
        );
    }
    desired_action(d, Bucket::Failed, Op::Nothing, reason)
}

/// Which agent a container of the project is, by its labels, for a message.
fn agent_of(c: &ContainerSnapshot) -> String {
    match c.type_name() {
        None => "no fleet.type".to_string(),
        Some(t) => format!(
            "type `{t}`, instance {}",
            c.instance().map_or("?".into(), |i| i.to_string())
        ),
    }
}

/// Why the container differs from its desired spec; empty when it matches.
/// "Matches" = same config hash and same image ID as the reference resolves
/// to now. When the hash differs, the fields that differ are named (env keys
/// only, never values); a hash difference found in no compared field is
/// reported as such.
pub fn drift_reasons(d: &Desired, c: &ContainerSnapshot, actual: &Actual) -> Vec<String> {
    let mut why = Vec::new();
    match c.config_hash() {
        None => why.push("no fleet.config-hash label".to_string()),
        Some(h) if h != d.hash => {
            let s = &d.spec;
            if normal_image_ref(&c.image_ref) != normal_image_ref(&s.image) {
                why.push(format!("image {} → {}", c.image_ref, s.image));
            }
            why.extend(field_changes(s, c));
            let image_env = actual.images.get(&s.image).map(|i| &i.env_keys);
            let mut env = Vec::new();
            for (k, v) in &s.env {
                match c.env_digests.get(k) {
                    None => env.push(format!("env {k} added")),
                    Some(dg) if *dg != env_digest(v) => env.push(format!("env {k} changed")),
                    Some(_) => {}
                }
            }
            for (k, dg) in &c.env_digests {
                let from_image = image_env.is_some_and(|keys| keys.contains(k));
                let engine = ENGINE_ENV.contains(&k.as_str()) || engine_default(k, dg);
                if !s.env.contains_key(k) && !from_image && !engine && image_env.is_some() {
                    env.push(format!("env {k} removed"));
                }
            }
            why.extend(env);
            let old_labels: BTreeMap<&String, &String> = c
                .labels
                .iter()
                .filter(|(k, _)| !k.starts_with(crate::config::RESERVED_LABEL_PREFIX))
                .collect();
            let new_labels: BTreeMap<&String, &String> = s.labels.iter().collect();
            if s.labels
                .keys()
                .any(|k| old_labels.get(k) != new_labels.get(k))
            {
                why.push("labels changed".to_string());
            }
            if why.is_empty() {
                why.push("config changed (fleet.config-hash differs)".to_string());
            }
        }
        Some(_) => {}
    }
    if let Some(img) = actual.images.get(&d.spec.image)
        && img.id != c.image_id
    {
        why.push(format!(
            "image {} moved ({} → {})",
            d.spec.image,
            short_id(&c.image_id),
            short_id(&img.id)
        ));
    }
    why
}

/// Env values an engine writes into `Config.Env` on its own when neither
/// the image nor the run gives the key: podman gives every container the
/// default `PATH` (containers/common's `DefaultEnvVariables`) when its
/// image has none. Docker's default `PATH` (the same string) reaches only
/// the process, never `Config.Env` (fixtures/inspect/: image without `Env`,
/// container with its own key only).
const ENGINE_DEFAULT_ENV: [(&str, &str); 1] = [(
    "PATH",
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
)];

/// Whether the container's `key` (its value's digest `digest`) is exactly
/// what the engine writes by default: by key and value, so a value the
/// config once set and has since dropped is still "removed" (unless it was
/// the engine's default itself, which the container keeps either way).
fn engine_default(key: &str, digest: &str) -> bool {
    ENGINE_DEFAULT_ENV
        .iter()
        .any(|(k, v)| *k == key && env_digest(v) == digest)
}

/// The docker-visible fields of `s` that differ from the container, each
/// as a short phrase. Fields the config leaves unset (the image's default)
/// are not compared. Env and labels are compared by the caller.
fn field_changes(s: &Spec, c: &ContainerSnapshot) -> Vec<String> {
    let mut why = launch_changes(s, c);
    why.extend(mount_changes(&s.mounts, &c.binds));
    let mut differs = |what: &str, have: &str, want: &str| {
        if have != want {
            why.push(format!("{what} {} → {}", or_unset(have), or_unset(want)));
        }
    };
    if let Some(w) = &s.workdir {
        differs("workdir", &c.workdir, w);
    }
    if let Some(u) = &s.user {
        differs("user", &c.user, u);
    }
    if let Some(n) = &s.network {
        differs("network", &c.network, n);
    }
    if !c.restart.is_empty() {
        differs("restart", &c.restart, s.restart.as_str());
    }
    if s.memory.as_ref().map_or(0, spec::Memory::bytes) != c.memory {
        let want = s.memory.as_ref().map_or("", spec::Memory::as_str);
        differs("memory", &spec::memory_text(c.memory), want);
    }
    let want_cpus = s.cpus.map_or(0, spec::nano_cpus);
    if want_cpus != c.nano_cpus {
        let (have, want) = (spec::cpus_text(c.nano_cpus), spec::cpus_text(want_cpus));
        differs("cpus", &have, &want);
    }
    if s.init != c.init {
        differs("init", &c.init.to_string(), &s.init.to_string());
    }
    if let Some(h) = &s.healthcheck {
        why.extend(h.changes(c.healthcheck.as_ref()));
    }
    why
}

fn or_unset(v: &str) -> &str {
    if v.is_empty() { "unset" } else { v }
}

/// The entrypoint and command, compared as docker holds them (the
/// entrypoint split of [`Spec::launch`]).
fn launch_changes(s: &Spec, c: &ContainerSnapshot) -> Vec<String> {
    let mut why = Vec::new();
    let launch = s.launch();
    if launch.program.is_some() {
        let have = c
            .entrypoint
            .as_ref()
            .and_then(|e| e.first())
            .map(String::as_str);
        if have != launch.inspect_program() {
            why.push("entrypoint changed".to_string());
        }
    }
    if let Some(want) = &launch.args {
        let have: Vec<&str> = c.command.iter().flatten().map(String::as_str).collect();
        if have != *want {
            why.push("command changed".to_string());
        }
    }
    why
}

/// The mounts added and removed, in one phrase, if any.
fn mount_changes(want: &[String], have: &[String]) -> Option<String> {
    let mut want: Vec<String> = want.iter().map(|b| normal_bind(b)).collect();
    let mut have: Vec<String> = have.iter().map(|b| normal_bind(b)).collect();
    want.sort();
    have.sort();
    if want == have {
        return None;
    }
    let added: Vec<&str> = (want.iter().filter(|m| !have.contains(m)))
        .map(|m| m.as_str())
        .collect();
    let gone: Vec<&str> = (have.iter().filter(|m| !want.contains(m)))
        .map(|m| m.as_str())
        .collect();
    Some(match (added.is_empty(), gone.is_empty()) {
        (false, true) => format!("mounts added: {}", added.join(" ")),
        (true, false) => format!("mounts removed: {}", gone.join(" ")),
        _ => format!("mounts {} → {}", gone.join(" "), added.join(" ")),
    })
}

/// The host the config places `c`'s instance on, when that instance is
/// desired (on another host than the one `c` was found on: the caller
/// only asks about containers no slot of this host keeps).
fn placed_elsewhere(c: &ContainerSnapshot, desired: &[Desired]) -> Option<String> {
    if c.name.ends_with(TEMP_SUFFIX) {
        return None;
    }
    let (t, i) = (c.type_name()?, c.instance()?);
    let d = desired
        .iter()
        .find(|d| d.type_name == t && d.instance == i)?;
    d.host.clone()
}

/// Why a container of the project that no desired slot keeps is removed.
fn removal_reason(c: &ContainerSnapshot, desired: &[Desired]) -> String {
    if c.name.ends_with(TEMP_SUFFIX) && c.type_name().is_none() {
        return "leftover replacement from an interrupted recreate".to_string();
    }
    let (Some(t), Some(i)) = (c.type_name(), c.instance()) else {
        return format!(
            "its labels name no agent (fleet.type {}, fleet.instance {})",
            c.type_name()
                .map_or("missing".to_string(), |t| format!("`{t}`")),
            c.labels
                .get(crate::docker::argv::LABEL_INSTANCE)
                .map_or("missing".to_string(), |i| format!("`{i}`"))
        );
    };
    let leftover = if c.name.ends_with(TEMP_SUFFIX) {
        "leftover replacement from an interrupted recreate; "
    } else {
        ""
    };
    match desired.iter().filter(|d| d.type_name == t).count() {
        0 => format!("{leftover}type `{t}` is no longer in the config"),
        n => format!("{leftover}instance {i} is beyond types.{t}.instances = {n}"),
    }
}
