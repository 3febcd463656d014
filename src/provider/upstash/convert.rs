//! Upstash records → the model.
use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{rfc3339_from_unix, Backup, Database, Status};
use crate::model::{Connection, RedisConnection};
use crate::provider::Shared;

pub(super) fn database(record: &Value, profile: &str, shared: &Shared) -> Result<Database> {
    let wire = wire::Database::deserialize(record).map_err(|e| undecodable("database", e))?;
    let id = wire.database_id.clone().unwrap_or_default();
    let name = wire.database_name.clone().unwrap_or_else(|| id.clone());
    let mut db = Database::new(ProviderKind::Upstash, profile, id, name);
    db.status = status(wire.state.as_deref());
    db.provider_status = wire.state;
    // `region` says "global" on new databases; the useful value is primary_region.
    db.region = wire
        .primary_region
        .or(wire.region)
        .filter(|r| !r.is_empty() && r != "global");
    db.endpoint = wire.endpoint.as_deref().and_then(host);
    db.port = wire.port;
    db.tls = wire.tls;
    db.memory_limit_bytes = wire.db_memory_threshold;
    db.plan = wire
        .plan
        .filter(|p| !p.trim().is_empty())
        .or_else(|| wire.database_type.as_deref().and_then(plan_word));
    db.created_at = wire.creation_time.and_then(rfc3339_from_unix);
    db.raw = shared.raw_record(record);
    db.facts.backups = wire.daily_backup_enabled;
    Ok(db)
}

/// Stats → usage: the latest non-null point of each series (the newest is often null), the
/// limit from the database record (`db_memory_threshold`).
pub(super) fn usage(record: &Value, db: &Database) -> Result<Usage> {
    let stats = wire::Stats::deserialize(record).map_err(|e| undecodable("stats", e))?;
    let throughput = latest(&stats.throughput);
    let used = stats
        .current_storage
        .or_else(|| latest(&stats.diskusage).and_then(|(_, y)| whole(y)));
    Ok(Usage {
        memory_used_bytes: used,
        storage_bytes: used,
        ops_per_sec: throughput.map(|(_, y)| y),
        connections: latest(&stats.connection_count).and_then(|(_, y)| whole(y)),
        sampled_at: throughput
            .or_else(|| latest(&stats.connection_count))
            .and_then(|(x, _)| x.and_then(rfc3339_from_go)),
        ..Usage::of(db)
    }
    .with_ratio())
}

/// The newest point whose value is a number, and its time text.
fn latest(series: &[wire::Point]) -> Option<(Option<&str>, f64)> {
    series
        .iter()
        .rev()
        .find_map(|p| p.y.map(|y| (p.x.as_deref(), y)))
}

fn whole(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0 && value <= u64::MAX as f64).then(|| value.round() as u64)
}

/// Go's `time.Time` text (`2025-08-31 15:12:52.799480932 +0000 UTC`, maybe with a
/// ` m=+1.2` monotonic suffix) → RFC 3339 UTC.
fn rfc3339_from_go(text: &str) -> Option<String> {
    let mut parts = text.split_whitespace();
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    chrono::DateTime::parse_from_str(
        &format!("{date} {time} {offset}"),
        "%Y-%m-%d %H:%M:%S%.f %z",
    )
    .ok()
    .map(|t| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

fn status(state: Option<&str>) -> Status {
    match state.map(str::to_ascii_lowercase).as_deref() {
        Some("active") => Status::Active,
        // "passive" is a database Upstash has put to sleep; it answers no traffic.
        Some("suspended") | Some("passive") => Status::Suspended,
        Some("deleting") => Status::Deleting,
        Some("pending") | Some("creating") => Status::Pending,
        Some("failed") => Status::Failed,
        _ => Status::Unknown,
    }
}

/// An older record's `database_type` → the word `type` uses today (`free`, `payg`, `pro`);
/// a name dbctl does not know stays as the provider wrote it.
fn plan_word(database_type: &str) -> Option<String> {
    let words = database_type.trim();
    let key: String = words
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let plan = match key.as_str() {
        "" => return None,
        "free" => "free",
        "payasyougo" | "payg" => "payg",
        // "Pro", "Pro 2K", "Pro 10K" (not "Prod Pack").
        _ if key
            .strip_prefix("pro")
            .is_some_and(|size| size.chars().next().is_none_or(|c| c.is_ascii_digit())) =>
        {
            "pro"
        }
        _ => words,
    };
    Some(plan.to_string())
}

/// A slug (`beloved-stallion-58500`, one DNS label) is served at `<slug>.upstash.io`; a full
/// host stays; anything else (a URL, `user:pw@host`, a path) is no usable endpoint, never a
/// host cut out of it.
fn host(endpoint: &str) -> Option<String> {
    let label = |text: &str| {
        !text.is_empty()
            && !text.starts_with('-')
            && !text.ends_with('-')
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if label(endpoint) {
        crate::sanitize::host(&format!("{endpoint}.upstash.io"))
    } else {
        crate::sanitize::host(endpoint)
    }
}

pub(super) fn backup(record: &Value, database_id: &str, profile: &str) -> Backup {
    let wire = wire::Backup::deserialize(record).unwrap_or(wire::Backup {
        backup_id: None,
        name: None,
        creation_time: None,
        state: None,
        backup_size: None,
    });
    Backup {
        provider: ProviderKind::Upstash,
        profile: profile.to_string(),
        database_id: database_id.to_string(),
        id: wire.backup_id.unwrap_or_default(),
        name: wire.name,
        status: wire.state,
        created_at: wire.creation_time.and_then(|t| {
            // The docs say seconds; some records carry milliseconds.
            rfc3339_from_unix(if t > 100_000_000_000 { t / 1000 } else { t })
        }),
        size_bytes: wire.backup_size,
    }
}

pub(super) fn connection(record: &Value, id: &str) -> Result<Connection> {
    let wire = wire::Database::deserialize(record).map_err(|e| undecodable("database", e))?;
    let host = wire.endpoint.as_deref().and_then(host).ok_or_else(|| {
        Error::provider_error(format!("upstash database {id} has no usable endpoint"))
    })?;
    let tls = wire.tls.unwrap_or(true);
    Ok(Connection::Redis(RedisConnection {
        host,
        port: wire.port,
        tls,
        user: Some("default".into()),
        password: wire.password,
        database: id.to_string(),
        regions: Vec::new(),
    }))
}

fn undecodable(what: &str, error: serde_json::Error) -> Error {
    Error::provider_error(format!(
        "upstash sent a {what} record dbctl cannot read: {error}"
    ))
    .with_provider(ProviderKind::Upstash)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::provider::testing::{
        arbitrary_json, arbitrary_record, refused, test_shared, well_formed, well_formed_usage,
    };
    use proptest::prelude::*;

    const KIND: ProviderKind = ProviderKind::Upstash;

    /// Whatever the record: a well-formed database or a provider error, a backup of the
    /// database asked for (its time in RFC 3339 UTC), a connection to a host, and a usage of
    /// the database's own or a provider error.
    fn feed_everything(record: &Value) -> Result<(), TestCaseError> {
        match database(record, "p", &test_shared()) {
            Ok(db) => well_formed(&db, KIND, "p")?,
            Err(error) => refused(&error, KIND)?,
        }
        let backup = backup(record, "db", "p");
        prop_assert_eq!(
            (backup.database_id.as_str(), backup.profile.as_str()),
            ("db", "p")
        );
        if let Some(created) = &backup.created_at {
            prop_assert!(
                chrono::DateTime::parse_from_rfc3339(created).is_ok(),
                "{}",
                created
            );
        }
        match connection(record, "id") {
            Ok(Connection::Redis(c)) => {
                prop_assert_eq!(crate::sanitize::host(&c.host), Some(c.host.clone()))
            }
            Ok(other) => prop_assert!(false, "not a Redis connection: {:?}", other),
            Err(error) => refused(&error, KIND)?,
        }
        let db = Database::new(KIND, "p", "id".into(), "n".into());
        match usage(record, &db) {
            Ok(usage) => well_formed_usage(&usage, &db)?,
            Err(error) => refused(&error, KIND)?,
        }
        Ok(())
    }

    proptest::proptest! {
        /// Any JSON value at all: a database, an error, or nonsense.
        #[test]
        fn arbitrary_json_reads_or_is_refused(value in arbitrary_json()) {
            feed_everything(&value)?;
        }

        /// Any mix of Upstash's own fields with any values.
        #[test]
        fn arbitrary_records_read_or_are_refused(record in arbitrary_record(&[
            "database_id", "database_name", "region", "primary_region", "port", "creation_time",
            "state", "endpoint", "tls", "db_memory_threshold", "type", "database_type", "password",
            "backup_id", "name", "backup_size", "current_storage", "throughput", "diskusage",
            "connection_count", "daily_backup_enabled",
        ])) {
            feed_everything(&record)?;
        }
    }

    #[test]
    fn older_plan_names_become_todays_words() {
        assert_eq!(plan_word("Pay as You Go").as_deref(), Some("payg"));
        assert_eq!(plan_word("Pay-as-you-go").as_deref(), Some("payg"));
        assert_eq!(plan_word("Free").as_deref(), Some("free"));
        assert_eq!(plan_word("Pro 2K").as_deref(), Some("pro"));
        assert_eq!(plan_word("Enterprise").as_deref(), Some("Enterprise"));
        assert_eq!(plan_word("Prod Pack").as_deref(), Some("Prod Pack"));
        assert_eq!(plan_word("  "), None);
    }

    #[test]
    fn go_times_become_rfc3339() {
        assert_eq!(
            rfc3339_from_go("2025-08-31 15:12:52.799480932 +0000 UTC").as_deref(),
            Some("2025-08-31T15:12:52Z")
        );
        assert_eq!(
            rfc3339_from_go("2023-05-22 10:59:23.426 +0200 CEST m=+0.1").as_deref(),
            Some("2023-05-22T08:59:23Z")
        );
        assert_eq!(rfc3339_from_go("2023-05-22T10:59:23Z"), None);
        assert_eq!(rfc3339_from_go(""), None);
    }

    #[test]
    fn usage_takes_the_newest_non_null_points() {
        let db = {
            let mut db = Database::new(ProviderKind::Upstash, "p", "id".into(), "n".into());
            db.memory_limit_bytes = Some(1000);
            db
        };
        let stats = serde_json::json!({
            "current_storage": 250,
            "throughput": [{"x": "2025-08-31 15:12:00.1 +0000 UTC", "y": 3.5},
                           {"x": "2025-08-31 15:13:00.1 +0000 UTC", "y": 7.25},
                           {"x": "2025-08-31 15:14:00.1 +0000 UTC", "y": null}],
            "connection_count": [{"x": "2025-08-31 15:13:00 +0000 UTC", "y": 12}],
        });
        let usage = usage(&stats, &db).unwrap();
        assert_eq!(usage.ops_per_sec, Some(7.25));
        assert_eq!(usage.connections, Some(12));
        assert_eq!(usage.memory_used_bytes, Some(250));
        assert_eq!(usage.memory_used_ratio, Some(0.25));
        assert_eq!(usage.sampled_at.as_deref(), Some("2025-08-31T15:13:00Z"));
        let bare = usage_of(
            serde_json::json!({"diskusage": [{"x": 1, "y": 9}], "throughput": "x"}),
            &db,
        );
        assert_eq!(
            (bare.memory_used_bytes, bare.ops_per_sec, bare.sampled_at),
            (Some(9), None, None)
        );
    }

    fn usage_of(value: Value, db: &Database) -> Usage {
        usage(&value, db).unwrap()
    }

    #[test]
    fn slugs_become_hosts_and_anything_else_no_host() {
        let host = |text| host(text).unwrap_or_default();
        assert_eq!(
            host("beloved-stallion-58500"),
            "beloved-stallion-58500.upstash.io"
        );
        assert_eq!(host("eu1-x.upstash.io"), "eu1-x.upstash.io");
        assert_eq!(host("10.0.0.7"), "10.0.0.7");
        assert_eq!(host("2001:db8::1"), "2001:db8::1");
        assert_eq!(host("[2001:db8::1]"), "2001:db8::1");
        for bad in [
            "user:pw@evil.example",
            "evil.example/path?x=1",
            "https://eu1-x.upstash.io:6379",
            "[2001:db8::1]:6379",
            "eu1-x.upstash.io:6379",
            "-slug",
            "slug-",
            " slug",
            "",
            "x\nBASH_ENV=./x",
        ] {
            assert_eq!(host(bad), "", "{bad:?}");
        }
    }
}
