//! The process seam: the only code that reads process state (argv, the
//! environment, whether stdout and stderr are terminals) or exits. The
//! library gets all of it as values.

use std::io::IsTerminal;

fn main() {
    let env: fleet::Env = std::env::vars_os().collect();
    // The first SIGINT or SIGTERM asks the run to stop starting work and
    // report; a second one ends the process at once.
    // `fleet exec` forwards the last of SIGINT, SIGTERM, SIGHUP to its
    // command (`signal` holds its number).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let signal = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let _ = signal_hook::flag::register_conditional_shutdown(
            sig,
            fleet::EXIT_INTERRUPTED,
            std::sync::Arc::clone(&stop),
        );
        let _ = signal_hook::flag::register(sig, std::sync::Arc::clone(&stop));
        let number = usize::try_from(sig).unwrap_or_default();
        let _ = signal_hook::flag::register_usize(sig, std::sync::Arc::clone(&signal), number);
    }
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr();
    let mut io = fleet::Io {
        stop: &stop,
        signal: &signal,
        in_is_terminal: std::io::stdin().is_terminal(),
        out_is_terminal: std::io::stdout().is_terminal(),
        err_is_terminal: std::io::stderr().is_terminal(),
        term_width: terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)),
        out: &mut out,
        err: &mut err,
    };
    let code = fleet::main_with(std::env::args_os().collect(), &env, &mut io);
    // For bench/run.sh: fleet's own peak RSS (a wrapper like GNU time would
    // report the largest docker child instead).
    if env.get("FLEET_BENCH_RSS").is_some()
        && let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        eprintln!(
            "fleet-peak-rss: {}",
            hwm.trim_start_matches("VmHWM:").trim()
        );
    }
    std::process::exit(code);
}
