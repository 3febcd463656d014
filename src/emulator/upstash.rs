//! The Upstash Developer API: basic auth, databases, action endpoints answering "OK",
//! backups, and Upstash's error shapes (bare JSON strings, `{"error": ...}`).
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{basic_auth_ok, lock, now_unix};

pub const PREFIX: &str = "/upstash";
pub const EMAIL: &str = "demo@dbctl.dev";
pub const API_KEY: &str = "demo-upstash-api-key";

pub struct State {
    databases: Vec<Value>,
    backups: Vec<Value>,
    next_id: u64,
    /// The port every database is listed with.
    port: u16,
}

impl State {
    pub fn new(setup: &super::Setup) -> Self {
        let mut state = State {
            databases: Vec::new(),
            backups: Vec::new(),
            next_id: 1,
            port: setup.port(6379),
        };
        if let Some(n) = setup.fleet() {
            for i in 0..n {
                state.add(
                    &format!("fleet-{i:04}"),
                    "us-east-1",
                    "payg",
                    "active",
                    1_700_000_000,
                );
            }
        } else if setup.is_seeded() {
            state.add(
                "sessions-cache",
                "us-east-1",
                "payg",
                "active",
                1_699_000_000,
            );
            state.add("rate-limiter", "eu-west-1", "pro", "active", 1_702_000_000);
            state.add(
                "キャッシュ-tokyo",
                "ap-northeast-1",
                "free",
                "suspended",
                1_705_000_000,
            );
            let first = state.databases[0]["database_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            state.backups.push(json!({
                "database_id": first, "customer_id": EMAIL, "name": "nightly",
                "backup_id": "bk-0001", "creation_time": 1_731_000_000, "state": "completed",
                "backup_size": 52_428_800, "daily_backup": "true", "hourly_backup": "false",
            }));
        }
        state
    }

    fn add(&mut self, name: &str, region: &str, plan: &str, state: &str, created: i64) {
        let record = self.record(name, region, plan, state, created);
        self.databases.push(record);
    }

    /// A new database's record, under a new id.
    fn record(&mut self, name: &str, region: &str, plan: &str, state: &str, created: i64) -> Value {
        let n = self.next_id;
        self.next_id += 1;
        json!({
            "database_id": format!("a1b2c3d4-0000-4000-8000-{n:012}"),
            "database_name": name,
            "region": "global",
            "port": self.port,
            "creation_time": created,
            "state": state,
            "password": format!("demo-password-{n}"),
            "user_email": EMAIL,
            "endpoint": host(name, n),
            "tls": true,
            "eviction": false,
            "auto_upgrade": false,
            "consistent": false,
            "rest_token": format!("demo-rest-token-{n}"),
            "read_only_rest_token": format!("demo-ro-token-{n}"),
            "db_max_clients": 1000,
            "db_max_request_size": 10_485_760,
            "db_disk_threshold": 107_374_182_400u64,
            "db_max_entry_size": 104_857_600,
            "db_memory_threshold": plan_memory(plan),
            "db_max_commands_per_second": 10_000,
            "db_request_limit": 9_223_372_036_854_775_808u64,
            "type": plan,
            "budget": 360,
            "primary_region": region,
            "primary_members": [region],
            "all_members": [region],
            "modifying_state": "",
            "db_acl_enabled": "false",
            "daily_backup_enabled": true,
            "read_regions": [],
        })
    }

    fn find(&mut self, id: &str) -> Option<&mut Value> {
        self.databases.iter_mut().find(|d| d["database_id"] == id)
    }
}

/// Database `n`'s host: its name as a DNS label (other characters as `-`), numbered.
fn host(name: &str, n: u64) -> String {
    let label: String = name
        .chars()
        .take(40)
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let label = match label.trim_matches('-') {
        "" => "db",
        label => label,
    };
    format!("{label}-{n}.upstash.{}", super::HOST_SUFFIX)
}

/// The memory a plan gives (Upstash's pricing page: the free plan holds 256 MB, pay-as-you-go
/// and the fixed plans up to 100 GB).
fn plan_memory(plan: &str) -> u64 {
    match plan {
        "free" => 256 << 20,
        _ => 100 << 30,
    }
}

/// This API in the emulator, for the provider registry.
pub const API: super::ApiSpec = super::ApiSpec { router, settings };

fn settings(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("email", EMAIL.into()),
        ("api_key", API_KEY.into()),
        ("url", format!("{base}{PREFIX}/v2")),
    ]
}

type Shared = AxumState<Arc<Mutex<State>>>;

fn router(setup: &super::Setup) -> Router {
    let store = Arc::new(Mutex::new(State::new(setup)));
    Router::new().nest(PREFIX, routes(store))
}

fn routes(store: Arc<Mutex<State>>) -> Router {
    Router::new()
        .route("/v2/redis/databases", get(list))
        .route("/v2/redis/database", post(create))
        .route("/v2/redis/database/{id}", get(get_one).delete(delete))
        .route("/v2/redis/rename/{id}", post(rename))
        .route("/v2/redis/change-plan/{id}", post(change_plan))
        .route("/v2/redis/update-budget/{id}", patch(update_budget))
        .route("/v2/redis/enable-tls/{id}", post(enable_tls))
        .route("/v2/redis/enable-eviction/{id}", post(enable_eviction))
        .route("/v2/redis/reset-password/{id}", post(reset_password))
        .route("/v2/redis/list-backup/{id}", get(list_backups))
        .route("/v2/redis/stats/{id}", get(stats))
        .route("/v2/redis/create-backup/{id}", post(create_backup))
        .route("/v2/redis/restore-backup/{id}", post(restore_backup))
        .with_state(store)
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "Unauthorized").into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!("database not found"))).into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn ok() -> Response {
    Json(json!("OK")).into_response()
}

/// Runs `f` on the database if the caller is authorized and the database exists.
fn with_db(
    store: &Mutex<State>,
    headers: &HeaderMap,
    id: &str,
    f: impl FnOnce(&mut Value) -> Response,
) -> Response {
    if !basic_auth_ok(headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let mut state = lock(store);
    match state.find(id) {
        Some(db) => f(db),
        None => not_found(),
    }
}

async fn list(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    Json(Value::Array(lock(&store).databases.clone())).into_response()
}

async fn get_one(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let hide = query.get("credentials").is_some_and(|v| v == "hide");
    with_db(&store, &headers, &id, |db| {
        let mut db = db.clone();
        if hide {
            for field in ["password", "rest_token", "read_only_rest_token"] {
                if let Some(map) = db.as_object_mut() {
                    map.remove(field);
                }
            }
        }
        Json(db).into_response()
    })
}

/// `DatabaseStats` in its real shape: Go time strings, one point a minute, the newest `y`
/// null (as Upstash sends it), figures drifting slowly; a suspended database is idle.
async fn stats(AxumState(store): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    with_db(&store, &headers, &id, |db| {
        let now = chrono::Utc::now();
        let active = db["state"] == "active";
        let limit = db["db_memory_threshold"].as_f64().unwrap_or(1e9);
        let series = |low: f64, high: f64| -> Value {
            let points: Vec<Value> = (0..10)
                .rev()
                .map(|minutes_ago| {
                    let at = now - chrono::Duration::minutes(minutes_ago);
                    let x = at.format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string();
                    let y = match (minutes_ago, active) {
                        (0, _) => Value::Null,
                        (_, false) => json!(0),
                        _ => json!(super::wave(&id, at.timestamp() as f64, low, high).round()),
                    };
                    json!({"x": x, "y": y})
                })
                .collect();
            Value::Array(points)
        };
        let stored = super::wave(&id, now.timestamp() as f64 / 60.0, 0.05, 0.9) * limit;
        Json(json!({
            "current_storage": stored.round() as u64,
            "diskusage": series(stored * 0.98, stored),
            "throughput": series(20.0, 900.0),
            "connection_count": series(2.0, 120.0),
            "keyspace": series(1_000.0, 50_000.0),
            "latencymean": series(0.1, 0.3),
            "days": ["Monday", "Tuesday"],
            "dailyrequests": series(100_000.0, 2_000_000.0),
            "total_monthly_requests": 12_345_678,
            "total_monthly_billing": 12.34,
            "queue_optimized": false,
        }))
        .into_response()
    })
}

async fn create(
    AxumState(store): Shared,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let Some(Json(body)) = body else {
        return bad_request("invalid request body");
    };
    let Some(name) = body["database_name"].as_str().filter(|n| !n.is_empty()) else {
        return bad_request("database_name is required");
    };
    let Some(region) = body["primary_region"].as_str() else {
        return bad_request("primary_region is required");
    };
    let mut state = lock(&store);
    if state.databases.iter().any(|d| d["database_name"] == name) {
        return bad_request("database already exists");
    }
    if let Some(refusal) = super::full(state.databases.len()) {
        return bad_request(&refusal);
    }
    let plan = body["plan"].as_str().unwrap_or("payg");
    let mut record = state.record(name, region, plan, "active", now_unix());
    if let Some(tls) = body["tls"].as_bool() {
        record["tls"] = json!(tls);
    }
    if let Some(refusal) = super::too_large(&record) {
        return bad_request(&refusal);
    }
    state.databases.push(record.clone());
    Json(record).into_response()
}

async fn delete(AxumState(store): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let mut state = lock(&store);
    let before = state.databases.len();
    state.databases.retain(|d| d["database_id"] != id.as_str());
    if state.databases.len() == before {
        return not_found();
    }
    ok()
}

async fn rename(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    with_db(&store, &headers, &id, |db| match body["name"].as_str() {
        Some(name) if !name.is_empty() => {
            let mut renamed = db.clone();
            renamed["database_name"] = json!(name);
            match super::too_large(&renamed) {
                Some(refusal) => bad_request(&refusal),
                None => {
                    *db = renamed;
                    ok()
                }
            }
        }
        _ => bad_request("name is required"),
    })
}

async fn change_plan(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    with_db(&store, &headers, &id, |db| {
        match body["plan_name"].as_str() {
            Some(plan @ ("free" | "payg" | "pro" | "paid")) => {
                db["type"] = json!(plan);
                ok()
            }
            _ => bad_request("invalid plan_name"),
        }
    })
}

async fn update_budget(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    with_db(&store, &headers, &id, |db| match body["budget"].as_u64() {
        Some(budget) => {
            db["budget"] = json!(budget);
            ok()
        }
        None => bad_request("invalid budget"),
    })
}

async fn enable_tls(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_db(&store, &headers, &id, |db| {
        db["tls"] = json!(true);
        ok()
    })
}

async fn enable_eviction(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_db(&store, &headers, &id, |db| {
        db["eviction"] = json!(true);
        ok()
    })
}

async fn reset_password(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_db(&store, &headers, &id, |db| {
        db["password"] = json!(format!("demo-password-{}", now_unix()));
        ok()
    })
}

async fn list_backups(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let state = lock(&store);
    if !state
        .databases
        .iter()
        .any(|d| d["database_id"] == id.as_str())
    {
        return not_found();
    }
    let backups: Vec<Value> = state
        .backups
        .iter()
        .filter(|b| b["database_id"] == id.as_str())
        .cloned()
        .collect();
    Json(Value::Array(backups)).into_response()
}

async fn create_backup(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let mut state = lock(&store);
    if !state
        .databases
        .iter()
        .any(|d| d["database_id"] == id.as_str())
    {
        return not_found();
    }
    if state.backups.len() >= super::MAX_DATABASES {
        return bad_request(&format!(
            "backup limit reached: this emulated account holds at most {} backups",
            super::MAX_DATABASES
        ));
    }
    let n = state.backups.len() + 1;
    let backup = json!({
        "database_id": id, "customer_id": EMAIL, "name": body["name"].as_str().unwrap_or("backup"),
        "backup_id": format!("bk-{n:04}"), "creation_time": now_unix(), "state": "completed",
        "backup_size": 1_048_576, "daily_backup": "false", "hourly_backup": "false",
    });
    if let Some(refusal) = super::too_large(&backup) {
        return bad_request(&refusal);
    }
    state.backups.push(backup);
    ok()
}

async fn restore_backup(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !basic_auth_ok(&headers, EMAIL, API_KEY) {
        return unauthorized();
    }
    let state = lock(&store);
    let exists = state
        .backups
        .iter()
        .any(|b| b["database_id"] == id.as_str() && b["backup_id"] == body["backup_id"]);
    if !state
        .databases
        .iter()
        .any(|d| d["database_id"] == id.as_str())
    {
        return not_found();
    }
    if !exists {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "backup not found"})),
        )
            .into_response();
    }
    ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_dns_labels_under_localhost() {
        assert_eq!(
            host("Sessions Cache", 1),
            "sessions-cache-1.upstash.dbctl.localhost"
        );
        assert_eq!(
            host("キャッシュ-tokyo", 3),
            "tokyo-3.upstash.dbctl.localhost"
        );
        assert_eq!(host("-\n..", 4), "db-4.upstash.dbctl.localhost");
        let long = host(&"a".repeat(1000), 5);
        assert_eq!(
            long,
            format!("{}-5.upstash.dbctl.localhost", "a".repeat(40))
        );
        assert!(crate::sanitize::host(&long).is_some());
    }
}
