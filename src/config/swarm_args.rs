//! `run_args` on a swarm: each `docker run` option mapped to its
//! `docker service create` equivalent, or refused with why (DESIGN.md
//! "Swarm"; README "Swarm"). Pure.

use super::run_args;

/// What a type's run_args come to on a swarm service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmArgs {
    /// `--read-only`.
    pub read_only: bool,
    /// `--tty`.
    pub tty: bool,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--stop-grace-period` (from `--stop-timeout N`: `Ns`).
    pub stop_grace: Option<String>,
    /// `--limit-pids` (from `--pids-limit`).
    pub pids_limit: Option<String>,
    /// `--reserve-memory` (from `--memory-reservation`).
    pub reserve_memory: Option<String>,
    /// `--host host:ip` (from `--add-host`).
    pub hosts: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--sysctl key=value`.
    pub sysctls: Vec<(String, String)>,
    /// `--ulimit name=soft[:hard]`.
    pub ulimits: Vec<String>,
    /// `--group` (from `--group-add`).
    pub groups: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `--mount` values (from `--mount`, `--volume`, `--tmpfs`).
    pub mounts: Vec<String>,
    /// `--container-label key=value` (from `--label`).
    pub labels: Vec<(String, String)>,
}

/// A mount in docker's short syntax (`SRC:DST[:OPTS]`) as `--mount` takes
/// it: an absolute source is a bind, a name a volume; `ro` read-only.
pub fn mount_spec(m: &str) -> String {
    let mut parts = m.splitn(3, ':');
    let (src, dst) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let ro = parts
        .next()
        .is_some_and(|o| o.split(',').any(|o| o == "ro"));
    let kind = if src.starts_with('/') {
        "bind"
    } else {
        "volume"
    };
    let mut s = format!("type={kind},source={src},target={dst}");
    if ro {
        s.push_str(",readonly");
    }
    s
}

/// pflag's booleans.
fn truth(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

const FIELD: &str = "the type has a field for it";

/// Maps run_args (already checked as `docker run` options) to a service's
/// options; `Err` names the first option that has no equivalent, and why.
pub(crate) fn on_swarm(args: &[String]) -> Result<SwarmArgs, String> {
    // Checked as docker's options when the config was read.
    let seen = run_args::parse(args).map_err(|_| "run_args are not docker options".to_string())?;
    let mut s = SwarmArgs::default();
    for (long, v) in seen {
        match long {
            "read-only" => s.read_only = truth(&v),
            "tty" => s.tty = truth(&v),
            "stop-signal" => s.stop_signal = Some(v),
            "stop-timeout" => match v.parse::<u32>() {
                Ok(n) => s.stop_grace = Some(format!("{n}s")),
                Err(_) => {
                    return Err(format!(
                        "`--stop-timeout {v}`: a swarm's stop grace period is a number of seconds ≥ 0"
                    ));
                }
            },
            "pids-limit" => s.pids_limit = Some(v),
            "memory-reservation" => s.reserve_memory = Some(v),
            "add-host" => s.hosts.push(v.replacen('=', ":", 1)),
            "dns" => s.dns.push(v),
            "dns-search" => s.dns_search.push(v),
            "dns-option" | "dns-opt" => s.dns_options.push(v),
            "sysctl" => match v.split_once('=') {
                Some((k, val)) => s.sysctls.push((k.to_string(), val.to_string())),
                None => return Err(format!("`--sysctl {v}` needs key=value")),
            },
            "ulimit" => s.ulimits.push(v),
            "group-add" => s.groups.push(v),
            "cap-add" => s.cap_add.push(v),
            "cap-drop" => s.cap_drop.push(v),
            "mount" => s.mounts.push(v),
            "volume" => s.mounts.push(mount_spec(&v)),
            "tmpfs" => s.mounts.push(tmpfs(&v)?),
            "label" => {
                let (k, val) = v.split_once('=').unwrap_or((&v, ""));
                s.labels.push((k.trim_start().to_string(), val.to_string()));
            }
            "memory" => return Err(refused(long, "use `memory`", FIELD)),
            "cpus" => return Err(refused(long, "use `cpus`", FIELD)),
            "user" => return Err(refused(long, "use `user`", FIELD)),
            "workdir" => return Err(refused(long, "use `workdir`", FIELD)),
            "network" | "net" => return Err(refused(long, "use `network`", FIELD)),
            "entrypoint" => return Err(refused(long, "use `entrypoint`", FIELD)),
            "init" => return Err(refused(long, "use `init`", FIELD)),
            "restart" => return Err(refused(long, "use `restart`", FIELD)),
            l if l.starts_with("health-") || l == "no-healthcheck" => {
                return Err(refused(long, "use `healthcheck`", FIELD));
            }
            "hostname" => {
                return Err(refused(
                    long,
                    "remove it",
                    "on a swarm an agent's hostname is its name",
                ));
            }
            _ => {
                return Err(refused(
                    long,
                    "run this type on plain engines, or do without it",
                    "`docker service create` has no equivalent",
                ));
            }
        }
    }
    Ok(s)
}

fn refused(long: &str, help: &str, why: &str) -> String {
    format!("`--{long}` has no place on a swarm service ({why}): {help}")
}

/// `--tmpfs /path[:size=…,mode=…]` as a tmpfs `--mount`.
fn tmpfs(v: &str) -> Result<String, String> {
    let (target, opts) = v.split_once(':').unwrap_or((v, ""));
    let mut m = format!("type=tmpfs,target={target}");
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            Some(("size", s)) => m += &format!(",tmpfs-size={s}"),
            Some(("mode", s)) => m += &format!(",tmpfs-mode={s}"),
            _ => {
                return Err(format!(
                    "`--tmpfs {v}`: a swarm's tmpfs mount takes only size= and mode=, not `{o}`"
                ));
            }
        }
    }
    Ok(m)
}
