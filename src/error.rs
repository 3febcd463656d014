//! The one error type: a kind (which decides the exit code), a message, and where it came from.
use serde_json::json;

use crate::model::ProviderKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Internal,
    Usage,
    Config,
    Auth,
    NotFound,
    Invalid,
    Unsupported,
    Conflict,
    Provider,
    RateLimited,
    Network,
    Timeout,
    Partial,
    /// `plan` found a difference, or `check` a failing rule.
    NotAsExpected,
    Interrupted,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Config => 3,
            ErrorKind::Auth => 4,
            ErrorKind::NotFound => 5,
            ErrorKind::Invalid | ErrorKind::Unsupported => 6,
            ErrorKind::Conflict => 7,
            ErrorKind::Provider => 8,
            ErrorKind::RateLimited => 9,
            ErrorKind::Network => 10,
            ErrorKind::Timeout => 11,
            ErrorKind::Partial => 12,
            ErrorKind::NotAsExpected => 13,
            ErrorKind::Interrupted => 130,
        }
    }

    /// The machine-readable name used in `--json` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Internal => "internal",
            ErrorKind::Usage => "usage",
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Provider => "provider",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Partial => "partial",
            ErrorKind::NotAsExpected => "not_as_expected",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// What to do next, printed as a second line for people.
    pub hint: Option<String>,
    pub provider: Option<ProviderKind>,
    pub profile: Option<String>,
    /// Whether the HTTP layer may try the same request again.
    pub retryable: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            provider: None,
            profile: None,
            retryable: false,
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn provider_error(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Provider, message)
    }
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
    /// "db flush is not supported by cosmos".
    pub fn unsupported(provider: ProviderKind, what: &str) -> Self {
        Self::new(
            ErrorKind::Unsupported,
            format!("{what} is not supported by {provider}"),
        )
        .with_provider(provider)
    }

    /// A server that cannot listen on `addr` (exit 2), with the hint that fits why: an address
    /// that is not this machine's (`address_flag` takes another, shown with the port when
    /// `with_port`), a port that needs privileges, or a port another program holds
    /// (`port_flag` picks another).
    pub fn cannot_listen(
        server: &str,
        addr: std::net::SocketAddr,
        error: &std::io::Error,
        (address_flag, with_port): (&str, bool),
        port_flag: &str,
    ) -> Self {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
        let (loopback, every): (IpAddr, IpAddr) = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::LOCALHOST.into(), Ipv4Addr::UNSPECIFIED.into()),
            SocketAddr::V6(_) => (Ipv6Addr::LOCALHOST.into(), Ipv6Addr::UNSPECIFIED.into()),
        };
        let shown = |ip: IpAddr| match with_port {
            true => SocketAddr::new(ip, addr.port()).to_string(),
            false => ip.to_string(),
        };
        let hint = match error.kind() {
            std::io::ErrorKind::AddrNotAvailable => format!(
                // In parentheses: `::1` after a space would read as a workflow command.
                "{address_flag} takes an address of this machine: loopback ({}), or every interface ({})",
                shown(loopback),
                shown(every)
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "ports below 1024 need privileges: pick one above with {port_flag}"
            ),
            _ => format!("another program may hold that port: pick another with {port_flag}"),
        };
        Self::usage(format!("{server} cannot listen on {addr}: {error}")).with_hint(hint)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_provider(mut self, provider: ProviderKind) -> Self {
        self.provider = Some(provider);
        self
    }
    /// Tags the error with its provider and profile unless it already names them.
    pub fn with_origin(mut self, provider: ProviderKind, profile: &str) -> Self {
        self.provider.get_or_insert(provider);
        self.profile.get_or_insert_with(|| profile.to_string());
        self
    }
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The one-line JSON form printed on stderr under `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"error": {
            "kind": self.kind.as_str(),
            "exit_code": self.exit_code(),
            "message": self.message,
            "hint": self.hint,
            "provider": self.provider.map(|p| p.to_string()),
            "profile": self.profile,
        }})
    }
}

/// Prints the error on stderr: one JSON line under `--json`, else `error: ...` plus a hint.
pub fn report(err: &Error, json: bool) {
    // The stderr writer masks credentials, URL passwords and terminal controls.
    if json {
        crate::sanitize::stderr_json(&err.to_json());
        return;
    }
    let origin = match (&err.profile, err.provider) {
        (Some(profile), Some(provider)) if profile != &provider.to_string() => {
            format!("{provider} ({profile}): ")
        }
        (_, Some(provider)) if !err.message.contains(&provider.to_string()) => {
            format!("{provider}: ")
        }
        _ => String::new(),
    };
    crate::say!("error: {origin}{}", err.message);
    if let Some(hint) = &err.hint {
        crate::say!("hint: {hint}");
    }
}
