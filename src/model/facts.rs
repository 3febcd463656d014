//! What a record says beyond the `Database` contract.
use std::collections::BTreeMap;

use serde_json::Value;

use super::connection::Connection;

/// What a provider's database record says beyond the `Database` contract, read in `convert`
/// and never serialized: the settings `check` inspects, what usage needs from the record, and
/// the fields desired state compares. `None` everywhere the provider does not say (Upstash has
/// no persistence switch, Cosmos neither backups nor persistence to turn off).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The provider's internal resource id where it differs from `id` (Cosmos `_rid`).
    pub resource_id: Option<String>,
    /// Scheduled backups on (RE `backup`, Redis Cloud `backup.enableRemoteBackup`,
    /// Upstash `daily_backup_enabled`).
    pub backups: Option<bool>,
    /// Data persisted to disk (RE `data_persistence`, Redis Cloud `dataPersistence`).
    pub persistence: Option<bool>,
    /// The control plane's coarse memory figure (Redis Cloud `memoryUsedInMb`).
    pub memory_used_bytes: Option<u64>,
    /// How to reach the data plane, where the record says (Redis Cloud lists carry endpoints
    /// and passwords): `db stats` and `db ping` then need no read per database.
    pub connection: Option<Connection>,
    /// The settings the provider reports under the keys `create`/`update` take (its
    /// `Fields::settings`), each a JSON scalar: what `export` writes and `plan` compares.
    pub settings: BTreeMap<&'static str, Value>,
    /// Its own provisioned throughput once read (`Provider::throughput`): `Some(None)` when it
    /// has none of its own (its containers may have theirs, or the account is serverless).
    pub throughput: Option<Option<Throughput>>,
}

/// Provisioned throughput in RU/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throughput {
    /// A fixed rate (`--throughput`).
    Manual(u64),
    /// Scales up to this maximum (`--autoscale-max`).
    Autoscale(u64),
}

/// How an account provisions throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    /// Each database may have its own (or leave it to its containers).
    PerDatabase,
    /// A serverless account (Cosmos): nothing is provisioned, and nothing can be.
    Serverless,
}
