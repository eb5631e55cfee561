//! Discovery: what exists, in a constant number of docker processes whatever
//! the fleet's size: one listing, one batched `docker inspect` of every
//! relevant container, one batched `docker image inspect` of every distinct
//! image in use. Reads only; never mutates.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow};

use crate::config::{Desired, name_order};
use crate::docker::{Cmd, DockerError, Runner, argv, run_ok};
use crate::snapshot::{ContainerSnapshot, parse_inspect};

/// Everything the planner needs to know about the engine's side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actual {
    /// This project's containers, plus any container (ours or not) holding a
    /// desired name. In [`name_order`].
    pub containers: Vec<ContainerSnapshot>,
    /// Image reference → what it resolves to now. A reference absent from
    /// the map does not exist locally.
    pub images: BTreeMap<String, Image>,
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
pub fn observe(runner: &dyn Runner, project: &str, desired: &[Desired]) -> Result<Actual> {
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    let listing = run_ok(runner, &argv::list_all()).map_err(read_error)?;
    let ids: Vec<&str> = listing
        .stdout
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (id, name, label) = (f.next()?, f.next()?, f.next().unwrap_or(""));
            (label == project || wanted.contains(name)).then_some(id)
        })
        .collect();
    let mut containers = inspect_containers(runner, &ids)?;
    containers.sort_by(|a, b| name_order(&a.name).cmp(&name_order(&b.name)));

    // Only images of desired containers that exist as ours need resolving:
    // an absent container is created from whatever the reference is, and a
    // foreign one is never compared.
    let existing: BTreeSet<&str> = containers
        .iter()
        .filter(|c| c.project() == Some(project))
        .map(|c| c.name.as_str())
        .collect();
    let refs: Vec<String> = desired
        .iter()
        .filter(|d| existing.contains(d.name.as_str()))
        .map(|d| d.spec.image.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let images = resolve_images(runner, &refs)?;
    Ok(Actual { containers, images })
}

/// One `docker inspect` of `ids`. A container removed between the listing
/// and the inspect is simply absent (docker says "No such object" for it).
pub fn inspect_containers(runner: &dyn Runner, ids: &[&str]) -> Result<Vec<ContainerSnapshot>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cmd = argv::inspect(ids);
    let out = runner.run(&cmd).map_err(read_error)?;
    // A container removed between the listing and the inspect is the only
    // failure tolerated: docker still prints the others.
    let vanished_only = !out.stderr.trim().is_empty()
        && out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.contains("No such object") || l.contains("No such container"));
    if !out.success() && !vanished_only {
        return Err(read_error(DockerError::Failed {
            cmd: cmd.line(),
            code: out.code,
            stderr: out.stderr,
        }));
    }
    if out.stdout.trim().is_empty() {
        return Ok(Vec::new());
    }
    parse_inspect(&out.stdout)
}

/// One `docker image inspect` of `refs`. Missing images are left out of the
/// map (docker names them on stderr and exits 1; the others still print).
fn resolve_images(runner: &dyn Runner, refs: &[String]) -> Result<BTreeMap<String, Image>> {
    let mut images = BTreeMap::new();
    if refs.is_empty() {
        return Ok(images);
    }
    let cmd = argv::image_inspect(refs);
    let out = runner.run(&cmd).map_err(read_error)?;
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    let missing: BTreeSet<&str> = refs
        .iter()
        .filter(|r| {
            out.stderr.lines().any(|l| {
                l.to_ascii_lowercase().contains("no such image")
                    && l.trim_end().ends_with(&format!(": {r}"))
            })
        })
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
            return Err(anyhow!(
                "unexpected output from `docker {}`: {} lines for {} images\n{}",
                cmd.line(),
                lines.len(),
                found.len(),
                out.stderr.trim()
            ));
        }
        // Could not tell which line is which image (unusual stderr wording):
        // ask one by one. Rare, and still correct.
        for r in refs {
            images.extend(resolve_images(runner, std::slice::from_ref(r))?);
        }
        return Ok(images);
    }
    for (r, line) in found.into_iter().zip(lines) {
        let (id, env) = line.split_once('\t').unwrap_or((line, "null"));
        let env: Option<Vec<String>> = serde_json::from_str(env).with_context(|| {
            format!(
                "could not parse `docker {}` output line `{line}`",
                cmd.line()
            )
        })?;
        images.insert(
            r.clone(),
            Image {
                id: id.trim().to_string(),
                env_keys: env
                    .unwrap_or_default()
                    .iter()
                    .map(|kv| kv.split('=').next().unwrap_or_default().to_string())
                    .collect(),
            },
        );
    }
    Ok(images)
}

/// A discovery failure, worded for the operator (the `help:` lines come
/// from [`DockerError`]'s message).
pub fn read_error(e: DockerError) -> anyhow::Error {
    anyhow!("could not read the containers: {e}")
}

/// Runs a read-only docker command: its stdout, or a discovery error.
pub fn read_stdout(runner: &dyn Runner, cmd: &Cmd) -> Result<String> {
    Ok(run_ok(runner, cmd).map_err(read_error)?.stdout)
}
