//! The tables of the fleet-health records: usage (`db stats`, `db list --usage`) and findings.
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::record::{Color, Column, Give, Record, SortValue};
use super::records::{database_columns, database_fields, opt, size};
use crate::model::{Database, Finding, Usage};

/// A `db list --usage` row: the database, and its usage figures after its own fields. One
/// record from provider to renderer: the row holds the [`Usage`] itself, and only the
/// database's identity (which both carry) is said once.
#[derive(Debug)]
pub struct DatabaseUsage {
    pub database: Database,
    pub usage: Usage,
}

impl DatabaseUsage {
    /// The row; a database whose usage could not be read has null figures.
    pub fn new(database: Database, usage: Option<Usage>) -> Self {
        let usage = usage.unwrap_or_else(|| Usage::of(&database));
        DatabaseUsage { database, usage }
    }
}

impl AsRef<Database> for DatabaseUsage {
    fn as_ref(&self) -> &Database {
        &self.database
    }
}

impl AsRef<Usage> for DatabaseUsage {
    fn as_ref(&self) -> &Usage {
        &self.usage
    }
}

impl AsRef<Usage> for Usage {
    fn as_ref(&self) -> &Usage {
        self
    }
}

/// The database's fields, then the usage fields it does not have (`database_id` is its
/// `id`); a figure the database lacks (a limit only `INFO` knew) comes from the usage.
impl Serialize for DatabaseUsage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let database = object::<S::Error>(&self.database)?;
        let usage = object::<S::Error>(&self.usage)?;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in &database {
            match usage.get(key) {
                Some(figure) if value.is_null() => map.serialize_entry(key, figure)?,
                _ => map.serialize_entry(key, value)?,
            }
        }
        for (key, value) in &usage {
            if key != "database_id" && !database.contains_key(key) {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// A record's JSON object.
fn object<E: serde::ser::Error>(record: &impl Serialize) -> Result<Map<String, Value>, E> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(E::custom("a record is not an object")),
        Err(e) => Err(E::custom(e)),
    }
}

/// USED, LIMIT, USED%, OPS/S, CONN, RU/S: the figures of any row that holds a [`Usage`].
fn figure_columns<T: AsRef<Usage>>() -> Vec<Column<T>> {
    let column = Column::<T>::new;
    fn usage<T: AsRef<Usage>>(row: &T) -> &Usage {
        row.as_ref()
    }
    vec![
        column("USED", |r| size(usage(r).memory_used_bytes))
            .sorts(|r| SortValue::number(usage(r).memory_used_bytes.map(|b| b as f64)))
            .gives(5, Give::Hide),
        column("LIMIT", |r| size(usage(r).memory_limit_bytes))
            .sorts(|r| SortValue::number(usage(r).memory_limit_bytes.map(|b| b as f64)))
            .gives(4, Give::Hide),
        column("USED%", |r| {
            usage(r)
                .memory_used_ratio
                .map(|ratio| format!("{:.1}%", ratio * 100.0))
                .unwrap_or_default()
        })
        .sorts(|r| SortValue::number(usage(r).memory_used_ratio))
        .gives(7, Give::Hide),
        column("OPS/S", |r| {
            usage(r)
                .ops_per_sec
                .map(|ops| format!("{ops:.1}").trim_end_matches(".0").to_string())
                .unwrap_or_default()
        })
        .sorts(|r| SortValue::number(usage(r).ops_per_sec))
        .gives(10, Give::Hide),
        column("CONN", |r| opt(&usage(r).connections))
            .sorts(|r| SortValue::number(usage(r).connections.map(|c| c as f64)))
            .gives(8, Give::Hide),
        column("RU/S", |r| {
            let usage = usage(r);
            match (usage.throughput_ru, usage.throughput_max_ru) {
                (Some(ru), Some(max)) => format!("{ru} (max {max})"),
                (None, Some(max)) => format!("max {max}"),
                (ru, None) => opt(&ru),
            }
        })
        .sorts(|r| {
            let usage = usage(r);
            SortValue::number(
                usage
                    .throughput_ru
                    .or(usage.throughput_max_ru)
                    .map(|n| n as f64),
            )
        })
        .gives(6, Give::Wrap(8)),
    ]
}

impl Record for DatabaseUsage {
    const FIELDS: &'static [&'static str] = database_fields!(
        "memory_used_bytes",
        "memory_used_ratio",
        "ops_per_sec",
        "connections",
        "throughput_ru",
        "throughput_max_ru",
        "storage_bytes",
        "sampled_at"
    );
    const NOUN: &'static str = "databases";
    /// The database's columns but MEMORY (LIMIT says it), then the figures; the provider and
    /// the status give way before the figures this list is for.
    fn columns() -> Vec<Column<Self>> {
        let mut columns: Vec<Column<Self>> = database_columns()
            .into_iter()
            .filter(|c| c.header != "MEMORY")
            .map(|c| match c.header {
                "PROVIDER" => c.gives(4, Give::Shorten(8)),
                "STATUS" => c.gives(7, Give::Hide),
                _ => c,
            })
            .collect();
        columns.extend(figure_columns());
        columns
    }
}

impl Record for Usage {
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "name",
        "memory_used_bytes",
        "memory_limit_bytes",
        "memory_used_ratio",
        "ops_per_sec",
        "connections",
        "throughput_ru",
        "throughput_max_ru",
        "storage_bytes",
        "sampled_at",
    ];
    const NOUN: &'static str = "databases";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        let mut columns = vec![
            column("PROVIDER", |u| u.provider.to_string()).gives(3, Give::Shorten(8)),
            column("PROFILE", |u| u.profile.clone()).gives(1, Give::Repeats("PROVIDER")),
            column("ID", |u| u.database_id.clone()),
            column("NAME", |u| u.name.clone()),
        ];
        columns.extend(figure_columns());
        columns.push(column("SAMPLED", |u| opt(&u.sampled_at)).gives(2, Give::Hide));
        columns
    }
}

impl Record for Finding {
    const FIELDS: &'static [&'static str] = &[
        "rule",
        "severity",
        "provider",
        "profile",
        "database_id",
        "name",
        "message",
    ];
    const NOUN: &'static str = "findings";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("RULE", |f| f.rule.clone()).gives(3, Give::Hide),
            column("SEVERITY", |f| f.severity.to_string())
                .sorts(|f| SortValue::Number(f64::from(f.severity as u8)))
                .colored(|f| Color::of_status(&f.severity.to_string())),
            column("PROVIDER", |f| f.provider.to_string()).gives(2, Give::Shorten(8)),
            column("PROFILE", |f| f.profile.clone()).gives(1, Give::Repeats("PROVIDER")),
            column("ID", |f| f.database_id.clone()),
            column("NAME", |f| f.name.clone()),
            column("MESSAGE", |f| f.message.clone()).gives(4, Give::Wrap(24)),
        ]
    }
}
