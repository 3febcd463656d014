//! Redis Enterprise Software through the cluster REST API (`https://HOST:9443`, basic auth,
//! usually a self-signed cluster certificate: see `ca_cert` / `insecure` and src/tls.rs).
mod client;
mod convert;
mod wire;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::config::{EnvVar, Profile};
use crate::error::{Error, Result};
use crate::http::{Call, Reply};
use crate::model::Connection;
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{Database, Task};
use crate::provider::dry_run;
use crate::provider::ProviderSpec;
use crate::provider::{
    setting_text, AccountId, Change, CreateRequest, ImportRequest, Provider, Shared, UpdateRequest,
};
use crate::provider::{Fields, Managed, Operation, Settable};
use client::uid;

/// What this provider declares about itself (collected in `provider::registry`).
pub const SPEC: ProviderSpec = ProviderSpec {
    env: ENV,
    build: |profile, shared| Ok(Box::new(RedisEnterprise::new(profile, shared)?)),
    operations: &[
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Url,
        Operation::Connect,
        Operation::Flush,
        Operation::Import,
        Operation::ResetPassword,
        Operation::Tasks,
        Operation::Usage,
    ],
    // No published limit: no budget unless the profile sets `rate_limit`; 429s are retried.
    requests_per_minute: None,
    usage_from_info: false,
    unsupported_hint: crate::provider::no_hint,
    fields: Fields {
        region: Settable::Never,
        memory: Settable::InPlace,
        tls: Settable::InPlace,
        throughput: Settable::Never,
        settings: SETTINGS,
        subscription: false,
        spellings: &[
            (Managed::Name, "name"),
            (Managed::Memory, "memory_size"),
            (Managed::Tls, TLS_MODE),
            (Managed::Tls, "ssl"),
        ],
    },
    // The cluster and the user: two users of one cluster see the same databases, but a
    // spec that names both is still one cluster under two profiles.
    account: |profile| {
        Ok(AccountId::user(
            KIND,
            &profile.require_string("url")?,
            &profile.require_string("user")?,
        ))
    },
};

/// The bdb fields `export` writes and `plan` compares (`convert` reports them).
const SETTINGS: &[&str] = &[
    "shards_count",
    "replication",
    "eviction_policy",
    "data_persistence",
];

/// The bdb field that turns TLS on or off.
const TLS_MODE: &str = "tls_mode";

pub const ENV: &[EnvVar] = &[
    EnvVar {
        var: "REDIS_ENTERPRISE_URL",
        field: "url",
        activates: true,
    },
    EnvVar {
        var: "REDIS_ENTERPRISE_USER",
        field: "user",
        activates: true,
    },
    EnvVar {
        var: "REDIS_ENTERPRISE_PASSWORD",
        field: "password",
        activates: true,
    },
    EnvVar {
        var: "REDIS_ENTERPRISE_INSECURE",
        field: "insecure",
        activates: false,
    },
    EnvVar {
        var: "REDIS_ENTERPRISE_CA_CERT",
        field: "ca_cert",
        activates: false,
    },
];

const KIND: ProviderKind = ProviderKind::RedisEnterprise;

/// `db import --source-type` values and the `dataset_import_sources` entry each becomes.
const IMPORT_TYPES: &str = "http, https, ftp (a URL the cluster downloads), sftp, mount-point";

pub struct RedisEnterprise {
    client: client::Client,
    shared: Shared,
    /// The profile it was built from.
    profile: Profile,
}

impl RedisEnterprise {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        Ok(RedisEnterprise {
            client: client::Client::new(profile, shared)?,
            shared: shared.clone(),
            profile: profile.clone(),
        })
    }

    fn database(&self, record: &Value) -> Result<Database> {
        convert::database(record, &self.profile.name, &self.shared)
    }

    /// Only the fields the model uses, unless `--raw` wants the whole record.
    fn fields(&self) -> Option<&'static str> {
        (!self.shared.raw).then_some(client::DATABASE_FIELDS)
    }

    /// A value for `--dry-run` and messages: secrets masked unless `--show-secrets`.
    fn shown(&self, value: &Value) -> Value {
        let mut value = value.clone();
        if !self.shared.show_secrets {
            crate::secret::redact_value(&mut value);
        }
        value
    }

    /// A write answered with a bdb: the database; an `action_uid`: the task to follow.
    fn written(&self, answer: &Value, fallback: String) -> Result<Change> {
        if let Some(task) = self.action_of(answer) {
            return Ok(Change::Task(task));
        }
        if answer.get("uid").is_some_and(|u| !u.is_null()) {
            return Ok(Change::Database(self.database(answer)?));
        }
        Ok(Change::Accepted(fallback))
    }

    fn action_of(&self, answer: &Value) -> Option<Task> {
        let action = wire::ActionRef::deserialize(answer).ok()?.action_uid?;
        convert::task(answer, &action, &self.profile.name)
            .ok()
            .map(|mut task| {
                task.id = action;
                task
            })
    }
}

/// Settings into the bdb body; keys are the cluster's own snake_case field names.
fn apply_settings(body: &mut Map<String, Value>, settings: &[(String, Value)]) -> Result<()> {
    for (key, value) in settings {
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(Error::invalid(format!(
                "--set {key}: redis-enterprise settings are the cluster's bdb field names in snake_case, e.g. shards_count=2, replication=true, eviction_policy=allkeys-lru"
            )));
        }
        let value = match key.as_str() {
            // Words that look like numbers stay words where the cluster expects text.
            "name"
            | "eviction_policy"
            | "data_persistence"
            | "aof_policy"
            | TLS_MODE
            | "authentication_redis_pass"
            | "version" => Value::String(setting_text(value)),
            _ => value.clone(),
        };
        body.insert(key.clone(), value);
    }
    Ok(())
}

/// TLS on or off as the cluster takes it.
fn tls_mode(body: &mut Map<String, Value>, tls: Option<bool>) {
    if let Some(on) = tls {
        let mode = if on { "enabled" } else { "disabled" };
        body.insert(TLS_MODE.into(), Value::String(mode.into()));
    }
}

fn import_source(source_type: &str, uri: &str) -> Result<Value> {
    let lower = uri.to_ascii_lowercase();
    match source_type.to_ascii_lowercase().as_str() {
        "http" | "https" | "ftp" | "ftps" | "url" => {
            if !["http://", "https://", "ftp://", "ftps://"]
                .iter()
                .any(|s| lower.starts_with(s))
            {
                return Err(Error::invalid(format!(
                    "--source-type {source_type} wants an http(s):// or ftp(s):// --uri"
                )));
            }
            Ok(json!({"type": "url", "url": uri}))
        }
        "sftp" => {
            if !lower.starts_with("sftp://") {
                return Err(Error::invalid("--source-type sftp wants an sftp:// --uri"));
            }
            Ok(json!({"type": "sftp", "sftp_url": uri}))
        }
        "mount-point" | "mount_point" | "local" => Ok(json!({"type": "mount_point", "path": uri})),
        other => Err(Error::invalid(format!(
            "redis-enterprise cannot import from --source-type {other}; accepted: {IMPORT_TYPES}"
        ))
        .with_provider(KIND)),
    }
}

#[async_trait]
impl Provider for RedisEnterprise {
    fn kind(&self) -> ProviderKind {
        KIND
    }
    fn profile(&self) -> &str {
        &self.profile.name
    }
    fn source(&self) -> &Profile {
        &self.profile
    }
    fn check_id(&self, id: &str) -> Result<()> {
        uid(id).map(drop)
    }
    async fn list(&self) -> Result<Vec<Database>> {
        let records = self.client.list(self.fields()).await?;
        records.iter().map(|r| self.database(r)).collect()
    }

    async fn get(&self, id: &str) -> Result<Database> {
        let record = self.client.get(&uid(id)?, self.fields()).await?;
        self.database(&record)
    }

    async fn create(&self, request: &CreateRequest) -> Result<Change> {
        if request.region.is_some() || request.subscription.is_some() {
            return Err(Error::invalid(
                "redis-enterprise databases live on the cluster: drop --region/--subscription",
            )
            .with_provider(KIND));
        }
        let mut body = Map::new();
        body.insert("name".into(), Value::String(request.name.clone()));
        if let Some(bytes) = request.memory_bytes {
            body.insert("memory_size".into(), json!(bytes));
        }
        tls_mode(&mut body, request.tls);
        apply_settings(&mut body, &request.settings)?;
        let body = Value::Object(body);
        if request.dry_run {
            let answer = self.client.create(body.clone(), true).await?;
            let call = dry_run::request("POST", "/v1/bdbs?dry_run=true", Some(&body));
            return Ok(dry_run::change(vec![call], Some(self.shown(&answer))));
        }
        let answer = self.client.create(body, false).await?;
        self.written(
            &answer,
            format!(
                "redis-enterprise accepted database {:?}; `dbctl db list` shows its uid",
                request.name
            ),
        )
    }

    async fn update(&self, id: &str, request: &UpdateRequest) -> Result<Change> {
        let uid = uid(id)?;
        if request.settings.iter().any(|(k, _)| k == "uid") {
            return Err(Error::invalid(
                "a database's uid cannot change; drop --set uid",
            ));
        }
        let mut body = Map::new();
        if let Some(name) = &request.name {
            body.insert("name".into(), Value::String(name.clone()));
        }
        if let Some(bytes) = request.memory_bytes {
            body.insert("memory_size".into(), json!(bytes));
        }
        tls_mode(&mut body, request.tls);
        apply_settings(&mut body, &request.settings)?;
        if body.is_empty() {
            return Err(Error::usage(
                "nothing to change: give --memory, --name or --set key=value",
            ));
        }
        let body = Value::Object(body);
        if request.dry_run {
            let answer = self.client.update(&uid, body.clone(), true).await?;
            let call = dry_run::request("PUT", format!("/v1/bdbs/{uid}?dry_run=true"), Some(&body));
            return Ok(dry_run::change(vec![call], Some(self.shown(&answer))));
        }
        let answer = self.client.update(&uid, body, false).await?;
        self.written(
            &answer,
            format!("redis-enterprise accepted the change to database {uid}"),
        )
    }

    async fn delete(&self, id: &str) -> Result<Change> {
        let uid = uid(id)?;
        self.client.delete(&uid).await?;
        Ok(Change::Accepted(format!(
            "deleting redis-enterprise database {uid}"
        )))
    }

    async fn connection(&self, id: &str) -> Result<Connection> {
        let uid = uid(id)?;
        let record = self
            .client
            .get(&uid, Some(client::CONNECTION_FIELDS))
            .await?;
        convert::connection(&record, &uid)
    }

    async fn flush(&self, id: &str) -> Result<Change> {
        let uid = uid(id)?;
        let answer = self.client.bdb_action(&uid, "flush").await?;
        Ok(self
            .action_of(&answer)
            .map(Change::Task)
            .unwrap_or_else(|| {
                Change::Accepted(format!("flushed redis-enterprise database {uid}"))
            }))
    }

    async fn reset_password(&self, id: &str) -> Result<Change> {
        let uid = uid(id)?;
        let answer = self.client.bdb_action(&uid, "reset_admin_pass").await?;
        Ok(self
            .action_of(&answer)
            .map(Change::Task)
            .unwrap_or_else(|| {
                Change::Accepted(format!(
                    "reset the admin password of redis-enterprise database {uid}"
                ))
            }))
    }

    /// `reset_admin_pass` renews `authentication_admin_pass`, not the `authentication_redis_pass`
    /// clients connect with.
    fn reset_renews_connection_password(&self) -> bool {
        false
    }

    async fn import(&self, id: &str, request: &ImportRequest) -> Result<Change> {
        let uid = uid(id)?;
        let sources = request
            .uris
            .iter()
            .map(|uri| import_source(&request.source_type, uri))
            .collect::<Result<Vec<_>>>()?;
        let body = json!({"dataset_import_sources": sources, "email_notification": false});
        let answer = self.client.import(&uid, body).await?;
        Ok(self
            .action_of(&answer)
            .map(Change::Task)
            .unwrap_or_else(|| {
                Change::Accepted(format!(
                    "import into redis-enterprise database {uid} started ({} source{})",
                    request.uris.len(),
                    if request.uris.len() == 1 { "" } else { "s" }
                ))
            }))
    }

    async fn task(&self, id: &str) -> Result<Task> {
        let record = self.client.action(id).await?;
        convert::task(&record, id, &self.profile.name)
    }

    /// Actions and state machines (`GET /v1/actions`), in the cluster's order; one without
    /// an id is left out (no `task get` could follow it).
    async fn tasks(&self) -> Result<Vec<Task>> {
        let records = self.client.actions().await?;
        let mut tasks = Vec::new();
        for record in &records {
            let task = convert::task(record, "", &self.profile.name)?;
            if !task.id.is_empty() {
                tasks.push(task);
            }
        }
        Ok(tasks)
    }

    /// One request for all: the cluster-wide `stats/last`, or the per-database path when
    /// there is one database.
    async fn usages(&self, databases: &[Database]) -> Result<Vec<Result<Usage>>> {
        let answer = match databases {
            [] => return Ok(Vec::new()),
            [one] => self.client.stats_last(Some(&uid(&one.id)?)).await?,
            _ => self.client.stats_last(None).await?,
        };
        Ok(convert::usages(&answer, databases))
    }

    async fn raw_call(&self, call: Call) -> Result<Reply> {
        self.client.send(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_keep_words_and_type_the_rest() {
        let mut body = Map::new();
        apply_settings(
            &mut body,
            &[
                ("shards_count".into(), json!(2)),
                ("replication".into(), json!(true)),
                ("eviction_policy".into(), json!("allkeys-lru")),
                ("version".into(), json!(7.2)),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"shards_count": 2, "replication": true,
                   "eviction_policy": "allkeys-lru", "version": "7.2"})
        );
        assert!(apply_settings(&mut Map::new(), &[("Shards-Count".into(), json!(2))]).is_err());
    }

    #[test]
    fn uids_are_positive_numbers() {
        assert_eq!(uid(" 7 ").unwrap(), "7");
        assert!(uid("0").is_err() && uid("abc").is_err() && uid("-1").is_err());
    }
}
