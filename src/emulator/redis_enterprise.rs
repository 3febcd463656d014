//! The Redis Enterprise cluster REST API (plain http here): basic auth, bdbs with `?fields=`,
//! `?dry_run=true`, the state machine (create → `pending` → `active`, update →
//! `active-change-pending` → `active`, delete → `delete-pending` → gone, import →
//! `import-pending` → `active`), bdb actions, `/v1/actions/{uid}` (the newest [`MAX_ACTIONS`]
//! kept), and the cluster's `{"error_code", "description"}` error bodies.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{basic_auth_ok, full, lock, too_large, Clock, Setup};

pub const PREFIX: &str = "/redis-enterprise";
pub const USER: &str = "admin@dbctl.dev";
pub const PASSWORD: &str = "demo-re-cluster-password";

/// How long a state-machine step takes (on the emulator's clock).
const STEP: Duration = Duration::from_secs(1);
/// The seeded `active-change-pending` database settles after this long.
const SEEDED_CHANGE: Duration = Duration::from_secs(20);
/// The most actions kept; the oldest is forgotten first.
const MAX_ACTIONS: usize = 1000;

enum Next {
    Active,
    Gone,
}

struct Bdb {
    record: Value,
    /// The state the database moves to, and when.
    transition: Option<(Instant, Next)>,
}

struct Action {
    uid: String,
    name: &'static str,
    bdb: u64,
    started: Instant,
}

pub struct State {
    bdbs: Vec<Bdb>,
    actions: std::collections::VecDeque<Action>,
    next_uid: u64,
    next_action: u64,
    setup: Setup,
}

impl State {
    pub fn new(setup: &Setup) -> Self {
        let mut state = State {
            bdbs: Vec::new(),
            actions: Default::default(),
            next_uid: 1,
            next_action: 1,
            setup: *setup,
        };
        if let Some(n) = setup.fleet() {
            for i in 0..n {
                state.seed(
                    &format!("fleet-{i:04}"),
                    1 << 30,
                    true,
                    1,
                    false,
                    "2024-01-01T00:00:00Z",
                );
            }
        } else if setup.is_seeded() {
            // Fixed dates: `--demo` prints the same on every run.
            let seeded_on = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
            let days = |d: i64| {
                (seeded_on - chrono::Duration::days(d))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            let uid = state.seed("session-store", 1 << 30, true, 2, true, &days(120));
            if let Some(bdb) = state.find(uid) {
                bdb.record["backup"] = json!(true);
                bdb.record["backup_interval"] = json!(86_400);
                bdb.record["data_persistence"] = json!("aof");
            }
            let uid = state.seed("leaderboard", 3 << 29, true, 1, false, &days(45));
            if let Some(bdb) = state.find(uid) {
                bdb.record["status"] = json!("active-change-pending");
                bdb.transition = Some((setup.clock().after(SEEDED_CHANGE), Next::Active));
            }
            let uid = state.seed("feature-flags", 256 << 20, false, 1, false, &days(10));
            if let Some(bdb) = state.find(uid) {
                bdb.record["authentication_redis_pass"] = json!("");
            }
            let uid = state.seed("analytics-cache", 2 << 30, true, 4, true, &days(3));
            if let Some(bdb) = state.find(uid) {
                // Some clusters report port 0 and keep the port on the endpoint only.
                bdb.record["port"] = json!(0);
            }
        }
        state
    }

    fn seed(
        &mut self,
        name: &str,
        memory: u64,
        tls: bool,
        shards: u64,
        replication: bool,
        created: &str,
    ) -> u64 {
        let uid = self.next_uid;
        let record = record(
            uid,
            &json!({
                "name": name, "memory_size": memory, "tls_mode": if tls { "enabled" } else { "disabled" },
                "shards_count": shards, "replication": replication,
            }),
            created,
            &self.setup,
        );
        self.next_uid += 1;
        self.bdbs.push(Bdb {
            record,
            transition: None,
        });
        uid
    }

    fn find(&mut self, uid: u64) -> Option<&mut Bdb> {
        self.bdbs.iter_mut().find(|b| b.record["uid"] == uid)
    }

    /// The database `uid` names, brought up to date, if it is active; else the cluster's
    /// 404 or 409 answer.
    fn active(&mut self, uid: &str) -> Result<(u64, &mut Bdb), Box<Response>> {
        self.tick();
        let Some(n) = uid.parse::<u64>().ok() else {
            return Err(Box::new(not_found(uid)));
        };
        let Some(bdb) = self.find(n) else {
            return Err(Box::new(not_found(uid)));
        };
        if bdb.record["status"] != "active" {
            return Err(Box::new(busy(n, &bdb.record["status"])));
        }
        Ok((n, bdb))
    }

    /// Applies every transition that is due.
    fn tick(&mut self) {
        let now = Instant::now();
        self.bdbs.retain_mut(|bdb| match &bdb.transition {
            Some((when, next)) if *when <= now => match next {
                Next::Gone => false,
                Next::Active => {
                    bdb.record["status"] = json!("active");
                    bdb.record["last_changed_time"] = json!(now_text());
                    bdb.transition = None;
                    true
                }
            },
            _ => true,
        });
    }

    fn start_action(&mut self, name: &'static str, bdb: u64) -> String {
        let uid = format!("{:08x}-0000-4000-8000-{:012x}", bdb, self.next_action);
        self.next_action += 1;
        if self.actions.len() >= MAX_ACTIONS {
            self.actions.pop_front();
        }
        self.actions.push_back(Action {
            uid: uid.clone(),
            name,
            bdb,
            started: Instant::now(),
        });
        uid
    }
}

/// A full bdb record as the cluster returns it, secrets included.
fn record(uid: u64, settings: &Value, created: &str, setup: &Setup) -> Value {
    let mut record = json!({
        "uid": uid,
        "name": format!("db{uid}"),
        "type": "redis",
        "status": "active",
        "memory_size": 1u64 << 30,
        "tls_mode": "disabled",
        "ssl": false,
        "shards_count": 1,
        "replication": false,
        "data_persistence": "disabled",
        "backup": false,
        "eviction_policy": "volatile-lru",
        "version": "7.4",
        "created_time": created,
        "last_changed_time": created,
        "authentication_redis_pass": format!("demo-re-redis-pass-{uid}"),
        "authentication_admin_pass": format!("demo-re-admin-pass-{uid}"),
    });
    change(&mut record, settings, setup);
    record
}

/// Applies a client's `settings` to a record. A new record, or one given a `port`, gets its
/// endpoint: named from that port (else a made-up one), listed with [`Setup::port`].
fn change(record: &mut Value, settings: &Value, setup: &Setup) {
    if let (Some(record), Some(settings)) = (record.as_object_mut(), settings.as_object()) {
        for (key, value) in settings {
            if !matches!(
                key.as_str(),
                "uid" | "status" | "port" | "endpoints" | "dns_address_master"
            ) {
                record.insert(key.clone(), value.clone());
            }
        }
    }
    let asked = settings["port"]
        .as_u64()
        .and_then(|port| u16::try_from(port).ok())
        .filter(|port| *port != 0);
    if asked.is_none() && record.get("endpoints").is_some() {
        return;
    }
    let uid = record["uid"].as_u64().unwrap_or_default();
    let own = asked.unwrap_or(12_000 + (uid % 50_000) as u16);
    let port = setup.port(own);
    let host = format!("redis-{own}.cluster.re.{}", super::HOST_SUFFIX);
    record["port"] = json!(port);
    record["endpoints"] = json!([{
        "uid": format!("{uid}:1"),
        "dns_name": host,
        "addr": ["127.0.0.1"],
        "addr_type": "external",
        "port": port,
        "proxy_policy": "single",
    }]);
    record["dns_address_master"] = json!(format!(
        "redis-{own}.internal.cluster.re.{}:{port}",
        super::HOST_SUFFIX
    ));
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// This API in the emulator, for the provider registry.
pub const API: super::ApiSpec = super::ApiSpec { router, settings };

fn settings(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("url", format!("{base}{PREFIX}")),
        ("user", USER.into()),
        ("password", PASSWORD.into()),
    ]
}

type Shared = AxumState<Arc<Mutex<State>>>;
type Params = Query<HashMap<String, String>>;

fn router(setup: &Setup) -> Router {
    let store = Arc::new(Mutex::new(State::new(setup)));
    Router::new().nest(PREFIX, routes(store))
}

fn routes(store: Arc<Mutex<State>>) -> Router {
    Router::new()
        .route("/v1/bdbs", get(list).post(create))
        .route("/v1/bdbs/{uid}", get(get_one).put(update).delete(delete))
        .route("/v1/bdbs/stats/last", get(stats_all))
        .route("/v1/bdbs/stats/last/{uid}", get(stats_one))
        .route("/v1/bdbs/{uid}/{action}", put(bdb_action))
        .route("/v1/bdbs/{uid}/actions/import", post(import))
        .route("/v1/actions", get(actions))
        .route("/v1/actions/{uid}", get(action))
        .with_state(store)
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error_code": code, "description": description})),
    )
        .into_response()
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Authentication failed: invalid username or password",
    )
}

fn not_found(uid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "db_not_exist",
        &format!("Database {uid} does not exist"),
    )
}

fn busy(uid: u64, status: &Value) -> Response {
    error(
        StatusCode::CONFLICT,
        "busy",
        &format!(
            "Database {uid} is busy ({}); retry when it is active",
            status.as_str().unwrap_or("changing")
        ),
    )
}

/// Only the `?fields=` the caller asked for.
fn with_fields(record: &Value, query: &HashMap<String, String>) -> Value {
    let Some(fields) = query.get("fields").filter(|f| !f.trim().is_empty()) else {
        return record.clone();
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    let kept: Map<String, Value> = record
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(kept)
}

fn dry_run(query: &HashMap<String, String>) -> bool {
    query
        .get("dry_run")
        .is_some_and(|v| matches!(v.as_str(), "" | "true" | "1"))
}

async fn list(AxumState(store): Shared, headers: HeaderMap, Query(query): Params) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let mut state = lock(&store);
    state.tick();
    let all: Vec<Value> = state
        .bdbs
        .iter()
        .map(|b| with_fields(&b.record, &query))
        .collect();
    Json(Value::Array(all)).into_response()
}

async fn get_one(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(uid): Path<String>,
    Query(query): Params,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let mut state = lock(&store);
    state.tick();
    match uid.parse().ok().and_then(|n| state.find(n)) {
        Some(bdb) => Json(with_fields(&bdb.record, &query)).into_response(),
        None => not_found(&uid),
    }
}

/// The newest "1sec" sample of a database, metrics as floats, drifting slowly.
fn sample(record: &Value) -> Value {
    let now = chrono::Utc::now();
    let at = now.timestamp() as f64;
    let uid = record["uid"].to_string();
    let limit = record["memory_size"].as_f64().unwrap_or(1e9);
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "stime": time(now - chrono::Duration::seconds(1)), "etime": time(now),
        "used_memory": (super::wave(&uid, at / 60.0, 0.02, 0.97) * limit).round(),
        "conns": super::wave(&uid, at, 1.0, 60.0).round(),
        "instantaneous_ops_per_sec": super::wave(&uid, at, 0.0, 5000.0).round(),
        "total_req": super::wave(&uid, at, 0.0, 5000.0).round(),
        "no_of_keys": super::wave(&uid, at / 100.0, 100.0, 90_000.0).round(),
        "mem_frag_ratio": 1.2,
    })
}

/// `GET /v1/bdbs/stats/last`: every database's newest sample, keyed by uid; 404 with none.
async fn stats_all(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let mut state = lock(&store);
    state.tick();
    if state.bdbs.is_empty() {
        return not_found("stats");
    }
    let all: Map<String, Value> = state
        .bdbs
        .iter()
        .map(|b| (b.record["uid"].to_string(), sample(&b.record)))
        .collect();
    Json(Value::Object(all)).into_response()
}

/// `GET /v1/bdbs/stats/last/{uid}`: `{"<uid>": sample}`.
async fn stats_one(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(uid): Path<String>,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let mut state = lock(&store);
    state.tick();
    match uid.parse().ok().and_then(|n| state.find(n)) {
        Some(bdb) => Json(json!({ uid: sample(&bdb.record) })).into_response(),
        None => not_found(&uid),
    }
}

/// Checks a `memory_size` in a create/update body: a positive integer of bytes.
fn memory_ok(body: &Value) -> bool {
    match body.get("memory_size") {
        None => true,
        Some(size) => size.as_u64().is_some_and(|m| m >= 1 << 20),
    }
}

async fn create(
    AxumState(store): Shared,
    headers: HeaderMap,
    Query(query): Params,
    body: Option<Json<Value>>,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let Some(Json(body)) = body.filter(|b| b.0.is_object()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_schema",
            "The request body must be a JSON BDB object",
        );
    };
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing_db_name",
            "DB name is a required property.",
        );
    };
    if body.get("memory_size").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "missing_memory_size",
            "Memory Size is a required property.",
        );
    }
    if !memory_ok(&body) {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "invalid_memory_size",
            "memory_size must be a number of bytes, at least 1 MiB",
        );
    }
    if body
        .get("shards_count")
        .is_some_and(|s| !s.as_u64().is_some_and(|n| (1..=16).contains(&n)))
    {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "insufficient_resources",
            "Shards count exceeds shards limit per bdb.",
        );
    }
    let mut state = lock(&store);
    state.tick();
    if let Some(refusal) = full(state.bdbs.len()) {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "insufficient_resources",
            &refusal,
        );
    }
    if state.bdbs.iter().any(|b| b.record["name"] == name) {
        return error(
            StatusCode::CONFLICT,
            "db_name_exists",
            &format!("Database with the same name ({name}) already exists."),
        );
    }
    let uid = match body.get("uid").and_then(Value::as_u64) {
        Some(uid) if state.find(uid).is_some() => {
            return error(
                StatusCode::CONFLICT,
                "uid_exists",
                "The specified database UID is already in use.",
            )
        }
        Some(uid) => uid,
        None => state.next_uid,
    };
    let mut record = record(uid, &body, &now_text(), &state.setup);
    if let Some(refusal) = too_large(&record) {
        return error(StatusCode::BAD_REQUEST, "invalid_schema", &refusal);
    }
    if dry_run(&query) {
        return Json(record).into_response();
    }
    state.next_uid = state.next_uid.max(uid.saturating_add(1));
    record["status"] = json!("pending");
    let transition = Some((state.setup.clock().after(STEP), Next::Active));
    state.bdbs.push(Bdb {
        record: record.clone(),
        transition,
    });
    Json(record).into_response()
}

async fn update(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(uid): Path<String>,
    Query(query): Params,
    body: Option<Json<Value>>,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let Some(Json(body)) = body.filter(|b| b.0.is_object()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_schema",
            "The request body must be a JSON BDB object",
        );
    };
    if !memory_ok(&body) {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "invalid_memory_size",
            "memory_size must be a number of bytes, at least 1 MiB",
        );
    }
    let mut state = lock(&store);
    let setup = state.setup;
    let (_, bdb) = match state.active(&uid) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let mut changed = bdb.record.clone();
    change(&mut changed, &body, &setup);
    if let Some(refusal) = too_large(&changed) {
        return error(StatusCode::BAD_REQUEST, "invalid_schema", &refusal);
    }
    if dry_run(&query) {
        return Json(changed).into_response();
    }
    changed["status"] = json!("active-change-pending");
    bdb.record = changed.clone();
    bdb.transition = Some((setup.clock().after(STEP), Next::Active));
    Json(changed).into_response()
}

async fn delete(AxumState(store): Shared, headers: HeaderMap, Path(uid): Path<String>) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let mut state = lock(&store);
    let clock = state.setup.clock();
    let (_, bdb) = match state.active(&uid) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    bdb.record["status"] = json!("delete-pending");
    bdb.transition = Some((clock.after(STEP), Next::Gone));
    StatusCode::OK.into_response()
}

async fn bdb_action(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((uid, action)): Path<(String, String)>,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    if !matches!(action.as_str(), "flush" | "reset_admin_pass") {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_action",
            &format!("Action {action} is not supported; use flush or reset_admin_pass"),
        );
    }
    let mut state = lock(&store);
    let (n, bdb) = match state.active(&uid) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    if action == "reset_admin_pass" {
        bdb.record["authentication_admin_pass"] =
            json!(format!("demo-re-admin-pass-{n}-{}", super::now_unix()));
    }
    let record = bdb.record.clone();
    state.start_action(
        if action == "flush" {
            "flush"
        } else {
            "reset_admin_pass"
        },
        n,
    );
    Json(record).into_response()
}

async fn import(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(uid): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let sources = body
        .as_ref()
        .and_then(|b| b.0["dataset_import_sources"].as_array())
        .filter(|s| !s.is_empty() && s.iter().all(|s| s["type"].is_string()));
    if sources.is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_schema",
            "dataset_import_sources must list at least one source with a type",
        );
    }
    let mut state = lock(&store);
    let clock = state.setup.clock();
    let (n, bdb) = match state.active(&uid) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    bdb.record["status"] = json!("import-pending");
    bdb.transition = Some((clock.after(STEP), Next::Active));
    let action = state.start_action("import", n);
    Json(json!({ "action_uid": action })).into_response()
}

/// `GET /v1/actions`: every action kept, as the cluster groups them (`actions`, and the
/// `state-machines` this emulator has none of).
async fn actions(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let state = lock(&store);
    let clock = state.setup.clock();
    let actions: Vec<Value> = state
        .actions
        .iter()
        .map(|action| action_view(action, clock))
        .collect();
    Json(json!({"actions": actions, "state-machines": []})).into_response()
}

async fn action(AxumState(store): Shared, headers: HeaderMap, Path(uid): Path<String>) -> Response {
    if !basic_auth_ok(&headers, USER, PASSWORD) {
        return unauthorized();
    }
    let state = lock(&store);
    let Some(action) = state.actions.iter().find(|a| a.uid == uid) else {
        return error(
            StatusCode::NOT_FOUND,
            "action_not_exist",
            &format!("Action {uid} does not exist"),
        );
    };
    Json(action_view(action, state.setup.clock())).into_response()
}

/// An action as the cluster shows it: queued, then running with its progress, then completed.
fn action_view(action: &Action, clock: Clock) -> Value {
    let elapsed = clock.since(action.started);
    let (status, progress) = if elapsed < STEP / 4 {
        ("queued", json!("0"))
    } else if elapsed < STEP {
        // The cluster sends progress as text on some versions and a number on others.
        let percent = (elapsed.as_secs_f64() / STEP.as_secs_f64() * 100.0).min(99.0);
        ("running", json!(format!("{percent:.1}")))
    } else {
        ("completed", json!(100))
    };
    json!({
        "action_uid": action.uid,
        "name": action.name,
        "status": status,
        "progress": progress,
        "object_name": format!("bdb:{}", action.bdb),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_named_from_their_port_and_listed_with_the_data_planes() {
        let served = Setup {
            data_port: Some(40_000),
            ..Setup::new(false)
        };
        let endpoint = |bdb: &Value| {
            (
                bdb["port"].clone(),
                bdb["endpoints"][0]["dns_name"].clone(),
                bdb["dns_address_master"].clone(),
            )
        };
        let mut bdb = record(7, &json!({"name": "x", "endpoints": []}), "t", &served);
        let named = (
            json!(40_000),
            json!("redis-12007.cluster.re.dbctl.localhost"),
            json!("redis-12007.internal.cluster.re.dbctl.localhost:40000"),
        );
        assert_eq!(endpoint(&bdb), named);
        change(
            &mut bdb,
            &json!({"memory_size": 2, "dns_address_master": "x.example:1"}),
            &served,
        );
        assert_eq!(endpoint(&bdb), named);
        change(&mut bdb, &json!({ "port": 13_000 }), &served);
        assert_eq!(
            bdb["endpoints"][0]["dns_name"],
            "redis-13000.cluster.re.dbctl.localhost"
        );
        assert_eq!(bdb["port"], 40_000);
        let demo = record(7, &json!({ "port": 13_001 }), "t", &Setup::new(false));
        assert_eq!(demo["port"], 13_001);
        assert_eq!(demo["endpoints"][0]["addr"], json!(["127.0.0.1"]));
    }

    /// The seeded change settles after 20 s of the emulator's clock: at once on a fast one.
    #[test]
    fn a_fast_clock_settles_the_seeded_change_at_once() {
        let status = |setup: Setup| {
            let mut state = State::new(&setup);
            std::thread::sleep(Duration::from_millis(5));
            state.tick();
            state.find(2).map(|bdb| bdb.record["status"].clone())
        };
        let fast = Setup {
            clock: "10000".parse().unwrap(),
            ..Setup::new(true)
        };
        assert_eq!(
            status(Setup::new(true)),
            Some(json!("active-change-pending"))
        );
        assert_eq!(status(fast), Some(json!("active")));
    }
}
