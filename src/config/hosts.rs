//! The top-level `hosts`: each declared host and how the docker CLI
//! reaches its engine ([`Reach`]), and which of them each type's instances
//! run on. A `docker_host` URL is read by the parser the runs use
//! ([`crate::ssh::parse_docker_host`]), so what passes here is what a run
//! can connect to.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::Source;
use super::unique_map::{EntryCheck, KeyText, UniqueMap};
use super::values::{Name, validated};
use crate::error::Result;

/// A declared host: a name and how the docker CLI reaches its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub reach: Reach,
}

/// How the docker CLI reaches a host's engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// `{}`: the CLI's own default (what `docker ps` reaches for the
    /// operator running fleet).
    Default,
    /// `{"docker_host": URL}`: `docker --host URL`.
    DockerHost(String),
    /// `{"context": NAME}`: `docker --context NAME`.
    Context(String),
}

impl Reach {
    /// The docker CLI's global options that select this engine, placed
    /// before the subcommand.
    pub fn global_args(&self) -> Vec<String> {
        match self {
            Reach::Default => Vec::new(),
            Reach::DockerHost(url) => vec!["--host".into(), url.clone()],
            Reach::Context(name) => vec!["--context".into(), name.clone()],
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Default => write!(f, "the docker CLI's default engine"),
            Reach::DockerHost(url) => write!(f, "{url}"),
            Reach::Context(name) => write!(f, "context {name}"),
        }
    }
}

/// How the docker CLI reaches one host: `{}` (its default engine), `{"docker_host": URL}` or `{"context": NAME}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    /// A DOCKER_HOST URL: unix:///path, tcp://host:port or ssh://[user@]host[:port].
    docker_host: Option<DockerHost>,
    /// A docker context name (`docker context ls`).
    context: Option<ContextName>,
}

/// The top-level `hosts`, in name order; empty when absent.
pub(super) fn resolve_hosts(
    src: Source,
    raw: Option<UniqueMap<Name, RawHost>>,
) -> Result<Vec<Host>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if raw.0.is_empty() {
        return Err(src
            .at_key(&["hosts"], "hosts: declares no host".into())
            .with_help(
                "declare at least one host, e.g. \"hosts\": {\"local\": {}}, or remove `hosts`",
            ));
    }
    let mut out = Vec::new();
    for (Name(name), h) in raw.0 {
        let reach = match (h.docker_host, h.context) {
            (None, None) => Reach::Default,
            (Some(DockerHost(url)), None) => Reach::DockerHost(url),
            (None, Some(ContextName(c))) => Reach::Context(c),
            (Some(_), Some(_)) => {
                let message = format!(
                    "hosts.{name}: sets both `docker_host` and `context`; a host is reached one way"
                );
                return Err(src
                    .at_key(&["hosts", &name], message)
                    .with_help("keep one of them"));
            }
        };
        out.push(Host { name, reach });
    }
    Ok(out)
}

/// The hosts a type's instances run on: its own `hosts`, else the
/// defaults', else the only declared host. Every name must be declared.
pub(super) fn type_hosts(
    src: Source,
    type_name: &str,
    own: Option<Vec<Name>>,
    defaults: Option<&Vec<Name>>,
    declared: &[Host],
) -> Result<Vec<String>> {
    let (list, steps): (Option<Vec<Name>>, Vec<&str>) = match own {
        Some(l) => (Some(l), vec!["types", type_name, "hosts"]),
        None => (defaults.cloned(), vec!["defaults", "hosts"]),
    };
    let at = |message: String| src.at_key(&steps, message);
    let Some(list) = list else {
        return match declared {
            [] => Ok(Vec::new()),
            [only] => Ok(vec![only.name.clone()]),
            _ => Err(src
                .at_key(
                    &["types", type_name],
                    format!("types.{type_name}: no `hosts`, and the config declares several"),
                )
                .with_help(format!(
                    "set `types.{type_name}.hosts` (or `defaults.hosts`) to some of: {}",
                    host_names(declared)
                ))),
        };
    };
    let key = steps.join(".");
    if declared.is_empty() {
        return Err(at(format!("{key}: no host is declared")).with_help(
            "declare the hosts in the top-level `hosts` map, e.g. \"hosts\": {\"local\": {}}",
        ));
    }
    if list.is_empty() {
        return Err(at(format!(
            "{key}: the list is empty; a type runs on at least one host"
        ))
        .with_help(format!("name some of: {}", host_names(declared))));
    }
    let mut out: Vec<String> = Vec::new();
    for Name(h) in list {
        if !declared.iter().any(|d| d.name == h) {
            return Err(at(format!("{key}: host `{h}` is not declared in `hosts`"))
                .with_help(format!("the declared hosts are: {}", host_names(declared))));
        }
        if out.contains(&h) {
            return Err(at(format!("{key}: host `{h}` is named twice"))
                .with_help("name each host once; instances go round the list in order"));
        }
        out.push(h);
    }
    Ok(out)
}

/// `a`, `b`, … for messages.
fn host_names(hosts: &[Host]) -> String {
    let names: Vec<String> = hosts.iter().map(|h| format!("`{}`", h.name)).collect();
    names.join(", ")
}

/// A `docker_host` URL the docker CLI can use: `unix://` with an absolute
/// path, `tcp://host:port`, `ssh://[user@]host[:port][/path]`.
fn check_docker_host(s: &str) -> std::result::Result<(), String> {
    if super::snippet::url_password(s) {
        // Never shown: it holds a secret.
        return Err(
            "invalid docker_host: a password in the URL is refused (and never shown); use an SSH key (ssh-agent or ~/.ssh/config) or TLS certificates".to_string(),
        );
    }
    if s.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(format!("invalid docker_host {s:?}: no whitespace or NUL"));
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!(
            "invalid docker_host `{s}`: expected a URL such as unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host"
        ));
    };
    match scheme {
        "unix" if rest.starts_with('/') => Ok(()),
        "unix" => Err(format!(
            "invalid docker_host `{s}`: a unix:// URL takes an absolute socket path (unix:///path)"
        )),
        "tcp" if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        "tcp" => Err(format!(
            "invalid docker_host `{s}`: expected tcp://host:port"
        )),
        "ssh" => check_ssh_url(s, rest),
        _ => Err(format!(
            "invalid docker_host `{s}`: the scheme `{scheme}` is not one fleet drives (unix, tcp, ssh)"
        )),
    }
}

/// `ssh://[user@]host[:port][/path]` as the docker CLI reads it: no
/// password, a numeric port, no query or fragment.
fn check_ssh_url(s: &str, rest: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("invalid docker_host `{s}`: {why}"));
    if rest.contains('?') || rest.contains('#') {
        return bad("an ssh:// URL takes no query or fragment");
    }
    let authority = rest.split('/').next().unwrap_or("");
    let host_port = match authority.rsplit_once('@') {
        Some(("", _)) => return bad("the user before `@` is empty"),
        Some((_, hp)) => hp,
        None => authority,
    };
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || port.is_empty() => {
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return bad("the port must be a number 1..=65535");
            }
            h
        }
        _ => host_port,
    };
    if host.is_empty() {
        return bad("no host name");
    }
    Ok(())
}

validated!(DockerHost, String, { "type": "string", "pattern": "^(unix|tcp|ssh)://[^\\s]+$" }, |s| check_docker_host(s));

validated!(ContextName, String, { "type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$" }, |s| {
    let mut c = s.chars();
    if matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.+-".contains(x))
    {
        Ok(())
    } else {
        Err(format!(
            "invalid context name `{s}`: docker context names match [a-zA-Z0-9][a-zA-Z0-9_.+-]*"
        ))
    }
});

impl EntryCheck<RawHost> for Name {}
