//! Polling until something is done: `db wait`, `task wait` and every `--wait`.
use std::future::Future;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

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

/// How often a wait says where it is when stderr is not a terminal (a CI log).
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// The whole time a wait may take (`--timeout`), counted from when the command began: finding
/// the database and following its task count against it too, and a timeout names it whole.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    total: Duration,
}

impl Deadline {
    /// `total` from now.
    pub fn from_now(total: Duration) -> Self {
        Deadline::since(Instant::now(), total)
    }

    /// `total` from `started`.
    pub fn since(started: Instant, total: Duration) -> Self {
        Deadline { started, total }
    }

    fn left(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }
}

/// Polls `check` until it is done, the deadline passes (exit 11) or Ctrl-C (exit 130).
/// The interval grows by half each poll, up to four times the first. On a terminal a spinner
/// shows the last status seen; elsewhere a line says it every [`PROGRESS_EVERY`].
pub async fn until<T, F, Fut>(
    app: &App,
    what: &str,
    deadline: Deadline,
    interval: Duration,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Step<T>>>,
{
    let started = Instant::now();
    let spinner = app
        .out
        .settings
        .stderr_tty
        .then(|| app.spinners.start(&format!("waiting for {what}")));
    let last = std::sync::Mutex::new(String::from("not checked yet"));
    let seen = || last.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let gave_up = |last: &str| {
        Error::timeout(format!(
            "gave up after {}s waiting for {what}; last status: {last}",
            deadline.total.as_secs_f64()
        ))
    };
    let outcome = async {
        let mut delay = interval;
        loop {
            app.shared.http.restart_deadline();
            // One poll may not outlast the wait itself, even against a hanging provider.
            let left = deadline.left();
            let step = match tokio::time::timeout(left, check()).await {
                Ok(step) => step?,
                Err(_) => return Err(gave_up(&seen())),
            };
            match step {
                Step::Done(value) => return Ok(value),
                Step::Waiting(status) => {
                    if let Some(spinner) = &spinner {
                        spinner.say(&format!("waiting for {what}: {status}"));
                    }
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = status;
                }
            }
            let left = deadline.left();
            if left.is_zero() {
                return Err(gave_up(&seen()));
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay.mul_f64(1.5)).min(interval * 4);
        }
    };
    tokio::pin!(outcome);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut progress =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    let result = loop {
        tokio::select! {
            result = &mut outcome => break result,
            _ = &mut interrupted => break Err(Error::new(
                ErrorKind::Interrupted,
                format!("interrupted while waiting for {what}; the operation is still running at the provider"),
            )),
            _ = progress.tick(), if spinner.is_none() => crate::say!(
                "waiting for {what}: {} ({}s)",
                seen(),
                started.elapsed().as_secs()
            ),
        }
    };
    if let Some(spinner) = &spinner {
        app.spinners.finish(spinner);
    }
    result
}

/// The run's wait spinners on stderr, drawn as one block so waits that run at once
/// (`apply --concurrency`) never draw over each other, and each one's line is cleared when
/// it ends; log lines print above them.
#[derive(Default)]
pub struct Spinners {
    block: MultiProgress,
    running: std::sync::Mutex<Vec<(u64, ProgressBar)>>,
    next: std::sync::atomic::AtomicU64,
}

/// One spinner of [`Spinners`].
pub struct Spinner {
    id: u64,
    bar: ProgressBar,
}

impl Spinner {
    /// Shows `message` (escaped, credentials masked) with the elapsed time.
    fn say(&self, message: &str) {
        self.bar
            .set_message(escape_controls(&scrub_text(message)).into_owned());
    }
}

impl Spinners {
    fn start(&self, message: &str) -> Spinner {
        let bar = self.block.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let spinner = Spinner {
            id: self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            bar,
        };
        spinner.say(message);
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.push((spinner.id, spinner.bar.clone()));
        crate::sanitize::set_spinner(Some(spinner.bar.clone()));
        spinner
    }

    fn finish(&self, spinner: &Spinner) {
        spinner.bar.finish_and_clear();
        self.block.remove(&spinner.bar);
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|(id, _)| *id != spinner.id);
        // Log lines step around whichever spinner still runs (any one suspends the block).
        crate::sanitize::set_spinner(running.last().map(|(_, bar)| bar.clone()));
        if running.is_empty() {
            let _ = self.block.clear();
        }
    }
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
    task_within(app, provider, id, Deadline::from_now(timeout), interval).await
}

/// [`task`] within a deadline already running.
async fn task_within(
    app: &App,
    provider: &dyn Provider,
    id: &str,
    deadline: Deadline,
    interval: Duration,
) -> Result<Task> {
    let what = format!("{} task {id}", provider.kind());
    let task = until(app, &what, deadline, interval, || async {
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
    let deadline = Deadline::from_now(timeout);
    let mut change = change;
    let mut database_id = database_id.map(str::to_string);
    if let Change::Task(task) = &change {
        let done = task_within(app, provider, &task.id, deadline, POLL).await?;
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
    let what = format!("{} database {id}", provider.kind());
    if gone {
        until(app, &what, deadline, POLL, || async {
            match provider.get(&id).await {
                Ok(db) => Ok(Step::Waiting(db.status.to_string())),
                Err(e) if e.kind == ErrorKind::NotFound => Ok(Step::Done(())),
                Err(e) => Err(e),
            }
        })
        .await?;
        return Ok(change);
    }
    let db = until(app, &what, deadline, POLL, || async {
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
