//! The command line, as clap derive types. No logic.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keeps a host's long-lived agent containers converged with config/agents.json.
#[derive(Debug, Parser)]
#[command(name = "fleet", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The config file.
    #[arg(
        short,
        long,
        global = true,
        env = "FLEET_CONFIG",
        default_value = "config/agents.json"
    )]
    pub config: PathBuf,
    /// The docker CLI to run.
    #[arg(long, global = true, env = "FLEET_DOCKER", default_value = "docker")]
    pub docker: String,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour the text output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// How many docker operations may run at once.
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Seconds one docker call may take before it is killed.
    #[arg(long, global = true, env = "FLEET_TIMEOUT", default_value_t = 120.0)]
    pub timeout: f64,
    /// Seconds to wait for another fleet run on the same project to finish.
    #[arg(long, global = true, env = "FLEET_LOCK_WAIT", default_value_t = 300.0)]
    pub lock_wait: f64,
    /// Where the per-project lock file lives.
    #[arg(long, global = true, env = "FLEET_LOCK_DIR", hide = true)]
    pub lock_dir: Option<PathBuf>,
    /// Print every docker command as it runs (env values are never shown).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only errors (a requested --json document is still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Converge: create, start, recreate and remove containers to match the config.
    #[command(after_help = "Example:\n  fleet -c config/agents.json sync")]
    Sync(SyncArgs),
    /// Show what sync would do, changing nothing.
    #[command(
        after_help = "Example:\n  fleet plan --detailed-exitcode   # exit 2 when changes are pending"
    )]
    Plan(PlanArgs),
    /// Start every stopped container of the project (as `docker ps -a` shows them).
    #[command(after_help = "Example:\n  fleet up")]
    Up,
    /// Stop every running container of the project, in parallel.
    #[command(after_help = "Example:\n  fleet down -t 5")]
    Down(DownArgs),
    /// Desired against actual, one row a container.
    #[command(after_help = "Example:\n  fleet status --json")]
    Status,
    /// Validate the config; runs no docker command.
    #[command(after_help = "Example:\n  fleet check -c config/agents.json")]
    Check,
    /// Print the JSON Schema of agents.json (for editors and validators).
    #[command(after_help = "Example:\n  fleet schema > schema/agents.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  source <(fleet completions bash)")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(hide = true, after_help = "Example:\n  fleet man > man/fleet.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Recreate or remove containers even while they have live `docker exec` sessions.
    #[arg(long)]
    pub force: bool,
    /// Accept a config that declares no container (removes the whole fleet).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 0 when nothing is pending, 2 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan as sync --force would.
    #[arg(long)]
    pub force: bool,
    /// Plan as sync --allow-empty would.
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// docker stop's grace period, in seconds, before SIGKILL.
    #[arg(short = 't', long = "time", default_value_t = 10)]
    pub time: u32,
    /// Stop containers even while they have live `docker exec` sessions.
    #[arg(long)]
    pub force: bool,
}
