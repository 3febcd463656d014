//! `db ping`: data-plane reachability and latency of one database, or of every selected one
//! at once. Redis databases: connect, TLS as the provider says, AUTH with the fetched
//! password, `--count` PINGs. Others (Cosmos): `--count` signed reads of the database.
//!
//! The record is printed even when the ping failed (`ok: false`, `error`); then the exit code
//! is the failure's own (4 refused password, 10 unreachable or TLS, 11 timeout) for one ID,
//! and 12 when some of many databases failed.
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

use super::super::{App, Found};
use crate::cli::Profiles;
use crate::dataplane::{self, Dialer};
use crate::error::{Error, ErrorKind, Result};
use crate::fleet;
use crate::model::Connection;
use crate::model::{Database, Ping};
use crate::provider::{Operation, Provider};

/// Databases pinged at once: twice the data-plane connections, so the next wave's API reads
/// (Upstash gives passwords per database) overlap this wave's pings; the run-wide bounds (API
/// requests, data-plane connections) still apply inside.
const CONCURRENT: usize = 2 * crate::context::MAX_DATA_PLANE;

pub async fn run(app: &App, id: Option<String>, target: &Profiles, count: u32) -> Result<()> {
    match id {
        Some(id) => one(app, &id, target, count).await,
        None => many(app, target, count).await,
    }
}

async fn one(app: &App, key: &str, target: &Profiles, count: u32) -> Result<()> {
    let Found { provider, db } = app.find(target, Operation::Get, key).await?;
    let dialer = dialer(app, provider.as_ref())?;
    let (ping, failure) = ping(provider.as_ref(), &dialer, &db, count).await;
    app.print(&app.out.one(&ping)?)?;
    failure.map_or(Ok(()), Err)
}

async fn many(app: &App, target: &Profiles, count: u32) -> Result<()> {
    let selected = app.selected(target)?;
    let mut collected = fleet::collect(&selected, &app.shared, false).await?;
    let mut jobs = Vec::new();
    for (provider, databases) in std::mem::take(&mut collected.lists) {
        jobs.push((dialer(app, provider.as_ref())?, provider, databases));
    }
    let mut answers: Vec<(Ping, Option<Error>)> =
        stream::iter(jobs.iter().flat_map(|(dialer, provider, databases)| {
            databases
                .iter()
                .map(move |db| ping(provider.as_ref(), dialer, db, count))
        }))
        .buffer_unordered(CONCURRENT)
        .collect()
        .await;
    answers.sort_by(|(a, _), (b, _)| {
        (a.provider, &a.profile, &a.name, &a.database_id).cmp(&(
            b.provider,
            &b.profile,
            &b.name,
            &b.database_id,
        ))
    });
    let failed = answers.iter().filter(|(_, e)| e.is_some()).count();
    let pings: Vec<Ping> = answers.into_iter().map(|(ping, _)| ping).collect();
    app.print(&app.out.list(&pings)?)?;
    collected.finish(app.json())?;
    if failed == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Partial,
        format!("{failed} of {} databases failed the ping", pings.len()),
    )
    .with_hint("the ERROR column (`error` in JSON) says why for each"))
}

/// The data-plane dialer for a provider's profile (its CA file and insecure switch).
pub fn dialer(app: &App, provider: &dyn Provider) -> Result<Dialer> {
    Dialer::for_profile(provider.source(), app.shared.http.clone())
}

/// `check --ping`'s `reachable` probe: one data-plane round trip (a signed read for Cosmos).
pub async fn reach(
    app: &App,
    provider: &dyn Provider,
    db: &Database,
) -> std::result::Result<(), String> {
    let dialer = dialer(app, provider).map_err(|e| e.message)?;
    match ping(provider, &dialer, db, 1).await {
        (_, None) => Ok(()),
        (_, Some(error)) => Err(error.message),
    }
}

/// One database's ping record, and the error when it failed.
pub(crate) async fn ping(
    provider: &dyn Provider,
    dialer: &Dialer,
    db: &Database,
    count: u32,
) -> (Ping, Option<Error>) {
    let mut record = Ping {
        provider: db.provider,
        profile: db.profile.clone(),
        database_id: db.id.clone(),
        name: Some(db.name.clone()),
        endpoint: db.endpoint.clone(),
        port: db.port,
        tls: db.tls,
        ok: false,
        latency_ms: None,
        error: None,
    };
    let result = match crate::provider::connection_of(provider, db).await {
        Ok(Connection::Redis(redis)) => {
            record.endpoint = Some(redis.host.clone());
            record.port = redis.port.or(record.port);
            record.tls = Some(redis.tls);
            dialer.ping(&redis, count).await
        }
        Ok(Connection::Cosmos(cosmos)) => {
            record.endpoint = Some(cosmos.host.clone());
            record.port = cosmos.port.or(record.port);
            record.tls = Some(cosmos.tls);
            signed_reads(provider, &db.id, count).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(latency) => {
            record.ok = true;
            record.latency_ms = Some(latency);
            (record, None)
        }
        Err(error) => {
            let error = error.with_origin(db.provider, &db.profile);
            record.error = Some(error.message.clone());
            (record, Some(error))
        }
    }
}

/// `count` timed reads of the database through its provider's API.
async fn signed_reads(
    provider: &dyn Provider,
    id: &str,
    count: u32,
) -> Result<crate::model::Latency> {
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..count {
        let started = Instant::now();
        provider.get(id).await?;
        samples.push(started.elapsed());
    }
    dataplane::latency(&samples).ok_or_else(|| Error::internal("no read was timed"))
}
