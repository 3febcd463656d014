//! An in-process imitation of the four provider APIs, used by `--demo` and
//! `dbctl emulator serve`. Each API lives in its own file; they share one state store.
//! The provider modules talk to it unchanged, with the real auth and paging.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use crate::config::{Config, Profile};
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::provider::registry;

pub mod cosmos;
pub mod entra;
pub mod redis_cloud;
pub mod redis_enterprise;
pub(crate) mod redis_plane;
pub mod upstash;

#[derive(Debug, Clone)]
pub struct Options {
    pub port: u16,
    /// The address both listeners bind (`emulator serve --bind`).
    pub bind: IpAddr,
    /// Start with the demo data (else empty).
    pub seeded: bool,
    /// Added to every answer.
    pub latency: Duration,
    pub fault: Option<Fault>,
    /// Each Redis database keeps its own made-up port (`--demo`, which dials the data plane
    /// whatever port a record names, so it prints the same on every run); else every one is
    /// listed with the data plane's real port, so any client reaches it (`emulator serve`).
    pub fixed_ports: bool,
    /// `emulator serve --speed N`; `None`: [`SPEED_VAR`], else real time.
    pub speed: Option<Clock>,
}

impl Options {
    /// `--demo`: seeded, on a free port, no latency, no faults, fixed ports, the clock
    /// [`SPEED_VAR`] sets.
    pub fn demo() -> Self {
        Options {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            seeded: true,
            latency: Duration::ZERO,
            fault: None,
            fixed_ports: true,
            speed: None,
        }
    }
}

/// The variable that speeds up the emulator's clock (`--demo` and `emulator serve`).
pub const SPEED_VAR: &str = "DBCTL_EMULATOR_SPEED";
/// The fastest clock: a 20 s change takes 20 µs.
pub const MAX_SPEED: f64 = 1_000_000.0;

/// The emulator's clock. Every delay it imitates (a task received then in progress, a database
/// pending before it turns active) passes `speed` times faster than real time, so a test or a
/// rehearsal need not wait for it; timestamps it prints stay real.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    speed: f64,
}

impl Clock {
    pub const REAL: Clock = Clock { speed: 1.0 };

    /// The clock `speed` times faster than real time, if it is a factor from 1 to
    /// [`MAX_SPEED`].
    pub fn new(speed: f64) -> Option<Clock> {
        (1.0..=MAX_SPEED)
            .contains(&speed)
            .then_some(Clock { speed })
    }

    /// When `delay` of emulated time from now will have passed.
    pub fn after(self, delay: Duration) -> Instant {
        Instant::now() + delay.div_f64(self.speed)
    }

    /// The emulated time since `start`.
    pub fn since(self, start: Instant) -> Duration {
        start.elapsed().mul_f64(self.speed)
    }
}

impl std::str::FromStr for Clock {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        text.trim()
            .parse()
            .ok()
            .and_then(Clock::new)
            .ok_or_else(|| {
                format!("the speed must be a factor from 1 to {MAX_SPEED}, got {text:?}")
            })
    }
}

/// The most databases one emulated provider holds, seeded or created. Upstash and Redis
/// Enterprise list them in one answer, which dbctl reads up to its HTTP size cap: this many
/// records of [`MAX_RECORD_BYTES`] fit in it, and four providers' worth fit `db list`'s bounds.
pub const MAX_DATABASES: usize = 10_000;
/// The longest string (a name, a region, a key) a client may store.
pub const MAX_STRING_BYTES: usize = 1024;
/// The largest database record, as JSON, a client may make.
pub const MAX_RECORD_BYTES: usize = 3 * 1024;
/// The largest request body.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most Redis Cloud subscriptions `DBCTL_EMULATOR_REDIS_CLOUD_BENCH` seeds: `db list`
/// reads at least one page of each.
pub const MAX_BENCH_SUBSCRIPTIONS: usize = 100;

const _: () = assert!(MAX_DATABASES * (MAX_RECORD_BYTES + 1) < crate::http::MAX_BODY_BYTES);
const _: () = assert!(4 * MAX_DATABASES <= crate::paging::MAX_ITEMS);

/// Every database host the emulator lists lives under this name: `localhost` and the names
/// below it are loopback (RFC 6761), so no data-plane dial leaves the machine.
pub const HOST_SUFFIX: &str = "dbctl.localhost";

/// Why a record a client made cannot be stored, if it cannot: a string or key longer than
/// [`MAX_STRING_BYTES`], or the whole record longer than [`MAX_RECORD_BYTES`] as JSON.
pub fn too_large(record: &Value) -> Option<String> {
    fn long_string(value: &Value) -> Option<usize> {
        match value {
            Value::String(text) => (text.len() > MAX_STRING_BYTES).then_some(text.len()),
            Value::Array(items) => items.iter().find_map(long_string),
            Value::Object(map) => map.iter().find_map(|(key, value)| {
                (key.len() > MAX_STRING_BYTES)
                    .then_some(key.len())
                    .or_else(|| long_string(value))
            }),
            _ => None,
        }
    }
    if let Some(len) = long_string(record) {
        return Some(format!(
            "a value of {len} bytes is longer than the {MAX_STRING_BYTES} bytes allowed"
        ));
    }
    let len = serde_json::to_vec(record).map_or(usize::MAX, |bytes| bytes.len());
    (len > MAX_RECORD_BYTES).then(|| {
        format!(
            "the database record would take {len} bytes, more than the {MAX_RECORD_BYTES} allowed"
        )
    })
}

/// Why a provider holding `count` databases refuses one more, if it does.
pub fn full(count: usize) -> Option<String> {
    (count >= MAX_DATABASES).then(|| {
        format!(
            "database limit reached: this emulated account holds at most {MAX_DATABASES} databases"
        )
    })
}

/// What every API's store starts from, read once when the emulator starts.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// Start with the demo data (else empty).
    seeded: bool,
    /// `DBCTL_EMULATOR_FLEET=N`: N databases each for Upstash, Redis Enterprise and Cosmos
    /// instead of the demo seed, for benchmarks.
    fleet: Option<usize>,
    /// `DBCTL_EMULATOR_REDIS_CLOUD_BENCH=SUBSxDBS` (e.g. `20x150`): that many Pro
    /// subscriptions of that many databases each instead of Redis Cloud's demo seed.
    cloud_bench: Option<(usize, usize)>,
    /// The port every Redis database is listed with; `None`: each keeps its own.
    data_port: Option<u16>,
    clock: Clock,
}

impl Setup {
    /// The seed `seeded` asks for, sized by the environment (an unusable size is exit 3), on
    /// the clock `speed` sets, else [`SPEED_VAR`] (an unusable factor is exit 3 too).
    fn from_env(seeded: bool, speed: Option<Clock>) -> Result<Setup> {
        let fleet = env_size(
            "DBCTL_EMULATOR_FLEET",
            &format!("a number of databases up to {MAX_DATABASES}"),
            |text| text.parse().ok().map(|n| (n, n)),
        )?;
        let cloud_bench = env_size(
            "DBCTL_EMULATOR_REDIS_CLOUD_BENCH",
            &format!(
                "SUBSxDBS (e.g. 20x150) of up to {MAX_BENCH_SUBSCRIPTIONS} subscriptions and {MAX_DATABASES} databases in all"
            ),
            |text| {
                let (subs, dbs) = text.split_once(['x', 'X'])?;
                let size: (usize, usize) = (subs.trim().parse().ok()?, dbs.trim().parse().ok()?);
                let databases = size.0.checked_mul(size.1)?;
                (size.0 <= MAX_BENCH_SUBSCRIPTIONS).then_some((size, databases))
            },
        )?;
        let clock = match speed {
            Some(clock) => Some(clock),
            None => env_size(
                SPEED_VAR,
                &format!("a factor from 1 to {MAX_SPEED}"),
                |text| Some((text.parse::<Clock>().ok()?, 0)),
            )?,
        };
        Ok(Setup {
            fleet,
            cloud_bench,
            clock: clock.unwrap_or(Clock::REAL),
            ..Setup::new(seeded)
        })
    }

    /// The demo data (or none), its own sizes and ports.
    pub fn new(seeded: bool) -> Setup {
        Setup {
            seeded,
            fleet: None,
            cloud_bench: None,
            data_port: None,
            clock: Clock::REAL,
        }
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn is_seeded(&self) -> bool {
        self.seeded
    }

    /// How many databases replace the demo seed, when seeded with `DBCTL_EMULATOR_FLEET`.
    pub fn fleet(&self) -> Option<usize> {
        self.fleet.filter(|_| self.seeded)
    }

    /// Redis Cloud's subscriptions × databases, when seeded with
    /// `DBCTL_EMULATOR_REDIS_CLOUD_BENCH`.
    pub fn cloud_bench(&self) -> Option<(usize, usize)> {
        self.cloud_bench.filter(|_| self.seeded)
    }

    /// The port a Redis database whose own (made-up or requested) port is `own` is listed
    /// with: the data plane's under `emulator serve`, its own under `--demo`.
    pub fn port(&self, own: u16) -> u16 {
        self.data_port.unwrap_or(own)
    }
}

/// A setting in the environment variable `name`: unset or blank is none; else `parse` reads
/// it as (value, databases it makes: none for a speed), at most [`MAX_DATABASES`], or it is
/// exit 3 saying what it must be.
fn env_size<T>(
    name: &str,
    wanted: &str,
    parse: impl Fn(&str) -> Option<(T, usize)>,
) -> Result<Option<T>> {
    let Some(raw) = std::env::var_os(name) else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match raw.to_str().and(parse(text)) {
        Some((value, databases)) if databases <= MAX_DATABASES => Ok(Some(value)),
        _ => Err(Error::config(format!(
            "{name} must be {wanted}, got {text:?}"
        ))),
    }
}

/// Answer `status` to every `every`-th request.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub status: u16,
    pub every: u64,
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (status, every) = text.split_once(':').unwrap_or((text, "1"));
        let status: u16 = status
            .parse()
            .ok()
            .filter(|s| (400..600).contains(s))
            .ok_or_else(|| {
                format!("--fault wants STATUS[:EVERY] with a 4xx/5xx status, got {text:?}")
            })?;
        let every: u64 =
            every.parse().ok().filter(|e| *e > 0).ok_or_else(|| {
                format!("--fault wants STATUS[:EVERY] with EVERY > 0, got {text:?}")
            })?;
        Ok(Fault { status, every })
    }
}

/// One provider's imitation: its routes (each API keeps its own state, seeded with the demo
/// fleet or empty, under its own path prefix), and the profile settings that point dbctl at
/// it; the demo profile and the `export` lines (through the provider's own variables) are both
/// made from them. The emulator is a plug-in: the providers know nothing of it.
pub struct ApiSpec {
    pub router: fn(&Setup) -> Router,
    pub settings: fn(base: &str) -> Vec<(&'static str, String)>,
}

/// What the latency and fault layer keeps across requests.
struct Traffic {
    options: Options,
    requests: AtomicU64,
}

/// Locks a part of the store; a poisoned lock (a panicked handler) still serves.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The host `--demo` profiles name; the HTTP layer sends its requests to the emulator.
pub const DEMO_HOST: &str = "emulator.dbctl.localhost";

pub struct Emulator {
    addr: SocketAddr,
    _server: tokio::task::JoinHandle<()>,
    redis_addr: SocketAddr,
    _redis_server: tokio::task::JoinHandle<()>,
}

/// The imitation of each provider: the emulator's own table, by kind.
fn api(kind: ProviderKind) -> ApiSpec {
    match kind {
        ProviderKind::Upstash => upstash::API,
        ProviderKind::RedisCloud => redis_cloud::API,
        ProviderKind::RedisEnterprise => redis_enterprise::API,
        ProviderKind::Cosmos => cosmos::API,
    }
}

impl Emulator {
    pub async fn start(options: Options) -> Result<Emulator> {
        let mut setup = Setup::from_env(options.seeded, options.speed)?;
        let listener = tokio::net::TcpListener::bind((options.bind, options.port))
            .await
            .map_err(|e| {
                Error::cannot_listen(
                    "emulator",
                    SocketAddr::new(options.bind, options.port),
                    &e,
                    ("--bind", false),
                    "--port, or --port 0 for any free one",
                )
            })?;
        let (redis_addr, redis_server) = redis_plane::start(options.bind, options.latency).await?;
        if !options.fixed_ports {
            setup.data_port = Some(redis_addr.port());
        }
        let traffic = Arc::new(Traffic {
            options: options.clone(),
            requests: AtomicU64::new(0),
        });
        let app = ProviderKind::all()
            .iter()
            .fold(Router::new(), |app, kind| {
                app.merge((api(*kind).router)(&setup))
            })
            .merge(entra::router(entra::Tokens::from_env()?))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(middleware::from_fn_with_state(traffic, latency_and_faults));
        let addr = listener
            .local_addr()
            .map(dialable)
            .map_err(|e| Error::internal(format!("emulator address: {e}")))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Emulator {
            addr,
            _server: server,
            redis_addr: dialable(redis_addr),
            _redis_server: redis_server,
        })
    }

    /// The RESP responder that answers for every emulated Redis database.
    pub fn redis_addr(&self) -> SocketAddr {
        self.redis_addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `--demo`'s profiles: they name [`DEMO_HOST`], which the HTTP layer reaches through this
    /// emulator, so no random port shows in any endpoint.
    pub fn demo_config(&self) -> Config {
        self.config_at(&format!("http://{DEMO_HOST}"))
    }

    /// Profiles pointing every provider at this emulator, with its demo credentials.
    fn config_at(&self, base: &str) -> Config {
        Config {
            path: std::path::PathBuf::from("(demo)"),
            file_exists: false,
            profiles: ProviderKind::all()
                .iter()
                .map(|&kind| demo_profile(kind.name(), kind, &(api(kind).settings)(base)))
                .collect(),
            warnings: Vec::new(),
        }
    }

    /// The environment variables that point dbctl at this emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let base = self.base_url();
        ProviderKind::all()
            .iter()
            .flat_map(|kind| {
                let variables = registry::variables(*kind);
                (api(*kind).settings)(&base)
                    .into_iter()
                    .filter_map(|(field, value)| {
                        let var = variables.iter().find(|v| v.field == field)?.var;
                        Some((var, value))
                    })
            })
            .collect()
    }
}

/// The address a client on this host dials to reach a listener bound to `addr`: a wildcard
/// bind (0.0.0.0, ::) is no address to connect to, so the URLs and `export` lines name
/// loopback (127.0.0.1, ::1) instead, which reaches it from this host or container.
fn dialable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

async fn latency_and_faults(
    State(store): State<Arc<Traffic>>,
    request: Request,
    next: Next,
) -> Response {
    let count = store.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if !store.options.latency.is_zero() {
        tokio::time::sleep(store.options.latency).await;
    }
    if let Some(fault) = store.options.fault {
        if count % fault.every == 0 {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return (status, "injected fault").into_response();
        }
    }
    next.run(request).await
}

/// Checks HTTP basic auth against the expected user and password.
pub fn basic_auth_ok(headers: &HeaderMap, user: &str, password: &str) -> bool {
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|v| v.trim() == expected)
}

/// Builds a demo profile from (field, value) pairs.
pub fn demo_profile(
    name: &str,
    kind: crate::model::ProviderKind,
    fields: &[(&str, String)],
) -> Profile {
    fields.iter().fold(
        Profile::new(
            name,
            kind,
            crate::config::Origin::Demo,
            registry::variables(kind),
        ),
        |profile, (field, value)| profile.with(field, value.clone()),
    )
}

/// A plausible, slowly changing figure between `low` and `high`: a sine over ten minutes,
/// shifted per database by `seed`, at `at` seconds since the epoch.
pub fn wave(seed: &str, at: f64, low: f64, high: f64) -> f64 {
    // FNV-1a, then murmur3's finalizer so neighbouring ids land far apart.
    let mut hash = seed.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash = (hash ^ (hash >> 16)).wrapping_mul(0x85eb_ca6b);
    hash = (hash ^ (hash >> 13)).wrapping_mul(0xc2b2_ae35);
    hash ^= hash >> 16;
    let turn = (at / 600.0 + f64::from(hash) / f64::from(u32::MAX)) * std::f64::consts::TAU;
    low + (high - low) * (0.5 + 0.5 * turn.sin())
}

/// Seconds since the epoch, for created timestamps.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_speed_is_a_factor_from_1_to_a_million() {
        assert_eq!("1".parse::<Clock>(), Ok(Clock::REAL));
        assert_eq!(" 1000000 ".parse::<Clock>().map(|c| c.speed), Ok(MAX_SPEED));
        for bad in ["0", "0.5", "-2", "1000001", "NaN", "inf", "fast", ""] {
            let refused = bad.parse::<Clock>().unwrap_err();
            assert!(refused.contains("from 1 to 1000000"), "{bad:?}: {refused}");
        }
        let fast = Clock::new(100.0).unwrap();
        let start = Instant::now() - Duration::from_millis(10);
        assert!(fast.since(start) >= Duration::from_secs(1));
        assert!(fast.after(Duration::from_secs(1)) <= Instant::now() + Duration::from_millis(10));
    }
}
