//! The Redis Cloud REST API v1 requests: `x-api-key`/`x-api-secret-key` headers, the two
//! subscription families (Pro under `/subscriptions`, Essentials under `/fixed/subscriptions`)
//! and offset/limit paging.
use std::sync::Arc;

use futures::future::try_join_all;

use reqwest::header::HeaderValue;
use serde_json::Value;

use super::Kind;
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, Call, Http, Reply};
use crate::model::ProviderKind;
use crate::paging::ListBounds;
use crate::provider::{expect_array, expect_object, path_segment, Shared};
use crate::secret::Secret;

/// The largest page Redis Cloud serves.
pub const PAGE_SIZE: usize = 100;
/// Pages asked of one subscription before dbctl assumes the server ignores `offset`.
const MAX_PAGES: usize = 1000;

pub struct Client {
    http: Http,
}

/// The account key and user secret, sent on every attempt.
struct RedisCloudApi {
    key: Secret,
    secret: Secret,
}

impl Api for RedisCloudApi {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        for (name, secret) in [("x-api-key", &self.key), ("x-api-secret-key", &self.secret)] {
            let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                Error::config(format!(
                    "the Redis Cloud {name} contains characters a header cannot carry"
                ))
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }

    fn explain(&self, error: &mut Error, status: u16) {
        match status {
            401 | 403 => {
                error.hint = Some(
                    "check REDIS_CLOUD_API_KEY (the account key) and REDIS_CLOUD_SECRET_KEY (a user key), or api_key/secret_key in the profile; keys are under Access Management > API Keys, and the key's allowed source IPs must include this machine".into(),
                );
            }
            412 => {
                error.kind = ErrorKind::Unsupported;
                error.hint = Some(
                    "Redis Cloud answers 412 when a feature is switched off for the account; ask Redis support to enable it".into(),
                );
            }
            _ => {}
        }
    }
}

impl Client {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        let key = profile.require_secret("api_key")?;
        let secret = profile.require_secret("secret_key").map_err(|mut e| {
            if profile.origin == crate::config::Origin::Env {
                e.message = format!("{} (REDIS_CLOUD_API_SECRET is accepted too)", e.message);
            }
            e
        })?;
        let url = profile
            .string("url")?
            .unwrap_or_else(|| super::DEFAULT_URL.to_string());
        let http = Http::new(
            crate::http::Target::of(profile, "url", &url, super::SPEC.requests_per_minute)?,
            Arc::new(RedisCloudApi { key, secret }),
            shared.http.clone(),
        )?;
        Ok(Client { http })
    }

    pub async fn send(&self, call: Call) -> Result<Reply> {
        self.http.send(call).await
    }

    /// The subscription records of one family; a 404 means the account has none.
    pub async fn subscriptions(&self, kind: Kind) -> Result<Vec<Value>> {
        let value: Value = match self.http.json(Call::get(kind.root())).await {
            Ok(value) => value,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut value = object(value, "the subscription list")?;
        match value.get_mut("subscriptions").map(Value::take) {
            Some(Value::Null) | None => Err(shape(format!(
                "the {} subscription list has no `subscriptions` field",
                kind.plan()
            ))),
            Some(list) => expect_array(list, ProviderKind::RedisCloud, "the subscription list"),
        }
    }

    /// Every database record of one subscription (`offset`, `limit=100`). With the count the
    /// subscription list gave, every page up to the one past it is asked for at once; paging
    /// goes on one page at a time only while pages come back full (the count was stale, or not
    /// given). A 404 (an empty subscription) ends the list.
    pub async fn databases(
        &self,
        kind: Kind,
        subscription: &str,
        count: Option<u64>,
        bounds: &ListBounds,
    ) -> Result<Vec<Value>> {
        let path = format!("{}/databases", kind.subscription(subscription));
        let at_once = count.map_or(1, |n| {
            usize::try_from(n).unwrap_or(MAX_PAGES) / PAGE_SIZE + 1
        });
        let at_once = at_once.clamp(1, MAX_PAGES);
        let first =
            try_join_all((0..at_once).map(|page| self.page(&path, page, subscription))).await?;
        let mut all: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut pages = first.into_iter();
        for page in 0..MAX_PAGES {
            let (records, bytes) = match pages.next() {
                Some(page) => page,
                None => self.page(&path, page, subscription).await?,
            };
            let count = records.len();
            bounds.page("the databases", count, bytes)?;
            let mut fresh = 0;
            for record in records {
                let key = super::convert::database_id(&record);
                if key.as_ref().is_none_or(|k| seen.insert(k.clone())) {
                    fresh += 1;
                    all.push(record);
                }
            }
            // A short page is the last; a full page of nothing new means offset is ignored.
            if count < PAGE_SIZE || fresh == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// One page of a subscription's databases and its size in bytes; a 404 is an empty page.
    async fn page(
        &self,
        path: &str,
        page: usize,
        subscription: &str,
    ) -> Result<(Vec<Value>, usize)> {
        let call = Call::get(path.to_string())
            .query("offset", page * PAGE_SIZE)
            .query("limit", PAGE_SIZE);
        match self.http.send(call).await {
            Ok(reply) => Ok((page_records(reply.json()?, subscription)?, reply.body.len())),
            Err(e) if e.kind == ErrorKind::NotFound => Ok((Vec::new(), 0)),
            Err(e) => Err(e),
        }
    }

    /// One subscription record (used to tell the families apart before a refusal).
    pub async fn subscription(&self, kind: Kind, id: &str) -> Result<Value> {
        let value: Value = self.http.json(Call::get(kind.subscription(id))).await?;
        object(value, "the subscription")
    }

    pub async fn database(&self, kind: Kind, subscription: &str, database: &str) -> Result<Value> {
        let value: Value = self
            .http
            .json(Call::get(kind.database(subscription, database)))
            .await?;
        object(value, "the database")
    }

    pub async fn task(&self, id: &str) -> Result<Value> {
        let value: Value = self
            .http
            .json(Call::get(format!("/tasks/{}", path_segment(id))))
            .await?;
        object(value, "the task")
    }

    /// `GET /tasks`: the account's recent tasks, a list.
    pub async fn tasks(&self) -> Result<Vec<Value>> {
        let value: Value = self.http.json(Call::get("/tasks")).await?;
        expect_array(value, ProviderKind::RedisCloud, "the task list")
    }

    /// A write answering `202 {taskId, ...}`.
    pub async fn write(&self, call: Call) -> Result<Value> {
        let reply = self.http.send(call).await?;
        if reply.body.iter().all(u8::is_ascii_whitespace) {
            return Err(shape(format!(
                "redis-cloud accepted the request ({}) but sent no task",
                reply.status
            )));
        }
        object(reply.json()?, "the task")
    }
}

/// The database records of one page: `{subscription: [{subscriptionId, databases: [...]}]}`
/// (Pro), `{subscription: {databases: [...]}}` (Essentials) or a bare `{databases: [...]}`.
fn page_records(value: Value, subscription: &str) -> Result<Vec<Value>> {
    let mut value = object(value, "a page of databases")?;
    let groups = match value.get_mut("subscription").map(Value::take) {
        Some(Value::Array(groups)) => groups,
        Some(group @ Value::Object(_)) => vec![group],
        Some(Value::Null) | None if value.get("databases").is_some() => vec![value],
        _ => {
            return Err(shape(format!(
                "the database page of subscription {subscription} has no `subscription` field"
            )))
        }
    };
    let mut records = Vec::new();
    for mut group in groups {
        // When several subscriptions come back, keep the one asked for.
        let other = group
            .get("subscriptionId")
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .is_some_and(|s| s != subscription);
        if other {
            continue;
        }
        match group.get_mut("databases").map(Value::take) {
            Some(Value::Array(items)) => records.extend(items.into_iter().filter(Value::is_object)),
            Some(Value::Null) | None => {}
            Some(_) => {
                return Err(shape(format!(
                    "the database page of subscription {subscription} holds no list of databases"
                )))
            }
        }
    }
    Ok(records)
}

fn object(value: Value, what: &str) -> Result<Value> {
    expect_object(value, ProviderKind::RedisCloud, what)
}

fn shape(message: String) -> Error {
    Error::provider_error(message).with_provider(ProviderKind::RedisCloud)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_come_in_three_shapes() {
        let pro = json!({"accountId": 1, "subscription": [{"subscriptionId": 7, "databases": [{"databaseId": 1}, "junk"]}]});
        assert_eq!(page_records(pro, "7").unwrap().len(), 1);
        let fixed =
            json!({"subscription": {"subscriptionId": 8, "databases": [{"databaseId": 1}]}});
        assert_eq!(page_records(fixed, "8").unwrap().len(), 1);
        let bare = json!({"databases": [{"databaseId": 1}, {"databaseId": 2}]});
        assert_eq!(page_records(bare, "9").unwrap().len(), 2);
        assert!(page_records(json!({"nope": 1}), "9").is_err());
        assert!(page_records(json!([1]), "9").is_err());
    }
}
