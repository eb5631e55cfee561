//! What a command runs with besides the config: the [`Context`] (the
//! runner, the flags that bound its work, the stop flag) and the [`Event`]s
//! it sends while it runs. Below the commands and everything they use, so
//! nothing imports back up to `commands`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::apply::Done;
use crate::docker::{Cmd, Runner};
use crate::engine_lock::LockEvent;
use crate::error::Error;
use crate::hosts::Connect;

/// What every command may need besides the config and its options.
pub struct Context<'a> {
    /// The config file.
    pub config: &'a Path,
    pub runner: &'a dyn Runner,
    /// How many docker operations may run at once.
    pub jobs: usize,
    /// Where the per-project lock lives, and how long to wait for it.
    pub lock_dir: &'a Path,
    /// How long to wait for a lock (the machine's, then each host's).
    pub lock_wait: Duration,
    /// How long a host's lock taken by this run counts as held before
    /// another run may take it over ([`crate::engine_lock`]).
    pub lock_lease: Duration,
    /// `--host`: only these declared hosts (all when empty).
    pub only_hosts: &'a [String],
    /// Opens the way to each declared host (an SSH connection for the run).
    pub connect: &'a dyn Connect,
    /// Set on SIGINT or SIGTERM (see [`crate::Io::stop`]).
    pub stop: &'a AtomicBool,
    /// The last SIGINT, SIGTERM or SIGHUP's number (0: none), for `fleet
    /// exec` to forward.
    pub signal: &'a std::sync::atomic::AtomicUsize,
    /// Whether fleet's stdin is a terminal.
    pub stdin_is_terminal: bool,
    /// Where what happens during a run goes (progress, a busy lock; the
    /// caller sends `-v`'s docker commands there too).
    pub events: &'a (dyn Fn(Event) + Sync),
}

/// Something the operator may want to hear about while a command runs.
pub enum Event<'a> {
    /// An action of `sync` finished.
    Done(&'a Done),
    /// Another run holds the project's lock; this one waits up to `wait`.
    LockBusy {
        project: &'a str,
        path: &'a Path,
        wait: Duration,
    },
    /// `program` is about to run `cmd` (shown with `-v`).
    Docker { program: &'a str, cmd: &'a Cmd },
    /// `--wait`: how many of the containers waited for are ready so far
    /// (sent when the count changes).
    Ready { ready: usize, total: usize },
    /// A host's lock is held by another run, or was taken over.
    HostLock {
        host: &'a str,
        event: &'a LockEvent<'a>,
    },
    /// A line for the operator (`fleet exec`'s `fleet: starting …`), as it
    /// is.
    Note(String),
    /// A host's lock could not be released at the end of the run.
    LockNotReleased { host: &'a str, error: &'a Error },
}

impl Context<'_> {
    /// Is the run being stopped (SIGINT, SIGTERM)?
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}
