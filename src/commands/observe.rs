//! The fleet as `metrics serve` and `report` show it, read through the fleet engine: every
//! database with its usage figures and what `check`'s rules (all but `reachable`) find.
use super::check;
use super::App;
use crate::cli::MemoryThresholds;
use crate::config::Profile;
use crate::error::Result;
use crate::fleet::{self, Gathered, Selection};
use crate::model::{Database, Finding, Usage};
use crate::output::report::Observed;
use crate::provider::Shared;

/// One database as read.
pub struct Row {
    pub db: Database,
    pub usage: Option<Usage>,
    pub findings: Vec<Finding>,
}

/// Reads these profiles at once (as `check` does, without `--ping`); fails only when none
/// answered. A database whose figures failed is kept without them, and named as a failure.
pub async fn gather(
    app: &App,
    profiles: &[&Profile],
    shared: &Shared,
    memory: &MemoryThresholds,
) -> Result<Gathered<Row>> {
    let rules = check::default_rules();
    let rules = &rules;
    fleet::gather(
        profiles,
        shared,
        &Selection::default(),
        |row: &Row| &row.db,
        |provider, databases| async move {
            let (subjects, failures) =
                check::subjects(app, provider.as_ref(), databases, true, false, false).await?;
            let mut findings = check::findings_of(&subjects, rules, memory);
            let rows = subjects
                .into_iter()
                .map(|subject| {
                    let (mine, rest) = std::mem::take(&mut findings)
                        .into_iter()
                        .partition(|f: &Finding| f.database_id == subject.db.id);
                    findings = rest;
                    Row {
                        db: subject.db,
                        usage: subject.usage,
                        findings: mine,
                    }
                })
                .collect();
            Ok((rows, failures))
        },
    )
    .await
}

/// What was read, profile by profile in the order given: a profile with no database and a
/// failure naming it could not be read at all.
pub fn observed(profiles: &[&Profile], gathered: &mut Gathered<Row>) -> Vec<Observed> {
    let failures = gathered.failures().to_vec();
    let mut rows = std::mem::take(&mut gathered.items);
    profiles
        .iter()
        .map(|profile| {
            let is_mine =
                |provider, name: &str| provider == profile.provider && name == profile.name;
            let (mine, rest): (Vec<Row>, Vec<Row>) = std::mem::take(&mut rows)
                .into_iter()
                .partition(|row| is_mine(row.db.provider, &row.db.profile));
            rows = rest;
            let messages: Vec<String> = failures
                .iter()
                .filter(|e| e.provider == Some(profile.provider))
                .filter(|e| e.profile.as_deref() == Some(profile.name.as_str()))
                .map(|e| e.message.clone())
                .collect();
            let whole = mine.is_empty() && !messages.is_empty();
            let mut observed = Observed {
                provider: profile.provider,
                profile: profile.name.clone(),
                databases: Vec::with_capacity(mine.len()),
                findings: Vec::new(),
                error: whole.then(|| messages.join("; ")),
                failures: if whole { Vec::new() } else { messages },
            };
            for row in mine {
                observed.findings.extend(row.findings);
                observed.databases.push((row.db, row.usage));
            }
            observed
        })
        .collect()
}
