//! `completions` and `man`.
use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output::emit;

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dbctl", &mut out);
    emit(&String::from_utf8_lossy(&out))
}

pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::internal(format!("cannot render the man page: {e}")))?;
    emit(&String::from_utf8_lossy(&out))
}
