//! Redis Cloud records → the model.
use serde::Deserialize;
use serde_json::Value;

use super::wire;
use super::Kind;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{rfc3339_from_text, Database, Region, Status, Task, TaskStatus};
use crate::model::{Connection, RedisConnection, RegionConnection};
use crate::provider::Shared;

const GIB: f64 = (1u64 << 30) as f64;

/// Where a database record came from.
pub(super) struct Origin<'a> {
    pub profile: &'a str,
    pub kind: Kind,
    pub subscription: &'a str,
    /// The subscription's region, used when the database record names none.
    pub region: Option<&'a str>,
}

/// A subscription id and its region, from the subscription list.
pub(super) fn subscription(record: &Value) -> Option<(String, Option<String>, Option<u64>)> {
    let wire = wire::Subscription::deserialize(record).ok()?;
    let id = wire.id.filter(|id| !id.is_empty())?;
    let region = wire.region.or_else(|| {
        wire.cloud_details
            .into_iter()
            .flat_map(|c| c.regions)
            .find_map(|r| r.region)
    });
    Some((
        id,
        region.filter(|r| !r.is_empty()),
        wire.number_of_databases,
    ))
}

/// The database id inside a record, if it has one.
pub(super) fn database_id(record: &Value) -> Option<String> {
    wire::Database::deserialize(record)
        .ok()
        .and_then(|w| w.database_id)
}

pub(super) fn database(record: &Value, origin: &Origin, shared: &Shared) -> Result<Database> {
    let wire = wire::Database::deserialize(record).map_err(|e| undecodable("database", e))?;
    let database_id = wire.database_id.clone().unwrap_or_default();
    let id = format!("{}/{database_id}", origin.subscription);
    let name = wire.name.clone().unwrap_or_else(|| database_id.clone());
    let mut db = Database::new(ProviderKind::RedisCloud, origin.profile, id, name);
    db.status = status(wire.status.as_deref());
    db.provider_status = wire.status.clone();
    // Active-Active: the top-level fields show the first region.
    let regions: Vec<(&str, &wire::Placement)> = crdb_regions(&wire).collect();
    let first = regions.first().map(|(_, r)| *r);
    db.region = regions
        .first()
        .map(|(name, _)| name.to_string())
        .or_else(|| wire.placement.region.clone().filter(|r| !r.is_empty()))
        .or_else(|| origin.region.map(str::to_string));
    let place = first.unwrap_or(&wire.placement);
    if let Some((host, port)) = place.public_endpoint.as_deref().and_then(endpoint) {
        db.endpoint = Some(host);
        db.port = port;
    }
    db.tls = place.security.as_ref().and_then(|s| s.enable_tls);
    db.memory_limit_bytes = first
        .and_then(|r| gib_bytes(r.dataset_size_in_gb.or(r.memory_limit_in_gb)?))
        .or_else(|| memory_bytes(&wire));
    db.regions = (!regions.is_empty()).then(|| {
        regions
            .iter()
            .map(|(name, r)| {
                let (endpoint, port) = r
                    .public_endpoint
                    .as_deref()
                    .and_then(endpoint)
                    .map_or((None, None), |(host, port)| (Some(host), port));
                Region {
                    region: name.to_string(),
                    endpoint,
                    port,
                    tls: r.security.as_ref().and_then(|s| s.enable_tls),
                    memory_used_bytes: used_bytes(r),
                }
            })
            .collect()
    });
    db.plan = Some(origin.kind.plan().to_string());
    db.created_at = wire.activated_on.as_deref().and_then(rfc3339_from_text);
    db.raw = shared.raw_record(record);
    // Active-Active: the region that uses most (its regions hold the same data, so the
    // fullest is the one nearest its limit).
    db.facts.memory_used_bytes = regions
        .iter()
        .filter_map(|(_, r)| used_bytes(r))
        .max()
        .or_else(|| used_bytes(&wire.placement));
    db.facts.persistence = wire
        .data_persistence
        .as_deref()
        .map(|p| !p.trim().eq_ignore_ascii_case("none"));
    db.facts.settings = crate::provider::reported([
        ("replication", wire.replication.map(Value::from)),
        (
            "dataPersistence",
            wire.data_persistence.clone().map(Value::from),
        ),
    ]);
    db.facts.backups = wire
        .backup
        .as_ref()
        .and_then(|b| b.enable_remote_backup.or(b.remote_backup_enabled));
    // Only a record with a password spares the read: without one, the database's own
    // record is asked (as `db url` does).
    db.facts.connection = connection_of(&wire, &db.id)
        .ok()
        .filter(|c| matches!(c, Connection::Redis(r) if r.password.is_some()));
    Ok(db)
}

/// `memoryUsedInMb` in bytes; `None` when absent, negative or absurd.
fn used_bytes(place: &wire::Placement) -> Option<u64> {
    place
        .memory_used_in_mb
        .filter(|mb| *mb >= 0.0 && *mb < 1e12)
        .map(|mb| (mb * 1024.0 * 1024.0).round() as u64)
}

/// Usage from the record alone: `memoryUsedInMb`, which the control plane rounds and
/// refreshes coarsely; ops/sec and connections are not in the API.
pub(super) fn usage(db: &Database) -> Usage {
    Usage {
        memory_used_bytes: db.facts.memory_used_bytes,
        note: Some(
            "redis-cloud memory is the API's coarse memoryUsedInMb; its API has no ops/sec or connection figures".into(),
        ),
        ..Usage::of(db)
    }
    .with_ratio()
}

/// Redis Cloud's database status words; documented ones never fall to `unknown`.
fn status(word: Option<&str>) -> Status {
    match word.map(str::to_ascii_lowercase).as_deref() {
        Some("active") => Status::Active,
        Some(
            "pending"
            | "draft"
            | "active-change-pending"
            | "active-change-draft"
            | "import-pending"
            | "recovery"
            | "rcp-change-pending"
            | "rcp-draft"
            | "rcp-active-change-draft",
        ) => Status::Pending,
        Some("deleting" | "delete-pending") => Status::Deleting,
        Some("error" | "creation-failed" | "failed") => Status::Failed,
        _ => Status::Unknown,
    }
}

/// `host:port` → host and port. A missing or broken port keeps the host; a value that is no
/// host at all gives nothing.
pub(super) fn endpoint(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    let text = text.split_once("://").map(|(_, rest)| rest).unwrap_or(text);
    let text = text.split('/').next().unwrap_or(text);
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        // [v6::addr]:port
        let (host, tail) = rest.split_once(']')?;
        (host, tail.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return None,
            None => (text, None),
        }
    };
    let host = crate::sanitize::host(host)?;
    let port = port
        .and_then(|p| p.trim().parse::<u16>().ok())
        .filter(|p| *p != 0);
    Some((host, port))
}

/// The Active-Active regions whose name is a plain region word (letters, digits, `-_.`), in
/// the provider's order; others cannot be named on the command line and are left out.
fn crdb_regions(wire: &wire::Database) -> impl Iterator<Item = (&str, &wire::Placement)> {
    wire.crdb_databases.iter().filter_map(|r| {
        let name = r.region.as_deref()?.trim();
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        plain.then_some((name, r))
    })
}

fn memory_bytes(wire: &wire::Database) -> Option<u64> {
    let gib = wire
        .placement
        .dataset_size_in_gb
        .or(wire.placement.memory_limit_in_gb)
        .or_else(|| {
            let size = wire.plan_memory_limit?;
            match wire
                .memory_limit_unit
                .as_deref()
                .map(str::to_ascii_uppercase)
            {
                Some(unit) if unit == "MB" => Some(size / 1024.0),
                Some(unit) if unit == "GB" => Some(size),
                _ => None,
            }
        })?;
    gib_bytes(gib)
}

/// Redis Cloud's decimal GiB → bytes; `None` for zero, negative or absurd sizes.
fn gib_bytes(gib: f64) -> Option<u64> {
    let bytes = gib * GIB;
    (bytes.is_finite() && bytes > 0.0 && bytes < u64::MAX as f64 / 2.0)
        .then(|| bytes.round() as u64)
}

/// Bytes → the decimal GiB Redis Cloud takes (`datasetSizeInGb`), to the nearest KiB.
pub(super) fn gib(bytes: u64) -> f64 {
    ((bytes as f64 / GIB) * 1_048_576.0).round() / 1_048_576.0
}

/// A task record (the 202 answer of a write, or `GET /tasks/{id}`).
/// `subscription` is the one the task was started for, when this run knows it.
pub(super) fn task(record: &Value, id: &str, profile: &str, subscription: Option<&str>) -> Task {
    let wire = wire::Task::deserialize(record).unwrap_or(wire::Task {
        task_id: None,
        status: None,
        description: None,
        response: None,
        links: Vec::new(),
    });
    let status = match wire
        .status
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("processing-in-progress") => TaskStatus::Running,
        Some("processing-completed") => TaskStatus::Completed,
        Some("processing-error") => TaskStatus::Failed,
        // initialized, received, and words not documented yet: not started.
        _ => TaskStatus::Pending,
    };
    let response = wire.response.unwrap_or_default();
    let links = wire.links.iter().chain(response.links.iter());
    let linked = links
        .filter(|l| l.rel.as_deref().is_none_or(|r| r != "self"))
        .find_map(|l| l.href.as_deref().and_then(database_link));
    let resource_id = linked.or_else(|| {
        let resource = response.resource_id.filter(|r| !r.is_empty())?;
        Some(match subscription {
            Some(sub) if !resource.contains('/') => format!("{sub}/{resource}"),
            _ => resource,
        })
    });
    let error = (status == TaskStatus::Failed).then(|| {
        let error = response.error.unwrap_or_default();
        error
            .description
            .or(error.kind)
            .or(wire.description.clone())
            .map(|text| crate::credentials::redact_text(&text))
            .unwrap_or_else(|| "no reason given".into())
    });
    Task {
        provider: ProviderKind::RedisCloud,
        profile: profile.to_string(),
        id: wire.task_id.unwrap_or_else(|| id.to_string()),
        status,
        provider_status: wire.status,
        resource_id,
        error,
    }
}

/// `.../subscriptions/{s}/databases/{d}` (Pro or Essentials) in a link → `"s/d"`.
fn database_link(href: &str) -> Option<String> {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts.iter().rposition(|p| *p == "databases")?;
    let database = parts.get(at + 1)?;
    let subscription = parts.get(at.checked_sub(1)?)?;
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (at >= 2 && parts[at - 2] == "subscriptions" && is_id(subscription) && is_id(database))
        .then(|| format!("{subscription}/{database}"))
}

pub(super) fn connection(record: &Value, id: &str) -> Result<Connection> {
    let wire = wire::Database::deserialize(record).map_err(|e| undecodable("database", e))?;
    connection_of(&wire, id)
}

fn connection_of(wire: &wire::Database, id: &str) -> Result<Connection> {
    // Active-Active: each region with a usable endpoint, its own password or the global one.
    let regions: Vec<RegionConnection> = crdb_regions(wire)
        .filter_map(|(name, r)| {
            let connection = redis_connection(id, r, wire.global_password.as_ref())?;
            Some(RegionConnection {
                region: name.to_string(),
                connection,
            })
        })
        .collect();
    let connection = match regions.first() {
        Some(first) => Some(RedisConnection {
            regions: regions.clone(),
            ..first.connection.clone()
        }),
        None => redis_connection(id, &wire.placement, None),
    };
    connection.map(Connection::Redis).ok_or_else(|| {
        Error::provider_error(format!(
            "redis-cloud database {id} has no usable endpoint yet"
        ))
        .with_provider(ProviderKind::RedisCloud)
        .with_hint("a database that is still pending has no endpoint; try `dbctl db wait ID --status active`")
    })
}

/// One endpoint (public, else private) with its security; `None` without a usable host.
fn redis_connection(
    id: &str,
    place: &wire::Placement,
    fallback_password: Option<&crate::secret::Secret>,
) -> Option<RedisConnection> {
    let (host, port) = place
        .public_endpoint
        .as_deref()
        .and_then(endpoint)
        .or_else(|| place.private_endpoint.as_deref().and_then(endpoint))?;
    let security = place.security.as_ref();
    Some(RedisConnection {
        host,
        port,
        tls: security.and_then(|s| s.enable_tls).unwrap_or(false),
        user: Some("default".into()),
        password: security
            .and_then(|s| s.password.clone())
            .or_else(|| fallback_password.cloned()),
        database: id.to_string(),
        regions: Vec::new(),
    })
}

fn undecodable(what: &str, error: serde_json::Error) -> Error {
    Error::provider_error(format!(
        "redis-cloud sent a {what} record dbctl cannot read: {error}"
    ))
    .with_provider(ProviderKind::RedisCloud)
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
        "databaseId",
        "name",
        "status",
        "publicEndpoint",
        "privateEndpoint",
        "security",
        "datasetSizeInGb",
        "memoryLimitInGb",
        "planMemoryLimit",
        "memoryLimitMeasurementUnit",
        "activatedOn",
        "region",
        "crdbDatabases",
        "globalPassword",
        "protocol",
        "taskId",
        "response",
        "links",
        "id",
        "subscriptions",
    ];

    /// Whatever the record: a database well formed under its subscription (its usage too) or
    /// a provider error; a task failed exactly when it says why; a connection to a host.
    fn feed_everything(record: &Value) -> Result<(), TestCaseError> {
        for kind in [Kind::Pro, Kind::Essentials] {
            let origin = Origin {
                profile: "p",
                kind,
                subscription: "1",
                region: Some("r"),
            };
            match database(record, &origin, &test_shared()) {
                Ok(db) => {
                    well_formed(&db, ProviderKind::RedisCloud, "p")?;
                    prop_assert!(db.id.starts_with("1/"), "{}", db.id);
                    prop_assert_eq!(db.plan.as_deref(), Some(kind.plan()));
                    well_formed_usage(&usage(&db), &db)?;
                }
                Err(error) => refused(&error, ProviderKind::RedisCloud)?,
            }
        }
        if let Some((id, _, _)) = subscription(record) {
            prop_assert!(!id.is_empty());
        }
        let _ = database_id(record);
        let task = task(record, "t", "p", Some("1"));
        prop_assert_eq!(task.error.is_some(), task.status == TaskStatus::Failed);
        match connection(record, "1/2") {
            Ok(Connection::Redis(c)) => {
                prop_assert_eq!(crate::sanitize::host(&c.host), Some(c.host.clone()))
            }
            Ok(other) => prop_assert!(false, "not a Redis connection: {:?}", other),
            Err(error) => refused(&error, ProviderKind::RedisCloud)?,
        }
        Ok(())
    }

    /// What `export` writes and `plan` compares is what the registry declares, typed.
    #[test]
    fn the_declared_settings_are_reported_typed() {
        let origin = Origin {
            profile: "p",
            kind: Kind::Pro,
            subscription: "1",
            region: None,
        };
        let record = json!({"databaseId": 2, "replication": true,
            "dataPersistence": "aof-every-1-second"});
        let db = database(&record, &origin, &crate::provider::testing::plain_shared()).unwrap();
        assert_eq!(db.raw, None);
        let keys: Vec<&str> = db.facts.settings.keys().copied().collect();
        let mut declared = super::super::SETTINGS.to_vec();
        declared.sort_unstable();
        assert_eq!(keys, declared);
        assert_eq!(db.facts.settings["replication"], json!(true));
    }

    proptest::proptest! {
        /// Any JSON at all.
        #[test]
        fn arbitrary_json_reads_or_is_refused(value in arbitrary_json()) {
            feed_everything(&value)?;
        }

        /// Any mix of Redis Cloud's own fields with any values.
        #[test]
        fn arbitrary_records_read_or_are_refused(record in arbitrary_record(FIELDS)) {
            feed_everything(&record)?;
        }

        /// Active-Active records with any mix of per-region fields.
        #[test]
        fn arbitrary_regions_read_or_are_refused(
            regions in proptest::collection::vec(
                arbitrary_record(&["region", "publicEndpoint", "privateEndpoint", "security",
                    "datasetSizeInGb", "memoryLimitInGb"]),
                0..4,
            ),
            global in arbitrary_json(),
        ) {
            feed_everything(&json!({"databaseId": 1, "crdbDatabases": regions, "globalPassword": global}))?;
        }

        /// An endpoint read from any text is a host and a port (never 0) that read back the
        /// same once written as `host:port`.
        #[test]
        fn endpoints_read_back_as_written(text in ".{0,40}") {
            if let Some((host, port)) = endpoint(&text) {
                prop_assert_eq!(crate::sanitize::host(&host), Some(host.clone()));
                prop_assert_ne!(port, Some(0));
                let shown = if host.contains(':') { format!("[{host}]") } else { host.clone() };
                let written = port.map_or(shown.clone(), |port| format!("{shown}:{port}"));
                prop_assert_eq!(endpoint(&written), Some((host, port)));
            }
        }
    }

    #[test]
    fn endpoints_split_or_stay_null() {
        assert_eq!(
            endpoint("redis-12000.c1.us-east-1-2.ec2.cloud.redislabs.com:12000"),
            Some((
                "redis-12000.c1.us-east-1-2.ec2.cloud.redislabs.com".into(),
                Some(12000)
            ))
        );
        assert_eq!(
            endpoint("host.example"),
            Some(("host.example".into(), None))
        );
        assert_eq!(
            endpoint("host.example:99999"),
            Some(("host.example".into(), None))
        );
        assert_eq!(endpoint("[::1]:6379"), Some(("::1".into(), Some(6379))));
        assert_eq!(endpoint(""), None);
        assert_eq!(endpoint(":6379"), None);
        assert_eq!(endpoint("not a host"), None);
        assert_eq!(endpoint("a:b:c"), None);
    }

    #[test]
    fn active_active_regions_need_a_plain_name_and_fall_back_to_the_global_password() {
        let record = json!({"databaseId": 7, "globalPassword": "g", "crdbDatabases": [
            {"region": "bad\u{1b}[2J", "publicEndpoint": "evil.example:1"},
            {"region": "us-east-1", "publicEndpoint": "a.example:1", "security": {"enableTls": true}},
            {"region": "eu-west-1", "privateEndpoint": "b.internal:2",
                "security": {"password": "own"}},
            {"region": "ap-south-1"}
        ]});
        let Ok(Connection::Redis(redis)) = connection(&record, "1/7") else {
            panic!("no connection")
        };
        assert_eq!((redis.host.as_str(), redis.tls), ("a.example", true));
        let regions: Vec<(&str, &str, Option<&str>)> = redis
            .regions
            .iter()
            .map(|r| {
                let c = &r.connection;
                (
                    r.region.as_str(),
                    c.host.as_str(),
                    c.password.as_ref().map(|p| p.expose()),
                )
            })
            .collect();
        assert_eq!(
            regions,
            [
                ("us-east-1", "a.example", Some("g")),
                ("eu-west-1", "b.internal", Some("own"))
            ],
            "no endpoint: not reachable; a name with controls: left out"
        );
        let origin = Origin {
            profile: "p",
            kind: Kind::Pro,
            subscription: "1",
            region: None,
        };
        let db = database(&record, &origin, &test_shared()).unwrap();
        let names: Vec<&str> = db
            .regions
            .iter()
            .flatten()
            .map(|r| r.region.as_str())
            .collect();
        assert_eq!(names, ["us-east-1", "eu-west-1", "ap-south-1"]);
    }

    #[test]
    fn sizes_are_binary_gib() {
        assert_eq!(gib(3 << 29), 1.5);
        assert_eq!(gib(256 << 20), 0.25);
        let w: wire::Database = serde_json::from_value(json!({"memoryLimitInGb": "0.5"})).unwrap();
        assert_eq!(memory_bytes(&w), Some(512 << 20));
        let w: wire::Database = serde_json::from_value(
            json!({"planMemoryLimit": 250, "memoryLimitMeasurementUnit": "MB"}),
        )
        .unwrap();
        assert_eq!(memory_bytes(&w), Some(250 << 20));
        let w: wire::Database = serde_json::from_value(json!({"datasetSizeInGb": -1})).unwrap();
        assert_eq!(memory_bytes(&w), None);
    }

    #[test]
    fn task_links_name_the_database() {
        assert_eq!(
            database_link("https://api.redislabs.com/v1/subscriptions/12/databases/34"),
            Some("12/34".into())
        );
        assert_eq!(
            database_link("/v1/fixed/subscriptions/12/databases/34?x=1"),
            Some("12/34".into())
        );
        assert_eq!(database_link("/v1/tasks/abc"), None);
        let t = task(
            &json!({"taskId": "t1", "status": "processing-completed", "response": {"resourceId": 77}}),
            "t1",
            "p",
            Some("12"),
        );
        assert_eq!(t.resource_id.as_deref(), Some("12/77"));
        assert_eq!(t.status, TaskStatus::Completed);
        let t = task(&json!("garbage"), "t2", "p", None);
        assert_eq!((t.id.as_str(), t.status), ("t2", TaskStatus::Pending));
    }
}
