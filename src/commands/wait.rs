//! Polling until something is done: `db wait`, `task wait` and every `--wait`.
use std::future::Future;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::App;
use crate::credentials::scrub_text;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Task, TaskStatus};
use crate::provider::{Change, Provider};
use crate::sanitize::escape_controls;

/// One poll's verdict.
pub enum Step<T> {
    Done(T),
    /// Not yet; the status seen, for progress and the timeout message.
    Waiting(String),
}

/// Polls `check` until it is done, the timeout passes (exit 11) or Ctrl-C (exit 130).
/// The interval grows by half each poll, up to four times the first.
pub async fn until<T, F, Fut>(
    app: &App,
    what: &str,
    timeout: Duration,
    interval: Duration,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Step<T>>>,
{
    let started = Instant::now();
    let spinner = progress(app, what);
    let mut delay = interval;
    let mut last = String::from("not checked yet");
    let gave_up = |last: &str| {
        Error::timeout(format!(
            "gave up after {}s waiting for {what}; last status: {last}",
            timeout.as_secs_f64()
        ))
    };
    let outcome = async {
        loop {
            app.shared.http.restart_deadline();
            // One poll may not outlast the wait itself, even against a hanging provider.
            let left = timeout.saturating_sub(started.elapsed());
            let step = match tokio::time::timeout(left, check()).await {
                Ok(step) => step?,
                Err(_) => return Err(gave_up(&last)),
            };
            match step {
                Step::Done(value) => return Ok(value),
                Step::Waiting(status) => {
                    if let Some(bar) = &spinner {
                        bar.set_message(
                            escape_controls(&scrub_text(&format!("waiting for {what}: {status}")))
                                .into_owned(),
                        );
                    }
                    last = status;
                }
            }
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(gave_up(&last));
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay.mul_f64(1.5)).min(interval * 4);
        }
    };
    let result = tokio::select! {
        result = outcome => result,
        _ = tokio::signal::ctrl_c() => Err(Error::new(
            ErrorKind::Interrupted,
            format!("interrupted while waiting for {what}; the operation is still running at the provider"),
        )),
    };
    if let Some(bar) = spinner {
        crate::sanitize::set_spinner(None);
        bar.finish_and_clear();
    }
    result
}

/// A spinner on stderr, only when stderr is a terminal: its message is the last status seen,
/// the elapsed time ticks with it, and log lines print above it.
fn progress(app: &App, what: &str) -> Option<ProgressBar> {
    if !app.out.settings.stderr_tty {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(escape_controls(&scrub_text(&format!("waiting for {what}"))).into_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    crate::sanitize::set_spinner(Some(bar.clone()));
    Some(bar)
}

/// How often `--wait` polls at first.
pub const POLL: Duration = Duration::from_secs(2);

/// Waits for a task to finish, polling every `interval` at first: completed → the task;
/// failed → exit 8 with its error.
pub async fn task(
    app: &App,
    provider: &dyn Provider,
    id: &str,
    timeout: Duration,
    interval: Duration,
) -> Result<Task> {
    let what = format!("{} task {id}", provider.kind());
    let task = until(app, &what, timeout, interval, || async {
        let task = match provider.task(id).await {
            Ok(task) => task,
            Err(e) if e.kind == ErrorKind::NotFound => {
                return Ok(Step::Waiting("pending (not visible yet)".into()))
            }
            Err(e) => return Err(e),
        };
        Ok(if task.status.is_done() {
            Step::Done(task)
        } else {
            Step::Waiting(
                task.provider_status
                    .clone()
                    .unwrap_or_else(|| task.status.to_string()),
            )
        })
    })
    .await?;
    if task.status == TaskStatus::Failed {
        return Err(Error::provider_error(format!(
            "{} task {id} failed: {}",
            task.provider,
            task.error.as_deref().unwrap_or("no reason given")
        ))
        .with_origin(task.provider, &task.profile));
    }
    Ok(task)
}

/// Follows a change through to the end for `--wait`: the task finishes, then the database
/// is active (or gone, when `gone` is set).
pub async fn change(
    app: &App,
    provider: &dyn Provider,
    change: Change,
    database_id: Option<&str>,
    gone: bool,
    timeout: Duration,
) -> Result<Change> {
    let started = Instant::now();
    let mut change = change;
    let mut database_id = database_id.map(str::to_string);
    if let Change::Task(task) = &change {
        let done = self::task(app, provider, &task.id, timeout, POLL).await?;
        if database_id.is_none() {
            database_id = done.resource_id.clone();
        }
        change = Change::Task(done);
    }
    if let Change::Database(db) = &change {
        database_id.get_or_insert_with(|| db.id.clone());
    }
    let Some(id) = database_id else {
        return Ok(change);
    };
    if matches!(change, Change::Deleted(_)) {
        return Ok(change);
    }
    let left = timeout.saturating_sub(started.elapsed());
    let what = format!("{} database {id}", provider.kind());
    if gone {
        until(app, &what, left, POLL, || async {
            match provider.get(&id).await {
                Ok(db) => Ok(Step::Waiting(db.status.to_string())),
                Err(e) if e.kind == ErrorKind::NotFound => Ok(Step::Done(())),
                Err(e) => Err(e),
            }
        })
        .await?;
        return Ok(change);
    }
    let db = until(app, &what, left, POLL, || async {
        let db = provider.get(&id).await?;
        Ok(match db.status {
            crate::model::Status::Active => Step::Done(db),
            crate::model::Status::Failed => {
                return Err(Error::provider_error(format!(
                    "{what} failed ({})",
                    db.provider_status.as_deref().unwrap_or("failed")
                )))
            }
            other => Step::Waiting(other.to_string()),
        })
    })
    .await?;
    Ok(Change::Database(db))
}
