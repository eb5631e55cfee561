//! `fleet status --format prometheus`: the status's figures in the
//! Prometheus text exposition format (0.0.4), for node_exporter's textfile
//! collector. One gauge family a figure, each with its `# HELP` and
//! `# TYPE` lines, every family present even without samples; label values
//! escaped as the format wants (backslash, double quote, newline).
//!
//! Labels: `project`; `host`, the declared host's name, or `""` for the
//! implicit host of a config without `hosts` (an empty label is no label
//! to Prometheus, and no declared host can be named so); `type` on the
//! pool families. Pure: a string from a [`Status`].

use crate::converge::Status;
use crate::ops::PoolFigures;

/// One figure of a pool.
type Figure = fn(&PoolFigures) -> usize;

/// The pool families: name, help, the figure.
const POOL_FAMILIES: [(&str, &str, Figure); 6] = [
    (
        "fleet_pool_members",
        "Agents of the type that the config places on the host.",
        |p| p.members,
    ),
    (
        "fleet_pool_ready",
        "Members running and ready (healthy, or running without a healthcheck).",
        |p| p.ready,
    ),
    (
        "fleet_pool_idle",
        "Members ready and not busy: what fleet exec TYPE could pick now.",
        |p| p.idle,
    ),
    (
        "fleet_pool_busy",
        "Members with live exec sessions (health probes aside) or a fleet exec claim.",
        |p| p.busy,
    ),
    (
        "fleet_pool_claimed",
        "Members with a fleet exec claim that counts.",
        |p| p.claimed,
    ),
    (
        "fleet_pool_down",
        "Members not running (missing, exited, created, paused, dead, restarting).",
        |p| p.down,
    ),
];

/// The exposition of `st`: `fleet_up` for each place of the run, then the
/// pool families (pools on hosts that could not be read have none).
pub(crate) fn status(st: &Status) -> String {
    let project = escape(&st.project);
    let mut out = family(
        "fleet_up",
        "Whether fleet could read the host's engine (1) or not (0).",
    );
    for (host, read) in &st.places {
        let host = escape(host.as_deref().unwrap_or(""));
        out += &format!(
            "fleet_up{{project=\"{project}\",host=\"{host}\"}} {}\n",
            u8::from(*read)
        );
    }
    for (name, help, figure) in POOL_FAMILIES {
        out += &family(name, help);
        for p in &st.pools {
            out += &format!(
                "{name}{{project=\"{project}\",type=\"{}\",host=\"{}\"}} {}\n",
                escape(&p.type_name),
                escape(p.host.as_deref().unwrap_or("")),
                figure(p)
            );
        }
    }
    out
}

/// A gauge family's `# HELP` and `# TYPE` lines (the help texts are
/// fleet's own: no backslash or newline to escape).
fn family(name: &str, help: &str) -> String {
    format!("# HELP {name} {help}\n# TYPE {name} gauge\n")
}

/// A label value as the format writes it: `\` as `\\`, `"` as `\"`, a
/// newline as `\n`.
fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => s += "\\\\",
            '"' => s += "\\\"",
            '\n' => s += "\\n",
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    /// Names fleet accepts hold none of these; the escaping is for the
    /// format's sake all the same.
    #[test]
    fn label_values_are_escaped_as_the_format_wants() {
        assert_eq!(super::escape("plain-name_1.x"), "plain-name_1.x");
        assert_eq!(super::escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
