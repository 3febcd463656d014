//! The Upstash Developer API requests.
use std::sync::Arc;

use serde_json::{json, Value};

use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, BasicAuth, Call, Http, Reply};
use crate::model::ProviderKind;
use crate::provider::id;
use crate::provider::{
    expect_array, expect_object, path_segment, setting_text, Shared, UpdateRequest,
};

pub struct Client {
    http: Http,
}

/// Basic auth plus Upstash's error quirks.
struct UpstashApi(BasicAuth);

impl Api for UpstashApi {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        self.0.authorize(request)
    }
    fn explain(&self, error: &mut Error, status: u16) {
        // Upstash answers an unknown id with 400/404 and a "not found" sentence.
        if status < 500
            && error.kind != ErrorKind::Auth
            && error.message.to_ascii_lowercase().contains("not found")
        {
            error.kind = ErrorKind::NotFound;
        }
        if error.kind == ErrorKind::Auth {
            error.hint = Some("check UPSTASH_EMAIL and UPSTASH_API_KEY (or email/api_key in the profile); keys are under Account > Management API in the Upstash console".into());
        }
    }
}

impl Client {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        let email = profile.require_string("email")?;
        let api_key = profile.require_secret("api_key")?;
        let url = profile
            .string("url")?
            .unwrap_or_else(|| super::DEFAULT_URL.to_string());
        let api = Arc::new(UpstashApi(BasicAuth {
            user: email,
            password: api_key,
        }));
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

    pub async fn list_databases(&self) -> Result<Vec<Value>> {
        let value: Value = self.http.json(Call::get("/redis/databases")).await?;
        array(value, "the database list")
    }

    /// One database; `hide_credentials` keeps passwords and tokens out of the answer.
    pub async fn get_database(&self, id: &str, hide_credentials: bool) -> Result<Value> {
        let mut call = Call::get(format!("/redis/database/{}", database_segment(id)?));
        if hide_credentials {
            call = call.query("credentials", "hide");
        }
        let value: Value = self.http.json(call).await?;
        object(value, "the database")
    }

    /// `GET /redis/stats/{id}`: the database's figures and time series.
    pub async fn stats(&self, id: &str) -> Result<Value> {
        let value: Value = self
            .http
            .json(Call::get(format!("/redis/stats/{}", path_segment(id))))
            .await?;
        object(value, "the database stats")
    }

    pub async fn create_database(&self, body: Value) -> Result<Value> {
        let value: Value = self
            .http
            .json(Call::post("/redis/database").json(body))
            .await?;
        object(value, "the created database")
    }

    pub async fn delete_database(&self, id: &str) -> Result<()> {
        self.http
            .send(Call::delete(format!(
                "/redis/database/{}",
                database_segment(id)?
            )))
            .await
            .map(drop)
    }

    pub async fn reset_password(&self, id: &str) -> Result<()> {
        self.http
            .send(Call::post(format!(
                "/redis/reset-password/{}",
                database_segment(id)?
            )))
            .await
            .map(drop)
    }

    pub async fn list_backups(&self, id: &str) -> Result<Vec<Value>> {
        let value: Value = self
            .http
            .json(Call::get(format!(
                "/redis/list-backup/{}",
                database_segment(id)?
            )))
            .await?;
        array(value, "the backup list")
    }

    pub async fn create_backup(&self, id: &str, name: &str) -> Result<()> {
        let call = Call::post(format!("/redis/create-backup/{}", database_segment(id)?))
            .json(json!({ "name": name }));
        self.http.send(call).await.map(drop)
    }

    pub async fn restore_backup(&self, id: &str, backup_id: &str) -> Result<()> {
        let call = Call::post(format!("/redis/restore-backup/{}", database_segment(id)?))
            .json(json!({ "backup_id": backup_id }));
        self.http.send(call).await.map(drop)
    }
}

/// What a valid id looks like, for refusals.
const ID_FORM: &str = "upstash database ids are UUID-like (letters, digits, dashes and underscores), e.g. 96ad0856-03b1-4ee7-9666-e81abd0349e1, as `dbctl db list -p upstash` prints them";

/// Refuses (exit 6) an id no Upstash database can have: blank, or anything but ASCII letters,
/// digits, `-` and `_`.
pub fn check_id(id: &str) -> Result<()> {
    id::check_common(ProviderKind::Upstash, id, ID_FORM)?;
    match id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    {
        None => Ok(()),
        Some(c) => Err(id::malformed(
            ProviderKind::Upstash,
            id,
            &format!("it contains {c:?}"),
            ID_FORM,
        )),
    }
}

/// A database id as a path segment, once checked.
fn database_segment(id: &str) -> Result<String> {
    check_id(id)?;
    Ok(path_segment(id))
}

/// The calls `db update` makes: one Upstash endpoint per change.
pub fn update_calls(id: &str, request: &UpdateRequest) -> Result<Vec<Call>> {
    let id = database_segment(id)?;
    let mut calls = Vec::new();
    if let Some(name) = &request.name {
        calls.push(Call::post(format!("/redis/rename/{id}")).json(json!({ "name": name })));
    }
    let tls = request.tls.map(|on| ("tls".to_string(), Value::Bool(on)));
    for (key, value) in request.settings.iter().chain(&tls) {
        let call = match (key.as_str(), value) {
            ("plan", _) => Call::post(format!("/redis/change-plan/{id}"))
                .json(json!({ "plan_name": setting_text(value) })),
            ("budget", Value::Number(n)) if n.as_u64().is_some_and(|b| b > 0) => {
                Call::patch(format!("/redis/update-budget/{id}")).json(json!({ "budget": n }))
            }
            ("budget", _) => {
                return Err(Error::invalid(format!(
                    "budget must be a positive whole number of dollars, got {value}"
                )))
            }
            ("tls", Value::Bool(true)) => Call::post(format!("/redis/enable-tls/{id}")),
            ("eviction", Value::Bool(true)) => Call::post(format!("/redis/enable-eviction/{id}")),
            ("tls" | "eviction", _) => {
                return Err(Error::invalid(format!(
                    "upstash can only turn {key} on (--set {key}=true)"
                )))
            }
            _ => {
                return Err(Error::invalid(format!(
                    "upstash cannot update {key}; accepted: --name, --set plan=, budget=, tls=true, eviction=true"
                )))
            }
        };
        calls.push(call);
    }
    Ok(calls)
}

fn array(value: Value, what: &str) -> Result<Vec<Value>> {
    expect_array(value, ProviderKind::Upstash, what)
}

fn object(value: Value, what: &str) -> Result<Value> {
    expect_object(value, ProviderKind::Upstash, what)
}
