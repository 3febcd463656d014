//! Desired state: `export` writes the fleet as a spec file, `plan` shows what differs from a
//! spec, `apply` makes the fleet match it. The providers are the state: no state file.
use std::collections::BTreeMap;

use super::App;
use crate::cli::{ApplyArgs, FleetArgs, PlanArgs, ScopeArgs};
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::fleet;
use crate::model::{Database, Provisioning};
use crate::output::Renderer;
use crate::provider::registry::Registered;
use crate::provider::{Provider, Settable};

pub(crate) mod apply;
mod field;
mod names;
mod plan;
mod scope;
mod spec;

use plan::{Action, Verb};

/// `export`: the selected profiles' databases as a spec, ordered by profile and name.
pub async fn export(app: &App, args: &FleetArgs) -> Result<()> {
    app.out
        .text_only("export writes a TOML spec file (`dbctl plan -f FILE --json` gives JSON)")?;
    app.print(&export_text(app, args).await?)
}

/// The spec `export` writes.
pub(crate) async fn export_text(app: &App, args: &FleetArgs) -> Result<String> {
    let profiles = app.select(&args.providers, &args.profiles)?;
    let mut fleet = read_fleet(app, &profiles).await?.databases;
    fleet.sort_by(|a, b| (&a.profile, &a.name, &a.id).cmp(&(&b.profile, &b.name, &b.id)));
    let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
    let header = vec![
        format!(
            "dbctl export of profile{} {}, taken {}",
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        "Databases are matched by profile + name. `dbctl plan -f FILE` shows what differs;"
            .to_string(),
        "`dbctl apply -f FILE` makes the fleet match.".to_string(),
    ];
    let desired: Vec<_> = fleet.iter().map(plan::observe).collect();
    Ok(spec::write(&header, &names, false, &desired))
}

/// `plan -f FILE`: the differences; exit 13 when there is anything to change.
pub async fn plan(app: &App, args: &PlanArgs) -> Result<()> {
    let actions = differences(app, &args.file, &args.fleet, &args.scope).await?;
    app.print(&render(&app.out, &actions, &spec::origin(&args.file))?)?;
    outcome(&actions)
}

/// `apply -f FILE`.
pub async fn apply(app: &App, args: &ApplyArgs) -> Result<()> {
    apply::run(app, args).await
}

/// The fleet of some profiles, for desired state.
struct Fleet {
    databases: Vec<Database>,
    /// Profiles whose account provisions no throughput (Cosmos serverless).
    serverless: Vec<String>,
}

/// Reads the spec and the part of the fleet it covers, checks that what a reviewer reads is
/// what `apply` would do, and compares them.
async fn differences(
    app: &App,
    file: &std::path::Path,
    selection: &FleetArgs,
    narrowing: &ScopeArgs,
) -> Result<Vec<Action>> {
    compare(
        app,
        spec::read(file)?,
        &spec::origin(file),
        selection,
        narrowing,
    )
    .await
}

/// [`differences`] for a spec given as text (the MCP server's `plan` and `apply`); `origin`
/// names it in errors.
#[cfg(feature = "mcp")]
pub(crate) async fn differences_in_text(
    app: &App,
    text: &str,
    origin: &str,
    selection: &FleetArgs,
    narrowing: &ScopeArgs,
) -> Result<Vec<Action>> {
    compare(
        app,
        spec::parse(text, origin)?,
        origin,
        selection,
        narrowing,
    )
    .await
}

/// Compares a spec, read from `origin`, with the part of the fleet it covers.
async fn compare(
    app: &App,
    spec: spec::Spec,
    origin: &str,
    selection: &FleetArgs,
    narrowing: &ScopeArgs,
) -> Result<Vec<Action>> {
    if spec.entries.is_empty() && spec.profiles.is_empty() {
        // An empty file (a generator that failed, an empty stdin) must not gate green or,
        // with --prune, delete a profile's every database.
        return Err(Error::config(format!(
            "{origin} names no profile and no database, so it manages nothing"
        ))
        .with_hint("`dbctl export` writes both; a profile that should have no databases is listed as profiles = [\"NAME\"]"));
    }
    // Reading the spec is not the providers' time.
    app.shared.http.restart_deadline();
    let declared = scope::declared(app, &spec)?;
    scope::refuse_aliases(&declared)?;
    let profiles = scope::narrow(app, &declared, selection)?;
    let targets = scope::targets(&narrowing.targets, &profiles)?;
    let fleet = read_fleet(app, &profiles).await?;
    for profile in &profiles {
        refuse_unreadable_names(profile, &spec.entries, &fleet.databases)?;
    }
    scope::refuse_unknown_targets(&narrowing.targets, &spec.entries, &fleet.databases)?;
    let scope = plan::Scope {
        kinds: profiles
            .iter()
            .map(|p| (p.name.clone(), p.provider))
            .collect::<BTreeMap<_, _>>(),
        targets,
        prune: spec.prune || narrowing.prune,
    };
    for entry in &spec.entries {
        let want = &entry.desired;
        if want.throughput.is_some()
            && scope.covers(&want.profile, &want.name)
            && fleet.serverless.contains(&want.profile)
        {
            return Err(Error::config(format!(
                "{}: profile {} reaches a serverless account, which provisions no throughput: drop `throughput` from {:?}",
                entry.throughput_at.as_ref().unwrap_or(&entry.at),
                want.profile,
                want.name
            )));
        }
    }
    plan::diff(&spec.entries, &fleet.databases, &scope)
}

/// The plan of a spec against every profile it names, as its JSON records (`{action,
/// profile, name, id, changes}`): how `report -f` reads drift.
pub(super) async fn plan_records(
    app: &App,
    file: &std::path::Path,
) -> Result<Vec<serde_json::Value>> {
    let actions = differences(app, file, &FleetArgs::default(), &ScopeArgs::default()).await?;
    actions
        .iter()
        .map(|action| {
            serde_json::to_value(action)
                .map_err(|e| Error::internal(format!("cannot read the plan: {e}")))
        })
        .collect()
}

/// Every name of one profile, the spec's and the provider's, is visible and unlike the others.
fn refuse_unreadable_names(
    profile: &Profile,
    entries: &[spec::Entry],
    fleet: &[Database],
) -> Result<()> {
    let from_spec = entries
        .iter()
        .filter(|e| e.desired.profile == profile.name)
        .map(|e| names::Named {
            name: &e.desired.name,
            from: e.name_at.clone(),
        });
    let from_provider = fleet
        .iter()
        .filter(|db| db.profile == profile.name)
        .map(|db| names::Named {
            name: &db.name,
            from: format!("{} database {}", db.provider, db.id),
        });
    let named: Vec<names::Named> = from_spec.chain(from_provider).collect();
    names::refuse_unreadable(&profile.name, &named)
}

/// Every database of the profiles, with the settings its provider reports and, where the
/// provider has throughput, its own; any failing profile fails the command, as a partial
/// fleet would plan deletions and creations that are not real. Two databases of one name in
/// a profile are refused here, once.
async fn read_fleet(app: &App, profiles: &[&Profile]) -> Result<Fleet> {
    let (lists, failures) =
        fleet::each_profile(profiles, &app.shared, |provider, list| async move {
            with_throughput(provider.as_ref(), list).await
        })
        .await;
    if !failures.is_empty() {
        return Err(fleet::every_failure(failures));
    }
    let mut fleet = Fleet {
        databases: Vec::new(),
        serverless: Vec::new(),
    };
    for (profile, databases, provisioning) in lists {
        if provisioning == Some(Provisioning::Serverless) {
            fleet.serverless.push(profile);
        }
        fleet.databases.extend(databases);
    }
    plan::refuse_duplicates(&fleet.databases)?;
    Ok(fleet)
}

/// A profile's name and databases with their own throughput (one read for all), where the
/// provider has throughput, and how its account provisions it.
async fn with_throughput(
    provider: &dyn Provider,
    mut list: Vec<Database>,
) -> Result<(String, Vec<Database>, Option<Provisioning>)> {
    let profile = provider.profile().to_string();
    if provider.kind().spec().fields.throughput == Settable::Never {
        return Ok((profile, list, None));
    }
    let provisioning = provider.throughput(&mut list).await?;
    Ok((profile, list, Some(provisioning)))
}

/// The plan as the renderer's format: a table says so when nothing differs; Markdown is a
/// section for a pull request, with the summary under the table.
fn render(out: &Renderer, actions: &[Action], file: &str) -> Result<String> {
    // A spec's path can come from a pull request (`plan -f specs/*.toml`): the renderer
    // escapes it for its format.
    out.titled_list(
        &format!("dbctl plan of {file}"),
        actions,
        Some(&format!("No differences: the fleet matches {file}.")),
        &summary(actions),
    )
}

/// "1 to create, 2 to update, 0 that cannot change in place, 1 to delete; 3 unmanaged (...)".
fn summary(actions: &[Action]) -> String {
    let count = |verb: Verb| actions.iter().filter(|a| a.action == verb).count();
    let mut text = format!(
        "{} to create, {} to update, {} that cannot change in place, {} to delete",
        count(Verb::Create),
        count(Verb::Update),
        count(Verb::NotInPlace),
        count(Verb::Delete)
    );
    let unmanaged = count(Verb::Unmanaged);
    if unmanaged > 0 {
        text.push_str(&format!(
            "; {unmanaged} unmanaged (not in the spec, left alone)"
        ));
    }
    text
}

/// Whether a plan changes anything (unmanaged databases are information only).
pub(crate) fn changes_anything(actions: &[Action]) -> bool {
    actions.iter().any(|a| a.action.is_change())
}

/// Exit 13 when there is anything to change; unmanaged databases are information only.
fn outcome(actions: &[Action]) -> Result<()> {
    if changes_anything(actions) {
        return Err(Error::new(
            ErrorKind::NotAsExpected,
            format!("the fleet differs from the spec: {}", summary(actions)),
        ));
    }
    let unmanaged = actions.len();
    if unmanaged > 0 {
        crate::say!(
            "nothing to change; {unmanaged} unmanaged database{} not in the spec, left alone (`prune = true` in the spec, or --prune, deletes {})",
            if unmanaged == 1 { "" } else { "s" },
            if unmanaged == 1 { "it" } else { "them" }
        );
    }
    Ok(())
}
