//! The cluster REST API's JSON, as it really arrives (see fixtures/redis-enterprise).
use serde::Deserialize;
use serde_json::Value;

use crate::provider::lenient;
use crate::secret::Secret;

/// A BDB (database) object; every field optional and tolerant of odd types.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Bdb {
    #[serde(default, deserialize_with = "lenient::string")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub memory_size: Option<u64>,
    /// 0 (or absent) on some clusters; then the first endpoint's port counts.
    #[serde(default, deserialize_with = "lenient::port")]
    pub port: Option<u16>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub endpoints: Vec<Endpoint>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub dns_address_master: Option<String>,
    /// `enabled`, `disabled` or `replica_ssl`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tls_mode: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub ssl: Option<bool>,
    /// RFC 3339 text on current clusters; tolerated as Unix seconds.
    #[serde(default)]
    pub created_time: Value,
    #[serde(default, deserialize_with = "lenient::secret")]
    pub authentication_redis_pass: Option<Secret>,
    /// Periodic backups on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub backup: Option<bool>,
    /// `disabled`, `snapshot` or `aof`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub data_persistence: Option<String>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub shards_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub replication: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub eviction_policy: Option<String>,
}

/// One database's newest sample from `GET /v1/bdbs/stats/last[/{uid}]` (metrics are floats;
/// some samples lack some metrics).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Sample {
    #[serde(default, deserialize_with = "lenient::string")]
    pub etime: Option<String>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub used_memory: Option<u64>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub conns: Option<u64>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub instantaneous_ops_per_sec: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Endpoint {
    #[serde(default, deserialize_with = "lenient::string")]
    pub dns_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub dns_address_master: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub addr: Vec<String>,
    #[serde(default, deserialize_with = "lenient::port")]
    pub port: Option<u16>,
}

/// `GET /v1/actions/{uid}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Action {
    #[serde(default, deserialize_with = "lenient::string")]
    pub action_uid: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// A number or a string ("45", "45.5", "45%").
    #[serde(default)]
    pub progress: Value,
    /// `bdb:3`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub object_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
}

/// What write actions may answer: an action to follow.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActionRef {
    #[serde(default, deserialize_with = "lenient::string")]
    pub action_uid: Option<String>,
}
