//! The one integration test crate (one binary, fast to link). Layers, largest
//! first: the pure plan table, parsing (config and real `docker inspect`
//! fixtures), apply and the CLI in-process against the fake runner (all
//! through `harness::check`), and the real-engine tests on the tests' own
//! engine (scripts/test-engine.sh; they skip locally without one, and fail
//! in CI without one).

mod apply;
mod cli;
mod config;
mod discovery;
mod engine;
mod engine_lock;
mod engine_lock_real;
mod engines;
mod exec;
mod exec_real;
mod fake;
mod fuzz;
mod harness;
mod hosts;
mod layers;
mod ops;
mod placement;
mod plan;
mod podman;
mod readiness;
mod ready;
mod roll;
mod snapshot;
mod spec;
mod ssh;
mod status;
mod support;
mod swap;
mod swarm;
mod swarm_real;
mod terminal;
mod trust;
mod wait;
