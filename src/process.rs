//! Facts about processes on this machine, read from `/proc` and kill(2):
//! whether a pid still names the process that started at a given tick, and
//! which kernel boot and pid namespace a pid means anything in. Used by the
//! engine lock (is its holder alive here?) and the SSH directory sweep (is
//! its owner alive?). Reads no environment variable.

/// Field 22 of `/proc/<pid>/stat`: when the process started, in clock
/// ticks after boot. `None` when it is not readable.
pub fn process_start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// Why `pid` (which started at tick `start`, when known) is gone from this
/// machine's pid namespace, if it is: it no longer runs, has exited, or is
/// another process now. A pid that runs with no start time to compare is
/// not gone.
pub(crate) fn gone(pid: u32, start: Option<u64>) -> Option<String> {
    match process(pid) {
        Process::Gone => Some(format!("pid {pid} no longer runs on this machine")),
        Process::Zombie => Some(format!("pid {pid} has exited (a zombie not yet reaped)")),
        Process::Runs(Some(now)) if start.is_some_and(|s| s != now) => Some(format!(
            "pid {pid} is another process now (it started at tick {now}, the holder at tick {})",
            start.unwrap_or_default()
        )),
        Process::Runs(_) => None,
    }
}

/// A process as this machine sees it.
pub(crate) enum Process {
    Gone,
    Zombie,
    /// It runs; its start time when readable.
    Runs(Option<u64>),
}

/// kill(pid, 0) says whether the pid exists even when `/proc` hides other
/// users' processes (`hidepid`); `/proc/<pid>/stat` then gives its state
/// and start time when readable.
pub(crate) fn process(pid: u32) -> Process {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return Process::Gone;
    };
    // SAFETY: kill(2) with signal 0 sends nothing; it only checks that the
    // process exists. `p` > 0 (checked by the caller), so it names one
    // process, never a group.
    let r = unsafe { libc::kill(p, 0) };
    if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
        return Process::Gone;
    }
    match stat_fields(pid) {
        Some(f) if matches!(f.first().map(String::as_str), Some("Z" | "X")) => Process::Zombie,
        Some(f) => Process::Runs(f.get(19).and_then(|s| s.parse().ok())),
        None => Process::Runs(None),
    }
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold
/// spaces and parentheses): the state first, the start time at 19.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

pub(crate) fn read_trimmed(path: &str) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// `<boot id>/pid:[<inode>]`: where a pid names this process.
pub(crate) fn pid_namespace() -> Option<String> {
    let boot = read_trimmed("/proc/sys/kernel/random/boot_id")?;
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{boot}/{}", ns.to_str()?))
}
