//! The cluster REST API requests (`https://HOST:9443/v1/...`, basic auth).
use std::sync::Arc;

use serde_json::Value;

use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, BasicAuth, Call, Http, Reply};
use crate::model::ProviderKind;
use crate::provider::id;
use crate::provider::{expect_array, expect_object, path_segment, Shared};

const KIND: ProviderKind = ProviderKind::RedisEnterprise;

/// The fields `db list` / `db get` use (the cluster sends every field otherwise).
pub const DATABASE_FIELDS: &str =
    "uid,name,status,memory_size,port,endpoints,dns_address_master,tls_mode,ssl,created_time,backup,data_persistence,shards_count,replication,eviction_policy";
/// What `db url` needs, the password included.
pub const CONNECTION_FIELDS: &str =
    "uid,name,status,port,endpoints,dns_address_master,tls_mode,ssl,authentication_redis_pass";

pub struct Client {
    http: Http,
}

/// Basic auth plus hints for the cluster's refusals.
struct ClusterApi(BasicAuth);

impl Api for ClusterApi {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        self.0.authorize(request)
    }
    fn explain(&self, error: &mut Error, status: u16) {
        let lower = error.message.to_ascii_lowercase();
        match error.kind {
            ErrorKind::Auth => {
                error.hint = Some(
                    "check REDIS_ENTERPRISE_USER and REDIS_ENTERPRISE_PASSWORD (or user/password in the profile); the user needs a cluster role that may manage databases".into(),
                )
            }
            ErrorKind::Invalid if lower.contains("memory") && lower.contains("required") => {
                error.hint = Some("give the size with --memory, e.g. --memory 1GB".into())
            }
            ErrorKind::Conflict if status == 409 => {
                error.hint = Some(
                    "another database has that name or uid, or the database is busy with another change; retry when `dbctl db get` shows it active".into(),
                )
            }
            _ => {}
        }
    }
}

impl Client {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        let url = profile.require_string("url")?;
        let user = profile.require_string("user")?;
        let password = profile.require_secret("password")?;
        let api = Arc::new(ClusterApi(BasicAuth { user, password }));
        let http = Http::new(
            crate::http::Target::of(profile, "url", &url, super::SPEC.requests_per_minute)?,
            api,
            shared.http.clone(),
        )?;
        Ok(Client { http })
    }

    pub async fn send(&self, call: Call) -> Result<Reply> {
        self.http.send(call).await
    }

    /// `fields` limits the answer; `None` asks for every field (`--raw`).
    pub async fn list(&self, fields: Option<&str>) -> Result<Vec<Value>> {
        let mut call = Call::get("/v1/bdbs");
        if let Some(fields) = fields {
            call = call.query("fields", fields);
        }
        let value: Value = self.http.json(call).await?;
        expect_array(value, KIND, "the database list")
    }

    pub async fn get(&self, uid: &str, fields: Option<&str>) -> Result<Value> {
        let mut call = Call::get(bdb_path(uid));
        if let Some(fields) = fields {
            call = call.query("fields", fields);
        }
        let value: Value = self.http.json(call).await?;
        expect_object(value, KIND, "the database")
    }

    /// `POST /v1/bdbs`, or its validation only with `dry_run`.
    pub async fn create(&self, body: Value, dry_run: bool) -> Result<Value> {
        let mut call = Call::post("/v1/bdbs").json(body);
        if dry_run {
            call = call.query("dry_run", "true");
        }
        self.object_or_empty(call, "the created database").await
    }

    /// `PUT /v1/bdbs/{uid}`, or its validation only with `dry_run`.
    pub async fn update(&self, uid: &str, body: Value, dry_run: bool) -> Result<Value> {
        let mut call = Call::put(bdb_path(uid)).json(body);
        if dry_run {
            call = call.query("dry_run", "true");
        }
        self.object_or_empty(call, "the updated database").await
    }

    pub async fn delete(&self, uid: &str) -> Result<()> {
        self.http.send(Call::delete(bdb_path(uid))).await.map(drop)
    }

    /// `PUT /v1/bdbs/{uid}/{action}` (`flush`, `reset_admin_pass`) with an empty update.
    pub async fn bdb_action(&self, uid: &str, action: &str) -> Result<Value> {
        let call = Call::put(format!("{}/{action}", bdb_path(uid)))
            .json(Value::Object(serde_json::Map::new()))
            .once();
        self.object_or_empty(call, "the database").await
    }

    /// `POST /v1/bdbs/{uid}/actions/import`.
    pub async fn import(&self, uid: &str, body: Value) -> Result<Value> {
        let call = Call::post(format!("{}/actions/import", bdb_path(uid))).json(body);
        self.object_or_empty(call, "the import answer").await
    }

    pub async fn action(&self, uid: &str) -> Result<Value> {
        let value: Value = self
            .http
            .json(Call::get(format!("/v1/actions/{}", path_segment(uid))))
            .await?;
        expect_object(value, KIND, "the action")
    }

    /// `GET /v1/actions`: `{"actions": [...], "state-machines": [...]}` (older clusters: a
    /// bare list), both kinds together.
    pub async fn actions(&self) -> Result<Vec<Value>> {
        let value: Value = self.http.json(Call::get("/v1/actions")).await?;
        match value {
            Value::Object(mut groups) => {
                let mut all = Vec::new();
                for group in ["actions", "state-machines"] {
                    if let Some(items) = groups.remove(group) {
                        all.extend(expect_array(items, KIND, "the action list")?);
                    }
                }
                Ok(all)
            }
            other => expect_array(other, KIND, "the action list"),
        }
    }

    /// The newest sample of every database (`GET /v1/bdbs/stats/last`), or of one
    /// (`/v1/bdbs/stats/last/{uid}`): an object keyed by uid.
    pub async fn stats_last(&self, uid: Option<&str>) -> Result<Value> {
        let path = match uid {
            Some(uid) => format!("/v1/bdbs/stats/last/{}", path_segment(uid)),
            None => "/v1/bdbs/stats/last".to_string(),
        };
        let value: Value = self.http.json(Call::get(path)).await?;
        expect_object(value, KIND, "the database statistics")
    }

    /// Write answers are a JSON object, or nothing at all on some versions.
    async fn object_or_empty(&self, call: Call, what: &str) -> Result<Value> {
        let reply = self.http.send(call).await?;
        if reply.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        expect_object(reply.json()?, KIND, what)
    }
}

/// What a valid uid looks like, for refusals.
const ID_FORM: &str = "redis-enterprise database uids are positive numbers such as 1, as `dbctl db list -p redis-enterprise` prints them";

/// A database uid is a positive integer (blanks around it aside); anything else is refused
/// (exit 6) before a request.
pub fn uid(id: &str) -> Result<String> {
    id::check_common(KIND, id, ID_FORM)?;
    match id.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n.to_string()),
        _ => Err(id::malformed(
            KIND,
            id,
            "it is not a positive number",
            ID_FORM,
        )),
    }
}

fn bdb_path(uid: &str) -> String {
    format!("/v1/bdbs/{}", path_segment(uid))
}
