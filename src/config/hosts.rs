//! The top-level `hosts`: each declared host and how the docker CLI
//! reaches its engine ([`Reach`]), and which of them each type's instances
//! run on. A `docker_host` URL is read by the parser the runs use
//! ([`crate::ssh::parse_docker_host`]), so what passes here is what a run
//! can connect to.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::{Invalid, Source};
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

/// A `docker_host` URL a run can use: read by the runs' own parser
/// ([`crate::ssh::parse_docker_host`]), so `check` refuses what every run
/// would. A URL with a password is never quoted.
fn check_docker_host(s: &str) -> std::result::Result<(), String> {
    let Err(bad) = crate::ssh::parse_docker_host(s) else {
        return Ok(());
    };
    let url = if crate::ssh::holds_password(s) {
        String::new()
    } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!(" {s:?}")
    } else {
        format!(" `{s}`")
    };
    Err(
        Invalid::new(format!("invalid docker_host{url}: {}", bad.message))
            .help(bad.help)
            .encode(),
    )
}

validated!(DockerHost, String, { "type": "string", "pattern": "^(unix|tcp|ssh)://[^\\s]+$" }, |s| check_docker_host(s));

validated!(ContextName, String, { "type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$" }, |s| {
    let mut c = s.chars();
    if matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.+-".contains(x))
    {
        Ok(())
    } else if crate::ssh::holds_password(s) {
        // Never shown: it holds a secret.
        Err(Invalid::new(
            "invalid context name: it looks like a URL with a password, which is never shown; docker context names match [a-zA-Z0-9][a-zA-Z0-9_.+-]*",
        )
        .help("name a context from `docker context ls`; a URL goes in `docker_host`, without a password")
        .encode())
    } else {
        Err(format!(
            "invalid context name `{s}`: docker context names match [a-zA-Z0-9][a-zA-Z0-9_.+-]*"
        ))
    }
});

impl EntryCheck<RawHost> for Name {}
