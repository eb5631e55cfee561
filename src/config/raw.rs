//! agents.json as written (`RawConfig`, the serde and schemars types) and
//! how it resolves into a [`Config`]: `defaults` merged under each type,
//! the hash of each spec, and the JSON Schema derived from the same types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::Source;
use super::hosts::{RawHost, resolve_hosts, type_hosts};
use super::swarm::{Constraint, RawSwarm, constraints, resolve_swarm};
use super::unique_map::UniqueMap;
use super::values::{
    AbsPath, Arg, Cpus, EnvKey, EnvValue, HealthTest, Image, Instances, LabelKey, MaxUnavailable,
    Mount, Name, NonEmpty, Retries, RunArgs,
};
use super::{
    AgentType, Config, DEFAULT_PROJECT, Duration, Healthcheck, Memory, Restart, Spec, spec_hash,
};
use crate::error::Result;

/// fleet's agents.json: which agent containers exist on this host.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fleet agents.json")]
pub(super) struct RawConfig {
    /// Lets editors find this schema; ignored by fleet.
    #[serde(rename = "$schema")]
    #[allow(dead_code)]
    schema: Option<String>,
    /// The namespace (label fleet.project); only its containers are ever touched. Default: claude-hooks.
    project: Option<Name>,
    /// Any type field but `instances`; a type's own value wins; `env` and `labels` merge key by key.
    #[serde(default)]
    defaults: RawFields,
    /// The Docker engines the fleet runs on, by name (several hosts). Without it, one host: the docker CLI's default engine.
    hosts: Option<UniqueMap<Name, RawHost>>,
    /// The project runs on a Docker Swarm: {"manager": HOST}, the declared host whose engine manages it; every agent is a service of one replica; the other declared hosts are the nodes' engines (busy agents are read there).
    swarm: Option<RawSwarm>,
    /// Agent types by name; containers are `<type>-default`, `<type>-2` … `<type>-N`.
    types: UniqueMap<Name, RawFields>,
}

/// The fields of a type; `defaults` uses the same shape minus `instances`.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFields {
    /// Image reference (required, here or in defaults), e.g. claude-agent:latest.
    image: Option<Image>,
    /// How many containers of this type (0..=100, default 1). Not allowed in defaults.
    instances: Option<Instances>,
    /// The hosts (names from the top-level `hosts`) its instances run on: instance i on hosts[(i-1) mod len]. Not part of the config hash.
    hosts: Option<Vec<Name>>,
    /// Swarm placement constraints (as `docker service create --constraint` takes them), e.g. ["node.labels.gpu==true"]; only with a top-level `swarm`. Not part of the config hash.
    constraints: Option<Vec<Constraint>>,
    /// The command (argv array).
    command: Option<Vec<Arg>>,
    /// The entrypoint (argv array).
    entrypoint: Option<Vec<Arg>>,
    /// Environment variables; values never reach docker's argv. One line each of docker's env-file: no line break or NUL, no trailing carriage return, KEY=value at most 65535 bytes.
    env: Option<UniqueMap<EnvKey, EnvValue>>,
    /// Bind mounts or volumes in docker's short syntax: src:dst or src:dst:ro.
    mounts: Option<Vec<Mount>>,
    /// Working directory inside the container (absolute).
    workdir: Option<AbsPath>,
    /// User (name, uid or uid:gid).
    user: Option<NonEmpty>,
    /// Network to attach to.
    network: Option<NonEmpty>,
    /// Extra labels; the fleet. prefix is reserved.
    labels: Option<UniqueMap<LabelKey, Arg>>,
    /// Restart policy (default unless-stopped).
    restart: Option<Restart>,
    /// Memory limit, e.g. 4g.
    memory: Option<Memory>,
    /// CPU limit, e.g. 2 or 0.5.
    cpus: Option<Cpus>,
    /// Run an init process as PID 1 (docker --init).
    init: Option<bool>,
    /// Extra `docker create` options (an escape hatch), e.g. ["--gpus", "all"]. Refused: options docker create does not know, --name, --rm, -d, --detach-keys, --sig-proxy, -a, --cidfile, --help, -e/--env/--env-file (use env), --label-file and fleet.* labels (use labels), and anything docker would take as the image.
    run_args: Option<RunArgs>,
    /// How many members of the type may be down at once while they are recreated: an integer >= 1 or a percentage of `instances` such as "25%" (rounded down, at least 1). Default 1. Not part of the config hash.
    max_unavailable: Option<MaxUnavailable>,
    /// docker's healthcheck (`--health-*`), e.g. {"test": ["CMD", "pg_isready"], "interval": "5s"}; the whole object of a type replaces the defaults'. Without one, the image's own HEALTHCHECK applies.
    healthcheck: Option<RawHealthcheck>,
}

/// `healthcheck`: docker's `--health-*` options.
#[derive(Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields, try_from = "HealthFields")]
#[schemars(with = "HealthFields")]
struct RawHealthcheck(Healthcheck);

/// The fields of `healthcheck` as written.
#[derive(Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
struct HealthFields {
    /// docker's form: ["CMD", "prog", "arg"…], ["CMD-SHELL", "shell command"] or ["NONE"] (no healthcheck, not even the image's). The image needs /bin/sh: docker's CLI passes a health command as a shell string.
    test: HealthTest,
    /// Time between probes (Go duration: 5s, 1m30s, 500ms; at least 1ms).
    interval: Option<Duration>,
    /// How long one probe may take.
    timeout: Option<Duration>,
    /// Failures in a row that make the container unhealthy (1..=1000).
    retries: Option<Retries>,
    /// Time after the start during which failures do not count.
    start_period: Option<Duration>,
}

impl TryFrom<HealthFields> for RawHealthcheck {
    type Error = String;
    fn try_from(h: HealthFields) -> std::result::Result<Self, String> {
        let check = Healthcheck {
            test: h.test.0,
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries.map(|r| r.0 as u32),
            start_period: h.start_period,
        };
        let tuned = check.interval.is_some()
            || check.timeout.is_some()
            || check.retries.is_some()
            || check.start_period.is_some();
        if check.disabled() && tuned {
            return Err(
                "`test: [\"NONE\"]` disables the healthcheck; it takes no interval, timeout, retries or start_period (docker refuses --no-healthcheck with --health-* options)".to_string(),
            );
        }
        Ok(RawHealthcheck(check))
    }
}

impl RawConfig {
    pub(super) fn resolve(self, src: Source) -> Result<Config> {
        let project = self
            .project
            .map(|n| n.0)
            .unwrap_or_else(|| DEFAULT_PROJECT.to_string());
        let d = self.defaults;
        if d.instances.is_some() {
            let message = "defaults.instances: `instances` is set per type, not in defaults";
            return Err(src
                .at_key(&["defaults", "instances"], message.into())
                .with_help("move it to each entry of `types`"));
        }
        let hosts = resolve_hosts(src, self.hosts)?;
        let swarm = resolve_swarm(src, self.swarm, &hosts)?;
        let mut types = Vec::new();
        for (Name(name), mut t) in self.types.0 {
            // On a swarm, a type without `hosts` is Swarm's to place.
            let unpinned = swarm.is_some() && t.hosts.is_none() && d.hosts.is_none();
            let placed = match unpinned {
                true => Vec::new(),
                false => type_hosts(src, &name, t.hosts.take(), d.hosts.as_ref(), &hosts)?,
            };
            swarm_fields(src, &name, &t, &d, swarm.is_some())?;
            let constraints = constraints(t.constraints.take().or_else(|| d.constraints.clone()));
            let Some(Image(image)) = t.image.clone().or_else(|| d.image.clone()) else {
                let message = format!("types.{name}.image: missing; every type needs an image");
                return Err(src
                    .at_key(&["types", &name], message)
                    .with_help(format!("set `types.{name}.image` or `defaults.image`")));
            };
            let instances = t.instances.as_ref().map_or(1, |i| i.0 as u32);
            let max_unavailable = t
                .max_unavailable
                .or(d.max_unavailable)
                .map_or(1, |m| m.of(instances));
            let spec = t.merged(&d, image);
            let hash = spec_hash(&spec);
            types.push(AgentType {
                instances,
                max_unavailable,
                hosts: placed,
                constraints,
                name,
                spec,
                hash,
            });
        }
        let config = Config {
            project,
            hosts,
            swarm,
            types,
        };
        // Names cannot clash: the part after the last `-` is `default` or a
        // number, neither of which contains `-`, so the split is unique.
        Ok(config)
    }
}

/// The fields that belong to a swarm, or cannot go on one: `constraints`
/// only with `swarm`; on a swarm, `run_args` that have a `docker service
/// create` equivalent only, env keys the docker CLI does not read itself,
/// mounts without z/Z.
fn swarm_fields(src: Source, name: &str, t: &RawFields, d: &RawFields, swarm: bool) -> Result<()> {
    let at = |own: bool, field: &str| -> Vec<String> {
        match own {
            true => vec!["types".into(), name.into(), field.into()],
            false => vec!["defaults".into(), field.into()],
        }
    };
    let path = |p: &[String]| p.join(".");
    let has_constraints = t.constraints.as_ref().or(d.constraints.as_ref());
    if !swarm && has_constraints.is_some_and(|c| !c.is_empty()) {
        let p = at(t.constraints.is_some(), "constraints");
        let keys: Vec<&str> = p.iter().map(String::as_str).collect();
        return Err(src
            .at_key(
                &keys,
                format!(
                    "{}: constraints place agents on a swarm's nodes, and this config has no `swarm`",
                    path(&p)
                ),
            )
            .with_help(r#"add "swarm": {"manager": HOST}, or remove `constraints` (`hosts` places agents on plain engines)"#));
    }
    if !swarm {
        return Ok(());
    }
    // On a swarm each `docker run` option must have a `service create`
    // equivalent (config/swarm_args.rs).
    for (own, args) in [(true, &t.run_args), (false, &d.run_args)] {
        let Some(args) = args else { continue };
        if let Err(why) = super::swarm_args::on_swarm(&args.0) {
            let p = at(own, "run_args");
            let keys: Vec<&str> = p.iter().map(String::as_str).collect();
            return Err(src.at_key(&keys, format!("{}: {why}", path(&p))).with_help(
                "README \"Swarm\" lists each run_arg's `docker service create` equivalent",
            ));
        }
    }
    // `docker service update` takes env values from the docker CLI's own
    // environment (`--env-add KEY`): a key the CLI reads itself would
    // steer it.
    for (own, env) in [(true, &t.env), (false, &d.env)] {
        let Some(env) = env else { continue };
        if let Some(key) = env.0.keys().map(|k| k.0.as_str()).find(|k| cli_reads(k)) {
            let mut p = at(own, "env");
            p.push(key.to_string());
            let keys: Vec<&str> = p.iter().map(String::as_str).collect();
            return Err(src
                .at_key(
                    &keys,
                    format!(
                        "{}: on a swarm fleet hands env to `docker service update` through the docker CLI's own environment, where `{key}` would change the CLI itself",
                        path(&p)
                    ),
                )
                .with_help("set it in the image (ENV), or run this type on plain engines"));
        }
    }
    for (own, mounts) in [(true, &t.mounts), (false, &d.mounts)] {
        let Some(mounts) = mounts else { continue };
        if let Some(m) = (mounts.iter().map(|m| m.0.as_str())).find(|m| {
            m.splitn(3, ':')
                .nth(2)
                .is_some_and(|o| o.split(',').any(|o| o == "z" || o == "Z"))
        }) {
            let p = at(own, "mounts");
            let keys: Vec<&str> = p.iter().map(String::as_str).collect();
            return Err(src
                .at_key(
                    &keys,
                    format!("{}: `{m}`: SELinux relabelling (z, Z) has no `docker service create --mount` spelling", path(&p)),
                )
                .with_help("relabel the source on the nodes, and drop z/Z"));
        }
    }
    Ok(())
}

/// Variables the docker CLI (or the Go runtime, the dynamic loader, ssh)
/// reads from its own environment.
fn cli_reads(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "HOME",
        "TMPDIR",
        "USER",
        "SHELL",
        "GODEBUG",
        "GOGC",
        "GOMAXPROCS",
        "GOMEMLIMIT",
        "GOTRACEBACK",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "BUILDKIT_PROGRESS",
        "BUILDX_BUILDER",
        "NO_COLOR",
    ];
    const PREFIXES: &[&str] = &["DOCKER_", "LD_", "SSH_", "XDG_", "OTEL_", "COMPOSE_"];
    let upper = key.to_ascii_uppercase();
    EXACT.contains(&upper.as_str()) || PREFIXES.iter().any(|p| upper.starts_with(p))
}

impl RawFields {
    /// A type's fields over the defaults `d`: the type's own value wins,
    /// `env` and `labels` merge key by key.
    fn merged(self, d: &RawFields, image: String) -> Spec {
        let t = self;
        Spec {
            image,
            command: args(t.command.or_else(|| d.command.clone())),
            entrypoint: args(t.entrypoint.or_else(|| d.entrypoint.clone())),
            env: merge(&d.env, t.env)
                .into_iter()
                .map(|(k, v)| (k.0, v.0))
                .collect(),
            mounts: t
                .mounts
                .or_else(|| d.mounts.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.0)
                .collect(),
            workdir: t.workdir.or_else(|| d.workdir.clone()).map(|p| p.0),
            user: t.user.or_else(|| d.user.clone()).map(|u| u.0),
            network: t.network.or_else(|| d.network.clone()).map(|n| n.0),
            labels: merge(&d.labels, t.labels)
                .into_iter()
                .map(|(k, v)| (k.0, v.0))
                .collect(),
            restart: t.restart.or(d.restart).unwrap_or_default(),
            memory: t.memory.or_else(|| d.memory.clone()),
            cpus: t.cpus.or(d.cpus).map(|c| c.0),
            init: t.init.or(d.init).unwrap_or(false),
            run_args: t
                .run_args
                .or_else(|| d.run_args.clone())
                .map(|a| a.0)
                .unwrap_or_default(),
            healthcheck: t.healthcheck.or_else(|| d.healthcheck.clone()).map(|h| h.0),
        }
    }
}

/// The strings of an argv array.
fn args(a: Option<Vec<Arg>>) -> Option<Vec<String>> {
    a.map(|a| a.into_iter().map(|a| a.0).collect())
}

/// A type's own map entries win over the defaults', key by key.
fn merge<K: Ord + Clone, V: Clone>(
    defaults: &Option<UniqueMap<K, V>>,
    own: Option<UniqueMap<K, V>>,
) -> BTreeMap<K, V> {
    let mut out = defaults.clone().map(|m| m.0).unwrap_or_default();
    out.extend(own.map(|m| m.0).unwrap_or_default());
    out
}

/// The JSON Schema of agents.json, derived from the types above, pretty
/// printed with a trailing newline.
pub(crate) fn schema_json() -> String {
    let schema = schemars::schema_for!(RawConfig);
    // schemars' own Serialize keeps the keys in the order editors expect; a
    // schema of string-keyed maps cannot fail to serialise.
    serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
}
