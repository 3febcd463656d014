//! Redis Enterprise records → the model.
use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{rfc3339_from_text, rfc3339_from_unix, Database, Status, Task, TaskStatus};
use crate::model::{Connection, RedisConnection};
use crate::provider::Shared;

const KIND: ProviderKind = ProviderKind::RedisEnterprise;

pub(super) fn database(record: &Value, profile: &str, shared: &Shared) -> Result<Database> {
    let bdb = bdb(record)?;
    let id = bdb.uid.clone().unwrap_or_default();
    let name = bdb.name.clone().unwrap_or_else(|| id.clone());
    let mut db = Database::new(KIND, profile, id, name);
    db.status = status(bdb.status.as_deref());
    db.provider_status = bdb.status.clone();
    db.endpoint = host(&bdb);
    db.port = port(&bdb);
    db.tls = tls(&bdb);
    db.memory_limit_bytes = bdb.memory_size.filter(|m| *m > 0);
    db.created_at = created_at(&bdb.created_time);
    db.raw = shared.raw_record(record);
    db.facts.backups = bdb.backup;
    db.facts.persistence = bdb
        .data_persistence
        .as_deref()
        .map(|p| !p.trim().eq_ignore_ascii_case("disabled"));
    db.facts.settings = crate::provider::reported([
        ("shards_count", bdb.shards_count.map(Value::from)),
        ("replication", bdb.replication.map(Value::from)),
        ("eviction_policy", bdb.eviction_policy.map(Value::from)),
        ("data_persistence", bdb.data_persistence.map(Value::from)),
    ]);
    Ok(db)
}

/// `stats/last` (an object keyed by uid) → each database's usage, in order; a database the
/// answer leaves out has no figures (nulls), not an error.
pub(super) fn usages(answer: &Value, databases: &[Database]) -> Vec<Result<Usage>> {
    databases
        .iter()
        .map(|db| {
            let sample = answer
                .get(&db.id)
                .and_then(|v| wire::Sample::deserialize(v).ok())
                .unwrap_or_default();
            Ok(Usage {
                memory_used_bytes: sample.used_memory,
                ops_per_sec: sample.instantaneous_ops_per_sec,
                connections: sample.conns,
                sampled_at: sample.etime.as_deref().and_then(rfc3339_from_text),
                ..Usage::of(db)
            }
            .with_ratio())
        })
        .collect()
}

/// The status map of DESIGN.md; unknown words keep `provider_status` and read `unknown`.
pub(super) fn status(word: Option<&str>) -> Status {
    match word.map(|w| w.trim().to_ascii_lowercase()).as_deref() {
        Some("active") => Status::Active,
        Some("active-change-pending" | "pending" | "import-pending" | "recovery") => {
            Status::Pending
        }
        Some("delete-pending") => Status::Deleting,
        Some("creation-failed") => Status::Failed,
        _ => Status::Unknown,
    }
}

/// The host clients use: an endpoint's DNS name, else the master address, else an IP.
fn host(bdb: &wire::Bdb) -> Option<String> {
    let named = bdb
        .endpoints
        .iter()
        .flat_map(|e| [&e.dns_name, &e.dns_address_master])
        .chain([&bdb.dns_address_master])
        .flatten();
    let addresses = bdb.endpoints.iter().flat_map(|e| e.addr.iter());
    named
        .chain(addresses)
        .find_map(|h| crate::sanitize::host(&strip_port(h)))
}

/// `host:port` → `host`; `[v6]:port` → `v6`; a bare IPv6 address stays whole.
fn strip_port(text: &str) -> String {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match text.split_once(':') {
        Some((host, port)) if !port.contains(':') => host.to_string(),
        _ => text.to_string(),
    }
}

fn port(bdb: &wire::Bdb) -> Option<u16> {
    bdb.port
        .or_else(|| bdb.endpoints.iter().find_map(|e| e.port))
}

/// `tls_mode` when present (`replica_ssl` secures replication only), else `ssl`.
fn tls(bdb: &wire::Bdb) -> Option<bool> {
    match bdb
        .tls_mode
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("enabled") => Some(true),
        Some("disabled" | "replica_ssl") => Some(false),
        _ => bdb.ssl,
    }
}

fn created_at(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => rfc3339_from_text(text.trim())
            .or_else(|| text.trim().parse::<i64>().ok().and_then(rfc3339_from_unix)),
        Value::Number(n) => n.as_i64().and_then(rfc3339_from_unix),
        _ => None,
    }
}

pub(super) fn connection(record: &Value, id: &str) -> Result<Connection> {
    let bdb = bdb(record)?;
    let host = host(&bdb).ok_or_else(|| {
        Error::provider_error(format!(
            "redis-enterprise database {id} has no usable endpoint (status {})",
            bdb.status.as_deref().unwrap_or("unknown")
        ))
        .with_provider(KIND)
    })?;
    let tls = tls(&bdb).unwrap_or(false);
    Ok(Connection::Redis(RedisConnection {
        host,
        port: port(&bdb),
        tls,
        user: None,
        password: bdb.authentication_redis_pass,
        database: id.to_string(),
        regions: Vec::new(),
    }))
}

pub(super) fn task(record: &Value, id: &str, profile: &str) -> Result<Task> {
    let action = wire::Action::deserialize(record).map_err(|e| undecodable("action", e))?;
    let word = action.status.clone().unwrap_or_default();
    let status = match word.trim().to_ascii_lowercase().as_str() {
        "queued" | "pending" | "" => TaskStatus::Pending,
        "running" | "started" | "in-progress" => TaskStatus::Running,
        "completed" | "done" | "finished" => TaskStatus::Completed,
        "failed" | "error" | "aborted" | "cancelled" => TaskStatus::Failed,
        _ => TaskStatus::Running,
    };
    let progress = progress(&action.progress).filter(|_| !status.is_done());
    let provider_status = match (action.status.clone(), progress) {
        (Some(word), Some(p)) => Some(format!("{word} ({p}%)")),
        (word, _) => word,
    };
    Ok(Task {
        provider: KIND,
        profile: profile.to_string(),
        id: action.action_uid.unwrap_or_else(|| id.to_string()),
        status,
        provider_status,
        resource_id: action
            .object_name
            .as_deref()
            .and_then(|o| o.strip_prefix("bdb:"))
            .map(str::to_string),
        error: (status == TaskStatus::Failed)
            .then(|| action.error.or(action.message))
            .flatten(),
    })
}

/// Progress as a number: `45`, `45.5`, `"45"`, `"45%"`.
fn progress(value: &Value) -> Option<String> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
        _ => None,
    }?;
    number
        .is_finite()
        .then(|| format!("{}", (number * 10.0).round() / 10.0))
}

fn bdb(record: &Value) -> Result<wire::Bdb> {
    wire::Bdb::deserialize(record).map_err(|e| undecodable("database", e))
}

fn undecodable(what: &str, error: serde_json::Error) -> Error {
    Error::provider_error(format!(
        "redis-enterprise sent a {what} record dbctl cannot read: {error}"
    ))
    .with_provider(KIND)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::{
        arbitrary_json, arbitrary_record, refused, test_shared, well_formed, well_formed_usage,
    };
    use proptest::prelude::*;
    use serde_json::json;

    const FIELDS: &[&str] = &[
        "uid",
        "name",
        "status",
        "memory_size",
        "port",
        "endpoints",
        "dns_address_master",
        "tls_mode",
        "ssl",
        "created_time",
        "authentication_redis_pass",
        "progress",
        "action_uid",
        "object_name",
        "error",
        "shards_count",
        "replication",
        "backup",
        "data_persistence",
        "used_memory",
        "conns",
        "instantaneous_ops_per_sec",
        "etime",
    ];

    /// Whatever the record: a well-formed database or a provider error, a connection to a
    /// host, a task that shows an error only when failed and no progress once done, and one
    /// usage of the database's own per database asked.
    fn feed_everything(record: &Value) -> Result<(), TestCaseError> {
        match database(record, "p", &test_shared()) {
            Ok(db) => well_formed(&db, KIND, "p")?,
            Err(error) => refused(&error, KIND)?,
        }
        match connection(record, "1") {
            Ok(Connection::Redis(c)) => {
                prop_assert_eq!(crate::sanitize::host(&c.host), Some(c.host.clone()))
            }
            Ok(other) => prop_assert!(false, "not a Redis connection: {:?}", other),
            Err(error) => refused(&error, KIND)?,
        }
        match task(record, "1", "p") {
            Ok(task) => {
                prop_assert!(task.error.is_none() || task.status == TaskStatus::Failed);
                if task.status.is_done() {
                    prop_assert!(!task.provider_status.unwrap_or_default().ends_with("%)"));
                }
            }
            Err(error) => refused(&error, KIND)?,
        }
        let db = Database::new(KIND, "p", "1".into(), "n".into());
        for answer in [json!({ "1": record }), record.clone()] {
            let answers = usages(&answer, std::slice::from_ref(&db));
            prop_assert_eq!(answers.len(), 1);
            for usage in answers {
                well_formed_usage(&usage.map_err(|e| TestCaseError::fail(e.message))?, &db)?;
            }
        }
        Ok(())
    }

    /// What `export` writes and `plan` compares is what the registry declares, typed.
    #[test]
    fn the_declared_settings_are_reported_typed() {
        let record = json!({"uid": 1, "shards_count": 2, "replication": true,
            "eviction_policy": "allkeys-lru", "data_persistence": "aof"});
        let db = database(&record, "p", &crate::provider::testing::plain_shared()).unwrap();
        assert_eq!(db.raw, None);
        let keys: Vec<&str> = db.facts.settings.keys().copied().collect();
        let mut declared = super::super::SETTINGS.to_vec();
        declared.sort_unstable();
        assert_eq!(keys, declared);
        assert_eq!(db.facts.settings["shards_count"], json!(2));
        assert_eq!(db.facts.settings["replication"], json!(true));
    }

    #[test]
    fn stats_samples_map_to_usage_and_settings_to_facts() {
        let mut db = database(
            &json!({"uid": 1, "memory_size": 1000, "backup": true, "data_persistence": "aof"}),
            "p",
            &test_shared(),
        )
        .unwrap();
        assert_eq!(
            (db.facts.backups, db.facts.persistence),
            (Some(true), Some(true))
        );
        db.facts.persistence = None;
        let sample = json!({"1": {"etime": "2025-10-14T00:01:47Z", "used_memory": 250.0,
            "conns": 3.0, "instantaneous_ops_per_sec": 2.5}});
        let usage = usages(&sample, &[db.clone()]).remove(0).unwrap();
        assert_eq!(usage.memory_used_bytes, Some(250));
        assert_eq!(usage.memory_used_ratio, Some(0.25));
        assert_eq!((usage.connections, usage.ops_per_sec), (Some(3), Some(2.5)));
        assert_eq!(usage.sampled_at.as_deref(), Some("2025-10-14T00:01:47Z"));
        let off = database(
            &json!({"uid": 2, "data_persistence": "disabled"}),
            "p",
            &test_shared(),
        )
        .unwrap();
        assert_eq!(off.facts.persistence, Some(false));
    }

    proptest::proptest! {
        /// Any JSON at all.
        #[test]
        fn arbitrary_json_reads_or_is_refused(value in arbitrary_json()) {
            feed_everything(&value)?;
        }

        /// Any mix of the bdb/action fields with any values.
        #[test]
        fn arbitrary_records_read_or_are_refused(record in arbitrary_record(FIELDS)) {
            feed_everything(&record)?;
        }
    }

    #[test]
    fn ports_are_stripped_from_hosts() {
        assert_eq!(
            strip_port("redis-12000.c.example:12000"),
            "redis-12000.c.example"
        );
        assert_eq!(strip_port("10.0.0.5"), "10.0.0.5");
        assert_eq!(strip_port("[fe80::1]:12000"), "fe80::1");
        assert_eq!(strip_port("fe80::1"), "fe80::1");
    }

    #[test]
    fn statuses_follow_the_design() {
        for (word, status) in [
            ("active", Status::Active),
            ("active-change-pending", Status::Pending),
            ("import-pending", Status::Pending),
            ("recovery", Status::Pending),
            ("pending", Status::Pending),
            ("delete-pending", Status::Deleting),
            ("creation-failed", Status::Failed),
            ("something-new", Status::Unknown),
        ] {
            assert_eq!(super::status(Some(word)), status, "{word}");
        }
    }

    #[test]
    fn progress_reads_numbers_and_strings() {
        assert_eq!(progress(&json!(45)).as_deref(), Some("45"));
        assert_eq!(progress(&json!("45.25%")).as_deref(), Some("45.3"));
        assert_eq!(progress(&json!("n/a")), None);
        assert_eq!(progress(&json!(null)), None);
    }
}
