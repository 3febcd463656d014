//! `completions` and `man`.
use clap::builder::PossibleValuesParser;
use clap::{Command, CommandFactory};

use crate::cli::Cli;
use crate::config;
use crate::context::Settings;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::output::emit;
use crate::provider::registry::Registered;

/// Shell completions; `--profile` completes to the profiles configured when they are generated.
pub fn completions(shell: clap_complete::Shell, settings: &Settings) -> Result<()> {
    let profiles: Vec<String> = config::load(
        settings.config.as_deref(),
        crate::provider::registry::variables,
    )
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

/// The exit codes, as the README's table gives them (a unit test holds the two equal).
const EXIT_CODES: &[(i32, &str)] = &[
    (0, "success"),
    (1, "unexpected internal error"),
    (2, "usage error"),
    (
        3,
        "configuration error: missing/invalid credentials or config file",
    ),
    (
        4,
        "authentication/authorization refused by the provider (401/403)",
    ),
    (5, "not found"),
    (
        6,
        "invalid request, unsupported operation for this provider, refused confirmation",
    ),
    (7, "conflict (already exists, operation in progress, a name several databases have)"),
    (
        8,
        "provider error (5xx after retries) or an undecodable response",
    ),
    (9, "rate limited after retries"),
    (10, "network or TLS failure"),
    (
        11,
        "timeout: `--request-timeout`, `db wait`, `task wait`, `--wait`",
    ),
    (
        12,
        "partial: a multi-profile list where some profiles (or, for usage, some databases) failed (the rest is printed)",
    ),
    (
        13,
        "not as expected: `plan` found a difference, or `check` a finding at `--fail-on` (default error) or above",
    ),
    (130, "interrupted (Ctrl-C while waiting)"),
];

/// `dbctl man`: one page, dbctl(1), that holds every command (so it names no other page), the
/// exit codes, the environment variables of every provider in the registry, and examples.
pub fn man() -> Result<()> {
    let page =
        man_page().map_err(|e| Error::internal(format!("cannot render the man page: {e}")))?;
    emit(&page)
}

pub(crate) fn man_page() -> std::io::Result<String> {
    let mut root = Cli::command();
    root.build();
    let man = clap_mangen::Man::new(root.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();

    page.push_str(".SH COMMANDS\n");
    for sub in root.get_subcommands() {
        command_section(&mut page, sub, "dbctl");
    }

    page.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODES {
        item(&mut page, &code.to_string(), meaning);
    }

    page.push_str(".SH ENVIRONMENT\n");
    for kind in ProviderKind::all() {
        for var in kind.spec().env {
            let text = format!(
                "Fills `{}` of the {kind} profile made from the environment.",
                var.field
            );
            item(&mut page, var.var, &text);
        }
    }
    item(
        &mut page,
        "DBCTL_CONFIG",
        "The config file, as --config gives it.",
    );
    item(&mut page, "XDG_CONFIG_HOME", "The config file is $XDG_CONFIG_HOME/dbctl/config.toml (default ~/.config/dbctl/config.toml).");
    item(&mut page, "NO_COLOR", "No colour, as --no-color.");

    page.push_str(".SH EXAMPLES\n");
    examples(&mut page, &root, false);

    let mut out = Vec::new();
    man.render_version_section(&mut out)?;
    page.push_str(&String::from_utf8_lossy(&out));
    Ok(page)
}

/// One command of the tree as a subsection: usage, what it does, its own arguments (the
/// global ones are under OPTIONS) and its examples; then its subcommands.
fn command_section(page: &mut String, command: &Command, parent: &str) {
    let name = format!("{parent} {}", command.get_name());
    if command.get_name() == "help" {
        return;
    }
    page.push_str(&format!(".SS \"{}\"\n", escape(&name)));
    let usage = command.clone().render_usage().to_string();
    let usage = usage.trim_start_matches("Usage:").trim();
    page.push_str(&format!(".B {}\n.PP\n", escape(usage)));
    if let Some(about) = command.get_long_about().or_else(|| command.get_about()) {
        page.push_str(&format!("{}\n", escape(&about.to_string())));
    }
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if arg.is_global_set() || id == "help" || id == "version" {
            continue;
        }
        let mut label = match (arg.get_short(), arg.get_long()) {
            (Some(short), Some(long)) => format!("-{short}, --{long}"),
            (None, Some(long)) => format!("--{long}"),
            (Some(short), None) => format!("-{short}"),
            (None, None) => String::new(),
        };
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| id.to_ascii_uppercase());
        if label.is_empty() {
            label = format!("<{value}>");
        } else if arg.get_action().takes_values() {
            label = format!("{label} <{value}>");
        }
        let mut help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let possible = arg.get_possible_values();
        let values: Vec<&str> = possible
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name())
            .collect();
        if !values.is_empty() {
            help.push_str(&format!(" [possible values: {}]", values.join(", ")));
        }
        let default = arg.get_default_values().first();
        if let Some(default) = default.filter(|_| arg.get_action().takes_values()) {
            help.push_str(&format!(" [default: {}]", default.to_string_lossy()));
        }
        item(page, &label, &help);
    }
    examples(page, command, true);
    for sub in command.get_subcommands() {
        command_section(page, sub, &name);
    }
}

/// A tagged paragraph: the tag in bold, the text under it.
fn item(page: &mut String, tag: &str, text: &str) {
    page.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(text)));
}

/// The examples a command's `--help` ends with, verbatim (without their heading under the
/// EXAMPLES section).
fn examples(page: &mut String, command: &Command, heading: bool) {
    let Some(after) = command.get_after_help() else {
        return;
    };
    page.push_str(".PP\n.nf\n");
    let after = after.to_string();
    let skip = usize::from(!heading && after.starts_with("Examples:"));
    for line in after.lines().skip(skip) {
        page.push_str(&escape(line));
        page.push('\n');
    }
    page.push_str(".fi\n");
}

/// Text as roff reads it literally: backslashes and minus signs escaped, and no line that
/// starts with a control character.
fn escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    /// The man page and the README give the same exit codes.
    #[test]
    fn exit_codes_match_the_readme() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Exit codes")
            .nth(1)
            .expect("README has an exit code section");
        let rows: Vec<(i32, String)> = table
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                Some((cells.first()?.parse().ok()?, cells.get(1)?.to_string()))
            })
            .collect();
        let ours: Vec<(i32, String)> = super::EXIT_CODES
            .iter()
            .map(|(c, m)| (*c, m.to_string()))
            .collect();
        assert_eq!(rows, ours);
    }

    #[test]
    fn roff_control_characters_are_escaped() {
        assert_eq!(super::escape(".x\\y -z\n'q"), "\\&.x\\ey \\-z\n\\&'q");
    }
}
