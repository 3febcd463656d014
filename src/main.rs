//! Thin entry point: parse, run, map the one error type to an exit code.
fn main() {
    let code = match dbctl::cli::parse() {
        Ok(cli) => {
            let json_errors = cli.global.json_errors();
            match dbctl::run(cli) {
                Ok(()) => 0,
                Err(err) => {
                    dbctl::error::report(&err, json_errors);
                    err.exit_code()
                }
            }
        }
        Err((err, json_errors)) => {
            dbctl::error::report(&err, json_errors);
            err.exit_code()
        }
    };
    std::process::exit(code);
}
