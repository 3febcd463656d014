//! `db get` and `db wait`: reading a database, once or until it reaches a status.
use std::time::Duration;

use super::super::wait::{self, Step};
use super::super::App;
use crate::cli::Target;
use crate::error::{ErrorKind, Result};
use crate::model::{Database, WaitTarget};
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};

pub async fn get(app: &App, id: &str, target: &Target, collections: bool) -> Result<()> {
    let provider = app.provider_for(target, Operation::Get, id)?;
    let mut db = provider.get(id).await?;
    if collections || (app.shared.raw && provider.kind().supports(Operation::Collections)) {
        provider.require(Operation::Collections)?;
        db.collections = Some(provider.collections(id).await?);
    }
    app.print(&app.out.one(&db)?)
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
    id: &str,
    target: &Target,
    wanted: WaitTarget,
    timing: Timing,
) -> Result<()> {
    let provider = app.provider_for(target, Operation::Get, id)?;
    let what = format!("{} database {id} to be {wanted}", provider.kind());
    let provider: &dyn Provider = provider.as_ref();
    let db = wait::until(app, &what, timing.timeout, timing.interval, || async {
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
    target: &Target,
    wanted: WaitTarget,
    timing: Timing,
) -> Result<()> {
    let providers: Vec<_> = target.provider.into_iter().collect();
    let names: Vec<_> = target.profile.iter().cloned().collect();
    let built = app
        .select(&providers, &names)?
        .into_iter()
        .map(|p| app.build(p))
        .collect::<Result<Vec<_>>>()?;
    let what = format!("every selected database to be {wanted}");
    let databases = wait::until(app, &what, timing.timeout, timing.interval, || async {
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
