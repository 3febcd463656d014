//! The normalized records every provider converts into: databases, backups, tasks.
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::facts::Facts;
use super::kind::ProviderKind;

/// Normalized database status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Pending,
    Suspended,
    Deleting,
    Failed,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Pending => "pending",
            Status::Suspended => "suspended",
            Status::Deleting => "deleting",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `db wait --status` waits for: a status, or the database being gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitTarget {
    Status(Status),
    Deleted,
}

impl WaitTarget {
    pub fn reached(self, db: &Database) -> bool {
        self == WaitTarget::Status(db.status)
    }
}

impl clap::ValueEnum for WaitTarget {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            WaitTarget::Status(Status::Active),
            WaitTarget::Status(Status::Pending),
            WaitTarget::Status(Status::Suspended),
            WaitTarget::Status(Status::Deleting),
            WaitTarget::Status(Status::Failed),
            WaitTarget::Status(Status::Unknown),
            WaitTarget::Deleted,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            WaitTarget::Status(status) => status.as_str(),
            WaitTarget::Deleted => "deleted",
        }))
    }
}

impl fmt::Display for WaitTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitTarget::Status(status) => status.fmt(f),
            WaitTarget::Deleted => f.write_str("deleted"),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Database {
    pub provider: ProviderKind,
    pub profile: String,
    pub id: String,
    pub name: String,
    pub status: Status,
    pub provider_status: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    pub memory_limit_bytes: Option<u64>,
    pub plan: Option<String>,
    pub created_at: Option<String>,
    /// Every region of an Active-Active database (the fields above show the first);
    /// `null` for a database in one region.
    pub regions: Option<Vec<Region>>,
    /// Containers of a Cosmos database, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collections: Option<Vec<String>>,
    /// The provider's own record (secrets redacted), only with `--raw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    /// Settings checks and usage read from the record; never printed.
    #[serde(skip)]
    pub facts: Box<Facts>,
}

impl Database {
    /// A database with every optional field empty; converters fill in what the provider says.
    pub fn new(provider: ProviderKind, profile: &str, id: String, name: String) -> Self {
        Database {
            provider,
            profile: profile.to_string(),
            id,
            name,
            status: Status::Unknown,
            provider_status: None,
            region: None,
            endpoint: None,
            port: None,
            tls: None,
            memory_limit_bytes: None,
            plan: None,
            created_at: None,
            regions: None,
            collections: None,
            raw: None,
            facts: Box::default(),
        }
    }
}

/// One region of an Active-Active database: where it is reached there.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Region {
    pub region: String,
    pub endpoint: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    /// Memory used in this region, as the provider's API gives it.
    pub memory_used_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Backup {
    pub provider: ProviderKind,
    pub profile: String,
    pub database_id: String,
    pub id: String,
    pub name: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub size_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Pending,
    Running,
    Completed,
    Failed,
}

impl TaskStatus {
    pub fn is_done(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
        })
    }
}

/// An asynchronous operation at the provider (Redis Cloud task, Redis Enterprise action).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Task {
    pub provider: ProviderKind,
    pub profile: String,
    pub id: String,
    pub status: TaskStatus,
    pub provider_status: Option<String>,
    pub resource_id: Option<String>,
    pub error: Option<String>,
}
