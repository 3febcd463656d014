//! Settings every command and the HTTP layer share for one run.
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
}

/// Requests one run may have in flight at once, all providers together: as many as one
/// profile's usage reads (`provider::usage::USAGE_IN_FLIGHT`), so one profile can use it all.
pub const MAX_IN_FLIGHT: usize = 64;

/// Data-plane connections one run may have open at once. Apart from [`MAX_IN_FLIGHT`]: each
/// goes to its own database rather than a rate-limited API, so 100 pings take one wave, and
/// pings never hold up the API calls other databases wait for.
pub const MAX_DATA_PLANE: usize = 128;

/// Default `--connect-timeout`: a TLS handshake across the world takes well under a second.
pub const DATA_PLANE_CONNECT: Duration = Duration::from_secs(5);
/// Default `--reply-timeout`: PING, AUTH and INFO answer in milliseconds on a healthy server.
pub const DATA_PLANE_REPLY: Duration = Duration::from_secs(5);

impl HttpSettings {
    pub fn new(timeout: Duration, attempts: u32, verbose: u8, insecure: bool) -> Self {
        HttpSettings {
            timeout,
            attempts,
            verbose,
            insecure,
            deadline: Mutex::new(Instant::now() + timeout),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            data_plane: tokio::sync::Semaphore::new(MAX_DATA_PLANE),
            data_plane_connect: DATA_PLANE_CONNECT,
            data_plane_reply: DATA_PLANE_REPLY,
            dial_override: std::sync::OnceLock::new(),
            api_override: std::sync::OnceLock::new(),
        }
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
