//! Redis Cloud through its REST API v1 (`x-api-key` + `x-api-secret-key`).
//!
//! Databases live in subscriptions of two families: Pro (`/subscriptions/{s}/databases/{d}`)
//! and Essentials (`/fixed/subscriptions/{s}/databases/{d}`). dbctl's id is `"{s}/{d}"` for
//! both. Subscription ids are unique across the two families, so a single-database command
//! tries the Pro path first and, on a 404, the Essentials path; the family found is remembered
//! for the rest of the run (a `--wait` then polls the right path straight away).
//! Writes answer `202 {taskId}`; `task()` follows them.
mod client;
mod convert;
mod wire;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use futures::future::try_join_all;
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::config::{EnvVar, Profile};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Call, Reply};
use crate::model::Connection;
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{Database, Task};
use crate::paging::ListBounds;
use crate::provider::dry_run;
use crate::provider::id;
use crate::provider::ProviderSpec;
use crate::provider::{
    path_segment, setting_value, Change, CreateRequest, ImportRequest, Provider, Shared,
    UpdateRequest,
};
use crate::provider::{Fields, Operation, Settable};

/// What this provider declares about itself (collected in `provider::registry`).
pub const SPEC: ProviderSpec = ProviderSpec {
    env: ENV,
    build: |profile, shared| Ok(Box::new(RedisCloud::new(profile, shared)?)),
    operations: &[
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Url,
        Operation::Connect,
        Operation::Import,
        Operation::BackupCreate,
        Operation::Tasks,
        Operation::Usage,
    ],
    // The account's documented limit (over it: 429).
    requests_per_minute: 400,
    usage_from_info: true,
    unsupported_hint,
    fields: Fields {
        region: Settable::Never,
        memory: Settable::InPlace,
        tls: Settable::InPlace,
        throughput: Settable::Never,
        tls_setting: Some(|on| ("enableTls", if on { "true" } else { "false" })),
        throughput_setting: None,
        settings: &["replication", "dataPersistence"],
        subscription: true,
    },
};

/// Variables of the implicit `redis-cloud` profile (`REDIS_CLOUD_API_SECRET` is the older name).
pub const ENV: &[EnvVar] = &[
    EnvVar {
        var: "REDIS_CLOUD_API_KEY",
        field: "api_key",
        activates: true,
    },
    EnvVar {
        var: "REDIS_CLOUD_SECRET_KEY",
        field: "secret_key",
        activates: true,
    },
    EnvVar {
        var: "REDIS_CLOUD_API_SECRET",
        field: "secret_key",
        activates: true,
    },
    EnvVar {
        var: "REDIS_CLOUD_API_URL",
        field: "url",
        activates: false,
    },
];

/// Backups are files in the database's backup storage, with no history in the API.
fn unsupported_hint(operation: Operation) -> Option<&'static str> {
    matches!(operation, Operation::BackupList | Operation::BackupRestore).then_some(
        "Redis Cloud keeps no backup history through its API; backups are files written to the database's backup storage (remoteBackup), restored with `dbctl db import`; `dbctl backup create ID` starts a backup now and answers a task",
    )
}

pub const DEFAULT_URL: &str = "https://api.redislabs.com/v1";

/// Subscriptions whose pages are fetched at once. Redis Cloud's quota counts requests per
/// minute, not connections, so this bounds sockets, not cost; 24 lets an account of 20
/// subscriptions list in three round trips (subscriptions, first page, second page).
const CONCURRENT_SUBSCRIPTIONS: usize = 24;

/// `db import --source-type` values Redis Cloud documents.
const SOURCE_TYPES: &[&str] = &[
    "http",
    "redis",
    "ftp",
    "aws-s3",
    "azure-blob-storage",
    "google-blob-storage",
];

/// The subscription family a database lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pro,
    Essentials,
}

impl Kind {
    fn root(self) -> &'static str {
        match self {
            Kind::Pro => "/subscriptions",
            Kind::Essentials => "/fixed/subscriptions",
        }
    }
    fn subscription(self, id: &str) -> String {
        format!("{}/{}", self.root(), path_segment(id))
    }
    fn database(self, subscription: &str, database: &str) -> String {
        format!(
            "{}/databases/{}",
            self.subscription(subscription),
            path_segment(database)
        )
    }
    /// The `plan` word of the model.
    fn plan(self) -> &'static str {
        match self {
            Kind::Pro => "pro",
            Kind::Essentials => "essentials",
        }
    }
}

/// What a valid id looks like, for refusals.
const ID_FORM: &str = "redis-cloud database ids are SUBSCRIPTION/DATABASE, both numbers, e.g. 2145833/13008822, as `dbctl db list -p redis-cloud` prints them";

/// `"{subscription}/{database}"`, both numeric (blanks around it aside); anything else is
/// refused (exit 6) before a request.
fn parse_id(id: &str) -> Result<(&str, &str)> {
    let kind = ProviderKind::RedisCloud;
    id::check_common(kind, id, ID_FORM)?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match id.trim().split_once('/') {
        Some((sub, db)) if numeric(sub) && numeric(db) => Ok((sub, db)),
        // A bare database id is ambiguous: the same number can exist in several subscriptions.
        None if numeric(id.trim()) => Err(id::malformed(
            kind,
            id,
            "it has no subscription (a database number alone can exist in several)",
            ID_FORM,
        )),
        _ => Err(id::malformed(
            kind,
            id,
            "it is not two numbers joined by '/'",
            ID_FORM,
        )),
    }
}

pub struct RedisCloud {
    client: client::Client,
    shared: Shared,
    /// The profile it was built from.
    profile: Profile,
    /// Subscription id → its family, learnt during this run.
    kinds: Mutex<HashMap<String, Kind>>,
    /// Task id → the subscription it was started for, to name a created database.
    tasks: Mutex<HashMap<String, String>>,
}

impl RedisCloud {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        Ok(RedisCloud {
            client: client::Client::new(profile, shared)?,
            shared: shared.clone(),
            profile: profile.clone(),
            kinds: Mutex::new(HashMap::new()),
            tasks: Mutex::new(HashMap::new()),
        })
    }

    fn known_kind(&self, subscription: &str) -> Option<Kind> {
        self.kinds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(subscription)
            .copied()
    }

    fn learn(&self, subscription: &str, kind: Kind) {
        self.kinds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(subscription.to_string(), kind);
    }

    /// Runs `op` against the subscription's family: the one known, else Pro and, on a 404,
    /// Essentials. Both 404 → one not-found error naming the id format.
    async fn either<T, F, Fut>(&self, subscription: &str, what: &str, op: F) -> Result<(Kind, T)>
    where
        F: Fn(Kind) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        if let Some(kind) = self.known_kind(subscription) {
            return op(kind).await.map(|v| (kind, v));
        }
        let pro = match op(Kind::Pro).await {
            Ok(value) => {
                self.learn(subscription, Kind::Pro);
                return Ok((Kind::Pro, value));
            }
            Err(e) if e.kind == ErrorKind::NotFound => e,
            Err(e) => return Err(e),
        };
        match op(Kind::Essentials).await {
            Ok(value) => {
                self.learn(subscription, Kind::Essentials);
                Ok((Kind::Essentials, value))
            }
            Err(e) if e.kind == ErrorKind::NotFound => Err(Error::not_found(
                // Both families said the subscription itself is missing: say that, not "database".
                if what == "subscription"
                    || [&pro.message, &e.message]
                        .iter()
                        .all(|m| m.to_ascii_lowercase().contains("subscription"))
                {
                    format!("redis-cloud has no Pro or Essentials subscription {subscription}")
                } else {
                    format!(
                        "redis-cloud has no {what} in Pro or Essentials subscription {subscription}: {}",
                        pro.message
                    )
                },
            )
            .with_origin(ProviderKind::RedisCloud, &self.profile.name)
            .with_hint("`dbctl db list -p redis-cloud` prints the ids as SUBSCRIPTION/DATABASE")),
            Err(e) => Err(e),
        }
    }

    fn database(&self, record: &Value, kind: Kind, subscription: &str) -> Result<Database> {
        convert::database(
            record,
            &convert::Origin {
                profile: &self.profile.name,
                kind,
                subscription,
                region: None,
            },
            &self.shared,
        )
    }

    /// Every database of every subscription of one family; subscriptions start as soon as
    /// their ids are known, at most `gate` at a time.
    async fn list_kind(&self, kind: Kind, gate: &Semaphore) -> Result<Vec<Database>> {
        let subscriptions: Vec<(String, Option<String>, Option<u64>)> = self
            .client
            .subscriptions(kind)
            .await?
            .iter()
            .filter_map(convert::subscription)
            .collect();
        for (id, _, _) in &subscriptions {
            self.learn(id, kind);
        }
        let bounds = ListBounds::new(ProviderKind::RedisCloud);
        let bounds = &bounds;
        let pages = try_join_all(subscriptions.iter().map(|(id, _, count)| async move {
            let _permit = gate
                .acquire()
                .await
                .map_err(|_| Error::internal("the subscription gate closed"))?;
            self.client.databases(kind, id, *count, bounds).await
        }))
        .await?;
        let mut databases = Vec::new();
        for ((subscription, region, _), records) in subscriptions.iter().zip(pages) {
            let origin = convert::Origin {
                profile: &self.profile.name,
                kind,
                subscription,
                region: region.as_deref(),
            };
            for record in &records {
                if convert::database_id(record).is_none_or(|id| id.is_empty()) {
                    self.shared.http.log(
                        1,
                        format!("skipping a database without an id in subscription {subscription}"),
                    );
                    continue;
                }
                databases.push(convert::database(record, &origin, &self.shared)?);
            }
        }
        Ok(databases)
    }

    /// A write that answers a task; the task is remembered with its subscription.
    fn task_change(&self, subscription: &str, record: Value) -> Change {
        let task = convert::task(&record, "", &self.profile.name, Some(subscription));
        if !task.id.is_empty() {
            self.tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(task.id.clone(), subscription.to_string());
        }
        Change::Task(task)
    }

    fn dry_run(method: &str, path: &str, body: Option<&Value>) -> Change {
        dry_run::change(vec![dry_run::request(method, path, body)], None)
    }
}

/// Sets `a.b.c=value` as nested objects in the body.
fn set_path(body: &mut Map<String, Value>, key: &str, value: Value) -> Result<()> {
    let mut parts = key.split('.').peekable();
    let mut here = body;
    while let Some(part) = parts.next() {
        if part.is_empty() {
            return Err(Error::invalid(format!("--set {key}: empty field name")));
        }
        if parts.peek().is_none() {
            here.insert(part.to_string(), value);
            return Ok(());
        }
        let next = here
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        here = match next {
            Value::Object(map) => map,
            _ => return Err(Error::internal("unreachable: not an object")),
        };
    }
    Ok(())
}

/// `--set` pairs into the body; `protocol` and other words stay strings.
fn apply_settings(body: &mut Map<String, Value>, settings: &[(String, String)]) -> Result<()> {
    for (key, value) in settings {
        set_path(body, key.trim(), setting_value(value))?;
    }
    Ok(())
}

fn size_gib(bytes: u64) -> Result<Value> {
    let gib = convert::gib(bytes);
    if gib <= 0.0 {
        return Err(Error::invalid(format!(
            "--memory {bytes} bytes is too small for redis-cloud, which sizes in GiB"
        )));
    }
    // Whole sizes go as integers (`2`, not `2.0`).
    if gib.fract() == 0.0 && gib < u32::MAX as f64 {
        return Ok(json!(gib as u64));
    }
    Ok(json!(gib))
}

fn essentials_memory() -> Error {
    Error::invalid(
        "redis-cloud Essentials databases take their size from the subscription's plan; drop --memory (or change the plan in the console)",
    )
}

#[async_trait]
impl Provider for RedisCloud {
    fn kind(&self) -> ProviderKind {
        ProviderKind::RedisCloud
    }
    fn profile(&self) -> &str {
        &self.profile.name
    }
    fn source(&self) -> &Profile {
        &self.profile
    }
    fn check_id(&self, id: &str) -> Result<()> {
        parse_id(id).map(drop)
    }
    async fn list(&self) -> Result<Vec<Database>> {
        let gate = Semaphore::new(CONCURRENT_SUBSCRIPTIONS);
        let (pro, essentials) = futures::try_join!(
            self.list_kind(Kind::Pro, &gate),
            self.list_kind(Kind::Essentials, &gate)
        )?;
        Ok(pro.into_iter().chain(essentials).collect())
    }

    async fn get(&self, id: &str) -> Result<Database> {
        let (sub, db) = parse_id(id)?;
        let (kind, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                self.client.database(kind, sub, db)
            })
            .await?;
        let mut database = self.database(&record, kind, sub)?;
        // A record without its databaseId still answers to the id asked for.
        if database.id.ends_with('/') {
            database.id = format!("{sub}/{db}");
        }
        Ok(database)
    }

    async fn create(&self, request: &CreateRequest) -> Result<Change> {
        let sub = request
            .subscription
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::usage("redis-cloud creates a database inside a subscription: give --subscription ID (the first part of the ids `dbctl db list -p redis-cloud` prints)")
            })?;
        if !sub.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::usage(format!(
                "--subscription must be a numeric Redis Cloud subscription id, got {sub:?}"
            )));
        }
        if request.region.is_some() {
            return Err(Error::invalid(
                "redis-cloud databases live in their subscription's region; drop --region and choose the subscription with --subscription",
            ));
        }
        let mut body = Map::new();
        body.insert("name".into(), json!(request.name));
        body.insert("protocol".into(), json!("redis"));
        apply_settings(&mut body, &request.settings)?;
        let memory = request.memory_bytes.map(size_gib).transpose()?;
        let pro_body = |memory: &Option<Value>| {
            let mut body = body.clone();
            if let Some(size) = memory {
                body.insert("datasetSizeInGb".into(), size.clone());
            }
            Value::Object(body)
        };
        if request.dry_run {
            // The subscription must exist (a read); its family decides the path.
            let (kind, _) = self
                .either(sub, "subscription", |kind| {
                    self.client.subscription(kind, sub)
                })
                .await?;
            if kind == Kind::Essentials && memory.is_some() {
                return Err(essentials_memory());
            }
            let path = format!("{}/databases", kind.subscription(sub));
            return Ok(Self::dry_run("POST", &path, Some(&pro_body(&memory))));
        }
        let (_, record) = self
            .either(sub, "subscription", |kind| {
                let body = pro_body(&memory);
                let memory = memory.is_some();
                async move {
                    if kind == Kind::Essentials && memory {
                        // Refuse only once the subscription is known to be Essentials.
                        self.client.subscription(kind, sub).await?;
                        return Err(essentials_memory());
                    }
                    let path = format!("{}/databases", kind.subscription(sub));
                    self.client.write(Call::post(path).json(body)).await
                }
            })
            .await?;
        Ok(self.task_change(sub, record))
    }

    async fn update(&self, id: &str, request: &UpdateRequest) -> Result<Change> {
        let (sub, db) = parse_id(id)?;
        let mut body = Map::new();
        if let Some(name) = &request.name {
            body.insert("name".into(), json!(name));
        }
        apply_settings(&mut body, &request.settings)?;
        let memory = request.memory_bytes.map(size_gib).transpose()?;
        if let Some(size) = &memory {
            body.insert("datasetSizeInGb".into(), size.clone());
        }
        if body.is_empty() {
            return Err(Error::usage(
                "nothing to change: give --memory, --name or --set key=value (sent in the PUT body)",
            ));
        }
        let body = Value::Object(body);
        if request.dry_run {
            let kind = self.known_kind(sub).unwrap_or(Kind::Pro);
            return Ok(Self::dry_run("PUT", &kind.database(sub, db), Some(&body)));
        }
        let (_, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                let body = body.clone();
                let memory = memory.is_some();
                async move {
                    if kind == Kind::Essentials && memory {
                        // Refuse only once the database is known to be Essentials.
                        self.client.database(kind, sub, db).await?;
                        return Err(essentials_memory());
                    }
                    self.client
                        .write(Call::put(kind.database(sub, db)).json(body))
                        .await
                }
            })
            .await?;
        Ok(self.task_change(sub, record))
    }

    async fn delete(&self, id: &str) -> Result<Change> {
        let (sub, db) = parse_id(id)?;
        let (_, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                self.client.write(Call::delete(kind.database(sub, db)))
            })
            .await?;
        Ok(self.task_change(sub, record))
    }

    async fn connection(&self, id: &str) -> Result<Connection> {
        let (sub, db) = parse_id(id)?;
        let (_, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                self.client.database(kind, sub, db)
            })
            .await?;
        convert::connection(&record, id)
    }

    async fn import(&self, id: &str, request: &ImportRequest) -> Result<Change> {
        let (sub, db) = parse_id(id)?;
        let source = request.source_type.trim().to_ascii_lowercase();
        if !SOURCE_TYPES.contains(&source.as_str()) {
            return Err(Error::invalid(format!(
                "redis-cloud cannot import from --source-type {:?}; accepted: {}",
                request.source_type,
                SOURCE_TYPES.join(", ")
            )));
        }
        if request.uris.is_empty() {
            return Err(Error::usage("give at least one --uri to import from"));
        }
        let body = json!({"sourceType": source, "importFromUri": request.uris});
        let (_, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                let call =
                    Call::post(format!("{}/import", kind.database(sub, db))).json(body.clone());
                self.client.write(call)
            })
            .await?;
        Ok(self.task_change(sub, record))
    }

    async fn create_backup(&self, id: &str, name: Option<&str>) -> Result<Change> {
        let (sub, db) = parse_id(id)?;
        if name.is_some() {
            return Err(Error::invalid(
                "redis-cloud backups carry no name; drop --name",
            ));
        }
        let (_, record) = self
            .either(sub, &format!("database {db}"), |kind| {
                self.client
                    .write(Call::post(format!("{}/backup", kind.database(sub, db))))
            })
            .await?;
        Ok(self.task_change(sub, record))
    }

    async fn task(&self, id: &str) -> Result<Task> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Error::usage("a task id is required"));
        }
        let record = self.client.task(id).await?;
        let subscription = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        Ok(convert::task(
            &record,
            id,
            &self.profile.name,
            subscription.as_deref(),
        ))
    }

    /// The record's `memoryUsedInMb`, no request. This is the seam where `INFO memory|stats|
    /// clients` over the data plane refines the figures (exact memory, ops/sec, connections),
    /// keeping this as the fallback when the data plane cannot be reached.
    async fn usages(&self, databases: &[Database]) -> Result<Vec<Result<Usage>>> {
        Ok(databases.iter().map(|db| Ok(convert::usage(db))).collect())
    }

    async fn raw_call(&self, call: Call) -> Result<Reply> {
        self.client.send(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_subscription_slash_database() {
        assert_eq!(parse_id("12/34").unwrap(), ("12", "34"));
        for bad in ["34", "12/", "/34", "a/b", "12/34/5", "", " ", "12/3\u{1b}4"] {
            let e = parse_id(bad).unwrap_err();
            assert_eq!(e.exit_code(), 6, "{bad}");
            assert!(e.message.contains("SUBSCRIPTION/DATABASE"));
        }
    }

    #[test]
    fn dotted_settings_nest() {
        let mut body = Map::new();
        apply_settings(
            &mut body,
            &[
                ("replication".into(), "true".into()),
                (
                    "throughputMeasurement.by".into(),
                    "operations-per-second".into(),
                ),
                ("throughputMeasurement.value".into(), "25000".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"replication": true, "throughputMeasurement": {"by": "operations-per-second", "value": 25000}})
        );
    }
}
