//! The Cosmos DB data-plane REST API: the master-key signature checked on every request
//! (with the provider's own signer), dates older than 15 minutes refused with 403, feeds paged
//! with `x-ms-max-item-count` / `x-ms-continuation`, 409 on a duplicate id, and Cosmos's
//! long multi-line `{"code","message"}` errors. The database account read at the endpoint lets
//! the official SDKs in. Offers (`GET /offers`, `GET|PUT /offers/{rid}`, rid-signed lower-cased)
//! hold each database's shared throughput, manual or autoscale (which drifts between a tenth of
//! its maximum and the maximum), with the service's migration rule; containers, items and
//! queries are a 501 that says so.
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, State as AxumState};
use axum::http::header::HOST;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use super::{lock, now_unix};
use crate::provider::cosmos::signer::{self, MasterKey};

pub const PREFIX: &str = "/cosmos";
/// The local Azure Cosmos DB emulator's well-known key (public by design).
pub const KEY: &str =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
/// How far a request's `x-ms-date` may be from now.
const SKEW: Duration = Duration::from_secs(15 * 60);
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

struct Db {
    record: Value,
    collections: Vec<Value>,
}

pub struct State {
    databases: Vec<Db>,
    offers: Vec<Value>,
    next_rid: u32,
}

/// Seeded offer rids, one with a `+` as real rids have.
const SEEDED_OFFER_RIDS: [&str; 2] = ["uT2L", "Hu+t"];

impl State {
    pub fn new(setup: &super::Setup) -> Self {
        let mut state = State {
            databases: Vec::new(),
            offers: Vec::new(),
            next_rid: 1,
        };
        if let Some(n) = setup.fleet() {
            for i in 0..n {
                let db = state.add(&format!("fleet-{i:04}"), 1_700_000_000);
                state.add_offer(&db, json!({ "offerThroughput": 400 }));
            }
        } else if setup.is_seeded() {
            for (id, created, collections, offer) in [
                (
                    "inventory",
                    1_699_000_000,
                    &["products", "orders"][..],
                    Some(json!({"offerThroughput": 400})),
                ),
                (
                    "Food DB",
                    1_702_000_000,
                    &["recipes", "pantry items"][..],
                    Some(
                        json!({"offerThroughput": 400, "offerAutopilotSettings": {"maxThroughput": 4000}}),
                    ),
                ),
                (
                    "télémétrie",
                    1_705_000_000,
                    &["events"][..],
                    Some(json!({"offerThroughput": 1000})),
                ),
                ("sessions", 1_710_000_000, &[][..], None),
            ] {
                let db = state.add(id, created);
                for name in collections {
                    state.add_collection(id, name, created);
                }
                if let Some(content) = offer {
                    state.add_offer(&db, content);
                }
            }
        }
        state
    }

    /// A V2 offer provisioning `db` (a database record).
    fn add_offer(&mut self, db: &Value, content: Value) {
        let n = self.offers.len();
        let rid = SEEDED_OFFER_RIDS
            .get(n)
            .map(|r| r.to_string())
            .unwrap_or_else(|| format!("o{n:03}"));
        let db_rid = db["_rid"].as_str().unwrap_or_default();
        let ts = now_unix();
        self.offers.push(json!({
            "resource": format!("dbs/{db_rid}/"), "offerType": "Invalid",
            "offerResourceId": db_rid, "offerVersion": "V2", "content": content,
            "id": rid, "_rid": rid, "_self": format!("offers/{rid}/"), "_etag": etag(ts), "_ts": ts,
        }));
    }

    fn offer(&mut self, rid: &str) -> Option<&mut Value> {
        self.offers.iter_mut().find(|o| o["id"] == rid)
    }

    fn rid(&mut self) -> String {
        let n = self.next_rid;
        self.next_rid += 1;
        base64::engine::general_purpose::STANDARD.encode((0x00A7_0000u32 + n).to_le_bytes())
    }

    fn add(&mut self, id: &str, ts: i64) -> Value {
        let rid = self.rid();
        let record = json!({
            "id": id,
            "_rid": rid,
            "_self": format!("dbs/{rid}/"),
            "_etag": etag(ts),
            "_colls": "colls/",
            "_users": "users/",
            "_ts": ts,
        });
        self.databases.push(Db {
            record: record.clone(),
            collections: Vec::new(),
        });
        record
    }

    fn add_collection(&mut self, db: &str, id: &str, ts: i64) {
        let rid = self.rid();
        let Some(db) = self.find(db) else { return };
        let db_rid = db.record["_rid"].as_str().unwrap_or_default().to_string();
        db.collections.push(json!({
            "id": id,
            "indexingPolicy": {"indexingMode": "consistent", "automatic": true,
                "includedPaths": [{"path": "/*"}], "excludedPaths": [{"path": "/\"_etag\"/?"}]},
            "partitionKey": {"paths": ["/id"], "kind": "Hash", "version": 2},
            "conflictResolutionPolicy": {"mode": "LastWriterWins", "conflictResolutionPath": "/_ts"},
            "geospatialConfig": {"type": "Geography"},
            "_rid": rid,
            "_ts": ts,
            "_self": format!("dbs/{db_rid}/colls/{rid}/"),
            "_etag": etag(ts),
            "_docs": "docs/", "_sprocs": "sprocs/", "_triggers": "triggers/",
            "_udfs": "udfs/", "_conflicts": "conflicts/",
        }));
    }

    fn find(&mut self, id: &str) -> Option<&mut Db> {
        self.databases.iter_mut().find(|d| d.record["id"] == id)
    }
}

fn etag(ts: i64) -> String {
    format!("\"0000{:04x}-0000-0000-0000-{ts:08x}0000\"", ts & 0xffff)
}

/// This API in the emulator, for the provider registry.
pub const API: super::ApiSpec = super::ApiSpec { router, settings };

/// The endpoint and key, and the Entra ID application that `auth = "entra"` signs in as.
fn settings(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("endpoint", endpoint(base)),
        ("key", KEY.into()),
        ("tenant_id", super::entra::TENANT.into()),
        ("client_id", super::entra::CLIENT_ID.into()),
        ("client_secret", super::entra::CLIENT_SECRET.into()),
        ("authority_url", super::entra::authority(base)),
    ]
}

fn endpoint(base: &str) -> String {
    format!("{base}{PREFIX}/")
}

type Shared = AxumState<Arc<Mutex<State>>>;

/// The API under [`PREFIX`], and the account at `PREFIX/` too: the endpoint as printed, which
/// the SDKs read first and which `nest` alone leaves unmatched.
fn router(setup: &super::Setup) -> Router {
    let store = Arc::new(Mutex::new(State::new(setup)));
    Router::new()
        .route(
            &format!("{PREFIX}/"),
            get(account).with_state(store.clone()),
        )
        .nest(PREFIX, routes(store))
}

fn routes(store: Arc<Mutex<State>>) -> Router {
    let routes = [
        ("/dbs", get(list).post(create)),
        ("/dbs/{id}", get(get_one).delete(delete)),
        (
            "/dbs/{id}/colls",
            get(list_collections).fallback(not_emulated),
        ),
        ("/offers", get(list_offers).fallback(not_emulated)),
        ("/offers/{rid}", get(get_offer).put(replace_offer)),
    ];
    let routes: [(&str, MethodRouter<Arc<Mutex<State>>>); 5] = routes;
    // The SDKs end every path with a slash; dbctl does not.
    routes
        .into_iter()
        .fold(
            Router::new().route("/", get(account)),
            |router, (path, handler)| {
                router
                    .route(path, handler.clone())
                    .route(&format!("{path}/"), handler)
            },
        )
        .fallback(not_emulated)
        .with_state(store)
}

/// The database account, read first by every Cosmos SDK: its locations point back at this
/// emulator (as the client reached it), so the SDK sends everything else here too.
async fn account(headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "", "") {
        return *refused;
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let locations = json!([{"name": "emulator", "databaseAccountEndpoint": endpoint(&format!("http://{host}"))}]);
    let body = json!({
        "_self": "",
        "id": "dbctl-emulator",
        "_rid": host,
        "media": "//media/",
        "addresses": "//addresses/",
        "_dbs": "//dbs/",
        "writableLocations": locations,
        "readableLocations": locations,
        "enableMultipleWriteLocations": false,
        "userReplicationPolicy": {"asyncReplication": false, "minReplicaSetSize": 1, "maxReplicasetSize": 4},
        "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"},
        "systemReplicationPolicy": {"minReplicaSetSize": 1, "maxReplicasetSize": 4},
        "readPolicy": {"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
        "queryEngineConfiguration": "{}",
    });
    answer(StatusCode::OK, body, 1, None)
}

/// A Cosmos error: `{"code","message"}` with the service's trailing diagnostics.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let activity = activity_id();
    let message =
        format!("{message}\r\nActivityId: {activity}, Microsoft.Azure.Documents.Common/2.14.0");
    let mut response = (status, Json(json!({"code": code, "message": message}))).into_response();
    if let Ok(value) = HeaderValue::from_str(&activity) {
        response.headers_mut().insert("x-ms-activity-id", value);
    }
    response
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        "Message: {\"Errors\":[\"Resource Not Found. Learn more: https:\\/\\/aka.ms\\/cosmosdb-tsg-not-found\"]}",
    )
}

fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn activity_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(..0x1000),
        fastrand::u64(..0x1_0000_0000_0000)
    )
}

/// The service's checks, in its order: date present and recent, version, signature.
fn authorize(
    headers: &HeaderMap,
    verb: &str,
    resource_type: &str,
    link: &str,
) -> Result<(), Box<Response>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(date) = header("x-ms-date").or_else(|| header("date")) else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The input date header is invalid format. Please pass in RFC 1123 style date format.",
        )));
    };
    let Ok(when) = httpdate::parse_http_date(date) else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The input date header is invalid format. Please pass in RFC 1123 style date format.",
        )));
    };
    let now = SystemTime::now();
    let skew = now
        .duration_since(when)
        .or_else(|_| when.duration_since(now))
        .unwrap_or_default();
    if skew > SKEW {
        let start = httpdate::fmt_http_date(when);
        let expiry = httpdate::fmt_http_date(when + SKEW);
        let current = httpdate::fmt_http_date(now);
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("The authorization token is not valid at the current time. Please create another token and retry (token start time: {start}, token expiry time: {expiry}, current time: {current})."),
        )));
    }
    if header("x-ms-version").is_none() {
        return Err(Box::new(bad_request(
            "Required header 'x-ms-version' is missing.",
        )));
    }
    let Some(authorization) = header("authorization") else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Required Header authorization is missing. Ensure a valid Authorization token is passed.",
        )));
    };
    if let Some((_, _, token)) =
        signer::parse_authorization(authorization).filter(|(kind, ..)| kind == "aad")
    {
        return admit_token(&token, verb, resource_type, link);
    }
    let expected = MasterKey::decode(KEY)
        .map(|key| key.signature(verb, resource_type, link, date))
        .unwrap_or_default();
    let valid = signer::parse_authorization(authorization).is_some_and(|(kind, version, sig)| {
        kind == "master" && version == "1.0" && !expected.is_empty() && sig == expected
    });
    if !valid {
        let payload = signer::string_to_sign(verb, resource_type, link, date);
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            &format!("The input authorization token can't serve the request. The wrong key is being used or the expected payload is not built as per the protocol. For more details, please refer to the troubleshooting guide https://aka.ms/CosmosDB/sql/errors/unauthorized. Server used the following payload to sign: '{payload}'"),
        )));
    }
    Ok(())
}

/// A Microsoft Entra ID token (`type=aad`): one the emulator's token endpoint issued and still
/// valid (else 401), whose application holds a data-plane role (else 403, substatus 5301), for
/// a data-plane operation: reading metadata. Creating or deleting databases and reading or
/// changing throughput are management operations, which Cosmos refuses to Entra ID tokens on
/// the data plane (403, substatus 5300).
fn admit_token(
    token: &str,
    verb: &str,
    resource_type: &str,
    link: &str,
) -> Result<(), Box<Response>> {
    use super::entra::{check, Grant, Rejection};
    let blocked = |substatus: &'static str, message: String| {
        let mut response = error(StatusCode::FORBIDDEN, "Forbidden", &message);
        response
            .headers_mut()
            .insert("x-ms-substatus", HeaderValue::from_static(substatus));
        Err(Box::new(response))
    };
    match check(token) {
        Err(rejection) => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            match rejection {
                Rejection::Expired => "The input authorization token can't serve the request. The AAD token has expired; acquire a new token and retry.",
                Rejection::Unknown => "The input authorization token can't serve the request. The AAD token was not issued for this account by a trusted authority.",
            },
        ))),
        Ok(Grant::NoRole) => blocked(
            "5301",
            format!("Request blocked by Auth dbctl-emulator : Request is blocked because principal [{}] does not have required RBAC permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/]. Learn more: https://aka.ms/cosmos-native-rbac.", super::entra::CLIENT_ID_WITHOUT_ROLE),
        ),
        Ok(Grant::Data) if verb != "GET" || resource_type == "offers" => {
            let path = if link.is_empty() || resource_type == "offers" {
                format!("/{resource_type}/{link}")
            } else {
                format!("/{link}")
            };
            blocked(
                "5300",
                format!("Request blocked by Auth dbctl-emulator : The given request [{verb} {}] cannot be authorized by AAD token in data plane. Learn more: https://aka.ms/cosmos-native-rbac.", path.trim_end_matches('/')),
            )
        }
        Ok(Grant::Data) => Ok(()),
    }
}

/// The usual response headers, plus the continuation when there is more.
fn answer(status: StatusCode, body: Value, count: usize, continuation: Option<String>) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("x-ms-item-count", HeaderValue::from(count));
    headers.insert("x-ms-request-charge", HeaderValue::from_static("1"));
    if let Ok(value) = HeaderValue::from_str(&activity_id()) {
        headers.insert("x-ms-activity-id", value);
    }
    if let Some(token) = continuation.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert("x-ms-continuation", token);
    }
    response
}

/// One page of a feed: `x-ms-max-item-count` items from the continuation's offset on.
fn page(
    headers: &HeaderMap,
    items: &[Value],
    rid: &str,
) -> Result<(Vec<Value>, Option<String>), Box<Response>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let size = match header("x-ms-max-item-count").map(|v| v.trim().parse::<i64>()) {
        None | Some(Ok(-1)) => DEFAULT_PAGE,
        Some(Ok(n)) if n > 0 => (n as usize).min(MAX_PAGE),
        Some(_) => return Err(Box::new(bad_request(
            "Invalid value for header x-ms-max-item-count: it must be -1 or a positive integer.",
        ))),
    };
    let offset = match header("x-ms-continuation") {
        None => 0,
        Some(token) => token
            .rsplit_once("#TRC:")
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .ok_or_else(|| Box::new(bad_request("Invalid Continuation Token")))?,
    };
    let end = (offset + size).min(items.len());
    let slice = items.get(offset..end).unwrap_or_default().to_vec();
    let next = (end < items.len()).then(|| format!("+RID:~{rid}#RT:{}#TRC:{end}", end / size));
    Ok((slice, next))
}

async fn list(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "dbs", "") {
        return *refused;
    }
    let state = lock(&store);
    let all: Vec<Value> = state.databases.iter().map(|d| d.record.clone()).collect();
    match page(&headers, &all, "") {
        Ok((items, next)) => {
            let count = items.len();
            let body = json!({"_rid": "", "Databases": items, "_count": count});
            answer(StatusCode::OK, body, count, next)
        }
        Err(refused) => *refused,
    }
}

async fn get_one(AxumState(store): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "dbs", &format!("dbs/{id}")) {
        return *refused;
    }
    match lock(&store).find(&id) {
        Some(db) => answer(StatusCode::OK, db.record.clone(), 1, None),
        None => not_found(),
    }
}

async fn list_collections(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "colls", &format!("dbs/{id}")) {
        return *refused;
    }
    let mut state = lock(&store);
    let Some(db) = state.find(&id) else {
        return not_found();
    };
    let rid = db.record["_rid"].as_str().unwrap_or_default().to_string();
    match page(&headers, &db.collections, &rid) {
        Ok((items, next)) => {
            let count = items.len();
            let body = json!({"_rid": rid, "DocumentCollections": items, "_count": count});
            answer(StatusCode::OK, body, count, next)
        }
        Err(refused) => *refused,
    }
}

async fn create(
    AxumState(store): Shared,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(refused) = authorize(&headers, "POST", "dbs", "") {
        return *refused;
    }
    if headers.contains_key("x-ms-documentdb-isquery") {
        return not_implemented(&format!("POST {PREFIX}/dbs (query)"), "queries");
    }
    let Some(Json(body)) = body else {
        return bad_request(
            "The request payload is invalid. Ensure to provide a valid request payload.",
        );
    };
    let Some(id) = body["id"].as_str() else {
        return bad_request(
            "The input content is invalid because the required properties - 'id; ' - are missing",
        );
    };
    if id.is_empty() || id.contains(['/', '\\', '?', '#']) || id.chars().count() > 255 {
        return bad_request(&format!("The input name '{id}' is invalid. Ensure to provide a unique non-empty string less than '255' characters that does not contain '/', '\\\\', '?' or '#'."));
    }
    if let Some(throughput) = headers
        .get("x-ms-offer-throughput")
        .and_then(|v| v.to_str().ok())
    {
        let valid = throughput
            .trim()
            .parse::<u64>()
            .is_ok_and(|ru| (400..=1_000_000).contains(&ru) && ru % 100 == 0);
        if !valid {
            return bad_request(&format!("The offer throughput provided '{throughput}' is not valid. Please enter a valid offer throughput value between 400 and 1000000 inclusive in increments of 100."));
        }
    }
    let mut state = lock(&store);
    if state.find(id).is_some() {
        return error(
            StatusCode::CONFLICT,
            "Conflict",
            "Entity with the specified id already exists in the system., ",
        );
    }
    // The service refuses a create past a resource quota with 403.
    if let Some(refusal) = super::full(state.databases.len()) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("Message: {{\"Errors\":[\"{refusal}\"]}}"),
        );
    }
    let record = state.add(id, now_unix());
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ru) = header("x-ms-offer-throughput").and_then(|v| v.trim().parse::<u64>().ok()) {
        state.add_offer(&record, json!({ "offerThroughput": ru }));
    } else if let Some(settings) = header("x-ms-cosmos-offer-autopilot-settings")
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
    {
        let max = settings["maxThroughput"].as_u64().unwrap_or(4000);
        state.add_offer(
            &record,
            json!({"offerThroughput": max / 10, "offerAutopilotSettings": {"maxThroughput": max}}),
        );
    }
    answer(StatusCode::CREATED, record, 1, None)
}

async fn delete(AxumState(store): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(refused) = authorize(&headers, "DELETE", "dbs", &format!("dbs/{id}")) {
        return *refused;
    }
    let mut state = lock(&store);
    let Some(rid) = state.find(&id).map(|d| d.record["_rid"].clone()) else {
        return not_found();
    };
    state.databases.retain(|d| d.record["id"] != id.as_str());
    state.offers.retain(|o| o["offerResourceId"] != rid);
    StatusCode::NO_CONTENT.into_response()
}

/// An offer as read now: an autoscale offer's `offerThroughput` is what it is scaled to.
fn offer_now(offer: &Value) -> Value {
    let mut offer = offer.clone();
    if let Some(max) = offer["content"]["offerAutopilotSettings"]["maxThroughput"].as_f64() {
        let rid = offer["id"].as_str().unwrap_or_default().to_string();
        let now = super::wave(&rid, now_unix() as f64, max / 10.0, max);
        offer["content"]["offerThroughput"] = json!(((now / 100.0).round() * 100.0) as u64);
    }
    offer
}

async fn list_offers(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "offers", "") {
        return *refused;
    }
    let state = lock(&store);
    let all: Vec<Value> = state.offers.iter().map(offer_now).collect();
    match page(&headers, &all, "") {
        Ok((items, next)) => {
            let count = items.len();
            let body = json!({"_rid": "", "Offers": items, "_count": count});
            answer(StatusCode::OK, body, count, next)
        }
        Err(refused) => *refused,
    }
}

/// Offers are addressed by rid, signed with the rid lower-cased.
async fn get_offer(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(rid): Path<String>,
) -> Response {
    if let Err(refused) = authorize(&headers, "GET", "offers", &rid.to_lowercase()) {
        return *refused;
    }
    match lock(&store).offer(&rid) {
        Some(offer) => {
            let mut response = answer(StatusCode::OK, offer_now(offer), 1, None);
            response.headers_mut().insert(
                "x-ms-cosmos-min-throughput",
                HeaderValue::from_static("400"),
            );
            response
        }
        None => not_found(),
    }
}

/// Replaces an offer's content. Manual RU/s: 400 or more in steps of 100; autoscale maximum:
/// 1000 or more in steps of 1000. Switching mode takes the migration header with the old
/// content; the service then picks the new value.
async fn replace_offer(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(rid): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(refused) = authorize(&headers, "PUT", "offers", &rid.to_lowercase()) {
        return *refused;
    }
    let Some(Json(body)) = body else {
        return bad_request(
            "The request payload is invalid. Ensure to provide a valid request payload.",
        );
    };
    let flag = |name: &str| {
        headers
            .get(name)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
    };
    let to_autoscale = flag("x-ms-cosmos-migrate-offer-to-autopilot");
    let to_manual = flag("x-ms-cosmos-migrate-offer-to-manual-throughput");
    let mut state = lock(&store);
    let Some(offer) = state.offer(&rid) else {
        return not_found();
    };
    if body["id"] != rid
        || body["offerVersion"] != "V2"
        || body["offerResourceId"] != offer["offerResourceId"]
    {
        return bad_request(
            "The offer to replace must keep its id, offerResourceId and offerVersion V2.",
        );
    }
    let autoscale_now = offer["content"]["offerAutopilotSettings"].is_object();
    let manual = body["content"]["offerThroughput"].as_u64();
    let max = body["content"]["offerAutopilotSettings"]["maxThroughput"].as_u64();
    let content = if to_autoscale && !autoscale_now {
        let current = offer["content"]["offerThroughput"].as_u64().unwrap_or(400);
        json!({"offerThroughput": current, "offerAutopilotSettings": {"maxThroughput": (current * 10).max(1000).div_ceil(1000) * 1000}})
    } else if to_manual && autoscale_now {
        let max = offer["content"]["offerAutopilotSettings"]["maxThroughput"]
            .as_u64()
            .unwrap_or(4000);
        json!({"offerThroughput": (max / 10).max(400).div_ceil(100) * 100})
    } else if let (Some(max), true, None) = (max, autoscale_now, manual) {
        if max < 1000 || max % 1000 != 0 || max > 1_000_000 {
            return bad_request(&format!("The autoscale max throughput '{max}' is not valid: use 1000 to 1000000 in steps of 1000."));
        }
        json!({"offerThroughput": max / 10, "offerAutopilotSettings": {"maxThroughput": max}})
    } else if let (Some(ru), false, None) = (manual, autoscale_now, max) {
        if ru < 400 || ru % 100 != 0 || ru > 1_000_000 {
            return bad_request(&format!("The offer throughput provided '{ru}' is not valid. Please enter a valid offer throughput value between 400 and 1000000 inclusive in increments of 100."));
        }
        json!({"offerThroughput": ru})
    } else if autoscale_now {
        return bad_request("x-ms-cosmos-migrate-offer-to-manual-throughput must be supplied and offercontent must not contain offerThroughput for migration from autoscale to manual throughput.");
    } else {
        return bad_request("x-ms-cosmos-migrate-offer-to-autopilot must be supplied and offercontent must not contain autopilotSettings for migration from manual throughput to autoscale.");
    };
    let ts = now_unix();
    offer["content"] = content;
    offer["_ts"] = json!(ts);
    offer["_etag"] = json!(etag(ts + 1));
    answer(StatusCode::OK, offer.clone(), 1, None)
}

/// Everything below a database (containers, items, users) and offer queries: a 501 that names what is
/// missing, so an SDK user sees at once why the call failed. Other paths are a 404.
async fn not_emulated(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let what = if path.starts_with("/dbs/") {
        "containers, items and everything else below a database"
    } else if path.starts_with("/offers") {
        "offer queries (list the feed, or read an offer by rid)"
    } else {
        return not_found();
    };
    not_implemented(&format!("{method} {PREFIX}{path}"), what)
}

fn not_implemented(request: &str, what: &str) -> Response {
    error(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        &format!("dbctl emulator does not emulate {what}; it serves the database account and databases only (list, create, read, delete). Request: {request}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_state_has_an_id_with_a_space() {
        let mut state = State::new(&crate::emulator::Setup::new(true));
        assert_eq!(state.find("Food DB").map(|d| d.collections.len()), Some(2));
        assert!(State::new(&crate::emulator::Setup::new(false))
            .databases
            .is_empty());
    }

    #[tokio::test]
    async fn the_account_read_is_signed_and_points_back_at_the_endpoint() {
        let date = signer::date_now();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("localhost:8081"));
        headers.insert("x-ms-version", HeaderValue::from_static("2018-12-31"));
        headers.insert("x-ms-date", HeaderValue::from_str(&date).unwrap());
        let unsigned = account(headers.clone()).await;
        assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
        let signature = MasterKey::decode(KEY)
            .unwrap()
            .authorization("GET", "", "", &date);
        headers.insert("authorization", HeaderValue::from_str(&signature).unwrap());
        let response = account(headers).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["writableLocations"],
            json!([{"name": "emulator", "databaseAccountEndpoint": "http://localhost:8081/cosmos/"}])
        );
        assert_eq!(body["readableLocations"], body["writableLocations"]);
        assert_eq!(
            body["userConsistencyPolicy"]["defaultConsistencyLevel"],
            "Session"
        );
        assert_eq!(body["enableMultipleWriteLocations"], false);
    }

    #[test]
    fn pages_follow_the_continuation() {
        let items: Vec<Value> = (0..5).map(|i| json!({ "id": i })).collect();
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-max-item-count", HeaderValue::from_static("2"));
        let (first, next) = page(&headers, &items, "").map_err(|_| ()).unwrap();
        assert_eq!(first.len(), 2);
        headers.insert(
            "x-ms-continuation",
            HeaderValue::from_str(&next.unwrap()).unwrap(),
        );
        let (second, next) = page(&headers, &items, "").map_err(|_| ()).unwrap();
        assert_eq!(second[0]["id"], 2);
        headers.insert(
            "x-ms-continuation",
            HeaderValue::from_str(&next.unwrap()).unwrap(),
        );
        let (last, next) = page(&headers, &items, "").map_err(|_| ()).unwrap();
        assert_eq!((last.len(), next), (1, None));
    }
}
