//! When to send a request again, and after how long: one pure decision, unit-tested.
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::{Error, ErrorKind};

const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// A failed attempt, as the retry decision sees it.
pub struct Failure<'a> {
    pub error: &'a Error,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// Attempts allowed (`--retries`).
    pub attempts: u32,
    /// GET, PUT, DELETE: safe to send twice (a `once` action is not).
    pub idempotent: bool,
    /// The connection failed before the request left.
    pub unsent: bool,
    /// The wait the provider asked for.
    pub retry_after: Option<Duration>,
}

#[derive(Debug, PartialEq)]
pub enum Decision {
    Retry(Duration),
    /// Stop; say how many attempts were made when there was more than one.
    GiveUp {
        attempts_said: bool,
    },
}

/// Retry what may be retried, while attempts and time are left: a 429 was refused before any
/// work and a failed connect never reached the server, so both are safe for any method.
pub fn decide(failure: &Failure, backoff: Duration, remaining: Duration) -> Decision {
    let error = failure.error;
    let safe = failure.idempotent || failure.unsent || error.kind == ErrorKind::RateLimited;
    if !(error.retryable && safe) || failure.attempt >= failure.attempts {
        return Decision::GiveUp {
            attempts_said: failure.attempt > 1,
        };
    }
    let delay = failure.retry_after.unwrap_or(backoff);
    if delay >= remaining {
        return Decision::GiveUp {
            attempts_said: false,
        };
    }
    Decision::Retry(delay)
}

/// Full-jitter exponential backoff: a random wait up to base·2^(attempt-1), capped.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(10))
        .min(BACKOFF_CAP);
    Duration::from_millis(fastrand::u64(
        ceiling.as_millis() as u64 / 4..=ceiling.as_millis() as u64,
    ))
}

/// `Retry-After` (seconds or an HTTP date) or `x-ms-retry-after-ms`.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn failure(error: &Error, attempt: u32, idempotent: bool, unsent: bool) -> Failure<'_> {
        Failure {
            error,
            attempt,
            attempts: 4,
            idempotent,
            unsent,
            retry_after: None,
        }
    }

    #[test]
    fn what_is_retried_and_what_is_not() {
        let busy = Error::provider_error("503").retryable(true);
        let throttled = Error::new(ErrorKind::RateLimited, "429").retryable(true);
        let refused = Error::new(ErrorKind::Auth, "401");
        let wait = Duration::from_millis(100);
        let left = Duration::from_secs(10);
        let retry = Decision::Retry(wait);
        // A GET on a busy server is retried; a POST is not (it may have been done) ...
        assert_eq!(decide(&failure(&busy, 1, true, false), wait, left), retry);
        assert_eq!(
            decide(&failure(&busy, 1, false, false), wait, left),
            Decision::GiveUp {
                attempts_said: false
            }
        );
        // ... unless it never left, or the provider throttled it before any work.
        assert_eq!(decide(&failure(&busy, 1, false, true), wait, left), retry);
        assert_eq!(
            decide(&failure(&throttled, 1, false, false), wait, left),
            retry
        );
        // A refusal is final; the last attempt is final and says how many there were.
        assert_eq!(
            decide(&failure(&refused, 1, true, false), wait, left),
            Decision::GiveUp {
                attempts_said: false
            }
        );
        assert_eq!(
            decide(&failure(&busy, 4, true, false), wait, left),
            Decision::GiveUp {
                attempts_said: true
            }
        );
    }

    #[test]
    fn the_providers_wait_wins_unless_time_runs_out() {
        let throttled = Error::new(ErrorKind::RateLimited, "429").retryable(true);
        let mut asked = failure(&throttled, 1, true, false);
        asked.retry_after = Some(Duration::from_secs(2));
        let backoff = Duration::from_millis(100);
        assert_eq!(
            decide(&asked, backoff, Duration::from_secs(10)),
            Decision::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            decide(&asked, backoff, Duration::from_secs(1)),
            Decision::GiveUp {
                attempts_said: false
            }
        );
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
