//! Redis Cloud's JSON, as it really arrives (see fixtures/redis-cloud). Containers (the
//! subscription list, a page of databases) are read from `serde_json::Value` in client.rs so
//! a wrong shape is a clear error; every field of a record is optional and lenient.
use serde::Deserialize;

use crate::provider::lenient;
use crate::secret::Secret;

/// One subscription of `GET /subscriptions` or `GET /fixed/subscriptions`.
#[derive(Debug, Deserialize)]
pub(super) struct Subscription {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    /// Essentials subscriptions carry their region directly.
    #[serde(default, deserialize_with = "lenient::string")]
    pub region: Option<String>,
    /// Pro subscriptions: `cloudDetails[].regions[].region`.
    #[serde(rename = "cloudDetails", default, deserialize_with = "lenient::list")]
    pub cloud_details: Vec<CloudDetail>,
    /// How many databases it holds (Pro), which tells how many pages to ask for at once.
    #[serde(
        rename = "numberOfDatabases",
        default,
        deserialize_with = "lenient::unsigned"
    )]
    pub number_of_databases: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CloudDetail {
    #[serde(default, deserialize_with = "lenient::list")]
    pub regions: Vec<Region>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Region {
    #[serde(default, deserialize_with = "lenient::string")]
    pub region: Option<String>,
}

/// A database record (Pro or Essentials).
#[derive(Debug, Deserialize)]
pub(super) struct Database {
    #[serde(rename = "databaseId", default, deserialize_with = "lenient::string")]
    pub database_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// Where it runs and how it is reached (for Active-Active, see `crdb_databases`).
    #[serde(flatten)]
    pub placement: Placement,
    /// Essentials: the plan's size, in `memoryLimitMeasurementUnit` (MB or GB).
    #[serde(
        rename = "planMemoryLimit",
        default,
        deserialize_with = "lenient::float"
    )]
    pub plan_memory_limit: Option<f64>,
    #[serde(
        rename = "memoryLimitMeasurementUnit",
        default,
        deserialize_with = "lenient::string"
    )]
    pub memory_limit_unit: Option<String>,
    #[serde(rename = "activatedOn", default, deserialize_with = "lenient::string")]
    pub activated_on: Option<String>,
    /// Active-Active: one record per region, in place of the endpoint, size and security above.
    #[serde(rename = "crdbDatabases", default, deserialize_with = "lenient::list")]
    pub crdb_databases: Vec<Placement>,
    /// Active-Active: the password of every region that sets none of its own.
    #[serde(
        rename = "globalPassword",
        default,
        deserialize_with = "lenient::secret"
    )]
    pub global_password: Option<Secret>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub replication: Option<bool>,
    /// `none`, `aof-every-1-second`, `snapshot-every-1-hour`, ...
    #[serde(
        rename = "dataPersistence",
        default,
        deserialize_with = "lenient::string"
    )]
    pub data_persistence: Option<String>,
    /// Pro `{enableRemoteBackup, ...}`, Essentials `{remoteBackupEnabled, ...}`.
    #[serde(default, deserialize_with = "lenient::object")]
    pub backup: Option<BackupPolicy>,
}

/// Region, endpoints, size and security: of a database, or of one region of an Active-Active
/// database (`crdbDatabases[]`).
#[derive(Debug, Deserialize)]
pub(super) struct Placement {
    #[serde(default, deserialize_with = "lenient::string")]
    pub region: Option<String>,
    #[serde(
        rename = "publicEndpoint",
        default,
        deserialize_with = "lenient::string"
    )]
    pub public_endpoint: Option<String>,
    #[serde(
        rename = "privateEndpoint",
        default,
        deserialize_with = "lenient::string"
    )]
    pub private_endpoint: Option<String>,
    /// Newer Pro records.
    #[serde(
        rename = "datasetSizeInGb",
        default,
        deserialize_with = "lenient::float"
    )]
    pub dataset_size_in_gb: Option<f64>,
    /// Older Pro records.
    #[serde(
        rename = "memoryLimitInGb",
        default,
        deserialize_with = "lenient::float"
    )]
    pub memory_limit_in_gb: Option<f64>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub security: Option<Security>,
    /// The control plane's coarse memory figure, in MB (Active-Active: per region only).
    #[serde(
        rename = "memoryUsedInMb",
        default,
        deserialize_with = "lenient::float"
    )]
    pub memory_used_in_mb: Option<f64>,
}

/// A database's `backup` object (its two spellings).
#[derive(Debug, Default, Deserialize)]
pub(super) struct BackupPolicy {
    #[serde(
        rename = "enableRemoteBackup",
        default,
        deserialize_with = "lenient::boolean"
    )]
    pub enable_remote_backup: Option<bool>,
    #[serde(
        rename = "remoteBackupEnabled",
        default,
        deserialize_with = "lenient::boolean"
    )]
    pub remote_backup_enabled: Option<bool>,
}

/// `security {password, enableTls, ...}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Security {
    #[serde(default, deserialize_with = "lenient::secret")]
    pub password: Option<Secret>,
    #[serde(rename = "enableTls", default, deserialize_with = "lenient::boolean")]
    pub enable_tls: Option<bool>,
}

/// `GET /tasks/{id}` and the 202 answer of every write.
#[derive(Debug, Deserialize)]
pub(super) struct Task {
    #[serde(rename = "taskId", default, deserialize_with = "lenient::string")]
    pub task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub response: Option<TaskResponse>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub links: Vec<Link>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TaskResponse {
    #[serde(rename = "resourceId", default, deserialize_with = "lenient::string")]
    pub resource_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub error: Option<TaskError>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub links: Vec<Link>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TaskError {
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Link {
    #[serde(default, deserialize_with = "lenient::string")]
    pub rel: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub href: Option<String>,
}
