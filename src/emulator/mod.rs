//! An in-process imitation of the four provider APIs, used by `--demo` and
//! `dbctl emulator serve`. Each API lives in its own file; they share one state store.
//! The provider modules talk to it unchanged, with the real auth and paging.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::config::{Config, Profile};
use crate::error::{Error, Result};
use crate::provider::ProviderKind;

pub mod cosmos;
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
}

impl Options {
    /// `--demo`: seeded, on a free port, no latency, no faults.
    pub fn demo() -> Self {
        Options {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            seeded: true,
            latency: Duration::ZERO,
            fault: None,
        }
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

/// One provider's imitation, as the provider registry names it: its routes (each API keeps
/// its own state, seeded with the demo fleet or empty, under its own path prefix), and the
/// profile settings that point dbctl at it; the demo profile and the `export` lines (through
/// the provider's own variables) are both made from them.
pub struct ApiSpec {
    pub router: fn(seeded: bool) -> Router,
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
pub const DEMO_HOST: &str = "emulator.dbctl.demo";

pub struct Emulator {
    addr: SocketAddr,
    _server: tokio::task::JoinHandle<()>,
    redis_addr: SocketAddr,
    _redis_server: tokio::task::JoinHandle<()>,
}

impl Emulator {
    pub async fn start(options: Options) -> Result<Emulator> {
        let traffic = Arc::new(Traffic {
            options: options.clone(),
            requests: AtomicU64::new(0),
        });
        let app = ProviderKind::all()
            .iter()
            .fold(Router::new(), |app, kind| {
                app.merge((kind.spec().emulator.router)(options.seeded))
            })
            .layer(middleware::from_fn_with_state(traffic, latency_and_faults));
        let listener = tokio::net::TcpListener::bind((options.bind, options.port))
            .await
            .map_err(|e| {
                Error::usage(format!(
                    "emulator cannot listen on {}: {e}",
                    SocketAddr::new(options.bind, options.port)
                ))
                .with_hint(if e.kind() == std::io::ErrorKind::AddrNotAvailable {
                    "--bind takes an address of this machine: 127.0.0.1, or 0.0.0.0 for every interface"
                } else {
                    "another program may hold that port: pick another with --port, or --port 0 for any free one"
                })
            })?;
        let addr = listener
            .local_addr()
            .map(dialable)
            .map_err(|e| Error::internal(format!("emulator address: {e}")))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let (redis_addr, redis_server) = redis_plane::start(options.bind, options.latency).await?;
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
                .map(|&kind| {
                    demo_profile(kind.name(), kind, &(kind.spec().emulator.settings)(base))
                })
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
                let spec = kind.spec();
                (spec.emulator.settings)(&base)
                    .into_iter()
                    .filter_map(|(field, value)| {
                        let var = spec.env.iter().find(|v| v.field == field)?.var;
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
    kind: crate::provider::ProviderKind,
    fields: &[(&str, String)],
) -> Profile {
    fields.iter().fold(
        Profile::new(name, kind, crate::config::Origin::Demo),
        |profile, (field, value)| profile.with(field, value.clone()),
    )
}

/// `DBCTL_EMULATOR_FLEET=N` replaces the Upstash, Redis Enterprise and Cosmos demo seeds with N
/// databases each, for benchmarks (Redis Cloud: `DBCTL_EMULATOR_REDIS_CLOUD_BENCH`).
pub fn fleet_size() -> Option<usize> {
    std::env::var("DBCTL_EMULATOR_FLEET")
        .ok()?
        .trim()
        .parse()
        .ok()
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
