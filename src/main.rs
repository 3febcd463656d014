//! Thin entry point: parse, run, map the one error type to an exit code.
use clap::Parser;

fn main() {
    let cli = dbctl::cli::Cli::parse();
    let json_errors = cli.global.json_errors();
    let code = match dbctl::run(cli) {
        Ok(()) => 0,
        Err(err) => {
            dbctl::error::report(&err, json_errors);
            err.exit_code()
        }
    };
    std::process::exit(code);
}
