//! Fleet health model: usage figures (`db stats`, `db list --usage`) and the findings `check`
//! reports.
use std::fmt;

use serde::Serialize;

use super::database::Database;
use super::kind::ProviderKind;

/// Usage of one database; `null` where the provider cannot say.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Usage {
    pub provider: ProviderKind,
    pub profile: String,
    pub database_id: String,
    pub name: String,
    pub memory_used_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    /// `memory_used_bytes / memory_limit_bytes`, 0–1 (more when over the limit).
    pub memory_used_ratio: Option<f64>,
    pub ops_per_sec: Option<f64>,
    pub connections: Option<u64>,
    /// Cosmos provisioned RU/s (autoscale: what it is scaled to now).
    pub throughput_ru: Option<u64>,
    /// Cosmos autoscale maximum RU/s.
    pub throughput_max_ru: Option<u64>,
    pub storage_bytes: Option<u64>,
    /// RFC 3339.
    pub sampled_at: Option<String>,
    /// Where the figures came from when that matters to the reader; said on stderr.
    #[serde(skip)]
    pub note: Option<String>,
}

impl Usage {
    /// Empty figures for a database, with its limit from the record.
    pub fn of(db: &Database) -> Usage {
        Usage {
            provider: db.provider,
            profile: db.profile.clone(),
            database_id: db.id.clone(),
            name: db.name.clone(),
            memory_used_bytes: None,
            memory_limit_bytes: db.memory_limit_bytes,
            memory_used_ratio: None,
            ops_per_sec: None,
            connections: None,
            throughput_ru: None,
            throughput_max_ru: None,
            storage_bytes: None,
            sampled_at: None,
            note: None,
        }
    }

    /// Sets the used/limit ratio from the two figures, when both are known.
    pub fn with_ratio(mut self) -> Usage {
        self.memory_used_ratio = match (self.memory_used_bytes, self.memory_limit_bytes) {
            (Some(used), Some(limit)) if limit > 0 => {
                Some(((used as f64 / limit as f64) * 10_000.0).round() / 10_000.0)
            }
            _ => None,
        };
        self
    }
}

/// A rule `check` applies to every database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Rule {
    /// Not active: error (pending: warning).
    Status,
    /// TLS off: warning.
    Tls,
    /// Memory used over `--memory-warn` / `--memory-error`.
    Memory,
    /// No scheduled backups where the provider has them: warning.
    Backups,
    /// No persistence where the provider has it: warning.
    Persistence,
    /// Does not answer (`--ping`): error.
    Reachable,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Status => "status",
            Rule::Tls => "tls",
            Rule::Memory => "memory",
            Rule::Backups => "backups",
            Rule::Persistence => "persistence",
            Rule::Reachable => "reachable",
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One rule failing for one database.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub provider: ProviderKind,
    pub profile: String,
    pub database_id: String,
    pub name: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_needs_both_figures() {
        let usage = |used, limit| {
            let db = Database::new(ProviderKind::Upstash, "p", "id".into(), "n".into());
            Usage {
                memory_used_bytes: used,
                memory_limit_bytes: limit,
                ..Usage::of(&db)
            }
            .with_ratio()
            .memory_used_ratio
        };
        assert_eq!(usage(Some(512), Some(1024)), Some(0.5));
        assert_eq!(usage(Some(1), Some(3)), Some(0.3333));
        assert_eq!(usage(None, Some(1024)), None);
        assert_eq!(usage(Some(1), Some(0)), None);
        assert_eq!(usage(Some(1), None), None);
    }
}
