//! The difference between a spec and the fleet: what to create, what to update in place, what
//! cannot change in place, and what exists but is not in the spec.
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::spec::{size_text, throughput_value, Desired, Entry};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Database;
use crate::model::ProviderKind;
use crate::output::{Color, Column, Give, Record};
use crate::provider::registry::Registered;
use crate::provider::{Operation, Settable, Throughput};

/// What `apply` would do to one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Create,
    Update,
    /// A field differs that the provider cannot change in place; `apply` refuses.
    Replace,
    /// Exists but is not in the spec; `apply --prune` deletes it.
    Unmanaged,
}

impl Verb {
    fn marker(self) -> (&'static str, Color) {
        match self {
            Verb::Create => ("+ create", Color::Green),
            Verb::Update => ("~ update", Color::Yellow),
            Verb::Replace => ("! cannot change in place", Color::Red),
            Verb::Unmanaged => ("? unmanaged", Color::Cyan),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub field: String,
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

/// A database of the fleet as `plan` compares it.
#[derive(Debug, Clone)]
pub struct Current {
    pub db: Database,
    /// Its own provisioned throughput, where its provider has throughput: `Some(None)` when
    /// it has none (a Cosmos database whose containers carry their own).
    pub throughput: Option<Option<Throughput>>,
}

/// What the fleet says of one database, in the spec's terms; `None` where the provider does
/// not say. This is what `export` writes.
pub fn observe(current: &Current) -> Desired {
    let db = &current.db;
    let fields = &db.provider.spec().fields;
    let settings = db
        .raw
        .as_ref()
        .map(|raw| {
            fields
                .settings
                .iter()
                .filter_map(|key| Some((key.to_string(), scalar(raw.get(*key)?)?)))
                .collect()
        })
        .unwrap_or_default();
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
        throughput: current.throughput.flatten(),
        settings,
    }
}

/// A provider's scalar as a spec value; structures are not managed.
fn scalar(value: &Value) -> Option<toml::Value> {
    match value {
        Value::Bool(b) => Some(toml::Value::Boolean(*b)),
        Value::Number(n) => n.as_i64().map(toml::Value::Integer),
        Value::String(s) => Some(toml::Value::String(s.clone())),
        _ => None,
    }
}

/// The spec fields as (name, JSON value, how the provider writes it), where the spec gives one.
fn fields(desired: &Desired, kind: ProviderKind) -> Vec<(String, Value, Settable)> {
    let f = &kind.spec().fields;
    let mut out = Vec::new();
    let mut add = |name: &str, value: Option<Value>, settable: Settable| {
        if let Some(value) = value {
            out.push((name.to_string(), value, settable));
        }
    };
    add(
        "region",
        desired.region.clone().map(Value::String),
        f.region,
    );
    let subscription = if f.subscription {
        Settable::AtCreate
    } else {
        Settable::Never
    };
    add(
        "subscription",
        desired.subscription.clone().map(Value::String),
        subscription,
    );
    add(
        "memory",
        desired.memory.map(|m| size_text(m).into()),
        f.memory,
    );
    add("tls", desired.tls.map(Value::Bool), f.tls);
    add(
        "throughput",
        desired.throughput.map(throughput_value),
        f.throughput,
    );
    for (key, value) in &desired.settings {
        let settable = if f.settings.contains(&key.as_str()) {
            Settable::InPlace
        } else {
            Settable::AtCreate
        };
        add(
            &format!("settings.{key}"),
            serde_json::to_value(value).ok(),
            settable,
        );
    }
    out
}

/// Compares the spec with the fleet. `managed` lists the profiles whose databases outside
/// the spec are reported as unmanaged.
pub fn diff(
    entries: &[Entry],
    fleet: &[Current],
    kinds: &BTreeMap<String, ProviderKind>,
    managed: &[String],
) -> Result<Vec<Action>> {
    refuse_duplicates(fleet.iter().map(|c| &c.db))?;
    let by_key: HashMap<(&str, &str), &Current> = fleet
        .iter()
        .map(|c| ((c.db.profile.as_str(), c.db.name.as_str()), c))
        .collect();
    let mut actions = Vec::new();
    for entry in entries {
        let want = &entry.desired;
        let Some(&kind) = kinds.get(&want.profile) else {
            continue;
        };
        let action = |verb, id: Option<&str>, changes| Action {
            action: verb,
            profile: want.profile.clone(),
            name: want.name.clone(),
            id: id.map(str::to_string),
            changes,
            provider: kind,
            desired: Some(want.clone()),
            at: Some(entry.at.clone()),
        };
        let Some(current) = by_key.get(&(want.profile.as_str(), want.name.as_str())) else {
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
            actions.push(action(Verb::Create, None, changes));
            continue;
        };
        let db = &current.db;
        let mut have = fields(&observe(current), kind);
        if current.throughput == Some(None) {
            // Reported as none, so compared (and not addable in place).
            have.push((
                "throughput".into(),
                Value::Null,
                kind.spec().fields.throughput,
            ));
        }
        let updatable = kind.supports(Operation::Update);
        let (mut in_place, mut replace) = (Vec::new(), Vec::new());
        for (field, to, settable) in fields(want, kind) {
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
        if !in_place.is_empty() {
            actions.push(action(Verb::Update, Some(&db.id), in_place));
        }
        if !replace.is_empty() {
            actions.push(action(Verb::Replace, Some(&db.id), replace));
        }
    }
    let listed: HashSet<(&str, &str)> = entries
        .iter()
        .map(|e| (e.desired.profile.as_str(), e.desired.name.as_str()))
        .collect();
    for db in fleet.iter().map(|c| &c.db) {
        let key = (db.profile.as_str(), db.name.as_str());
        if !listed.contains(&key) && managed.contains(&db.profile) {
            actions.push(Action {
                action: Verb::Unmanaged,
                profile: db.profile.clone(),
                name: db.name.clone(),
                id: Some(db.id.clone()),
                changes: Vec::new(),
                provider: db.provider,
                desired: None,
                at: None,
            });
        }
    }
    actions.sort_by(|a, b| (&a.profile, &a.name, a.action).cmp(&(&b.profile, &b.name, b.action)));
    Ok(actions)
}

/// Databases are matched by profile + name: two of one name in a profile are a conflict.
pub fn refuse_duplicates<'a>(fleet: impl IntoIterator<Item = &'a Database>) -> Result<()> {
    let mut seen: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for db in fleet {
        seen.entry((&db.profile, &db.name))
            .or_default()
            .push(&db.id);
    }
    match seen.into_iter().find(|(_, ids)| ids.len() > 1) {
        None => Ok(()),
        Some(((profile, name), ids)) => Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "profile {profile} has {} databases named {name:?} (ids {}); desired state matches databases by profile + name",
                ids.len(),
                ids.join(", ")
            ),
        )
        .with_hint("rename or delete one of them first (`dbctl db update ID --name NEW`)")),
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
            Verb::Unmanaged => "not in the spec".to_string(),
            Verb::Create => self
                .changes
                .iter()
                .map(|c| format!("{}={}", c.field, plain(&c.to)))
                .collect::<Vec<_>>()
                .join(", "),
            Verb::Update | Verb::Replace => self
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

    fn entry(desired: Desired) -> Entry {
        Entry {
            desired,
            at: "f line 1, column 1".into(),
            provider_at: "f line 1, column 1".into(),
            throughput_at: None,
        }
    }

    fn upstash(tls: Option<bool>) -> Database {
        let mut db = Database::new(ProviderKind::Upstash, "u", "id-1".into(), "cache".into());
        db.tls = tls;
        db.region = Some("us-east-1".into());
        db
    }

    fn plan(have: Option<bool>, want: bool) -> Vec<(Verb, Vec<String>)> {
        let kinds = BTreeMap::from([("u".to_string(), ProviderKind::Upstash)]);
        let want = Desired {
            profile: "u".into(),
            name: "cache".into(),
            tls: Some(want),
            region: Some("us-east-1".into()),
            ..Desired::default()
        };
        let current = Current {
            db: upstash(have),
            throughput: None,
        };
        diff(&[entry(want)], &[current], &kinds, &["u".to_string()])
            .unwrap()
            .into_iter()
            .map(|a| (a.action, a.changes.into_iter().map(|c| c.field).collect()))
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
            vec![(Verb::Replace, vec!["tls".into()])]
        );
        assert_eq!(plan(Some(true), true), vec![]);
    }

    #[test]
    fn a_field_the_provider_does_not_report_is_not_compared() {
        assert_eq!(plan(None, true), vec![]);
    }

    fn cosmos_plan(have: Option<Option<Throughput>>, want: Throughput) -> Vec<(Verb, Value)> {
        let kinds = BTreeMap::from([("c".to_string(), ProviderKind::Cosmos)]);
        let want = Desired {
            profile: "c".into(),
            name: "orders".into(),
            throughput: Some(want),
            ..Desired::default()
        };
        let current = Current {
            db: Database::new(ProviderKind::Cosmos, "c", "orders".into(), "orders".into()),
            throughput: have,
        };
        diff(&[entry(want)], &[current], &kinds, &["c".to_string()])
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
            vec![(Verb::Replace, change(Value::Null, 400.into()))]
        );
    }

    #[test]
    fn a_create_in_a_subscription_needs_the_subscription() {
        let kinds = BTreeMap::from([("rc".to_string(), ProviderKind::RedisCloud)]);
        let want = |subscription: Option<&str>| Desired {
            profile: "rc".into(),
            name: "new".into(),
            subscription: subscription.map(str::to_string),
            ..Desired::default()
        };
        let error = diff(&[entry(want(None))], &[], &kinds, &[]).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        assert!(
            error.message.starts_with("f line 1, column 1: "),
            "{}",
            error.message
        );
        assert!(error.message.contains("subscription"), "{}", error.message);
        let planned = diff(&[entry(want(Some("7")))], &[], &kinds, &[]).unwrap();
        assert_eq!(planned[0].action, Verb::Create);
    }
}
