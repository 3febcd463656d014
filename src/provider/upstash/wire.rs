//! Upstash's JSON, as it really arrives (see fixtures/upstash).
use serde::Deserialize;

use crate::provider::lenient;
use crate::secret::Secret;

#[derive(Debug, Deserialize)]
pub(super) struct Database {
    #[serde(default, deserialize_with = "lenient::string")]
    pub database_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub database_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub primary_region: Option<String>,
    #[serde(default, deserialize_with = "lenient::port")]
    pub port: Option<u16>,
    #[serde(default, deserialize_with = "lenient::signed")]
    pub creation_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub endpoint: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub tls: Option<bool>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub db_memory_threshold: Option<u64>,
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub plan: Option<String>,
    /// Older records: the plan in words ("Pay as You Go", "Free", "Pro 2K"), with no `type`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub database_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::secret")]
    pub password: Option<Secret>,
    /// Absent on older records: unknown, not off.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub daily_backup_enabled: Option<bool>,
}

/// `GET /v2/redis/stats/{id}` (schema `DatabaseStats`): scalars and `{x, y}` time series.
#[derive(Debug, Deserialize)]
pub(super) struct Stats {
    /// Bytes stored now.
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub current_storage: Option<u64>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub diskusage: Vec<Point>,
    /// Commands per second, sampled.
    #[serde(default, deserialize_with = "lenient::list")]
    pub throughput: Vec<Point>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub connection_count: Vec<Point>,
}

/// One sample: `x` a Go `time.Time` string, `y` a number (the newest may be null).
#[derive(Debug, Deserialize)]
pub(super) struct Point {
    #[serde(default, deserialize_with = "lenient::string")]
    pub x: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub y: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Backup {
    #[serde(default, deserialize_with = "lenient::string")]
    pub backup_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::signed")]
    pub creation_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::unsigned")]
    pub backup_size: Option<u64>,
}
