//! `db stats [ID]` and `db list --usage`: usage figures for one database or the fleet.
//!
//! Where a provider's API has no live figures (Redis Cloud), `INFO` over the data plane gives
//! them for every database whose list record carries its password; with `--live`, each other
//! database's record is read for it too, at the provider's published rate, and that is said.
use std::collections::BTreeSet;
use std::time::Duration;

use super::super::watch::{self, Frame};
use super::super::{App, Found};
use crate::cli::ListArgs;
use crate::error::{Error, Result};
use crate::fleet::Gathered;
use crate::model::Connection;
use crate::model::Database;
use crate::model::Usage;
use crate::output::DatabaseUsage;
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};

/// `db stats ID` (one database) or `db stats` (every selected database).
pub async fn run(app: &App, key: Option<String>, args: &ListArgs) -> Result<()> {
    let Some(key) = key else {
        return watch::run(app, &args.watch, || async {
            let gathered = fleet(app, args).await?;
            let usages: Vec<Usage> = gathered
                .items
                .iter()
                .filter_map(|(_, u)| u.clone())
                .collect();
            say_notes(&usages);
            let json = app.json();
            Ok(Frame::then(app.out.list(&usages)?, move || {
                gathered.finish(json)
            }))
        })
        .await;
    };
    let Found { provider, db } = app.find(&args.select, Operation::Usage, &key).await?;
    let id = db.id.clone();
    let first = std::cell::Cell::new(Some(db));
    let provider = provider.as_ref();
    watch::run(app, &args.watch, || async {
        let db = match first.take() {
            Some(db) => db,
            None => provider.get(&id).await?,
        };
        let answers = provider.usages(std::slice::from_ref(&db)).await?;
        let usage = with_info(app, provider, std::slice::from_ref(&db), answers, args.live)
            .await
            .pop()
            .unwrap_or_else(|| Ok(Usage::of(&db)))?;
        say_notes([&usage]);
        Ok(Frame::new(app.out.one(&usage)?))
    })
    .await
}

/// `db list --usage`: the list, each row with its figures (null where they could not be read).
pub async fn list_with_usage(app: &App, args: &ListArgs) -> Result<()> {
    watch::run(app, &args.watch, || async {
        let gathered = fleet(app, args).await?;
        say_notes(gathered.items.iter().filter_map(|(_, u)| u.as_ref()));
        let rows: Vec<DatabaseUsage> = gathered
            .items
            .iter()
            .map(|(db, usage)| DatabaseUsage::new(db.clone(), usage.clone()))
            .collect();
        let json = app.json();
        Ok(Frame::then(app.out.list(&rows)?, move || {
            gathered.finish(json)
        }))
    })
    .await
}

/// Every selected database with its usage; a database whose figures failed has none and is
/// named as a failure (exit 12 after printing the rest).
pub(crate) async fn fleet(
    app: &App,
    args: &ListArgs,
) -> Result<Gathered<(Database, Option<Usage>)>> {
    app.gather(
        args,
        |(db, _)| db,
        |provider, databases| async move {
            usages(app, provider.as_ref(), databases, args.live).await
        },
    )
    .await
}

/// One provider's databases, each with its usage (none where it failed), and the failures.
/// Only a provider without usage fails as a whole. `live`: see [`with_info`].
pub async fn usages(
    app: &App,
    provider: &dyn Provider,
    databases: Vec<Database>,
    live: bool,
) -> Result<(Vec<(Database, Option<Usage>)>, Vec<Error>)> {
    provider.require(Operation::Usage)?;
    let mut pairs = Vec::new();
    let mut failures = Vec::new();
    // Figures shared by every database that failed: the databases stay, without figures.
    let mut answers = match provider.usages(&databases).await {
        Ok(answers) => with_info(app, provider, &databases, answers, live)
            .await
            .into_iter(),
        Err(error) => {
            failures.push(error);
            Vec::new().into_iter()
        }
    };
    for db in databases {
        match answers.next() {
            Some(Ok(usage)) => pairs.push((db, Some(usage))),
            Some(Err(error)) => {
                failures.push(error);
                pairs.push((db, None));
            }
            None => pairs.push((db, None)),
        }
    }
    Ok((pairs, failures))
}

/// How long INFO over the data plane may take: for the whole fleet where the list gave the
/// passwords, for each database after its own read with `--live`.
const INFO_BUDGET: Duration = Duration::from_secs(2);

/// Where the API gives no live figures (Redis Cloud has no metrics API), `INFO memory`,
/// `INFO stats` and `INFO clients` over the data plane give them, with the password the
/// database's record carries (it never leaves the process). A database whose list record
/// carries none keeps the API's figure, unless `live`: then its record is read for the
/// password, one request at a time at the provider's published rate. When the data plane
/// cannot be reached the API's figure stays, and the note says why.
async fn with_info(
    app: &App,
    provider: &dyn Provider,
    databases: &[Database],
    answers: Vec<Result<Usage>>,
    live: bool,
) -> Vec<Result<Usage>> {
    let spec = provider.kind().spec();
    if !spec.usage_from_info {
        return answers;
    }
    let dialer = match super::ping::dialer(app, provider) {
        Ok(dialer) => dialer,
        Err(_) => return answers,
    };
    let dialer = &dialer;
    let unknown = databases
        .iter()
        .filter(|db| db.facts.connection.is_none())
        .count();
    let pace = Pace::new(spec.requests_per_minute);
    if live && unknown > 0 {
        crate::say!(
            "note: --live: reading {unknown} {} database record{} for {} password{}{}",
            provider.kind(),
            plural(unknown),
            if unknown == 1 { "its" } else { "their" },
            plural(unknown),
            match spec.requests_per_minute {
                Some(rate) => format!(
                    ", at most {rate} a minute (about {}s)",
                    (unknown as f64 * 60.0 / f64::from(rate)).ceil()
                ),
                None => String::new(),
            }
        );
    }
    let pace = &pace;
    // A data plane that does not answer (a firewalled endpoint) costs this long at most, all
    // databases together; the API's figures stand for the ones that did not answer by then.
    let deadline = tokio::time::Instant::now() + INFO_BUDGET;
    futures::future::join_all(answers.into_iter().zip(databases).map(
        |(answer, db)| async move {
            let mut usage = answer?;
            let (connection, deadline) = match &db.facts.connection {
                Some(_) => (crate::provider::connection_of(provider, db).await, deadline),
                None if live => {
                    pace.turn().await;
                    // Each paced read is a request of its own, as each poll of a wait is.
                    app.shared.http.restart_deadline();
                    let read = crate::provider::connection(provider, &db.id).await;
                    (read, tokio::time::Instant::now() + INFO_BUDGET)
                }
                None => {
                    usage.note = Some(format!(
                        "{}; the list carries no database password, so INFO over the data plane was not read (--live reads each database's record for it)",
                        usage.note.as_deref().unwrap_or("figures from the provider's API")
                    ));
                    return Ok(usage);
                }
            };
            let info = tokio::time::timeout_at(deadline, async {
                match connection? {
                    Connection::Redis(redis) => dialer.info(&redis).await.map(Some),
                    Connection::Cosmos(_) => Ok(None),
                }
            })
            .await;
            match info {
                Ok(Ok(Some(info))) => {
                    usage.memory_used_bytes = info.used_memory.or(usage.memory_used_bytes);
                    usage.memory_limit_bytes = usage.memory_limit_bytes.or(info.maxmemory);
                    usage.ops_per_sec = info.instantaneous_ops_per_sec;
                    usage.connections = info.connected_clients;
                    usage.sampled_at = Some(crate::model::now_rfc3339());
                    usage.note = None;
                    Ok(usage.with_ratio())
                }
                Ok(Ok(None)) => Ok(usage),
                failed => {
                    let why = match failed {
                        Ok(Err(error)) => error.message,
                        _ => format!("no answer within {}s", INFO_BUDGET.as_secs()),
                    };
                    app.shared
                        .http
                        .log(1, format!("INFO of {} failed: {why}", db.id));
                    // One note for every database it applies to (said once).
                    usage.note = Some(format!(
                        "{} (INFO over the data plane failed; -v says why)",
                        usage
                            .note
                            .as_deref()
                            .unwrap_or("figures from the provider's API")
                    ));
                    Ok(usage)
                }
            }
        },
    ))
    .await
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// Requests spaced evenly at a rate a minute (none: no spacing), in the order they ask.
struct Pace {
    gap: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    fn new(per_minute: Option<u32>) -> Pace {
        Pace {
            gap: per_minute
                .filter(|rate| *rate > 0)
                .map_or(Duration::ZERO, |rate| {
                    Duration::from_secs_f64(60.0 / f64::from(rate))
                }),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this request's turn.
    async fn turn(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + self.gap;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Where figures come from, said once each on stderr.
fn say_notes<'a>(usages: impl IntoIterator<Item = &'a Usage>) {
    let notes: BTreeSet<&str> = usages
        .into_iter()
        .filter_map(|u| u.note.as_deref())
        .collect();
    for note in notes {
        crate::say!("note: {note}");
    }
}
