//! Microsoft Entra ID for the Cosmos DB data plane (`auth = "entra"`), for accounts whose keys
//! are off (`disableLocalAuth`). A token comes from the client-credentials flow (`tenant_id`,
//! `client_id`, `client_secret`, at `authority_url`) or from `token` (mostly `token_command`,
//! e.g. `az account get-access-token`); it is kept in memory until shortly before it expires
//! and renewed once when Cosmos refuses it (401).
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use serde_json::Value;

use super::signer;
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Api, Call, Http, Target};
use crate::model::ProviderKind;
use crate::provider::{path_segment, Shared};
use crate::secret::Secret;

/// Where tokens come from unless `authority_url` says otherwise (a sovereign cloud: e.g.
/// `https://login.microsoftonline.us`).
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// A token is renewed this long before it expires (at most half its life before).
const EARLY: Duration = Duration::from_secs(5 * 60);
/// The scope every account accepts, asked for when the tenant knows no resource by the
/// account's own name (AADSTS500011), as the Java SDK does.
const FALLBACK_SCOPE: &str = "https://cosmos.azure.com/.default";

/// The Entra ID credential of one profile, and the token it holds.
pub struct Entra {
    source: Source,
    /// What hints call the identity: `client_id X` or the `token_command`.
    pub identity: String,
    cached: Mutex<Option<Token>>,
    /// One fetch at a time; the others wait for its token.
    fetching: tokio::sync::Mutex<()>,
}

enum Source {
    /// The client-credentials flow.
    Client {
        http: Http,
        /// `/{tenant}/oauth2/v2.0/token` under the authority.
        path: String,
        client_id: String,
        secret: Secret,
        /// `https://ACCOUNT.documents.azure.com/.default`.
        scope: String,
    },
    /// The profile's `token` (or `token_env`, `token_command`, `token_keyring`), read again
    /// for each new token; `renewable` when that can give another one (a command).
    Given { profile: Profile, renewable: bool },
}

struct Token {
    /// The `Authorization` value it makes.
    header: String,
    /// When to fetch another; `None`: when Cosmos refuses it.
    renew_at: Option<Instant>,
}

impl Entra {
    /// The credential `profile` describes for the account at `endpoint`; a client secret is
    /// fetched now (a `*_command` runs), a token only when the first request needs it.
    pub fn new(profile: &Profile, shared: &Shared, endpoint: &reqwest::Url) -> Result<Self> {
        let token = profile.secret_source("token")?;
        let client_secret = profile.secret_source("client_secret")?;
        let source = match (token, client_secret) {
            (Some(_), Some(_)) => {
                return Err(entra_config(
                    profile,
                    format!(
                        "profile '{}' gives both a token and a client secret; keep one",
                        profile.name
                    ),
                ))
            }
            (Some(token), None) => Source::Given {
                profile: profile.clone(),
                renewable: token.renewable(),
            },
            (None, _) => Self::client(profile, shared, endpoint)?,
        };
        let identity = match &source {
            Source::Client { client_id, .. } => format!("client_id {client_id}"),
            Source::Given { profile, .. } => match profile.secret_source("token") {
                Ok(Some(source)) => format!("the token from {}", source.describe()),
                _ => "the token".to_string(),
            },
        };
        Ok(Entra {
            source,
            identity,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    fn client(profile: &Profile, shared: &Shared, endpoint: &reqwest::Url) -> Result<Source> {
        let needed = |field: &str| {
            profile.string(field)?.ok_or_else(|| {
                entra_config(
                    profile,
                    format!(
                        "{} is not set; auth = \"entra\" takes tenant_id, client_id and client_secret (or a token_command)",
                        profile.describe(field)
                    ),
                )
            })
        };
        let tenant = needed("tenant_id")?;
        let client_id = needed("client_id")?;
        let secret = profile.secret("client_secret")?.ok_or_else(|| {
            entra_config(
                profile,
                format!(
                    "{} is not set; auth = \"entra\" takes a client secret (client_secret_env, client_secret_command, client_secret_keyring) or a token_command",
                    profile.describe("client_secret")
                ),
            )
        })?;
        let authority = profile
            .string("authority_url")?
            .unwrap_or_else(|| DEFAULT_AUTHORITY.to_string());
        let http = Http::new(
            Target::of(profile, "authority_url", &authority, None)?,
            Arc::new(Authority {
                profile: profile.name.clone(),
                tenant: profile.describe("tenant_id"),
                client: profile.describe("client_id"),
                secret: profile.describe("client_secret"),
            }),
            shared.http.clone(),
        )?;
        Ok(Source::Client {
            http,
            path: format!("/{}/oauth2/v2.0/token", path_segment(&tenant)),
            client_id,
            secret,
            scope: scope(endpoint),
        })
    }

    /// Fetches a token unless a fresh one is held.
    pub async fn prepare(&self) -> Result<()> {
        if self.fresh() {
            return Ok(());
        }
        let _turn = self.fetching.lock().await;
        if self.fresh() {
            return Ok(());
        }
        let token = self.fetch().await?;
        *lock(&self.cached) = Some(token);
        Ok(())
    }

    /// The `Authorization` value of the token held.
    pub fn header(&self) -> Option<String> {
        lock(&self.cached).as_ref().map(|t| t.header.clone())
    }

    /// Cosmos refused the token: the next request fetches another, if another can be had.
    pub fn forget(&self) -> bool {
        let renewable = match &self.source {
            Source::Client { .. } => true,
            Source::Given { renewable, .. } => *renewable,
        };
        if renewable {
            if let Some(token) = lock(&self.cached).as_mut() {
                token.renew_at = Some(Instant::now());
            }
        }
        renewable
    }

    fn fresh(&self) -> bool {
        lock(&self.cached)
            .as_ref()
            .is_some_and(|t| t.renew_at.is_none_or(|at| Instant::now() < at))
    }

    async fn fetch(&self) -> Result<Token> {
        match &self.source {
            Source::Client {
                http,
                path,
                client_id,
                secret,
                scope,
            } => match request(http, path, client_id, secret, scope).await {
                Err(e) if e.message.contains("AADSTS500011") => {
                    request(http, path, client_id, secret, FALLBACK_SCOPE).await
                }
                answer => answer,
            },
            Source::Given { profile, .. } => {
                let asked = profile.clone();
                let text = tokio::task::spawn_blocking(move || asked.require_secret("token"))
                    .await
                    .map_err(|e| Error::internal(format!("the token command stopped: {e}")))??;
                given(text.expose()).ok_or_else(|| {
                    entra_config(profile, format!(
                        "the token profile '{}' gives is not an access token: it must be one line without spaces, or the JSON of `az account get-access-token`",
                        profile.name
                    ))
                })
            }
        }
    }
}

/// One client-credentials request.
async fn request(
    http: &Http,
    path: &str,
    client_id: &str,
    secret: &Secret,
    scope: &str,
) -> Result<Token> {
    let call = Call::post(path).form(vec![
        ("grant_type", Secret::new("client_credentials")),
        ("client_id", Secret::new(client_id)),
        ("client_secret", secret.clone()),
        ("scope", Secret::new(scope)),
    ]);
    let answer: Value = http.json(call).await?;
    let token = answer["access_token"]
        .as_str()
        .filter(|t| is_token(t))
        .ok_or_else(|| {
            Error::provider_error("the Entra ID token endpoint answered without an access_token")
                .with_provider(ProviderKind::Cosmos)
        })?;
    Ok(Token::new(token, seconds(&answer["expires_in"])))
}

impl Token {
    fn new(token: &str, lifetime: Option<u64>) -> Token {
        crate::credentials::register(token);
        let renew_at = lifetime.map(Duration::from_secs).map(|life| {
            let now = Instant::now();
            now + life - EARLY.min(life / 2)
        });
        Token {
            header: signer::aad_authorization(token),
            renew_at,
        }
    }
}

/// A token as a command prints it: `az account get-access-token`'s JSON (`accessToken`,
/// `expires_on`) or the token alone (`-o tsv`), whose lifetime is its JWT `exp` when it has one.
fn given(text: &str) -> Option<Token> {
    let text = text.trim();
    if let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(text) {
        let token = ["accessToken", "access_token", "token"]
            .iter()
            .find_map(|k| answer.get(*k).and_then(Value::as_str))
            .filter(|t| is_token(t))?;
        let lifetime = ["expires_on", "expiresOn"]
            .iter()
            .find_map(|k| answer.get(*k).and_then(seconds))
            .map(|at| at.saturating_sub(unix_now()))
            .or_else(|| answer.get("expires_in").and_then(seconds))
            .or_else(|| jwt_lifetime(token));
        return Some(Token::new(token, lifetime));
    }
    is_token(text).then(|| Token::new(text, jwt_lifetime(text)))
}

/// Seconds as a number or a string of digits.
fn seconds(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// What a header can carry as a token: printable ASCII without spaces.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Seconds left before a JWT's `exp` (read, not verified: Cosmos verifies it).
fn jwt_lifetime(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    Some(seconds(&claims["exp"])?.saturating_sub(unix_now()))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `https://ACCOUNT.documents.azure.com/.default`: the endpoint's scheme and host.
fn scope(endpoint: &reqwest::Url) -> String {
    format!(
        "{}://{}/.default",
        endpoint.scheme(),
        endpoint.host_str().unwrap_or_default()
    )
}

fn entra_config(profile: &Profile, message: String) -> Error {
    Error::config(message)
        .with_origin(ProviderKind::Cosmos, &profile.name)
        .with_hint("see the README's Configuration section: `auth = \"entra\"`")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The token endpoint: no authorization header (the credentials are the form); its refusals
/// are Entra ID's, with the setting to check.
struct Authority {
    profile: String,
    tenant: String,
    client: String,
    secret: String,
}

impl Api for Authority {
    fn authorize(&self, _request: &mut reqwest::Request) -> Result<()> {
        Ok(())
    }

    fn explain(&self, error: &mut Error, status: u16) {
        let detail = error
            .message
            .split_once(": ")
            .map_or("", |(_, detail)| detail);
        // Entra's description runs on with trace and correlation ids.
        let detail = detail
            .split(" Trace ID:")
            .next()
            .unwrap_or(detail)
            .trim()
            .to_string();
        error.message = format!(
            "Microsoft Entra ID answered {status} to the token request of profile '{}'{}",
            self.profile,
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
        if !matches!(status, 400 | 401) {
            return;
        }
        error.kind = ErrorKind::Auth;
        let code = |c: &str| detail.contains(c);
        error.hint = Some(if code("AADSTS7000215") || code("AADSTS7000222") {
            format!(
                "check {}: it must be the client secret's value (not its ID), and not expired",
                self.secret
            )
        } else if code("AADSTS700016") {
            format!(
                "check {}: no application with that id in the tenant",
                self.client
            )
        } else if code("AADSTS90002") || code("AADSTS900023") {
            format!("check {}: no such tenant", self.tenant)
        } else {
            format!("check {}, {} and {}", self.tenant, self.client, self.secret)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: u64) -> String {
        let part =
            |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2ln",
            part(serde_json::json!({"alg": "RS256"})),
            part(serde_json::json!({"aud": "https://a.documents.azure.com", "exp": exp}))
        )
    }

    #[test]
    fn lifetimes_come_from_the_answer_or_the_jwt() {
        let now = unix_now();
        let token = jwt(now + 3600);
        assert!(jwt_lifetime(&token).is_some_and(|s| (3590..=3600).contains(&s)));
        assert_eq!(jwt_lifetime("opaque-token"), None);
        assert_eq!(jwt_lifetime(&jwt(now - 10)), Some(0));
        let az = format!(
            r#"{{"accessToken": "{token}", "expires_on": {}, "tokenType": "Bearer"}}"#,
            now + 600
        );
        let held = given(&az).unwrap();
        assert_eq!(held.header, signer::aad_authorization(&token));
        let renew = held.renew_at.unwrap() - Instant::now();
        // Ten minutes left: renewed five minutes early.
        assert!(
            renew <= Duration::from_secs(300) && renew > Duration::from_secs(290),
            "{renew:?}"
        );
        assert!(given("opaque-token\n").unwrap().renew_at.is_none());
        assert!(given("two words").is_none());
        assert!(given(r#"{"accessToken": ""}"#).is_none());
        // A short life is renewed at half of it.
        let short = Token::new("t0k3n-short", Some(2)).renew_at.unwrap() - Instant::now();
        assert!(short <= Duration::from_secs(1), "{short:?}");
    }

    #[test]
    fn the_scope_is_the_account_host() {
        let url = reqwest::Url::parse("https://acct.documents.azure.com:443/").unwrap();
        assert_eq!(scope(&url), "https://acct.documents.azure.com/.default");
    }
}
