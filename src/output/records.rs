//! The tables of the model's records: databases, backups, tasks and pings.
use super::record::{Color, Column, Give, Record, SortValue};
use crate::model::{Backup, ByteSize, Database, Latency, Ping, Status, Task};

/// An optional value's text, or nothing.
pub fn opt(value: &Option<impl ToString>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A size in bytes as people read it (`1.5 GiB`), or nothing.
pub fn size(bytes: Option<u64>) -> String {
    opt(&bytes.map(ByteSize))
}

/// `host:port` (IPv6 bracketed), the host alone, or nothing.
fn host_port(endpoint: &Option<String>, port: Option<u16>) -> String {
    match (endpoint, port) {
        (Some(host), Some(port)) if host.contains(':') => format!("[{host}]:{port}"),
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.clone(),
        _ => String::new(),
    }
}

/// The `db list` columns of any row that holds a database (`db list --usage` adds to them).
pub fn database_columns<T: AsRef<Database>>() -> Vec<Column<T>> {
    let column = Column::<T>::new;
    fn db<T: AsRef<Database>>(row: &T) -> &Database {
        row.as_ref()
    }
    vec![
        column("PROVIDER", |r| db(r).provider.to_string()).gives(9, Give::Trim(8)),
        column("PROFILE", |r| db(r).profile.clone()).gives(1, Give::Repeats("PROVIDER")),
        column("ID", |r| db(r).id.clone()),
        column("NAME", |r| db(r).name.clone()),
        column("STATUS", |r| {
            let db = db(r);
            match &db.provider_status {
                Some(word) if db.status == Status::Unknown => format!("unknown ({word})"),
                _ => db.status.to_string(),
            }
        })
        .sorts(|r| SortValue::Number(f64::from(db(r).status as u8)))
        .colored(|r| Color::of_status(db(r).status.as_str())),
        column("REGION", |r| {
            let db = db(r);
            match (&db.region, db.regions.as_deref()) {
                // Active-Active: the first region and how many more (`db get` lists them).
                (Some(region), Some([_, more @ ..])) if !more.is_empty() => {
                    format!("{region} +{}", more.len())
                }
                _ => opt(&db.region),
            }
        })
        .gives(3, Give::Shorten(10)),
        column("ENDPOINT", |r| host_port(&db(r).endpoint, db(r).port)).gives(2, Give::Shorten(24)),
        column("MEMORY", |r| size(db(r).memory_limit_bytes))
            .sorts(|r| SortValue::number(db(r).memory_limit_bytes.map(|b| b as f64)))
            .gives(4, Give::Hide),
        Column::sort_only("created", |r| {
            SortValue::text(db(r).created_at.as_deref().unwrap_or_default())
        }),
    ]
}

impl AsRef<Database> for Database {
    fn as_ref(&self) -> &Database {
        self
    }
}

/// The `Database` JSON fields in order, then `$more`: the CSV header of every list of
/// databases, with or without figures.
macro_rules! database_fields {
    ($($more:literal),*) => {
        &[
            "provider", "profile", "id", "name", "status", "provider_status", "region",
            "endpoint", "port", "tls", "memory_limit_bytes", "plan", "created_at", $($more),*
        ]
    };
}
pub(super) use database_fields;

impl Record for Database {
    const FIELDS: &'static [&'static str] = database_fields!();
    const NOUN: &'static str = "databases";
    fn columns() -> Vec<Column<Self>> {
        database_columns()
    }
}

impl Record for Backup {
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "id",
        "name",
        "status",
        "created_at",
        "size_bytes",
    ];
    const NOUN: &'static str = "backups";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("PROVIDER", |b| b.provider.to_string()).gives(9, Give::Trim(8)),
            column("PROFILE", |b| b.profile.clone()).gives(1, Give::Repeats("PROVIDER")),
            // The database the list is of: the same on every row.
            column("DATABASE", |b| b.database_id.clone()).gives(2, Give::Hide),
            column("ID", |b| b.id.clone()),
            column("NAME", |b| opt(&b.name)),
            column("STATUS", |b| opt(&b.status))
                .colored(|b| Color::of_status(b.status.as_deref().unwrap_or_default())),
            column("CREATED", |b| opt(&b.created_at)).gives(4, Give::Hide),
            column("SIZE", |b| size(b.size_bytes))
                .sorts(|b| SortValue::number(b.size_bytes.map(|s| s as f64)))
                .gives(3, Give::Hide),
        ]
    }
}

impl Record for Task {
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "id",
        "status",
        "provider_status",
        "resource_id",
        "error",
    ];
    const NOUN: &'static str = "tasks";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("PROVIDER", |t| t.provider.to_string()).gives(9, Give::Trim(8)),
            column("PROFILE", |t| t.profile.clone()).gives(1, Give::Repeats("PROVIDER")),
            column("ID", |t| t.id.clone()),
            column("STATUS", |t| t.status.to_string())
                .colored(|t| Color::of_status(&t.status.to_string())),
            column("RESOURCE", |t| opt(&t.resource_id)).gives(2, Give::Shorten(12)),
            column("ERROR", |t| opt(&t.error)).gives(3, Give::Wrap(20)),
        ]
    }
}

impl Record for Ping {
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "name",
        "endpoint",
        "port",
        "tls",
        "ok",
        "latency_ms",
        "error",
    ];
    const NOUN: &'static str = "databases to ping";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        fn ms(ping: &Ping, pick: fn(&Latency) -> f64) -> Option<f64> {
            ping.latency_ms.as_ref().map(pick)
        }
        vec![
            column("PROVIDER", |p| p.provider.to_string()).gives(8, Give::Shorten(8)),
            column("PROFILE", |p| p.profile.clone()).gives(1, Give::Repeats("PROVIDER")),
            column("ID", |p| p.database_id.clone()),
            column("NAME", |p| opt(&p.name)),
            column("ENDPOINT", |p| host_port(&p.endpoint, p.port)).gives(4, Give::Shorten(24)),
            column("TLS", |p| opt(&p.tls)).gives(5, Give::Hide),
            column("RESULT", |p| {
                (if p.ok { "ok" } else { "failed" }).to_string()
            })
            .colored(|p| if p.ok { Color::Green } else { Color::Red }),
            column("MIN MS", |p| opt(&ms(p, |l| l.min)))
                .sorts(|p| SortValue::number(ms(p, |l| l.min)))
                .gives(2, Give::Hide),
            column("AVG MS", |p| opt(&ms(p, |l| l.avg)))
                .sorts(|p| SortValue::number(ms(p, |l| l.avg)))
                .gives(7, Give::Hide),
            column("MAX MS", |p| opt(&ms(p, |l| l.max)))
                .sorts(|p| SortValue::number(ms(p, |l| l.max)))
                .gives(3, Give::Hide),
            column("ERROR", |p| opt(&p.error)).gives(6, Give::Wrap(20)),
        ]
    }
}
