//! `fleet exec`: work into a ready, idle agent (DESIGN.md, "Dispatch").
//!
//! The target is an agent (`coder-2`: that one) or a type (`coder`: a
//! member that is ready and idle, on any host; a stopped one only when no
//! running one is idle). The agent is claimed ([`crate::claim`]) from the
//! pick until the command ends, made ready (started when exited or created,
//! unpaused when paused, then ready as `--wait` judges it), and the command
//! runs in it with `docker exec`, fleet's stdin (when not a terminal, or
//! with `-i`), stdout and stderr passed through untouched. Its exit status
//! is fleet's; fleet's own failures are 125 (as `docker run`'s), every
//! member busy 75 (`EX_TEMPFAIL`).
//!
//! Env for the command goes in a private env file (mode 0600, removed when
//! the command ends) that `docker exec --env-file` reads: never on an argv,
//! never in the docker CLI's environment, never printed. A signal fleet
//! gets (SIGINT, SIGTERM, SIGHUP) is forwarded to the command's processes,
//! found in the agent by the `FLEET_EXEC_ID` each carries in its
//! environment (a `docker exec … sh -c` that needs `sh` and `/proc`).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::claim::{self, Claimed, Taken};
use crate::config::{Config, Desired};
use crate::context::{Context, Event};
use crate::docker::{Attach, Cmd, Runner, argv, run_ok};
use crate::engine_lock::Holder;
use crate::error::{Error, Kind, Result};
use crate::place::{self, Place};
use crate::snapshot::{ContainerSnapshot, Readiness};
use crate::spec::ContainerState;

/// `docker run`'s code for a failure of its own, which `fleet exec` uses
/// for fleet's: the command never ran.
pub const EXIT_FLEET_FAILED: i32 = 125;
/// Every member busy (`EX_TEMPFAIL`): try again later, or `--queue`.
pub const EXIT_BUSY: i32 = 75;

/// What `fleet exec` was asked.
#[derive(Debug, Clone)]
pub struct Request {
    /// An agent's name or a type's.
    pub target: String,
    pub cmd: Vec<String>,
    /// `-i`: stdin passed on even from a terminal.
    pub interactive: bool,
    pub tty: bool,
    /// `--queue`: how long to wait for a busy pool.
    pub queue: Option<Duration>,
    /// `--env` and `--env-file`, read: (key, value).
    pub env: Vec<(String, String)>,
    /// How long the agent may take to be ready.
    pub wait_timeout: Duration,
}

/// How `fleet exec` ended: the command's exit code, or fleet's failure and
/// its code (125, 75, 130).
#[derive(Debug)]
pub enum Dispatched {
    Ran(i32),
    Failed { code: i32, error: Error },
}

/// The members the target names, by place.
struct Pool<'a> {
    members: Vec<&'a Desired>,
    /// An agent named by the caller (not a type's pick).
    named: bool,
}

/// `fleet exec`.
pub(crate) fn exec(ctx: &Context, config: &Config, req: &Request) -> Dispatched {
    match run(ctx, config, req) {
        Ok(code) => Dispatched::Ran(code),
        Err((code, error)) => Dispatched::Failed { code, error },
    }
}

type Failed = (i32, Error);

fn fleet_failed(e: Error) -> Failed {
    (EXIT_FLEET_FAILED, e)
}

fn run(ctx: &Context, config: &Config, req: &Request) -> std::result::Result<i32, Failed> {
    // The docker CLI would refuse it only after the claim and the wake, in
    // words (and an exit code, 1) that read as the command's.
    if req.tty && !ctx.stdin_is_terminal {
        return Err(fleet_failed(
            Error::new(
                Kind::Usage,
                "-t gives the command a terminal for the one fleet reads from, and stdin is not a terminal",
            )
            .with_help("drop -t to pass stdin through as it is"),
        ));
    }
    let desired = config.desired();
    let mut pool = pool(config, &desired, &req.target).map_err(fleet_failed)?;
    let places = place::places(config, ctx).map_err(fleet_failed)?;
    within_run(&mut pool, &places, &req.target).map_err(fleet_failed)?;
    let me = Holder::this_process();
    let grace = req.wait_timeout + claim::GRACE_MARGIN;
    let deadline = req.queue.map(|q| Instant::now() + q);
    let mut first = true;
    loop {
        // First, one member's look and its claim side by side (one docker
        // call's time instead of two): the named agent, whatever it says;
        // for a type, the member its pick would try first, kept only if it
        // is idle (else let go, and the whole pool is looked at).
        let picked = match std::mem::take(&mut first) {
            true => first_try(config, &places, &pool, &me, grace),
            false => Ok(None),
        }
        .map_err(fleet_failed)?;
        let picked = match picked {
            Some(picked) => Ok(picked),
            None => {
                let seen = look(config, &places, &pool).map_err(fleet_failed)?;
                pick(&config.project, &seen, &me, grace)
            }
        };
        match picked.map_err(fleet_failed)? {
            Pick::Got(got) => return run_in(ctx, req, *got),
            Pick::Unusable(why) => {
                return Err(fleet_failed(Error::new(Kind::Refused, why).with_help(
                    "`fleet status` shows each agent's state; `fleet sync` repairs what it can",
                )));
            }
            Pick::Busy(who) => {
                let more = deadline.is_some_and(|d| Instant::now() < d);
                if !more {
                    return Err(busy(&pool, &who, req.queue));
                }
                if pause(Duration::from_millis(500), ctx.stop) {
                    return Err((
                        crate::EXIT_INTERRUPTED,
                        Error::new(Kind::Refused, "stopped while waiting for a free member"),
                    ));
                }
            }
        }
    }
}

/// The members `target` names: the agent of that name, else the type's.
fn pool<'a>(config: &Config, desired: &'a [Desired], target: &str) -> Result<Pool<'a>> {
    let is_type = config.types.iter().any(|t| t.name == target);
    if let Some(d) = desired.iter().find(|d| d.name == target) {
        if is_type {
            return Err(Error::new(
                Kind::Usage,
                format!(
                    "`{target}` is both an agent (of type `{}`) and a type: fleet cannot tell which is meant",
                    d.type_name
                ),
            )
            .with_help(format!("rename the type `{target}` in the config")));
        }
        return Ok(Pool {
            members: vec![d],
            named: true,
        });
    }
    let members: Vec<&Desired> = desired.iter().filter(|d| d.type_name == target).collect();
    if members.is_empty() {
        let types: Vec<&str> = config.types.iter().map(|t| t.name.as_str()).collect();
        let known = config.types.iter().any(|t| t.name == target);
        let why = if known {
            format!("type `{target}` has no members (instances: 0)")
        } else {
            format!("the config has no agent or type named `{target}`")
        };
        return Err(Error::new(Kind::Usage, why).with_help(format!(
            "name an agent (`fleet status` lists them) or a type: {}",
            types.join(", ")
        )));
    }
    Ok(Pool {
        members,
        named: false,
    })
}

/// Keeps the members on the places of this run (`--host` may leave some
/// out); none left is a usage error naming where they are.
fn within_run(pool: &mut Pool, places: &[Place], target: &str) -> Result<()> {
    let on = |m: &Desired| places.iter().any(|p| holds(p, m));
    let hosts: Vec<String> = (pool.members.iter())
        .filter_map(|m| m.host.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    pool.members.retain(|m| on(m));
    if !pool.members.is_empty() {
        return Ok(());
    }
    let whose = match pool.named {
        true => format!("`{target}` runs on host `{}`", hosts.join("`, `")),
        false => format!(
            "type `{target}` has members only on host(s) `{}`",
            hosts.join("`, `")
        ),
    };
    Err(Error::new(
        Kind::Usage,
        format!("{whose}, which --host leaves out of this run"),
    )
    .with_help(match hosts.first() {
        Some(h) => format!("add --host {h} (or drop --host)"),
        None => "drop --host".to_string(),
    }))
}

/// Whether `place` is where member `m` runs (the implicit host holds
/// every member).
fn holds(place: &Place, m: &Desired) -> bool {
    place.name().is_none() || m.host.as_deref() == place.name()
}

/// One member as its engine shows it now.
struct Member<'p, 'a> {
    desired: Desired,
    place: &'p Place<'a>,
    /// Its container of this project, if any.
    container: Option<ContainerSnapshot>,
}

/// Every member, looked at on its place (the places side by side): one
/// batched `docker inspect` of the members and their claims' names (a
/// missing one is simply absent), plus the `docker events` read that sets
/// health probes aside when a member with a healthcheck has sessions. A
/// place that cannot be read fails the dispatch only if it holds every
/// member.
fn look<'p, 'a>(
    config: &Config,
    places: &'p [Place<'a>],
    pool: &Pool,
) -> Result<Vec<Member<'p, 'a>>> {
    let wanted: Vec<&'p Place<'a>> = (places.iter())
        .filter(|p| pool.members.iter().any(|m| holds(p, m)))
        .collect();
    let looks = place::each(wanted.iter().copied(), |p| {
        let here: Vec<Desired> = (pool.members.iter().copied())
            .filter(|m| holds(p, m))
            .cloned()
            .collect();
        let seen = look_at(p.runner()?, &config.project, &here)?;
        Ok((here, seen))
    });
    let mut members = Vec::new();
    let mut errors = Vec::new();
    for (p, seen) in wanted.into_iter().zip(looks) {
        match seen {
            Ok((here, mut seen)) => {
                for d in here {
                    let container = seen.remove(&d.name);
                    members.push(Member {
                        desired: d,
                        place: p,
                        container,
                    });
                }
            }
            Err(e) => errors.push(match p.name() {
                Some(h) => e.context(format!("host `{h}`")),
                None => e,
            }),
        }
    }
    if members.is_empty() && !errors.is_empty() {
        // Every host with members failed: each one said.
        let mut errors = errors.into_iter();
        let first = errors.next().expect("not empty");
        return Err(errors.fold(first, |all, e| {
            let help = all.help().to_vec();
            let mut joined = Error::new(all.kind(), format!("{}\n{}", all.message(), e.message()));
            for h in help.into_iter().chain(e.help().iter().cloned()) {
                if !joined.help().contains(&h) {
                    joined = joined.with_help(h);
                }
            }
            joined
        }));
    }
    let order = |m: &Member| pool.members.iter().position(|d| d.name == m.desired.name);
    members.sort_by_key(order);
    Ok(members)
}

/// The first try ([`run`]): the named agent's (or a pool of one's) look
/// and claim judged (`Some`, final), or for a type the member its pick
/// would start with, `Some` only when it is idle and now claimed; `None`:
/// look at the whole pool. A type's first try that fails is no failure
/// (the whole look then tells), unless it panicked: that is fleet's bug.
fn first_try<'p, 'a>(
    config: &Config,
    places: &'p [Place<'a>],
    pool: &Pool,
    me: &Holder,
    grace: Duration,
) -> Result<Option<Pick<'p, 'a>>> {
    let n = pool.members.len().max(1);
    let guess = pool.members[usize::try_from(me.pid).unwrap_or_default() % n];
    let one = Pool {
        members: vec![guess],
        named: pool.named,
    };
    let tried = look_and_claim(config, places, &one, me, grace);
    // A pool of one is judged as a named agent: its first look is the
    // whole look.
    if pool.named || pool.members.len() == 1 {
        let (seen, taken) = tried?;
        return match taken {
            Some(taken) => judge_named(&seen, taken).map(Some),
            None => Ok(None),
        };
    }
    // A panic is a bug, said as one, never passed over as "look again".
    let (seen, claim) = match tried {
        Ok((seen, Some(Taken::Mine(claim)))) => (seen, claim),
        Err(e) if e.kind() == Kind::Internal => return Err(e),
        _ => return Ok(None),
    };
    // Anything but idle lets the claim go (on drop) for the whole look.
    match seen.first() {
        Some(m) if matches!(fit(m), Fit::Idle) => Ok(Some(got(m, claim))),
        _ => Ok(None),
    }
}

/// A named agent's look and its claim, side by side on its place; the
/// claim is `None` when the agent has no place this run reaches (the look
/// then says why).
#[allow(clippy::type_complexity)]
fn look_and_claim<'p, 'a>(
    config: &Config,
    places: &'p [Place<'a>],
    pool: &Pool,
    me: &Holder,
    grace: Duration,
) -> Result<(Vec<Member<'p, 'a>>, Option<Taken<'p>>)> {
    let agent = pool.members[0];
    let place = places.iter().find(|p| holds(p, agent));
    let Some(place) = place else {
        return look(config, places, pool).map(|seen| (seen, None));
    };
    let runner = place.runner()?;
    let (seen, taken) = std::thread::scope(|s| {
        let taken = s.spawn(|| claim::take(runner, &config.project, &agent.name, me, grace));
        let seen = look(config, places, pool);
        let taken = taken
            .join()
            .unwrap_or_else(|p| Err(place::panicked(p.as_ref())));
        (seen, taken)
    });
    // The look fails first: a claim already taken is let go on drop.
    let seen = seen?;
    Ok((seen, Some(taken?)))
}

/// The named agent's claim, taken beside its look, judged against that
/// look: kept when the agent can take work (idle, or startable), let go
/// (on drop) when it is busy or unusable.
fn judge_named<'p, 'a>(members: &[Member<'p, 'a>], taken: Taken<'p>) -> Result<Pick<'p, 'a>> {
    let Some(m) = members.first() else {
        return Ok(Pick::Unusable(
            "the agent is on no host this run reaches".into(),
        ));
    };
    let shown = m.place.name_at(&m.desired.name);
    match (fit(m), taken) {
        (Fit::Unusable(why), _) => Ok(Pick::Unusable(why)),
        (Fit::Busy(who), _) => Ok(Pick::Busy(vec![who])),
        (_, Taken::Mine(claim)) => Ok(got(m, claim)),
        (_, other) => Ok(Pick::Busy(vec![held_by(&shown, &other)])),
    }
}

/// `m`, claimed: the pick.
fn got<'p, 'a>(m: &Member<'p, 'a>, claim: Claimed<'p>) -> Pick<'p, 'a> {
    Pick::Got(Box::new(Got {
        member: Member {
            desired: m.desired.clone(),
            place: m.place,
            container: m.container.clone(),
        },
        claim,
    }))
}

/// Who holds `shown` when its claim could not be taken.
fn held_by(shown: &str, taken: &Taken) -> String {
    match taken {
        Taken::Held(info) => format!("`{shown}`: {}", info.describe(crate::time::now())),
        Taken::Contended | Taken::Mine(_) => {
            format!("`{shown}`: being claimed by another fleet")
        }
    }
}

/// The containers of `project` named as `members` on one engine, by name,
/// each marked with its claim when one counts: one inspect of every
/// member's name and its claim's.
fn look_at(
    runner: &dyn Runner,
    project: &str,
    members: &[Desired],
) -> Result<BTreeMap<String, ContainerSnapshot>> {
    let claims: Vec<String> = members.iter().map(|m| claim::claim_name(&m.name)).collect();
    let names: Vec<&str> = (members.iter().map(|m| m.name.as_str()))
        .chain(claims.iter().map(String::as_str))
        .collect();
    let seen = crate::observe::inspect_containers(runner, &names)?;
    let (me, now) = (Holder::this_process(), crate::time::now());
    let mut held: BTreeMap<String, crate::snapshot::Claim> = BTreeMap::new();
    let mut agents = Vec::new();
    for c in seen {
        if claims.contains(&c.name) {
            // This process's own claim (taken beside this look) is not
            // someone else's work.
            if let Some(k) = claim::ClaimInfo::from_labels(&c.id, &c.labels, project)
                && !k.is_held_by(&me)
                && k.counts(&me, now)
            {
                held.insert(k.agent.clone(), k.seen(now));
            }
        } else if c.project() == Some(project) && members.iter().any(|m| m.name == c.name) {
            agents.push(c);
        }
    }
    crate::observe::set_aside_probes(runner, &mut agents);
    Ok((agents.into_iter())
        .map(|mut c| {
            c.claim = held.remove(&c.name);
            (c.name.clone(), c)
        })
        .collect())
}

/// What a member can be now.
enum Fit {
    Idle,
    /// Exited, created or paused: can be made ready.
    Startable,
    /// Claimed or with live exec sessions: who holds it.
    Busy(String),
    /// Missing, being removed, dead, crash-looping, unhealthy: why.
    Unusable(String),
}

fn fit(m: &Member) -> Fit {
    let name = m.place.name_at(&m.desired.name);
    let Some(c) = &m.container else {
        return Fit::Unusable(format!("`{name}` does not exist (run `fleet sync`)"));
    };
    if let Some(claim) = &c.claim {
        return Fit::Busy(format!("`{name}`: {}", claim.describe()));
    }
    if !c.exec_ids.is_empty() {
        let n = c.exec_ids.len();
        let s = if n == 1 { "session" } else { "sessions" };
        return Fit::Busy(format!("`{name}`: {n} live exec {s}"));
    }
    match c.state.status {
        ContainerState::Removing => return Fit::Unusable(format!("`{name}` is being removed")),
        ContainerState::Dead => {
            return Fit::Unusable(format!(
                "`{name}` is dead (run `fleet sync` to recreate it)"
            ));
        }
        ContainerState::Exited | ContainerState::Created | ContainerState::Paused => {
            return Fit::Startable;
        }
        _ => {}
    }
    match c.readiness() {
        Readiness::Healthy | Readiness::Running => Fit::Idle,
        r @ (Readiness::CrashLooping { .. } | Readiness::Unhealthy(_)) => {
            Fit::Unusable(format!("`{name}` is {}", r.word()))
        }
        Readiness::Starting => Fit::Startable,
        Readiness::Down => Fit::Startable,
    }
}

/// A member claimed for this run.
struct Got<'p, 'a> {
    member: Member<'p, 'a>,
    claim: Claimed<'p>,
}

enum Pick<'p, 'a> {
    Got(Box<Got<'p, 'a>>),
    /// Every member busy: who holds each.
    Busy(Vec<String>),
    /// No member can be used (and none is busy): why, each.
    Unusable(String),
}

/// Claims an idle member (starting with one this process's pid picks, so
/// dispatches at once spread), else a startable one. No second look under
/// the claim: every `fleet exec` claims before it runs anything, so none
/// came between (a bare `docker exec` may, as it may a moment later).
fn pick<'p, 'a>(
    project: &str,
    members: &[Member<'p, 'a>],
    me: &Holder,
    grace: Duration,
) -> Result<Pick<'p, 'a>> {
    let fits: Vec<Fit> = members.iter().map(fit).collect();
    let mut busy = Vec::new();
    let mut unusable = Vec::new();
    let n = members.len().max(1);
    let offset = usize::try_from(me.pid).unwrap_or_default() % n;
    let order: Vec<usize> = (0..members.len()).map(|i| (i + offset) % n).collect();
    for wanted in [true, false] {
        for &i in &order {
            let ok = matches!(
                (&fits[i], wanted),
                (Fit::Idle, true) | (Fit::Startable, false)
            );
            if !ok {
                continue;
            }
            let m = &members[i];
            let runner = m.place.runner()?;
            // No second look once it is taken: every fleet exec claims
            // before it runs anything, so none came between; a bare
            // `docker exec` may, as it may a moment later.
            match claim::take(runner, project, &m.desired.name, me, grace)? {
                Taken::Mine(claimed) => return Ok(got(m, claimed)),
                other => busy.push(held_by(&m.place.name_at(&m.desired.name), &other)),
            }
        }
    }
    for f in fits {
        match f {
            Fit::Busy(who) => busy.push(who),
            Fit::Unusable(why) => unusable.push(why),
            _ => {}
        }
    }
    busy.sort();
    busy.dedup();
    if busy.is_empty() {
        // Never an empty reason, whatever left the pool empty.
        return Ok(Pick::Unusable(match unusable.is_empty() {
            true => "no member of the pool could be looked at".to_string(),
            false => unusable.join("; "),
        }));
    }
    Ok(Pick::Busy(busy))
}

/// The busy failure: exit 75, naming each member's holder.
fn busy(pool: &Pool, who: &[String], queue: Option<Duration>) -> Failed {
    let what = if pool.named {
        "the agent is busy".to_string()
    } else {
        format!(
            "every member of the pool is busy ({} members)",
            pool.members.len()
        )
    };
    let waited = queue.map_or(String::new(), |q| {
        format!(" after waiting {}s", q.as_secs_f64())
    });
    (
        EXIT_BUSY,
        Error::new(Kind::Refused, format!("{what}{waited}: {}", who.join("; ")))
            .with_help("try again later, or wait for a free member with --queue SECS"),
    )
}

/// Makes the claimed member ready and runs the command in it.
fn run_in(ctx: &Context, req: &Request, got: Got<'_, '_>) -> std::result::Result<i32, Failed> {
    let Got { member, claim } = got;
    let runner = member.place.runner().map_err(fleet_failed)?;
    let name = member.desired.name.as_str();
    let shown = member.place.name_at(name);
    let woke = match &member.container {
        Some(c) => wake(ctx, runner, c, &shown).map_err(fleet_failed)?,
        None => false,
    };
    let ready_now = !woke && member.container.as_ref().is_some_and(settled);
    let w = crate::ready::Waiting {
        timeout: req.wait_timeout,
        stop: ctx.stop,
        count: &|_, _| {},
    };
    let why = match ready_now {
        true => None,
        false => crate::ready::wait(runner, &[name.to_string()], &w)
            .pop()
            .flatten(),
    };
    if let Some(why) = why {
        // Stopped by a signal while it waited: the caller's doing, 130 as
        // for a queue left the same way; nothing ran either way.
        let code = match why {
            crate::ready::NotReady::Stopped { .. } => crate::EXIT_INTERRUPTED,
            _ => EXIT_FLEET_FAILED,
        };
        return Err((
            code,
            Error::new(Kind::Refused, format!("`{shown}` is not ready: {why}")),
        ));
    }
    let id = exec_id();
    let env_file = env_file(ctx, &req.env, &id).map_err(fleet_failed)?;
    let cmd = exec_cmd(req, name, env_file.path(), ctx.stdin_is_terminal);
    let attach = Attach {
        stdin: cmd.args.iter().any(|a| a == "-i"),
        own_group: !req.tty,
    };
    let (ended, done) = std::sync::mpsc::channel::<()>();
    let code = std::thread::scope(|s| {
        let id = &id;
        s.spawn(move || forward_signals(ctx, runner, name, id, done));
        let code = runner.attached(&cmd, attach);
        drop(ended);
        code
    });
    drop(env_file);
    let released = claim.release();
    let ended = code.map_err(|e| fleet_failed(Error::from(e)))?;
    if let Err(e) = released {
        (ctx.events)(Event::Note(format!("warning: `{shown}`: {}", e.message())));
    }
    Ok(exit_code(&ended))
}

/// The exit code `fleet exec` gives: the command's, with the docker CLI's
/// own failures in `docker run`'s codes: a command not found is 127 (the
/// CLI says 126 for it on some engines), one that cannot be invoked 126.
fn exit_code(ended: &crate::docker::Ended) -> i32 {
    let code = ended.code.unwrap_or(EXIT_FLEET_FAILED);
    let said = |w: &str| ended.stderr_tail.contains(w);
    let oci = said("OCI runtime exec failed") || said("exec failed");
    if oci && (said("executable file not found") || said("no such file or directory")) {
        return 127;
    }
    if oci && code == 126 {
        return 126;
    }
    code
}

/// Ready as `--wait` judges it, from the look under the claim alone:
/// healthy, or running without a healthcheck since longer than the settle
/// time (by this machine's clock against the engine's `StartedAt`). Else
/// the readiness check looks again.
fn settled(c: &ContainerSnapshot) -> bool {
    match c.readiness() {
        Readiness::Healthy => true,
        Readiness::Running => crate::time::unix_seconds(&c.state.started_at)
            .is_some_and(|t| crate::time::now() - t > crate::ready::SETTLE.as_secs_f64()),
        _ => false,
    }
}

/// Starts an exited or created container, unpauses a paused one, saying
/// so; whether it did.
fn wake(ctx: &Context, runner: &dyn Runner, c: &ContainerSnapshot, shown: &str) -> Result<bool> {
    let (cmd, did) = match c.state.status {
        ContainerState::Paused => (argv::unpause(&[&c.id]), "unpausing"),
        ContainerState::Exited | ContainerState::Created => (argv::start(&[&c.id]), "starting"),
        _ => return Ok(false),
    };
    (ctx.events)(Event::Note(format!(
        "fleet: {did} `{shown}` (it was {})",
        c.state_word()
    )));
    run_ok(runner, &cmd)
        .map(|_| true)
        .map_err(|e| Error::from(e).context(format!("could not wake `{shown}`")))
}

/// The `docker exec` argv: `-i` when stdin is passed on, `-t`, the env
/// file (with `FLEET_EXEC_ID`, by which signals find the command), the
/// agent, the command.
fn exec_cmd(req: &Request, name: &str, env_file: &std::path::Path, stdin_tty: bool) -> Cmd {
    let mut args: Vec<String> = vec!["exec".into()];
    if req.interactive || !stdin_tty {
        args.push("-i".into());
    }
    if req.tty {
        args.push("-t".into());
    }
    args.push("--env-file".into());
    args.push(env_file.display().to_string());
    args.push(name.to_string());
    args.extend(req.cmd.iter().cloned());
    Cmd::new(args)
}

/// A name for this dispatch, unique enough among the agent's processes.
fn exec_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The command's env file: `FLEET_EXEC_ID` and the caller's `--env`, mode
/// 0600 (tempfile's), in the lock directory (`/run/lock`, else `TMPDIR` as
/// `main` passed it), removed when dropped.
fn env_file(ctx: &Context, env: &[(String, String)], id: &str) -> Result<tempfile::NamedTempFile> {
    let mut f = tempfile::Builder::new()
        .prefix("fleet-exec-env-")
        .tempfile_in(ctx.lock_dir)
        .map_err(|e| {
            Error::new(Kind::Refused, "could not write the command's env file").because(e)
        })?;
    let mut text = format!("FLEET_EXEC_ID={id}\n");
    for (k, v) in env {
        text.push_str(&format!("{k}={v}\n"));
    }
    f.write_all(text.as_bytes()).map_err(|e| {
        Error::new(Kind::Refused, "could not write the command's env file").because(e)
    })?;
    Ok(f)
}

/// While the command runs: each SIGINT, SIGTERM or SIGHUP fleet gets is
/// sent to the command's processes in the agent.
/// It ends as soon as `done` is dropped or sent to (the command ended), so
/// fleet's exit never waits out a polling step.
fn forward_signals(
    ctx: &Context,
    runner: &dyn Runner,
    name: &str,
    id: &str,
    done: std::sync::mpsc::Receiver<()>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    while let Err(RecvTimeoutError::Timeout) = done.recv_timeout(Duration::from_millis(20)) {
        let now = ctx.signal.swap(0, Ordering::Relaxed);
        if now == 0 {
            continue;
        }
        let script = format!(
            "for p in /proc/[0-9]*; do case \"$(tr '\\0' ' ' < $p/environ 2>/dev/null)\" in *FLEET_EXEC_ID={id}\\ *) kill -{now} ${{p#/proc/}} 2>/dev/null;; esac; done"
        );
        let _ = runner.run(&Cmd::new(["exec", name, "sh", "-c", &script]));
    }
}

/// Sleeps `d` in short steps; `true` when `stop` was set meanwhile.
fn pause(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.load(Ordering::Relaxed)
}

/// `--env KEY=VALUE` and `--env-file PATH` lines (`KEY=VALUE`, `#`
/// comments and blank lines skipped), checked as agent env is.
pub(crate) fn read_env(
    pairs: &[String],
    files: &[std::path::PathBuf],
) -> Result<Vec<(String, String)>> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |kv: &str, whence: &str| -> Result<()> {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::new(
                Kind::Usage,
                format!("{whence}: expected KEY=VALUE (the value is not shown)"),
            ));
        };
        let valid = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::new(
                Kind::Usage,
                format!("{whence}: `{k}` is not an environment variable name"),
            ));
        }
        if k == "FLEET_EXEC_ID" {
            return Err(Error::new(
                Kind::Usage,
                format!(
                    "{whence}: `FLEET_EXEC_ID` is fleet's own (it finds the command's processes for a signal by it)"
                ),
            ));
        }
        if let Some(why) = crate::spec::env_file_problem(k, v) {
            return Err(Error::new(Kind::Usage, format!("{whence}: `{k}`: {why}")));
        }
        env.insert(k.to_string(), v.to_string());
        Ok(())
    };
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| {
            Error::new(
                Kind::Usage,
                format!("--env-file {}: could not read it", f.display()),
            )
            .because(e)
        })?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            put(line, &format!("--env-file {}:{}", f.display(), n + 1))?;
        }
    }
    for kv in pairs {
        put(kv, "--env")?;
    }
    Ok(env.into_iter().collect())
}
