//! `completions` and `man`.
use clap::builder::PossibleValuesParser;
use clap::{Command, CommandFactory};

use crate::cli::{Cli, GlobalArgs};
use crate::config;
use crate::error::{Error, Result};
use crate::output::emit;

/// Shell completions; `--profile` completes to the profiles configured when they are generated.
pub fn completions(shell: clap_complete::Shell, global: &GlobalArgs) -> Result<()> {
    let profiles: Vec<String> = config::load(global.config.as_deref())
        .map(|c| {
            // Names reach a shell script: only the safe ones, whatever the loader allowed.
            c.profiles
                .into_iter()
                .map(|p| p.name)
                .filter(|name| crate::sanitize::is_profile_name(name))
                .collect()
        })
        .unwrap_or_default();
    let mut command = with_profiles(Cli::command(), &profiles);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "dbctl", &mut out);
    emit(&String::from_utf8_lossy(&out))
}

/// Offers the profile names as the values of every `--profile` argument.
fn with_profiles(command: Command, profiles: &[String]) -> Command {
    if profiles.is_empty() {
        return command;
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let command = command.mut_args(|arg| {
        if arg.get_long() == Some("profile") {
            arg.value_parser(PossibleValuesParser::new(profiles.to_vec()))
        } else {
            arg
        }
    });
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sub| with_profiles(sub, profiles))
    })
}

pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::internal(format!("cannot render the man page: {e}")))?;
    emit(&String::from_utf8_lossy(&out))
}
