//! Microsoft Entra ID's token endpoint, for the emulated Cosmos account (`auth = "entra"`): the
//! client-credentials flow at `POST /entra/{tenant}/oauth2/v2.0/token`, with Entra's answers
//! (`access_token`, `expires_in`) and refusals (`error`, `AADSTSnnnnn` descriptions). Tokens
//! are opaque and signed with a key made when the process starts, so only this emulator
//! accepts them; each says when it expires (`DBCTL_EMULATOR_TOKEN_SECONDS`, default 3599) and
//! whether its application holds a data-plane role.
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::error::{Error, Result};

/// Where the token endpoint lives under the emulator (the profile's `authority_url`).
pub const PREFIX: &str = "/entra";
pub const TENANT: &str = "dbctl-emulator";
/// The application whose tokens read the account (public by design, as the emulator's key).
pub const CLIENT_ID: &str = "dbctl-emulator-app";
/// An application with no data-plane role: Cosmos refuses its tokens (403, substatus 5301).
pub const CLIENT_ID_WITHOUT_ROLE: &str = "dbctl-emulator-app-without-role";
pub const CLIENT_SECRET: &str = "dbctl-emulator-client-secret";
/// The lifetime of every token, in seconds, when not the default.
const LIFETIME_VAR: &str = "DBCTL_EMULATOR_TOKEN_SECONDS";
const DEFAULT_LIFETIME: u64 = 3599;
const MAX_LIFETIME: u64 = 86_400;

/// What the token endpoint issues.
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    lifetime: u64,
}

impl Tokens {
    /// The lifetime `DBCTL_EMULATOR_TOKEN_SECONDS` sets (1 to 86400), else 3599 s; anything
    /// else is exit 3.
    pub fn from_env() -> Result<Tokens> {
        let lifetime = match std::env::var(LIFETIME_VAR) {
            Err(_) => DEFAULT_LIFETIME,
            Ok(text) if text.trim().is_empty() => DEFAULT_LIFETIME,
            Ok(text) => text
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=MAX_LIFETIME).contains(s))
                .ok_or_else(|| {
                    Error::config(format!(
                        "{LIFETIME_VAR} must be a number of seconds from 1 to {MAX_LIFETIME}, got {text:?}"
                    ))
                })?,
        };
        Ok(Tokens { lifetime })
    }
}

/// The authority a profile names to get tokens here.
pub fn authority(base: &str) -> String {
    format!("{base}{PREFIX}")
}

pub fn router(tokens: Tokens) -> Router {
    Router::new()
        .route(
            &format!("{PREFIX}/{{tenant}}/oauth2/v2.0/token"),
            post(token),
        )
        .with_state(Arc::new(tokens))
}

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Grant {
    /// Read and write data (Cosmos DB Built-in Data Contributor).
    Data,
    /// Nothing: the application holds no data-plane role.
    NoRole,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rejection {
    /// Not one this emulator issued (or altered).
    Unknown,
    Expired,
}

/// Whether `token` is one this emulator issued and still valid, and what it grants.
pub fn check(token: &str) -> std::result::Result<Grant, Rejection> {
    let (body, mac) = token.rsplit_once('.').ok_or(Rejection::Unknown)?;
    if sign(body) != mac {
        return Err(Rejection::Unknown);
    }
    let mut parts = body.split('.');
    let (Some("emu"), Some(grant), Some(expiry)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Unknown);
    };
    let grant = match grant {
        "data" => Grant::Data,
        "none" => Grant::NoRole,
        _ => return Err(Rejection::Unknown),
    };
    let expiry: i64 = expiry.parse().map_err(|_| Rejection::Unknown)?;
    if super::now_unix() >= expiry {
        return Err(Rejection::Expired);
    }
    Ok(grant)
}

/// `emu.GRANT.EXPIRY.NONCE.MAC`: URL-safe, as a JWT is.
fn issue(grant: Grant, lifetime: u64) -> String {
    let expiry = super::now_unix().saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX));
    let grant = match grant {
        Grant::Data => "data",
        Grant::NoRole => "none",
    };
    let body = format!("emu.{grant}.{expiry}.{:016x}", fastrand::u64(..));
    let mac = sign(&body);
    format!("{body}.{mac}")
}

fn sign(body: &str) -> String {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(|| std::array::from_fn(|_| fastrand::u8(..)));
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(body.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The client-credentials grant, checked in Entra's order: tenant, grant type, application,
/// secret, scope.
async fn token(
    State(tokens): State<Arc<Tokens>>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    let form = form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if tenant != TENANT {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        );
    }
    if field("grant_type") != "client_credentials" {
        return refusal(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type; this endpoint serves client_credentials.",
        );
    }
    let grant = match field("client_id") {
        CLIENT_ID => Grant::Data,
        CLIENT_ID_WITHOUT_ROLE => Grant::NoRole,
        other => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!(
                "Application with identifier '{other}' was not found in the directory '{tenant}'."
            ),
            )
        }
    };
    if field("client_secret") != CLIENT_SECRET {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", field("client_id")),
        );
    }
    if !field("scope").ends_with("/.default") {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        );
    }
    let lifetime = tokens.lifetime;
    Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": issue(grant, lifetime),
    }))
    .into_response()
}

/// Entra's error answer; its description ends with trace and correlation ids.
fn refusal(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = format!("{:032x}", fastrand::u128(..));
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ");
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {trace}\r\nTimestamp: {timestamp}"),
            "error_codes": [code],
            "timestamp": timestamp.to_string(),
            "trace_id": trace,
            "correlation_id": trace,
        })),
    )
        .into_response()
}

/// An `application/x-www-form-urlencoded` body.
fn form(body: &str) -> BTreeMap<String, String> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_check_and_others_do_not() {
        let token = issue(Grant::Data, 60);
        assert_eq!(check(&token), Ok(Grant::Data));
        assert_eq!(check(&issue(Grant::NoRole, 60)), Ok(Grant::NoRole));
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        let forged = token.replacen("emu.data", "emu.none", 1);
        assert_eq!(check(&forged), Err(Rejection::Unknown));
        assert_eq!(check("eyJhbGciOi.x.y"), Err(Rejection::Unknown));
        assert_eq!(check(""), Err(Rejection::Unknown));
        let expired = format!("emu.data.{}.00", super::super::now_unix() - 1);
        assert_eq!(
            check(&format!("{expired}.{}", sign(&expired))),
            Err(Rejection::Expired)
        );
    }

    #[test]
    fn form_bodies_decode() {
        let parsed = form("client_secret=a%2Bb+c%26d&scope=https%3A%2F%2Fx%2F.default&empty=");
        assert_eq!(parsed["client_secret"], "a+b c&d");
        assert_eq!(parsed["scope"], "https://x/.default");
        assert_eq!(parsed["empty"], "");
    }
}
