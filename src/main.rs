use std::io::IsTerminal;

fn main() {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr();
    let mut io = fleet::Io {
        out_is_terminal: std::io::stdout().is_terminal(),
        err_is_terminal: std::io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        out: &mut out,
        err: &mut err,
    };
    let code = fleet::main_with(std::env::args().collect(), &mut io);
    // For bench/run.sh: fleet's own peak RSS (a wrapper like GNU time would
    // report the largest docker child instead).
    if std::env::var_os("FLEET_BENCH_RSS").is_some()
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
