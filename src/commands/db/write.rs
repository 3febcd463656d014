//! `db create|update|delete|flush|reset-password|import`: changes, followed with `--wait`.
use std::time::Duration;

use serde_json::json;

use super::super::lookup::shell_word;
use super::super::{wait, Acted, App};
use crate::cli::{Profiles, WaitArgs};
use crate::error::{Error, Result};
use crate::output::Renderer;
use crate::provider::{
    Change, CreateRequest, ImportRequest, Operation, Provider, Throughput, UpdateRequest,
};

pub async fn create(
    app: &App,
    target: &Profiles,
    request: &CreateRequest,
    wait: &WaitArgs,
) -> Result<()> {
    let provider = app.provider(target, Operation::Create)?;
    let change = provider.create(request).await?;
    finish(app, provider.as_ref(), change, None, false, wait).await
}

pub async fn update(
    app: &App,
    key: &str,
    target: &Profiles,
    request: &UpdateRequest,
    wait: &WaitArgs,
) -> Result<()> {
    let operation = match request.throughput {
        Some(_) => Operation::Throughput,
        None => Operation::Update,
    };
    let Acted {
        provider,
        id,
        answer,
    } = app
        .act(target, operation, key, |provider, id| async move {
            provider.update(&id, request).await
        })
        .await?;
    finish(app, provider.as_ref(), answer, Some(&id), false, wait).await
}

pub async fn delete(
    app: &App,
    key: &str,
    target: &Profiles,
    yes: bool,
    wait: &WaitArgs,
) -> Result<()> {
    let Acted {
        provider,
        id,
        answer,
    } = app
        .change(
            target,
            Operation::Delete,
            (key, yes),
            "delete",
            |provider, id| async move { provider.delete(&id).await },
        )
        .await?;
    finish(app, provider.as_ref(), answer, Some(&id), true, wait).await
}

pub async fn flush(app: &App, key: &str, target: &Profiles, yes: bool) -> Result<()> {
    let acted = app
        .change(
            target,
            Operation::Flush,
            (key, yes),
            "delete every key of",
            |provider, id| async move { provider.flush(&id).await },
        )
        .await?;
    print_change(app, &acted.answer)
}

pub async fn reset_password(app: &App, key: &str, target: &Profiles, yes: bool) -> Result<()> {
    let Acted {
        provider,
        id,
        answer,
    } = app
        .change(
            target,
            Operation::ResetPassword,
            (key, yes),
            "reset the password of",
            |provider, id| async move { provider.reset_password(&id).await },
        )
        .await?;
    print_change(app, &answer)?;
    let url = format!(
        "`dbctl db url {} {} --show-secrets`",
        shell_word(&id),
        app.selector(provider.kind(), provider.profile())
    );
    if provider.reset_renews_connection_password() {
        crate::say!("{url} prints the connection URL with the new password");
    } else {
        crate::say!(
            "this renewed the database's admin password; the password clients connect with (as {url} prints it) is unchanged"
        );
    }
    Ok(())
}

pub async fn import(
    app: &App,
    key: &str,
    target: &Profiles,
    request: &ImportRequest,
    yes: bool,
    wait: &WaitArgs,
) -> Result<()> {
    let Acted {
        provider,
        id,
        answer,
    } = app
        .change(
            target,
            Operation::Import,
            (key, yes),
            "replace the data of",
            |provider, id| async move { provider.import(&id, request).await },
        )
        .await?;
    finish(app, provider.as_ref(), answer, Some(&id), false, wait).await
}

/// The source URIs of `db import`: `--uri URI` (with a warning: other local users can read
/// the command line), `--uri -` (stdin, one a line) and `--uri-env VAR`, variables last. Each
/// is masked in every line dbctl writes.
pub fn import_sources(uris: &[String], vars: &[String]) -> Result<Vec<String>> {
    let mut sources = Vec::new();
    let mut stdin_read = false;
    for uri in uris {
        if uri != "-" {
            sources.push(uri.clone());
            continue;
        }
        if std::mem::replace(&mut stdin_read, true) {
            return Err(Error::usage("--uri - (stdin) can be given once"));
        }
        let text = crate::files::read_stdin()
            .map_err(|e| Error::usage(format!("cannot read --uri - from stdin: {e}")))?;
        let before = sources.len();
        sources.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
        if sources.len() == before {
            return Err(Error::usage("--uri -: stdin holds no URI (one a line)"));
        }
    }
    if uris.iter().any(|uri| uri != "-") {
        crate::sanitize::warn("--uri URI is visible to other local users (`ps`) for the whole run; pass it on stdin with `--uri -` or name a variable with `--uri-env VAR`");
    }
    for var in vars {
        match std::env::var(var) {
            Ok(value) if !value.trim().is_empty() => sources.push(value.trim().to_string()),
            _ => {
                return Err(Error::usage(format!(
                    "--uri-env {var}: the variable is not set"
                )))
            }
        }
    }
    // A source URI is a credential (a password, a signed token in its query): masked whole.
    for source in &sources {
        crate::credentials::register(source);
        crate::credentials::register_url_passwords(source);
    }
    Ok(sources)
}

/// `--throughput` / `--autoscale-max` (clap keeps them exclusive); zero or negative is
/// refused (exit 6) before any request.
pub fn throughput_flag(manual: Option<i64>, autoscale: Option<i64>) -> Result<Option<Throughput>> {
    let (ru, flag, make): (i64, &str, fn(u64) -> Throughput) = match (manual, autoscale) {
        (Some(ru), _) => (ru, "--throughput", Throughput::Manual),
        (None, Some(ru)) => (ru, "--autoscale-max", Throughput::Autoscale),
        (None, None) => return Ok(None),
    };
    match u64::try_from(ru) {
        Ok(ru) if ru > 0 => Ok(Some(make(ru))),
        _ => Err(Error::invalid(format!(
            "{flag} must be a positive number of RU/s; got {ru}"
        ))),
    }
}

/// Prints a change; with `--wait`, follows it to the end first.
async fn finish(
    app: &App,
    provider: &dyn Provider,
    change: Change,
    id: Option<&str>,
    gone: bool,
    wait: &WaitArgs,
) -> Result<()> {
    let change = if wait.wait && !matches!(change, Change::DryRun(_)) {
        let timeout = Duration::from_secs_f64(wait.wait_timeout);
        wait::change(app, provider, change, id, gone, timeout).await?
    } else {
        change
    };
    print_change(app, &change)
}

/// A change as the renderer's format.
pub(crate) fn change_text(out: &Renderer, change: &Change) -> Result<String> {
    Ok(match change {
        Change::Database(db) => out.one(db)?,
        Change::Task(task) => out.one(task)?,
        Change::DryRun(value) => out.value(value)?,
        Change::Accepted(message) | Change::Deleted(message) => out.message(
            message,
            &json!({
                "result": if matches!(change, Change::Deleted(_)) { "deleted" } else { "accepted" },
                "message": message,
            }),
        )?,
    })
}

pub fn print_change(app: &App, change: &Change) -> Result<()> {
    if app.demo && !matches!(change, Change::DryRun(_)) {
        crate::say!(
            "note: --demo starts the emulator afresh on every run; this change is not kept"
        );
    }
    app.print(&change_text(&app.out, change)?)?;
    if let Change::Task(task) = change {
        if !task.status.is_done() {
            // A task id is easy to take for a database id: say what to run next.
            crate::say!(
                "the change runs at the provider: follow it with `dbctl task wait {} {}` (or add --wait next time)",
                shell_word(&task.id),
                app.selector(task.provider, &task.profile)
            );
        }
    }
    Ok(())
}
