//! What a record says beyond the `Database` contract.
use super::connection::Connection;

/// What a provider's database record says beyond the `Database` contract, read in `convert`
/// and never serialized: the settings `check` inspects and what usage needs from the record.
/// `None` everywhere the provider does not say (Upstash has no persistence switch, Cosmos
/// neither backups nor persistence to turn off).
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
}
