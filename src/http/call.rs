//! What a provider asks for ([`Call`]), what it gets back ([`Reply`]), and where ([`Target`]).
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::errors::excerpt;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::secret::Secret;
use crate::tls::TlsOptions;

/// A request as a provider describes it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// Path under the base URL, already percent-encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Option<Value>,
    /// A form body (`application/x-www-form-urlencoded`) instead of JSON; values never show
    /// in `Debug`.
    pub form: Option<Vec<(&'static str, Secret)>>,
    /// Set for a PUT/DELETE that acts rather than sets state (an RE flush): never resent
    /// once it may have reached the server.
    pub once: bool,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            form: None,
            once: false,
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new(Method::PATCH, path)
    }
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// A form body: an OAuth token request.
    pub fn form(mut self, pairs: Vec<(&'static str, Secret)>) -> Self {
        self.form = Some(pairs);
        self
    }
    /// Marks a request that performs an action: it is sent again only if it never left.
    pub fn once(mut self) -> Self {
        self.once = true;
        self
    }
    /// GET, PUT and DELETE may be sent again; POST, PATCH and `once` calls only if they
    /// never left.
    pub(super) fn idempotent(&self) -> bool {
        !self.once
            && matches!(
                self.method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            )
    }
    /// `POST /v1/bdbs?dry_run=true`: what the logs and messages call this request, its query
    /// encoded as it is sent.
    pub(super) fn label(&self) -> String {
        let mut label = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            label.push('?');
            label.push_str(&encoded_query(&self.query));
        }
        label
    }
}

/// `a=1&b=x%2Cy`, as reqwest encodes a query (`application/x-www-form-urlencoded`).
fn encoded_query(pairs: &[(String, String)]) -> String {
    let Ok(mut url) = reqwest::Url::parse("http://query.invalid/") else {
        return String::new();
    };
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}

/// A successful (2xx) answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub(super) provider: ProviderKind,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decodes the body; anything else is a provider error (exit 8) with a redacted excerpt.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::provider_error(format!(
                "{} sent a response dbctl cannot read ({}: {}); it starts with: {}",
                self.provider,
                self.status,
                e,
                excerpt(&self.body)
            ))
            .with_provider(self.provider)
        })
    }
}

/// Where one profile's requests go and how the server's certificate is checked.
pub struct Target {
    pub provider: ProviderKind,
    pub profile: String,
    pub base_url: String,
    /// The setting that holds the URL (a variable, or a key in a profile), for hints.
    pub url_setting: String,
    pub tls: TlsOptions,
    /// What to do when the certificate is refused.
    pub certificate_hint: String,
    /// The profile's budget: its `rate_limit`, else the provider's published limit, else none.
    pub requests_per_minute: Option<u32>,
}

impl Target {
    /// Where a profile's requests go (`base_url`, read from `url_field`), with its TLS
    /// settings (`ca_cert`, `insecure`) and its request budget (`rate_limit`, else
    /// `requests_per_minute`, the provider's published limit).
    pub fn of(
        profile: &crate::config::Profile,
        url_field: &str,
        base_url: &str,
        requests_per_minute: Option<u32>,
    ) -> crate::error::Result<Target> {
        Ok(Target {
            provider: profile.provider,
            profile: profile.name.clone(),
            base_url: base_url.to_string(),
            url_setting: profile.describe(url_field),
            tls: profile.tls()?,
            certificate_hint: profile.certificate_hint(),
            requests_per_minute: profile.rate_limit()?.or(requests_per_minute),
        })
    }
}
