//! Discovery: what exists, in a constant number of docker processes whatever
//! the fleet's size: one listing, one batched `docker inspect` of every
//! relevant container, one batched `docker image inspect` of every distinct
//! image in use. Reads only; never mutates.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};

use crate::claim::ClaimInfo;
use crate::config::{Desired, name_order};
use crate::docker::{Cmd, DockerError, Runner, argv, missing_image_named, run_ok};
use crate::snapshot::{Claim, ContainerSnapshot, read_inspect};
use crate::spec::normal_image_ref;

/// Everything the planner needs to know about the engine's side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actual {
    /// This project's containers, plus any container (ours or not) holding a
    /// desired name. In [`name_order`].
    pub containers: Vec<ContainerSnapshot>,
    /// Image reference → what it resolves to now. A reference absent from
    /// the map does not exist locally.
    pub images: BTreeMap<String, Image>,
    /// `fleet exec` claims of this project that no longer count (their
    /// holder is gone): read from the same listing, removed by `sync`.
    pub lapsed_claims: Vec<LapsedClaim>,
}

/// A claim container whose holder is gone ([`crate::claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LapsedClaim {
    pub id: String,
    pub agent: String,
}

/// A local image, as `docker image inspect` resolves a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    /// Env keys the image itself sets (so they are not mistaken for keys the
    /// config removed).
    pub env_keys: BTreeSet<String>,
}

/// Lists, inspects and resolves images for `project` and `desired`.
/// All or nothing: output that cannot be fully read is an error, so no
/// plan is ever made from a half-read world.
pub fn observe(runner: &dyn Runner, project: &str, desired: &[Desired]) -> Result<Actual> {
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    let cmd = argv::list_all();
    let listing = run_ok(runner, &cmd).map_err(read_error)?;
    let rows = parse_listing(&listing.stdout).map_err(|e| {
        Error::docker(format!(
            "could not read the containers: `docker {}` printed {e}; nothing was changed",
            cmd.verb()
        ))
        .with_help("is `--docker` a docker CLI, and is its output altered (aliases, wrappers, a `psFormat` in ~/.docker/config.json)?")
    })?;
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r.labels.maybe_project(project) || r.names.iter().any(|n| wanted.contains(n.as_str()))
        })
        .map(|r| r.id.as_str())
        .collect();
    // The images of the types the listing says may exist are resolved
    // side by side with the inspect (one round trip less: over SSH a call
    // costs tens of milliseconds); the inspect's labels then decide, and
    // a type the listing did not show is resolved after it.
    let guessed: BTreeSet<&str> = (rows.iter())
        .filter(|r| r.labels.maybe_project(project))
        .flat_map(|r| r.labels.types())
        .collect();
    let early = images_of(desired, &guessed);
    let (containers, resolved) = std::thread::scope(|s| {
        let images = (!early.is_empty()).then(|| s.spawn(|| resolve_images(runner, &early)));
        let containers = inspect_containers(runner, &ids);
        let images = images.map(|t| {
            t.join()
                .unwrap_or_else(|_| Err(Error::docker("resolving the images panicked")))
        });
        (containers, images)
    });
    let mut containers = containers?;
    set_aside_probes(runner, &mut containers);
    // A claim that counts makes its agent busy.
    let (counting, lapsed_claims) = claims_in(&rows, project);
    for c in containers.iter_mut() {
        c.claim = counting.get(&c.name).cloned();
    }
    containers.sort_by(|a, b| name_order(&a.name).cmp(&name_order(&b.name)));

    // Only images of desired containers that exist as ours need resolving:
    // an absent container is created from whatever the reference is, and a
    // foreign one is never compared.
    let existing: BTreeSet<&str> = containers
        .iter()
        .filter(|c| c.project() == Some(project))
        .filter_map(|c| c.type_name())
        .collect();
    let refs = images_of(desired, &existing);
    // What the early resolution asked is answered (an image it did not
    // find is missing); if it failed, everything is asked again, and an
    // error then is the run's.
    let (mut images, asked) = match resolved {
        Some(Ok(found)) => (found, early),
        Some(Err(_)) | None => (BTreeMap::new(), Vec::new()),
    };
    let late: Vec<String> = refs
        .iter()
        .filter(|r| !asked.contains(r))
        .cloned()
        .collect();
    images.extend(resolve_images(runner, &late)?);
    images.retain(|r, _| refs.contains(r));
    Ok(Actual {
        containers,
        images,
        lapsed_claims,
    })
}

/// The `fleet exec` claims of `project` among `rows`, read from a listing
/// (no docker call of their own) and judged once: the ones that count, by
/// agent, and the lapsed ones.
fn claims_in(rows: &[Listed], project: &str) -> (BTreeMap<String, Claim>, Vec<LapsedClaim>) {
    let claims: Vec<ClaimInfo> = (rows.iter())
        .filter(|r| r.names.iter().any(|n| n.ends_with(".fleet-claim")))
        .filter_map(|r| ClaimInfo::from_labels(&r.id, &r.labels.to_map(), project))
        .collect();
    let (mut counting, mut lapsed) = (BTreeMap::new(), Vec::new());
    if claims.is_empty() {
        return (counting, lapsed);
    }
    let me = crate::engine_lock::Holder::this_process();
    let now = crate::time::now();
    for k in claims {
        match k.counts(&me, now) {
            true => {
                counting.insert(k.agent.clone(), k.seen(now));
            }
            false => lapsed.push(LapsedClaim {
                id: k.id,
                agent: k.agent,
            }),
        }
    }
    (counting, lapsed)
}

/// The agents of `project` a `fleet exec` claim that counts is on, each
/// with its description: one listing of the claims alone (for `down`,
/// whose own listing shows only the project's agents).
pub(crate) fn live_claims(runner: &dyn Runner, project: &str) -> Result<BTreeMap<String, Claim>> {
    let out = read_stdout(runner, &argv::list_claims(project))?;
    let rows = parse_listing(&out).map_err(|why| {
        Error::docker(format!(
            "could not read the claims: `docker ps` printed a {why}"
        ))
    })?;
    Ok(claims_in(&rows, project).0)
}

/// The image references (each once, in order) of the desired containers of
/// `types`.
fn images_of(desired: &[Desired], types: &BTreeSet<&str>) -> Vec<String> {
    desired
        .iter()
        .filter(|d| types.contains(d.type_name.as_str()))
        .map(|d| d.spec.image.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Tells docker's health probes from work among the containers' exec
/// sessions: docker runs each probe as an exec session, listed in
/// `ExecIDs` like a dispatcher's, and the CLI cannot inspect an exec ID;
/// its `exec_create` event names the command, and a probe's is the
/// healthcheck's. One `docker events` call, only when a container with a
/// healthcheck has sessions; when it fails, every session counts as work.
pub fn set_aside_probes(runner: &dyn Runner, containers: &mut [ContainerSnapshot]) {
    let mut with_probes = containers
        .iter()
        .filter(|c| !c.exec_ids.is_empty() && c.probe_command().is_some())
        .peekable();
    if with_probes.peek().is_none() {
        return;
    }
    // A probe lives at most its timeout (docker's default 30 s).
    let longest = with_probes
        .filter_map(|c| c.healthcheck.as_ref())
        .map(|h| {
            if h.timeout > 0 {
                h.timeout
            } else {
                30_000_000_000
            }
        })
        .max()
        .unwrap_or(0);
    let since = u64::try_from(longest / 1_000_000_000).unwrap_or(0) + 10;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let until = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
    let Ok(out) = runner.run(&argv::exec_events(since, &until)) else {
        return;
    };
    if !out.success() {
        return;
    }
    let mut commands = BTreeMap::new();
    for line in out.stdout.lines() {
        let mut f = line.splitn(3, '\t');
        let (Some(_), Some(exec), Some(action)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let action: String = serde_json::from_str(action).unwrap_or_default();
        if let Some(cmd) = action.strip_prefix("exec_create: ") {
            commands.insert(exec.to_string(), cmd.to_string());
        }
    }
    for c in containers.iter_mut() {
        c.set_aside_probes(&commands);
    }
}

/// Every container of `project`, read again (after a failed mutation, to
/// report what is true): the same listing and batched inspect as
/// [`observe`].
pub(crate) fn project_containers(
    runner: &dyn Runner,
    project: &str,
) -> Result<Vec<ContainerSnapshot>> {
    Ok(observe(runner, project, &[])?
        .containers
        .into_iter()
        .filter(|c| c.project() == Some(project))
        .collect())
}

/// One line of the listing.
struct Listed {
    id: String,
    /// docker prints several names, comma-separated, for a linked container.
    names: Vec<String>,
    labels: ListedLabels,
}

/// `{{json .Labels}}` as each engine prints it.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ListedLabels {
    /// podman: an object.
    Map(BTreeMap<String, String>),
    /// docker: one `k=v,k=v` string (a value may hold a comma, so this
    /// only says "maybe ours"; the inspect's labels decide).
    Joined(String),
    /// podman, for no labels.
    None(()),
}

impl ListedLabels {
    /// The `fleet.type` values the labels may hold (with docker's joined
    /// string, any `fleet.type=` part; a guess the inspect corrects).
    fn types(&self) -> Vec<&str> {
        let key = argv::LABEL_TYPE;
        match self {
            ListedLabels::Map(m) => m.get(key).map(String::as_str).into_iter().collect(),
            ListedLabels::Joined(s) => s
                .split(',')
                .filter_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .collect(),
            ListedLabels::None(()) => Vec::new(),
        }
    }

    /// The labels as a map (docker's joined string split at `,` and the
    /// first `=`: exact for labels without commas, as a claim's are).
    fn to_map(&self) -> BTreeMap<String, String> {
        match self {
            ListedLabels::Map(m) => m.clone(),
            ListedLabels::Joined(s) => (s.split(','))
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ListedLabels::None(()) => BTreeMap::new(),
        }
    }

    /// Whether the container may carry `fleet.project=<project>`. Never
    /// false for one that does; the inspect that follows is the truth.
    fn maybe_project(&self, project: &str) -> bool {
        match self {
            ListedLabels::Map(m) => m.get(argv::LABEL_PROJECT).is_some_and(|p| p == project),
            ListedLabels::Joined(s) => {
                let mine = format!("{}={project}", argv::LABEL_PROJECT);
                s.split(',').any(|kv| kv == mine)
            }
            ListedLabels::None(()) => false,
        }
    }
}

/// The listing, line by line: `<64 hex ID>\t<names>\t<JSON string>`.
/// Any line of another shape is an error naming it: a listing fleet cannot
/// fully read must not count as "no containers".
fn parse_listing(stdout: &str) -> std::result::Result<Vec<Listed>, String> {
    let mut rows = Vec::new();
    for (n, line) in stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: &str| {
            let shown: String = line.chars().take(80).collect();
            format!("line {} that fleet cannot read ({why}): `{shown}`", n + 1)
        };
        let mut f = line.splitn(3, '\t');
        let (Some(id), Some(names), Some(label)) = (f.next(), f.next(), f.next()) else {
            return Err(bad(
                "expected ID, names and project label separated by tabs",
            ));
        };
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the ID is not 64 hex digits"));
        }
        let names: Vec<String> = names.split(',').map(str::to_string).collect();
        if names.iter().any(|n| !is_container_name(n)) {
            return Err(bad("not a container name"));
        }
        let labels: ListedLabels = serde_json::from_str(label)
            .map_err(|_| bad("the labels are not a JSON object, string or null"))?;
        rows.push(Listed {
            id: id.to_string(),
            names,
            labels,
        });
    }
    Ok(rows)
}

/// docker's rule for container names, `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (a
/// linked container's extra names hold a `/`).
fn is_container_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.-/".contains(x))
}

/// One `docker inspect` of `ids`. A container removed between the listing
/// and the inspect is simply absent: the engine names it on stderr ("No
/// such object", "no such container", in any case) and still prints the
/// others. Anything else missing, or any other failure, is an error.
pub(crate) fn inspect_containers(
    runner: &dyn Runner,
    ids: &[&str],
) -> Result<Vec<ContainerSnapshot>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cmd = argv::inspect(ids);
    // Read from docker's pipe as it comes: the document (~7 kB a
    // container) is never held whole. Used only once the exit status and
    // stderr say the output is the answer.
    let mut read = None;
    let out = runner
        .run_reading(&cmd, &mut |stdout| read = Some(read_inspect(stdout)))
        .map_err(read_error)?;
    // The look's own time, for readiness (a restart less than a minute old).
    let seen_at = crate::time::now();
    let failed = || {
        read_error(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr.clone(),
        })
    };
    let mut vanished: BTreeSet<&str> = BTreeSet::new();
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let lower = line.to_ascii_lowercase();
        let gone = lower.contains("no such object")
            || lower.contains("no such container")
            || lower.contains("no container with name or id");
        match ids.iter().find(|id| mentions(line, id)) {
            Some(id) if gone => {
                vanished.insert(id);
            }
            // A warning on a successful run is not a failure; anything
            // else on a failed one is.
            _ if out.success() => {}
            _ => return Err(failed()),
        }
    }
    if !out.success() && vanished.is_empty() {
        return Err(failed());
    }
    let mut snaps = read.unwrap_or_else(|| Ok(Vec::new()))?;
    ContainerSnapshot::seen(&mut snaps, seen_at);
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| {
            !vanished.contains(**id) && !snaps.iter().any(|s| s.id == **id || s.name == **id)
        })
        .collect();
    if let Some(id) = missing.first() {
        return Err(Error::docker(format!(
            "could not read the containers: `docker {}` described {} of {} containers, and not {} (nor said it is gone); nothing was changed",
            short_cmd(&cmd),
            snaps.len(),
            ids.len(),
            crate::docker::short_id(id)
        )));
    }
    Ok(snaps)
}

/// Whether `line` names `id` (an ID or a container name) as a word of its
/// own: `coder-2` is not named by a line about `coder-2.fleet-claim`.
fn mentions(line: &str, id: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    line.match_indices(id).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + id.len()..].chars().next();
        !before.is_some_and(name_char) && !after.is_some_and(name_char)
    })
}

fn short_cmd(cmd: &Cmd) -> String {
    cmd.args.iter().take(1).cloned().collect()
}

/// One `docker image inspect` of `refs`. Missing images are left out of the
/// map (docker names them on stderr and exits 1; the others still print).
pub(crate) fn resolve_images(
    runner: &dyn Runner,
    refs: &[String],
) -> Result<BTreeMap<String, Image>> {
    let mut images = BTreeMap::new();
    if refs.is_empty() {
        return Ok(images);
    }
    let cmd = argv::image_inspect(refs);
    let out = runner.run(&cmd).map_err(read_error)?;
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    let named: Vec<String> = out
        .stderr
        .lines()
        .filter_map(missing_image_named)
        .map(|n| normal_image_ref(&n))
        .collect();
    let missing: BTreeSet<&str> = refs
        .iter()
        .filter(|r| named.contains(&normal_image_ref(r)))
        .map(String::as_str)
        .collect();
    if !out.success() && missing.is_empty() {
        return Err(read_error(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr,
        }));
    }
    let found: Vec<&String> = refs
        .iter()
        .filter(|r| !missing.contains(r.as_str()))
        .collect();
    if found.len() != lines.len() {
        if refs.len() == 1 {
            return Err(Error::docker(format!(
                "unexpected output from `docker {}`: {} lines for {} images\n{}",
                cmd.line(),
                lines.len(),
                found.len(),
                out.stderr.trim()
            )));
        }
        // Could not tell which line is which image (unusual stderr wording):
        // ask one by one. Rare, and still correct.
        for r in refs {
            images.extend(resolve_images(runner, std::slice::from_ref(r))?);
        }
        return Ok(images);
    }
    for (r, line) in found.into_iter().zip(lines) {
        images.insert(r.clone(), image_line(&cmd, line)?);
    }
    Ok(images)
}

/// One line of `docker image inspect`: `<ID>\t<JSON array of its env>`.
fn image_line(cmd: &Cmd, line: &str) -> Result<Image> {
    let (id, env) = line.split_once('\t').unwrap_or((line, "null"));
    let env: Option<Vec<String>> = serde_json::from_str(env).map_err(|e| {
        Error::docker(format!(
            "could not parse `docker {}` output line `{line}`",
            cmd.line()
        ))
        .because(e)
    })?;
    Ok(Image {
        id: id.trim().to_string(),
        env_keys: env
            .unwrap_or_default()
            .iter()
            .map(|kv| kv.split('=').next().unwrap_or_default().to_string())
            .collect(),
    })
}

/// A discovery failure, worded for the operator (the help comes from
/// [`DockerError::help`]).
pub(crate) fn read_error(e: DockerError) -> Error {
    Error::from(e).context("could not read the containers")
}

/// Runs a read-only docker command: its stdout, or a discovery error.
pub(crate) fn read_stdout(runner: &dyn Runner, cmd: &Cmd) -> Result<String> {
    Ok(run_ok(runner, cmd).map_err(read_error)?.stdout)
}
