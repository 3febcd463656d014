//! The one HTTP layer: deadlines, retries with backoff, a response size cap, error decoding
//! and request logs with every credential masked. Providers describe requests as [`Call`]s
//! and authenticate them through [`Api`]. One file a job: the request types (`call`), the
//! retry decision (`retry`), error answers (`errors`), authentication (`auth`) and each
//! profile's request budget (`rate`).
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::HttpSettings;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ProviderKind;
use crate::secret::{is_secret_key, redact_value, MASK};

mod auth;
mod call;
mod errors;
mod rate;
mod retry;

pub use auth::{Api, BasicAuth};
pub use call::{Call, Reply, Target};
pub use errors::status_error;
use errors::{connect_failure, error_chain, excerpt_n, host_of};
pub use rate::requests_sent;
use retry::{backoff, retry_after, Decision, Failure};

/// Largest response body accepted.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

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
    /// The profile's requests per minute, shared by every client of the profile.
    budget: Arc<rate::Budget>,
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
            requests_per_minute,
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
            crate::sanitize::warn(&format!(
                "TLS certificate verification is off for profile '{profile}' ({provider})"
            ));
        }
        // `--demo`: the profile names a fixed host; the emulator answers for it.
        let builder = match settings.api_override.get() {
            Some(emulator) => builder.proxy(
                reqwest::Proxy::http(format!("http://{emulator}"))
                    .map_err(|e| Error::internal(format!("cannot route to the emulator: {e}")))?,
            ),
            None => builder,
        };
        let builder = crate::tls::configure(builder, &tls, insecure)
            .map_err(|e| e.with_origin(provider, &profile))?;
        let client = builder.build().map_err(|e| {
            Error::config(format!("cannot build the HTTP client: {e}"))
                .with_origin(provider, &profile)
        })?;
        Ok(Http {
            client,
            budget: rate::budget(provider, &profile, requests_per_minute),
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
        // A refused credential is renewed once (a token past its time), outside the retries.
        let mut renewed = false;
        loop {
            let remaining = self.settings.remaining();
            if remaining.is_zero() {
                return Err(self.deadline_error(&label));
            }
            let started = Instant::now();
            let budgeted = std::sync::atomic::AtomicBool::new(false);
            let outcome = tokio::time::timeout(remaining, async {
                // The profile's budget first: a request waiting its turn holds no slot that
                // another profile's request could use.
                self.budget.take().await;
                budgeted.store(true, std::sync::atomic::Ordering::Relaxed);
                // Its own requests had their retries: its failure is final here.
                self.api.prepare().await.map_err(|e| e.retryable(false))?;
                // Closed never happens: the semaphore lives as long as the settings.
                let _permit = self.settings.in_flight.acquire().await;
                self.settings.count_request(self.provider);
                self.attempt(&call).await
            })
            .await;
            let result = match outcome {
                Err(_) if !budgeted.load(std::sync::atomic::Ordering::Relaxed) => {
                    let hint = match self.budget.per_minute() {
                        Some(per_minute) => format!(
                            "the profile's request budget ({per_minute} a minute) held it back: raise rate_limit in profile '{}', or --request-timeout",
                            self.profile
                        ),
                        None => "the provider asked for a pause (Retry-After) that outlasted --request-timeout".to_string(),
                    };
                    return Err(self.deadline_error(&label).with_hint(hint));
                }
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
                Ok(Attempt::Stale(_)) if !renewed => {
                    renewed = true;
                    self.settings
                        .log(1, format!("credential refused; renewing it for {label}"));
                    continue;
                }
                Ok(Attempt::Refused(error, retry_after)) => {
                    // The provider's wait holds every request of the profile, not just this one.
                    if let Some(wait) = retry_after {
                        self.budget.pause(wait);
                    }
                    (error, retry_after, false)
                }
                Ok(Attempt::Stale(error)) => (error, None, false),
                Ok(Attempt::Unsent(error)) => (error, None, true),
                Err(error) => (error, None, false),
            };
            let failure = Failure {
                error: &error,
                attempt,
                attempts: self.settings.attempts,
                idempotent: call.idempotent(),
                unsent,
                retry_after,
            };
            let delay = match retry::decide(&failure, backoff(attempt), self.settings.remaining()) {
                Decision::Retry(delay) => delay,
                Decision::GiveUp { attempts_said } => {
                    let mut error = error;
                    if attempts_said {
                        error.message = format!("{} (after {attempt} attempts)", error.message);
                    }
                    return Err(error);
                }
            };
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
        self.budget.count();
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                // The whole chain for -v; the error itself says it in one line.
                self.settings
                    .log(1, format!("< {} failed: {}", call.label(), error_chain(&e)));
                let unsent = e.is_connect();
                let error = self.transport_error(e);
                return if unsent {
                    Ok(Attempt::Unsent(error))
                } else {
                    Err(error)
                };
            }
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
        if status == reqwest::StatusCode::UNAUTHORIZED && self.api.forget() {
            return Ok(Attempt::Stale(error));
        }
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
        if let Some(form) = &call.form {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.expose())).collect();
            builder = builder.form(&pairs);
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
                Some(crate::tls::refusal_hint(
                    &chain,
                    &host_of(base),
                    &self.certificate_hint,
                )),
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
                connect_failure(&error, base),
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
            let form = call.form.as_ref().map(|pairs| {
                let fields = pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.expose().into()));
                Value::Object(fields.collect())
            });
            if let Some(body) = call.body.as_ref().or(form.as_ref()) {
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

enum Attempt {
    Answer(Reply),
    /// An error answer, with the wait the provider asked for.
    Refused(Error, Option<Duration>),
    /// A refused credential the provider dropped: a fresh one may do.
    Stale(Error),
    /// The connection failed before the request was sent.
    Unsent(Error),
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
