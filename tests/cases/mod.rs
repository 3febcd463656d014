//! Each provider's part in the shared suite: its credentials, mocks and fixture names, defined
//! once here and used by both `crate::behaviour` and the provider's own test module.
//!
//! A provider joins by adding `tests/cases/<provider>.rs` (a `case()` returning a [`Case`]), a
//! `pub mod` line and an entry in [`all`] below, and its name in the `provider_tests!` line of
//! tests/behaviour.rs.
use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Sandbox, Words};

pub mod cosmos;
pub mod redis_cloud;
pub mod redis_enterprise;
pub mod upstash;

/// Every provider's case, for suites that loop over them.
pub fn all() -> Vec<Case> {
    vec![
        upstash::case(),
        redis_cloud::case(),
        redis_enterprise::case(),
        cosmos::case(),
    ]
}

pub type Mount = for<'a> fn(&'a MockServer) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Mounts `mocks` on `server`: the body of a [`Mount`].
pub fn mount(
    server: &MockServer,
    mocks: Vec<Mock>,
) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        for mock in mocks {
            server.register(mock).await;
        }
    })
}

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
    /// Ids no database of this provider can have (besides the empty, blank and control-character
    /// ones every provider refuses), and words of what a valid one looks like.
    pub malformed_ids: &'static [&'static str],
    pub id_form: &'static str,
    /// Mounts the single-database endpoint for `existing_id`, with its secrets in the record.
    pub mount_get: Mount,
    pub existing_id: &'static str,
    /// The path `db list` asks first (counted by the retry tests).
    pub list_path: &'static str,
    /// The request header `-vv` shows masked, e.g. `authorization: ***`.
    pub masked_header: &'static str,
    /// Provider internals in error bodies that must never reach the error line.
    pub noise: &'static [&'static str],
    /// List answers (body, content type) that are broken in this provider's own way.
    pub broken_lists: fn() -> Vec<(String, &'static str)>,
    /// The answer to wrong credentials (401).
    pub unauthorized: Refusal,
    /// The answer for `missing_id`, and the paths (any method) that give it.
    pub not_found: Refusal,
    pub missing_paths: &'static [&'static str],
    /// Commands besides `db get ID` that must be exit 5 for `missing_id` (`ID` stands for it).
    pub missing_commands: &'static [&'static str],
    /// A busy answer (503) that is retried.
    pub busy: Refusal,
    /// A throttling answer (429) that is retried.
    pub throttled: Refusal,
    /// Commands the provider does not support (`ID` stands for `existing_id`).
    pub unsupported: &'static [&'static str],
    /// What the no-credentials error names besides the provider.
    pub no_credentials_says: &'static [&'static str],
    /// Variables of `env` that alone are half a set of credentials, and what the error names.
    pub half_env: &'static [&'static str],
    pub half_says: &'static [&'static str],
    /// Its write commands (create, update, delete, their dry runs and waits), each run against
    /// a server of its own.
    pub writes: fn() -> Vec<Write>,
    /// Writes refused before any request: (command line, exit code, what stderr says).
    pub refused_writes: &'static [(&'static str, i32, &'static str)],
}

/// A write command, the exchange it must have with the provider, and what it prints.
pub struct Write {
    /// The command line after `dbctl`.
    pub args: String,
    /// What the provider is asked and answers; each request the command must send is
    /// `.expect`ed.
    pub mocks: Vec<Mock>,
    /// How many requests it sends in all (a dry run, none).
    pub requests: usize,
    /// Values its `--json` output must hold, by JSON pointer (`/requests/0/path`).
    pub prints: Vec<(&'static str, Value)>,
    /// Text stdout must hold.
    pub says: &'static str,
    /// Secrets of the answers that must never be printed.
    pub hides: Vec<String>,
}

impl Write {
    /// `args` with no mocks, no requests and nothing said yet.
    pub fn new(args: impl Into<String>) -> Write {
        Write {
            args: args.into(),
            mocks: Vec::new(),
            requests: 0,
            prints: Vec::new(),
            says: "",
            hides: Vec::new(),
        }
    }
}

/// A provider's error answer, and what a user must read when it is final.
pub struct Refusal {
    pub status: u16,
    pub body: fn() -> String,
    pub content_type: &'static str,
    /// A header telling when to retry, as the provider sends it.
    pub retry_after: Option<(&'static str, &'static str)>,
    /// What stderr must show (case-insensitive).
    pub says: &'static [&'static str],
}

impl Refusal {
    /// A bare 503 for providers whose busy answer has no words of its own.
    pub const PLAIN_503: Refusal = Refusal {
        status: 503,
        body: || "busy".to_string(),
        content_type: "text/plain",
        retry_after: None,
        says: &["503"],
    };

    pub fn respond(&self) -> ResponseTemplate {
        let reply =
            ResponseTemplate::new(self.status).set_body_raw((self.body)(), self.content_type);
        match self.retry_after {
            Some((name, value)) => reply.insert_header(name, value),
            None => reply,
        }
    }
}

impl Case {
    /// A mock server that answers `db list` with the provider's fixtures.
    pub async fn list_server(&self) -> MockServer {
        let server = MockServer::start().await;
        (self.mount_list)(&server).await;
        server
    }

    /// A clean sandbox pointed at `server` with this provider's credentials.
    pub fn sandbox(&self, server: &MockServer) -> Sandbox {
        self.sandbox_at(&server.uri())
    }

    /// The words of `args` with the word `ID` replaced by `id`.
    pub fn args(args: impl Words, id: &str) -> Vec<String> {
        args.words()
            .into_iter()
            .map(|a| if a == "ID" { id.to_string() } else { a })
            .collect()
    }

    /// A clean sandbox pointed at the base URL `uri` with this provider's credentials.
    pub fn sandbox_at(&self, uri: &str) -> Sandbox {
        (self.env)(uri)
            .into_iter()
            .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v))
    }
}
