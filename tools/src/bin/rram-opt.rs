use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let code =
        rram_tools::opt::run(std::env::args_os(), &mut io::stdin().lock(), &mut io::stdout().lock(), &mut io::stderr());
    ExitCode::from(code)
}
