//! Desired state: `export` writes the fleet as a spec file, `plan` shows what differs from a
//! spec, `apply` makes the fleet match it. The providers are the state: no state file.
use std::collections::BTreeMap;

use super::App;
use crate::cli::{ApplyArgs, FleetArgs, PlanArgs};
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::fleet;
use crate::model::Database;
use crate::model::ProviderKind;
use crate::output::Renderer;
use crate::provider::registry::Registered;
use crate::provider::{Provider, Settable, Shared, Throughput};

mod apply;
mod plan;
mod spec;

use plan::{Action, Current, Verb};

/// `export`: the selected profiles' databases as a spec, ordered by profile and name.
pub async fn export(app: &App, args: &FleetArgs) -> Result<()> {
    if !app.out.format().is_table() {
        return Err(Error::usage(
            "export writes a TOML spec file: -o/--json do not apply (`dbctl plan -f FILE --json` gives JSON)",
        ));
    }
    let profiles = app.select(&args.providers, &args.profiles)?;
    let mut fleet = read_fleet(app, &profiles).await?;
    fleet.sort_by(|a, b| {
        let (a, b) = (&a.db, &b.db);
        (&a.profile, &a.name, &a.id).cmp(&(&b.profile, &b.name, &b.id))
    });
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
        "`dbctl apply -f FILE` makes the fleet match (deletes only with --prune).".to_string(),
    ];
    let desired: Vec<_> = fleet.iter().map(plan::observe).collect();
    app.print(&spec::write(&header, &names, &desired))
}

/// `plan -f FILE`: the differences; exit 13 when there are any.
pub async fn plan(app: &App, args: &PlanArgs) -> Result<()> {
    let actions = differences(app, &args.file, &args.fleet).await?;
    app.print(&render(&app.out, &actions, &spec::origin(&args.file))?)?;
    outcome(&actions)
}

/// `apply -f FILE`.
pub async fn apply(app: &App, args: &ApplyArgs) -> Result<()> {
    apply::run(app, args).await
}

/// Reads the spec and the fleet it names, and compares them.
async fn differences(
    app: &App,
    file: &std::path::Path,
    selection: &FleetArgs,
) -> Result<Vec<Action>> {
    let spec::Spec { profiles, entries } = spec::read(file)?;
    if entries.is_empty() && profiles.is_empty() {
        // An empty file (a generator that failed, an empty stdin) must not gate green or,
        // with --prune, delete a profile's every database.
        return Err(Error::config(format!(
            "{} names no profile and no database, so it manages nothing",
            spec::origin(file)
        ))
        .with_hint("`dbctl export` writes both; a profile that should have no databases is listed as profiles = [\"NAME\"]"));
    }
    // Reading the spec is not the providers' time.
    app.shared.http.restart_deadline();
    let mut kinds = BTreeMap::new();
    for entry in &entries {
        let want = &entry.desired;
        let profile = app
            .config
            .profiles
            .iter()
            .find(|p| p.name == want.profile)
            .ok_or_else(|| unknown_profile(app, &entry.at, &want.profile))?;
        if let Some(provider) = &want.provider {
            if ProviderKind::parse(provider) != Some(profile.provider) {
                return Err(Error::config(format!(
                    "{}: profile {} is a {} profile, not {provider:?}",
                    entry.provider_at, profile.name, profile.provider
                )));
            }
        }
        if want.throughput.is_some() && profile.provider.spec().fields.throughput == Settable::Never
        {
            let with: Vec<&str> = ProviderKind::all()
                .iter()
                .filter(|k| k.spec().fields.throughput != Settable::Never)
                .map(|k| k.name())
                .collect();
            return Err(Error::config(format!(
                "{}: {} databases have no provisioned throughput (`throughput` is for {} profiles)",
                entry.throughput_at.as_ref().unwrap_or(&entry.at),
                profile.provider,
                with.join(", ")
            )));
        }
        kinds.insert(profile.name.clone(), profile.provider);
    }
    let mut managed: Vec<String> = kinds.keys().cloned().collect();
    for (name, at) in &profiles {
        if !app.config.profiles.iter().any(|p| &p.name == name) {
            return Err(unknown_profile(app, at, name));
        }
        if !managed.contains(name) {
            managed.push(name.clone());
        }
    }
    if !(selection.providers.is_empty() && selection.profiles.is_empty()) {
        for profile in app.select(&selection.providers, &selection.profiles)? {
            if !managed.contains(&profile.name) {
                managed.push(profile.name.clone());
            }
        }
    }
    let profiles: Vec<&Profile> = app
        .config
        .profiles
        .iter()
        .filter(|p| managed.contains(&p.name))
        .collect();
    let fleet = read_fleet(app, &profiles).await?;
    plan::diff(&entries, &fleet, &kinds, &managed)
}

/// The plan of a spec against every profile it names, as its JSON records (`{action,
/// profile, name, id, changes}`): how `report -f` reads drift.
pub(super) async fn plan_records(
    app: &App,
    file: &std::path::Path,
) -> Result<Vec<serde_json::Value>> {
    let actions = differences(app, file, &FleetArgs::default()).await?;
    actions
        .iter()
        .map(|action| {
            serde_json::to_value(action)
                .map_err(|e| Error::internal(format!("cannot read the plan: {e}")))
        })
        .collect()
}

fn unknown_profile(app: &App, at: &str, name: &str) -> Error {
    let known: Vec<&str> = app
        .config
        .profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    Error::config(format!(
        "{at}: no profile named {name:?} (configured: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
    .with_hint("`dbctl providers` lists the configured profiles")
}

/// Every database of the profiles, with the provider records `plan` reads settings from
/// (secrets masked) and, where the provider has it, the provisioned throughput; any failing
/// profile fails the command, as a partial fleet would plan deletions and creations that
/// are not real.
async fn read_fleet(app: &App, profiles: &[&Profile]) -> Result<Vec<Current>> {
    let shared = Shared {
        raw: true,
        show_secrets: false,
        ..app.shared.clone()
    };
    let (lists, failures) = fleet::each_profile(profiles, &shared, |provider, list| async move {
        with_throughput(provider.as_ref(), list).await
    })
    .await;
    if !failures.is_empty() {
        return Err(fleet::every_failure(failures));
    }
    let current: Vec<Current> = lists.into_iter().flatten().collect();
    plan::refuse_duplicates(current.iter().map(|c| &c.db))?;
    Ok(current)
}

/// A profile's databases with their throughput, read from the usage figures (one request
/// for all on Cosmos) when the provider has throughput.
async fn with_throughput(provider: &dyn Provider, list: Vec<Database>) -> Result<Vec<Current>> {
    let current = |db, throughput| Current { db, throughput };
    if provider.kind().spec().fields.throughput == Settable::Never || list.is_empty() {
        return Ok(list.into_iter().map(|db| current(db, None)).collect());
    }
    let usages = provider.usages(&list).await?;
    list.into_iter()
        .zip(usages)
        .map(|(db, usage)| {
            let usage = usage?;
            let throughput = match (usage.throughput_max_ru, usage.throughput_ru) {
                (Some(max), _) => Some(Throughput::Autoscale(max)),
                (None, Some(ru)) => Some(Throughput::Manual(ru)),
                (None, None) => None,
            };
            Ok(current(db, Some(throughput)))
        })
        .collect()
}

/// The plan as the renderer's format; a table says so when nothing differs.
fn render(out: &Renderer, actions: &[Action], file: &str) -> Result<String> {
    if actions.is_empty() && out.format().is_table() {
        // A spec's path can come from a pull request (`plan -f specs/*.toml`).
        let file = crate::sanitize::escape_controls(file);
        return Ok(format!("No differences: the fleet matches {file}.\n"));
    }
    out.list(actions)
}

/// Exit 13 when anything differs.
fn outcome(actions: &[Action]) -> Result<()> {
    if actions.is_empty() {
        return Ok(());
    }
    let count = |verb: Verb| actions.iter().filter(|a| a.action == verb).count();
    Err(Error::new(
        ErrorKind::NotAsExpected,
        format!(
            "the fleet differs from the spec: {} to create, {} to update, {} that cannot change in place, {} unmanaged",
            count(Verb::Create),
            count(Verb::Update),
            count(Verb::Replace),
            count(Verb::Unmanaged)
        ),
    ))
}
