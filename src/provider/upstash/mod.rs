//! Upstash Redis through the Upstash Developer API (basic auth `EMAIL:API_KEY`).
mod client;
mod convert;
mod wire;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::config::{EnvVar, Profile};
use crate::error::{Error, Result};
use crate::http::{Call, Reply};
use crate::model::Connection;
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{Backup, Database};
use crate::provider::dry_run;
use crate::provider::ProviderSpec;
use crate::provider::{
    setting_text, AccountId, BackupTaken, Change, CreateRequest, Provider, Shared, UpdateRequest,
};
use crate::provider::{Fields, Managed, Operation, Settable};

/// What this provider declares about itself (collected in `provider::registry`).
pub const SPEC: ProviderSpec = ProviderSpec {
    env: ENV,
    build: |profile, shared| Ok(Box::new(Upstash::new(profile, shared)?)),
    operations: &[
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Url,
        Operation::Connect,
        Operation::ResetPassword,
        Operation::BackupList,
        Operation::BackupCreate,
        Operation::BackupRestore,
        Operation::Usage,
    ],
    // No published limit: no budget unless the profile sets `rate_limit`; 429s are retried.
    requests_per_minute: None,
    usage_from_info: false,
    unsupported_hint: crate::provider::no_hint,
    fields: Fields {
        region: Settable::AtCreate,
        memory: Settable::Never,
        tls: Settable::Enable,
        throughput: Settable::Never,
        settings: &[],
        subscription: false,
        spellings: &[
            (Managed::Name, "database_name"),
            (Managed::Region, "region"),
            (Managed::Region, "primary_region"),
            (Managed::Memory, "db_memory_threshold"),
            (Managed::Tls, "tls"),
        ],
    },
    // The API key is the account's (a team's keys reach the team).
    account: |profile| {
        let url = profile.string("url")?;
        Ok(AccountId::key(
            ProviderKind::Upstash,
            url.as_deref().unwrap_or(DEFAULT_URL),
            &profile.require_secret("api_key")?,
        ))
    },
};

pub const ENV: &[EnvVar] = &[
    EnvVar {
        var: "UPSTASH_EMAIL",
        field: "email",
        activates: true,
    },
    EnvVar {
        var: "UPSTASH_API_KEY",
        field: "api_key",
        activates: true,
    },
    EnvVar {
        var: "UPSTASH_API_URL",
        field: "url",
        activates: false,
    },
];

pub const DEFAULT_URL: &str = "https://api.upstash.com/v2";

/// `--set` keys `db create` accepts, sent as the body field of the same name.
const CREATE_SETTINGS: &[&str] = &[
    "platform",
    "plan",
    "budget",
    "eviction",
    "tls",
    "read_regions",
];

pub struct Upstash {
    client: client::Client,
    shared: Shared,
    /// The profile it was built from.
    profile: Profile,
}

impl Upstash {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        Ok(Upstash {
            client: client::Client::new(profile, shared)?,
            shared: shared.clone(),
            profile: profile.clone(),
        })
    }

    fn database(&self, record: &Value) -> Result<Database> {
        convert::database(record, &self.profile.name, &self.shared)
    }

    async fn usage(&self, db: &Database) -> Result<Usage> {
        convert::usage(&self.client.stats(&db.id).await?, db)
    }
}

#[async_trait]
impl Provider for Upstash {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Upstash
    }
    fn profile(&self) -> &str {
        &self.profile.name
    }
    fn source(&self) -> &Profile {
        &self.profile
    }
    fn check_id(&self, id: &str) -> Result<()> {
        client::check_id(id)
    }
    async fn list(&self) -> Result<Vec<Database>> {
        let records = self.client.list_databases().await?;
        records.iter().map(|r| self.database(r)).collect()
    }

    async fn get(&self, id: &str) -> Result<Database> {
        let record = self.client.get_database(id, true).await?;
        self.database(&record)
    }

    async fn create(&self, request: &CreateRequest) -> Result<Change> {
        if request.memory_bytes.is_some() {
            return Err(Error::invalid(
                "upstash sizes databases by plan, not --memory; use --set plan=payg|pro|free",
            ));
        }
        let region = request
            .region
            .clone()
            .ok_or_else(|| Error::invalid("upstash needs --region, e.g. --region us-east-1"))?;
        let mut body = json!({
            "database_name": request.name,
            "platform": "aws",
            "primary_region": region,
            "tls": request.tls.unwrap_or(true),
        });
        for (key, value) in &request.settings {
            if !CREATE_SETTINGS.contains(&key.as_str()) {
                return Err(Error::invalid(format!(
                    "upstash does not know --set {key}; accepted: {}",
                    CREATE_SETTINGS.join(", ")
                )));
            }
            body[key] = match (key.as_str(), value) {
                ("read_regions", Value::String(list)) => {
                    json!(list.split(',').map(str::trim).collect::<Vec<_>>())
                }
                ("plan" | "platform", _) => Value::String(setting_text(value)),
                _ => value.clone(),
            };
        }
        if request.dry_run {
            let call = dry_run::request("POST", "/redis/database", Some(&body));
            return Ok(dry_run::change(vec![call], None));
        }
        let record = self.client.create_database(body).await?;
        Ok(Change::Database(self.database(&record)?))
    }

    async fn update(&self, id: &str, request: &UpdateRequest) -> Result<Change> {
        client::check_id(id)?;
        if request.memory_bytes.is_some() {
            return Err(Error::invalid(
                "upstash sizes databases by plan, not --memory; use --set plan=...",
            ));
        }
        let calls = client::update_calls(id, request)?;
        if calls.is_empty() {
            return Err(Error::usage(
                "nothing to change: give --name or --set plan=...|budget=...|tls=true|eviction=true",
            ));
        }
        if request.dry_run {
            let planned = calls
                .iter()
                .map(|c| dry_run::request(c.method.as_str(), c.path.clone(), c.body.as_ref()))
                .collect();
            return Ok(dry_run::change(planned, None));
        }
        for call in calls {
            self.client.send(call).await?;
        }
        Ok(Change::Database(self.get(id).await?))
    }

    async fn delete(&self, id: &str) -> Result<Change> {
        self.client.delete_database(id).await?;
        Ok(Change::Deleted(format!("deleted upstash database {id}")))
    }

    async fn connection(&self, id: &str) -> Result<Connection> {
        let record = self.client.get_database(id, false).await?;
        convert::connection(&record, id)
    }

    async fn reset_password(&self, id: &str) -> Result<Change> {
        self.client.reset_password(id).await?;
        Ok(Change::Accepted(format!(
            "reset the password of upstash database {id}"
        )))
    }

    async fn backups(&self, id: &str) -> Result<Vec<Backup>> {
        let records = self.client.list_backups(id).await?;
        Ok(records
            .iter()
            .map(|r| convert::backup(r, id, &self.profile.name))
            .collect())
    }

    async fn create_backup(&self, id: &str, name: Option<&str>) -> Result<BackupTaken> {
        let name = name
            .map(str::to_string)
            // Milliseconds and a random tail: two backups started in one second get two names.
            .unwrap_or_else(|| {
                format!(
                    "dbctl-{}-{:04x}",
                    chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f"),
                    fastrand::u16(..)
                )
            });
        self.client.create_backup(id, &name).await?;
        // The API answers "OK": the backup's id (what `backup restore` takes) is in the list,
        // the newest of the name.
        let backups = self.backups(id).await?;
        backups
            .into_iter()
            .filter(|b| b.name.as_deref() == Some(name.as_str()) && !b.id.is_empty())
            .max_by(|a, b| a.created_at.cmp(&b.created_at))
            .map(BackupTaken::Backup)
            .ok_or_else(|| {
                Error::provider_error(format!(
                    "upstash took backup {name:?} of database {id} but does not list it"
                ))
                .with_origin(ProviderKind::Upstash, &self.profile.name)
            })
    }

    async fn restore_backup(&self, id: &str, backup_id: &str) -> Result<Change> {
        self.client.restore_backup(id, backup_id).await?;
        Ok(Change::Accepted(format!(
            "restored backup {backup_id} into upstash database {id}"
        )))
    }

    /// One `GET /redis/stats/{id}` per database, bounded by `usage::USAGE_IN_FLIGHT`.
    async fn usages(&self, databases: &[Database]) -> Result<Vec<Result<Usage>>> {
        let reads = databases
            .iter()
            .map(|db| (db.id.clone(), self.usage(db)))
            .collect();
        Ok(crate::provider::usage::each(reads).await)
    }

    async fn raw_call(&self, call: Call) -> Result<Reply> {
        self.client.send(call).await
    }
}
