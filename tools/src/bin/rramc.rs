use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Stderr stays unlocked: worker threads draw the progress bar on it.
    ExitCode::from(rram_tools::rramc::run(std::env::args_os(), &mut io::stdout().lock(), &mut io::stderr()))
}
