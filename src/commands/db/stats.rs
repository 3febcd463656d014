//! `db stats [ID]` and `db list --usage`: usage figures for one database or the fleet.
use std::collections::BTreeSet;

use super::super::App;
use crate::cli::{ListArgs, Target};
use crate::error::{Error, Result};
use crate::fleet::Gathered;
use crate::model::Connection;
use crate::model::Database;
use crate::model::Usage;
use crate::output::DatabaseUsage;
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};

/// `db stats ID` (one database) or `db stats` (every selected database).
pub async fn run(app: &App, id: Option<String>, args: &ListArgs) -> Result<()> {
    let Some(id) = id else {
        let gathered = fleet(app, args).await?;
        let usages: Vec<Usage> = gathered
            .items
            .iter()
            .filter_map(|(_, u)| u.clone())
            .collect();
        say_notes(&usages);
        app.print(&app.out.list(&usages)?)?;
        return gathered.finish(app.json());
    };
    let target = one_target(args)?;
    let provider = app.provider_for(&target, Operation::Usage, &id)?;
    let db = provider.get(&id).await?;
    let answers = provider.usages(std::slice::from_ref(&db)).await?;
    let usage = with_info(app, provider.as_ref(), std::slice::from_ref(&db), answers)
        .await
        .pop()
        .unwrap_or_else(|| Ok(Usage::of(&db)))?;
    say_notes([&usage]);
    app.print(&app.out.one(&usage)?)
}

/// `db list --usage`: the list, each row with its figures (null where they could not be read).
pub async fn list_with_usage(app: &App, args: &ListArgs) -> Result<()> {
    let gathered = fleet(app, args).await?;
    say_notes(gathered.items.iter().filter_map(|(_, u)| u.as_ref()));
    let rows: Vec<DatabaseUsage> = gathered
        .items
        .iter()
        .map(|(db, usage)| DatabaseUsage::new(db.clone(), usage.clone()))
        .collect();
    app.print(&app.out.list(&rows)?)?;
    gathered.finish(app.json())
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
        |provider, databases| async move { usages(app, provider.as_ref(), databases).await },
    )
    .await
}

/// One provider's databases, each with its usage (none where it failed), and the failures.
/// Only a provider without usage fails as a whole.
pub async fn usages(
    app: &App,
    provider: &dyn Provider,
    databases: Vec<Database>,
) -> Result<(Vec<(Database, Option<Usage>)>, Vec<Error>)> {
    provider.require(Operation::Usage)?;
    let mut pairs = Vec::new();
    let mut failures = Vec::new();
    // Figures shared by every database that failed: the databases stay, without figures.
    let mut answers = match provider.usages(&databases).await {
        Ok(answers) => with_info(app, provider, &databases, answers)
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

/// How long INFO over the data plane may take for a whole `db stats` / `db list --usage`.
const INFO_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// Where the API gives no live figures (Redis Cloud has no metrics API), `INFO memory`,
/// `INFO stats` and `INFO clients` over the data plane give them, with the password the API
/// gives (it never leaves the process); when the data plane cannot be reached the API's
/// figure stays, and the note says why.
async fn with_info(
    app: &App,
    provider: &dyn Provider,
    databases: &[Database],
    answers: Vec<Result<Usage>>,
) -> Vec<Result<Usage>> {
    if !provider.kind().spec().usage_from_info {
        return answers;
    }
    let dialer = match super::ping::dialer(app, provider) {
        Ok(dialer) => dialer,
        Err(_) => return answers,
    };
    let dialer = &dialer;
    // A data plane that does not answer (a firewalled endpoint) costs this long at most, all
    // databases together; the API's figures stand for the ones that did not answer by then.
    let deadline = tokio::time::Instant::now() + INFO_BUDGET;
    futures::future::join_all(
        answers
            .into_iter()
            .zip(databases)
            .map(|(answer, db)| async move {
                let mut usage = answer?;
                let info = tokio::time::timeout_at(deadline, async {
                    match crate::provider::connection_of(provider, db).await? {
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
            }),
    )
    .await
}

/// `-p`/`--profile` of a single-database form: at most one of each.
fn one_target(args: &ListArgs) -> Result<Target> {
    if args.providers.len() > 1 || args.profiles.len() > 1 {
        return Err(Error::usage(
            "db stats ID reads one database: give at most one -p and one --profile",
        ));
    }
    Ok(Target {
        provider: args.providers.first().copied(),
        profile: args.profiles.first().cloned(),
    })
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
