//! Each tool's arguments: a JSON Schema (derived, the value lists from the CLI's own enums)
//! and the CLI arguments they stand for, checked as clap checks them.
use std::collections::BTreeMap;

use clap::ValueEnum;
use rmcp::model::JsonObject;
use rmcp::schemars::{self, json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::{CheckArgs, FleetArgs, ListArgs, Profiles as Target};
use crate::error::{Error, Result};
use crate::model::{ProviderKind, Rule, Severity, Status};

/// The longest a `wait` call waits: a tool call never holds the agent for minutes.
pub const MAX_WAIT_SECS: f64 = 120.0;
/// The shortest a `wait` call waits (one poll).
const MIN_WAIT_SECS: f64 = 0.1;

/// A tool's arguments, parsed: a name its schema does not list is refused (a misspelt filter
/// must not widen what a tool reads or changes), and so is a value of the wrong type, each as
/// a usage error (exit 2) as clap refuses them.
pub fn parse<T: DeserializeOwned + JsonSchema + 'static>(arguments: JsonObject) -> Result<T> {
    let schema = rmcp::handler::server::tool::schema_for_type::<T>();
    let known = schema.get("properties").and_then(Value::as_object);
    for key in arguments.keys() {
        if !known.is_some_and(|known| known.contains_key(key)) {
            let names: Vec<&str> = known
                .map(|known| known.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(Error::usage(format!(
                "unknown argument {key:?}; this tool takes {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    serde_json::from_value(Value::Object(arguments))
        .map_err(|e| Error::usage(format!("invalid arguments: {e}")))
}

/// The names a CLI enum takes, as clap lists them.
fn names<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|v| v.get_name().to_string())
        .collect()
}

/// The schema of one of a CLI enum's names, or none.
fn one_of<T: ValueEnum>(_: &mut SchemaGenerator) -> Schema {
    let mut names: Vec<Value> = names::<T>().into_iter().map(Value::from).collect();
    names.push(Value::Null);
    json_schema!({"type": ["string", "null"], "enum": names})
}

/// The schema of a list of a CLI enum's names.
fn list_of<T: ValueEnum>(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array", "items": {"type": "string", "enum": names::<T>()}})
}

/// A CLI enum's value from its name (exit 2 naming the field and the accepted names).
fn choice<T: ValueEnum>(field: &str, text: &str) -> Result<T> {
    T::from_str(text, false).map_err(|_| {
        Error::usage(format!(
            "{field}: {text:?} is not one of {}",
            names::<T>().join(", ")
        ))
    })
}

/// Each of a list's names as a CLI enum's value.
fn parse_all<T: ValueEnum>(field: &str, texts: &[String]) -> Result<Vec<T>> {
    texts.iter().map(|text| choice(field, text)).collect()
}

/// Which profiles, as `-p/--provider` and `--profile` select them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Profiles {
    /// Only these providers (default: every configured one).
    #[serde(default)]
    #[schemars(schema_with = "list_of::<ProviderKind>")]
    pub provider: Vec<String>,
    /// Only these profiles (the `providers` tool lists them).
    #[serde(default)]
    pub profile: Vec<String>,
}

impl Profiles {
    pub fn fleet(&self) -> Result<FleetArgs> {
        Ok(FleetArgs {
            providers: parse_all("provider", &self.provider)?,
            profiles: self.profile.clone(),
        })
    }

    /// The one profile a tool on one database talks to: at most one of each.
    pub fn target(&self) -> Result<Target> {
        if self.provider.len() > 1 || self.profile.len() > 1 {
            return Err(Error::usage(
                "with a database id, give at most one provider and one profile",
            ));
        }
        target(
            self.provider.first().map(String::as_str),
            self.profile.first().map(String::as_str),
        )
    }
}

/// The filters of `db list`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Selection {
    #[serde(flatten)]
    pub profiles: Profiles,
    /// Only databases with this normalized status.
    #[serde(default)]
    #[schemars(schema_with = "one_of::<Status>")]
    pub status: Option<String>,
    /// Only names matching this glob (`*`, `?`), case-insensitive.
    #[serde(default)]
    pub name: Option<String>,
    /// Only databases in this region (any of an Active-Active database's regions).
    #[serde(default)]
    pub region: Option<String>,
}

impl Selection {
    pub fn list(&self) -> Result<ListArgs> {
        let fleet = self.profiles.fleet()?;
        Ok(ListArgs {
            select: fleet,
            status: self
                .status
                .as_deref()
                .map(|s| choice("status", s))
                .transpose()?,
            name: self.name.clone(),
            region: self.region.clone(),
            ..ListArgs::default()
        })
    }
}

/// `list_databases`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    #[serde(flatten)]
    pub selection: Selection,
}

/// One database of one profile.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct One {
    /// The database id, as `list_databases` gives it.
    pub id: String,
    /// Its provider (needed when several profiles are configured).
    #[serde(default)]
    #[schemars(schema_with = "one_of::<ProviderKind>")]
    pub provider: Option<String>,
    /// Its profile.
    #[serde(default)]
    pub profile: Option<String>,
}

impl One {
    pub fn target(&self) -> Result<Target> {
        target(self.provider.as_deref(), self.profile.as_deref())
    }
}

/// The profile a tool on one database (or task) talks to, as `-p` and `--profile` name it.
fn target(provider: Option<&str>, profile: Option<&str>) -> Result<Target> {
    Ok(Target {
        providers: provider
            .map(|p| choice("provider", p))
            .transpose()?
            .into_iter()
            .collect(),
        profiles: profile.map(str::to_string).into_iter().collect(),
    })
}

/// `get_database`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetParams {
    #[serde(flatten)]
    pub one: One,
    /// Also list its containers (Cosmos).
    #[serde(default)]
    pub collections: bool,
}

/// `list_backups`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct OneParams {
    #[serde(flatten)]
    pub one: One,
}

/// `usage_stats`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct StatsParams {
    /// One database's id (with at most one provider and profile); without it, every
    /// selected database.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub selection: Selection,
}

/// `ping`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PingParams {
    /// One database's id (with at most one provider and profile); without it, every
    /// selected database.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub selection: Selection,
    /// PING round trips (signed reads for Cosmos) per database, 1 to 10.
    #[serde(default = "three")]
    #[schemars(range(min = 1, max = 10))]
    pub count: u32,
}

fn three() -> u32 {
    3
}

impl PingParams {
    pub fn count(&self) -> Result<u32> {
        match self.count {
            1..=10 => Ok(self.count),
            n => Err(Error::usage(format!("count: {n} is not between 1 and 10"))),
        }
    }
}

/// `check`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckParams {
    #[serde(flatten)]
    pub selection: Selection,
    /// Only these rules (default: every rule but `reachable`, which needs `ping`).
    #[serde(default)]
    #[schemars(schema_with = "list_of::<Rule>")]
    pub rules: Vec<String>,
    /// Memory used ratio that is a warning.
    #[serde(default = "memory_warn")]
    pub memory_warn: f64,
    /// Memory used ratio that is an error.
    #[serde(default = "memory_error")]
    pub memory_error: f64,
    /// Also check that every database answers (the `reachable` rule).
    #[serde(default)]
    pub ping: bool,
}

fn memory_warn() -> f64 {
    0.8
}

fn memory_error() -> f64 {
    0.95
}

impl CheckParams {
    pub fn check(&self) -> Result<CheckArgs> {
        for (field, ratio) in [
            ("memory_warn", self.memory_warn),
            ("memory_error", self.memory_error),
        ] {
            if !(ratio.is_finite() && ratio > 0.0) {
                return Err(Error::usage(format!(
                    "{field}: expected a ratio above 0 such as 0.8, got {ratio}"
                )));
            }
        }
        Ok(CheckArgs {
            list: self.selection.list()?,
            rules: parse_all("rules", &self.rules)?,
            fail_on: Severity::Error,
            memory: crate::cli::MemoryThresholds {
                warn: self.memory_warn,
                error: self.memory_error,
            },
            ping: self.ping,
            format: None,
        })
    }
}

/// A tool without arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

/// `export`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProfilesParams {
    #[serde(flatten)]
    pub profiles: Profiles,
}

/// `plan`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PlanParams {
    /// The spec: TOML as `export` gives it (the `dbctl://spec-format` resource describes it).
    pub spec: String,
    /// Also the profiles whose databases outside the spec are unmanaged.
    #[serde(flatten)]
    pub profiles: Profiles,
}

impl PlanParams {
    /// The spec text, bounded as a spec file is.
    pub fn spec(&self) -> Result<&str> {
        if self.spec.len() as u64 > crate::files::MAX_BYTES {
            return Err(Error::config(format!(
                "the spec is larger than {} MiB",
                crate::files::MAX_BYTES >> 20
            )));
        }
        Ok(&self.spec)
    }
}

/// `wait`: one of `task_id`, `database_id` or `apply_id`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitParams {
    /// A task a write started (its `result.id` when that is a task).
    #[serde(default)]
    pub task_id: Option<String>,
    /// A database to wait for: until it is active, or with `deleted`, gone.
    #[serde(default)]
    pub database_id: Option<String>,
    /// With `database_id`: wait until it is gone instead of active.
    #[serde(default)]
    pub deleted: bool,
    /// An `apply` this server runs.
    #[serde(default)]
    pub apply_id: Option<String>,
    /// The provider of the task or database (needed when several profiles are configured).
    #[serde(default)]
    #[schemars(schema_with = "one_of::<ProviderKind>")]
    pub provider: Option<String>,
    /// Its profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// Seconds to wait, at most 120; on a timeout (exit 11), call `wait` again.
    #[serde(default = "sixty")]
    #[schemars(range(min = MIN_WAIT_SECS, max = MAX_WAIT_SECS))]
    pub timeout_secs: f64,
}

fn sixty() -> f64 {
    60.0
}

/// What `wait` waits for.
pub enum Awaited<'a> {
    Task(&'a str),
    Database { id: &'a str, deleted: bool },
    Apply(&'a str),
}

impl WaitParams {
    pub fn awaited(&self) -> Result<Awaited<'_>> {
        let awaited = match (
            self.task_id.as_deref(),
            self.database_id.as_deref(),
            self.apply_id.as_deref(),
        ) {
            (Some(id), None, None) => Awaited::Task(id),
            (None, Some(id), None) => Awaited::Database {
                id,
                deleted: self.deleted,
            },
            (None, None, Some(id)) => Awaited::Apply(id),
            _ => {
                return Err(Error::usage(
                    "give exactly one of task_id, database_id and apply_id",
                ))
            }
        };
        Ok(awaited)
    }

    pub fn target(&self) -> Result<Target> {
        target(self.provider.as_deref(), self.profile.as_deref())
    }

    pub fn timeout(&self) -> Result<std::time::Duration> {
        let secs = self.timeout_secs;
        if !(MIN_WAIT_SECS..=MAX_WAIT_SECS).contains(&secs) {
            return Err(Error::usage(format!(
                "timeout_secs: {secs} is not between {MIN_WAIT_SECS} and {MAX_WAIT_SECS}; to wait longer, call wait again"
            )));
        }
        Ok(std::time::Duration::from_secs_f64(secs))
    }
}

/// A provider setting's value as `--set key=value` gives it: strings bare, the rest as JSON.
/// Provider settings as the CLI's `--set` gives them: JSON values as they are, and a string
/// read as `--set key=value` reads its value (`"2"` is the number 2).
fn settings(settings: &BTreeMap<String, Value>) -> Vec<(String, Value)> {
    settings
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::String(text) => crate::provider::setting_value(text),
                other => other.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

/// A size as `--memory` takes it.
fn size(text: Option<&str>) -> Result<Option<u64>> {
    text.map(|text| {
        text.parse::<crate::model::ByteSize>()
            .map(|size| size.0)
            .map_err(|e| Error::usage(e.for_flag("memory")))
    })
    .transpose()
}

/// `create_database`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateParams {
    /// Name of the new database.
    pub name: String,
    /// Its provider (needed when several profiles are configured).
    #[serde(default)]
    #[schemars(schema_with = "one_of::<ProviderKind>")]
    pub provider: Option<String>,
    /// Its profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// Memory limit: 256MB, 1.5GB, 2GiB or bytes; MB and GB are 1024-based.
    #[serde(default)]
    pub memory: Option<String>,
    /// Region, as the provider names it (e.g. us-east-1).
    #[serde(default)]
    pub region: Option<String>,
    /// Subscription to create it in (Redis Cloud).
    #[serde(default)]
    pub subscription: Option<String>,
    /// Provider settings, as `--set key=value` takes them (e.g. {"shards_count": 2}).
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    /// Check it (at the provider where it can) without creating anything.
    #[serde(default)]
    pub dry_run: bool,
}

impl CreateParams {
    pub fn target(&self) -> Result<Target> {
        target(self.provider.as_deref(), self.profile.as_deref())
    }

    pub fn request(&self) -> Result<crate::provider::CreateRequest> {
        Ok(crate::provider::CreateRequest {
            name: crate::cli::new_name("name", &self.name)?,
            memory_bytes: size(self.memory.as_deref())?,
            region: self.region.clone(),
            subscription: self.subscription.clone(),
            settings: settings(&self.settings),
            dry_run: self.dry_run,
            ..Default::default()
        })
    }
}

/// `update_database`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateParams {
    #[serde(flatten)]
    pub one: One,
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New memory limit: 256MB, 1.5GB, 2GiB or bytes.
    #[serde(default)]
    pub memory: Option<String>,
    /// Provisioned RU/s, manual (Cosmos: 400 or more, in steps of 100).
    #[serde(default)]
    pub throughput: Option<i64>,
    /// Autoscale maximum RU/s (Cosmos: 1000 or more, in steps of 1000).
    #[serde(default)]
    pub autoscale_max: Option<i64>,
    /// Provider settings to change, as `--set key=value` takes them.
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    /// Check it (at the provider where it can) without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

impl UpdateParams {
    pub fn request(&self) -> Result<crate::provider::UpdateRequest> {
        if self.throughput.is_some() && self.autoscale_max.is_some() {
            return Err(Error::usage(
                "throughput and autoscale_max cannot be given together",
            ));
        }
        Ok(crate::provider::UpdateRequest {
            name: self
                .name
                .as_deref()
                .map(|name| crate::cli::new_name("name", name))
                .transpose()?,
            memory_bytes: size(self.memory.as_deref())?,
            settings: settings(&self.settings),
            throughput: super::super::db::write::throughput_flag(
                self.throughput,
                self.autoscale_max,
            )?,
            dry_run: self.dry_run,
            ..Default::default()
        })
    }
}

/// `create_backup`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BackupParams {
    #[serde(flatten)]
    pub one: One,
    /// Backup name (default: one made from the current time).
    #[serde(default)]
    pub name: Option<String>,
}

/// `apply`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApplyParams {
    #[serde(flatten)]
    pub plan: PlanParams,
    /// Also delete the databases that exist but are not in the spec (needs the server's
    /// --allow-deletes).
    #[serde(default)]
    pub prune: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_update_refuse_names_nobody_can_read_before_any_request() {
        for (name, fault) in [
            ("a\n::error::b", "holds U+000A, which cannot be seen"),
            ("or\u{200b}ders", "holds U+200B, which cannot be seen"),
            ("\u{202e}sredro", "holds U+202E, which cannot be seen"),
            (" ", "is blank"),
            ("", "is blank"),
        ] {
            let create: CreateParams =
                serde_json::from_value(serde_json::json!({"name": name})).unwrap();
            let update: UpdateParams =
                serde_json::from_value(serde_json::json!({"id": "1", "name": name})).unwrap();
            for error in [create.request().unwrap_err(), update.request().unwrap_err()] {
                assert_eq!(error.exit_code(), 6, "{name:?}");
                assert_eq!(error.message, format!("name {name:?} {fault}"));
            }
        }
        let create: CreateParams =
            serde_json::from_value(serde_json::json!({"name": "キャッシュ-tokyo"})).unwrap();
        assert_eq!(create.request().unwrap().name, "キャッシュ-tokyo");
        let update: UpdateParams = serde_json::from_value(serde_json::json!({"id": "1"})).unwrap();
        assert_eq!(update.request().unwrap().name, None);
    }
}
