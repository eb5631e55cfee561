//! What a desired container is called and where it runs: its name from
//! type and instance, its host from the type's `hosts`, the order names
//! sort in, and `name@host` for people.

use super::Desired;

/// The desired containers placed on `host` (`None`: the implicit host of
/// a config without `hosts`, where every container is).
pub(crate) fn placed_on<'d>(desired: &'d [Desired], host: Option<&str>) -> Vec<&'d Desired> {
    desired
        .iter()
        .filter(|d| host.is_none() || d.host.as_deref() == host)
        .collect()
}

/// The host of instance `i` (1-based) of a type placed on `hosts`:
/// `hosts[(i-1) mod len]`; `None` without hosts.
pub(super) fn placement(hosts: &[String], i: u32) -> Option<String> {
    let n = u32::try_from(hosts.len()).ok().filter(|&n| n > 0)?;
    usize::try_from((i.max(1) - 1) % n)
        .ok()
        .map(|k| hosts[k].clone())
}

/// How a container is named to people when the config declares hosts:
/// `name@host`; just `name` on the implicit host.
pub(crate) fn name_at(name: &str, host: Option<&str>) -> String {
    match host {
        Some(h) => format!("{name}@{h}"),
        None => name.to_string(),
    }
}

/// `<type>-default` for instance 1, `<type>-N` after.
pub(super) fn container_name(type_name: &str, instance: u32) -> String {
    if instance == 1 {
        format!("{type_name}-default")
    } else {
        format!("{type_name}-{instance}")
    }
}

/// Sort key that orders container names as the config does: by type, then
/// instance (`x-default` is 1, so `x-default, x-2, …, x-10`). Names of
/// another shape sort by their text, after instance numbers of the same base.
pub(crate) fn name_order(name: &str) -> (&str, u32, &str) {
    match name.rsplit_once('-') {
        Some((base, "default")) => (base, 1, ""),
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (base, n.parse().unwrap_or(u32::MAX), "")
        }
        _ => (name, u32::MAX, name),
    }
}
