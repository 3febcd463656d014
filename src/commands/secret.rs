//! `dbctl config set-secret PROFILE FIELD`: a secret read from stdin (never the command line,
//! hidden on a terminal) into the OS keyring, where `FIELD_keyring = true` finds it.
use std::io::IsTerminal;

use crate::config::{self, keyring, Origin};
use crate::error::{Error, Result};

/// The longest secret accepted, as from a `*_command`.
const MAX_SECRET: usize = 64 * 1024;

pub fn set_secret(profile: &str, field: &str, path: Option<&std::path::Path>) -> Result<()> {
    let config = config::load(path, crate::provider::registry::variables)?;
    let path = config.path.display();
    let found = config
        .profiles
        .iter()
        .find(|p| p.name == profile && matches!(p.origin, Origin::File(_)))
        .ok_or_else(|| {
            let known: Vec<&str> = config
                .profiles
                .iter()
                .filter(|p| matches!(p.origin, Origin::File(_)))
                .map(|p| p.name.as_str())
                .collect();
            Error::config(format!(
                "no profile named '{profile}' in {path} (its profiles: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ))
            .with_hint("a secret in the keyring belongs to a [profiles.NAME] section of the config file; add the profile first")
        })?;
    let fields = found.secret_fields();
    if !fields.contains(&field) {
        return Err(Error::usage(format!(
            "'{field}' is not a secret of {} profiles; their secrets: {}",
            found.provider,
            fields.join(", ")
        )));
    }
    let secret = read_secret(profile, field)?;
    crate::credentials::register(&secret);
    keyring::store(profile, field, &secret).map_err(|refusal| {
        Error::config(format!(
            "cannot store '{field}' of profile '{profile}': {refusal}"
        ))
        .with_origin(found.provider, profile)
        .with_hint(format!(
            "give it with '{field}_env' (a variable) or '{field}_command' (a helper such as `pass show NAME`) instead"
        ))
    })?;
    let twin = format!("{field}_keyring");
    crate::say!(
        "stored '{field}' of profile '{profile}' in {}",
        keyring::name()
    );
    if !found.bool(&twin).unwrap_or(false) {
        crate::say!("the profile reads it once [profiles.{profile}] in {path} says `{twin} = true` (and no other '{field}')");
    }
    Ok(())
}

/// The secret on stdin: one hidden line from a terminal, else everything until it closes, one
/// trailing newline dropped.
fn read_secret(profile: &str, field: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let mut text = if stdin.is_terminal() {
        crate::sanitize::stderr_prompt(&format!("{field} of profile '{profile}' (input hidden): "));
        hidden_line(&stdin).map_err(|e| Error::usage(format!("cannot read the terminal: {e}")))?
    } else {
        crate::files::read_stdin().map_err(|e| Error::usage(format!("cannot read stdin: {e}")))?
    };
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(Error::usage(format!(
            "stdin held no secret; pipe it in (e.g. `pass show NAME | dbctl config set-secret {profile} {field}`) or type it at the prompt"
        )));
    }
    if text.len() > MAX_SECRET {
        return Err(Error::usage(format!(
            "the secret on stdin is longer than {} KiB",
            MAX_SECRET / 1024
        )));
    }
    Ok(text)
}

/// One line typed with echo off (restored afterwards).
#[cfg(unix)]
fn hidden_line(stdin: &std::io::Stdin) -> std::io::Result<String> {
    use std::os::fd::AsRawFd;
    let fd = stdin.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a descriptor that is a terminal.
    let mut mode: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut mode) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let saved = mode;
    mode.c_lflag &= !libc::ECHO;
    mode.c_lflag |= libc::ECHONL;
    // SAFETY: sets the terminal's mode from a termios tcgetattr filled in.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &mode) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut line = String::new();
    let read = std::io::BufRead::read_line(&mut stdin.lock(), &mut line);
    // SAFETY: as above, with the mode saved before.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    read.map(|_| line)
}

/// Elsewhere a typed secret would show: refuse, and say how to pipe it in.
#[cfg(not(unix))]
fn hidden_line(_stdin: &std::io::Stdin) -> std::io::Result<String> {
    Err(std::io::Error::other(
        "typing it here would show it; pipe it in instead (`Get-Content FILE | dbctl config set-secret PROFILE FIELD`)",
    ))
}
