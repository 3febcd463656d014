//! Per-database usage requests, bounded per provider.
use std::future::Future;

use futures::stream::{self, StreamExt};

use crate::error::Result;
use crate::model::Usage;

/// Per-database usage requests one provider profile keeps in flight.
///
/// Only Upstash needs a request per database (`GET /v2/redis/stats/{id}`); Redis Enterprise
/// and Cosmos answer for every database at once and Redis Cloud reads its record. Upstash
/// publishes no Developer-API rate limit (its edge answers an undocumented 429, which the
/// HTTP layer retries with backoff), so the bound is set by latency and politeness: 64 fits
/// within one HTTP/2 connection's usual 100 concurrent streams, and makes 250 databases at
/// 200 ms cost the list plus ⌈250/64⌉ = 4 round trips (≈ 1.0 s), inside issue 16's 1.2 s.
/// It is the run-wide bound, so one profile can use it all.
pub const USAGE_IN_FLIGHT: usize = crate::context::MAX_IN_FLIGHT;

/// Awaits each database's usage read, at most [`USAGE_IN_FLIGHT`] at once, answers in
/// order; a failure names its database.
pub async fn each<Fut>(reads: Vec<(String, Fut)>) -> Vec<Result<Usage>>
where
    Fut: Future<Output = Result<Usage>>,
{
    stream::iter(reads.into_iter().map(|(id, read)| async move {
        read.await.map_err(|mut error| {
            error.message = format!("database {id}: {}", error.message);
            error
        })
    }))
    .buffered(USAGE_IN_FLIGHT)
    .collect()
    .await
}
