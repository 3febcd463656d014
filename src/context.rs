//! Settings every command and the HTTP layer share for one run: [`Settings`], resolved once
//! from the global flags (`cli::GlobalArgs::settings`), and the [`HttpSettings`] made from it.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::ProviderKind;
use crate::output::OutputSettings;

/// The run's settings, resolved once from the global flags: every command, `App::new` and
/// the HTTP layer take them from here, so a new global flag is its clap field and one field
/// here.
#[derive(Debug, Clone)]
pub struct Settings {
    pub requests: Requests,
    pub output: OutputSettings,
    /// `--raw`: the provider's own record under `raw`.
    pub raw: bool,
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// `--demo`: the built-in emulator instead of the configuration.
    pub demo: bool,
    /// `--config` (or `DBCTL_CONFIG`).
    pub config: Option<PathBuf>,
}

/// What the HTTP layer and the data plane take from the global flags.
#[derive(Debug, Clone)]
pub struct Requests {
    /// `--request-timeout`.
    pub timeout: Duration,
    /// `--retries`.
    pub attempts: u32,
    /// `-v`, `-vv`.
    pub verbose: u8,
    /// `--insecure`.
    pub insecure: bool,
    /// `--connect-timeout`.
    pub data_plane_connect: Duration,
    /// `--reply-timeout`.
    pub data_plane_reply: Duration,
}

impl Default for Requests {
    fn default() -> Self {
        Requests {
            timeout: Duration::from_secs(30),
            attempts: 4,
            verbose: 0,
            insecure: false,
            data_plane_connect: DATA_PLANE_CONNECT,
            data_plane_reply: DATA_PLANE_REPLY,
        }
    }
}

/// What the HTTP layer needs: the deadline, attempts, and how much to log.
#[derive(Debug)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub attempts: u32,
    pub verbose: u8,
    /// Skip certificate checks for every profile (`--insecure`).
    pub insecure: bool,
    deadline: Mutex<Instant>,
    /// Bounds the requests in flight across every profile of a run.
    pub in_flight: tokio::sync::Semaphore,
    /// Bounds the open data-plane (Redis) connections of a run.
    pub data_plane: tokio::sync::Semaphore,
    /// Each data-plane connection's TCP connect and TLS handshake (`--connect-timeout`).
    pub data_plane_connect: Duration,
    /// Each data-plane reply (`--reply-timeout`).
    pub data_plane_reply: Duration,
    /// `--demo`: where every data-plane connection goes instead of the database's host (like
    /// curl's `--resolve`); TLS names and logs still use the host.
    pub dial_override: std::sync::OnceLock<std::net::SocketAddr>,
    /// `--demo`: the emulator, through which every API request goes as through a proxy, so
    /// profiles name a fixed host and `--demo` prints the same on every run.
    pub api_override: std::sync::OnceLock<std::net::SocketAddr>,
    /// Requests sent so far to each provider (attempts included), for rate budgets.
    sent: Mutex<HashMap<ProviderKind, u64>>,
}

/// Requests one run may have in flight at once, all providers together: as many as one
/// profile's usage reads (`provider::usage::USAGE_IN_FLIGHT`), so one profile can use it all.
pub const MAX_IN_FLIGHT: usize = 64;

/// Data-plane connections one run may have open at once. Apart from [`MAX_IN_FLIGHT`]: each
/// goes to its own database rather than a rate-limited API, so an account of 250 databases
/// takes one wave of INFO or pings, and they never hold up the API calls other databases
/// wait for.
pub const MAX_DATA_PLANE: usize = 256;

/// Default `--connect-timeout`: a TLS handshake across the world takes well under a second.
pub const DATA_PLANE_CONNECT: Duration = Duration::from_secs(5);
/// Default `--reply-timeout`: PING, AUTH and INFO answer in milliseconds on a healthy server.
pub const DATA_PLANE_REPLY: Duration = Duration::from_secs(5);

impl HttpSettings {
    pub fn new(requests: &Requests) -> Self {
        HttpSettings {
            timeout: requests.timeout,
            attempts: requests.attempts,
            verbose: requests.verbose,
            insecure: requests.insecure,
            deadline: Mutex::new(Instant::now() + requests.timeout),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            data_plane: tokio::sync::Semaphore::new(MAX_DATA_PLANE),
            data_plane_connect: requests.data_plane_connect,
            data_plane_reply: requests.data_plane_reply,
            dial_override: std::sync::OnceLock::new(),
            api_override: std::sync::OnceLock::new(),
            sent: Default::default(),
        }
    }

    /// The settings it was made from, for a fresh run of the same requests (each MCP tool
    /// call and each profile's reading in `metrics serve` has its own deadline).
    pub fn requests(&self) -> Requests {
        Requests {
            timeout: self.timeout,
            attempts: self.attempts,
            verbose: self.verbose,
            insecure: self.insecure,
            data_plane_connect: self.data_plane_connect,
            data_plane_reply: self.data_plane_reply,
        }
    }

    /// Counts one request (one attempt) sent to a provider.
    pub fn count_request(&self, provider: ProviderKind) {
        *self
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(provider)
            .or_default() += 1;
    }

    /// Requests sent to a provider so far in this run.
    pub fn requests_sent(&self, provider: ProviderKind) -> u64 {
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.get(&provider).copied().unwrap_or(0)
    }

    /// Time left before `--request-timeout` runs out.
    pub fn remaining(&self) -> Duration {
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        deadline.saturating_duration_since(Instant::now())
    }

    /// Starts a fresh `--request-timeout` window: each poll of a wait loop is its own request.
    pub fn restart_deadline(&self) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now() + self.timeout;
    }

    pub fn log(&self, level: u8, line: impl AsRef<str>) {
        if self.verbose >= level {
            crate::say!("dbctl: {}", line.as_ref());
        }
    }
}
