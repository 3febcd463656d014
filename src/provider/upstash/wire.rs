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
