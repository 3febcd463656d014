//! The difference between a spec and the fleet: what to create, what to update in place, what
//! cannot change in place, what to delete (prune), and what exists outside the spec.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::field::SpecField;
use super::names::nfc;
use super::spec::{size_text, throughput_value, Desired, Entry};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Database;
use crate::model::ProviderKind;
use crate::output::{Color, Column, Give, Record};
use crate::provider::registry::Registered;
use crate::provider::{Managed, Operation, Settable};

/// What `apply` would do to one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Create,
    Update,
    /// A field differs that the provider cannot change in place; `apply` refuses rather than
    /// replace the database. JSON keeps the word `replace`, what the change would take.
    #[serde(rename = "replace")]
    NotInPlace,
    /// Not in the spec, and the spec (or `--prune`) prunes: `apply` deletes it.
    Delete,
    /// Not in the spec, which does not prune: reported, left alone, not a difference.
    Unmanaged,
}

impl Verb {
    pub fn marker(self) -> (&'static str, Color) {
        match self {
            Verb::Create => ("+ create", Color::Green),
            Verb::Update => ("~ update", Color::Yellow),
            Verb::NotInPlace => ("! cannot change in place", Color::Red),
            Verb::Delete => ("- delete", Color::Red),
            Verb::Unmanaged => ("? unmanaged", Color::Cyan),
        }
    }

    /// Whether it is a change to make (an unmanaged database is information).
    pub fn is_change(self) -> bool {
        self != Verb::Unmanaged
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub field: SpecField,
    pub from: Value,
    pub to: Value,
}

/// One line of the plan; JSON: `{action, profile, name, id, changes:[{field, from, to}]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub action: Verb,
    pub profile: String,
    pub name: String,
    pub id: Option<String>,
    pub changes: Vec<FieldChange>,
    #[serde(skip)]
    pub provider: ProviderKind,
    /// The spec's entry (create, update).
    #[serde(skip)]
    pub desired: Option<Desired>,
    /// Where the spec names it ("fleet.toml line 3, column 11"), for errors.
    #[serde(skip)]
    pub at: Option<String>,
}

/// What a plan covers: its profiles and their providers, the databases `--target` names
/// (every one when `None`), and whether databases outside the spec are deleted.
pub struct Scope {
    pub kinds: BTreeMap<String, ProviderKind>,
    /// (profile, name in NFC).
    pub targets: Option<BTreeSet<(String, String)>>,
    pub prune: bool,
}

impl Scope {
    pub fn covers(&self, profile: &str, name: &str) -> bool {
        self.kinds.contains_key(profile)
            && self
                .targets
                .as_ref()
                .is_none_or(|targets| targets.contains(&(profile.to_string(), nfc(name))))
    }
}

/// What the fleet says of one database, in the spec's terms; `None` where the provider does
/// not say. This is what `export` writes.
pub fn observe(db: &Database) -> Desired {
    let fields = &db.provider.spec().fields;
    let settings = db
        .facts
        .settings
        .iter()
        .filter_map(|(key, value)| Some((key.to_string(), scalar(value)?)))
        .collect();
    Desired {
        profile: db.profile.clone(),
        name: db.name.clone(),
        provider: Some(db.provider.to_string()),
        region: db.region.clone(),
        subscription: fields
            .subscription
            .then(|| db.id.split_once('/').map(|(s, _)| s.to_string()))
            .flatten(),
        memory: db.memory_limit_bytes,
        tls: db.tls,
        throughput: db.facts.throughput.flatten(),
        settings,
    }
}

/// A provider's scalar as a spec value.
fn scalar(value: &Value) -> Option<toml::Value> {
    match value {
        Value::Bool(b) => Some(toml::Value::Boolean(*b)),
        Value::Number(n) => n.as_i64().map(toml::Value::Integer),
        Value::String(s) => Some(toml::Value::String(s.clone())),
        _ => None,
    }
}

/// The spec fields as (field, JSON value, how the provider writes it), where the spec gives one.
fn fields(desired: &Desired, kind: ProviderKind) -> Vec<(SpecField, Value, Settable)> {
    let f = &kind.spec().fields;
    let managed = [
        (Managed::Region, desired.region.clone().map(Value::String)),
        (
            Managed::Subscription,
            desired.subscription.clone().map(Value::String),
        ),
        (Managed::Memory, desired.memory.map(|m| size_text(m).into())),
        (Managed::Tls, desired.tls.map(Value::Bool)),
        (
            Managed::Throughput,
            desired.throughput.map(throughput_value),
        ),
    ];
    let managed = managed
        .into_iter()
        .filter_map(|(field, value)| Some((SpecField::Managed(field), value?, f.settable(field))));
    let settings = desired.settings.iter().filter_map(|(key, value)| {
        let settable = if f.settings.contains(&key.as_str()) {
            Settable::InPlace
        } else {
            Settable::AtCreate
        };
        let value = serde_json::to_value(value).ok()?;
        Some((SpecField::Setting(key.clone()), value, settable))
    });
    managed.chain(settings).collect()
}

/// Compares the spec's entries with the fleet, within `scope`.
pub fn diff(entries: &[Entry], fleet: &[Database], scope: &Scope) -> Result<Vec<Action>> {
    let by_key: HashMap<(&str, String), &Database> = fleet
        .iter()
        .map(|db| ((db.profile.as_str(), nfc(&db.name)), db))
        .collect();
    let mut actions = Vec::new();
    for entry in entries {
        let want = &entry.desired;
        let Some(&kind) = scope.kinds.get(&want.profile) else {
            continue;
        };
        if !scope.covers(&want.profile, &want.name) {
            continue;
        }
        let key = (want.profile.as_str(), nfc(&want.name));
        match by_key.get(&key) {
            None => actions.push(create(entry, kind)?),
            Some(db) => actions.extend(update(entry, kind, db)),
        }
    }
    let listed: HashSet<(&str, String)> = entries
        .iter()
        .map(|e| (e.desired.profile.as_str(), nfc(&e.desired.name)))
        .collect();
    for db in fleet {
        let key = (db.profile.as_str(), nfc(&db.name));
        if listed.contains(&key) || !scope.covers(&db.profile, &db.name) {
            continue;
        }
        actions.push(Action {
            action: if scope.prune {
                Verb::Delete
            } else {
                Verb::Unmanaged
            },
            profile: db.profile.clone(),
            name: db.name.clone(),
            id: Some(db.id.clone()),
            changes: Vec::new(),
            provider: db.provider,
            desired: None,
            at: None,
        });
    }
    actions.sort_by(|a, b| (&a.profile, &a.name, a.action).cmp(&(&b.profile, &b.name, b.action)));
    Ok(actions)
}

fn action(
    entry: &Entry,
    kind: ProviderKind,
    verb: Verb,
    id: Option<&str>,
    changes: Vec<FieldChange>,
) -> Action {
    Action {
        action: verb,
        profile: entry.desired.profile.clone(),
        name: entry.desired.name.clone(),
        id: id.map(str::to_string),
        changes,
        provider: kind,
        desired: Some(entry.desired.clone()),
        at: Some(entry.at.clone()),
    }
}

/// A database of the spec that does not exist: every field the provider takes at create.
fn create(entry: &Entry, kind: ProviderKind) -> Result<Action> {
    let want = &entry.desired;
    let subscription = want.subscription.as_deref().map(str::trim);
    if kind.spec().fields.subscription && subscription.is_none_or(str::is_empty) {
        return Err(Error::config(format!(
            "{}: {kind} database {:?} does not exist, and creating it needs the `subscription` it goes in",
            entry.at, want.name
        ))
        .with_hint(format!(
            "add `subscription = \"ID\"`: the part before `/` of the ids `dbctl db list -p {kind}` shows"
        )));
    }
    let changes = fields(want, kind)
        .into_iter()
        .filter(|(_, _, settable)| settable.at_create())
        .map(|(field, to, _)| FieldChange {
            field,
            from: Value::Null,
            to,
        })
        .collect();
    Ok(action(entry, kind, Verb::Create, None, changes))
}

/// A database of the spec that exists: the fields that differ, in place where the provider
/// can change them, else as a change `apply` refuses.
fn update(entry: &Entry, kind: ProviderKind, db: &Database) -> Vec<Action> {
    let mut have = fields(&observe(db), kind);
    if db.facts.throughput == Some(None) {
        // Reported as none, so compared (and not addable in place).
        have.push((
            SpecField::Managed(Managed::Throughput),
            Value::Null,
            kind.spec().fields.throughput,
        ));
    }
    let updatable = kind.supports(Operation::Update);
    let (mut in_place, mut replace) = (Vec::new(), Vec::new());
    for (field, to, settable) in fields(&entry.desired, kind) {
        // A field the provider does not report is not compared.
        let Some((_, from, _)) = have.iter().find(|(name, _, _)| *name == field) else {
            continue;
        };
        if *from == to {
            continue;
        }
        let change = FieldChange {
            field,
            from: from.clone(),
            to: to.clone(),
        };
        if updatable && settable.in_place(from, &to) {
            in_place.push(change);
        } else {
            replace.push(change);
        }
    }
    [(Verb::Update, in_place), (Verb::NotInPlace, replace)]
        .into_iter()
        .filter(|(_, changes)| !changes.is_empty())
        .map(|(verb, changes)| action(entry, kind, verb, Some(&db.id), changes))
        .collect()
}

/// Databases are matched by profile + name (in NFC): two of one name in a profile are a
/// conflict.
pub fn refuse_duplicates<'a>(fleet: impl IntoIterator<Item = &'a Database>) -> Result<()> {
    let mut seen: BTreeMap<(&str, String), Vec<&'a Database>> = BTreeMap::new();
    for db in fleet {
        seen.entry((&db.profile, nfc(&db.name)))
            .or_default()
            .push(db);
    }
    match seen.into_iter().find(|(_, dbs)| dbs.len() > 1) {
        None => Ok(()),
        Some(((profile, _), dbs)) => {
            let ids: Vec<&str> = dbs.iter().map(|db| db.id.as_str()).collect();
            Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "profile {profile} has {} databases named {:?} (ids {}); desired state matches databases by profile + name",
                    dbs.len(),
                    dbs[0].name,
                    ids.join(", ")
                ),
            )
            .with_hint("rename or delete one of them first (`dbctl db update ID --name NEW`)"))
        }
    }
}

/// A plan value as the spec writes it (`{ autoscale_max = 4000 }` for a table).
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} = {}", plain(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
        other => other.to_string(),
    }
}

impl Record for Action {
    const FIELDS: &'static [&'static str] = &["action", "profile", "name", "id", "changes"];
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("ACTION", |a| a.action.marker().0.to_string()).colored(|a| a.action.marker().1),
            column("PROFILE", |a| a.profile.clone()).gives(1, Give::Trim(10)),
            column("NAME", |a| a.name.clone()),
            column("ID", |a| a.id.clone().unwrap_or_default()),
            column("CHANGES", Action::changes_text).gives(2, Give::Wrap(20)),
        ]
    }
}

impl Action {
    /// The CHANGES cell: each field and its values, as the spec writes them.
    fn changes_text(&self) -> String {
        match self.action {
            Verb::Unmanaged | Verb::Delete => "not in the spec".to_string(),
            Verb::Create => self
                .changes
                .iter()
                .map(|c| format!("{}={}", c.field, plain(&c.to)))
                .collect::<Vec<_>>()
                .join(", "),
            Verb::Update | Verb::NotInPlace => self
                .changes
                .iter()
                .map(|c| format!("{}: {} → {}", c.field, plain(&c.from), plain(&c.to)))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Throughput;

    fn entry(desired: Desired) -> Entry {
        Entry {
            desired,
            at: "f line 1, column 1".into(),
            name_at: "f line 2, column 1".into(),
            provider_at: "f line 1, column 1".into(),
            throughput_at: None,
        }
    }

    fn scope(profile: &str, kind: ProviderKind, prune: bool) -> Scope {
        Scope {
            kinds: BTreeMap::from([(profile.to_string(), kind)]),
            targets: None,
            prune,
        }
    }

    fn upstash(tls: Option<bool>) -> Database {
        let mut db = Database::new(ProviderKind::Upstash, "u", "id-1".into(), "cache".into());
        db.tls = tls;
        db.region = Some("us-east-1".into());
        db
    }

    fn plan(have: Option<bool>, want: bool) -> Vec<(Verb, Vec<String>)> {
        let want = Desired {
            profile: "u".into(),
            name: "cache".into(),
            tls: Some(want),
            region: Some("us-east-1".into()),
            ..Desired::default()
        };
        let scope = scope("u", ProviderKind::Upstash, false);
        diff(&[entry(want)], &[upstash(have)], &scope)
            .unwrap()
            .into_iter()
            .map(|a| {
                let fields = a.changes.into_iter().map(|c| c.field.to_string());
                (a.action, fields.collect())
            })
            .collect()
    }

    #[test]
    fn a_field_the_provider_only_turns_on_cannot_be_turned_off_in_place() {
        assert_eq!(
            plan(Some(false), true),
            vec![(Verb::Update, vec!["tls".into()])]
        );
        assert_eq!(
            plan(Some(true), false),
            vec![(Verb::NotInPlace, vec!["tls".into()])]
        );
        assert_eq!(plan(Some(true), true), vec![]);
    }

    #[test]
    fn a_field_the_provider_does_not_report_is_not_compared() {
        assert_eq!(plan(None, true), vec![]);
    }

    fn cosmos_plan(have: Option<Option<Throughput>>, want: Throughput) -> Vec<(Verb, Value)> {
        let want = Desired {
            profile: "c".into(),
            name: "orders".into(),
            throughput: Some(want),
            ..Desired::default()
        };
        let mut db = Database::new(ProviderKind::Cosmos, "c", "orders".into(), "orders".into());
        db.facts.throughput = have;
        diff(
            &[entry(want)],
            &[db],
            &scope("c", ProviderKind::Cosmos, false),
        )
        .unwrap()
        .into_iter()
        .map(|a| (a.action, serde_json::to_value(&a.changes).unwrap()))
        .collect()
    }

    #[test]
    fn throughput_changes_in_place_between_values_and_modes_but_is_never_added() {
        use Throughput::{Autoscale, Manual};
        let change = |from: Value, to: Value| serde_json::json!([{"field": "throughput", "from": from, "to": to}]);
        assert_eq!(
            cosmos_plan(Some(Some(Manual(400))), Manual(800)),
            vec![(Verb::Update, change(400.into(), 800.into()))]
        );
        assert_eq!(
            cosmos_plan(Some(Some(Manual(400))), Autoscale(4000)),
            vec![(
                Verb::Update,
                change(400.into(), serde_json::json!({"autoscale_max": 4000}))
            )]
        );
        assert_eq!(
            cosmos_plan(Some(Some(Autoscale(4000))), Autoscale(4000)),
            vec![]
        );
        // A database created without throughput of its own cannot be given one.
        assert_eq!(
            cosmos_plan(Some(None), Manual(400)),
            vec![(Verb::NotInPlace, change(Value::Null, 400.into()))]
        );
    }

    #[test]
    fn a_create_in_a_subscription_needs_the_subscription() {
        let want = |subscription: Option<&str>| Desired {
            profile: "rc".into(),
            name: "new".into(),
            subscription: subscription.map(str::to_string),
            ..Desired::default()
        };
        let scope = scope("rc", ProviderKind::RedisCloud, false);
        let error = diff(&[entry(want(None))], &[], &scope).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        assert!(
            error.message.starts_with("f line 1, column 1: "),
            "{}",
            error.message
        );
        assert!(error.message.contains("subscription"), "{}", error.message);
        let planned = diff(&[entry(want(Some("7")))], &[], &scope).unwrap();
        assert_eq!(planned[0].action, Verb::Create);
    }

    /// A spec in NFD matches the provider's NFC; a database outside the spec is unmanaged,
    /// or deleted when the spec prunes; `--target` leaves out every other database.
    #[test]
    fn names_match_in_nfc_and_prune_decides_what_is_outside() {
        let db = |id: &str, name: &str| {
            Database::new(ProviderKind::Upstash, "u", id.into(), name.into())
        };
        let fleet = [db("1", "caf\u{e9}"), db("2", "stray"), db("3", "other")];
        let want = entry(Desired {
            profile: "u".into(),
            name: "cafe\u{301}".into(),
            ..Desired::default()
        });
        let verbs = |scope: &Scope| -> Vec<(Verb, String)> {
            diff(std::slice::from_ref(&want), &fleet, scope)
                .unwrap()
                .into_iter()
                .map(|a| (a.action, a.name))
                .collect()
        };
        assert_eq!(
            verbs(&scope("u", ProviderKind::Upstash, false)),
            vec![
                (Verb::Unmanaged, "other".into()),
                (Verb::Unmanaged, "stray".into())
            ]
        );
        let mut pruning = scope("u", ProviderKind::Upstash, true);
        assert_eq!(
            verbs(&pruning),
            vec![
                (Verb::Delete, "other".into()),
                (Verb::Delete, "stray".into())
            ]
        );
        pruning.targets = Some(BTreeSet::from([("u".to_string(), "stray".to_string())]));
        assert_eq!(verbs(&pruning), vec![(Verb::Delete, "stray".into())]);
    }
}
