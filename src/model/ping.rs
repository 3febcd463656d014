//! `db ping` records.
use serde::Serialize;

use super::kind::ProviderKind;

/// `db ping`: one database's data-plane reachability and latency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ping {
    pub provider: ProviderKind,
    pub profile: String,
    pub database_id: String,
    pub name: Option<String>,
    pub endpoint: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    pub ok: bool,
    pub latency_ms: Option<Latency>,
    pub error: Option<String>,
}

/// Round-trip times in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Latency {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}
