//! What a command asks of a provider, checked against the registry before any request.
use std::fmt;

/// One thing a provider may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    List,
    Get,
    Create,
    Update,
    Delete,
    /// Connection details (`db url`).
    Url,
    /// An interactive Redis client (`db connect`).
    Connect,
    Flush,
    Import,
    ResetPassword,
    BackupList,
    BackupCreate,
    BackupRestore,
    /// Following asynchronous operations (`task get|wait`).
    Tasks,
    /// Containers inside a database (`db get --collections`).
    Collections,
    /// Usage figures (`db stats`, `db list --usage`, `check`'s memory rule).
    Usage,
    /// Provisioned throughput (`db update --throughput|--autoscale-max`).
    Throughput,
}

impl Operation {
    /// Every operation, in declaration order.
    #[cfg(test)]
    pub const ALL: [Operation; 17] = [
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Url,
        Operation::Connect,
        Operation::Flush,
        Operation::Import,
        Operation::ResetPassword,
        Operation::BackupList,
        Operation::BackupCreate,
        Operation::BackupRestore,
        Operation::Tasks,
        Operation::Collections,
        Operation::Usage,
        Operation::Throughput,
    ];

    /// The command that asks for it, as users type it.
    pub fn command(self) -> &'static str {
        match self {
            Operation::List => "db list",
            Operation::Get => "db get",
            Operation::Create => "db create",
            Operation::Update => "db update",
            Operation::Delete => "db delete",
            Operation::Url => "db url",
            Operation::Connect => "db connect",
            Operation::Flush => "db flush",
            Operation::Import => "db import",
            Operation::ResetPassword => "db reset-password",
            Operation::BackupList => "backup list",
            Operation::BackupCreate => "backup create",
            Operation::BackupRestore => "backup restore",
            Operation::Tasks => "task",
            Operation::Collections => "db get --collections",
            Operation::Usage => "db stats",
            Operation::Throughput => "db update --throughput",
        }
    }

    /// The name `dbctl providers` lists for an operation beyond the basic five, if any.
    pub fn capability(self) -> Option<&'static str> {
        match self {
            Operation::List
            | Operation::Get
            | Operation::Create
            | Operation::Update
            | Operation::Delete
            | Operation::Url => None,
            Operation::Connect => Some("connect"),
            Operation::Flush => Some("flush"),
            Operation::Import => Some("import"),
            Operation::ResetPassword => Some("reset-password"),
            Operation::BackupList => Some("backup-list"),
            Operation::BackupCreate => Some("backup-create"),
            Operation::BackupRestore => Some("backup-restore"),
            Operation::Tasks => Some("tasks"),
            Operation::Collections => Some("collections"),
            Operation::Usage => Some("usage"),
            Operation::Throughput => Some("throughput"),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}
