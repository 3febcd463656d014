//! `metrics serve`: a Prometheus exporter of the fleet. Each profile is read in the
//! background every `--interval`, on its own (its own deadline, its own request budget);
//! after each reading the whole exposition is rendered in a fresh registry and swapped in,
//! so a scrape only copies the last complete text and costs the providers nothing.
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{check, observe, stop_signal, App};
use crate::cli::{MetricsArgs, MetricsCommand};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::model::{ProviderKind, Rule};
use crate::output::metrics::{exposition, Reading, OPENMETRICS, PROMETHEUS_TEXT};
use crate::output::report::Observed;

pub async fn run(app: &App, command: MetricsCommand) -> Result<()> {
    let MetricsCommand::Serve(args) = command;
    check::check_thresholds(&args.memory)?;
    let profiles = app.select(&args.fleet.providers, &args.fleet.profiles)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            Error::cannot_listen(
                "metrics serve",
                args.listen,
                &e,
                ("--listen", true),
                "--listen ADDR:PORT (port 0: any free one)",
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(format!("the listening address: {e}")))?;
    let exporter = Arc::new(Exporter::new(&profiles));
    let router = Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(exporter.clone());
    let signalled = stop_signal();
    crate::say!(
        "serving metrics on http://{addr}/metrics; {} profile{} read every {}s (Ctrl-C or SIGTERM stops)",
        profiles.len(),
        if profiles.len() == 1 { "" } else { "s" },
        args.interval
    );
    let (stop, stopped) = watch::channel(false);
    let mut on_stop = stopped.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = on_stop.wait_for(|stop| *stop).await;
    });
    let readers = futures::future::join_all(profiles.iter().enumerate().map(|(slot, profile)| {
        keep_reading(app, slot, profile, &args, &exporter, stopped.clone())
    }));
    let signal = async {
        signalled.await;
        let _ = stop.send(true);
    };
    let (served, _) = tokio::join!(server.into_future(), async {
        tokio::join!(readers, signal)
    });
    served.map_err(|e| Error::internal(format!("the metrics server failed: {e}")))?;
    crate::say!("metrics serve stopped");
    Ok(())
}

/// Reads one profile every `--interval` (start to start) until stopped.
async fn keep_reading(
    app: &App,
    slot: usize,
    profile: &Profile,
    args: &MetricsArgs,
    exporter: &Exporter,
    mut stopped: watch::Receiver<bool>,
) {
    let own = own_app(app);
    let one = [profile];
    let interval = Duration::from_secs_f64(args.interval);
    let mut next = Instant::now();
    loop {
        let started = Instant::now();
        // Each reading has the whole `--request-timeout`, pages and retries included.
        own.shared.http.restart_deadline();
        let reading = tokio::select! {
            reading = observe::gather(&own, &one, &own.shared, &args.memory) => reading,
            _ = stopped.wait_for(|stop| *stop) => return,
        };
        let observed = match reading {
            Ok(mut gathered) => observe::observed(&one, &mut gathered).pop(),
            Err(error) => {
                crate::sanitize::warn(&format!(
                    "profile {} ({}): reading failed, its series keep the last values and dbctl_profile_up is 0: {}",
                    profile.name, profile.provider, error.message
                ));
                None
            }
        };
        exporter.record(slot, observed, started.elapsed());
        next = (next + interval).max(Instant::now());
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

/// This run's settings with a deadline of the profile's own, so one profile's readings
/// never run into another's `--request-timeout`.
fn own_app(app: &App) -> App {
    app.fresh_run(app.out.settings.clone())
}

/// Each profile's last reading, and the exposition made from them all.
struct Exporter {
    slots: Mutex<Vec<Slot>>,
    page: RwLock<Arc<Page>>,
    rules: Vec<Rule>,
}

struct Slot {
    provider: ProviderKind,
    profile: String,
    /// The last reading that worked.
    last: Option<Observed>,
    up: bool,
    refresh_seconds: f64,
    refreshes: u64,
    errors: u64,
    last_success: Option<f64>,
}

/// The exposition in both texts, shared by every scrape until the next reading.
struct Page {
    openmetrics: Bytes,
    prometheus: Bytes,
}

impl Exporter {
    fn new(profiles: &[&Profile]) -> Exporter {
        let exporter = Exporter {
            slots: Mutex::new(
                profiles
                    .iter()
                    .map(|p| Slot {
                        provider: p.provider,
                        profile: p.name.clone(),
                        last: None,
                        up: false,
                        refresh_seconds: 0.0,
                        refreshes: 0,
                        errors: 0,
                        last_success: None,
                    })
                    .collect(),
            ),
            page: RwLock::new(Arc::new(Page {
                openmetrics: Bytes::new(),
                prometheus: Bytes::new(),
            })),
            rules: check::default_rules(),
        };
        // Before the first reading: every family, no series.
        exporter.publish(&[]);
        exporter
    }

    /// A profile's reading (`None`: it failed, and its last one stays), then a new page.
    fn record(&self, slot: usize, observed: Option<Observed>, took: Duration) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = slots.get_mut(slot) else {
            return;
        };
        entry.refresh_seconds = took.as_secs_f64();
        entry.refreshes += 1;
        entry.up = observed.is_some();
        match observed {
            Some(observed) => {
                for failure in &observed.failures {
                    crate::sanitize::warn(&format!(
                        "profile {} ({}): {failure}",
                        entry.profile, entry.provider
                    ));
                }
                entry.last = Some(observed);
                entry.last_success = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs_f64());
            }
            None => entry.errors += 1,
        }
        self.publish(&slots);
    }

    /// Renders the profiles read so far and swaps the page in.
    fn publish(&self, slots: &[Slot]) {
        let readings: Vec<Reading> = slots
            .iter()
            .filter(|s| s.refreshes > 0)
            .map(|s| Reading {
                observed: s.last.as_ref(),
                provider: s.provider,
                profile: &s.profile,
                up: s.up,
                refresh_seconds: s.refresh_seconds,
                refreshes: s.refreshes,
                refresh_errors: s.errors,
                last_success: s.last_success,
            })
            .collect();
        match exposition(&readings, &crate::http::requests_sent(), &self.rules) {
            Ok(text) => {
                let page = Arc::new(Page {
                    openmetrics: Bytes::from(text.openmetrics),
                    prometheus: Bytes::from(text.prometheus),
                });
                *self.page.write().unwrap_or_else(|e| e.into_inner()) = page;
            }
            Err(error) => crate::sanitize::warn(&error.message),
        }
    }
}

/// `GET /metrics`: OpenMetrics when the scraper asks for it (Prometheus does), else the
/// Prometheus text format.
async fn scrape(State(exporter): State<Arc<Exporter>>, headers: HeaderMap) -> Response {
    let page = exporter
        .page
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let openmetrics = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if openmetrics {
        ([(CONTENT_TYPE, OPENMETRICS)], page.openmetrics.clone()).into_response()
    } else {
        ([(CONTENT_TYPE, PROMETHEUS_TEXT)], page.prometheus.clone()).into_response()
    }
}
