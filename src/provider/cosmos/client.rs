//! The Cosmos DB data-plane REST requests, signed with the account's master key or carrying a
//! Microsoft Entra ID token.
use std::sync::Arc;

use reqwest::header::HeaderValue;
use serde_json::Value;

use super::convert::Account;
use super::entra::Entra;
use super::signer::{self, MasterKey};
use crate::config::{Profile, SecretSource};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, Call, Http, Reply};
use crate::model::ProviderKind;
use crate::paging::ListBounds;
use crate::provider::id;
use crate::provider::{expect_array, expect_object, path_segment, Shared};
use crate::secret::Secret;

/// The largest page Cosmos serves (`x-ms-max-item-count`).
pub const PAGE_SIZE: u32 = 1000;

/// The data-plane roles an Entra ID identity may hold, as the 403 hint names them.
const ROLES: &str = "\"Cosmos DB Built-in Data Reader\" (00000000-0000-0000-0000-000000000001) to read, or \"Cosmos DB Built-in Data Contributor\" (00000000-0000-0000-0000-000000000002)";

pub struct Client {
    http: Http,
    pub account: Account,
    /// The key as configured, for `db url --show-secrets`; none with Entra ID.
    pub key: Option<Secret>,
}

/// How requests prove who sends them.
enum Auth {
    /// A signature per attempt: a retry carries a new date and a new signature.
    Key(MasterKey),
    Entra(Box<Entra>),
}

struct CosmosApi {
    auth: Auth,
    /// The endpoint's own path (`""` for a real account, `/cosmos` for the emulator): the
    /// resource link is the request path below it.
    base_path: String,
    /// How the key was given, or which identity signs in, for the 401/403 hints.
    key_source: String,
}

#[async_trait::async_trait]
impl Api for CosmosApi {
    async fn prepare(&self) -> Result<()> {
        match &self.auth {
            Auth::Key(_) => Ok(()),
            Auth::Entra(entra) => entra.prepare().await,
        }
    }

    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        let date = signer::date_now();
        let authorization = match &self.auth {
            Auth::Key(key) => {
                let path = request.url().path();
                let path = path.strip_prefix(&self.base_path).unwrap_or(path);
                let (resource_type, link) = signer::resource(path);
                key.authorization(request.method().as_str(), &resource_type, &link, &date)
            }
            Auth::Entra(entra) => entra
                .header()
                .ok_or_else(|| Error::internal("no Entra ID token was fetched for this request"))?,
        };
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

    fn forget(&self) -> bool {
        match &self.auth {
            Auth::Key(_) => false,
            Auth::Entra(entra) => entra.forget(),
        }
    }

    fn explain(&self, error: &mut Error, status: u16) {
        let skew = status == 403 && is_clock_skew(&error.message);
        let refusal = Refusal::of(&error.message);
        error.message = tidy(&error.message);
        let entra = matches!(self.auth, Auth::Entra(_));
        match status {
            401 if entra => {
                error.hint = Some(format!(
                    "Cosmos refused the Entra ID token of {}: check that the account accepts Entra ID, that tenant_id is the account's tenant, and that the token is for this account (scope https://ACCOUNT.documents.azure.com/.default)",
                    self.key_source
                ))
            }
            401 => {
                error.hint = Some(format!(
                    "check {}: it must be a key (primary or secondary) of the account at the endpoint, copied whole from the portal's Keys page",
                    self.key_source
                ))
            }
            403 if skew => {
                error.hint = Some("Cosmos refuses requests dated more than 15 minutes away from its clock: check this machine's system clock and time zone (e.g. `timedatectl`, enable NTP)".into())
            }
            403 if refusal == Some(Refusal::NoRole) => {
                error.hint = Some(format!(
                    "{} has no data-plane role on this account: assign it {ROLES} with `az cosmosdb sql role assignment create --account-name ACCOUNT --resource-group GROUP --scope / --principal-id OBJECT_ID --role-definition-id 00000000-0000-0000-0000-000000000001`; a new assignment can take a few minutes to apply",
                    self.key_source
                ))
            }
            403 if refusal == Some(Refusal::ManagementPlane) => {
                error.hint = Some("with Entra ID, the data plane takes data operations only: create or delete databases and change throughput through the management plane, e.g. `az cosmosdb sql database create --account-name ACCOUNT --resource-group GROUP --name NAME` (or `... database delete`, `... database throughput update`), or with a profile that uses the account key".into())
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

/// What an Entra ID refusal (403) says, from the service's words (substatus 5301 and 5300).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Refusal {
    /// 5301: the identity holds no data-plane role for the action.
    NoRole,
    /// 5300: a management operation (databases, throughput) over the data plane.
    ManagementPlane,
}

impl Refusal {
    fn of(message: &str) -> Option<Refusal> {
        if message.contains("does not have required RBAC permissions") {
            Some(Refusal::NoRole)
        } else if message.contains("cannot be authorized by AAD token") {
            Some(Refusal::ManagementPlane)
        } else {
            None
        }
    }
}

impl Client {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        let endpoint = profile.require_string("endpoint")?;
        let entra = match profile.string("auth")?.as_deref() {
            None | Some("key") => false,
            Some("entra") => true,
            Some(other) => {
                return Err(Error::config(format!(
                    "{} is {other:?}; it is \"key\" (the account key, the default) or \"entra\" (Microsoft Entra ID)",
                    profile.describe("auth")
                ))
                .with_origin(ProviderKind::Cosmos, &profile.name))
            }
        };
        let key = if entra {
            None
        } else {
            Some(Self::master_key(profile)?)
        };
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
        let (auth, key_source, key) = match key {
            Some((master, secret)) => (Auth::Key(master), key_source(profile), Some(secret)),
            None => {
                let entra = Box::new(Entra::new(profile, shared, &url)?);
                let identity = entra.identity.clone();
                (Auth::Entra(entra), identity, None)
            }
        };
        let api = Arc::new(CosmosApi {
            auth,
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
            key,
        })
    }

    /// The account key, as configured and decoded.
    fn master_key(profile: &Profile) -> Result<(MasterKey, Secret)> {
        let secret = profile.require_secret("key")?;
        let key = MasterKey::decode(secret.expose()).ok_or_else(|| {
            Error::config(format!(
                "the master key of profile '{}' ({}) is not valid base64",
                profile.name,
                key_source(profile)
            ))
            .with_origin(ProviderKind::Cosmos, &profile.name)
            .with_hint("copy the PRIMARY KEY (or SECONDARY KEY) from the account's Keys page in the Azure portal; `az cosmosdb keys list` shows it too")
        })?;
        Ok((key, secret))
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

    /// Every offer of the account (`GET /offers`, signed with an empty link); `None` for a
    /// serverless account, which has none and answers 400 saying offers are not supported.
    pub async fn list_offers(&self) -> Result<Option<Vec<Value>>> {
        match self.feed("/offers", "Offers", "the offer list").await {
            Ok(offers) => Ok(Some(offers)),
            Err(e) if e.kind == ErrorKind::Invalid && is_serverless(&e.message) => Ok(None),
            Err(e) => Err(e),
        }
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

/// How the profile names its key, for messages: `COSMOS_KEY`, the `key_env` variable, the
/// helper or keyring it comes from, or the profile field.
fn key_source(profile: &Profile) -> String {
    match profile.secret_source("key") {
        Ok(Some(SecretSource::Variable(var) | SecretSource::Named { var, .. })) => var,
        Ok(Some(source @ (SecretSource::Command { .. } | SecretSource::Keyring { .. }))) => {
            format!("the key from {}", source.describe())
        }
        _ => format!("'key' in profile '{}'", profile.name),
    }
}

/// Cosmos's answer to an offer request on a serverless account: "Reading or replacing offers
/// is not supported for serverless accounts."
fn is_serverless(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("not supported for serverless accounts")
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
        /// Any error text: the status line stays at the head, and tidying twice changes
        /// nothing more.
        #[test]
        fn tidying_keeps_the_status_and_settles(text in ".{0,200}") {
            let message = format!("cosmos answered 404 Not Found: {text}");
            let tidied = tidy(&message);
            proptest::prop_assert!(tidied.starts_with("cosmos answered 404 Not Found:"), "{}", tidied);
            proptest::prop_assert_eq!(tidy(&tidied), tidied.clone());
            proptest::prop_assert_eq!(tidy(&tidy(&text)), tidy(&text));
        }

        /// Any id: refused as invalid (exit 6), or its path signs as that very id, however
        /// it had to be encoded.
        #[test]
        fn an_accepted_id_signs_as_itself(id in ".{0,40}") {
            match database_path(&id) {
                Ok(path) => proptest::prop_assert_eq!(
                    super::signer::resource(&path),
                    ("dbs".to_string(), format!("dbs/{id}"))
                ),
                Err(error) => proptest::prop_assert_eq!(error.kind, ErrorKind::Invalid),
            }
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
