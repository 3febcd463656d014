//! Each provider's part in the suites that every provider must pass (behaviour, hostile). A
//! provider joins by adding `tests/cases/<provider>.rs` (a `case()` returning a [`Case`]) and
//! one line in `cases()`.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;

use wiremock::MockServer;

use crate::common::Sandbox;

mod cosmos;
mod redis_cloud;
mod redis_enterprise;
mod upstash;

pub type Mount = for<'a> fn(&'a MockServer) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One provider's part in the shared suite.
pub struct Case {
    pub provider: &'static str,
    /// Variables that point the provider at the mock server, credentials included.
    pub env: fn(&MockServer) -> Vec<(&'static str, String)>,
    /// Mounts the list endpoints with the provider's fixtures.
    pub mount_list: Mount,
    /// Names `db list` must show.
    pub names: &'static [&'static str],
    /// Fixture secrets and credentials that must never be printed.
    pub secrets: fn() -> Vec<String>,
    /// An id in the provider's format that the server does not know.
    pub missing_id: &'static str,
    /// Mounts the single-database endpoint for `existing_id`, with its secrets in the record.
    pub mount_get: Mount,
    pub existing_id: &'static str,
}

pub fn cases() -> Vec<Case> {
    vec![
        upstash::case(),
        redis_cloud::case(),
        redis_enterprise::case(),
        cosmos::case(),
    ]
}

pub fn sandbox(case: &Case, server: &MockServer) -> Sandbox {
    (case.env)(server)
        .into_iter()
        .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v))
}
