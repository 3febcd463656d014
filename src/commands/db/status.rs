//! `db get` and `db wait`: reading a database, once or until it reaches a status.
use std::time::Duration;

use super::super::wait::{self, Step};
use super::super::watch::{self, Frame};
use super::super::{App, Found};
use crate::cli::{Profiles, WatchArgs};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Database, WaitTarget};
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};

/// `db get NAME|ID`, once or with `--watch`: the first refresh is the lookup's own answer.
pub async fn get(
    app: &App,
    key: &str,
    target: &Profiles,
    collections: bool,
    watch: &WatchArgs,
) -> Result<()> {
    let Found { provider, db } = app.find(target, Operation::Get, key).await?;
    let with_collections =
        collections || (app.shared.raw && provider.kind().supports(Operation::Collections));
    if with_collections {
        provider.require(Operation::Collections)?;
    }
    let id = db.id.clone();
    let first = std::cell::Cell::new(Some(db));
    let provider = provider.as_ref();
    watch::run(app, watch, || async {
        let mut db = match first.take() {
            Some(db) => db,
            None => provider.get(&id).await?,
        };
        if with_collections {
            db.collections = Some(provider.collections(&id).await?);
        }
        Ok(Frame::new(app.out.one(&db)?))
    })
    .await
}

/// How long `db wait` waits, and how often it looks.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    timeout: Duration,
    interval: Duration,
}

impl Timing {
    pub fn from_secs(timeout: f64, interval: f64) -> Self {
        Timing {
            timeout: Duration::from_secs_f64(timeout),
            interval: Duration::from_secs_f64(interval),
        }
    }
}

pub async fn wait_one(
    app: &App,
    key: &str,
    target: &Profiles,
    wanted: WaitTarget,
    timing: Timing,
) -> Result<()> {
    let started = std::time::Instant::now();
    // Finding it is part of the wait: a provider that does not answer costs `--timeout`.
    let found = tokio::time::timeout(timing.timeout, app.find(target, Operation::Get, key))
        .await
        .map_err(|_| {
            Error::timeout(format!(
                "gave up after {}s waiting for database {key:?} to be {wanted}: it could not be read in that time",
                timing.timeout.as_secs_f64()
            ))
        })?;
    let (provider, id) = match found {
        Ok(Found { provider, db }) => (provider, db.id),
        // Gone already: a deletion waited for is over, when only one profile could hold it.
        Err(error) if error.kind == ErrorKind::NotFound && wanted == WaitTarget::Deleted => {
            match app.selected(target)?.as_slice() {
                [profile] => (app.build(profile)?, key.to_string()),
                _ => return Err(error),
            }
        }
        Err(error) => return Err(error),
    };
    let what = format!("{} database {id} to be {wanted}", provider.kind());
    let provider: &dyn Provider = provider.as_ref();
    let id = id.as_str();
    let deadline = wait::Deadline::since(started, timing.timeout);
    let db = wait::until(app, &what, deadline, timing.interval, || async {
        match provider.get(id).await {
            Ok(db) if wanted.reached(&db) => Ok(Step::Done(Some(db))),
            Ok(db) => Ok(Step::Waiting(status_word(&db))),
            Err(e) if e.kind == ErrorKind::NotFound && wanted == WaitTarget::Deleted => {
                Ok(Step::Done(None))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    match db {
        Some(db) => app.print(&app.out.one(&db)?),
        None => {
            crate::say!("{} database {id} is gone", provider.kind());
            app.print(&app.out.message(
                "",
                &serde_json::json!({
                    "provider": provider.kind().name(),
                    "profile": provider.profile(),
                    "id": id,
                    "status": "deleted",
                }),
            )?)
        }
    }
}

pub async fn wait_all(
    app: &App,
    target: &Profiles,
    wanted: WaitTarget,
    timing: Timing,
) -> Result<()> {
    let built = app
        .selected(target)?
        .into_iter()
        .map(|p| app.build(p))
        .collect::<Result<Vec<_>>>()?;
    let what = format!("every selected database to be {wanted}");
    let deadline = wait::Deadline::from_now(timing.timeout);
    let databases = wait::until(app, &what, deadline, timing.interval, || async {
        let lists = futures::future::try_join_all(built.iter().map(|p| p.list())).await?;
        let all: Vec<Database> = lists.into_iter().flatten().collect();
        let behind: Vec<String> = all
            .iter()
            .filter(|db| !wanted.reached(db))
            .map(|db| format!("{}={}", db.name, status_word(db)))
            .collect();
        Ok(
            if all.is_empty() || (behind.is_empty() && wanted != WaitTarget::Deleted) {
                Step::Done(all)
            } else {
                Step::Waiting(format!("{} not yet: {}", behind.len(), behind.join(", ")))
            },
        )
    })
    .await?;
    app.print(&app.out.list(&databases)?)
}

fn status_word(db: &Database) -> String {
    match &db.provider_status {
        Some(word) if word != db.status.as_str() => format!("{} ({word})", db.status),
        _ => db.status.to_string(),
    }
}
