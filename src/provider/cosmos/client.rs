//! The Cosmos DB data-plane REST requests, signed with the account's master key.
use std::sync::Arc;

use reqwest::header::HeaderValue;
use serde_json::Value;

use super::convert::Account;
use super::signer::{self, MasterKey};
use crate::config::{Origin, Profile};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, Call, Http, Reply};
use crate::model::ProviderKind;
use crate::paging::ListBounds;
use crate::provider::id;
use crate::provider::{expect_array, expect_object, path_segment, Shared};
use crate::secret::Secret;

/// The largest page Cosmos serves (`x-ms-max-item-count`).
pub const PAGE_SIZE: u32 = 1000;

pub struct Client {
    http: Http,
    pub account: Account,
    /// The key as configured, for `db url --show-secrets`.
    pub key: Secret,
}

/// Signs every attempt afresh: a retry carries a new date and a new signature.
struct CosmosApi {
    key: MasterKey,
    /// The endpoint's own path (`""` for a real account, `/cosmos` for the emulator): the
    /// resource link is the request path below it.
    base_path: String,
    /// How the key was given, for the 401 hint.
    key_source: String,
}

impl Api for CosmosApi {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        let path = request.url().path();
        let path = path.strip_prefix(&self.base_path).unwrap_or(path);
        let (resource_type, link) = signer::resource(path);
        let date = signer::date_now();
        let authorization =
            self.key
                .authorization(request.method().as_str(), &resource_type, &link, &date);
        let headers = request.headers_mut();
        let value = |text: &str| {
            HeaderValue::from_str(text)
                .map_err(|_| Error::internal("a Cosmos header holds an invalid character"))
        };
        headers.insert("x-ms-date", value(&date)?);
        headers.insert(
            "x-ms-version",
            HeaderValue::from_static(signer::API_VERSION),
        );
        let mut authorization = value(&authorization)?;
        authorization.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, authorization);
        Ok(())
    }

    fn explain(&self, error: &mut Error, status: u16) {
        let skew = status == 403 && is_clock_skew(&error.message);
        error.message = tidy(&error.message);
        match status {
            401 => {
                error.hint = Some(format!(
                    "check {}: it must be a key (primary or secondary) of the account at the endpoint, copied whole from the portal's Keys page",
                    self.key_source
                ))
            }
            403 if skew => {
                error.hint = Some("Cosmos refuses requests dated more than 15 minutes away from its clock: check this machine's system clock and time zone (e.g. `timedatectl`, enable NTP)".into())
            }
            403 => {
                error.hint = Some(format!(
                    "the account refused the request: check its firewall / network settings and that {} is a read-write key",
                    self.key_source
                ))
            }
            // Request timeout and "retry with" are transient at Cosmos.
            408 => {
                error.kind = ErrorKind::Timeout;
                error.retryable = true;
            }
            449 => error.retryable = true,
            _ => {}
        }
    }
}

impl Client {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        let endpoint = profile.require_string("endpoint")?;
        let secret = profile.require_secret("key")?;
        let key_source = key_source(profile);
        let key = MasterKey::decode(secret.expose()).ok_or_else(|| {
            Error::config(format!(
                "the master key of profile '{}' ({key_source}) is not valid base64",
                profile.name
            ))
            .with_origin(ProviderKind::Cosmos, &profile.name)
            .with_hint("copy the PRIMARY KEY (or SECONDARY KEY) from the account's Keys page in the Azure portal; `az cosmosdb keys list` shows it too")
        })?;
        let url = reqwest::Url::parse(&endpoint).map_err(|e| {
            Error::config(format!(
                "the endpoint of profile '{}' ({endpoint:?}) is not a URL: {e}",
                profile.name
            ))
            .with_origin(ProviderKind::Cosmos, &profile.name)
            .with_hint("it looks like https://ACCOUNT.documents.azure.com:443/")
        })?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::config(format!(
                "the endpoint of profile '{}' ({endpoint:?}) names no host",
                profile.name
            ))
            .with_origin(ProviderKind::Cosmos, &profile.name));
        }
        let api = Arc::new(CosmosApi {
            key,
            base_path: url.path().trim_end_matches('/').to_string(),
            key_source,
        });
        let http = Http::new(
            crate::http::Target::of(
                profile,
                "endpoint",
                &endpoint,
                super::SPEC.requests_per_minute,
            )?,
            api,
            shared.http.clone(),
        )?;
        Ok(Client {
            http,
            account: Account::from_url(&url),
            key: secret,
        })
    }

    pub async fn send(&self, call: Call) -> Result<Reply> {
        self.http.send(call).await
    }

    /// Every database, following `x-ms-continuation` until it is absent.
    pub async fn list_databases(&self) -> Result<Vec<Value>> {
        self.feed("/dbs", "Databases", "the database list").await
    }

    pub async fn get_database(&self, id: &str) -> Result<Value> {
        let value: Value = self.http.json(Call::get(database_path(id)?)).await?;
        expect_object(value, ProviderKind::Cosmos, "the database")
    }

    /// The containers of a database.
    pub async fn list_collections(&self, id: &str) -> Result<Vec<Value>> {
        let path = format!("{}/colls", database_path(id)?);
        self.feed(&path, "DocumentCollections", "the container list")
            .await
    }

    pub async fn create_database(&self, call: Call) -> Result<Value> {
        let value: Value = self.http.json(call).await?;
        expect_object(value, ProviderKind::Cosmos, "the created database")
    }

    pub async fn delete_database(&self, id: &str) -> Result<()> {
        self.http
            .send(Call::delete(database_path(id)?))
            .await
            .map(drop)
    }

    /// Every offer of the account (`GET /offers`, signed with an empty link).
    pub async fn list_offers(&self) -> Result<Vec<Value>> {
        self.feed("/offers", "Offers", "the offer list").await
    }

    /// `PUT /offers/{rid}` with the whole offer; `migrate` names the header that switches
    /// between manual and autoscale (`x-ms-cosmos-migrate-offer-to-...`).
    pub async fn replace_offer(
        &self,
        rid: &str,
        offer: Value,
        migrate: Option<&'static str>,
    ) -> Result<Value> {
        let mut call = Call::put(format!("/offers/{}", path_segment(rid))).json(offer);
        if let Some(header) = migrate {
            call = call.header(header, "true");
        }
        let value: Value = self.http.json(call).await?;
        expect_object(value, ProviderKind::Cosmos, "the replaced offer")
    }

    /// Reads a feed page by page; each page's `field` array is appended.
    async fn feed(&self, path: &str, field: &str, what: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut continuation: Option<String> = None;
        let bounds = ListBounds::new(ProviderKind::Cosmos);
        loop {
            let mut call = Call::get(path).header("x-ms-max-item-count", PAGE_SIZE.to_string());
            if let Some(token) = &continuation {
                call = call.header("x-ms-continuation", token.clone());
            }
            let reply = self.http.send(call).await?;
            let page = expect_object(reply.json()?, ProviderKind::Cosmos, what)?;
            let list = page.get(field).cloned().unwrap_or(Value::Null);
            let list = expect_array(list, ProviderKind::Cosmos, what)?;
            bounds.page(what, list.len(), reply.body.len())?;
            items.extend(list);
            let next = reply
                .header("x-ms-continuation")
                .map(str::trim)
                .filter(|t| !t.is_empty());
            match next {
                None => return Ok(items),
                Some(next) if continuation.as_deref() == Some(next) => {
                    return Err(Error::provider_error(format!(
                        "cosmos sent the same continuation token twice while reading {what}; stopping"
                    ))
                    .with_provider(ProviderKind::Cosmos))
                }
                Some(next) => continuation = Some(next.to_string()),
            }
        }
    }
}

/// `/dbs/{id}` with the id percent-encoded (the signature uses it unencoded).
pub fn database_path(id: &str) -> Result<String> {
    check_id(id)?;
    Ok(format!("/dbs/{}", path_segment(id)))
}

/// What a valid id looks like, for refusals.
const ID_FORM: &str = "cosmos database ids are names of at most 255 characters without / \\ ? #";

/// Refuses ids Cosmos cannot hold before any request (exit 6).
pub fn check_id(id: &str) -> Result<()> {
    id::check_common(ProviderKind::Cosmos, id, ID_FORM)?;
    let why = if id.contains(['/', '\\', '?', '#']) {
        "it contains '/', '\\', '?' or '#'"
    } else if id.chars().all(|c| c == '.') {
        "it is only dots"
    } else if id.chars().count() > 255 {
        "it is longer than 255 characters"
    } else {
        return Ok(());
    };
    Err(id::malformed(ProviderKind::Cosmos, id, why, ID_FORM))
}

/// How the profile names its key, for messages: `COSMOS_KEY`, the `key_env` variable, or the
/// profile field.
fn key_source(profile: &Profile) -> String {
    if let Ok(Some(var)) = profile.string("key_env") {
        return var;
    }
    match profile.origin {
        Origin::Env => "COSMOS_KEY".to_string(),
        _ => format!("'key' in profile '{}'", profile.name),
    }
}

fn is_clock_skew(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("current time") || lower.contains("clock") || lower.contains("x-ms-date")
}

/// Cosmos error messages run over several lines with `ActivityId`, request URIs and SDK
/// versions, sometimes wrapping `{"Errors":["..."]}`: keep the first useful sentence.
fn tidy(message: &str) -> String {
    let Some((head, detail)) = message.split_once(": ") else {
        return message.to_string();
    };
    let (detail, suffix) = match detail.strip_suffix(" (not found)") {
        Some(detail) => (detail, " (not found)"),
        None => (detail, ""),
    };
    let sentence = first_sentence(detail);
    if sentence.is_empty() {
        return message.to_string();
    }
    format!("{head}: {sentence}{suffix}")
}

fn first_sentence(detail: &str) -> String {
    let mut text = detail.trim().to_string();
    if let Some(start) = text.find("{\"Errors\"") {
        let inner = &text[start..];
        let parsed = inner
            .find("]}")
            .and_then(|end| serde_json::from_str::<Value>(&inner[..end + 2]).ok())
            .and_then(|v| v["Errors"][0].as_str().map(str::to_string));
        let found = parsed.or_else(|| {
            let rest = inner.split_once("[\"")?.1;
            Some(rest.split('"').next()?.replace("\\/", "/"))
        });
        if let Some(found) = found {
            text = found;
        }
    }
    let mut text = text.trim_start_matches("Message:").trim();
    for noise in [
        "ActivityId:",
        "RequestStartTime:",
        "Request URI:",
        "\r",
        "\n",
    ] {
        if let Some(at) = text.find(noise) {
            text = &text[..at];
        }
    }
    let text = text.trim().trim_end_matches(',').trim();
    match text.find(". ") {
        Some(at) => text[..=at].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cosmos_messages_keep_their_first_sentence() {
        assert_eq!(
            tidy("cosmos answered 401 Unauthorized: The input authorization token can't serve the request. The wrong key is being used. Server used the following payload to sign: 'get dbs' ActivityId: 1b2c, Microsoft.Azure.Documents.Common/2.14.0"),
            "cosmos answered 401 Unauthorized: The input authorization token can't serve the request."
        );
        assert_eq!(
            tidy(
                r#"cosmos answered 404 Not Found: Message: {"Errors":["Resource Not Found. Learn more: https:\/\/aka.ms\/cosmosdb-tsg-not-found"]} ActivityId: 4d8f, Request URI: /apps/x (not found)"#
            ),
            "cosmos answered 404 Not Found: Resource Not Found. (not found)"
        );
        assert_eq!(
            tidy("cosmos answered 409 Conflict: Entity with the specified id already exists in the system., RequestStartTime: 2024-01-01, ActivityId: 77"),
            "cosmos answered 409 Conflict: Entity with the specified id already exists in the system."
        );
        assert_eq!(
            tidy(r#"cosmos answered 404 Not Found: Message: {"Errors":["Resource Not Fou..."#),
            "cosmos answered 404 Not Found: Resource Not Fou..."
        );
        assert_eq!(
            tidy("cosmos answered 503 Service Unavailable"),
            "cosmos answered 503 Service Unavailable"
        );
        assert_eq!(
            tidy("cosmos answered 403 Forbidden: forbidden"),
            "cosmos answered 403 Forbidden: forbidden"
        );
    }

    proptest::proptest! {
        /// Any error text and any id: never a panic, and a message stays non-empty.
        #[test]
        fn tidying_and_checking_never_panic(text in ".{0,200}", id in ".{0,40}") {
            let message = format!("cosmos answered 404 Not Found: {text}");
            proptest::prop_assert!(!tidy(&message).is_empty());
            let _ = tidy(&text);
            let _ = check_id(&id);
            let _ = super::signer::resource(&text);
        }
    }

    #[test]
    fn clock_skew_is_recognised() {
        assert!(is_clock_skew("cosmos answered 403 Forbidden: The authorization token is not valid at the current time. Please create another token"));
        assert!(!is_clock_skew("cosmos answered 403 Forbidden: Request blocked by your Cosmos DB account firewall settings."));
    }

    #[test]
    fn impossible_ids_are_refused() {
        assert!(check_id("Food DB").is_ok());
        assert!(check_id("métriques").is_ok());
        for bad in ["", "a/b", "a?b", "a#b", "a\\b", ".", ".."] {
            assert_eq!(
                check_id(bad).unwrap_err().kind,
                ErrorKind::Invalid,
                "{bad:?}"
            );
        }
        assert_eq!(database_path("Food DB").unwrap(), "/dbs/Food%20DB");
    }
}
