//! The top-level `swarm` (DESIGN.md "Swarm"): the project runs on the
//! Docker Swarm that a declared host's engine manages, and a type's
//! `constraints` say on which of its nodes its agents may run.
//!
//! A constraint is read by Swarm's own grammar (`KEY==VALUE` or
//! `KEY!=VALUE`, `==` looked for first, key and value trimmed, the key
//! `[A-Za-z_][A-Za-z0-9._-]+`, the value letters, digits, whitespace and
//! `:-_.*()?+[]\^$|/`), and only keys Swarm places by are accepted: Swarm
//! takes any other key and then never finds a node for it, which would
//! leave the agent pending for ever.

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::Source;
use super::hosts::Host;
use super::unique_map::KeyText;
use super::values::{Name, validated};
use crate::error::Result;

/// The swarm a project runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swarm {
    /// The declared host whose engine is a manager of the swarm: fleet
    /// reads and writes the swarm through it.
    pub manager: String,
}

/// `swarm`: `{"manager": HOST}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSwarm {
    /// The declared host (a name from `hosts`) whose engine manages the swarm; fleet reads and changes the swarm through it.
    manager: Name,
}

/// Keys Swarm places by, lowercased (Swarm compares keys in any case);
/// `node.labels.` and `engine.labels.` take a label name after them.
const KEYS: &[&str] = &[
    "node.id",
    "node.hostname",
    "node.role",
    "node.platform.os",
    "node.platform.arch",
];
const LABEL_PREFIXES: &[&str] = &["node.labels.", "engine.labels."];

/// The characters Swarm allows in a constraint's value.
fn value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c.is_whitespace() || ":-_.*()?+[]\\^$|/".contains(c)
}

fn key_ok(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && key.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn check_constraint(s: &String) -> std::result::Result<(), String> {
    // `==` first, as Swarm looks: `a!=b==c` is the key `a!`.
    let Some((key, value)) = ["==", "!="]
        .into_iter()
        .find_map(|op| s.split_once(op).map(|(k, v)| (k.trim(), v.trim())))
    else {
        return Err(format!(
            "constraint `{s}` has no operator: write KEY==VALUE or KEY!=VALUE, e.g. node.labels.gpu==true"
        ));
    };
    if !key_ok(key) {
        return Err(format!(
            "constraint `{s}`: the key `{key}` is not one Swarm reads ([A-Za-z_][A-Za-z0-9._-]+)"
        ));
    }
    let lower = key.to_ascii_lowercase();
    let known = KEYS.contains(&lower.as_str())
        || LABEL_PREFIXES
            .iter()
            .any(|p| lower.len() > p.len() && lower.starts_with(p));
    if !known {
        return Err(format!(
            "constraint `{s}`: Swarm places by {}, node.labels.<label> or engine.labels.<label>, not `{key}` (it would accept it and never find a node)",
            KEYS.join(", ")
        ));
    }
    if value.is_empty() || !value.chars().all(value_char) {
        return Err(format!(
            "constraint `{s}`: the value `{value}` is not one Swarm takes (letters, digits, spaces and :-_.*()?+[]\\^$|/; no `=`)"
        ));
    }
    if lower == "node.role" && !["manager", "worker"].contains(&value.to_ascii_lowercase().as_str())
    {
        return Err(format!(
            "constraint `{s}`: a node's role is `manager` or `worker`"
        ));
    }
    Ok(())
}

validated!(Constraint, String, { "type": "string", "pattern": "^\\s*[A-Za-z_][A-Za-z0-9._-]+\\s*(==|!=)\\s*[A-Za-z0-9:_.*()?+\\[\\]\\\\^$|/ \\t-]+$" }, check_constraint);

/// The `swarm` section against the declared hosts: its manager must be one.
pub(super) fn resolve_swarm(
    src: Source,
    raw: Option<RawSwarm>,
    hosts: &[Host],
) -> Result<Option<Swarm>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let manager = raw.manager.0;
    if !hosts.iter().any(|h| h.name == manager) {
        let declared: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        let (message, help) = match declared.is_empty() {
            true => (
                format!(
                    "swarm.manager: `{manager}` is not a declared host (this config declares no `hosts`)"
                ),
                format!(
                    "declare the swarm's manager and its nodes in `hosts`, e.g. \"hosts\": {{\"{manager}\": {{\"docker_host\": \"ssh://ops@{manager}\"}}}}"
                ),
            ),
            false => (
                format!("swarm.manager: `{manager}` is not a declared host"),
                format!("name one of the declared hosts: {}", declared.join(", ")),
            ),
        };
        return Err(src.at_key(&["swarm", "manager"], message).with_help(help));
    }
    Ok(Some(Swarm { manager }))
}

/// The strings of a type's constraints.
pub(super) fn constraints(c: Option<Vec<Constraint>>) -> Vec<String> {
    c.unwrap_or_default().into_iter().map(|c| c.0).collect()
}
