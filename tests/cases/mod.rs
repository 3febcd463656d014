//! Each provider's part in the shared suite: its credentials, mocks and fixture names, defined
//! once here and used by both `crate::behaviour` and the provider's own test module.
//!
//! A provider joins by adding `tests/cases/<provider>.rs` (a `case()` returning a [`Case`]), a
//! `pub mod` line below, and its name in the `provider_tests!` line of tests/behaviour.rs.
use std::future::Future;
use std::pin::Pin;

use wiremock::MockServer;

use crate::common::Sandbox;

pub mod cosmos;
pub mod redis_cloud;
pub mod redis_enterprise;
pub mod upstash;

pub type Mount = for<'a> fn(&'a MockServer) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One provider's part in the shared suite.
pub struct Case {
    pub provider: &'static str,
    /// Variables that point the provider at a server's base URL, credentials included.
    pub env: fn(&str) -> Vec<(&'static str, String)>,
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

impl Case {
    /// A clean sandbox pointed at `server` with this provider's credentials.
    pub fn sandbox(&self, server: &MockServer) -> Sandbox {
        self.sandbox_at(&server.uri())
    }

    /// A clean sandbox pointed at the base URL `uri` with this provider's credentials.
    pub fn sandbox_at(&self, uri: &str) -> Sandbox {
        (self.env)(uri)
            .into_iter()
            .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v))
    }
}
