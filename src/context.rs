//! Settings every command and the HTTP layer share for one run.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cli::GlobalArgs;
use crate::output::OutputFormat;

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
}

/// Requests one run may have in flight at once, all providers together.
pub const MAX_IN_FLIGHT: usize = crate::provider::usage::USAGE_IN_FLIGHT;

impl HttpSettings {
    pub fn new(timeout: Duration, attempts: u32, verbose: u8, insecure: bool) -> Self {
        HttpSettings {
            timeout,
            attempts,
            verbose,
            insecure,
            deadline: Mutex::new(Instant::now() + timeout),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
        }
    }

    /// Time left before `--timeout` runs out.
    pub fn remaining(&self) -> Duration {
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        deadline.saturating_duration_since(Instant::now())
    }

    /// Starts a fresh `--timeout` window: each poll of a wait loop is its own request.
    pub fn restart_deadline(&self) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now() + self.timeout;
    }

    pub fn log(&self, level: u8, line: impl AsRef<str>) {
        if self.verbose >= level {
            eprintln!("dbctl: {}", line.as_ref());
        }
    }
}

/// Output settings for renderers.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    pub format: OutputFormat,
    pub color: bool,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
}

impl OutputSettings {
    pub fn from_args(args: &GlobalArgs) -> Self {
        use std::io::IsTerminal;
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = args.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        OutputSettings {
            format: args.format(),
            color: stdout_tty && !no_color,
            stdout_tty,
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }
}
