//! The Redis data plane (`db ping`, INFO for usage). dbctl dials TCP itself, runs TLS with
//! its own rustls setup (`crate::tls`: webpki roots, the profile's CA file, the insecure
//! switch) and speaks the little RESP it needs itself (`resp`), so that an endpoint, which is
//! as untrusted as any provider answer, cannot make it hold more than a capped reply.
//!
//! Every attempt has its own deadlines, inside the run's: `--connect-timeout` for TCP and TLS,
//! `--reply-timeout` for each reply. A data-plane slot (`HttpSettings::data_plane`) is held
//! only while the attempt runs, so an endpoint that never answers delays only its own
//! database. No error or log line carries the password.
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, BufReader};

use crate::config::Profile;
use crate::context::HttpSettings;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Latency;
use crate::model::{ProviderKind, RedisConnection};
use crate::secret::MASK;
use crate::tls::TlsOptions;

mod info;
mod resp;

/// For the emulator's tests of its INFO text.
#[cfg(all(test, feature = "emulator"))]
pub use info::parse as parse_info;
pub use info::RedisUsage;
use resp::{Reply, ReplyError};

/// Port when the provider gives none.
pub const DEFAULT_PORT: u16 = 6379;

/// Where a `localhost` name (RFC 6761; the emulator's) is dialed, in this order: 127.0.0.1,
/// then ::1 (an emulator bound to ::1 only). Nothing sent there leaves the machine.
pub fn loopback_addrs(port: u16) -> [std::net::SocketAddr; 2] {
    [
        (std::net::Ipv4Addr::LOCALHOST, port).into(),
        (std::net::Ipv6Addr::LOCALHOST, port).into(),
    ]
}

/// The loopback address that accepts connections on `port`, for a program dbctl hands one
/// address to (redis-cli): 127.0.0.1 unless only ::1 answers within 2 s.
pub async fn accepting_loopback(port: u16) -> std::net::SocketAddr {
    let addrs = loopback_addrs(port);
    let probe = tokio::net::TcpStream::connect(&addrs[..]);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(stream)) => stream.peer_addr().unwrap_or(addrs[0]),
        _ => addrs[0],
    }
}

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

/// Opens data-plane connections for one profile: its TLS settings, the run's deadlines.
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
        self.bounded(connection, &target, async |session: &mut Session<'_>| {
            let mut samples = Vec::new();
            for _ in 0..count.max(1) {
                let started = Instant::now();
                match session.command(&[b"PING"], &mut |_| {}).await? {
                    Reply::Status(_) | Reply::Bulk => samples.push(started.elapsed()),
                    other => return Err(session.unexpected("PING", other)),
                }
            }
            let latency = latency(&samples).ok_or_else(|| Error::internal("no PING was timed"))?;
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
        })
        .await
    }

    /// Connects, authenticates, and reads `INFO` (its default sections hold memory, stats
    /// and clients on every server version: one round trip, where naming several sections
    /// needs 7.0), line by line as the reply comes: the text is never held whole.
    pub async fn info(&self, connection: &RedisConnection) -> Result<RedisUsage> {
        let target = Target::of(connection);
        self.bounded(connection, &target, async |session: &mut Session<'_>| {
            let mut usage = RedisUsage::default();
            let mut lines = resp::Lines::new(|line: &str| usage.read_line(line));
            let reply = session
                .command(&[b"INFO"], &mut |piece| lines.feed(piece))
                .await?;
            lines.finish();
            if reply != Reply::Bulk {
                return Err(session.unexpected("INFO", reply));
            }
            Ok(usage)
        })
        .await
    }

    /// Runs `work` on a fresh, authenticated connection while holding a data-plane slot. The
    /// wait for the slot counts against the run's deadline only; the attempt, once started,
    /// has its own deadlines, and the slot and the connection go when it ends.
    async fn bounded<T>(
        &self,
        connection: &RedisConnection,
        target: &Target,
        work: impl AsyncFnOnce(&mut Session<'_>) -> Result<T>,
    ) -> Result<T> {
        let slot = tokio::time::timeout(
            self.settings.remaining(),
            self.settings.data_plane.acquire(),
        )
        .await;
        // Closed never happens: the semaphore lives as long as the settings. A slot that
        // came just as the deadline passed is no time to try in.
        let (Ok(Ok(_slot)), false) = (slot, self.settings.remaining().is_zero()) else {
            return Err(self
                .origin(Error::timeout(format!(
                    "{target} was not tried: --request-timeout ({}s) ran out while other databases held every data-plane connection",
                    self.settings.timeout.as_secs_f64()
                )))
                .with_hint("raise --request-timeout, or select fewer databases"));
        };
        let attempt = async {
            let mut session = self.open(connection, target).await?;
            work(&mut session).await
        };
        match tokio::time::timeout(self.settings.remaining(), attempt).await {
            Ok(result) => result,
            Err(_) => Err(self
                .origin(Error::timeout(format!(
                    "--request-timeout ({}s) ran out talking to {target}",
                    self.settings.timeout.as_secs_f64()
                )))
                .with_hint(
                    "raise --request-timeout, or check that the database is reachable from here",
                )),
        }
    }

    /// TCP (and TLS) within `--connect-timeout`, then AUTH when there is a password.
    async fn open<'a>(
        &'a self,
        connection: &'a RedisConnection,
        target: &'a Target,
    ) -> Result<Session<'a>> {
        let dial: Option<Vec<std::net::SocketAddr>> =
            match self.settings.dial_override.get().copied() {
                Some(addr) => Some(vec![addr]),
                // `localhost` names are ours to resolve, in plaintext.
                None => crate::sanitize::is_loopback_name(&target.host)
                    .then(|| loopback_addrs(target.port).to_vec()),
            };
        // The emulator answers TLS databases in plaintext: it has no certificate to show.
        let tls = connection.tls && dial.is_none();
        self.settings.log(
            1,
            format!(
                "data plane: connecting to {target} (tls: {}{})",
                if connection.tls { "yes" } else { "no" },
                dial.as_ref()
                    .map(|addrs| {
                        let addrs: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                        format!(", via {} in plaintext", addrs.join(" or "))
                    })
                    .unwrap_or_default()
            ),
        );
        let connect = async {
            // Each address in turn, until one accepts.
            let tcp = match &dial {
                Some(addrs) => tokio::net::TcpStream::connect(addrs.as_slice()).await,
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
        let limit = self.settings.data_plane_connect;
        let stream = tokio::time::timeout(limit, connect).await.map_err(|_| {
            let what = if tls { "TCP connect and TLS handshake" } else { "TCP connect" };
            let hint = if tls {
                "the provider says this database uses TLS: a port that speaks plaintext never completes the handshake; else raise --connect-timeout"
            } else {
                "check that the database is reachable from here, or raise --connect-timeout"
            };
            self.origin(Error::new(
                ErrorKind::Network,
                format!("{what} with {target} did not finish within {}s", limit.as_secs_f64()),
            ))
            .with_hint(hint)
        })??;
        let mut session = Session {
            stream: BufReader::with_capacity(8 * 1024, stream),
            dialer: self,
            target,
            connection,
        };
        session.authenticate().await?;
        Ok(session)
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
            error = error.with_hint(crate::tls::refusal_hint(
                &text,
                &target.host,
                &self.certificate_hint,
            ));
        }
        error
    }

    fn origin(&self, error: Error) -> Error {
        error.with_origin(self.provider, &self.profile)
    }
}

/// One open connection of one attempt.
struct Session<'a> {
    stream: BufReader<Stream>,
    dialer: &'a Dialer,
    target: &'a Target,
    connection: &'a RedisConnection,
}

impl Session<'_> {
    /// Sends one command and reads its reply within `--reply-timeout`; a bulk string's body
    /// goes to `sink`. An error reply comes back as [`Reply::Error`] only for AUTH: for the
    /// others it is this attempt's error.
    async fn command(
        &mut self,
        args: &[&[u8]],
        sink: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<Reply> {
        let name = String::from_utf8_lossy(args[0]).into_owned();
        let limit = self.dialer.settings.data_plane_reply;
        let exchange = async {
            resp::send(&mut self.stream, args).await?;
            resp::read(&mut self.stream, sink).await
        };
        let reply = match tokio::time::timeout(limit, exchange).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(error)) => return Err(self.failed(&name, error)),
            Err(_) => {
                return Err(self
                    .dialer
                    .origin(Error::timeout(format!(
                        "{} did not answer {name} within {}s",
                        self.target,
                        limit.as_secs_f64()
                    )))
                    .with_hint("raise --reply-timeout if the database is slow but healthy"))
            }
        };
        match reply {
            Reply::Error(text) if name != "AUTH" => Err(self.refused(&name, &text)),
            reply => Ok(reply),
        }
    }

    /// AUTH with the provider's password (and user, where it names one besides `default`).
    async fn authenticate(&mut self) -> Result<()> {
        let Some(password) = &self.connection.password else {
            return Ok(());
        };
        let password = password.expose().as_bytes();
        let reply = match self.connection.user.as_deref() {
            Some(user) if user != "default" => {
                self.command(&[b"AUTH", user.as_bytes(), password], &mut |_| {})
                    .await?
            }
            _ => self.command(&[b"AUTH", password], &mut |_| {}).await?,
        };
        match reply {
            Reply::Status(_) => Ok(()),
            // A server with no password set lets every client in as `default`.
            Reply::Error(text) if text.contains("without any password configured") => Ok(()),
            Reply::Error(text) => Err(self.refused("AUTH", &text)),
            other => Err(self.unexpected("AUTH", other)),
        }
    }

    /// A reply that could not be read: the connection is given up.
    fn failed(&self, command: &str, error: ReplyError) -> Error {
        let target = self.target;
        let (kind, message) = match error {
            ReplyError::TooLarge => (
                ErrorKind::Provider,
                format!("{target} sent a reply too large to {command} (over 1 MiB); gave up on it"),
            ),
            ReplyError::Closed => (
                ErrorKind::Network,
                format!("{target} closed the connection during {command}"),
            ),
            ReplyError::Io(e) => (
                ErrorKind::Network,
                format!(
                    "{target} failed during {command}: {}",
                    self.scrub(&e.to_string())
                ),
            ),
            ReplyError::Protocol(what) => (
                ErrorKind::Provider,
                format!(
                    "{target} answered {command} with something that is not a Redis reply: {}",
                    self.scrub(&what)
                ),
            ),
        };
        self.dialer.origin(Error::new(kind, message))
    }

    /// An error reply: a refused password is exit 4, the rest 8.
    fn refused(&self, command: &str, text: &str) -> Error {
        let target = self.target;
        let code = text.split_whitespace().next().unwrap_or_default();
        let auth = matches!(code, "NOAUTH" | "WRONGPASS")
            || (command == "AUTH" && text.to_ascii_lowercase().contains("invalid"));
        let error = if auth && self.connection.password.is_none() {
            Error::new(
                ErrorKind::Auth,
                format!("{target} requires a password and the provider gave none"),
            )
        } else if auth {
            Error::new(
                ErrorKind::Auth,
                format!("{target} refused the database password ({command}: {code})"),
            )
            .with_hint("the provider's password for this database did not work; `dbctl db url ID` shows the user it expects")
        } else {
            Error::new(
                ErrorKind::Provider,
                format!(
                    "{target} answered {command} with an error: {}",
                    self.scrub(text)
                ),
            )
        };
        self.dialer.origin(error)
    }

    fn unexpected(&self, command: &str, reply: Reply) -> Error {
        self.failed(
            command,
            ReplyError::Protocol(format!("not what {command} answers ({reply:?})")),
        )
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text, self.connection)
    }
}

/// A plaintext or TLS connection, read and written alike.
enum Stream {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
}

/// Calls `$method` on whichever stream it is.
macro_rules! either {
    ($self:ident, $method:ident($($arg:expr),*)) => {
        match $self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).$method($($arg),*),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).$method($($arg),*),
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        either!(self, poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        either!(self, poll_write(cx, buf))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        either!(self, poll_flush(cx))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        either!(self, poll_shutdown(cx))
    }
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

    /// `info` against the emulator's RESP responder (the real-server tests drive the binary).
    #[cfg(feature = "emulator")]
    #[tokio::test]
    async fn info_reads_the_three_sections() {
        use crate::config::{Origin, Profile};
        let (addr, _server) =
            crate::emulator::redis_plane::start([127, 0, 0, 1].into(), Duration::ZERO)
                .await
                .unwrap();
        let settings = Arc::new(HttpSettings::new(&crate::context::Requests {
            timeout: Duration::from_secs(5),
            attempts: 1,
            ..Default::default()
        }));
        let profile = Profile::new("p", ProviderKind::Upstash, Origin::Env, &[]);
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
