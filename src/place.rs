//! A place: where agents live and how fleet reaches it. Today that is the
//! implicit host of a config without `hosts`, or one declared host; a
//! swarm is the next kind (see ARCHITECTURE.md, "Places").
//!
//! A run makes one [`Place`] per place it works on and carries that value
//! through every phase: it owns its name and its `name@host` spelling, its
//! failure rule ([`Place::settle`]), its runner (opened on first use, in
//! the thread that works on it, within its own connect deadline) and its
//! engine lock ([`Place::lock`], released on every path). [`each`] runs
//! work on many values side by side, with one rule for a thread that
//! panics: that item's error, said as such, never a success.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::time::Instant;

use crate::config::{Config, Host};
use crate::context::{Context, Event};
use crate::docker::Runner;
use crate::engine_lock::{self, EngineLock, LockEvent};
use crate::error::{Error, Kind, Result, Unreached};
use crate::hosts::{Connect, HostRunner, OnHost};

/// One place of a run.
pub(crate) struct Place<'a> {
    /// `None`: the implicit host of a config without `hosts`.
    host: Option<&'a Host>,
    base: &'a dyn Runner,
    connect: &'a dyn Connect,
    runner: OnceLock<Result<HostRunner<'a>>>,
}

impl<'a> Place<'a> {
    /// The host's name (`None` for the implicit host).
    pub(crate) fn name(&self) -> Option<&'a str> {
        self.host.map(|h| h.name.as_str())
    }

    /// The declared host, if this is one.
    pub(crate) fn host(&self) -> Option<&'a Host> {
        self.host
    }

    /// How a container here is named in text: `name@host`, or `name` on
    /// the implicit host.
    pub(crate) fn name_at(&self, name: &str) -> String {
        crate::config::name_at(name, self.name())
    }

    /// The runner that reaches this place, opened on first use (an SSH
    /// handshake for an `ssh://` host, bounded by `--connect-timeout`).
    pub(crate) fn runner(&self) -> Result<&(dyn Runner + 'a)> {
        let opened = self.runner.get_or_init(|| match self.host {
            None => Ok(Box::new(self.base) as HostRunner<'a>),
            Some(h) => (self.connect.open(h, self.base))
                .map(|link| Box::new(OnHost::new(self.base, link)) as HostRunner<'a>),
        });
        match opened {
            Ok(r) => Ok(r.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }

    /// The one rule for a place's failure: on the implicit host it ends
    /// the command (`Err`), as a single-host fleet always did; a declared
    /// host's is its own (`Ok`), reported, while the others go on.
    pub(crate) fn settle(&self, e: Error) -> Result<Unreached> {
        match self.name() {
            None => Err(e),
            Some(h) => Ok(Unreached {
                host: h.to_string(),
                error: e,
            }),
        }
    }

    /// Takes this place's lock on its engine for `project` (declared hosts
    /// only: `None` on the implicit host, which the machine's lock
    /// covers). Waits and takeovers are told through the events. The lock
    /// is released when the [`Held`] is released or dropped, a panic
    /// included.
    pub(crate) fn lock<'p>(&'p self, ctx: &Context, project: &str) -> Result<Option<Held<'p>>> {
        self.lock_in(ctx, project, engine_lock::Store::Engine)
    }

    /// [`Place::lock`] in `store`: on this place's engine, or (a swarm's
    /// manager) a `docker config` object of the swarm.
    pub(crate) fn lock_in<'p>(
        &'p self,
        ctx: &Context,
        project: &str,
        store: engine_lock::Store,
    ) -> Result<Option<Held<'p>>> {
        let Some(host) = self.name() else {
            return Ok(None);
        };
        let runner = self.runner()?;
        let opts = engine_lock::Options {
            lease: ctx.lock_lease,
            wait: ctx.lock_wait,
        };
        let me = engine_lock::Holder::this_process();
        let told = |e: LockEvent| (ctx.events)(Event::HostLock { host, event: &e });
        let claim = engine_lock::Claim {
            project,
            host: Some(host),
            me: &me,
            store,
        };
        let lock = engine_lock::acquire(runner, &claim, &opts, ctx.stop, &told)?;
        // Counted from just before the create that took it, less a margin
        // for the clocks of two machines.
        let deadline = lock.taken() + ctx.lock_lease.mul_f64(0.9);
        Ok(Some(Held {
            lock: Some(lock),
            runner,
            host,
            deadline,
        }))
    }
}

/// A place's engine lock held by this run; released by [`Held::release`]
/// or, on any other path (an early return, a panic), when dropped.
pub(crate) struct Held<'p> {
    lock: Option<EngineLock>,
    runner: &'p dyn Runner,
    host: &'p str,
    deadline: Instant,
}

impl Held<'_> {
    /// Past this instant the lease may have run out for another machine:
    /// no new work may start under the lock.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The host it locks.
    pub(crate) fn host(&self) -> &str {
        self.host
    }

    /// Releases the lock; a release that fails is told (the lock stays on
    /// the engine until taken over or unlocked).
    pub(crate) fn release(mut self, ctx: &Context) {
        if let Some(lock) = self.lock.take()
            && let Err(error) = lock.release(self.runner)
        {
            (ctx.events)(Event::LockNotReleased {
                host: self.host,
                error: &error,
            });
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            // Nobody to tell on this path (a panic unwinding, an early
            // return): the lock's lease and holder still let the next run
            // take it over if this fails.
            let _ = lock.release(self.runner);
        }
    }
}

/// The places of a run, in name order; the implicit host alone for a
/// config without `hosts`. Dropped, they close their transports side by
/// side (an SSH master's `ssh -O exit` each).
pub(crate) struct Places<'a>(Vec<Place<'a>>);

impl<'a> std::ops::Deref for Places<'a> {
    type Target = [Place<'a>];
    fn deref(&self) -> &[Place<'a>] {
        &self.0
    }
}

impl Drop for Places<'_> {
    fn drop(&mut self) {
        if self.0.len() > 1 {
            each(self.0.drain(..), |place| {
                drop(place);
                Ok(())
            });
        }
    }
}

/// The places a command works on: every declared host, or those named by
/// `--host`; the implicit host when the config declares none. Nothing is
/// opened yet: each place connects in the thread that first uses it.
pub(crate) fn places<'a>(config: &'a Config, ctx: &Context<'a>) -> Result<Places<'a>> {
    let chosen = crate::hosts::choose(config, ctx.only_hosts)?;
    let make = |host| Place {
        host,
        base: ctx.runner,
        connect: ctx.connect,
        runner: OnceLock::new(),
    };
    if config.hosts.is_empty() {
        return Ok(Places(vec![make(None)]));
    }
    Ok(Places(chosen.into_iter().map(|h| make(Some(h))).collect()))
}

/// Runs `work` on every item side by side, a thread each (one item runs
/// on the caller's thread), and returns the results in the items' order.
/// The one rule for a panic: it becomes that item's error
/// ([`panicked`]), the others go on.
pub(crate) fn each<I, T>(
    items: impl IntoIterator<Item = I>,
    work: impl Fn(I) -> Result<T> + Sync,
) -> Vec<Result<T>>
where
    I: Send,
    T: Send,
{
    let mut items: Vec<I> = items.into_iter().collect();
    if items.len() == 1 {
        let item = items.pop().expect("one item");
        return vec![guarded(|| work(item))];
    }
    std::thread::scope(|s| {
        let work = &work;
        let running: Vec<_> = (items.into_iter())
            .map(|item| s.spawn(move || guarded(|| work(item))))
            .collect();
        (running.into_iter())
            .map(|t| t.join().unwrap_or_else(|p| Err(panicked(p.as_ref()))))
            .collect()
    })
}

/// `work`, a panic in it turned into its error ([`panicked`]).
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|p| Err(panicked(p.as_ref())))
}

/// The error of a thread that panicked: a bug in fleet, said as one.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Error {
    let what = (payload.downcast_ref::<&str>().copied())
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    Error::new(
        Kind::Internal,
        format!("fleet's work here panicked: {what}"),
    )
    .with_help("this is a bug in fleet: please report it with the command and the output of -v")
}
