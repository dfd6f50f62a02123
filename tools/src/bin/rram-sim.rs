use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(rram_tools::sim::run(std::env::args_os(), &mut io::stdout().lock(), &mut io::stderr()))
}
