//! What a plan covers: the profiles its spec declares, narrowed by `-p/--profile` (never
//! widened), then by `--target`; and what it must refuse first, because its reviewer would read
//! one thing where `apply` does another: two declared profiles that reach one account.
use std::collections::{BTreeSet, HashMap};

use super::names::nfc;
use super::spec::{Entry, Spec};
use super::App;
use crate::cli::{DatabaseRef, FleetArgs};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::model::{Database, ProviderKind};
use crate::provider::registry::Registered;
use crate::provider::{AccountId, Settable};

/// The profiles the spec declares (`profiles = [...]` and those of its databases), in the
/// configuration's order; each must be configured, of the provider an entry says, and have
/// throughput where an entry gives one.
pub fn declared<'a>(app: &'a App, spec: &Spec) -> Result<Vec<&'a Profile>> {
    let mut names = Vec::new();
    for entry in &spec.entries {
        let want = &entry.desired;
        let profile = find(app, &want.profile, &entry.at)?;
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
            return Err(no_throughput(entry, profile.provider));
        }
        names.push(profile.name.as_str());
    }
    for (name, at) in &spec.profiles {
        names.push(find(app, name, at)?.name.as_str());
    }
    Ok(app
        .config
        .profiles
        .iter()
        .filter(|p| names.contains(&p.name.as_str()))
        .collect())
}

fn find<'a>(app: &'a App, name: &str, at: &str) -> Result<&'a Profile> {
    app.config
        .profiles
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
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
        })
}

fn no_throughput(entry: &Entry, kind: ProviderKind) -> Error {
    let with: Vec<&str> = ProviderKind::all()
        .iter()
        .filter(|k| k.spec().fields.throughput != Settable::Never)
        .map(|k| k.name())
        .collect();
    Error::config(format!(
        "{}: {kind} databases have no provisioned throughput (`throughput` is for {} profiles)",
        entry.throughput_at.as_ref().unwrap_or(&entry.at),
        with.join(", ")
    ))
}

/// Refuses (exit 3) a spec that declares two profiles reaching one account: the databases
/// it keeps under one would be unmanaged (or, pruning, deleted) under the other. Every
/// declared profile counts, also one `-p` leaves out; one whose credentials cannot be read
/// reaches nothing this run (a plan that covers it fails on them anyway).
pub fn refuse_aliases(declared: &[&Profile]) -> Result<()> {
    let mut seen: HashMap<AccountId, &str> = HashMap::new();
    for profile in declared {
        let Ok(account) = (profile.provider.spec().account)(profile) else {
            continue;
        };
        if let Some(first) = seen.get(&account) {
            return Err(Error::config(format!(
                "profiles {first} and {} reach one account ({account}): the spec declares both, so the databases it keeps under one would be unmanaged under the other",
                profile.name
            ))
            .with_hint(format!(
                "declare the account once: keep {first} or {} in the spec, not both",
                profile.name
            )));
        }
        seen.insert(account, &profile.name);
    }
    Ok(())
}

/// The declared profiles `-p/--profile` select (every one without them). A selected profile
/// the spec does not declare is exit 3: plan and apply act on the spec's profiles only.
pub fn narrow<'a>(
    app: &App,
    declared: &[&'a Profile],
    selection: &FleetArgs,
) -> Result<Vec<&'a Profile>> {
    if selection.providers.is_empty() && selection.profiles.is_empty() {
        return Ok(declared.to_vec());
    }
    let selected = app.select(&selection.providers, &selection.profiles)?;
    let names = || {
        declared
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let undeclared = |flag: String| {
        Error::config(format!(
            "{flag}: the spec does not declare it (it declares {}); plan and apply act only on the spec's profiles",
            names()
        ))
        .with_hint("add the profile to the spec's `profiles = [...]` to manage it")
    };
    for name in &selection.profiles {
        if !declared.iter().any(|p| &p.name == name) {
            return Err(undeclared(format!("--profile {name}")));
        }
    }
    for kind in &selection.providers {
        if !declared.iter().any(|p| p.provider == *kind) {
            return Err(undeclared(format!("-p {kind}")));
        }
    }
    Ok(declared
        .iter()
        .filter(|p| selected.iter().any(|s| s.name == p.name))
        .copied()
        .collect())
}

/// `--target`s as (profile, name in NFC); each names a profile the plan covers.
pub fn targets(
    refs: &[DatabaseRef],
    profiles: &[&Profile],
) -> Result<Option<BTreeSet<(String, String)>>> {
    if refs.is_empty() {
        return Ok(None);
    }
    for target in refs {
        if !profiles.iter().any(|p| p.name == target.profile) {
            return Err(Error::config(format!(
                "--target {}/{}: profile {} is not one this plan covers ({})",
                target.profile,
                target.name,
                target.profile,
                profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(Some(
        refs.iter()
            .map(|t| (t.profile.clone(), nfc(&t.name)))
            .collect(),
    ))
}

/// Each `--target` names a database of the spec or of the fleet (exit 3 otherwise): a typo
/// must not plan nothing and pass.
pub fn refuse_unknown_targets(
    refs: &[DatabaseRef],
    entries: &[Entry],
    fleet: &[Database],
) -> Result<()> {
    for target in refs {
        let name = nfc(&target.name);
        let known = entries
            .iter()
            .map(|e| (&e.desired.profile, &e.desired.name))
            .chain(fleet.iter().map(|db| (&db.profile, &db.name)))
            .any(|(profile, other)| *profile == target.profile && nfc(other) == name);
        if !known {
            return Err(Error::config(format!(
                "--target {}/{}: no database {:?} in profile {}, in the spec or at the provider",
                target.profile, target.name, target.name, target.profile
            )));
        }
    }
    Ok(())
}
