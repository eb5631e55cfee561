use std::io::IsTerminal;

fn main() {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr();
    let mut io = fleet::Io {
        out_is_terminal: std::io::stdout().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        out: &mut out,
        err: &mut err,
    };
    let code = fleet::main_with(std::env::args().collect(), &mut io);
    std::process::exit(code);
}
