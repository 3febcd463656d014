//! The `Provider` trait every provider implements, the requests commands pass to it, and the
//! registry that builds a provider from a profile.
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::config::Profile;
use crate::context::HttpSettings;
use crate::error::{Error, Result};
pub use crate::model::Throughput;
use crate::model::Usage;
use crate::model::{Backup, Connection, Database, ProviderKind, Provisioning, Task};
use crate::secret::redact_value;
use registry::Registered;

mod account;
pub mod cosmos;
pub mod dry_run;
mod fields;
pub mod id;
pub mod lenient;
mod operation;
pub mod redis_cloud;
pub mod redis_enterprise;
pub mod registry;
mod spec;
pub mod upstash;
pub mod usage;

pub use account::AccountId;
pub use fields::{Fields, Managed, Settable};
pub use operation::Operation;
pub use spec::ProviderSpec;

/// A database to create. `db create` fills the settings from `--set key=value` (each value
/// read by [`setting_value`]); `apply` from the spec's typed fields.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub name: String,
    pub memory_bytes: Option<u64>,
    pub region: Option<String>,
    pub subscription: Option<String>,
    /// TLS on or off, where the provider takes it at create (`Fields::tls`).
    pub tls: Option<bool>,
    /// Provisioned throughput, where the provider has it (`Fields::throughput`).
    pub throughput: Option<Throughput>,
    /// Provider settings under the provider's own keys.
    pub settings: Vec<(String, Value)>,
    pub dry_run: bool,
}

/// A change to a database; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub name: Option<String>,
    pub memory_bytes: Option<u64>,
    /// TLS on or off, where the provider changes it in place (`Fields::tls`).
    pub tls: Option<bool>,
    /// Provider settings under the provider's own keys.
    pub settings: Vec<(String, Value)>,
    /// New provisioned throughput (providers that list `Operation::Throughput`).
    pub throughput: Option<Throughput>,
    pub dry_run: bool,
}

/// What `backup create` answered: the backup as the provider lists it (its id is what
/// `backup restore` takes), or, where the API keeps no backup records (Redis Cloud), the task
/// that takes it.
#[derive(Debug, Clone)]
pub enum BackupTaken {
    Backup(Backup),
    Task(Task),
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub source_type: String,
    pub uris: Vec<String>,
}

/// What a change answered.
// One per command and moved, never stored in bulk: boxing the database would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Change {
    /// The changed (or created) database as it is now.
    Database(Database),
    /// An asynchronous operation to follow with `task get/wait`.
    Task(Task),
    /// Accepted with nothing to show but a message.
    Accepted(String),
    /// Deleted there and then (the message says what).
    Deleted(String),
    /// `--dry-run`: what would be sent, or what the provider said it would accept, in the
    /// one shape [`dry_run`] builds.
    DryRun(Value),
}

/// The one way to a database's connection details: the host must be a DNS name or an IP
/// address (else there is no usable endpoint, whatever the provider sent), and the password
/// joins the credentials scrubbed from every line dbctl writes.
pub async fn connection(provider: &dyn Provider, id: &str) -> Result<Connection> {
    let connection = provider.connection(id).await?;
    checked(provider, id, connection)
}

/// [`connection`] of a database already read: from its record where that says how to reach
/// it (Redis Cloud lists carry endpoints and passwords), saving a read per database.
pub async fn connection_of(provider: &dyn Provider, db: &Database) -> Result<Connection> {
    match &db.facts.connection {
        Some(known) => checked(provider, &db.id, known.clone()),
        None => connection(provider, &db.id).await,
    }
}

fn checked(provider: &dyn Provider, id: &str, mut connection: Connection) -> Result<Connection> {
    if let Some(secret) = connection.secret() {
        crate::credentials::register(secret.expose());
    }
    let host = crate::sanitize::host(connection.host()).ok_or_else(|| {
        Error::provider_error(format!(
            "{} database {id} has no usable endpoint: the host it sent is not a DNS name or IP address",
            provider.kind()
        ))
        .with_origin(provider.kind(), provider.profile())
    })?;
    *connection.host_mut() = host;
    if let Connection::Redis(redis) = &mut connection {
        // Active-Active: every region passes the same checks; one with no usable host is
        // left out (the first region is the one checked above).
        redis.regions.retain_mut(|region| {
            let region = &mut region.connection;
            if let Some(secret) = &region.password {
                crate::credentials::register(secret.expose());
            }
            crate::sanitize::host(&region.host)
                .map(|host| region.host = host)
                .is_some()
        });
    }
    Ok(connection)
}

/// Per-run settings a provider needs besides its profile.
#[derive(Clone)]
pub struct Shared {
    pub http: Arc<HttpSettings>,
    /// Attach the provider's own record (redacted) as `raw`.
    pub raw: bool,
    pub show_secrets: bool,
}

impl Shared {
    /// The provider record for `--raw`: `None` unless asked, secrets masked unless shown.
    pub fn raw_record(&self, record: &Value) -> Option<Value> {
        self.raw.then(|| {
            let mut record = record.clone();
            if !self.show_secrets {
                redact_value(&mut record);
            }
            record
        })
    }
}

#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    /// Its profile's name.
    fn profile(&self) -> &str;
    /// The profile it was built from (its TLS settings serve the data plane too).
    fn source(&self) -> &Profile;

    /// Refuses (exit 6) an id this provider's databases cannot have, before any request:
    /// [`id::check_common`] plus the provider's own form. Every method taking a database id
    /// checks it too; commands ask first, so a malformed id is refused before a prompt.
    fn check_id(&self, id: &str) -> Result<()>;

    async fn list(&self) -> Result<Vec<Database>>;
    async fn get(&self, id: &str) -> Result<Database>;
    async fn create(&self, request: &CreateRequest) -> Result<Change>;
    async fn update(&self, id: &str, request: &UpdateRequest) -> Result<Change>;
    async fn delete(&self, id: &str) -> Result<Change>;
    /// Connection details with the password, for `db url` and `db connect`.
    async fn connection(&self, id: &str) -> Result<Connection>;

    async fn flush(&self, _id: &str) -> Result<Change> {
        Err(self.unsupported(Operation::Flush))
    }
    async fn reset_password(&self, _id: &str) -> Result<Change> {
        Err(self.unsupported(Operation::ResetPassword))
    }
    /// Whether `reset_password` renews the password clients connect with (the one `db url`
    /// prints); otherwise it renews another (Redis Enterprise: the database's admin password).
    fn reset_renews_connection_password(&self) -> bool {
        true
    }
    async fn import(&self, _id: &str, _request: &ImportRequest) -> Result<Change> {
        Err(self.unsupported(Operation::Import))
    }
    async fn backups(&self, _id: &str) -> Result<Vec<Backup>> {
        Err(self.unsupported(Operation::BackupList))
    }
    async fn create_backup(&self, _id: &str, _name: Option<&str>) -> Result<BackupTaken> {
        Err(self.unsupported(Operation::BackupCreate))
    }
    async fn restore_backup(&self, _id: &str, _backup_id: &str) -> Result<Change> {
        Err(self.unsupported(Operation::BackupRestore))
    }
    async fn task(&self, _id: &str) -> Result<Task> {
        Err(self.unsupported(Operation::Tasks))
    }
    /// The account's tasks, as the provider lists them.
    async fn tasks(&self) -> Result<Vec<Task>> {
        Err(self.unsupported(Operation::Tasks))
    }
    /// Container names of a database (Cosmos).
    async fn collections(&self, _id: &str) -> Result<Vec<String>> {
        Err(self.unsupported(Operation::Collections))
    }
    /// Usage figures of databases this provider listed or got, in their order: an error of
    /// its own for a database whose figures cannot be read, or one error for all when the
    /// figures the provider shares across databases cannot.
    async fn usages(&self, _databases: &[Database]) -> Result<Vec<Result<Usage>>> {
        Err(self.unsupported(Operation::Usage))
    }
    /// Reads each database's own provisioned throughput into `facts.throughput` (one read
    /// for all), and says how the account provisions it: a serverless account has none.
    async fn throughput(&self, _databases: &mut [Database]) -> Result<Provisioning> {
        Err(self.unsupported(Operation::Throughput))
    }
    /// An authenticated raw call for `dbctl api`.
    async fn raw_call(&self, call: crate::http::Call) -> Result<crate::http::Reply>;

    /// The one "not supported" error (exit 6), with the provider's hint where it has one.
    fn unsupported(&self, operation: Operation) -> Error {
        let kind = self.kind();
        let error = Error::unsupported(kind, operation.command()).with_origin(kind, self.profile());
        match (kind.spec().unsupported_hint)(operation) {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }

    /// Refuses an operation the registry does not list for this provider.
    fn require(&self, operation: Operation) -> Result<()> {
        if self.kind().supports(operation) {
            Ok(())
        } else {
            Err(self.unsupported(operation))
        }
    }
}

/// For providers with nothing to add to "not supported".
pub fn no_hint(_: Operation) -> Option<&'static str> {
    None
}

/// The settings a record reports, for `Facts::settings`: those it says, under their keys.
pub fn reported<const N: usize>(
    settings: [(&'static str, Option<Value>); N],
) -> std::collections::BTreeMap<&'static str, Value> {
    settings
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect()
}

/// A setting's value as text: a string as it is, anything else as JSON (`2`, `true`).
pub fn setting_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Reads a `--set` value: `true`/`false`, integers and decimals become JSON numbers/booleans.
pub fn setting_value(text: &str) -> Value {
    let trimmed = text.trim();
    match trimmed {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(n) = trimmed.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(f) = trimmed.parse::<f64>() {
        if f.is_finite() && trimmed.contains('.') {
            return Value::from(f);
        }
    }
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<Value>(trimmed).is_ok()
    {
        return serde_json::from_str(trimmed).unwrap_or(Value::Null);
    }
    Value::String(text.to_string())
}

/// Percent-encodes one path segment (ids may hold spaces, slashes or unicode).
pub fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%5F", "_")
        .replace("%2E", ".")
}

/// The answer as a JSON array, or a provider error (exit 8) saying what came instead.
pub fn expect_array(value: Value, provider: ProviderKind, what: &str) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(shape_error(provider, what, "a list", &other)),
    }
}

/// The answer as a JSON object, or a provider error (exit 8).
pub fn expect_object(value: Value, provider: ProviderKind, what: &str) -> Result<Value> {
    match value {
        Value::Object(_) => Ok(value),
        other => Err(shape_error(provider, what, "an object", &other)),
    }
}

fn shape_error(provider: ProviderKind, what: &str, expected: &str, got: &Value) -> Error {
    let kind = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    Error::provider_error(format!(
        "{provider} sent {kind} where {what} should be {expected}"
    ))
    .with_provider(provider)
}

/// Strategies for property tests of every provider's wire → model conversion.
#[cfg(test)]
pub mod testing {
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any JSON value, nested a few levels.
    pub fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// An object whose keys are the provider's own field names, each with any JSON value.
    pub fn arbitrary_record(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
        prop::collection::vec(
            (prop::sample::select(fields), arbitrary_json()),
            0..fields.len() + 1,
        )
        .prop_map(|pairs| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
    }

    /// `Shared` settings as a plain run has them: no `--raw`.
    pub fn plain_shared() -> super::Shared {
        super::Shared {
            raw: false,
            ..test_shared()
        }
    }

    /// What every database a converter makes must be, whatever the provider sent: the
    /// provider's and the profile's, an endpoint only where it is a host as it stands (every
    /// region's too), a creation time only in RFC 3339 UTC, and a `--raw` record in which no
    /// secret-named field holds anything but the mask.
    pub fn well_formed(
        db: &crate::model::Database,
        kind: crate::model::ProviderKind,
        profile: &str,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(db.provider, kind);
        prop_assert_eq!(db.profile.as_str(), profile);
        let regions = db.regions.iter().flatten().map(|r| &r.endpoint);
        for endpoint in std::iter::once(&db.endpoint).chain(regions).flatten() {
            prop_assert_eq!(crate::sanitize::host(endpoint), Some(endpoint.clone()));
        }
        if let Some(created) = &db.created_at {
            prop_assert!(
                created.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(created).is_ok(),
                "created_at {:?}",
                created
            );
        }
        if let Some(raw) = &db.raw {
            prop_assert!(masked(raw), "a secret in --raw: {}", raw);
        }
        Ok(())
    }

    /// No secret-named field of `value`, at any depth, holds anything but null or the mask.
    fn masked(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.iter().all(|(key, field)| {
                if crate::secret::is_secret_key(key) {
                    field.is_null() || field == "***"
                } else {
                    masked(field)
                }
            }),
            Value::Array(items) => items.iter().all(masked),
            _ => true,
        }
    }

    /// What a record a converter cannot read must give: a provider error (exit 8) whose
    /// message starts with the provider's name (the output layer escapes what it quotes).
    pub fn refused(
        error: &crate::error::Error,
        kind: crate::model::ProviderKind,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(error.kind, crate::error::ErrorKind::Provider);
        prop_assert!(error.message.starts_with(kind.name()), "{}", error.message);
        Ok(())
    }

    /// A usage a converter makes: the database's own, and a memory ratio that is a number
    /// from 0 up.
    pub fn well_formed_usage(
        usage: &crate::model::Usage,
        db: &crate::model::Database,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!((&usage.database_id, usage.provider), (&db.id, db.provider));
        if let Some(ratio) = usage.memory_used_ratio {
            prop_assert!(ratio.is_finite() && ratio >= 0.0, "ratio {}", ratio);
        }
        Ok(())
    }

    /// `Shared` settings with `--raw` on, so the raw path is exercised too.
    pub fn test_shared() -> super::Shared {
        super::Shared {
            http: std::sync::Arc::new(crate::context::HttpSettings::new(
                &crate::context::Requests {
                    timeout: std::time::Duration::from_secs(1),
                    attempts: 1,
                    ..Default::default()
                },
            )),
            raw: true,
            show_secrets: false,
        }
    }
}
