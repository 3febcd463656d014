//! The one HTTP layer: deadlines, retries with backoff, a response size cap, error decoding
//! and request logs with every credential masked. Providers describe requests as [`Call`]s
//! and authenticate them through [`Api`].
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::HttpSettings;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::ProviderKind;
use crate::secret::{is_secret_key, redact_text, redact_value, MASK};
use crate::tls::TlsOptions;

/// Largest response body accepted.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// How a provider authenticates a request (called afresh for every attempt) and what it adds
/// to an error message.
pub trait Api: Send + Sync {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()>;
    /// Adds a provider-specific hint (which variable to check) to an error answer.
    fn explain(&self, _error: &mut Error, _status: u16) {}
}

/// A request as a provider describes it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// Path under the base URL, already percent-encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Option<Value>,
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
    /// Marks a request that performs an action: it is sent again only if it never left.
    pub fn once(mut self) -> Self {
        self.once = true;
        self
    }
    /// GET, PUT and DELETE may be sent again; POST, PATCH and `once` calls only if they
    /// never left.
    fn idempotent(&self) -> bool {
        !self.once
            && matches!(
                self.method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            )
    }
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A successful (2xx) answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    provider: ProviderKind,
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
}

/// One client per profile.
pub struct Http {
    client: reqwest::Client,
    base: String,
    api: Arc<dyn Api>,
    settings: Arc<HttpSettings>,
    provider: ProviderKind,
    profile: String,
    url_setting: String,
    certificate_hint: String,
}

impl Http {
    /// The client for one profile, on top of the run's deadline and retry settings.
    pub fn new(target: Target, api: Arc<dyn Api>, settings: Arc<HttpSettings>) -> Result<Http> {
        let Target {
            provider,
            profile,
            base_url,
            url_setting,
            tls,
            certificate_hint,
        } = target;
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            Error::config(format!(
                "invalid URL {base_url:?} for profile '{profile}': {e}"
            ))
            .with_origin(provider, &profile)
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "URL {base_url:?} for profile '{profile}' must start with https:// or http://"
            ))
            .with_origin(provider, &profile));
        }
        let builder = reqwest::Client::builder()
            .user_agent(concat!("dbctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // A redirect would carry key headers to another host and turn a POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30));
        let insecure = tls.insecure || settings.insecure;
        if insecure {
            crate::say!(
                "warning: TLS certificate verification is off for profile '{profile}' ({provider})"
            );
        }
        let builder = crate::tls::configure(builder, &tls, insecure)
            .map_err(|e| e.with_origin(provider, &profile))?;
        let client = builder.build().map_err(|e| {
            Error::config(format!("cannot build the HTTP client: {e}"))
                .with_origin(provider, &profile)
        })?;
        Ok(Http {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            api,
            settings,
            provider,
            profile,
            url_setting,
            certificate_hint,
        })
    }

    /// Sends and decodes a JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        self.send(call).await?.json()
    }

    /// Sends a request, retrying what may be retried, and returns a 2xx answer or an error.
    pub async fn send(&self, call: Call) -> Result<Reply> {
        let label = call.label();
        let mut attempt = 1;
        loop {
            let remaining = self.settings.remaining();
            if remaining.is_zero() {
                return Err(self.deadline_error(&label));
            }
            let started = Instant::now();
            let outcome = tokio::time::timeout(remaining, async {
                // Closed never happens: the semaphore lives as long as the settings.
                let _permit = self.settings.in_flight.acquire().await;
                self.attempt(&call).await
            })
            .await;
            let result = match outcome {
                Err(_) => return Err(self.deadline_error(&label)),
                Ok(result) => result,
            };
            let (error, retry_after, unsent) = match result {
                Ok(Attempt::Answer(reply)) => {
                    self.settings.log(
                        1,
                        format!(
                            "< {} {label} ({} ms, {} bytes)",
                            reply.status,
                            started.elapsed().as_millis(),
                            reply.body.len()
                        ),
                    );
                    self.log_body(&reply.body);
                    return Ok(reply);
                }
                Ok(Attempt::Refused(error, retry_after)) => (error, retry_after, false),
                Ok(Attempt::Unsent(error)) => (error, None, true),
                Err(error) => (error, None, false),
            };
            // A 429 was refused before any work; a failed connect never reached the server.
            let retryable = error.retryable
                && (call.idempotent() || unsent || error.kind == ErrorKind::RateLimited);
            if !retryable || attempt >= self.settings.attempts {
                if attempt > 1 {
                    let mut error = error;
                    error.message = format!("{} (after {attempt} attempts)", error.message);
                    return Err(error);
                }
                return Err(error);
            }
            let delay = retry_after.unwrap_or_else(|| backoff(attempt));
            if delay >= self.settings.remaining() {
                return Err(error);
            }
            self.settings.log(
                1,
                format!(
                    "retrying {label} in {} ms (attempt {}/{}): {}",
                    delay.as_millis(),
                    attempt + 1,
                    self.settings.attempts,
                    error.message
                ),
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn deadline_error(&self, label: &str) -> Error {
        Error::timeout(format!(
            "timed out after {}s waiting for {label}",
            self.settings.timeout.as_secs_f64()
        ))
        .with_origin(self.provider, &self.profile)
        .with_hint("raise --request-timeout, or check the provider's status page")
    }

    async fn attempt(&self, call: &Call) -> Result<Attempt> {
        let request = self.build(call)?;
        self.log_request(&request, call);
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Ok(Attempt::Unsent(self.transport_error(e))),
            Err(e) => return Err(self.transport_error(e)),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_capped(response)
            .await
            .map_err(|e| e.with_origin(self.provider, &self.profile))?;
        if status.is_success() {
            return Ok(Attempt::Answer(Reply {
                status: status.as_u16(),
                headers,
                body,
                provider: self.provider,
            }));
        }
        self.settings
            .log(1, format!("< {} {}", status.as_u16(), call.label()));
        self.log_body(&body);
        let mut error =
            status_error(status, &body, self.provider).with_origin(self.provider, &self.profile);
        self.api.explain(&mut error, status.as_u16());
        Ok(Attempt::Refused(error, retry_after(&headers)))
    }

    fn build(&self, call: &Call) -> Result<reqwest::Request> {
        let url = format!("{}{}", self.base, call.path);
        let mut builder = self
            .client
            .request(call.method.clone(), &url)
            .header(reqwest::header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            builder = builder.query(&call.query);
        }
        for (name, value) in &call.headers {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid(format!("invalid value for header {name}")))?;
            builder = builder.header(name, value);
        }
        if let Some(body) = &call.body {
            builder = builder.json(body);
        }
        let mut request = builder
            .build()
            .map_err(|e| Error::invalid(format!("cannot build request {}: {e}", call.label())))?;
        self.api
            .authorize(&mut request)
            .map_err(|e| e.with_origin(self.provider, &self.profile))?;
        // Whatever authenticates a request (a Basic token, a signature) is a credential too.
        for value in request.headers().values().filter(|v| v.is_sensitive()) {
            if let Ok(text) = value.to_str() {
                crate::credentials::register_header(text);
            }
        }
        Ok(request)
    }

    /// A failure below HTTP, with the next step: certificate and TLS-version problems are
    /// not retried (they will not change), a refused or dropped connection is.
    fn transport_error(&self, error: reqwest::Error) -> Error {
        let chain = error_chain(&error);
        let base = &self.base;
        let (message, hint, retryable) = if chain.to_ascii_lowercase().contains("certificate") {
            (
                format!("TLS certificate verification failed for {base}: {chain}"),
                Some(self.certificate_hint.clone()),
                false,
            )
        } else if chain.contains("InvalidContentType") || chain.contains("corrupt message") {
            (
                format!("TLS handshake with {base} failed: {chain}"),
                Some(format!(
                    "the server may speak plain HTTP: try an http:// URL in {}",
                    self.url_setting
                )),
                false,
            )
        } else if error.is_connect() {
            (
                format!("could not connect to {base}: {chain}"),
                Some(format!(
                    "check that the server is up and that {} is right",
                    self.url_setting
                )),
                true,
            )
        } else if error.is_timeout() {
            (format!("request to {base} timed out: {chain}"), None, true)
        } else {
            (format!("connection to {base} failed: {chain}"), None, true)
        };
        let mut error = Error::new(ErrorKind::Network, message)
            .with_origin(self.provider, &self.profile)
            .retryable(retryable);
        error.hint = hint;
        error
    }

    fn log_request(&self, request: &reqwest::Request, call: &Call) {
        if self.settings.verbose == 0 {
            return;
        }
        self.settings
            .log(1, format!("> {} {}", request.method(), request.url()));
        if self.settings.verbose >= 2 {
            for (name, value) in request.headers() {
                let shown = if is_secret_key(name.as_str()) {
                    MASK.to_string()
                } else {
                    value.to_str().unwrap_or("<binary>").to_string()
                };
                self.settings.log(2, format!(">   {name}: {shown}"));
            }
            if let Some(body) = &call.body {
                let mut body = body.clone();
                redact_value(&mut body);
                self.log_lines(">", &pretty_lines(&body));
            }
        }
    }

    fn log_body(&self, body: &[u8]) {
        if self.settings.verbose < 2 {
            return;
        }
        // Credentials by value first, then secret-named fields: what prints is redacted.
        let text = crate::credentials::scrub(&String::from_utf8_lossy(body));
        match serde_json::from_str::<Value>(&text) {
            Ok(mut value) if body.len() <= MAX_PRETTY_BODY => {
                redact_value(&mut value);
                self.log_lines("<", &pretty_lines(&value));
            }
            _ => self
                .settings
                .log(2, format!("<   body: {}", excerpt_n(body, 2000))),
        }
    }

    /// A body under `-vv`: one log line per line of indented JSON.
    fn log_lines(&self, arrow: &str, lines: &[String]) {
        self.settings.log(2, format!("{arrow}   body:"));
        for line in lines {
            self.settings.log(2, format!("{arrow}     {line}"));
        }
    }
}

enum Attempt {
    Answer(Reply),
    /// An error answer, with the wait the provider asked for.
    Refused(Error, Option<Duration>),
    /// The connection failed before the request was sent.
    Unsent(Error),
}

/// Full-jitter exponential backoff: a random wait up to base·2^(attempt-1), capped.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(10))
        .min(BACKOFF_CAP);
    Duration::from_millis(fastrand::u64(
        ceiling.as_millis() as u64 / 4..=ceiling.as_millis() as u64,
    ))
}

/// `Retry-After` (seconds or an HTTP date) or `x-ms-retry-after-ms`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("x-ms-retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_millis(ms.max(0.0) as u64));
    }
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>> {
    if response
        .content_length()
        .is_some_and(|len| len as usize > MAX_BODY_BYTES)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        Error::new(
            ErrorKind::Network,
            format!("reading the response failed: {}", error_chain(&e)),
        )
        .retryable(true)
    })? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large() -> Error {
    Error::provider_error(format!(
        "the response is larger than {} MiB; refusing to read it",
        MAX_BODY_BYTES >> 20
    ))
}

/// The error for a non-2xx answer: kind from the status, message from the body.
pub fn status_error(status: reqwest::StatusCode, body: &[u8], provider: ProviderKind) -> Error {
    let code = status.as_u16();
    let kind = match code {
        401 | 403 => ErrorKind::Auth,
        404 | 410 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        400..=499 => ErrorKind::Invalid,
        // 3xx, 5xx, and anything outside 200–599 (999) is the provider's fault.
        _ => ErrorKind::Provider,
    };
    let retryable = matches!(code, 429 | 500 | 502 | 503 | 504);
    let reason = status.canonical_reason().unwrap_or("");
    let detail = describe_body(body);
    // Providers refuse a duplicate with a plain 400 too ("database already exists").
    let kind = match &detail {
        Some(text) if kind == ErrorKind::Invalid && says_already_exists(text) => {
            ErrorKind::Conflict
        }
        _ => kind,
    };
    let message = match detail {
        Some(detail) => format!("{provider} answered {code} {reason}: {detail}"),
        None => format!("{provider} answered {code} {reason}"),
    };
    let mut error = Error::new(kind, message)
        .with_provider(provider)
        .retryable(retryable);
    if status.is_redirection() {
        error.hint = Some(
            "dbctl does not follow redirects (they would carry credentials elsewhere); check the URL configured for this profile".into(),
        );
    }
    error
}

fn says_already_exists(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "already exist",
        "already in use",
        "already taken",
        "duplicate",
    ]
    .iter()
    .any(|phrase| text.contains(phrase))
}

/// The useful sentence in an error body: JSON `"text"`, `{"error": ...}`, `{"message"}`,
/// `{"description"}`, an HTML `<title>`, or the first line of plain text.
pub fn describe_body(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let found = find_message(&value);
        return found.map(|m| one_line(&redact_text(&m), 300));
    }
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start + 7 <= end {
            return Some(format!(
                "HTML page \"{}\"",
                one_line(&redact_text(&text[start + 7..end]), 120)
            ));
        }
    }
    Some(excerpt(body))
}

fn find_message(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => {
            for key in [
                "description",
                "message",
                "Message",
                "error_description",
                "detail",
                "error",
            ] {
                match map.get(key) {
                    Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
                    Some(inner @ Value::Object(_)) => {
                        if let Some(found) = find_message(inner) {
                            return Some(found);
                        }
                    }
                    _ => {}
                }
            }
            map.get("error_code")
                .or_else(|| map.get("code"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }
        _ => None,
    }
}

/// A short, single-line, redacted excerpt of a body for messages.
pub fn excerpt(body: &[u8]) -> String {
    excerpt_n(body, 120)
}

/// Bodies up to this size are logged as indented JSON under `-vv`; longer ones as an excerpt.
const MAX_PRETTY_BODY: usize = 64 * 1024;

/// Lines of a logged JSON body shown at most; the rest is counted.
const MAX_PRETTY_LINES: usize = 200;

/// An (already redacted) JSON value as indented lines, cut at [`MAX_PRETTY_LINES`].
fn pretty_lines(value: &Value) -> Vec<String> {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut lines: Vec<String> = pretty.lines().map(str::to_string).collect();
    if lines.len() > MAX_PRETTY_LINES {
        let more = lines.len() - MAX_PRETTY_LINES;
        lines.truncate(MAX_PRETTY_LINES);
        lines.push(format!("... ({more} more lines)"));
    }
    lines
}

fn excerpt_n(body: &[u8], max: usize) -> String {
    if body.is_empty() {
        return "(an empty body)".to_string();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    format!("{:?}", one_line(&redact_text(&text), max))
}

fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > max {
        let cut: String = joined.chars().take(max).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

/// HTTP basic auth (Upstash `EMAIL:API_KEY`, Redis Enterprise `user:password`).
pub struct BasicAuth {
    pub user: String,
    pub password: crate::secret::Secret,
}

impl Api for BasicAuth {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.user,
            self.password.expose()
        ));
        let mut value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
            Error::config("the credentials contain characters a header cannot carry")
        })?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_described() {
        assert_eq!(
            describe_body(br#""database not found""#).unwrap(),
            "database not found"
        );
        assert_eq!(describe_body(br#"{"error":"bad key"}"#).unwrap(), "bad key");
        assert_eq!(
            describe_body(
                br#"{"error_code":"missing_db_name","description":"DB name is required"}"#
            )
            .unwrap(),
            "DB name is required"
        );
        assert_eq!(
            describe_body(b"<html><head><title>429 Too Many Requests</title></head></html>")
                .unwrap(),
            "HTML page \"429 Too Many Requests\""
        );
        assert_eq!(
            describe_body(b"rate limited\n").unwrap(),
            "\"rate limited\""
        );
        assert!(describe_body(b"").is_none());
    }

    #[test]
    fn retry_after_reads_both_forms() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("x-ms-retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            assert!(backoff(attempt) <= BACKOFF_CAP);
        }
    }
}
