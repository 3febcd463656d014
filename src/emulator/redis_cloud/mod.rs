//! The Redis Cloud REST API v1: `x-api-key` + `x-api-secret-key`, Pro subscriptions under
//! `/subscriptions` and Essentials under `/fixed/subscriptions`, offset/limit paging (an
//! empty subscription answers 404), writes answering `202 {taskId}` whose tasks progress over
//! time (invisible for a moment, `received`, `processing-in-progress`, then
//! `processing-completed` or `processing-error`), databases going pending → active, a busy
//! database answering 409, and Redis Cloud's error shape
//! `{"error": {"type", "status", "description"}}`.
//!
//! `DBCTL_EMULATOR_REDIS_CLOUD_BENCH=SUBSxDBS` (e.g. `20x150`) replaces the demo seed with
//! that many Pro subscriptions of that many databases each, for benchmarks. Finished tasks
//! are forgotten oldest first past [`MAX_TASKS`]; that many unfinished ones answer 429.
// Helpers answer a ready `Response` as their error, the way axum handlers return it.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{full, lock, too_large, Clock, Setup};

mod changes;
mod reads;
mod tasks;

use changes::{backup, create, delete, import, update};
use reads::{get_database, get_subscription, list_databases, list_subscriptions};
#[cfg(test)]
use tasks::task_view;
use tasks::{get_task, list_tasks};

pub const PREFIX: &str = "/redis-cloud";
pub const API_KEY: &str = "demo-redis-cloud-account-key";
pub const SECRET_KEY: &str = "demo-redis-cloud-user-secret-key";
const ACCOUNT_ID: u64 = 1_304_871;
const MAX_LIMIT: usize = 100;
/// The most tasks kept.
const MAX_TASKS: usize = 1000;

// A full account, listed a page of `MAX_LIMIT` at a time, stays within `db list`'s pages.
const _: () = assert!(
    super::MAX_DATABASES / MAX_LIMIT + super::MAX_BENCH_SUBSCRIPTIONS < crate::paging::MAX_PAGES
);

/// How long a task stays invisible, received, and in progress (on the emulator's clock).
const INVISIBLE: Duration = Duration::from_millis(100);
const RECEIVED: Duration = Duration::from_millis(400);
const IN_PROGRESS: Duration = Duration::from_millis(1200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Pro,
    Essentials,
}

impl Family {
    fn root(self) -> &'static str {
        match self {
            Family::Pro => "subscriptions",
            Family::Essentials => "fixed/subscriptions",
        }
    }
}

struct Subscription {
    id: u64,
    family: Family,
    record: Value,
}

struct Database {
    subscription: u64,
    record: Value,
}

/// What a task does when it completes.
enum Effect {
    /// The database (already listed as pending) becomes active.
    Activate {
        subscription: u64,
        database: u64,
    },
    /// Apply the changes, then active.
    Update {
        subscription: u64,
        database: u64,
        changes: Map<String, Value>,
    },
    Remove {
        subscription: u64,
        database: u64,
    },
    /// Fails with this error type and description.
    Fail(&'static str, String),
}

struct Task {
    id: String,
    started: Instant,
    record: Value,
    effect: Option<Effect>,
    /// The link to the resource, once completed.
    resource: Option<String>,
}

pub struct State {
    subscriptions: Vec<Subscription>,
    databases: Vec<Database>,
    tasks: Vec<Task>,
    next_database: u64,
    next_task: u64,
    setup: Setup,
}

impl State {
    pub fn new(setup: &Setup) -> Self {
        let mut state = State {
            subscriptions: Vec::new(),
            databases: Vec::new(),
            tasks: Vec::new(),
            next_database: 13_008_900,
            next_task: 1,
            setup: *setup,
        };
        if !setup.is_seeded() {
            return state;
        }
        if let Some((subs, dbs)) = setup.cloud_bench() {
            for s in 0..subs {
                let id = 3_000_000 + s as u64;
                state.add_subscription(
                    id,
                    Family::Pro,
                    &format!("bench-{s:02}"),
                    "AWS",
                    "us-east-1",
                );
                for d in 0..dbs {
                    let db = state.next_id();
                    state.add_database(id, db, &format!("bench-{s:02}-{d:03}"), 1.0, "active");
                }
            }
            return state;
        }
        state.add_subscription(2_145_833, Family::Pro, "prod-eu", "AWS", "eu-west-1");
        state.add_subscription(2_145_877, Family::Pro, "staging-us", "GCP", "us-central1");
        state.add_subscription(
            2_231_009,
            Family::Essentials,
            "side-project",
            "AWS",
            "us-east-1",
        );
        for (sub, db, name, size, status, activated) in [
            (
                2_145_833,
                13_008_822,
                "sessions-eu",
                2.5,
                "active",
                "2024-03-11T09:41:27Z",
            ),
            (
                2_145_833,
                13_008_823,
                "rate-limiter",
                0.5,
                "active",
                "2024-06-20T14:02:01Z",
            ),
            (
                2_145_833,
                13_008_824,
                "search-index",
                5.0,
                "active",
                "2024-08-05T07:30:12Z",
            ),
            (
                2_145_877,
                51_230_001,
                "staging-cache",
                1.0,
                "active",
                "2023-11-30T21:15:00Z",
            ),
            (
                2_145_877,
                51_230_002,
                "staging-queue",
                0.25,
                "pending",
                "2024-09-02T14:03:11Z",
            ),
            (
                2_231_009,
                12_890_441,
                "side-project-db",
                0.0,
                "active",
                "2024-05-02T08:14:03Z",
            ),
        ] {
            state.add_database(sub, db, name, size, status);
            if let Some(record) = state.database(sub, db) {
                record["activatedOn"] = json!(activated);
            }
        }
        state
    }

    fn next_id(&mut self) -> u64 {
        self.next_database += 1;
        self.next_database
    }

    fn add_subscription(&mut self, id: u64, family: Family, name: &str, cloud: &str, region: &str) {
        let record = match family {
            Family::Pro => json!({
                "id": id, "name": name, "status": "active", "paymentMethodId": 44512,
                "paymentMethodType": "credit-card", "memoryStorage": "ram",
                "storageEncryption": true, "numberOfDatabases": 0,
                "cloudDetails": [{"provider": cloud, "cloudAccountId": 1, "totalSizeInGb": 0,
                    "regions": [{"region": region, "networking": [{"deploymentCIDR": "10.0.0.0/24"}],
                        "multipleAvailabilityZones": false}], "links": []}],
                "links": [],
            }),
            Family::Essentials => json!({
                "id": id, "name": name, "status": "active", "paymentMethodId": 44512,
                "planId": 34811, "planName": "Standard 250MB", "size": 250,
                "sizeMeasurementUnit": "MB", "provider": cloud, "region": region, "price": 5,
                "pricePeriod": "Month", "priceCurrency": "USD", "maximumDatabases": 1,
                "availability": "Single-zone", "supportInstantAndDailyBackups": true,
                "creationDate": "2024-05-02T08:12:55Z", "links": [],
            }),
        };
        self.subscriptions.push(Subscription { id, family, record });
    }

    fn subscription(&self, id: u64, family: Family) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id == id && s.family == family)
    }

    fn add_database(&mut self, subscription: u64, id: u64, name: &str, size_gb: f64, status: &str) {
        if let Some(record) = self.database_record(subscription, id, name, size_gb, status) {
            self.databases.push(Database {
                subscription,
                record,
            });
        }
    }

    /// A new database's record, if its subscription exists.
    fn database_record(
        &self,
        subscription: u64,
        id: u64,
        name: &str,
        size_gb: f64,
        status: &str,
    ) -> Option<Value> {
        let sub = self.subscriptions.iter().find(|s| s.id == subscription)?;
        let family = sub.family;
        let cloud = sub.record["provider"]
            .as_str()
            .or_else(|| sub.record["cloudDetails"][0]["provider"].as_str())
            .unwrap_or("AWS")
            .to_string();
        let region = sub.record["region"]
            .as_str()
            .or_else(|| sub.record["cloudDetails"][0]["regions"][0]["region"].as_str())
            .unwrap_or("us-east-1")
            .to_string();
        let own_port = 10_000 + (id % 10_000) as u16;
        let port = self.setup.port(own_port);
        let cluster = format!(
            "c{}.{region}.rc.{}",
            subscription % 1000,
            super::HOST_SUFFIX
        );
        let mut record = json!({
            "databaseId": id, "name": name, "protocol": "redis", "provider": cloud,
            "region": region, "redisVersion": "7.2", "respVersion": "resp3", "status": status,
            "memoryUsedInMb": 12.5, "memoryStorage": "ram",
            "dataPersistence": "aof-every-1-second", "replication": true,
            "dataEvictionPolicy": "volatile-lru",
            "activatedOn": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "publicEndpoint": format!("redis-{own_port}.{cluster}:{port}"),
            "privateEndpoint": format!("redis-{own_port}.internal.{cluster}:{port}"),
            "security": {"enableDefaultUser": true, "password": format!("demo-rc-password-{id}"),
                "sslClientAuthentication": false, "enableTls": cloud != "GCP",
                "sourceIps": ["0.0.0.0/0"]},
            "modules": [], "alerts": [], "links": [],
        });
        match family {
            Family::Pro if name.starts_with("staging-cache") => {
                // An older record: memoryLimitInGb instead of datasetSizeInGb.
                record["memoryLimitInGb"] = json!(size_gb);
            }
            Family::Pro => record["datasetSizeInGb"] = json!(size_gb),
            Family::Essentials => {
                record["planMemoryLimit"] = json!(250);
                record["memoryLimitMeasurementUnit"] = json!("MB");
            }
        }
        Some(record)
    }

    fn database(&mut self, subscription: u64, id: u64) -> Option<&mut Value> {
        self.databases
            .iter_mut()
            .find(|d| d.subscription == subscription && d.record["databaseId"] == id)
            .map(|d| &mut d.record)
    }

    /// Completes every task whose time has come, applying its effect once.
    fn tick(&mut self) {
        let clock = self.setup.clock();
        let mut due = Vec::new();
        for (i, task) in self.tasks.iter().enumerate() {
            if task.effect.is_some() && clock.since(task.started) >= IN_PROGRESS {
                due.push(i);
            }
        }
        for i in due {
            let Some(effect) = self.tasks[i].effect.take() else {
                continue;
            };
            let outcome = match effect {
                Effect::Activate {
                    subscription,
                    database,
                } => {
                    if let Some(db) = self.database(subscription, database) {
                        db["status"] = json!("active");
                    }
                    Ok((subscription, database))
                }
                Effect::Update {
                    subscription,
                    database,
                    changes,
                } => {
                    if let Some(db) = self.database(subscription, database) {
                        merge(db, changes);
                        db["status"] = json!("active");
                    }
                    Ok((subscription, database))
                }
                Effect::Remove {
                    subscription,
                    database,
                } => {
                    self.databases.retain(|d| {
                        !(d.subscription == subscription && d.record["databaseId"] == database)
                    });
                    Ok((subscription, database))
                }
                Effect::Fail(kind, description) => Err((kind, description)),
            };
            let family_of = |sub: u64| {
                self.subscriptions
                    .iter()
                    .find(|s| s.id == sub)
                    .map(|s| s.family)
                    .unwrap_or(Family::Pro)
            };
            let task = &mut self.tasks[i];
            match outcome {
                Ok((sub, db)) => {
                    task.record["status"] = json!("processing-completed");
                    task.record["description"] = json!("Request processing completed successfully and its resources are now being provisioned / de-provisioned.");
                    task.record["response"] = json!({"resourceId": db});
                    task.resource = Some(format!(
                        "/v1/{}/{sub}/databases/{db}",
                        family_of(sub).root()
                    ));
                }
                Err((kind, description)) => {
                    task.record["status"] = json!("processing-error");
                    task.record["description"] = json!("Task request failed during processing. See error information for failure details.");
                    task.record["response"] = json!({"error": {
                        "type": kind, "status": "400 BAD_REQUEST", "description": description}});
                }
            }
            task.record["timestamp"] = json!(now_text());
        }
    }

    /// Starts a task; answers its 202 record, or 429 when [`MAX_TASKS`] are unfinished.
    fn start(&mut self, command: &str, effect: Effect, base: &str) -> Result<Value, Response> {
        if self.tasks.len() >= MAX_TASKS {
            match self.tasks.iter().position(|t| t.effect.is_none()) {
                Some(oldest_finished) => {
                    self.tasks.remove(oldest_finished);
                }
                None => {
                    return Err(error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "TOO_MANY_REQUESTS",
                        &format!("{MAX_TASKS} tasks are still running; retry when some finish"),
                    ))
                }
            }
        }
        let n = self.next_task;
        self.next_task += 1;
        let id = format!("5f0c8a3e-1b2d-4c6e-9f10-{n:012}");
        let record = json!({
            "taskId": id, "commandType": command, "status": "received",
            "description": "Task request received and is being queued for processing.",
            "timestamp": now_text(),
            "links": [{"rel": "task", "type": "GET", "href": format!("{base}/v1/tasks/{id}")}],
        });
        self.tasks.push(Task {
            id,
            started: Instant::now(),
            record: record.clone(),
            effect: Some(effect),
            resource: None,
        });
        Ok(record)
    }
}

fn merge(target: &mut Value, changes: Map<String, Value>) {
    for (key, value) in changes {
        match (target.get_mut(&key), value) {
            (Some(existing @ Value::Object(_)), Value::Object(inner)) => merge(existing, inner),
            (_, value) => target[key.as_str()] = value,
        }
    }
}

/// Redis Cloud takes `enableTls` at the top of a create or update body and reports it as
/// `security.enableTls`.
fn nest_tls(mut body: Map<String, Value>) -> Map<String, Value> {
    if let Some(tls) = body.remove("enableTls") {
        let security = body
            .entry("security")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(security) = security {
            security.insert("enableTls".into(), tls);
        }
    }
    body
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// This API in the emulator, for the provider registry.
pub const API: super::ApiSpec = super::ApiSpec { router, settings };

fn settings(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("api_key", API_KEY.into()),
        ("secret_key", SECRET_KEY.into()),
        ("url", format!("{base}{PREFIX}/v1")),
    ]
}

type Shared = AxumState<Arc<Mutex<State>>>;
type Params = Query<HashMap<String, String>>;

fn router(setup: &Setup) -> Router {
    let store = Arc::new(Mutex::new(State::new(setup)));
    Router::new().nest(PREFIX, routes(store))
}

fn routes(store: Arc<Mutex<State>>) -> Router {
    let mut router = Router::new()
        .route("/v1/tasks", get(list_tasks))
        .route("/v1/tasks/{id}", get(get_task));
    for family in [Family::Pro, Family::Essentials] {
        let root = format!("/v1/{}", family.root());
        router = router
            .route(
                &root,
                get(move |s: Shared, h: HeaderMap| list_subscriptions(family, s, h)),
            )
            .route(
                &format!("{root}/{{sub}}"),
                get(move |s: Shared, h: HeaderMap, p: Path<String>| {
                    get_subscription(family, s, h, p)
                }),
            )
            .route(
                &format!("{root}/{{sub}}/databases"),
                get(move |s: Shared, h: HeaderMap, p: Path<String>, q: Params| {
                    list_databases(family, s, h, p, q)
                })
                .post(
                    move |s: Shared, h: HeaderMap, p: Path<String>, b: Option<Json<Value>>| {
                        create(family, s, h, p, b)
                    },
                ),
            )
            .route(
                &format!("{root}/{{sub}}/databases/{{db}}"),
                get(move |s: Shared, h: HeaderMap, p: Path<(String, String)>| {
                    get_database(family, s, h, p)
                })
                .put(
                    move |s: Shared,
                          h: HeaderMap,
                          p: Path<(String, String)>,
                          b: Option<Json<Value>>| {
                        update(family, s, h, p, b)
                    },
                )
                .delete(
                    move |s: Shared, h: HeaderMap, p: Path<(String, String)>| {
                        delete(family, s, h, p)
                    },
                ),
            )
            .route(
                &format!("{root}/{{sub}}/databases/{{db}}/backup"),
                post(move |s: Shared, h: HeaderMap, p: Path<(String, String)>| {
                    backup(family, s, h, p)
                }),
            )
            .route(
                &format!("{root}/{{sub}}/databases/{{db}}/import"),
                post(
                    move |s: Shared,
                          h: HeaderMap,
                          p: Path<(String, String)>,
                          b: Option<Json<Value>>| {
                        import(family, s, h, p, b)
                    },
                ),
            );
    }
    router.with_state(store)
}

fn error(status: StatusCode, kind: &str, description: &str) -> Response {
    let code = format!(
        "{} {}",
        status.as_u16(),
        status
            .canonical_reason()
            .unwrap_or("")
            .to_ascii_uppercase()
            .replace(' ', "_")
    );
    (
        status,
        Json(json!({"error": {"type": kind, "status": code, "description": description}})),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> Result<(), Response> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if value("x-api-key") == Some(API_KEY) && value("x-api-secret-key") == Some(SECRET_KEY) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Request was not authorized",
        ))
    }
}

/// The base URL as the caller sees it, for links.
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{PREFIX}")
}

fn number(text: &str, what: &str) -> Result<u64, Response> {
    text.parse().map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            &format!("{what} must be a number"),
        )
    })
}

fn no_subscription(id: u64) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "SUBSCRIPTION_NOT_FOUND",
        &format!("Subscription {id} was not found"),
    )
}

fn no_database(id: u64) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "DATABASE_NOT_FOUND",
        &format!("Database {id} was not found"),
    )
}

/// Checks auth, ticks the clock, parses ids and finds the subscription and database.
fn locate(
    store: &Mutex<State>,
    family: Family,
    headers: &HeaderMap,
    sub: &str,
    db: Option<&str>,
) -> Result<(u64, Option<u64>), Response> {
    authorized(headers)?;
    let sub = number(sub, "subscriptionId")?;
    let db = db.map(|d| number(d, "databaseId")).transpose()?;
    let mut state = lock(store);
    state.tick();
    if state.subscription(sub, family).is_none() {
        return Err(no_subscription(sub));
    }
    if let Some(db) = db {
        if state.database(sub, db).is_none() {
            return Err(no_database(db));
        }
    }
    Ok((sub, db))
}

/// [`locate`] for a route that names a database: its subscription and database ids.
fn locate_database(
    store: &Mutex<State>,
    family: Family,
    headers: &HeaderMap,
    sub: &str,
    db: &str,
) -> Result<(u64, u64), Response> {
    match locate(store, family, headers, sub, Some(db))? {
        (sub, Some(db)) => Ok((sub, db)),
        (_, None) => Err(no_database(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_two_pro_and_one_essentials() {
        let state = State::new(&Setup::new(true));
        let pro = state
            .subscriptions
            .iter()
            .filter(|s| s.family == Family::Pro)
            .count();
        assert_eq!((pro, state.subscriptions.len()), (2, 3));
        assert!(state.databases.len() >= 5);
        assert!(State::new(&Setup::new(false)).databases.is_empty());
    }

    #[test]
    fn finished_tasks_make_room_and_too_many_running_answer_429() {
        let mut state = State::new(&Setup::new(false));
        let fail = || Effect::Fail("X", String::new());
        for _ in 0..MAX_TASKS {
            assert!(state.start("c", fail(), "").is_ok());
        }
        let refused = state.start("c", fail(), "").map(|_| ()).unwrap_err();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        state.tasks[5].effect = None;
        let first = state.tasks[0].id.clone();
        let finished = state.tasks[5].id.clone();
        assert!(state.start("c", fail(), "").is_ok());
        assert_eq!(state.tasks.len(), MAX_TASKS);
        assert!(state.tasks.iter().all(|t| t.id != finished));
        assert_eq!(state.tasks[0].id, first);
    }

    #[test]
    fn tasks_complete_and_apply_once() {
        let mut state = State::new(&Setup::new(true));
        let record = state
            .start(
                "databaseDeleteRequest",
                Effect::Remove {
                    subscription: 2_145_833,
                    database: 13_008_822,
                },
                "http://x",
            )
            .unwrap();
        assert_eq!(record["status"], "received");
        let before = state.databases.len();
        state.tasks[0].started -= IN_PROGRESS;
        state.tick();
        state.tick();
        assert_eq!(state.databases.len(), before - 1);
        assert_eq!(state.tasks[0].record["status"], "processing-completed");
        let view = task_view(&state.tasks[0], "http://x", Clock::REAL).unwrap();
        assert_eq!(
            view["links"][0]["href"],
            "http://x/v1/subscriptions/2145833/databases/13008822"
        );
    }

    /// 200 ms of real time: a task just received on the real clock, its 1.2 s in progress long
    /// past on one 1000 times faster.
    #[test]
    fn a_fast_clock_completes_tasks_sooner() {
        let fast: Clock = "1000".parse().unwrap();
        let mut state = State::new(&Setup {
            clock: fast,
            ..Setup::new(false)
        });
        state
            .start("c", Effect::Fail("X", String::new()), "")
            .unwrap();
        state.tasks[0].started -= Duration::from_millis(200);
        let view = |state: &State, clock| task_view(&state.tasks[0], "", clock).unwrap();
        assert_eq!(view(&state, Clock::REAL)["status"], "received");
        assert_eq!(view(&state, fast)["status"], "processing-in-progress");
        state.tick();
        assert_eq!(state.tasks[0].record["status"], "processing-error");
    }
}
