//! The Redis data plane (`db ping`, INFO for usage). dbctl dials TCP itself, runs TLS with
//! its own rustls setup (`crate::tls`: webpki roots, the profile's CA file, the insecure
//! switch) and hands the stream to redis-rs, which speaks RESP. The run's deadline, the
//! data-plane bound and `-v` logs apply; no error or log line carries the password.
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisConnectionInfo, RedisError};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::Profile;
use crate::context::HttpSettings;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Latency;
use crate::provider::{ProviderKind, RedisConnection};
use crate::secret::MASK;
use crate::tls::TlsOptions;

mod info;

/// For the emulator's tests of its INFO text.
#[cfg(all(test, feature = "emulator"))]
pub use info::parse as parse_info;
pub use info::RedisUsage;

/// Port when the provider gives none.
const DEFAULT_PORT: u16 = 6379;
/// TCP connect plus TLS handshake, within the run's deadline: a TLS client on a plaintext
/// port otherwise waits forever (the server reads the ClientHello as half a command).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// min/avg/max of the samples in milliseconds, rounded to 0.01 ms; `None` without samples.
pub fn latency(samples: &[Duration]) -> Option<Latency> {
    let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let min = ms.iter().copied().reduce(f64::min)?;
    let max = ms.iter().copied().reduce(f64::max)?;
    let avg = ms.iter().sum::<f64>() / ms.len() as f64;
    Some(Latency {
        min: round(min),
        avg: round(avg),
        max: round(max),
    })
}

/// Opens data-plane connections for one profile: its TLS settings, the run's deadline.
pub struct Dialer {
    settings: Arc<HttpSettings>,
    provider: ProviderKind,
    profile: String,
    tls: TlsOptions,
    insecure: bool,
    certificate_hint: String,
    /// Built on the first TLS connection, then shared by all of them.
    tls_config: OnceLock<Arc<rustls::ClientConfig>>,
}

impl Dialer {
    /// The profile's own TLS settings (`ca_cert`, `insecure`), as for its API.
    pub fn for_profile(profile: &Profile, settings: Arc<HttpSettings>) -> Result<Dialer> {
        let tls = profile.tls()?;
        Ok(Dialer {
            insecure: tls.insecure || settings.insecure,
            settings,
            provider: profile.provider,
            profile: profile.name.clone(),
            tls,
            certificate_hint: profile.certificate_hint(),
            tls_config: OnceLock::new(),
        })
    }

    /// Connects (TLS when the provider says so), authenticates, and times `count` PINGs.
    pub async fn ping(&self, connection: &RedisConnection, count: u32) -> Result<Latency> {
        let target = Target::of(connection);
        self.bounded(
            connection,
            &target,
            async |mut redis: MultiplexedConnection| {
                let mut samples = Vec::new();
                for _ in 0..count.max(1) {
                    let started = Instant::now();
                    redis::cmd("PING")
                        .query_async::<String>(&mut redis)
                        .await
                        .map_err(|e| self.redis_error(&target, connection, "PING", e))?;
                    samples.push(started.elapsed());
                }
                let latency =
                    latency(&samples).ok_or_else(|| Error::internal("no PING was timed"))?;
                self.settings.log(
                    1,
                    format!(
                        "< PING {target}: {} round trips, min/avg/max {}/{}/{} ms",
                        samples.len(),
                        latency.min,
                        latency.avg,
                        latency.max
                    ),
                );
                Ok(latency)
            },
        )
        .await
    }

    /// Connects, authenticates, and reads `INFO memory`, `INFO stats` and `INFO clients`
    /// (one section per call: servers before 7.0 take one at a time).
    pub async fn info(&self, connection: &RedisConnection) -> Result<RedisUsage> {
        let target = Target::of(connection);
        self.bounded(
            connection,
            &target,
            async |mut redis: MultiplexedConnection| {
                let mut text = String::new();
                for section in ["memory", "stats", "clients"] {
                    let reply: String = redis::cmd("INFO")
                        .arg(section)
                        .query_async(&mut redis)
                        .await
                        .map_err(|e| self.redis_error(&target, connection, "INFO", e))?;
                    text.push_str(&reply);
                    text.push_str("\r\n");
                }
                Ok(info::parse(&text))
            },
        )
        .await
    }

    /// Runs `work` on a fresh connection, holding a data-plane permit, within the deadline.
    async fn bounded<T>(
        &self,
        connection: &RedisConnection,
        target: &Target,
        work: impl AsyncFnOnce(MultiplexedConnection) -> Result<T>,
    ) -> Result<T> {
        let remaining = self.settings.remaining();
        let outcome = tokio::time::timeout(remaining, async {
            // Closed never happens: the semaphore lives as long as the settings.
            let _permit = self.settings.data_plane.acquire().await;
            let redis = self.open(connection, target).await?;
            work(redis).await
        })
        .await;
        match outcome {
            Ok(result) => result,
            Err(_) => Err(self
                .origin(Error::timeout(format!(
                    "timed out after {}s talking to {target}",
                    self.settings.timeout.as_secs_f64()
                )))
                .with_hint("raise --timeout, or check that the database is reachable from here")),
        }
    }

    async fn open(
        &self,
        connection: &RedisConnection,
        target: &Target,
    ) -> Result<MultiplexedConnection> {
        let dial = self.settings.dial_override.get().copied();
        // The demo emulator answers TLS databases in plaintext: it has no certificate to show.
        let tls = connection.tls && dial.is_none();
        self.settings.log(
            1,
            format!(
                "data plane: connecting to {target} (tls: {}{})",
                if connection.tls { "yes" } else { "no" },
                dial.map(|a| format!(", via {a} in plaintext"))
                    .unwrap_or_default()
            ),
        );
        let connect = async {
            let tcp = match dial {
                Some(addr) => tokio::net::TcpStream::connect(addr).await,
                None => tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await,
            }
            .map_err(|e| {
                self.origin(Error::new(
                    ErrorKind::Network,
                    format!("could not connect to {target}: {e}"),
                ))
            })?;
            // Latency is what we measure: no batching of small writes.
            let _ = tcp.set_nodelay(true);
            if !tls {
                return Ok(Stream::Plain(tcp));
            }
            let name =
                rustls::pki_types::ServerName::try_from(target.host.clone()).map_err(|e| {
                    self.origin(Error::invalid(format!(
                        "{target}: not a name TLS can verify: {e}"
                    )))
                })?;
            tokio_rustls::TlsConnector::from(self.tls_config()?)
                .connect(name, tcp)
                .await
                .map(|s| Stream::Tls(Box::new(s)))
                .map_err(|e| self.tls_error(target, &e))
        };
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| {
                let what = if tls { "TCP connect and TLS handshake" } else { "TCP connect" };
                let mut error = self.origin(Error::new(
                    ErrorKind::Network,
                    format!(
                        "{what} with {target} did not finish within {}s",
                        CONNECT_TIMEOUT.as_secs()
                    ),
                ));
                if tls {
                    error = error.with_hint("the provider says this database uses TLS; a port that speaks plaintext never completes the handshake");
                }
                error
            })??;
        let mut info = RedisConnectionInfo::default().set_skip_set_lib_name();
        if let Some(user) = connection.user.as_deref() {
            info = info.set_username(user);
        }
        if let Some(password) = &connection.password {
            info = info.set_password(password.expose());
        }
        match stream {
            Stream::Plain(tcp) => self.handshake(&info, tcp, target, connection).await,
            Stream::Tls(tls) => self.handshake(&info, *tls, target, connection).await,
        }
    }

    /// AUTH (when there is a password) over the stream; redis-rs drives it from here on.
    async fn handshake<C>(
        &self,
        info: &RedisConnectionInfo,
        stream: C,
        target: &Target,
        connection: &RedisConnection,
    ) -> Result<MultiplexedConnection>
    where
        C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // The run's deadline bounds every call; redis-rs's own 500 ms default would cut
        // short a slow but healthy link.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None);
        let (redis, driver) = MultiplexedConnection::new_with_config(info, stream, config)
            .await
            .map_err(|e| self.redis_error(target, connection, "AUTH", e))?;
        // The driver ends when the connection is dropped.
        tokio::spawn(driver);
        Ok(redis)
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>> {
        if let Some(config) = self.tls_config.get() {
            return Ok(config.clone());
        }
        let config = Arc::new(
            crate::tls::stream_config(&self.tls, self.insecure).map_err(|e| self.origin(e))?,
        );
        Ok(self.tls_config.get_or_init(|| config).clone())
    }

    fn tls_error(&self, target: &Target, error: &std::io::Error) -> Error {
        let text = error.to_string();
        let mut error = self.origin(Error::new(
            ErrorKind::Network,
            format!("TLS handshake with {target} failed: {text}"),
        ));
        if text.to_ascii_lowercase().contains("certificate") {
            error = error.with_hint(self.certificate_hint.clone());
        }
        error
    }

    /// A redis-rs error as dbctl's: refused AUTH is exit 4, a lost link 10, the rest 8.
    fn redis_error(
        &self,
        target: &Target,
        connection: &RedisConnection,
        command: &str,
        error: RedisError,
    ) -> Error {
        let code = error.code().unwrap_or_default();
        let auth = error.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(code, "NOAUTH" | "WRONGPASS");
        let text = scrub(&error.to_string(), connection);
        let (kind, message, hint) = if auth && connection.password.is_none() {
            (
                ErrorKind::Auth,
                format!("{target} requires a password and the provider gave none"),
                None,
            )
        } else if auth {
            (
                ErrorKind::Auth,
                format!("{target} refused the database password ({command}: {})", code_or(&error, "authentication failed")),
                Some("the provider's password for this database did not work; `dbctl db url ID` shows the user it expects"),
            )
        } else if error.is_io_error() || error.is_connection_dropped() {
            (
                ErrorKind::Network,
                format!("{target} closed the connection during {command}: {text}"),
                None,
            )
        } else {
            (
                ErrorKind::Provider,
                format!("{target} answered {command} with an error: {text}"),
                None,
            )
        };
        let error = self.origin(Error::new(kind, message));
        match hint {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }

    fn origin(&self, error: Error) -> Error {
        error.with_origin(self.provider, &self.profile)
    }
}

enum Stream {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
}

/// `host:port` as logs and messages show it (IPv6 bracketed).
struct Target {
    host: String,
    port: u16,
}

impl Target {
    fn of(connection: &RedisConnection) -> Target {
        Target {
            host: connection.host.clone(),
            port: connection.port.unwrap_or(DEFAULT_PORT),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The server's error code (`WRONGPASS`, `NOAUTH`), else `fallback`.
fn code_or<'a>(error: &'a RedisError, fallback: &'a str) -> &'a str {
    error.code().unwrap_or(fallback)
}

/// A server or library message with the password replaced, whatever it echoes.
fn scrub(text: &str, connection: &RedisConnection) -> String {
    match &connection.password {
        Some(password) if !password.expose().is_empty() => text.replace(password.expose(), MASK),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_min_avg_max_in_ms() {
        let samples = [1, 3, 2].map(Duration::from_millis);
        let timed = latency(&samples).unwrap();
        assert_eq!((timed.min, timed.avg, timed.max), (1.0, 2.0, 3.0));
        assert!(latency(&[]).is_none());
    }

    /// `info` through redis-rs against the emulator's RESP responder (the real-server tests
    /// drive the binary; nothing there calls `info` yet).
    #[cfg(feature = "emulator")]
    #[tokio::test]
    async fn info_reads_the_three_sections() {
        use crate::config::{Origin, Profile};
        let (addr, _server) = crate::emulator::redis_plane::start(Duration::ZERO)
            .await
            .unwrap();
        let settings = Arc::new(HttpSettings::new(Duration::from_secs(5), 1, 0, false));
        let profile = Profile::new("p", ProviderKind::Upstash, Origin::Env);
        let dialer = Dialer::for_profile(&profile, settings).unwrap();
        let connection = RedisConnection {
            host: "127.0.0.1".into(),
            port: Some(addr.port()),
            tls: false,
            user: Some("default".into()),
            password: Some(crate::secret::Secret::new("pw")),
            database: "1".into(),
            regions: Vec::new(),
        };
        let usage = dialer.info(&connection).await.unwrap();
        assert_eq!(usage.maxmemory, Some(256 * 1024 * 1024));
        assert!(usage.used_memory.is_some_and(|m| m >= 48 * 1024 * 1024));
        assert!(usage.connected_clients.is_some_and(|c| c >= 4));
        assert!(usage.instantaneous_ops_per_sec.is_some());
    }

    #[test]
    fn passwords_are_scrubbed_from_messages() {
        let connection = RedisConnection {
            host: "h".into(),
            port: None,
            tls: false,
            user: None,
            password: Some(crate::secret::Secret::new("s3cret")),
            database: "1".into(),
            regions: Vec::new(),
        };
        assert_eq!(scrub("bad s3cret here", &connection), "bad *** here");
        assert_eq!(Target::of(&connection).to_string(), "h:6379");
    }
}
